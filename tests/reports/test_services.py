"""Rollups: equal to direct counts at every level; incremental refresh touches only what changed."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from fupin.assessment.models import AssessmentResult
from fupin.assessment.services import assessment_run
from fupin.policy import codes
from fupin.registry.models import Household, LivingConditions, Member
from fupin.registry.services import (
    HouseholdData,
    MemberData,
    conditions_update,
    household_register,
    income_record,
    member_add,
)
from fupin.reports.models import (
    NATIONAL,
    STATUS_COLUMNS,
    DirtyVillage,
    DivisionRollup,
    RollupCount,
)
from fupin.reports.services import rollups_mark_dirty, rollups_refresh, rollups_refresh_dirty
from tests.conftest import COUNTY, YEAR
from tests.registry.flatfiles import make_id

LENGTHS = (0, 2, 4, 6, 9, 12)


def _direct(year: int) -> dict[str, dict[str, int]]:
    """Count the registry directly, household by household, for every prefix of every village."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    persons = Counter(Member.objects.values_list("household_id", flat=True))
    results = {
        hid: (meets, failed)
        for hid, meets, failed in AssessmentResult.objects.filter(year=year).values_list(
            "household_id", "meets_standard", "failed_codes"
        )
    }
    births: dict[int, list[int]] = defaultdict(list)
    for hid, born in Member.objects.values_list("household_id", "birth_date"):
        births[hid].append(born.year)
    conditions = {
        c[0]: c[1:]
        for c in LivingConditions.objects.values_list(
            "household_id", "house_grade", "water_safe", "road_type"
        )
    }
    rows = Household.objects.filter(first_identified_year__lte=year).values_list(
        "id", "village_id", "status", "main_cause", "attribute"
    )
    for hid, village, status, cause, attribute in rows:
        # The deep-poverty counts (fupin.policy.deep_poverty's definitions, kind "dp").
        dp: Counter[str] = Counter()
        if status != "removed":
            if status in ("poor", "returned"):
                n = persons[hid]
                dp["dibao_tekun_persons"] += n if attribute in ("dibao", "tekun") else 0
                dp["illness_disability_persons"] += n if cause in ("illness", "disability") else 0
                dp["elderly_poor_persons"] += sum(1 for b in births[hid] if year - b >= 60)
            if hid in conditions:
                grade, water, road = conditions[hid]
                dp["unsafe_housing_households"] += grade in ("C", "D")
                dp["housing_recorded"] += bool(grade)
                dp["no_safe_water_households"] += water is False
                dp["water_recorded"] += water is not None
                dp["no_hardened_road_households"] += road in ("dirt", "gravel")
                dp["road_recorded"] += bool(road)
        for length in LENGTHS:
            d = out[village[:length]]
            d["households"] += 1
            d["persons"] += persons[hid]
            d[f"{status}_households"] += 1
            d[f"{status}_persons"] += persons[hid]
            d[f"cause:{cause}"] += 1
            if status != "removed":
                d[f"attribute:{attribute}"] += 1
            if status == "poor":
                d[f"attr_poor:{attribute}"] += 1
            for key, n in dp.items():
                d[f"dp:{key}"] += n
            if hid in results:
                meets, failed = results[hid]
                d["assessed_households"] += 1
                d["meets_standard_households"] += int(meets)
                for code in filter(None, failed.split("|")):
                    d[f"failed:{code}"] += 1
    return {code: {k: v for k, v in d.items() if v} for code, d in out.items()}


def _stored(year: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    fields = [
        "households",
        "persons",
        *(f"{s}_{w}" for s in STATUS_COLUMNS for w in ("households", "persons")),
        "assessed_households",
        "meets_standard_households",
    ]
    for row in DivisionRollup.objects.filter(year=year).values("division_code", *fields):
        out[row.pop("division_code")].update({k: v for k, v in row.items() if v})
    for code, kind, key, n in RollupCount.objects.filter(year=year).values_list(
        "division_code", "kind", "key", "households"
    ):
        if n:
            out[code][f"{kind}:{key}"] = n
    return out


@pytest.fixture
def assessed(registry: Path) -> None:
    assessment_run(division_code=COUNTY, year=YEAR)


def test_status_columns_are_the_code_list() -> None:
    assert codes.POVERTY_STATUS.codes == STATUS_COLUMNS


@pytest.mark.usefixtures("assessed")
def test_rollups_equal_direct_counts_at_every_level() -> None:
    report = rollups_refresh()

    direct = _direct(YEAR)
    stored = _stored(YEAR)
    assert stored == direct
    # Every level is there: the country, the province, prefecture, county, townships, villages.
    assert {len(c) for c in stored} == set(LENGTHS)
    assert stored[NATIONAL]["households"] == Household.objects.count() > 0
    assert stored[NATIONAL]["failed:INCOME_ABOVE_LINE"] > 0
    assert report.years == (YEAR,)
    assert report.villages == sum(1 for c in stored if len(c) == 12)


@pytest.mark.usefixtures("assessed")
def test_refresh_of_a_subtree_and_year_leaves_the_rest_and_equals_a_full_refresh() -> None:
    rollups_refresh()
    full = _stored(YEAR)
    township = next(c for c in full if len(c) == 9)
    DivisionRollup.objects.filter(division_code__startswith=township).update(households=0)
    untouched = DivisionRollup.objects.exclude(division_code__startswith=township[:6]).exclude(
        division_code__in=["", township[:2], township[:4]]
    )
    before = dict(untouched.values_list("division_code", "updated_at"))

    rollups_refresh(division_code=township, year=YEAR)

    assert _stored(YEAR) == full
    # Rows outside the township and its ancestors were not rewritten… except the county's
    # other townships, which are not ancestors either.
    assert dict(untouched.values_list("division_code", "updated_at")) == before


def _snapshot() -> dict[tuple[str, int], tuple[Any, ...]]:
    return {
        (r.division_code, r.year): (r.updated_at, r.households, r.persons, r.poor_households)
        for r in DivisionRollup.objects.all()
    }


@pytest.mark.usefixtures("assessed")
def test_registering_a_household_refreshes_exactly_its_village_and_ancestors() -> None:
    rollups_refresh()
    assert not DirtyVillage.objects.exists()
    village = Household.objects.order_by("id").values_list("village_id", flat=True).first()
    assert village
    before = _snapshot()

    household_register(
        village_code=village,
        data=HouseholdData(code="R-0001", main_cause="因病", first_identified_year=YEAR),
        members=[
            MemberData(
                name="王大", id_number=make_id("1975-05-05", 13), relation="户主", ethnicity="彝族"
            ),
            MemberData(
                name="王二", id_number=make_id("1977-07-07", 24), relation="配偶", ethnicity="彝族"
            ),
        ],
    )
    assert set(DirtyVillage.objects.values_list("village_code", flat=True)) == {village}

    report = rollups_refresh_dirty()

    after = _snapshot()
    changed = {key for key in after if after[key] != before.get(key)}
    ancestors = {village[:n] for n in LENGTHS}
    assert changed == {(code, YEAR) for code in ancestors}
    for code in ancestors:
        old, new = before[(code, YEAR)], after[(code, YEAR)]
        assert (new[1] - old[1], new[2] - old[2], new[3] - old[3]) == (1, 2, 1)
    assert report.villages == 1
    assert not DirtyVillage.objects.exists()
    assert _stored(YEAR) == _direct(YEAR)


def test_refresh_dirty_with_nothing_marked_does_nothing(db: None) -> None:
    report = rollups_refresh_dirty()

    assert (report.villages, report.rows) == (0, 0)


@pytest.mark.usefixtures("registry")
def test_bulk_import_marks_its_villages_dirty() -> None:
    villages = set(Household.objects.values_list("village_id", flat=True))

    assert set(DirtyVillage.objects.values_list("village_code", flat=True)) == villages


@pytest.mark.usefixtures("registry")
def test_member_income_and_conditions_changes_mark_the_village() -> None:
    household = Household.objects.order_by("id").first()
    assert household is not None
    DirtyVillage.objects.all().delete()

    member_add(
        household=household,
        data=MemberData(
            name="王三", id_number=make_id("2010-03-03", 31), relation="之子", ethnicity="彝族"
        ),
    )
    income_record(household=household, year=YEAR, items={"wage": 1000})
    conditions_update(household=household, data={"house_grade": "D级"})

    assert (
        list(DirtyVillage.objects.values_list("village_code", flat=True))
        == [household.village_id] * 3
    )


def test_a_village_that_lost_its_households_loses_its_rows(registry: Path) -> None:
    rollups_refresh()
    village = Household.objects.order_by("id").values_list("village_id", flat=True).first()
    assert village
    Household.objects.filter(village_id=village).delete()
    rollups_mark_dirty(village_codes=[village])

    rollups_refresh_dirty()

    assert not DivisionRollup.objects.filter(division_code=village).exists()
    assert not RollupCount.objects.filter(division_code=village).exists()
    assert _stored(YEAR) == _direct(YEAR)
