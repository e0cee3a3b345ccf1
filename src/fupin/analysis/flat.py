"""The deep-poverty inputs over a flat registry file, without Django (for DuckDB and Spark).

One row per person with the household's facts on every row (``fupin.registry.imports.columns``);
birth dates come from the ID numbers, net income from the income items of the head's row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from fupin.policy import deep_poverty as dp
from fupin.registry.imports.columns import INCOME_ITEMS


def flat_inputs(
    flat: ir.Table,
    *,
    villages: ir.Table | None = None,
    counties: ir.Table | None = None,
    division_code: str = "",
) -> dp.Inputs:
    """The inputs over a flat registry file (one row per person, household facts on every
    row; birth dates from the ID numbers), with optional village-facts and county tables in
    the logical schemas (absent: every such figure is not recorded)."""
    if division_code:
        flat = flat.filter(flat.village_code.startswith(division_code))
    heads = flat.filter(flat.relation == "head")
    hid = heads.household_code
    income = heads.filter(heads.income_year.notnull())

    def money(name: str) -> ir.FloatingValue:
        return income[name].cast("float64").fill_null(0)

    net = sum((money(n) for n in INCOME_ITEMS), ibis.literal(0.0)) - money("operating_cost")

    def empty(name: str) -> ir.Table:
        return ibis.memtable(
            {k: [] for k in dp.SCHEMAS[name]}, schema=ibis.schema(dp.SCHEMAS[name])
        )

    return dp.Inputs(
        household=heads.select(
            id=hid,
            village_id=heads.village_code.cast("string"),
            status=heads.status,
            attribute=heads.attribute,
            main_cause=heads.main_cause,
            first_identified_year=heads.first_identified_year.cast("int64"),
        ),
        member=flat.select(
            household_id=flat.household_code,
            birth_date=flat.id_number.cast("string").substr(6, 8).as_date("%Y%m%d"),
        ),
        income=income.select(
            household_id=income.household_code,
            year=income.income_year.cast("int64"),
            household_size=income.household_size.cast("int64"),
            net_income=net,
        ),
        conditions=heads.select(
            household_id=hid,
            house_grade=heads.house_grade.cast("string"),
            water_safe=heads.water_safe.cast("boolean"),
            road_type=heads.road_type.cast("string"),
        ),
        village=villages if villages is not None else empty("village"),
        county=counties if counties is not None else empty("county"),
    )


def read_table_file(con: Any, path: Path) -> ir.Table:
    """Open a CSV or Parquet file as an Ibis table (DuckDB)."""
    if Path(path).suffix.lower() == ".parquet":
        return con.read_parquet(str(path))
    return con.read_csv(str(path))
