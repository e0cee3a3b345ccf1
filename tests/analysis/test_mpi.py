"""The MPI over the registry (fupin.analysis.mpi.registry_mpi), run in the database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from django.db import connection

from fupin.analysis import mpi as amp
from fupin.assessment import adapters
from fupin.common.errors import FupinError
from fupin.policy.indices import mpi
from fupin.registry.models import Household, HouseholdIncome, LivingConditions

COUNTY = "513431"
YEAR = 2016


def indicator_rows(line: Decimal | None = None) -> pa.Table:
    """The household indicator table as the database computes it."""
    table = amp.household_indicator_table(
        division_code=COUNTY, year=YEAR, line=line, parameters=amp.DEFAULT_PARAMETERS
    )
    with connection.cursor() as cursor:
        cursor.execute(adapters.to_sql(table))
        cols = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    return pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})


def live_households() -> Any:
    return Household.objects.filter(village__code__startswith=COUNTY).exclude(status="removed")


@pytest.mark.django_db
def test_county_mpi_decomposes_by_township(registry: Path) -> None:
    run = amp.registry_mpi(division_code=COUNTY, year=YEAR)
    r = run.result
    assert run.division_name and r.by
    assert all(len(code) == 9 and code.startswith(COUNTY) for code in r.by)
    assert set(run.names) == set(r.by)  # every township named
    # Weighted by household size: n counts persons, not households.
    persons = sum(
        HouseholdIncome.objects.filter(household__in=live_households(), year=YEAR).values_list(
            "household_size", flat=True
        )
    )
    assert 0 < r.total.n <= persons
    assert 0 < r.total.q <= r.total.n
    assert sum(g.share or 0 for g in r.by.values()) == pytest.approx(1.0)
    assert sum((g.share or 0) * (g.M0 or 0) for g in r.by.values()) == pytest.approx(r.total.M0)
    assert sum(v or 0 for v in r.total.contribution.values()) == pytest.approx(1.0)
    assert set(r.total.censored_headcount) == {i.column for i in mpi.REGISTRY_INDICATORS}
    assert run.as_dict()["excluded"] == run.excluded


@pytest.mark.django_db
def test_registry_sql_equals_duckdb_on_the_same_households(registry: Path) -> None:
    rows = indicator_rows()
    spec = mpi.MpiSpec(mpi.REGISTRY_INDICATORS, k=mpi.DEFAULT_K)
    duck = mpi.compute(ibis.memtable(rows), spec, weight="household_size", check=False)
    run = amp.registry_mpi(division_code=COUNTY, year=YEAR, by_level=None)
    assert run.result.by is None
    for key in ("n", "q", "H", "A", "M0"):
        assert getattr(run.result.total, key) == pytest.approx(getattr(duck.total, key)), key
    assert run.result.total.censored_headcount == pytest.approx(duck.total.censored_headcount)
    assert run.excluded == duck.excluded


@pytest.mark.django_db
def test_indicators_follow_the_registry_facts(registry: Path) -> None:
    rows = indicator_rows().to_pylist()
    households = live_households()
    assert len(rows) == households.count()
    unsafe = LivingConditions.objects.filter(
        household__in=households, house_grade__in=["C", "D"]
    ).count()
    assert sum(1 for r in rows if r["unsafe_housing"] == 1) == unsafe
    unsafe_water = (
        LivingConditions.objects.filter(household__in=households).filter(water_safe=False).count()
    )
    assert sum(1 for r in rows if r["no_safe_water"] == 1) >= unsafe_water
    # A line of 1 yuan: no household with a recorded income is below it.
    assert all(r["income_below_line"] in (0, None) for r in indicator_rows(Decimal(1)).to_pylist())


@pytest.mark.django_db
def test_household_without_income_record_is_excluded(registry: Path) -> None:
    before = amp.registry_mpi(division_code=COUNTY, year=YEAR, by_level=None)
    income = HouseholdIncome.objects.filter(household__in=live_households(), year=YEAR).first()
    assert income is not None
    size = income.household_size
    income.delete()
    after = amp.registry_mpi(division_code=COUNTY, year=YEAR, by_level=None)
    assert after.excluded == before.excluded + 1
    assert after.result.total.n == pytest.approx(before.result.total.n - size)


@pytest.mark.django_db
def test_higher_line_never_lowers_the_income_headcount(registry: Path) -> None:
    low = amp.registry_mpi(division_code=COUNTY, year=YEAR, line=Decimal("1000"), by_level=None)
    high = amp.registry_mpi(division_code=COUNTY, year=YEAR, line=Decimal("9000"), by_level=None)
    key = "income_below_line"
    assert (high.result.total.q or 0) >= (low.result.total.q or 0)
    assert (high.result.total.censored_headcount[key] or 0) >= (
        low.result.total.censored_headcount[key] or 0
    )


@pytest.mark.django_db
def test_custom_indicator_set_and_village_level(registry: Path) -> None:
    village = live_households().values_list("village_id", flat=True).first()
    assert village is not None
    run = amp.registry_mpi(
        division_code=village,
        year=YEAR,
        indicators=[mpi.Indicator("unsafe_housing", 1.0), mpi.Indicator("no_safe_water", 1.0)],
        k=1.0,
    )
    assert run.result.by is None  # nothing below a village
    assert set(run.result.total.censored_headcount) == {"unsafe_housing", "no_safe_water"}


@pytest.mark.django_db
def test_refusals(registry: Path) -> None:
    with pytest.raises(FupinError) as exc:
        amp.registry_mpi(division_code="999999", year=YEAR)
    assert exc.value.code == "DIVISION_UNKNOWN"
    with pytest.raises(mpi.MpiError) as bad:
        amp.registry_mpi(division_code=COUNTY, year=YEAR, indicators=[mpi.Indicator("nope", 1)])
    assert bad.value.code == mpi.MpiErrorCode.COLUMN_UNKNOWN
    with pytest.raises(mpi.MpiError) as bad:
        amp.registry_mpi(division_code=COUNTY, year=YEAR, k=0)
    assert bad.value.code == mpi.MpiErrorCode.K_INVALID
    with pytest.raises(FupinError) as exc:
        amp.registry_mpi(division_code=COUNTY, year=YEAR, line=Decimal(0))
    assert exc.value.code == "MPI_LINE_INVALID"
