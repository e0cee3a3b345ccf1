"""Inequality indices as Ibis expressions over a table of incomes (one row per person).

Every builder takes the table, the income column and optionally a weight column and a group
column, and returns one row per group, the group key in ``g`` (``""`` without ``by``), the value
in ``value``. Weighted, every sum runs over w and n = Σ w; μ = Σ w·y / Σ w.

The log-based indices — Theil T, the mean log deviation, Atkinson with ε ≥ 1 and generalised
entropy with α ≤ 0 or α = 1 — are undefined at y ≤ 0: the runner checks first
(:func:`~fupin.policy.indices._frame.raise_for` with ``logs=True``), or a positive ``floor``
replaces incomes below it.

Sources: Cowell, *Measuring Inequality* (3rd ed., Oxford 2011), ch. 3 and technical appendix
A.5; Atkinson (1970) *J. Econ. Theory* 2; Shorrocks (1980) *Econometrica* 48; Haughton &
Khandker, *Handbook on Poverty and Inequality* (World Bank 2009), ch. 6.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from fupin.policy.indices._frame import IndicesError, IndicesErrorCode, frame, gini_of, ranked

__all__ = [
    "atkinson",
    "generalised_entropy",
    "gini",
    "hoover",
    "inequality_profile",
    "mean",
    "mld",
    "needs_positive",
    "theil_t",
]


def needs_positive(*, epsilons: tuple[float, ...] = (), alphas: tuple[float, ...] = ()) -> bool:
    """Whether Atkinson at these ε or GE at these α take logarithms or negative powers of y."""
    return any(e >= 1 for e in epsilons) or any(a <= 0 or a == 1 for a in alphas)


def _check_epsilon(epsilon: float) -> None:
    if epsilon < 0:
        raise IndicesError(
            IndicesErrorCode.BAD_PARAMETER, f"阿特金森指数的 ε 须不小于 0，而非 {epsilon}"
        )


def _atkinson_term(r: ir.FloatingValue, epsilon: float) -> ir.FloatingValue:
    """Per person, r = y/μ: ln r at ε = 1, else r^(1−ε)."""
    return r.ln() if epsilon == 1 else r ** ibis.literal(1.0 - float(epsilon))


def _atkinson_value(mean_term: ir.FloatingValue, epsilon: float) -> ir.FloatingValue:
    if epsilon == 1:
        return 1.0 - mean_term.exp()
    return 1.0 - mean_term ** ibis.literal(1.0 / (1.0 - float(epsilon)))


def _ge_term(r: ir.FloatingValue, alpha: float) -> ir.FloatingValue:
    """Per person, r = y/μ: −ln r at α = 0, r·ln r at α = 1, else r^α."""
    if alpha == 0:
        return (1.0 / r).ln()
    if alpha == 1:
        return r * r.ln()
    return r ** ibis.literal(float(alpha))


def _ge_value(mean_term: ir.FloatingValue, alpha: float) -> ir.FloatingValue:
    if alpha in (0, 1):
        return mean_term
    return (mean_term - 1.0) / (alpha * (alpha - 1.0))


def _with_mean(f: ir.Table) -> ir.Table:
    return f.mutate(mu=(f.w * f.y).sum().over(group_by=f.g) / f.w.sum().over(group_by=f.g))


def _share_mean(m: ir.Table, term: ir.FloatingValue) -> ir.Table:
    """Σ w·term / Σ w per group, as ``value``."""
    a = m.group_by("g").aggregate(num=(m.w * term).sum(), n=m.w.sum())
    return a.select("g", value=a.num / a.n)


def mean(t: ir.Table, *, income: str, weight: str | None = None, by: str | None = None) -> ir.Table:
    """μ = Σ w·y / Σ w, with ``n`` = Σ w."""
    f = frame(t, income=income, weight=weight, by=by)
    a = f.group_by("g").aggregate(n=f.w.sum(), ty=(f.w * f.y).sum())
    return a.select("g", "n", value=a.ty / a.n)


def gini(
    t: ir.Table,
    *,
    income: str,
    weight: str | None = None,
    by: str | None = None,
    corrected: bool = False,
) -> ir.Table:
    """Gini G = Σ_i (2i − n − 1)·y_i / (n²·μ) over incomes sorted ascending, uncorrected (the
    mean absolute difference over all ordered pairs, /2μ: Cowell §3.2; Haughton & Khandker §6.1).
    ``corrected`` multiplies by n/(n − 1) (weighted: Σw/(Σw − 1)). Ties are collapsed first."""
    g = gini_of(ranked(frame(t, income=income, weight=weight, by=by)))
    factor = g.tw / (g.tw - 1.0) if corrected else ibis.literal(1.0)
    return g.select("g", value=g.gini * factor)


def theil_t(
    t: ir.Table,
    *,
    income: str,
    weight: str | None = None,
    by: str | None = None,
    floor: float | None = None,
) -> ir.Table:
    """Theil T = (1/n)·Σ (y/μ)·ln(y/μ) = GE(1) (Cowell A.5). Needs y > 0."""
    m = _with_mean(frame(t, income=income, weight=weight, by=by, floor=floor))
    r = m.y / m.mu
    return _share_mean(m, r * r.ln())


def mld(
    t: ir.Table,
    *,
    income: str,
    weight: str | None = None,
    by: str | None = None,
    floor: float | None = None,
) -> ir.Table:
    """Mean log deviation (Theil L) = (1/n)·Σ ln(μ/y) = GE(0) (Cowell A.5). Needs y > 0."""
    m = _with_mean(frame(t, income=income, weight=weight, by=by, floor=floor))
    return _share_mean(m, (m.mu / m.y).ln())


def generalised_entropy(
    t: ir.Table,
    *,
    income: str,
    alpha: float,
    weight: str | None = None,
    by: str | None = None,
    floor: float | None = None,
) -> ir.Table:
    """GE(α) = [(1/n)·Σ (y/μ)^α − 1] / (α(α − 1)); α = 0 is the MLD, α = 1 Theil T (the limits;
    Cowell A.5, Shorrocks 1980). α = 2 is half the squared coefficient of variation."""
    m = _with_mean(frame(t, income=income, weight=weight, by=by, floor=floor))
    a = _share_mean(m, _ge_term(m.y / m.mu, alpha))
    return a.select("g", value=_ge_value(a.value, alpha))


def atkinson(
    t: ir.Table,
    *,
    income: str,
    epsilon: float,
    weight: str | None = None,
    by: str | None = None,
    floor: float | None = None,
) -> ir.Table:
    """Atkinson A(ε) = 1 − [(1/n)·Σ (y/μ)^(1−ε)]^(1/(1−ε)) for ε ≠ 1 and, the limit, A(1) =
    1 − exp((1/n)·Σ ln(y/μ)) = 1 − geometric mean / μ (Atkinson 1970; Cowell §3.3). ε ≥ 0;
    ε ≥ 1 needs y > 0."""
    _check_epsilon(epsilon)
    m = _with_mean(frame(t, income=income, weight=weight, by=by, floor=floor))
    a = _share_mean(m, _atkinson_term(m.y / m.mu, epsilon))
    return a.select("g", value=_atkinson_value(a.value, epsilon))


def hoover(
    t: ir.Table, *, income: str, weight: str | None = None, by: str | None = None
) -> ir.Table:
    """Hoover (Robin Hood) index H = Σ w·|y − μ| / (2·Σ w·y): the share of total income that
    would have to move to make incomes equal (Cowell §3.2, "relative mean deviation" / 2)."""
    m = _with_mean(frame(t, income=income, weight=weight, by=by))
    a = m.group_by("g").aggregate(num=(m.w * (m.y - m.mu).abs()).sum(), ty=(m.w * m.y).sum())
    return a.select("g", value=a.num / (2.0 * a.ty))


def inequality_profile(
    t: ir.Table,
    *,
    income: str,
    weight: str | None = None,
    by: str | None = None,
    epsilons: tuple[float, ...] = (0.5, 1.0, 2.0),
    alphas: tuple[float, ...] = (2.0,),
    floor: float | None = None,
) -> ir.Table:
    """The inequality command's figures per group in one expression: ``n``, ``mean``, ``gini``,
    ``theil_t``, ``mld``, ``hoover``, ``atkinson_<i>`` for ``epsilons[i]`` and ``ge_<i>`` for
    ``alphas[i]``. The mean-based measures share one aggregate (the same terms as their
    builders); ``floor`` applies to the log-based ones (Theil, MLD, Atkinson, GE)."""
    for e in epsilons:
        _check_epsilon(e)
    m = _with_mean(frame(t, income=income, weight=weight, by=by))
    ml = _with_mean(frame(t, income=income, weight=weight, by=by, floor=floor)) if floor else m
    r = ml.y / ml.mu
    sums: dict[str, ir.FloatingValue] = {
        "theil_t": ml.w * r * r.ln(),
        "mld": ml.w * (1.0 / r).ln(),
    }
    for i, e in enumerate(epsilons):
        sums[f"atkinson_{i}"] = ml.w * _atkinson_term(r, e)
    for i, a in enumerate(alphas):
        sums[f"ge_{i}"] = ml.w * _ge_term(r, a)
    logs = ml.group_by("g").aggregate(ln=ml.w.sum(), **{k: v.sum() for k, v in sums.items()})
    base = m.group_by("g").aggregate(
        n=m.w.sum(), ty=(m.w * m.y).sum(), dev=(m.w * (m.y - m.mu).abs()).sum()
    )
    values: dict[str, ir.FloatingValue] = {
        "theil_t": logs.theil_t / logs.ln,
        "mld": logs.mld / logs.ln,
    }
    for i, e in enumerate(epsilons):
        values[f"atkinson_{i}"] = _atkinson_value(logs[f"atkinson_{i}"] / logs.ln, e)
    for i, a in enumerate(alphas):
        values[f"ge_{i}"] = _ge_value(logs[f"ge_{i}"] / logs.ln, a)
    out = base.join(logs, "g").select(
        "g",
        "n",
        mean=base.ty / base.n,
        hoover=base.dev / (2.0 * base.ty),
        **values,
    )
    g = gini(t, income=income, weight=weight, by=by).select(k="g", gini="value")
    return out.join(g, out.g == g.k).drop("k").order_by("g")
