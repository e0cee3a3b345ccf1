"""The procedures run through the services: happy paths, refusals, objections, the trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.measures.models import Measure
from fupin.measures.services import measure_record, measure_set_status
from fupin.registry.models import Household, Member
from fupin.workflows.models import Case, Objection, Step
from fupin.workflows.services import (
    case_advance,
    case_close,
    case_open,
    objection_raise,
    objection_resolve,
)
from tests.conftest import YEAR
from tests.workflows.conftest import MEETING

NOTE = {"note": "材料齐全，同意"}


def household(cast, **filters) -> Household:
    hh = Household.objects.filter(village_id=cast.village, **filters).order_by("pk").first()
    assert hh is not None, filters
    return hh


def ready_to_exit(cast) -> Household:
    return household(cast, status="poor", assessments__year=YEAR, assessments__meets_standard=True)


def with_status(cast, status: str) -> Household:
    hh = household(cast)
    Household.objects.filter(pk=hh.pk).update(status=status, exit_year=None)
    hh.refresh_from_db()
    return hh


def refused(code: str, fn, **kwargs) -> FupinError:
    with pytest.raises(FupinError) as exc:
        fn(**kwargs)
    assert exc.value.code == code, exc.value
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)  # Chinese message
    return exc.value


# -- identification (两公示一公告) ------------------------------------------------------------


def test_identification_runs_two_notices_and_an_announcement_to_registered(cast, elapse):
    hh = with_status(cast, "removed")
    case = case_open(
        household=hh, procedure="identification", by=cast.village_cadre, data={"consent": True}
    )
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="notice_1", by=cast.village_cadre)
    elapse(case)
    case = case_advance(case=case, step="township_review", by=cast.township, data=NOTE)
    case = case_advance(case=case, step="notice_2", by=cast.township)
    elapse(case)
    case = case_advance(case=case, step="county_approve", by=cast.county, data=NOTE)
    case = case_advance(case=case, step="announce", by=cast.county)
    elapse(case)
    case = case_advance(case=case, step="register", by=cast.township)
    hh.refresh_from_db()
    assert (case.state, hh.status) == ("registered", "poor")
    assert case.closed_at is not None
    steps = list(case.steps.order_by("at").values_list("code", flat=True))
    assert steps == [
        "apply",
        "appraise",
        "notice_1",
        "township_review",
        "notice_2",
        "county_approve",
        "announce",
        "register",
    ]
    appraisal = case.steps.get(code="appraise")
    assert (appraisal.meeting_attendance, appraisal.votes_for) == (31, 27)
    # The household's audit trail holds every step too.
    assert AuditEvent.objects.filter(obj_type="household", obj_key=hh.code).count() >= 8


def test_each_step_carries_the_assessment_as_evidence(cast):
    hh = ready_to_exit(cast)
    case = case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    step = case.steps.get()
    assert step.assessed_meets is True
    assert step.assessed_income is not None and step.assessed_failed == ""


def test_skipping_a_step_is_refused_with_a_stable_code(cast):
    hh = with_status(cast, "removed")
    case = case_open(
        household=hh, procedure="identification", by=cast.village_cadre, data={"consent": True}
    )
    err = refused(
        "WORKFLOW_STEP_OUT_OF_ORDER",
        case_advance,
        case=case,
        step="county_approve",
        by=cast.county,
        data=NOTE,
    )
    assert "村民主评议" in err.message
    case.refresh_from_db()
    assert case.state == "applied" and case.steps.count() == 1


def test_the_next_step_waits_for_the_notice_period(cast):
    hh = with_status(cast, "removed")
    case = case_open(
        household=hh, procedure="identification", by=cast.village_cadre, data={"consent": True}
    )
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="notice_1", by=cast.village_cadre)
    assert case.notice_until is not None
    assert case.notice_until - case.moved_at == timedelta(days=7)
    refused(
        "WORKFLOW_NOTICE_PERIOD",
        case_advance,
        case=case,
        step="township_review",
        by=cast.township,
        data=NOTE,
    )


def test_appraisal_without_a_majority_is_refused_and_the_case_can_be_closed(cast):
    hh = with_status(cast, "removed")
    case = case_open(
        household=hh, procedure="identification", by=cast.village_cadre, data={"consent": True}
    )
    refused(
        "WORKFLOW_APPRAISAL_NOT_PASSED",
        case_advance,
        case=case,
        step="appraise",
        by=cast.village_cadre,
        data={**MEETING, "votes_for": 10},
    )
    case = case_close(case=case, by=cast.village_cadre, note="评议未通过")
    assert case.state == "closed" and case.closed_at is not None
    # A closed case no longer blocks a new one.
    case_open(
        household=hh, procedure="identification", by=cast.village_cadre, data={"consent": True}
    )


def test_minutes_are_attached_to_the_appraisal(cast):
    hh = ready_to_exit(cast)
    case = case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    minutes = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", "application/pdf")
    case_advance(
        case=case, step="appraise", by=cast.village_cadre, data={**MEETING, "minutes": minutes}
    )
    step = Step.objects.get(case=case, code="appraise")
    assert step.minutes.name.endswith(".pdf") and step.minutes.read().startswith(b"%PDF")


# -- exit --------------------------------------------------------------------------------------


def run_exit(cast, elapse, hh: Household) -> Case:
    case = case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="agree", by=cast.village_cadre, data={"consent": True})
    case = case_advance(case=case, step="notice", by=cast.village_cadre)
    elapse(case)
    case = case_advance(case=case, step="announce", by=cast.county, data=NOTE)
    elapse(case)
    return case_advance(case=case, step="cancel", by=cast.county)


def test_exit_marks_the_household_exited_and_keeps_its_record(cast, elapse):
    hh = ready_to_exit(cast)
    members = Member.objects.filter(household=hh).count()
    case = run_exit(cast, elapse, hh)
    hh.refresh_from_db()
    assert case.state == "exited"
    assert (hh.status, hh.exit_year) == ("exited_with_policy", YEAR)
    assert Member.objects.filter(household=hh).count() == members


def test_exit_is_refused_for_a_household_below_the_standard(cast):
    hh = household(cast, status="poor", assessments__year=YEAR, assessments__meets_standard=False)
    refused(
        "WORKFLOW_EXIT_NOT_READY",
        case_open,
        household=hh,
        procedure="exit",
        by=cast.village_cadre,
        year=YEAR,
    )
    assert not Case.objects.filter(household=hh).exists()


def test_exit_needs_the_households_agreement(cast):
    hh = ready_to_exit(cast)
    case = case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    err = refused(
        "WORKFLOW_EVIDENCE_MISSING", case_advance, case=case, step="agree", by=cast.village_cadre
    )
    assert "农户本人签字确认" in err.message


def test_one_open_case_per_household_and_procedure(cast):
    hh = ready_to_exit(cast)
    case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    refused(
        "WORKFLOW_CASE_ALREADY_OPEN",
        case_open,
        household=hh,
        procedure="exit",
        by=cast.village_cadre_2,
        year=YEAR,
    )


# -- who may act ---------------------------------------------------------------------------


def test_the_proposer_cannot_approve(cast, elapse):
    hh = ready_to_exit(cast)
    case = case_open(household=hh, procedure="exit", by=cast.county, year=YEAR)
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="agree", by=cast.village_cadre, data={"consent": True})
    case = case_advance(case=case, step="notice", by=cast.village_cadre)
    elapse(case)
    refused(
        "WORKFLOW_PROPOSER_CANNOT_APPROVE",
        case_advance,
        case=case,
        step="announce",
        by=cast.county,
        data=NOTE,
    )


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("township", "WORKFLOW_ROLE_NOT_ALLOWED"),
        ("analyst", "WORKFLOW_ROLE_NOT_ALLOWED"),
        ("county", "WORKFLOW_ROLE_NOT_ALLOWED"),
    ],
)
def test_wrong_role_is_refused(cast, who, code):
    hh = ready_to_exit(cast)
    case = case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    refused(code, case_advance, case=case, step="appraise", by=getattr(cast, who), data=MEETING)


def test_a_village_cadre_at_a_township_is_refused_for_wrong_level(cast):
    from fupin.accounts.models import Role
    from tests.workflows.conftest import make_user

    odd = make_user("odd", Role.VILLAGE_CADRE, cast.village[:9])
    hh = ready_to_exit(cast)
    refused("WORKFLOW_LEVEL_MISMATCH", case_open, household=hh, procedure="exit", by=odd, year=YEAR)


def test_out_of_scope_is_refused(cast, elapse):
    hh = with_status(cast, "removed")
    case = case_open(
        household=hh, procedure="identification", by=cast.village_cadre, data={"consent": True}
    )
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="notice_1", by=cast.village_cadre)
    elapse(case)
    refused(
        "WORKFLOW_OUT_OF_SCOPE",
        case_advance,
        case=case,
        step="township_review",
        by=cast.other_township,
        data=NOTE,
    )


# -- objections ------------------------------------------------------------------------------


def exit_in_notice(cast) -> Case:
    hh = ready_to_exit(cast)
    case = case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="agree", by=cast.village_cadre, data={"consent": True})
    return case_advance(case=case, step="notice", by=cast.village_cadre)


def test_an_upheld_objection_sends_the_case_back_for_reverification(cast, elapse):
    case = exit_in_notice(cast)
    objection = objection_raise(
        case=case, text="该户新购小轿车一辆", by=cast.village_cadre, name="张某"
    )
    elapse(case)
    refused(
        "WORKFLOW_OBJECTION_OPEN",
        case_advance,
        case=case,
        step="announce",
        by=cast.county,
        data=NOTE,
    )
    objection = objection_resolve(
        objection=objection, outcome="upheld", note="经核实属实，重新评议", by=cast.township
    )
    assert (objection.outcome, objection.resolved_by) == ("upheld", cast.township)
    case.refresh_from_db()
    assert (case.state, case.round) == ("proposed", 2)
    reverify = case.steps.get(code="reverify")
    assert (reverify.from_state, reverify.to_state, reverify.round) == ("noticed", "proposed", 2)
    # Round 2 takes the appraisal again; round 1's rows stay in the trail.
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    assert case.steps.filter(code="appraise").count() == 2


def test_a_dismissed_objection_lets_the_case_continue(cast, elapse):
    case = exit_in_notice(cast)
    objection = objection_raise(case=case, text="有人反映收入不实", by=cast.village_cadre)
    objection_resolve(
        objection=objection, outcome="dismissed", note="经核实收入属实", by=cast.township
    )
    elapse(case)
    case = case_advance(case=case, step="announce", by=cast.county, data=NOTE)
    assert case.state == "announced" and case.round == 1
    refused(
        "WORKFLOW_OBJECTION_RESOLVED",
        objection_resolve,
        objection=objection,
        outcome="upheld",
        note="again",
        by=cast.county,
    )


def test_objections_only_during_a_notice(cast, elapse):
    hh = ready_to_exit(cast)
    case = case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    refused("WORKFLOW_NOT_IN_NOTICE", objection_raise, case=case, text="x", by=cast.village_cadre)
    case = exit_in_notice_from(cast, case)
    elapse(case)
    refused("WORKFLOW_NOTICE_ENDED", objection_raise, case=case, text="x", by=cast.village_cadre)
    assert not Objection.objects.exists()


def exit_in_notice_from(cast, case: Case) -> Case:
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="agree", by=cast.village_cadre, data={"consent": True})
    return case_advance(case=case, step="notice", by=cast.village_cadre)


# -- natural decrease, return, monitoring, risk elimination ---------------------------------


def test_natural_decrease_needs_a_reason_and_evidence(cast):
    hh = household(cast, status="poor")
    refused(
        "WORKFLOW_EVIDENCE_MISSING",
        case_open,
        household=hh,
        procedure="decrease",
        by=cast.village_cadre,
        data={"reason": "death"},
    )
    certificate = SimpleUploadedFile("death.pdf", b"%PDF-1.4 cert", "application/pdf")
    case = case_open(
        household=hh,
        procedure="decrease",
        by=cast.village_cadre,
        data={"reason": "death", "attachment": certificate, "note": "户主及唯一成员去世"},
    )
    assert case.reason == "death"
    case = case_advance(case=case, step="township_review", by=cast.township, data=NOTE)
    case = case_advance(case=case, step="county_approve", by=cast.county, data=NOTE)
    hh.refresh_from_db()
    assert (case.state, hh.status) == ("removed", "removed")
    assert case.steps.get(code="propose").attachment.name.endswith(".pdf")


def test_return_to_poverty_only_for_an_exited_household(cast, elapse):
    poor = household(cast, status="poor")
    refused(
        "WORKFLOW_STATUS_NOT_ELIGIBLE",
        case_open,
        household=poor,
        procedure="return",
        by=cast.village_cadre,
        data=NOTE,
    )
    hh = with_status(cast, "exited_with_policy")
    case = case_open(
        household=hh, procedure="return", by=cast.village_cadre, data={"note": "因病返贫"}
    )
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="notice", by=cast.village_cadre)
    elapse(case)
    case = case_advance(case=case, step="township_review", by=cast.township, data=NOTE)
    case = case_advance(case=case, step="county_approve", by=cast.county, data=NOTE)
    hh.refresh_from_db()
    assert hh.status == "returned"


def monitored(cast, elapse, hh: Household, category: str = "sudden") -> Case:
    case = case_open(
        household=hh,
        procedure="monitoring",
        by=cast.village_cadre,
        year=2021,
        data={"category": category, "note": "户主患重病，医疗支出大"},
    )
    assert case.final_deadline is not None
    assert case.final_deadline - case.opened_at == timedelta(days=15)
    case = case_advance(case=case, step="verify", by=cast.village_cadre, data={"consent": True})
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="notice", by=cast.village_cadre)
    assert case.notice_until - case.moved_at == timedelta(days=5)
    elapse(case)
    case = case_advance(case=case, step="township_review", by=cast.township, data=NOTE)
    return case_advance(case=case, step="county_approve", by=cast.county, data=NOTE)


def test_monitoring_identification_within_the_deadline(cast, elapse):
    hh = household(cast, status="poor")
    case = monitored(cast, elapse, hh)
    assert case.state == "monitored"
    assert not case.steps.filter(overdue=True).exists()


def test_monitoring_category_is_checked(cast):
    hh = household(cast, status="poor")
    refused(
        "WORKFLOW_MONITORING_CATEGORY",
        case_open,
        household=hh,
        procedure="monitoring",
        by=cast.village_cadre,
        year=2021,
        data={"category": "unstable", "note": "x"},
    )


RISK_DATA = {
    "note": "收入稳定，已落实产业帮扶",
    "income_stable_months": 8,
    "guarantees_secure": True,
    "rigid_spending_resolved": True,
}


def with_income_above(hh: Household, amount: int = 20_000) -> None:
    from fupin.registry.models import HouseholdIncome

    income = HouseholdIncome.objects.filter(household=hh).order_by("-year").first()
    assert income is not None
    HouseholdIncome.objects.filter(pk=income.pk).update(wage=amount * income.household_size)


def record_measure(hh: Household, status: str = "in_progress") -> Measure:
    """A recorded industry measure (产业扶贫, begun a month ago) for the household."""
    start = (timezone.now() - timedelta(days=30)).date()
    return measure_record(
        household_code=hh.code,
        data={
            "category": "industry",
            "subtype": "industry.breeding",
            "start": start,
            "status": status,
        },
        by=None,
    )


def labour_household(cast, labour: bool) -> Household:
    from django.db.models import Exists, OuterRef

    able = Member.objects.filter(
        household=OuterRef("pk"), labour_capacity__in=["ordinary", "skilled", "weak"]
    )
    qs = Household.objects.filter(status="poor").annotate(able=Exists(able)).filter(able=labour)
    hh = qs.filter(village_id=cast.village).first()
    if hh is None:  # make one: everybody in the first household lost their labour capacity
        hh = household(cast, status="poor")
        Member.objects.filter(household=hh).update(
            labour_capacity="lost" if not labour else "ordinary"
        )
    return hh


def test_risk_elimination_after_six_months_with_a_measure(cast, elapse):
    hh = labour_household(cast, labour=True)
    case = monitored(cast, elapse, hh)
    with_income_above(hh)
    refused(
        "WORKFLOW_RISK_MONITORED_TOO_SHORT",
        case_open,
        household=hh,
        procedure="risk_elimination",
        by=cast.village_cadre,
        year=2021,
        data=RISK_DATA,
    )
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=200))
    refused(
        "WORKFLOW_RISK_INCOME_NOT_STABLE",
        case_open,
        household=hh,
        procedure="risk_elimination",
        by=cast.village_cadre,
        year=2021,
        data={**RISK_DATA, "income_stable_months": 5},
    )
    # What the cadre states is not taken: the measures come from the records.
    refused(
        "WORKFLOW_RISK_NO_MEASURE",
        case_open,
        household=hh,
        procedure="risk_elimination",
        by=cast.village_cadre,
        year=2021,
        data={**RISK_DATA, "measures": 3},
    )
    planned = record_measure(hh, status="planned")
    refused(
        "WORKFLOW_RISK_NO_MEASURE",
        case_open,
        household=hh,
        procedure="risk_elimination",
        by=cast.village_cadre,
        year=2021,
        data=RISK_DATA,
    )
    measure_set_status(measure_id=planned.pk, status="in_progress", by=None)
    risk = case_open(
        household=hh, procedure="risk_elimination", by=cast.village_cadre, year=2021, data=RISK_DATA
    )
    assert risk.state == "proposed"


def test_risk_elimination_never_for_a_household_without_labour_capacity(cast, elapse):
    hh = labour_household(cast, labour=False)
    case = monitored(cast, elapse, hh)
    with_income_above(hh)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=400))
    refused(
        "WORKFLOW_RISK_NO_LABOUR",
        case_open,
        household=hh,
        procedure="risk_elimination",
        by=cast.village_cadre,
        year=2021,
        data=RISK_DATA,
    )


def test_risk_elimination_needs_a_monitored_household(cast):
    hh = household(cast, status="poor")
    refused(
        "WORKFLOW_RISK_NOT_MONITORED",
        case_open,
        household=hh,
        procedure="risk_elimination",
        by=cast.village_cadre,
        year=2021,
        data=RISK_DATA,
    )


def test_a_late_step_is_marked_overdue(cast):
    hh = ready_to_exit(cast)
    case = case_open(household=hh, procedure="exit", by=cast.village_cadre, year=YEAR)
    Case.objects.filter(pk=case.pk).update(deadline=timezone.now() - timedelta(days=1))
    case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    assert Step.objects.get(case=case, code="appraise").overdue
