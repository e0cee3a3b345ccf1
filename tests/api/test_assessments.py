"""Assessments through the API: runs with their counts, a household's results and explanation,
each limited to the caller's division subtree."""

from __future__ import annotations

import pytest

from fupin.accounts.models import Role
from fupin.assessment.models import AssessmentResult
from fupin.assessment.services import assessment_run
from tests.conftest import COUNTY, YEAR


@pytest.fixture
def runs(places):
    """A county run and a run of the first household's township (both 2016)."""
    county = assessment_run(division_code=COUNTY, year=YEAR)
    township = assessment_run(division_code=places.village[:9], year=YEAR)
    return county, township


def test_runs_are_listed_latest_first_within_the_scope(api_as, runs):
    county, township = runs
    status, body = api_as(COUNTY).get("/assessments/runs")
    assert status == 200 and body["count"] == 2
    assert [r["id"] for r in body["items"]] == [township.pk, county.pk]
    status, body = api_as(township.division_id).get("/assessments/runs")
    assert [r["id"] for r in body["items"]] == [township.pk]


def test_runs_filter_by_division_and_year(api_as, runs):
    _, township = runs
    api = api_as(None, role=Role.ANALYST)
    assert api.get("/assessments/runs", division=township.division_id)[1]["count"] == 1
    assert api.get("/assessments/runs", year=YEAR + 1)[1]["count"] == 0


def test_a_run_with_its_summary_counts(api_as, runs):
    county, _ = runs
    status, body = api_as(COUNTY).get(f"/assessments/runs/{county.pk}")
    assert status == 200
    assert body["household_count"] == county.household_count > 0
    assert body["summary"]["households"] == county.household_count
    assert body["summary"]["meets_standard"] == county.meets_count
    failures = {f["code"]: f["failed"] for f in body["summary"]["failures"]}
    results = AssessmentResult.objects.filter(run=county)
    assert failures["INCOME_ABOVE_LINE"] == results.filter(income_above_line=False).count()
    assert body["parameters"]


def test_a_run_of_a_wider_division_looks_missing(api_as, places, runs):
    county, _ = runs
    status, body = api_as(places.village[:9]).get(f"/assessments/runs/{county.pk}")
    assert (status, body["code"]) == (404, "RUN_NOT_FOUND")
    status, body = api_as(COUNTY).get("/assessments/runs/999999")
    assert (status, body["code"]) == (404, "RUN_NOT_FOUND")


def test_the_results_of_a_household(api_as, places, runs):
    status, body = api_as(places.village).get(f"/households/{places.own.code}/assessments")
    assert status == 200 and len(body) == 1
    stored = AssessmentResult.objects.get(household=places.own)
    assert body[0]["run_id"] == stored.run_id  # the township run replaced the county's
    assert body[0]["meets_standard"] == stored.meets_standard
    assert body[0]["failed_codes"] == [c for c in stored.failed_codes.split("|") if c]


def test_the_explanation_by_household_code_or_member_id(api_as, places):
    api = api_as(places.village)
    status, body = api.get(f"/households/{places.own.code}/explanation", year=YEAR)
    assert status == 200 and body["household"] == places.own.code and len(body["rules"]) == 7
    head = places.own.members.get(relation="head")
    status, body = api.get(f"/households/{head.id_number}/explanation", year=YEAR)
    assert status == 200 and body["household"] == places.own.code


def test_an_explanation_for_a_year_without_a_poverty_line_is_400(api_as, places):
    status, body = api_as(places.village).get(
        f"/households/{places.own.code}/explanation", year=2001
    )
    assert status == 400 and body["code"] and body["message"]
