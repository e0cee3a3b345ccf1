"""The declared procedures and their guards, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.policy import workflows as wf
from fupin.policy.parameters import DEFAULT_PARAMETERS, MonitoringThreshold, ParameterError


@pytest.mark.parametrize("proc", list(wf.PROCEDURES.values()), ids=lambda p: p.procedure.value)
def test_every_procedure_is_one_chain_from_opening_to_final_state(proc):
    assert proc.first.from_state == ""
    for prev, nxt in zip(proc.steps, proc.steps[1:], strict=False):
        assert nxt.from_state == prev.to_state
    assert proc.steps[-1].to_state == proc.final_state
    assert set(proc.states) == {s.to_state for s in proc.steps}
    assert len({s.code for s in proc.steps}) == len(proc.steps)
    assert not proc.reverify_state or proc.reverify_state in proc.states


@pytest.mark.parametrize("proc", list(wf.PROCEDURES.values()), ids=lambda p: p.procedure.value)
def test_the_county_decides_and_never_the_proposer(proc):
    decisive = [s for s in proc.steps if s.to_state == proc.final_state]
    assert decisive[0].roles <= {wf.COUNTY, wf.TOWNSHIP}
    assert any(s.approval for s in proc.steps)
    assert all(not s.approval for s in proc.steps if s.roles & {wf.VILLAGE})


def test_identification_is_two_notices_and_one_announcement():
    codes = [s.code for s in wf.IDENTIFICATION.steps]
    assert codes == [
        "apply",
        "appraise",
        "notice_1",
        "township_review",
        "notice_2",
        "county_approve",
        "announce",
        "register",
    ]
    assert [s.notice_days for s in wf.IDENTIFICATION.steps if s.notice_days] == [7, 7, 7]


def test_monitoring_notices_last_five_days_and_identification_fifteen():
    assert {s.notice_days for s in wf.MONITORING.steps if s.notice_days} == {5}
    assert wf.MONITORING.total_days == 15
    assert {s.notice_days for s in wf.RISK_ELIMINATION.steps if s.notice_days} == {5}


def test_exit_needs_the_households_own_agreement_before_the_notice():
    codes = [s.code for s in wf.EXIT.steps]
    assert codes.index("agree") < codes.index("notice")
    assert wf.EXIT.step("agree").evidence == (wf.Evidence.CONSENT,)
    assert wf.EXIT.final_status == "exited_with_policy"  # policies kept in the transition


def test_role_codes_match_the_accounts_roles():
    from fupin.accounts.models import Role

    assert {wf.VILLAGE, wf.TOWNSHIP, wf.COUNTY} <= set(Role.values)


@given(st.sampled_from(list(wf.PROCEDURES.values())), st.data())
def test_only_the_next_step_is_allowed_from_any_state(proc, data):
    state = data.draw(st.sampled_from(sorted(proc.states)))
    step = data.draw(st.sampled_from(proc.steps))
    allowed = state != proc.final_state and step.from_state == state
    try:
        wf.step_check_order(proc, step, state)
    except wf.WorkflowRefusal as exc:
        assert not allowed
        assert exc.code in ("WORKFLOW_STEP_OUT_OF_ORDER", "WORKFLOW_CASE_CLOSED")
    else:
        assert allowed


def test_skipping_a_step_names_the_expected_one():
    with pytest.raises(wf.WorkflowRefusal) as exc:
        wf.step_check_order(wf.IDENTIFICATION, wf.IDENTIFICATION.step("county_approve"), "applied")
    assert exc.value.code == "WORKFLOW_STEP_OUT_OF_ORDER"
    assert "村民主评议" in exc.value.message


@pytest.mark.parametrize(
    ("role", "division", "code"),
    [
        ("township_reviewer", "513431100001", "WORKFLOW_ROLE_NOT_ALLOWED"),
        ("village_cadre", "513431100", "WORKFLOW_LEVEL_MISMATCH"),
        (None, "513431100001", "WORKFLOW_ROLE_NOT_ALLOWED"),
        ("analyst", "51", "WORKFLOW_ROLE_NOT_ALLOWED"),
    ],
)
def test_wrong_role_or_level_is_refused(role, division, code):
    with pytest.raises(wf.WorkflowRefusal) as exc:
        wf.actor_check(wf.EXIT.step("appraise"), role=role, division_code=division)
    assert exc.value.code == code


def test_proposer_cannot_approve_but_may_take_village_steps():
    wf.proposer_check(wf.EXIT.step("appraise"), proposer_id=1, actor_id=1)
    with pytest.raises(wf.WorkflowRefusal) as exc:
        wf.proposer_check(wf.EXIT.step("announce"), proposer_id=1, actor_id=1)
    assert exc.value.code == "WORKFLOW_PROPOSER_CANNOT_APPROVE"


@pytest.mark.parametrize(
    ("attendance", "yes", "no", "code"),
    [
        (30, 16, 2, None),
        (30, 15, 2, "WORKFLOW_APPRAISAL_NOT_PASSED"),
        (30, 20, 11, "WORKFLOW_MEETING_INVALID"),
        (0, 0, 0, "WORKFLOW_MEETING_INVALID"),
    ],
)
def test_appraisal_passes_with_a_majority_of_those_present(attendance, yes, no, code):
    meeting = wf.Meeting(date(2021, 3, 1), attendance, yes, no)
    if code is None:
        wf.meeting_check(meeting, date(2021, 3, 2))
    else:
        with pytest.raises(wf.WorkflowRefusal) as exc:
            wf.meeting_check(meeting, date(2021, 3, 2))
        assert exc.value.code == code


def test_a_meeting_cannot_be_held_tomorrow():
    with pytest.raises(wf.WorkflowRefusal) as exc:
        wf.meeting_check(wf.Meeting(date(2021, 3, 3), 30, 20, 1), date(2021, 3, 2))
    assert exc.value.code == "WORKFLOW_MEETING_IN_FUTURE"


def test_missing_evidence_is_listed_in_chinese():
    step = wf.DECREASE.first
    assert wf.evidence_missing(step, {}) == ["减少原因", "证明材料"]
    assert wf.evidence_missing(step, {"reason": "death", "attachment": "x.pdf"}) == []
    assert wf.evidence_missing(step, {"reason": "bored", "attachment": "x.pdf"}) == ["减少原因"]
    assert wf.evidence_missing(wf.EXIT.step("agree"), {"consent": "yes"}) == ["农户本人签字确认"]


def test_exit_readiness_follows_the_assessment():
    wf.exit_ready(meets_standard=True)
    for meets, code in ((False, "WORKFLOW_EXIT_NOT_READY"), (None, "WORKFLOW_EXIT_NOT_ASSESSED")):
        with pytest.raises(wf.WorkflowRefusal) as exc:
            wf.exit_ready(meets_standard=meets, failed_codes="HOUSING_SAFE|WATER_SAFE")
        assert exc.value.code == code
    with pytest.raises(wf.WorkflowRefusal) as exc:
        wf.exit_ready(meets_standard=False, failed_codes="HOUSING_SAFE|WATER_SAFE")
    assert "HOUSING_SAFE、WATER_SAFE" in exc.value.message


RISK_OK = wf.RiskFacts(
    per_capita_income=Decimal("8000"),
    threshold=Decimal("6000"),
    income_stable_months=6,
    monitored_months=6,
    measures=1,
    has_labour_capacity=True,
    guarantees_secure=True,
    rigid_spending_resolved=True,
)


def test_risk_elimination_when_every_criterion_holds():
    wf.risk_elimination_check(RISK_OK)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"has_labour_capacity": False}, "WORKFLOW_RISK_NO_LABOUR"),
        ({"monitored_months": 5}, "WORKFLOW_RISK_MONITORED_TOO_SHORT"),
        ({"per_capita_income": Decimal("6000")}, "WORKFLOW_RISK_INCOME_IN_RANGE"),
        ({"per_capita_income": None}, "WORKFLOW_RISK_INCOME_IN_RANGE"),
        ({"income_stable_months": 5}, "WORKFLOW_RISK_INCOME_NOT_STABLE"),
        ({"measures": 0}, "WORKFLOW_RISK_NO_MEASURE"),
        ({"guarantees_secure": False}, "WORKFLOW_RISK_GUARANTEES"),
        ({"rigid_spending_resolved": False}, "WORKFLOW_RISK_SPENDING"),
    ],
)
def test_risk_elimination_refused_when_a_criterion_fails(change, code):
    with pytest.raises(wf.WorkflowRefusal) as exc:
        wf.risk_elimination_check(replace(RISK_OK, **change))
    assert exc.value.code == code


@given(st.integers(0, 24), st.integers(0, 24), st.integers(0, 3))
def test_no_labour_capacity_is_never_eliminated(stable, monitored, measures):
    facts = replace(
        RISK_OK,
        has_labour_capacity=False,
        income_stable_months=stable,
        monitored_months=monitored,
        measures=measures,
    )
    with pytest.raises(wf.WorkflowRefusal):
        wf.risk_elimination_check(facts)


def test_labour_capacity_of_a_household():
    assert wf.has_labour_capacity(["lost", "weak"])
    assert not wf.has_labour_capacity(["lost", "none", ""])


@pytest.mark.parametrize(
    ("category", "status", "income", "code"),
    [
        ("unstable", "exited_with_policy", "5000", None),
        ("unstable", "poor", "5000", "WORKFLOW_MONITORING_CATEGORY"),
        ("unstable", "exited", "6500", "WORKFLOW_MONITORING_ABOVE_RANGE"),
        ("edge", "removed", "5900", None),
        ("edge", "exited", "5900", "WORKFLOW_MONITORING_CATEGORY"),
        ("sudden", "poor", "20000", None),
    ],
)
def test_monitoring_category_must_fit_the_household(category, status, income, code):
    def check() -> None:
        wf.monitoring_check(
            category=category,
            status=status,
            per_capita_income=Decimal(income),
            threshold=Decimal("6000"),
        )

    if code is None:
        check()
    else:
        with pytest.raises(wf.WorkflowRefusal) as exc:
            check()
        assert exc.value.code == code


def test_monitoring_threshold_2021_is_6000_and_provinces_override_later_years():
    assert DEFAULT_PARAMETERS.monitoring_threshold(2021, "513431").amount == Decimal("6000")
    # After 2021 each province sets its own; without one the threshold is refused, not guessed.
    with pytest.raises(ParameterError) as missing:
        DEFAULT_PARAMETERS.monitoring_threshold(2022, "513431")
    assert missing.value.code == "PARAM_MONITORING_THRESHOLD_MISSING"
    sichuan = DEFAULT_PARAMETERS.with_monitoring_thresholds(
        [MonitoringThreshold(2022, Decimal("6600"), "51", source="四川省文件")]
    )
    assert sichuan.monitoring_threshold(2022, "513431").amount == Decimal("6600")
    assert sichuan.monitoring_threshold(2022, "210102").amount == Decimal("7260")  # 辽宁


def test_a_verified_threshold_cannot_be_overridden():
    with pytest.raises(ParameterError) as exc:
        DEFAULT_PARAMETERS.with_monitoring_thresholds([MonitoringThreshold(2021, Decimal("5000"))])
    assert exc.value.code == "PARAM_VERIFIED_OVERRIDE"


def test_thresholds_from_a_parameters_file(tmp_path):
    path = tmp_path / "local.json"
    path.write_text('{"monitoring_thresholds": [{"year": 2024, "amount": "7800", "region": "51"}]}')
    params = type(DEFAULT_PARAMETERS).from_file(path)
    t = params.monitoring_threshold(2024, "513431")
    assert (t.amount, t.verification) == (Decimal("7800"), "local")


def test_unknown_procedure_is_refused_with_a_code():
    with pytest.raises(wf.WorkflowRefusal) as exc:
        wf.procedure_def("adoption")
    assert exc.value.code == "WORKFLOW_PROCEDURE_UNKNOWN"
