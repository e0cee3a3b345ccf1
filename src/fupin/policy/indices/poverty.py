"""Income poverty indices as Ibis expressions over a table of incomes (one row per person).

Every builder takes the table, the income column, the poverty line ``z`` and optionally a weight
column (household size or survey weight) and a group column, and returns one row per group with
the group key in ``g`` (``""`` without ``by``). The same expression runs on DuckDB (flat files),
compiled to SQL on the registry (SQLite/PostgreSQL) and on Spark.

Conventions (docs/indices.md):

* a person is poor iff y < z, strictly; g_i = (z − y_i)/z is the poverty gap ratio;
* weighted, n = Σ w and q = Σ_{y<z} w (the weight sums);
* the rank-based indices (Sen, SST, Gini) order by income; ties are collapsed before ranking,
  so their order cannot change the value;
* Watts takes logarithms and refuses zero or negative incomes (``IndicesError``
  ``INDICES_NONPOSITIVE_INCOME`` from :func:`~fupin.policy.indices._frame.raise_for`) unless a
  positive ``floor`` replaces incomes below it.

Sources: Foster, Greer & Thorbecke (1984) *Econometrica* 52(3); Watts (1968); Sen (1976)
*Econometrica* 44(2); Shorrocks (1995) *Econometrica* 63(5) and Thon (1979); Haughton &
Khandker, *Handbook on Poverty and Inequality* (World Bank 2009), ch. 4.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from fupin.policy.indices._frame import check_line, frame, gini_of, ranked

__all__ = [
    "fgt",
    "gap_total",
    "headcount",
    "poverty_profile",
    "sen",
    "sst",
    "watts",
]


def _line(line: float) -> ir.FloatingScalar:
    check_line(line)
    return ibis.literal(float(line), type="float64")


def _poor(f: ir.Table, z: ir.FloatingScalar) -> ir.BooleanValue:
    return f.y < z


def headcount(
    t: ir.Table, *, income: str, line: float, weight: str | None = None, by: str | None = None
) -> ir.Table:
    """``n`` = Σ w, ``q`` = Σ_{y<z} w per group."""
    z = _line(line)
    f = frame(t, income=income, weight=weight, by=by)
    return f.group_by("g").aggregate(n=f.w.sum(), q=ibis.ifelse(_poor(f, z), f.w, 0.0).sum())


def _fgt_term(f: ir.Table, z: ir.FloatingScalar, alpha: float) -> ir.FloatingValue:
    gap = (z - f.y) / z
    # 0^0 is 1 for the poor: the headcount ratio needs no power.
    term = f.w if alpha == 0 else f.w * gap ** ibis.literal(float(alpha))
    return ibis.ifelse(_poor(f, z), term, 0.0)


def _watts_term(f: ir.Table, z: ir.FloatingScalar) -> ir.FloatingValue:
    # Guarding the log keeps the non-poor (and refused rows) from evaluating ln(z/y ≤ 0).
    safe = ibis.ifelse(_poor(f, z) & (f.y > 0), f.y, z)
    return f.w * (z / safe).ln()


def _gap_term(f: ir.Table, z: ir.FloatingScalar) -> ir.FloatingValue:
    return ibis.ifelse(_poor(f, z), f.w * (z - f.y), 0.0)


def fgt(
    t: ir.Table,
    *,
    income: str,
    line: float,
    alpha: float = 0.0,
    weight: str | None = None,
    by: str | None = None,
) -> ir.Table:
    """FGT P_α = Σ_{y<z} w·((z − y)/z)^α / Σ w (FGT 1984): α = 0 headcount ratio, α = 1 poverty
    gap index, α = 2 squared poverty gap (severity). Column ``value``."""
    z = _line(line)
    f = frame(t, income=income, weight=weight, by=by)
    a = f.group_by("g").aggregate(num=_fgt_term(f, z, alpha).sum(), n=f.w.sum())
    return a.select("g", value=a.num / a.n)


def watts(
    t: ir.Table,
    *,
    income: str,
    line: float,
    weight: str | None = None,
    by: str | None = None,
    floor: float | None = None,
) -> ir.Table:
    """Watts W = Σ_{y<z} w·ln(z/y) / Σ w (Watts 1968; Haughton & Khandker §4.3). Column
    ``value``. Needs y > 0 among the poor (check first, or pass ``floor``)."""
    z = _line(line)
    f = frame(t, income=income, weight=weight, by=by, floor=floor)
    a = f.group_by("g").aggregate(num=_watts_term(f, z).sum(), n=f.w.sum())
    return a.select("g", value=a.num / a.n)


def gap_total(
    t: ir.Table, *, income: str, line: float, weight: str | None = None, by: str | None = None
) -> ir.Table:
    """The yuan that lift every poor person to the line with perfect targeting: Σ_{y<z} w·(z − y)
    (Haughton & Khandker §4.2, "the total poverty gap"). Column ``value``."""
    z = _line(line)
    f = frame(t, income=income, weight=weight, by=by)
    return f.group_by("g").aggregate(value=_gap_term(f, z).sum())


def sen(
    t: ir.Table, *, income: str, line: float, weight: str | None = None, by: str | None = None
) -> ir.Table:
    """Sen S = H·(I + (1 − I)·G_p) (Sen 1976, in the large-q form of Haughton & Khandker §4.4):
    H = q/n, I = Σ_{y<z} w·g / q the mean gap ratio of the poor, G_p the uncorrected Gini among
    the poor. A group without poor persons has S = 0. Column ``value``."""
    z = _line(line)
    f = frame(t, income=income, weight=weight, by=by)
    totals = f.group_by("g").aggregate(n=f.w.sum())
    among = gini_of(ranked(f.filter(_poor(f, z))))
    among = among.select(gp="g", q="tw", gini_p=among.gini, ratio=1.0 - (among.ty / among.tw) / z)
    j = totals.left_join(among, totals.g == among.gp)
    value = (j.q / j.n) * (j.ratio + (1.0 - j.ratio) * j.gini_p)
    return j.select("g", value=value.fill_null(0.0))


def sst(
    t: ir.Table, *, income: str, line: float, weight: str | None = None, by: str | None = None
) -> ir.Table:
    """Sen–Shorrocks–Thon SST = Σ_{i≤q} (2N − 2i + 1)·g_i / N² over the poor sorted ascending by
    income (Shorrocks 1995). Column ``value``.

    Weighted, person i of weight w_i occupying ranks C_{i-1} < r ≤ C_i (C the cumulative weight,
    N = Σ w) contributes Σ_r (2N − 2r + 1) = (N − C_{i-1})² − (N − C_i)², the sum the unweighted
    formula gives w_i copies of that person; the two agree for integer weights.
    """
    z = _line(line)
    d = ranked(frame(t, income=income, weight=weight, by=by))
    before = d.tw - d.cw + d.w
    after = d.tw - d.cw
    term = (before * before - after * after) * (z - d.y) / z
    a = d.group_by("g").aggregate(num=ibis.ifelse(d.y < z, term, 0.0).sum(), n=d.tw.max())
    return a.select("g", value=a.num / (a.n * a.n))


def poverty_profile(
    t: ir.Table,
    *,
    income: str,
    line: float,
    weight: str | None = None,
    by: str | None = None,
    floor: float | None = None,
) -> ir.Table:
    """All the poverty command's figures per group in one expression: ``n``, ``q``, ``P0``,
    ``P1``, ``P2``, ``watts``, ``sen``, ``sst``, ``gap_total`` and ``gini`` (the uncorrected Gini
    of the group's whole income distribution). ``floor`` applies to Watts only.

    The additive measures share one aggregate (the same terms as their builders); the
    rank-based ones are joined to it, which keeps the statement shallow enough for SQLite.
    """
    z = _line(line)
    f = frame(t, income=income, weight=weight, by=by)
    fl = frame(t, income=income, weight=weight, by=by, floor=floor) if floor else f
    a = f.group_by("g").aggregate(
        n=f.w.sum(),
        q=_fgt_term(f, z, 0).sum(),
        s1=_fgt_term(f, z, 1).sum(),
        s2=_fgt_term(f, z, 2).sum(),
        gap_total=_gap_term(f, z).sum(),
    )
    wa = fl.group_by("g").aggregate(sw=_watts_term(fl, z).sum())
    out = a.join(wa, "g").select(
        "g",
        "n",
        "q",
        P0=a.q / a.n,
        P1=a.s1 / a.n,
        P2=a.s2 / a.n,
        watts=wa.sw / a.n,
        gap_total=a.gap_total,
    )
    parts = (
        ("sen", sen(t, income=income, line=line, weight=weight, by=by)),
        ("sst", sst(t, income=income, line=line, weight=weight, by=by)),
    )
    for name, part in parts:
        part = part.select(k="g", **{name: "value"})
        out = out.join(part, out.g == part.k).drop("k")
    g = gini_of(ranked(f)).select(k="g", gini="gini")
    return out.join(g, out.g == g.k).drop("k").order_by("g")
