"""The demo generator of village facts (村情) and county statistics follows the registry."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Count, Sum

from fupin.common.errors import FupinError
from fupin.registry.models import Member
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.synth.village_facts import village_facts_generate

COUNTY = "513431"
YEAR = 2016


def _snapshot() -> list[tuple[object, ...]]:
    return list(
        VillageFacts.objects.order_by("village_id").values_list(
            "village_id", "population", "road_hardened", "broadband", "collective_income"
        )
    )


def test_every_village_with_households_gets_facts_and_the_county_its_statistics(
    registry: Path,
) -> None:
    result = village_facts_generate(county_code=COUNTY, year=YEAR, seed=3, depth=0.3)

    persons = dict(
        Member.objects.exclude(household__status="removed")
        .values("household__village_id")
        .annotate(n=Count("pk"))
        .values_list("household__village_id", "n")
    )
    facts = {f.village_id: f for f in VillageFacts.objects.filter(year=YEAR)}
    assert set(facts) == set(persons) and result.villages == len(persons)
    for code, f in facts.items():
        assert f.population is not None and f.population >= persons[code]
        if f.natural_villages is not None and f.natural_villages_road is not None:
            assert f.natural_villages_road <= f.natural_villages
    stats = CountyStatistics.objects.get(county_id=COUNTY, year=YEAR)
    total = VillageFacts.objects.filter(year=YEAR).aggregate(s=Sum("population"))["s"]
    assert stats.rural_population == total == result.population
    assert stats.rural_disposable_income is not None
    assert Decimal(8000) <= stats.rural_disposable_income <= Decimal(12000)
    # The incidence (poor persons over the population) near the depth asked for.
    poor = Member.objects.filter(household__status__in=["poor", "returned"]).count()
    assert 0.15 < poor / total < 0.4


def test_it_is_deterministic_by_seed_and_replaces_its_rows(registry: Path) -> None:
    village_facts_generate(county_code=COUNTY, year=YEAR, seed=3, depth=0.3)
    first = _snapshot()
    village_facts_generate(county_code=COUNTY, year=YEAR, seed=4, depth=0.3)
    assert _snapshot() != first
    village_facts_generate(county_code=COUNTY, year=YEAR, seed=3, depth=0.3)
    assert _snapshot() == first
    assert CountyStatistics.objects.count() == 1


def test_a_deeper_county_has_worse_infrastructure_and_lower_income(registry: Path) -> None:
    deep = village_facts_generate(county_code=COUNTY, year=2016, seed=1, depth=0.35)
    shallow = village_facts_generate(county_code=COUNTY, year=2017, seed=1, depth=0.05)

    def share(year: int, field: str) -> float:
        qs = VillageFacts.objects.filter(year=year, **{f"{field}__isnull": False})
        return qs.filter(**{field: True}).count() / qs.count()

    for field in ("road_hardened", "broadband", "clinic_qualified_doctor"):
        assert share(2016, field) < share(2017, field), field
    assert deep.rural_disposable_income < shallow.rural_disposable_income
    assert deep.population < shallow.population
    # Some facts are left blank (not recorded).
    assert VillageFacts.objects.filter(broadband__isnull=True).exists()


def test_depth_outside_0_1_is_refused(registry: Path) -> None:
    with pytest.raises(FupinError) as exc:
        village_facts_generate(county_code=COUNTY, year=YEAR, seed=1, depth=1.5)
    assert exc.value.code == "SYNTH_DEPTH_INVALID"
