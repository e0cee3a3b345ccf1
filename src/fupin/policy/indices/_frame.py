"""The common input frame of the indices: group ``g``, income ``y``, weight ``w``; checks."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import ibis
import ibis.expr.types as ir

#: The group key of an ungrouped run.
ALL = ""


class IndicesErrorCode(StrEnum):
    EMPTY = "INDICES_EMPTY"
    MISSING_VALUE = "INDICES_MISSING_VALUE"
    BAD_WEIGHT = "INDICES_BAD_WEIGHT"
    BAD_LINE = "INDICES_BAD_LINE"
    NONPOSITIVE_INCOME = "INDICES_NONPOSITIVE_INCOME"
    BAD_PARAMETER = "INDICES_BAD_PARAMETER"
    UNKNOWN_COLUMN = "INDICES_UNKNOWN_COLUMN"
    NOT_NUMERIC = "INDICES_NOT_NUMERIC"


class IndicesError(ValueError):
    """Input an index cannot be computed on; ``code`` is stable, ``message`` in Chinese."""

    def __init__(self, code: IndicesErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def frame(
    t: ir.Table,
    *,
    income: str,
    weight: str | None = None,
    by: str | None = None,
    floor: float | None = None,
) -> ir.Table:
    """``g`` (group as text, ``ALL`` without ``by``), ``y`` (income, floored when asked), ``w``.

    ``floor`` replaces every income below it by it (for the log-based indices, which refuse
    zero and negative incomes otherwise); it must be positive.
    """
    if floor is not None and not floor > 0:
        raise IndicesError(IndicesErrorCode.BAD_PARAMETER, f"下限（floor）须为正数，而非 {floor}")
    y = t[income].cast("float64")
    if floor is not None:
        y = ibis.greatest(y, ibis.literal(float(floor)))
    w = t[weight].cast("float64") if weight else ibis.literal(1.0)
    g = t[by].cast("string").fill_null("") if by else ibis.literal(ALL)
    return t.select(g=g, y=y, w=w)


def checks(f: ir.Table) -> ir.Table:
    """One row of counts the runner hands to :func:`raise_for`: rows, blank incomes, weights
    blank or ≤ 0, incomes ≤ 0 (over a :func:`frame`)."""
    return f.aggregate(
        rows=f.count(),
        missing=f.y.isnull().sum(),
        bad_weight=(f.w.isnull() | (f.w <= 0)).sum(),
        nonpositive=(f.y <= 0).sum(),
    )


def raise_for(counts: Mapping[str, Any], *, logs: bool) -> None:
    """Refuse input the indices are undefined on; ``logs`` when a log-based index is asked."""
    if not counts.get("rows"):
        raise IndicesError(IndicesErrorCode.EMPTY, "没有可计算的数据（输入为空）")
    if counts.get("missing"):
        raise IndicesError(
            IndicesErrorCode.MISSING_VALUE, f"有 {counts['missing']} 行收入为空（未记录），不能计算"
        )
    if counts.get("bad_weight"):
        raise IndicesError(
            IndicesErrorCode.BAD_WEIGHT, f"有 {counts['bad_weight']} 行权重为空或不大于 0"
        )
    if logs and counts.get("nonpositive"):
        raise IndicesError(
            IndicesErrorCode.NONPOSITIVE_INCOME,
            f"有 {counts['nonpositive']} 行收入为 0 或负数，对数类指数（Watts、泰尔、MLD、"
            "阿特金森 ε≥1、广义熵 α≤0）无法计算；可指定正的下限（floor）",
        )


def check_line(line: float) -> None:
    if not line > 0:
        raise IndicesError(IndicesErrorCode.BAD_LINE, f"贫困线须大于 0，而非 {line}")


def ranked(f: ir.Table) -> ir.Table:
    """Distinct incomes per group with their weight ``w``, the cumulative weight ``cw`` through
    them (ascending income) and the group's total weight ``tw``.

    Tied incomes are collapsed first, so the order among ties cannot change a rank-based value.
    """
    d = f.group_by(["g", "y"]).aggregate(w=f.w.sum())
    cumulative = ibis.cumulative_window(group_by=d.g, order_by=d.y)
    return d.mutate(cw=d.w.sum().over(cumulative), tw=d.w.sum().over(group_by=d.g))


def gini_of(d: ir.Table) -> ir.Table:
    """Uncorrected Gini per group over :func:`ranked` rows: ``gini``, ``tw``, ``ty``.

    With cumulative weights C_{i-1} < C_i through the i-th distinct income and W the total,
    G = Σ_i y_i·w_i·(C_{i-1} + C_i − W) / (W·Σ w y); unweighted this is Σ (2i − n − 1)·y_i /
    (n²·μ), and a run of tied incomes contributes y·((C_end² − C_start²) − W·Σw) whatever
    their order.
    """
    term = d.y * d.w * (d.cw - d.w + d.cw - d.tw)
    a = d.group_by("g").aggregate(num=term.sum(), tw=d.w.sum(), ty=(d.w * d.y).sum())
    return a.select("g", "tw", "ty", gini=a.num / (a.tw * a.ty))
