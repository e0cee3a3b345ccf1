"""The yearly dynamic adjustment: exit proposals from the assessment and one step for many."""

from __future__ import annotations

import pytest
from django.apps import apps

from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.registry.models import Household
from fupin.workflows.models import Case, Step
from fupin.workflows.services import (
    case_advance,
    case_open,
    exit_proposals_create,
    workflow_bulk_advance,
)
from tests.conftest import COUNTY, YEAR
from tests.workflows.conftest import MEETING


def ready(division: str):
    return Household.objects.filter(
        village__code__startswith=division,
        status__in=["poor", "returned"],
        assessments__year=YEAR,
        assessments__meets_standard=True,
    )


def test_exit_proposals_open_one_case_per_ready_household_once(cast):
    expected = set(ready(COUNTY).values_list("pk", flat=True))
    assert expected
    opened = exit_proposals_create(division_code=COUNTY, year=YEAR, by=cast.county)
    assert opened == len(expected)
    cases = Case.objects.filter(procedure="exit", state="proposed")
    assert set(cases.values_list("household_id", flat=True)) == expected
    assert (
        Step.objects.filter(code="propose", case__in=cases, assessed_meets=True).count() == opened
    )
    assert exit_proposals_create(division_code=COUNTY, year=YEAR, by=cast.county) == 0
    events = AuditEvent.objects.filter(action="wf.exit.propose", obj_type="household")
    assert events.count() == opened


def test_a_village_proposes_only_its_own_households(cast):
    opened = exit_proposals_create(division_code=cast.village, year=YEAR, by=cast.village_cadre)
    assert opened == ready(cast.village).count()
    with pytest.raises(FupinError) as exc:
        exit_proposals_create(division_code=COUNTY, year=YEAR, by=cast.village_cadre)
    assert exc.value.code == "WORKFLOW_OUT_OF_SCOPE"


def test_bulk_steps_take_the_whole_village_through_exit(cast, elapse):
    opened = exit_proposals_create(division_code=cast.village, year=YEAR, by=cast.village_cadre_2)
    by = cast.village_cadre
    assert (
        workflow_bulk_advance(
            division_code=cast.village, procedure="exit", step="appraise", by=by, data=MEETING
        )
        == opened
    )
    # Nothing is taken twice: a second run finds no case in the state before the step.
    assert (
        workflow_bulk_advance(
            division_code=cast.village, procedure="exit", step="appraise", by=by, data=MEETING
        )
        == 0
    )
    assert (
        workflow_bulk_advance(
            division_code=cast.village,
            procedure="exit",
            step="agree",
            by=by,
            data={"consent": True},
        )
        == opened
    )
    assert (
        workflow_bulk_advance(division_code=cast.village, procedure="exit", step="notice", by=by)
        == opened
    )
    if apps.is_installed("fupin.notices"):
        from fupin.notices.models import Notice

        assert Notice.objects.filter(division_id=cast.village, kind="exit").count() == 1
    # The notice period holds the county back until it has run.
    assert (
        workflow_bulk_advance(
            division_code=COUNTY,
            procedure="exit",
            step="announce",
            by=cast.county,
            data={"note": "同意"},
        )
        == 0
    )
    for case in Case.objects.filter(procedure="exit"):
        elapse(case)
    assert (
        workflow_bulk_advance(
            division_code=COUNTY,
            procedure="exit",
            step="announce",
            by=cast.county,
            data={"note": "同意"},
        )
        == opened
    )
    for case in Case.objects.filter(procedure="exit"):
        elapse(case)
    assert (
        workflow_bulk_advance(division_code=COUNTY, procedure="exit", step="cancel", by=cast.county)
        == opened
    )
    households = Household.objects.filter(cases__procedure="exit")
    assert set(households.values_list("status", "exit_year")) == {("exited_with_policy", YEAR)}
    for case in Case.objects.filter(procedure="exit"):
        assert list(case.steps.order_by("at").values_list("code", flat=True)) == [
            "propose",
            "appraise",
            "agree",
            "notice",
            "announce",
            "cancel",
        ]
        assert case.closed_at is not None


def test_bulk_approval_skips_the_cases_the_approver_proposed(cast, elapse):
    hh = ready(cast.village).order_by("pk")
    mine = case_open(household=hh[0], procedure="exit", by=cast.county, year=YEAR)
    theirs = case_open(household=hh[1], procedure="exit", by=cast.village_cadre, year=YEAR)
    for case in (mine, theirs):
        case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
        case = case_advance(case=case, step="agree", by=cast.village_cadre, data={"consent": True})
        case = case_advance(case=case, step="notice", by=cast.village_cadre)
        elapse(case)
    moved = workflow_bulk_advance(
        division_code=COUNTY,
        procedure="exit",
        step="announce",
        by=cast.county,
        data={"note": "同意"},
    )
    assert moved == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.state, theirs.state) == ("noticed", "announced")


def test_bulk_refuses_the_wrong_role_and_missing_evidence(cast):
    with pytest.raises(FupinError) as exc:
        workflow_bulk_advance(
            division_code=COUNTY, procedure="exit", step="appraise", by=cast.county, data=MEETING
        )
    assert exc.value.code == "WORKFLOW_ROLE_NOT_ALLOWED"
    with pytest.raises(FupinError) as exc:
        workflow_bulk_advance(
            division_code=cast.village, procedure="exit", step="appraise", by=cast.village_cadre
        )
    assert exc.value.code == "WORKFLOW_EVIDENCE_MISSING"


def test_bulk_for_chosen_households_only(cast):
    exit_proposals_create(division_code=cast.village, year=YEAR, by=cast.village_cadre_2)
    chosen = list(Case.objects.filter(procedure="exit").values_list("household_id", flat=True)[:2])
    moved = workflow_bulk_advance(
        division_code=cast.village,
        procedure="exit",
        step="appraise",
        by=cast.village_cadre,
        household_ids=chosen,
        data=MEETING,
    )
    assert moved == len(chosen)
    assert set(
        Case.objects.filter(state="appraised").values_list("household_id", flat=True)
    ) == set(chosen)
