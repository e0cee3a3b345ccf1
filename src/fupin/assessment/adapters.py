"""The facts adapter: bind the policy's logical input tables to where the facts live.

* the registry tables in SQLite/PostgreSQL (compiled to SQL, run in the database);
* a flat registry file (Parquet/CSV: one row per person) in DuckDB, for national batches;
* one household read through the ORM, for an explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
from django.db import connection

from fupin.policy.rules import Inputs
from fupin.registry.imports.columns import INCOME_ITEMS
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member

DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}


def registry_table_names() -> dict[str, str]:
    return {
        "household": Household._meta.db_table,
        "member": Member._meta.db_table,
        "income": HouseholdIncome._meta.db_table,
        "conditions": LivingConditions._meta.db_table,
    }


#: Below this share of the registry's live households, a division's run reads only its own
#: households' members, income and conditions (index lookups); at or above it, aggregating the
#: whole fact tables in one pass and joining them to the division's households is cheaper.
FACTS_FILTER_SHARE = 0.5


@dataclass(frozen=True)
class Scope:
    """How many live households a run covers, and whether to filter the fact tables."""

    households: int
    total: int
    restrict_facts: bool


def village_range(division_code: str) -> tuple[str, str, str]:
    """``LIKE`` pattern and the range beside it (SQLite's LIKE cannot use the index)."""
    return division_code + "%", division_code, division_code.ljust(12, "9")


def division_scope(division_code: str | None) -> Scope:
    """Count the live households under a division and in the whole registry (one scan)."""
    qn = connection.ops.quote_name
    village = qn("village_id")
    inside, params = "1", []
    if division_code:
        inside = f"CASE WHEN {village} LIKE %s AND {village} BETWEEN %s AND %s THEN 1 ELSE 0 END"
        params = list(village_range(division_code))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(SUM({inside}), 0) FROM "
            f"{qn(Household._meta.db_table)} WHERE {qn('status')} <> 'removed'",
            params,
        )
        total, households = (int(n) for n in cursor.fetchone())
    return Scope(
        households=households,
        total=total,
        restrict_facts=households < FACTS_FILTER_SHARE * total,
    )


def registry_inputs(division_code: str | None, *, restrict_facts: bool = True) -> Inputs:
    """Unbound inputs over the registry tables, limited to a division's live households.

    The households are always limited to the division; every fact reaches the rules through a
    left join on the household, so the members, income and conditions need no filter of their
    own. ``restrict_facts`` adds one anyway (worth it when the division is a small part of the
    registry): on SQLite as ``household_id IN (…)`` (index lookups per household), on
    PostgreSQL as a join (planned as a hash or merge join with real estimates, where ``IN``
    over the shared CTE was estimated at 200 rows and planned as 1.2M index probes).
    """
    base = Inputs.unbound(registry_table_names())
    h = base.household
    households = h.filter(h.status != "removed")
    if not division_code:
        return Inputs(households, base.member, base.income, base.conditions)
    # The range beside startswith lets SQLite use the village index (its LIKE cannot).
    households = households.filter(
        h.village_id.startswith(division_code),
        h.village_id >= division_code,
        h.village_id <= division_code.ljust(12, "9"),
    )
    if not restrict_facts:
        return Inputs(households, base.member, base.income, base.conditions)
    ids = households.select(scope_id=households.id)
    if connection.vendor == "postgresql":

        def within(t: ir.Table) -> ir.Table:
            return t.join(ids, t.household_id == ids.scope_id).drop("scope_id")

    else:

        def within(t: ir.Table) -> ir.Table:
            return t.filter(t.household_id.isin(ids.scope_id))

    return Inputs(
        household=households,
        member=within(base.member),
        income=within(base.income),
        conditions=within(base.conditions),
    )


def dialect() -> str:
    return DIALECTS[connection.vendor]


def to_sql(expr: ir.Table) -> str:
    """Compile an expression for the database Django is connected to."""
    return str(ibis.to_sql(expr, dialect=dialect()))


def flat_inputs(flat: ir.Table, division_code: str | None = None) -> Inputs:
    """Inputs over a flat registry file (one row per person; household facts on every row)."""
    if division_code:
        flat = flat.filter(flat.village_code.startswith(division_code))
    flat = flat.filter(flat.status != "removed")
    heads = flat.filter(flat.relation == "head")

    def money(name: str) -> ir.FloatingValue:
        return heads[name].cast("float64").fill_null(0)

    net = sum((money(n) for n in INCOME_ITEMS), ibis.literal(0.0)) - money("operating_cost")
    income = heads.filter(heads.income_year.notnull()).select(
        household_id=heads.household_code,
        year=heads.income_year.cast("int64"),
        household_size=heads.household_size.cast("int64"),
        net_income=net,
    )
    birth = flat.id_number.substr(6, 8).as_date("%Y%m%d")
    return Inputs(
        household=heads.select(
            id=heads.household_code,
            village_id=heads.village_code,
            standard=heads.standard,
            status=heads.status,
        ),
        member=flat.select(
            household_id=flat.household_code,
            birth_date=birth,
            school_status=flat.school_status,
            school_exempt_physical=flat.school_exempt_physical.cast("boolean"),
            basic_medical=flat.basic_medical.cast("boolean"),
        ),
        income=income,
        conditions=heads.select(
            household_id=heads.household_code,
            house_grade=heads.house_grade,
            food_secure=heads.food_secure.cast("boolean"),
            clothing_secure=heads.clothing_secure.cast("boolean"),
            water_safe=heads.water_safe.cast("boolean"),
            water_difficult=(
                heads.water_difficult.cast("boolean")
                if "water_difficult" in heads.columns
                else ibis.null("boolean")
            ),
        ),
    )


def read_flat(con: Any, path: Path) -> ir.Table:
    """Open a flat registry file (Parquet or CSV) in a DuckDB Ibis connection."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return con.read_parquet(str(path))
    if suffix == ".csv":
        return con.read_csv(str(path), all_varchar=False)
    raise ValueError(suffix)


def household_facts(household: Household, year: int) -> dict[str, Any]:
    """One household's facts as the policy's ``explain`` takes them (four small queries)."""
    members = list(
        Member.objects.filter(household=household).values(
            "birth_date", "school_status", "school_exempt_physical", "basic_medical"
        )
    )
    income = (
        HouseholdIncome.objects.filter(household=household, year=year)
        .values("year", "household_size", "net_income")
        .first()
    )
    if income is not None:
        income = {**income, "net_income": float(income["net_income"])}
    conditions = (
        LivingConditions.objects.filter(household=household)
        .values("house_grade", "food_secure", "clothing_secure", "water_safe", "water_difficult")
        .first()
    )
    return {
        "household": {
            "id": household.pk,
            "village_id": household.village_id,
            "standard": household.standard,
            "status": household.status,
        },
        "members": members,
        "income": income,
        "conditions": conditions,
    }
