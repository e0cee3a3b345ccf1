"""The Alkire–Foster MPI over the registry: one selector, run inside the database.

The household indicator table is built as Ibis over the registry tables (the facts of the
household standard, so school age and dropout mean what the assessment means by them), the
MPI definition of ``fupin.policy.indices.mpi`` is compiled to the connected database's SQL, and
only the aggregate rows come back. Households are weighted by their size (persons).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import ibis
from django.db import connection

from fupin.assessment import adapters
from fupin.common.errors import FupinError
from fupin.divisions.models import CODE_LENGTH, Division
from fupin.policy.indices import mpi
from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterSet
from fupin.policy.rules.base import Context
from fupin.policy.rules.household_2016 import HOUSEHOLD_STANDARD_2016
from fupin.registry.models import LivingConditions

#: ``by_level`` default: decompose by the divisions one level below the given one.
NEXT_LEVEL: Final = 0

#: The unit weight of the registry runs: persons in the household (the income record's size).
WEIGHT_COLUMN = "household_size"


@dataclass(frozen=True)
class RegistryMpi:
    """The MPI of a division's registered households in a year, with its decomposition."""

    division_code: str
    division_name: str
    year: int
    line: Decimal | None  # None: each household's own line for the year
    result: mpi.MpiResult
    names: dict[str, str]  # group code → division name

    @property
    def excluded(self) -> int:
        """Households left out because an indicator (or their size) is not recorded."""
        return self.result.excluded

    def as_dict(self) -> dict[str, Any]:
        out = self.result.as_dict()
        out["excluded"] = self.excluded
        return out


def _rows(sql: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cols = [c[0] for c in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]


def household_indicator_table(
    *, division_code: str, year: int, line: Decimal | None, parameters: ParameterSet
) -> ibis.Table:
    """Unbound Ibis table of the default indicators of a division's live households."""
    scope = adapters.division_scope(division_code)
    inputs = adapters.registry_inputs(division_code, restrict_facts=scope.restrict_facts)
    ctx = Context(year=year, parameters=parameters)
    if line is None:
        ctx.national_line  # noqa: B018 (refuse a year without a line before any SQL)
    facts = HOUSEHOLD_STANDARD_2016.facts(inputs, ctx)
    water = ibis.table(
        {"household_id": "int64", "water_difficult": "boolean"},
        name=LivingConditions._meta.db_table,
    )
    return mpi.household_indicators(facts, water, line=line)


def registry_mpi(
    *,
    division_code: str,
    year: int,
    indicators: Sequence[mpi.Indicator] | None = None,
    k: float = mpi.DEFAULT_K,
    by_level: int | None = NEXT_LEVEL,
    line: Decimal | None = None,
    parameters: ParameterSet = DEFAULT_PARAMETERS,
) -> RegistryMpi:
    """Run the MPI over the registered households of a division for a year.

    ``indicators`` default to ``mpi.REGISTRY_INDICATORS`` (columns of
    ``mpi.household_indicators``); ``by_level`` is the division level (1–5) to decompose by,
    ``NEXT_LEVEL`` the one below the division, None none. ``line`` replaces each household's
    own poverty line (national or regional standard of the year) when given. Raise
    ``FupinError`` for an unknown division, ``MpiError`` for bad indicators or no household
    with every indicator recorded, ``ParameterError`` for a year without a line.
    """
    division = Division.objects.filter(code=division_code).only("code", "name", "level").first()
    if division is None:
        raise FupinError("DIVISION_UNKNOWN", f"没有区划 {division_code}")
    if line is not None and line <= 0:
        raise FupinError("MPI_LINE_INVALID", f"扶贫标准 {line} 元无效：必须大于 0")
    spec = mpi.MpiSpec(tuple(indicators or mpi.REGISTRY_INDICATORS), k=k)
    level = division.level + 1 if by_level == NEXT_LEVEL else by_level
    if level is not None and not division.level < level <= max(CODE_LENGTH):
        level = None  # a village has no level below it
    table = household_indicator_table(
        division_code=division_code, year=year, line=line, parameters=parameters
    )
    total = _rows(adapters.to_sql(mpi.mpi_table(table, spec, weight=WEIGHT_COLUMN)))[0]
    groups = None
    if level is not None:
        grouped = table.mutate(_division=table.village_id.substr(0, CODE_LENGTH[level]))
        sql = adapters.to_sql(mpi.mpi_table(grouped, spec, weight=WEIGHT_COLUMN, by="_division"))
        groups = _rows(sql)
    result = mpi.result_from_rows(spec, total, groups, weighted=True)
    names: dict[str, str] = {}
    if result.by:
        names = dict(Division.objects.filter(code__in=list(result.by)).values_list("code", "name"))
    return RegistryMpi(
        division_code=division.code,
        division_name=division.name,
        year=year,
        line=line,
        result=result,
        names=names,
    )
