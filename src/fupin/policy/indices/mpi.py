"""The Alkire–Foster multidimensional poverty index (MPI), as one Ibis definition.

Source: S. Alkire and J. Foster (2011), "Counting and multidimensional poverty measurement",
*Journal of Public Economics* 95(7–8), 476–487 (the dual-cutoff identification ρ_k and the
adjusted FGT class M_α), with weights as in Alkire et al. (2015), *Multidimensional Poverty
Measurement and Analysis*, ch. 5.

For units i (persons or households, with an optional survey or size weight v_i) and indicators
j with weights w_j normalised to Σ w_j = 1:

* deprivation g⁰_ij = 1 when unit i is deprived in j: for a 0/1 flag column the value is 1; for
  a column with a cardinal cutoff z_j the value is strictly below it (x_ij < z_j);
* normalised gap g^α_ij = ((z_j − x_ij) / z_j)^α where deprived (cardinal indicators only);
* deprivation score c_i = Σ_j w_j g⁰_ij; poor iff c_i ≥ k (within 1e-9, so that 2 × 0.2 ≥ 0.4
  whatever the engine's rounding), k a share of the total weight in (0, 1];
* n = Σ v_i, q = Σ v_i over the poor, H = q / n, A = Σ_poor v_i c_i / q, M0 = H·A;
* M1 = Σ_poor v_i Σ_j w_j g¹_ij / n and M2 the same with g², defined only when every indicator
  has a cardinal cutoff (null otherwise);
* censored headcount CH_j = Σ_poor v_i g⁰_ij / n; contribution of j to M0 = w_j·CH_j / M0;
* by group g: the same figures over the group's units and the population share n_g / n, so that
  M0 = Σ_g (n_g / n)·M0_g (subgroup decomposability).

A unit with a blank ("not recorded") indicator or weight is excluded from the run and counted
in ``excluded``; it is never taken as not deprived. The same expression runs on DuckDB (flat
files), compiled to SQL for SQLite/PostgreSQL (the registry) and on Spark.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

#: Tolerance of the identification step: poor iff c_i ≥ k − TOLERANCE.
TOLERANCE = 1e-9


class MpiErrorCode(StrEnum):
    NO_INDICATORS = "MPI_NO_INDICATORS"
    INDICATOR_INVALID = "MPI_INDICATOR_INVALID"
    INDICATOR_DUPLICATE = "MPI_INDICATOR_DUPLICATE"
    WEIGHT_INVALID = "MPI_WEIGHT_INVALID"
    CUTOFF_INVALID = "MPI_CUTOFF_INVALID"
    K_INVALID = "MPI_K_INVALID"
    COLUMN_UNKNOWN = "MPI_COLUMN_UNKNOWN"
    NOT_NUMERIC = "MPI_NOT_NUMERIC"
    FLAG_NOT_BINARY = "MPI_FLAG_NOT_BINARY"
    UNIT_WEIGHT_INVALID = "MPI_UNIT_WEIGHT_INVALID"
    EMPTY = "MPI_EMPTY"


class MpiError(ValueError):
    """Bad MPI input: ``code`` is stable, ``message`` is in Chinese."""

    def __init__(self, code: MpiErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass(frozen=True)
class Indicator:
    """One indicator: a column, its (relative) weight and, if cardinal, its cutoff z_j."""

    column: str
    weight: float
    cutoff: float | None = None
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.column


def parse_indicator(text: str) -> Indicator:
    """Read ``COL=WEIGHT[@CUTOFF]`` (the command line's form), e.g. ``income=1@2300``."""
    column, sep, rest = text.rpartition("=")
    weight_text, _, cutoff_text = rest.partition("@")
    try:
        if not sep or not column.strip():
            raise ValueError(text)
        weight = float(weight_text)
        cutoff = float(cutoff_text) if cutoff_text.strip() else None
    except ValueError:
        raise MpiError(
            MpiErrorCode.INDICATOR_INVALID,
            f"指标“{text}”格式不对，应为 列名=权重 或 列名=权重@临界值（如 income=1@2300）",
            indicator=text,
        ) from None
    return Indicator(column.strip(), weight, cutoff)


@dataclass(frozen=True)
class MpiSpec:
    """An indicator set and the poverty cutoff k; checked on construction."""

    indicators: tuple[Indicator, ...]
    k: float

    def __post_init__(self) -> None:
        if not self.indicators:
            raise MpiError(MpiErrorCode.NO_INDICATORS, "至少需要一个指标")
        seen: set[str] = set()
        for ind in self.indicators:
            if ind.column in seen:
                raise MpiError(
                    MpiErrorCode.INDICATOR_DUPLICATE,
                    f"指标列“{ind.column}”重复",
                    column=ind.column,
                )
            seen.add(ind.column)
            if not math.isfinite(ind.weight) or ind.weight <= 0:
                raise MpiError(
                    MpiErrorCode.WEIGHT_INVALID,
                    f"指标“{ind.title}”的权重 {ind.weight:g} 无效：权重必须大于 0",
                    column=ind.column,
                )
            if ind.cutoff is not None and (not math.isfinite(ind.cutoff) or ind.cutoff <= 0):
                raise MpiError(
                    MpiErrorCode.CUTOFF_INVALID,
                    f"指标“{ind.title}”的临界值 {ind.cutoff:g} 无效：临界值必须大于 0"
                    "（缺口按 (临界值 − 取值) / 临界值 计算）",
                    column=ind.column,
                )
        if not (isinstance(self.k, int | float) and math.isfinite(self.k) and 0 < self.k <= 1):
            raise MpiError(
                MpiErrorCode.K_INVALID,
                f"贫困临界值 k = {self.k} 无效：k 是总权重的比例，须大于 0 且不超过 1",
            )

    @property
    def weights(self) -> tuple[float, ...]:
        """The weights normalised to sum 1."""
        total = sum(ind.weight for ind in self.indicators)
        return tuple(ind.weight / total for ind in self.indicators)

    @property
    def cardinal(self) -> bool:
        """Every indicator has a cardinal cutoff: M1 and M2 are defined."""
        return all(ind.cutoff is not None for ind in self.indicators)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(ind.column for ind in self.indicators)


# -- the definition --------------------------------------------------------------------------


def _number(col: ir.Value) -> ir.FloatingValue:
    """A column as float64: text is trimmed (blank = null), booleans are 1/0."""
    type_ = col.type()
    if type_.is_string():
        return col.strip().nullif("").try_cast("float64")
    if type_.is_boolean():
        return ibis.ifelse(col, 1.0, 0.0)
    return col.cast("float64")


def _require(t: ir.Table, spec: MpiSpec, weight: str | None, by: str | None) -> None:
    wanted = [*spec.columns, *([weight] if weight else []), *([by] if by else [])]
    unknown = [c for c in wanted if c not in t.columns]
    if unknown:
        raise MpiError(
            MpiErrorCode.COLUMN_UNKNOWN,
            f"没有列：{'、'.join(unknown)}（已有的列：{'、'.join(t.columns)}）",
            columns=unknown,
        )
    for name in [*spec.columns, *([weight] if weight else [])]:
        type_ = t[name].type()
        if not (type_.is_numeric() or type_.is_boolean() or type_.is_string()):
            raise MpiError(
                MpiErrorCode.NOT_NUMERIC, f"列“{name}”不是数值（类型 {type_}）", column=name
            )


def units(
    t: ir.Table, spec: MpiSpec, *, weight: str | None = None, by: str | None = None
) -> ir.Table:
    """One row per unit: its weight in the run (0 when excluded), deprivations and score.

    Columns ``_group``, ``_in`` (1 when every indicator and the weight are recorded), ``_w``
    (the unit weight, 0 when excluded), ``_d{j}`` (g⁰), ``_c`` (score), ``_poor`` (1/0) and,
    when every indicator is cardinal, ``_g1`` and ``_g2`` (Σ_j w_j g^α_ij).
    """
    _require(t, spec, weight, by)
    values = [_number(t[c]) for c in spec.columns]
    v = _number(t[weight]) if weight else ibis.literal(1.0)
    recorded = v.notnull()
    for x in values:
        recorded = recorded & x.notnull()
    w_in = ibis.ifelse(recorded, v, 0.0)
    deprived: list[ir.FloatingValue] = []
    for ind, x in zip(spec.indicators, values, strict=True):
        cond = x == 1.0 if ind.cutoff is None else x < ibis.literal(float(ind.cutoff))
        # A null condition (not recorded) falls to 0 here; the unit's weight is 0 anyway.
        deprived.append(ibis.ifelse(cond, 1.0, 0.0))
    score = sum((w * d for w, d in zip(spec.weights, deprived, strict=True)), ibis.literal(0.0))
    poor = ibis.ifelse(score >= spec.k - TOLERANCE, 1.0, 0.0)
    cols: dict[str, ir.Value] = {
        "_group": t[by].cast("string").fill_null("") if by else ibis.literal(""),
        "_in": ibis.ifelse(recorded, 1, 0),
        "_w": w_in,
        "_c": score,
        "_poor": poor,
    }
    for j, d in enumerate(deprived):
        cols[f"_d{j}"] = d
    if spec.cardinal:
        g1: ir.FloatingValue = ibis.literal(0.0)
        g2: ir.FloatingValue = ibis.literal(0.0)
        for ind, w, x, d in zip(spec.indicators, spec.weights, values, deprived, strict=True):
            z = ibis.literal(float(ind.cutoff or 0))
            gap = ibis.ifelse(d > 0, (z - x) / z, 0.0)
            g1 = g1 + w * gap
            g2 = g2 + w * gap * gap
        cols["_g1"] = g1
        cols["_g2"] = g2
    return t.select(**cols)


def mpi_table(
    t: ir.Table, spec: MpiSpec, *, weight: str | None = None, by: str | None = None
) -> ir.Table:
    """The MPI of ``t``: one row (or one per group of ``by``), the definition of this module.

    Columns: ``grp`` (with ``by``), ``n``, ``q``, ``excluded`` (units left out as not
    recorded), ``H``, ``A``, ``M0``, ``M1``, ``M2`` (only when every indicator is cardinal),
    ``ch{j}`` (censored headcount) and ``ct{j}`` (contribution to M0) per indicator j in order.
    """
    u = units(t, spec, weight=weight, by=by)
    wp = u._w * u._poor
    metrics: dict[str, ir.Value] = {
        "n": u._w.sum(),
        "q": wp.sum(),
        "excluded": (1 - u._in).sum(),
        "_sc": (wp * u._c).sum(),
    }
    for j in range(len(spec.indicators)):
        metrics[f"_s{j}"] = (wp * u[f"_d{j}"]).sum()
    if spec.cardinal:
        metrics["_m1"] = (wp * u._g1).sum()
        metrics["_m2"] = (wp * u._g2).sum()
    agg = u.group_by(grp=u._group).aggregate(**metrics) if by else u.aggregate(**metrics)
    n = agg.n.nullif(0.0)
    m0 = agg._sc / n
    out: dict[str, ir.Value] = {
        "n": agg.n,
        "q": agg.q,
        "excluded": agg.excluded,
        "H": agg.q / n,
        "A": agg._sc / agg.q.nullif(0.0),
        "M0": m0,
    }
    if spec.cardinal:
        out["M1"] = agg._m1 / n
        out["M2"] = agg._m2 / n
    for j, w in enumerate(spec.weights):
        out[f"ch{j}"] = agg[f"_s{j}"] / n
        out[f"ct{j}"] = w * agg[f"_s{j}"] / agg._sc.nullif(0.0)
    if by:
        return agg.select(grp=agg.grp, **out).order_by("grp")
    return agg.select(**out)


def checks(t: ir.Table, spec: MpiSpec, *, weight: str | None = None) -> ir.Table:
    """One row of counts of bad cells: ``rows``, then per column ``bad{j}`` (not a number),
    ``bin{j}`` (a flag not 0/1) and, with a weight column, ``wbad``/``wneg`` (≤ 0)."""
    _require(t, spec, weight, None)
    metrics: dict[str, ir.Value] = {"rows": t.count()}

    def not_number(raw: ir.Value) -> ir.IntegerValue:
        """1 for a cell of a text column that holds something other than a finite number."""
        x = _number(raw)
        text = raw.strip().nullif("")
        bad = text.notnull() & (x.isnull() | x.isnan() | x.isinf())
        return ibis.ifelse(bad, 1, 0)

    for j, ind in enumerate(spec.indicators):
        raw = t[ind.column]
        if raw.type().is_string():
            metrics[f"bad{j}"] = not_number(raw).sum()
        if ind.cutoff is None:
            x = _number(raw)
            metrics[f"bin{j}"] = ibis.ifelse(
                x.notnull() & ~x.isnan() & (x != 0.0) & (x != 1.0), 1, 0
            ).sum()
    if weight:
        raw = t[weight]
        v = _number(raw)
        if raw.type().is_string():
            metrics["wbad"] = not_number(raw).sum()
        metrics["wneg"] = ibis.ifelse(v.notnull() & (v <= 0.0), 1, 0).sum()
    return t.aggregate(**metrics)


def raise_for_checks(row: Mapping[str, Any], spec: MpiSpec, *, weight: str | None = None) -> None:
    """Refuse the input of a ``checks`` row: no rows, non-numbers, flags not 0/1, weights ≤ 0."""
    if not row.get("rows"):
        raise MpiError(MpiErrorCode.EMPTY, "输入没有数据行")
    for j, ind in enumerate(spec.indicators):
        if row.get(f"bad{j}"):
            raise MpiError(
                MpiErrorCode.NOT_NUMERIC,
                f"列“{ind.column}”有 {row[f'bad{j}']} 个单元格不是数字",
                column=ind.column,
            )
        if row.get(f"bin{j}"):
            raise MpiError(
                MpiErrorCode.FLAG_NOT_BINARY,
                f"列“{ind.column}”是 0/1 剥夺标志（1 = 被剥夺），但有 {row[f'bin{j}']} 个值"
                "不是 0 或 1；若为连续取值，请给出临界值：列名=权重@临界值",
                column=ind.column,
            )
    if weight and row.get("wbad"):
        raise MpiError(
            MpiErrorCode.NOT_NUMERIC,
            f"权重列“{weight}”有 {row['wbad']} 个单元格不是数字",
            column=weight,
        )
    if weight and row.get("wneg"):
        raise MpiError(
            MpiErrorCode.UNIT_WEIGHT_INVALID,
            f"权重列“{weight}”有 {row['wneg']} 个值小于或等于 0：权重必须大于 0",
            column=weight,
        )


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MpiFigures:
    """The MPI of one population (the whole input or one group)."""

    n: float
    q: float
    H: float | None
    A: float | None
    M0: float | None
    M1: float | None
    M2: float | None
    censored_headcount: dict[str, float | None]
    contribution: dict[str, float | None]
    excluded: int = 0
    share: float | None = None  # the group's population share n_g / n

    def as_dict(self) -> dict[str, Any]:
        """The command's JSON keys, exactly."""
        return {
            "n": self.n,
            "q": self.q,
            "H": self.H,
            "A": self.A,
            "M0": self.M0,
            "M1": self.M1,
            "M2": self.M2,
            "censored_headcount": dict(self.censored_headcount),
            "contribution": dict(self.contribution),
        }


@dataclass(frozen=True)
class MpiResult:
    total: MpiFigures
    by: dict[str, MpiFigures] | None = None
    spec: MpiSpec | None = field(default=None, compare=False)

    @property
    def excluded(self) -> int:
        return self.total.excluded

    def as_dict(self) -> dict[str, Any]:
        out = self.total.as_dict()
        if self.by is not None:
            out["by"] = {g: f.as_dict() for g, f in self.by.items()}
        return out


def _float(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def figures(
    row: Mapping[str, Any], spec: MpiSpec, *, weighted: bool, total_n: float | None = None
) -> MpiFigures:
    """The figures of one row of ``mpi_table``."""
    n = _float(row["n"]) or 0.0
    q = _float(row["q"]) or 0.0
    cols = spec.columns
    return MpiFigures(
        n=n if weighted else round(n),
        q=q if weighted else round(q),
        H=_float(row["H"]),
        A=_float(row["A"]),
        M0=_float(row["M0"]),
        M1=_float(row.get("M1")),
        M2=_float(row.get("M2")),
        censored_headcount={c: _float(row[f"ch{j}"]) for j, c in enumerate(cols)},
        contribution={c: _float(row[f"ct{j}"]) for j, c in enumerate(cols)},
        excluded=int(row["excluded"] or 0),
        share=(n / total_n) if total_n else None,
    )


def result_from_rows(
    spec: MpiSpec,
    total: Mapping[str, Any],
    groups: Sequence[Mapping[str, Any]] | None = None,
    *,
    weighted: bool = False,
) -> MpiResult:
    """Assemble the result of the total row and the group rows of ``mpi_table``.

    Raise ``MPI_EMPTY`` when no unit is left (none given, or every one not recorded).
    """
    overall = figures(total, spec, weighted=weighted)
    if not overall.n:
        raise MpiError(
            MpiErrorCode.EMPTY,
            f"没有可计算的单位（{overall.excluded} 个单位的指标或权重未填写，已排除）",
            excluded=overall.excluded,
        )
    by = None
    if groups is not None:
        by = {
            str(g["grp"]): figures(g, spec, weighted=weighted, total_n=float(overall.n))
            for g in groups
        }
    return MpiResult(overall, by, spec)


def compute(
    t: ir.Table,
    spec: MpiSpec,
    *,
    weight: str | None = None,
    by: str | None = None,
    check: bool = True,
) -> MpiResult:
    """Run the MPI over a table bound to a backend (DuckDB, Spark): checks, total, groups."""
    if check:
        row = checks(t, spec, weight=weight).to_pyarrow().to_pylist()[0]
        raise_for_checks(row, spec, weight=weight)
    total = mpi_table(t, spec, weight=weight).to_pyarrow().to_pylist()[0]
    groups = None
    if by:
        groups = mpi_table(t, spec, weight=weight, by=by).to_pyarrow().to_pylist()
    return result_from_rows(spec, total, groups, weighted=weight is not None)


# -- the registry's default indicator set ----------------------------------------------------

#: Default poverty cutoff for the registry set: a third of the weighted indicators, as the
#: global MPI (UNDP/OPHI); with five equal weights, deprived in at least two.
DEFAULT_K = 1 / 3

#: The default registry indicator set, one row per household (columns of
#: ``household_indicators``), equal weights. Each is a 0/1 flag (1 = deprived).
REGISTRY_INDICATORS: tuple[Indicator, ...] = (
    Indicator("income_below_line", 1.0, label="人均纯收入低于扶贫标准"),
    Indicator("unsafe_housing", 1.0, label="住房为C级或D级危房"),
    Indicator("no_safe_water", 1.0, label="饮水不安全或饮水困难"),
    Indicator("child_out_of_school", 1.0, label="有义务教育适龄成员失学辍学"),
    Indicator("member_uninsured", 1.0, label="有成员未参加基本医疗保险"),
)


def household_indicators(
    household_facts: ir.Table, water_difficult: ir.Table | None = None, *, line: Decimal | None
) -> ir.Table:
    """The default indicators of each household from the facts of ``household-standard@2016``.

    ``household_facts`` is ``fupin.policy.rules.household_2016.facts`` (school age and
    dropout decided exactly as the assessment rule decides them); ``water_difficult`` a table
    (household_id, water_difficult). ``line`` replaces each household's own line when given.
    Blank means not recorded (the unit is excluded): no income record for the year; no living
    conditions; water neither recorded unsafe/difficult nor recorded safe and not difficult;
    no members. Income is compared as net income < line × size (no division to round).
    """
    f = household_facts
    if water_difficult is not None:
        wd = water_difficult.select(
            wd_key=water_difficult.household_id, water_difficult=water_difficult.water_difficult
        )
        f = f.left_join(wd, f.household_id == wd.wd_key).drop("wd_key")
        difficult = f.water_difficult
    else:
        difficult = ibis.literal(False)
    z = ibis.literal(float(line)) if line is not None else f.poverty_line
    null = ibis.null(dt.float64)

    def flag(cond: ir.BooleanValue) -> ir.FloatingValue:
        return ibis.ifelse(cond, 1.0, 0.0)

    income = ibis.cases(
        (f.net_income.isnull() | f.household_size.isnull(), null),
        else_=flag(f.net_income < z * f.household_size),
    )
    housing = ibis.cases((f.house_grade.isnull(), null), else_=flag(f.house_grade != "safe"))
    water_bad = (f.water_safe == False) | (difficult == True)  # noqa: E712 (SQL three-valued)
    water_good = (f.water_safe == True) & (difficult == False)  # noqa: E712
    water = ibis.cases((water_bad, 1.0), (water_good, 0.0), else_=null)
    has_members = f.member_count > 0
    school = ibis.cases((has_members, flag(f.out_of_school_count > 0)), else_=null)
    medical = ibis.cases((has_members, flag(f.uninsured_count > 0)), else_=null)
    return f.select(
        household_id=f.household_id,
        village_id=f.village_id,
        household_size=f.household_size.cast("float64"),
        income_below_line=income,
        unsafe_housing=housing,
        no_safe_water=water,
        child_out_of_school=school,
        member_uninsured=medical,
    )


__all__ = [
    "DEFAULT_K",
    "REGISTRY_INDICATORS",
    "TOLERANCE",
    "Indicator",
    "MpiError",
    "MpiErrorCode",
    "MpiFigures",
    "MpiResult",
    "MpiSpec",
    "checks",
    "compute",
    "figures",
    "household_indicators",
    "mpi_table",
    "parse_indicator",
    "raise_for_checks",
    "result_from_rows",
    "units",
]
