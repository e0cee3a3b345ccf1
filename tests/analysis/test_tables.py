"""The deep-poverty statistical table reads the rollups and the village/county facts; at every
level its counts and shares equal the registry's indicators (one answer on both paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin.analysis.deep_poverty import registry_indicators
from fupin.policy.deep_poverty import COUNTS
from fupin.registry.models import Household, LivingConditions
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.reports.services import rollups_refresh
from fupin.reports.tables import table_compute

COUNTY, YEAR = "513431", 2016


def world(skip_every: int) -> None:
    villages = sorted(set(Household.objects.values_list("village_id", flat=True)))
    # Some villages without a population: their townships' population is not known.
    VillageFacts.objects.bulk_create(
        [
            VillageFacts(
                village_id=v, year=YEAR, population=None if n % skip_every == 0 else 30 + n
            )
            for n, v in enumerate(villages)
        ]
    )
    CountyStatistics.objects.create(county_id=COUNTY, year=YEAR, rural_population=12345)
    # Blank facts: not recorded on both paths.
    some = list(Household.objects.values_list("id", flat=True)[:40])
    LivingConditions.objects.filter(household_id__in=some[:20]).update(house_grade="")
    LivingConditions.objects.filter(household_id__in=some[20:]).update(
        water_safe=None, road_type=""
    )
    rollups_refresh(division_code=COUNTY, year=YEAR)


def by_row(table) -> dict[str, dict[str, float | int | None]]:
    keys = [c.key for c in table.table.columns]
    return {r.code: dict(zip(keys, r.values, strict=True)) for r in table.rows}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("division", "level"),
    [("", "county"), ("5134", "county"), (COUNTY, "township"), ("513431100", "village")],
)
def test_the_table_equals_the_registry_indicators(
    registry: Path, division: str, level: str
) -> None:
    world(skip_every=7)
    table = table_compute(name="deep_poverty", division_code=division, year=YEAR)
    rows = by_row(table)
    indicators = registry_indicators(division_code=division or COUNTY, year=YEAR, level=level)
    length = table.row_level and {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}[table.row_level]
    want: dict[str, dict[str, int]] = {}
    for r in indicators:
        code = r["area"][:length]
        w = want.setdefault(
            code, {"poor": 0, "population": 0, "counted": 0, **dict.fromkeys(COUNTS, 0)}
        )
        w["poor"] += r["poor_persons"]
        if r["population"] is not None:
            w["population"] += r["population"]
            w["counted"] += r["poor_persons"]
        for k in COUNTS:
            w[k] += r[k]
    poor_rows = {c for c, v in rows.items() if v["poor_or_returned_persons"]}
    assert poor_rows == {c for c, w in want.items() if w["poor"]}
    assert set(want) <= set(rows)
    for code, w in want.items():
        got = rows[code]
        assert got["poor_or_returned_persons"] == w["poor"], code
        assert got["population"] == w["population"], code
        inc = round(100 * w["counted"] / w["population"], 1) if w["population"] else None
        assert got["incidence"] == inc, code

        def pct(num: str, den: str | int, w: dict[str, int] = w) -> float | None:
            d = w[den] if isinstance(den, str) else den
            return round(100 * w[num] / d, 1) if d else None

        assert got["unsafe_housing"] == pct("unsafe_housing_households", "housing_recorded")
        assert got["no_water"] == pct("no_safe_water_households", "water_recorded")
        assert got["no_road"] == pct("no_hardened_road_households", "road_recorded")
        assert got["elderly"] == pct("elderly_poor_persons", w["poor"]), code
        assert got["welfare"] == pct("dibao_tekun_persons", w["poor"]), code
        assert got["illness"] == pct("illness_disability_persons", w["poor"]), code
    if level == "township":
        # A township with a village lacking its population has no incidence.
        assert any(v["incidence"] is None for v in rows.values())
        assert any(v["incidence"] is not None for v in rows.values())


@pytest.mark.django_db
def test_the_table_reads_no_registry_table(registry: Path) -> None:
    world(skip_every=5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        table_compute(name="deep_poverty", division_code=COUNTY, year=YEAR)
    registry_tables = (Household._meta.db_table, LivingConditions._meta.db_table, "registry_member")
    assert not [
        q["sql"] for q in ctx.captured_queries if any(f'"{t}"' in q["sql"] for t in registry_tables)
    ]
