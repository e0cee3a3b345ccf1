"""household_search: the one filter behind the household list, its export and the API."""

from __future__ import annotations

import pytest

from fupin.assessment.services import assessment_run
from fupin.common.errors import FupinError
from fupin.registry.models import Household, Member
from fupin.registry.selectors import HouseholdFilters, household_search
from tests.conftest import COUNTY, YEAR


def codes(scope: str = COUNTY, **filters: object) -> set[str]:
    qs = household_search(scope=scope, filters=HouseholdFilters(**filters))  # type: ignore[arg-type]
    return set(qs.values_list("code", flat=True))


def test_no_filter_lists_every_household_in_scope(registry: object) -> None:
    assert len(codes()) == Household.objects.count()
    assert codes(scope="11") == set()


def test_search_by_id_number_finds_exactly_that_household(registry: object) -> None:
    member = Member.objects.select_related("household").first()
    assert member is not None

    assert codes(q=member.id_number) == {member.household.code}
    assert codes(q=member.id_number.lower()) == {member.household.code}


def test_search_by_name_prefix_and_by_household_code(registry: object) -> None:
    member = Member.objects.select_related("household").first()
    assert member is not None

    assert member.household.code in codes(q=member.name[:2])
    assert member.household.code in codes(q=member.household.code)
    assert all(c.startswith(member.household.code) for c in codes(q=member.household.code))


def test_a_division_outside_the_scope_yields_nothing(registry: object) -> None:
    village = Household.objects.values_list("village_id", flat=True).first()
    assert village is not None

    assert codes(scope=village[:9], division=COUNTY) == set()
    inside = codes(scope=COUNTY, division=village)
    assert inside and inside == set(
        Household.objects.filter(village_id=village).values_list("code", flat=True)
    )


def test_a_malformed_division_is_refused(registry: object) -> None:
    with pytest.raises(FupinError) as refused:
        codes(division="5134x")
    assert refused.value.code == "DIVISION_UNKNOWN"


def test_cause_matches_main_and_other_causes(registry: object) -> None:
    found = codes(cause="illness")
    expected = set(
        Household.objects.filter(main_cause="illness").values_list("code", flat=True)
    ) | set(Household.objects.filter(other_cause_1="illness").values_list("code", flat=True))
    assert found >= expected and found


def test_failing_guarantee_follows_the_assessment(registry: object) -> None:
    assessment_run(division_code=COUNTY, year=YEAR)
    failing = codes(failing="INCOME_ABOVE_LINE", year=YEAR)

    from fupin.assessment.models import AssessmentResult

    expected = set(
        AssessmentResult.objects.filter(year=YEAR, income_above_line=False).values_list(
            "household__code", flat=True
        )
    )
    assert failing == expected and failing
