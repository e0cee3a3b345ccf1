"""The village exit assessment reads the village facts (村情) of the year: each recorded fact
decides its condition; a fact not recorded is reported as missing and never counts as met."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin.assessment.services import assessment_run
from fupin.evaluation import services
from fupin.evaluation.models import VillageExitAssessment
from fupin.registry.models import Household
from fupin.registry.village_services import village_facts_save

COUNTY = "513431"
YEAR = 2016
ALL_MET = {
    "road_hardened": "是",
    "power_grid": "是",
    "clinic_qualified_doctor": "是",
    "cultural_room": "是",
    "industry": "是",
    "safe_water_share": "100",
    "collective_income": "50000",
}


@pytest.fixture
def village(registry: Path) -> str:
    assessment_run(division_code=COUNTY, year=YEAR)
    code = Household.objects.order_by("village_id").values_list("village_id", flat=True).first()
    assert code is not None
    return code


def _assess(village: str) -> VillageExitAssessment:
    services.village_exit_assess(division_code=COUNTY, year=YEAR)
    return VillageExitAssessment.objects.get(village_id=village, year=YEAR)


def test_recorded_facts_decide_the_conditions_and_the_population(village: str) -> None:
    poor = _assess(village).poor_persons
    village_facts_save(
        village_code=village,
        year=YEAR,
        data={**ALL_MET, "population": max(1, poor) * 100},
        by=None,
    )
    row = _assess(village)
    assert row.population == max(1, poor) * 100
    for code in (
        "road",
        "electricity",
        "water",
        "public_services",
        "industry",
        "collective_income",
    ):
        assert row.conditions[code]["value"] is True, code
        assert row.conditions[code]["source"] == "village_facts", code
    assert row.decision == "exit"


def test_a_fact_not_recorded_is_missing_and_blocks_exit(village: str) -> None:
    poor = _assess(village).poor_persons
    data = {**ALL_MET, "population": max(1, poor) * 100}
    del data["cultural_room"]
    village_facts_save(village_code=village, year=YEAR, data=data, by=None)
    row = _assess(village)
    assert row.conditions["public_services"] == {
        "value": None,
        "source": "unknown",
        "detail": "村情未录入：有综合性文化服务中心",
    }
    assert row.decision == "pending"
    assert "基本公共服务" in row.explanation["explanation"]


def test_a_fact_recorded_as_no_fails_its_condition(village: str) -> None:
    village_facts_save(
        village_code=village,
        year=YEAR,
        data={**ALL_MET, "road_hardened": "否", "safe_water_share": "60"},
        by=None,
    )
    row = _assess(village)
    assert row.conditions["road"]["value"] is False
    assert row.conditions["water"]["value"] is False and "60%" in row.conditions["water"]["detail"]
    assert row.decision == "no_exit" and "road" in row.explanation["failing"]


def test_facts_of_another_year_are_not_read(village: str) -> None:
    village_facts_save(village_code=village, year=YEAR + 1, data=ALL_MET, by=None)
    row = _assess(village)
    assert row.conditions["road"]["source"] == "unknown"
    assert row.conditions["electricity"]["source"] == "registry"
