"""Poverty and inequality indices over the registry, and what-if poverty lines.

The definitions are :mod:`fupin.policy.indices`; here they are bound to the registry tables
(compiled to SQL for the connected database, run there in one statement each). The welfare
measure is the per-capita net income of a live household for the year (HouseholdIncome.net_income
/ household_size), weighted by household size, so n and q count persons. A household without an
income record for the year is "not recorded": left out, and counted in ``missing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
from django.db import connection

from fupin.assessment.adapters import to_sql, village_range
from fupin.common.errors import FupinError
from fupin.policy import indices as ix
from fupin.policy.indices.results import inequality_row, money, number_key, poverty_row
from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterError, ParameterSet
from fupin.registry.models import Household, HouseholdIncome

#: Group by the first digits of the village code: 6 county, 9 township, 12 village.
GROUP_DIGITS = {"county": 6, "township": 9, "village": 12}
#: The national line at 2010 prices (domain.md §1): always part of the default sweep.
BASE_LINE = Decimal("2300")
#: The default sweep: the year's line −20 % … +20 % in 5 % steps.
SWEEP_STEPS = tuple(Decimal(k) / 100 for k in range(80, 121, 5))


def _registry() -> tuple[ir.Table, ir.Table]:
    h = ibis.table(
        {"id": "int64", "village_id": "string", "status": "string"},
        name=Household._meta.db_table,
    )
    i = ibis.table(
        {
            "household_id": "int64",
            "year": "int64",
            "household_size": "int64",
            "net_income": "decimal(14, 2)",
        },
        name=HouseholdIncome._meta.db_table,
    )
    return h, i


def persons(division_code: str, year: int, by: str | None = None) -> ir.Table:
    """One row per live household of the division: ``village`` (or the group prefix ``grp``),
    ``y`` per-capita net income (null when not recorded for the year), ``w`` household size."""
    h, i = _registry()
    _, low, high = village_range(division_code)
    h = h.filter(
        h.status != "removed",
        h.village_id.startswith(division_code),
        h.village_id >= low,
        h.village_id <= high,
    )
    i = i.filter(i.year == year)
    j = h.left_join(i, h.id == i.household_id)
    size = j.household_size.cast("float64")
    grp = j.village_id.substr(0, GROUP_DIGITS[by]) if by else ibis.literal("")
    return j.select(grp=grp, y=j.net_income.cast("float64") / size, w=size)


def _rows(expr: ir.Table) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(to_sql(expr))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _recorded(
    division_code: str, year: int, by: str | None, *, allow_empty: bool = False
) -> tuple[ir.Table, int]:
    t = persons(division_code, year, by)
    counts = _rows(
        t.aggregate(rows=t.count(), missing=t.y.isnull().sum(), nonpositive=(t.y <= 0).sum())
    )[0]
    missing = int(counts["missing"] or 0)
    if not allow_empty and not int(counts["rows"] or 0) - missing:
        raise FupinError(
            ix.IndicesErrorCode.EMPTY,
            f"区划 {division_code} 在 {year} 年没有已登记收入的户",
        )
    return t.filter(t.y.notnull()), missing


def default_line(year: int, parameters: ParameterSet | None = None) -> Decimal:
    try:
        return (parameters or DEFAULT_PARAMETERS).national_line(year).amount
    except ParameterError as exc:
        raise FupinError(exc.code, exc.message) from exc


def default_sweep(year: int, parameters: ParameterSet | None = None) -> list[Decimal]:
    """2,300 yuan (the 2010-price line) and the year's line −20 % … +20 % in 5 % steps."""
    line = default_line(year, parameters)
    points = {BASE_LINE} | {(line * s).quantize(Decimal("1"), ROUND_HALF_UP) for s in SWEEP_STEPS}
    return sorted(points)


def _guard(fn: Any) -> Any:
    try:
        return fn()
    except ix.IndicesError as exc:
        raise FupinError(exc.code, exc.message) from exc


def registry_poverty(
    *,
    division_code: str,
    year: int,
    lines: list[Decimal] | None = None,
    by: str | None = None,
    floor: float | None = None,
) -> dict[str, Any]:
    """The poverty figures (:func:`fupin.policy.indices.poverty_profile`) of a division's
    registered persons for a year, per line (default: the year's national line).

    Returns ``{"division", "year", "missing", "lines": [{"line", n, q, P0, …, gini, "by"?}]}``;
    ``gap_total`` is yuan (Decimal, to the fen); ``by`` is county / township / village.
    """
    lines = lines or [default_line(year)]
    t, missing = _recorded(division_code, year, by)
    if floor is None:
        nonpositive = _rows(t.aggregate(k=(t.y <= 0).sum()))[0]["k"]
        if nonpositive:
            raise FupinError(
                ix.IndicesErrorCode.NONPOSITIVE_INCOME,
                f"有 {nonpositive} 户人均纯收入为 0 或负数，Watts 指数无法计算；可指定正的下限",
            )
    out = []
    for line in lines:
        expr = _guard(
            lambda line=line: ix.poverty_profile(
                t, income="y", weight="w", by="grp", line=float(line), floor=floor
            )
        )
        rows = _rows(expr)
        groups = {r["g"]: poverty_row(r) for r in rows}
        item: dict[str, Any] = {"line": line}
        if by:
            whole = _rows(
                _guard(
                    lambda line=line: ix.poverty_profile(
                        t.mutate(grp=ibis.literal("")),
                        income="y",
                        weight="w",
                        by="grp",
                        line=float(line),
                        floor=floor,
                    )
                )
            )
            item |= poverty_row(whole[0])
            item["by"] = groups
        else:
            item |= groups[""]
        out.append(item)
    return {"division": division_code, "year": year, "missing": missing, "lines": out}


def registry_inequality(
    *,
    division_code: str,
    year: int,
    epsilons: tuple[float, ...] = (0.5, 1.0, 2.0),
    alphas: tuple[float, ...] = (2.0,),
    by: str | None = None,
    floor: float | None = None,
) -> dict[str, Any]:
    """Inequality of the per-capita net income of a division's registered persons for a year:
    ``{"division", "year", "missing", n, mean, gini, theil_t, mld, hoover, atkinson: {ε: …},
    ge: {α: …}, "by"?}`` (keys of atkinson/ge are the parameters as text)."""
    t, missing = _recorded(division_code, year, by)
    f = ix.frame(t, income="y", weight="w", by="grp", floor=floor)
    if floor is None:
        _guard(lambda: ix.raise_for(_rows(ix.checks(f))[0], logs=True))

    def profile(table: ir.Table) -> list[dict[str, Any]]:
        return _rows(
            _guard(
                lambda: ix.inequality_profile(
                    table,
                    income="y",
                    weight="w",
                    by="grp",
                    epsilons=epsilons,
                    alphas=alphas,
                    floor=floor,
                )
            )
        )

    eps_keys = [number_key(e) for e in epsilons]
    alpha_keys = [number_key(a) for a in alphas]

    def shape(r: dict[str, Any]) -> dict[str, Any]:
        return inequality_row(r, eps_keys, alpha_keys)

    try:
        result: dict[str, Any] = {"division": division_code, "year": year, "missing": missing}
        if by:
            result |= shape(profile(t.mutate(grp=ibis.literal("")))[0])
            result["by"] = {r["g"]: shape(r) for r in profile(t)}
        else:
            result |= shape(profile(t)[0])
    except ix.IndicesError as exc:
        raise FupinError(exc.code, exc.message) from exc
    return result


@dataclass(frozen=True)
class WhatIfLine:
    line: Decimal
    persons: float
    poor: float
    incidence: float
    p1: float
    p2: float
    gap_total: Decimal
    villages: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class WhatIf:
    division: str
    year: int
    missing: int
    lines: list[WhatIfLine]

    def as_dict(self) -> dict[str, Any]:
        return {
            "division": self.division,
            "year": self.year,
            "missing": self.missing,
            "lines": [
                {
                    "line": str(w.line),
                    "persons": w.persons,
                    "poor": w.poor,
                    "incidence": w.incidence,
                    "P1": w.p1,
                    "P2": w.p2,
                    "gap_total": str(w.gap_total),
                    "villages": w.villages,
                }
                for w in self.lines
            ],
        }


def whatif_village_table(t: ir.Table, line: float) -> ir.Table:
    """Per village: persons n, poor persons q, Σw·g, Σw·g², the gap in yuan (FGT sums)."""
    z = ibis.literal(float(line))
    poor = t.y < z
    gap = (z - t.y) / z
    return t.group_by(village="grp").aggregate(
        n=t.w.sum(),
        q=ibis.ifelse(poor, t.w, 0.0).sum(),
        s1=ibis.ifelse(poor, t.w * gap, 0.0).sum(),
        s2=ibis.ifelse(poor, t.w * gap * gap, 0.0).sum(),
        yuan=ibis.ifelse(poor, t.w * (z - t.y), 0.0).sum(),
    )


def registry_whatif(*, division_code: str, year: int, lines: list[Decimal] | None = None) -> WhatIf:
    """For each line (default :func:`default_sweep`): poor persons, incidence (poor persons /
    persons with recorded income), P1, P2, the yuan to close the gap, and per village its
    persons, poor persons and incidence — the caller compares them with its thresholds.
    Without any recorded income every figure is 0 (``missing`` says how many households lack
    one).

    The FGT measures are additive over villages (FGT 1984), so one grouped statement per line
    gives both the villages and the division.
    """
    lines = lines or default_sweep(year)
    for line in lines:
        _guard(lambda line=line: ix.check_line(float(line)))
    t, missing = _recorded(division_code, year, "village", allow_empty=True)
    out = []
    for line in lines:
        rows = _rows(whatif_village_table(t, float(line)).order_by("village"))
        n = sum(float(r["n"]) for r in rows)
        q = sum(float(r["q"]) for r in rows)
        out.append(
            WhatIfLine(
                line=Decimal(line),
                persons=n,
                poor=q,
                incidence=q / n if n else 0.0,
                p1=sum(float(r["s1"]) for r in rows) / n if n else 0.0,
                p2=sum(float(r["s2"]) for r in rows) / n if n else 0.0,
                gap_total=money(sum(float(r["yuan"]) for r in rows)),
                villages={
                    r["village"]: {
                        "persons": float(r["n"]),
                        "poor": float(r["q"]),
                        "incidence": float(r["q"]) / float(r["n"]),
                    }
                    for r in rows
                },
            )
        )
    return WhatIf(division=division_code, year=year, missing=missing, lines=out)
