"""Indices over the registry: the SQL run of the definitions equals the reference on the same
persons; households without an income record are missing, not poor; the what-if sweep."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from fupin.analysis.indices import (
    default_sweep,
    registry_inequality,
    registry_poverty,
    registry_whatif,
)
from fupin.common.errors import FupinError
from fupin.registry.models import HouseholdIncome
from tests.policy.indices import reference as ref

COUNTY, YEAR = "513431", 2016


def recorded() -> tuple[list[float], list[float], list[str]]:
    rows = HouseholdIncome.objects.filter(
        year=YEAR, household__village__code__startswith=COUNTY
    ).exclude(household__status="removed")
    y, w, v = [], [], []
    for net, size, village in rows.values_list(
        "net_income", "household_size", "household__village_id"
    ):
        y.append(float(net) / size)
        w.append(float(size))
        v.append(village)
    return y, w, v


@pytest.mark.django_db
def test_registry_poverty_equals_the_reference(registry: Path) -> None:
    y, w, _ = recorded()
    z = 3000.0
    got = registry_poverty(division_code=COUNTY, year=YEAR, lines=[Decimal(z)], floor=1.0)
    row = got["lines"][0]
    assert row["n"] == pytest.approx(sum(w))
    assert row["q"] == pytest.approx(ref.headcount(y, z, w))
    assert row["P1"] == pytest.approx(ref.fgt(y, z, 1, w), rel=1e-9)
    assert row["P2"] == pytest.approx(ref.fgt(y, z, 2, w), rel=1e-9)
    assert row["sen"] == pytest.approx(ref.sen(y, z, w), rel=1e-9)
    assert row["sst"] == pytest.approx(ref.sst(y, z, [int(x) for x in w]), rel=1e-9)
    assert row["gap_total"] == pytest.approx(
        Decimal(str(round(ref.gap_total(y, z, w), 2))), abs=Decimal("0.02")
    )
    assert isinstance(row["gap_total"], Decimal)


@pytest.mark.django_db
def test_registry_inequality_and_groups(registry: Path) -> None:
    y, w, villages = recorded()
    got = registry_inequality(division_code=COUNTY, year=YEAR, by="village", floor=1.0)
    floored = [max(v, 1.0) for v in y]
    assert got["gini"] == pytest.approx(ref.gini(y, w), rel=1e-9)
    assert got["mld"] == pytest.approx(ref.ge(floored, 0, w), rel=1e-9)
    assert set(got["by"]) == set(villages)
    assert set(got["atkinson"]) == {"0.5", "1", "2"} and set(got["ge"]) == {"2"}


@pytest.mark.django_db
def test_missing_income_records_are_counted_not_poor(registry: Path) -> None:
    first = HouseholdIncome.objects.filter(year=YEAR).order_by("id").first()
    assert first is not None
    before = registry_poverty(division_code=COUNTY, year=YEAR, lines=[Decimal(3000)], floor=1.0)
    first.delete()
    after = registry_poverty(division_code=COUNTY, year=YEAR, lines=[Decimal(3000)], floor=1.0)
    assert after["missing"] == before["missing"] + 1
    assert after["lines"][0]["n"] == before["lines"][0]["n"] - first.household_size


@pytest.mark.django_db
def test_a_year_without_income_is_refused(registry: Path) -> None:
    with pytest.raises(FupinError) as e:
        registry_poverty(division_code=COUNTY, year=1999, lines=[Decimal(2300)])
    assert e.value.code == "INDICES_EMPTY"


def test_default_sweep_is_2300_and_the_line_plus_minus_20_percent() -> None:
    sweep = default_sweep(YEAR)
    assert sweep[0] == Decimal(2300) and len(sweep) == 10
    assert sweep == sorted(sweep)


@pytest.mark.django_db
def test_whatif_is_monotone_and_villages_add_up(registry: Path) -> None:
    result = registry_whatif(division_code=COUNTY, year=YEAR)
    poor = [line.poor for line in result.lines]
    assert poor == sorted(poor)
    for line in result.lines:
        assert sum(v["poor"] for v in line.villages.values()) == pytest.approx(line.poor)
        assert line.incidence == pytest.approx(line.poor / line.persons)
    with pytest.raises(FupinError) as e:
        registry_whatif(division_code=COUNTY, year=YEAR, lines=[Decimal(0)])
    assert e.value.code == "INDICES_BAD_LINE"
