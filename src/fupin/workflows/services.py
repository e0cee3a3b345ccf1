"""Write services of the household procedures: open a case, take a step, objections, bulk.

Every transition is checked against the declared procedure (``fupin.policy.workflows``): the
right role at the right division level, inside the actor's scope, from the case's current
state (no step skipped or repeated), never by the proposer where the step approves, with its
evidence, and not before the public notice before it has run its period without an open
objection. Each transition writes one ``Step`` row (who, when, division, before/after,
evidence, the household's assessment at that moment): the procedure's own trail. When the
shared audit log (``fupin.common.audit``) is installed, each transition is recorded there too.

Two approvers acting at once cannot both succeed: the case row is locked
(``select_for_update`` on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers),
moved with a compare-and-set ``UPDATE … WHERE state = <expected>``, and the step's unique
(case, code, round) constraint refuses a second row whatever happens.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from fupin.accounts.permissions import user_role
from fupin.accounts.scoping import in_scope
from fupin.assessment.models import AssessmentResult
from fupin.common.audit import audit_record, audit_record_bulk
from fupin.common.errors import FupinError
from fupin.measures.selectors import measures_carried_out
from fupin.policy import workflows as wf
from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterError
from fupin.policy.rules import DEFAULT_RULE_SET
from fupin.registry.models import Household, HouseholdIncome, Member
from fupin.workflows.models import Case, Objection, Step

Data = Mapping[str, Any]


# -- optional collaborators -----------------------------------------------------------------


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """Return ``module.name`` when that module is installed, else None."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _audit(
    *,
    by: User,
    action: str,
    household: Household,
    before: Data | None = None,
    after: Data | None = None,
    note: str = "",
) -> None:
    """Record the transition in the household's audit trail (the shared audit log)."""
    audit_record(
        by=by,
        action=action,
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        before=dict(before or {}),
        after=dict(after or {}),
        note=note,
    )


def _audit_bulk(
    *, by: User, action: str, cases: QuerySet[Case], after: Data, note: str = ""
) -> None:
    """One audit event per household of ``cases``, in one INSERT … SELECT."""
    audit_record_bulk(
        by=by,
        action=action,
        obj_type="household",
        rows=cases,
        key_field="household__code",
        division_field="division_code",
        after=after,
        note=note,
    )


#: The notice kind of ``fupin.notices`` each notice step posts, and the decision it announces
#: when the kind has no standard wording ("other").
NOTICE_KINDS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("identification", "notice_1"): ("identification_first", ""),
    ("identification", "notice_2"): ("identification_second", ""),
    ("identification", "announce"): ("announcement", ""),
    ("exit", "notice"): ("exit", ""),
    ("exit", "announce"): ("other", "经县审定，公告退出（脱贫）"),
    ("return", "notice"): ("other", "经民主评议，拟认定为返贫户"),
    ("monitoring", "notice"): ("monitoring", ""),
    ("risk_elimination", "notice"): ("other", "经民主评议，拟标注风险消除"),
}


def _publish_notices(
    *,
    proc: wf.ProcedureDef,
    step: wf.StepDef,
    cases: QuerySet[Case],
    by: User,
) -> bool:
    """Publish one public notice per village for ``cases`` entering ``step``'s notice.

    Returns False when the notices app is not installed: the notice period is then only
    recorded on the case and the step (``notice_until`` / ``notice_due_until``).
    """
    publish = _optional("fupin.notices.services", "notice_publish")
    if publish is None:
        return False
    kind, decision = NOTICE_KINDS[(proc.procedure.value, step.code)]
    rows = cases.values_list("pk", "division_code", "household__code").order_by(
        "division_code", "household__code"
    )
    by_village: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, village, code in rows:
        by_village[village].append((pk, code))
    for village, items in by_village.items():
        # The notice keeps the head's name, group and size, and no personal identifiers.
        entries = [{"household": code, "decision": decision} for _, code in items]
        publish(
            village_code=village,
            kind=kind,
            title=step.notice_title,
            entries=entries,
            period_days=step.notice_days,
            by=by,
            case_ids=[pk for pk, _ in items],
        )
    return True


# -- checks ---------------------------------------------------------------------------------


def _refuse(exc: wf.WorkflowRefusal) -> FupinError:
    return FupinError(exc.code, exc.message)


def _actor(by: User) -> tuple[str | None, str]:
    profile = getattr(by, "profile", None)
    division = str(profile.division_id or "") if profile is not None else ""
    return user_role(by), division


def _check_actor(step: wf.StepDef, by: User, division_code: str) -> str:
    """Refuse an actor of the wrong role or level, or outside the case's division; return
    the actor's division code."""
    role, own = _actor(by)
    try:
        wf.actor_check(step, role=role, division_code=own)
    except wf.WorkflowRefusal as exc:
        raise _refuse(exc) from None
    if not in_scope(by, division_code):
        raise FupinError("WORKFLOW_OUT_OF_SCOPE", f"区划 {division_code} 不在您的管辖范围内")
    return own


def _check_evidence(step: wf.StepDef, data: Data) -> None:
    missing = wf.evidence_missing(step, data)
    if missing:
        raise FupinError(
            "WORKFLOW_EVIDENCE_MISSING",
            f"「{step.label}」缺少：{'；'.join(missing)}",
            {"missing": missing},
        )
    if wf.Evidence.MEETING in step.evidence:
        try:
            meeting = wf.Meeting(
                meeting_date=_date(data["meeting_date"]),
                attendance=int(data["attendance"]),
                votes_for=int(data["votes_for"]),
                votes_against=int(data["votes_against"]),
            )
            wf.meeting_check(meeting, timezone.localdate())
        except wf.WorkflowRefusal as exc:
            raise _refuse(exc) from None
        except (TypeError, ValueError):
            raise FupinError(
                "WORKFLOW_MEETING_INVALID", "评议日期须为日期，到会人数和票数须为整数"
            ) from None


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _assessment(household_id: int, year: int) -> dict[str, Any]:
    row = (
        AssessmentResult.objects.filter(
            household_id=household_id, year=year, rule_set=DEFAULT_RULE_SET.code
        )
        .values("meets_standard", "per_capita_net_income", "failed_codes")
        .first()
    )
    if row is None:
        return {"assessed_meets": None, "assessed_income": None, "assessed_failed": ""}
    return {
        "assessed_meets": row["meets_standard"],
        "assessed_income": row["per_capita_net_income"],
        "assessed_failed": row["failed_codes"],
    }


def _threshold(year: int, village: str) -> Decimal:
    try:
        return DEFAULT_PARAMETERS.monitoring_threshold(year, village).amount
    except ParameterError as exc:
        raise FupinError(exc.code, exc.message) from None


def _income(household: Household, year: int) -> Decimal | None:
    inc = HouseholdIncome.objects.filter(household=household, year__lte=year).order_by("-year")
    first = inc.first()
    return first.per_capita_net_income if first is not None else None


def _months_between(start: datetime, end: datetime) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _check_opening(
    proc: wf.ProcedureDef, household: Household, year: int, data: Data, now: datetime
) -> None:
    """The procedure's own conditions for opening a case (the policy guards)."""
    try:
        if proc.procedure is wf.Procedure.EXIT:
            a = _assessment(household.pk, year)
            wf.exit_ready(meets_standard=a["assessed_meets"], failed_codes=a["assessed_failed"])
        elif proc.procedure is wf.Procedure.IDENTIFICATION:
            if (
                Case.objects.filter(
                    household=household, procedure=proc.procedure, state=proc.final_state
                ).exists()
                and household.status != "removed"
            ):
                raise wf.WorkflowRefusal(
                    "WORKFLOW_ALREADY_REGISTERED", "该户已建档立卡，不能重复识别"
                )
        elif proc.procedure is wf.Procedure.MONITORING:
            wf.monitoring_check(
                category=str(data.get("category")),
                status=household.status,
                per_capita_income=_income(household, year),
                threshold=_threshold(year, household.village_id),
            )
        elif proc.procedure is wf.Procedure.RISK_ELIMINATION:
            wf.risk_elimination_check(_risk_facts(household, year, data, now))
    except wf.WorkflowRefusal as exc:
        raise _refuse(exc) from None


def _risk_facts(household: Household, year: int, data: Data, now: datetime) -> wf.RiskFacts:
    monitored = (
        Case.objects.filter(
            household=household, procedure=wf.Procedure.MONITORING, state="monitored"
        )
        .order_by("-closed_at")
        .first()
    )
    if monitored is None or monitored.closed_at is None:
        raise wf.WorkflowRefusal("WORKFLOW_RISK_NOT_MONITORED", "该户不是监测对象，无需风险消除")
    capacities = list(
        Member.objects.filter(household=household).values_list("labour_capacity", flat=True)
    )
    return wf.RiskFacts(
        per_capita_income=_income(household, year),
        threshold=_threshold(year, household.village_id),
        income_stable_months=int(data.get("income_stable_months") or 0),
        monitored_months=_months_between(monitored.closed_at, now),
        # The measures recorded for the household (in progress or done, begun by now): what
        # the cadre states in ``data`` is not taken (精准施策 records them, fupin.measures).
        measures=measures_carried_out(household, on=now.date()),
        has_labour_capacity=wf.has_labour_capacity(capacities),
        guarantees_secure=data.get("guarantees_secure") is True,
        rigid_spending_resolved=data.get("rigid_spending_resolved") is True,
    )


def _step_fields(step: wf.StepDef, data: Data) -> dict[str, Any]:
    fields: dict[str, Any] = {"note": str(data.get("note") or "")}
    if data.get("attachment"):
        fields["attachment"] = data["attachment"]
    if wf.Evidence.CONSENT in step.evidence:
        fields["consent"] = True
    if wf.Evidence.MEETING in step.evidence:
        fields.update(
            meeting_date=_date(data["meeting_date"]),
            meeting_attendance=int(data["attendance"]),
            votes_for=int(data["votes_for"]),
            votes_against=int(data["votes_against"]),
        )
        if data.get("minutes"):
            fields["minutes"] = data["minutes"]
    return fields


def _state_of(case: Case) -> dict[str, Any]:
    return {"state": case.state, "round": case.round}


def _deadlines(step: wf.StepDef, now: datetime) -> tuple[datetime | None, datetime]:
    notice_until = now + timedelta(days=step.notice_days) if step.notice_days else None
    deadline = (notice_until or now) + timedelta(days=step.deadline_days)
    return notice_until, deadline


def _final_update(proc: wf.ProcedureDef, cases: QuerySet[Case], now: datetime) -> int:
    """Set the registry status of the households whose cases just reached the final state."""
    if not proc.final_status:
        return 0
    values: dict[str, Any] = {"status": proc.final_status, "status_changed_at": now}
    if proc.procedure is wf.Procedure.EXIT:
        values["exit_year"] = Subquery(cases.filter(household=OuterRef("pk")).values("year")[:1])
    elif proc.procedure is wf.Procedure.IDENTIFICATION:
        values["exit_year"] = None
    return Household.objects.filter(pk__in=cases.values("household_id")).update(**values)


def _conflict() -> FupinError:
    return FupinError(
        "WORKFLOW_CONFLICT", "本案刚被他人办理（同一环节不能办理两次），请刷新后查看当前环节"
    )


# -- services -------------------------------------------------------------------------------


def case_open(
    *,
    household: Household,
    procedure: str,
    by: User,
    data: Data | None = None,
    year: int | None = None,
) -> Case:
    """Open a case of ``procedure`` for ``household`` by taking its first step."""
    data = data or {}
    proc = wf.procedure_def(procedure)
    step = proc.first
    own = _check_actor(step, by, household.village_id)
    if household.status not in proc.open_statuses:
        raise FupinError(
            "WORKFLOW_STATUS_NOT_ELIGIBLE",
            f"该户当前为「{household.get_status_display()}」，不能办理"
            f"「{wf.PROCEDURE_LABELS[proc.procedure]}」",
        )
    _check_evidence(step, data)
    now = timezone.now()
    year = year or now.year
    _check_opening(proc, household, year, data, now)
    notice_until, deadline = _deadlines(step, now)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                household=household,
                procedure=proc.procedure,
                state=step.to_state,
                year=year,
                category=str(data.get("category") or ""),
                reason=str(data.get("reason") or ""),
                division_code=household.village_id,
                opened_by=by,
                opened_at=now,
                moved_at=now,
                deadline=deadline,
                final_deadline=now + timedelta(days=proc.total_days) if proc.total_days else None,
                notice_until=notice_until,
            )
            Step.objects.create(
                case=case,
                code=step.code,
                round=1,
                from_state="",
                to_state=step.to_state,
                by=by,
                at=now,
                division_code=own,
                before={},
                after=_state_of(case),
                notice_due_until=notice_until,
                **_step_fields(step, data),
                **_assessment(household.pk, year),
            )
            if step.notice_days:
                _publish_notices(proc=proc, step=step, cases=Case.objects.filter(pk=case.pk), by=by)
            _audit(
                by=by,
                action=f"wf.{proc.procedure.value}.{step.code}",
                household=household,
                after=_state_of(case),
                note=str(data.get("note") or ""),
            )
    except IntegrityError:
        raise FupinError(
            "WORKFLOW_CASE_ALREADY_OPEN",
            f"该户已有未办结的「{wf.PROCEDURE_LABELS[proc.procedure]}」案件",
        ) from None
    return case


def case_advance(*, case: Case, step: str, by: User, data: Data | None = None) -> Case:
    """Take ``step`` of the case's procedure; on the final step, update the registry."""
    data = data or {}
    proc = wf.procedure_def(case.procedure)
    try:
        sdef = proc.step(step)
    except KeyError:
        raise FupinError(
            "WORKFLOW_STEP_UNKNOWN", f"「{wf.PROCEDURE_LABELS[proc.procedure]}」没有环节 {step}"
        ) from None
    if sdef is proc.first:
        raise FupinError("WORKFLOW_STEP_OUT_OF_ORDER", f"「{sdef.label}」是提出环节，案件已提出")
    own = _check_actor(sdef, by, case.division_code)
    try:
        wf.proposer_check(sdef, proposer_id=case.opened_by_id, actor_id=int(by.pk))
    except wf.WorkflowRefusal as exc:
        raise _refuse(exc) from None
    _check_evidence(sdef, data)
    try:
        with transaction.atomic():
            current = Case.objects.select_for_update().get(pk=case.pk)
            now = timezone.now()
            _check_can_move(proc, sdef, current, now)
            before = _state_of(current)
            overdue = current.deadline is not None and now > current.deadline
            notice_until, deadline = _deadlines(sdef, now)
            final = sdef.to_state == proc.final_state
            moved = Case.objects.filter(
                pk=current.pk, state=sdef.from_state, round=current.round
            ).update(
                state=sdef.to_state,
                moved_at=now,
                notice_until=notice_until,
                deadline=None if final else deadline,
                closed_at=now if final else None,
            )
            if moved != 1:
                raise _conflict()
            current.refresh_from_db()
            Step.objects.create(
                case=current,
                code=sdef.code,
                round=current.round,
                from_state=sdef.from_state,
                to_state=sdef.to_state,
                by=by,
                at=now,
                division_code=own,
                before=before,
                after=_state_of(current),
                notice_due_until=notice_until,
                overdue=overdue,
                **_step_fields(sdef, data),
                **_assessment(current.household_id, current.year),
            )
            one = Case.objects.filter(pk=current.pk)
            if final:
                _final_update(proc, one, now)
            if sdef.notice_days:
                _publish_notices(proc=proc, step=sdef, cases=one, by=by)
            _audit(
                by=by,
                action=f"wf.{proc.procedure.value}.{sdef.code}",
                household=current.household,
                before=before,
                after=_state_of(current),
                note=str(data.get("note") or ""),
            )
    except (IntegrityError, OperationalError):
        # A second approver lost the race (unique step) or SQLite refused the lock.
        raise _conflict() from None
    return current


def _check_can_move(proc: wf.ProcedureDef, sdef: wf.StepDef, case: Case, now: datetime) -> None:
    try:
        wf.step_check_order(proc, sdef, case.state)
    except wf.WorkflowRefusal as exc:
        raise _refuse(exc) from None
    if case.notice_until is not None and now < case.notice_until:
        raise FupinError(
            "WORKFLOW_NOTICE_PERIOD",
            f"公示期至 {timezone.localtime(case.notice_until):%Y-%m-%d %H:%M} 未满，"
            f"不能办理「{sdef.label}」",
        )
    if Objection.objects.filter(case=case, round=case.round, outcome="").exists():
        raise FupinError(
            "WORKFLOW_OBJECTION_OPEN", f"公示期间有异议尚未核实，不能办理「{sdef.label}」"
        )


def case_close(*, case: Case, by: User, note: str) -> Case:
    """Close a case without reaching its final state (appraisal failed, withdrawn)."""
    proc = wf.procedure_def(case.procedure)
    if not note.strip():
        raise FupinError("WORKFLOW_EVIDENCE_MISSING", "关闭案件须写明原因")
    next_step = proc.next_step(case.state) or proc.first
    own = _check_actor(next_step, by, case.division_code)
    with transaction.atomic():
        now = timezone.now()
        moved = Case.objects.filter(pk=case.pk, state=case.state, closed_at__isnull=True).update(
            state=wf.CLOSED, closed_at=now, moved_at=now, deadline=None, notice_until=None
        )
        if moved != 1:
            raise _conflict()
        Step.objects.create(
            case=case,
            code="close",
            round=case.round,
            from_state=case.state,
            to_state=wf.CLOSED,
            by=by,
            at=now,
            division_code=own,
            before=_state_of(case),
            after={"state": wf.CLOSED, "round": case.round},
            note=note,
        )
        _audit(
            by=by,
            action=f"wf.{case.procedure}.close",
            household=case.household,
            before=_state_of(case),
            after={"state": wf.CLOSED},
            note=note,
        )
    case.refresh_from_db()
    return case


def objection_raise(
    *,
    case: Case,
    text: str,
    by: User,
    name: str = "",
    contact: str = "",
) -> Objection:
    """Record an objection to a case under public notice; the case waits until it is resolved.

    ``by`` is the cadre who records it (in scope of the village); ``name`` and ``contact`` are
    the objector's, as given (they may stay anonymous).
    """
    proc = wf.procedure_def(case.procedure)
    if not in_scope(by, case.division_code) or user_role(by) not in wf.ROLE_LEVEL:
        raise FupinError("WORKFLOW_OUT_OF_SCOPE", f"区划 {case.division_code} 不在您的管辖范围内")
    if not text.strip():
        raise FupinError("WORKFLOW_OBJECTION_EMPTY", "请填写异议内容")
    now = timezone.now()
    if case.state not in proc.notice_states() or case.closed_at is not None:
        raise FupinError(
            "WORKFLOW_NOT_IN_NOTICE", f"本案当前为「{case.state_label}」，不在公示期，不能登记异议"
        )
    if case.notice_until is not None and now > case.notice_until:
        raise FupinError("WORKFLOW_NOTICE_ENDED", "公示期已结束，不能再登记异议")
    objection = Objection.objects.create(
        case=case,
        round=case.round,
        state=case.state,
        text=text,
        raised_by_name=name,
        raised_by_contact=contact,
        recorded_by=by,
        raised_at=now,
    )
    _audit(
        by=by,
        action=f"wf.{case.procedure}.objection",
        household=case.household,
        after={"objection": objection.pk, "state": case.state},
    )
    return objection


def objection_resolve(*, objection: Objection, outcome: str, note: str, by: User) -> Objection:
    """Record the re-verification of an objection. Upheld: the case goes back to the state
    before its appraisal in a new round, and every step from there is taken again."""
    if outcome not in Objection.Outcome.values:
        raise FupinError("WORKFLOW_OUTCOME_INVALID", "核实结果须为「异议成立」或「异议不成立」")
    if not note.strip():
        raise FupinError("WORKFLOW_EVIDENCE_MISSING", "请写明核实情况")
    case = objection.case
    role, own = _actor(by)
    if role not in (wf.TOWNSHIP, wf.COUNTY) or not in_scope(by, case.division_code):
        raise FupinError("WORKFLOW_ROLE_NOT_ALLOWED", "公示异议由乡镇或县级核实（须在管辖范围内）")
    proc = wf.procedure_def(case.procedure)
    with transaction.atomic():
        now = timezone.now()
        done = Objection.objects.filter(pk=objection.pk, outcome="").update(
            outcome=outcome, outcome_note=note, resolved_by=by, resolved_at=now
        )
        if done != 1:
            raise FupinError("WORKFLOW_OBJECTION_RESOLVED", "该异议已核实办结")
        if outcome == Objection.Outcome.UPHELD:
            current = Case.objects.select_for_update().get(pk=case.pk)
            if current.closed_at is not None:
                raise _conflict()
            before = _state_of(current)
            step = proc.step(proc.next_step(proc.reverify_state).code)  # type: ignore[union-attr]
            moved = Case.objects.filter(pk=current.pk, round=current.round).update(
                state=proc.reverify_state,
                round=current.round + 1,
                moved_at=now,
                notice_until=None,
                deadline=now + timedelta(days=step.deadline_days),
            )
            if moved != 1:
                raise _conflict()
            current.refresh_from_db()
            Step.objects.create(
                case=current,
                code=wf.REVERIFY,
                round=current.round,
                from_state=before["state"],
                to_state=current.state,
                by=by,
                at=now,
                division_code=own,
                before=before,
                after=_state_of(current),
                note=note,
            )
        _audit(
            by=by,
            action=f"wf.{case.procedure}.objection",
            household=case.household,
            after={"objection": objection.pk, "outcome": outcome},
            note=note,
        )
        objection.refresh_from_db()
        if objection.notice_objection_id is not None:
            # A hold of a public objection: the outcome goes to it too (ADR 0007).
            from fupin.workflows.notice_link import case_objection_resolved

            case_objection_resolved(hold=objection)
    objection.refresh_from_db()
    return objection


# -- bulk -----------------------------------------------------------------------------------


def _subtree(division_code: str) -> tuple[str, str]:
    return division_code, division_code.ljust(12, "9")


def _dt(value: datetime | None) -> Any:
    """A datetime as the ORM would store it (raw SQL on SQLite needs the ORM's text form)."""
    return connection.ops.adapt_datetimefield_value(value)


def _json(value: Data) -> tuple[str, str]:
    """A JSON constant for an INSERT … SELECT (PostgreSQL does not cast text to jsonb there)."""
    import json

    placeholder = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    return placeholder, json.dumps(value, ensure_ascii=False)


def _insert_steps(
    *,
    where: str,
    params: Sequence[Any],
    step: wf.StepDef,
    by: User,
    own: str,
    now: datetime,
    notice_until: datetime | None,
    data: Data,
) -> int:
    """INSERT one Step per case matching ``where`` (over ``c``), in one statement."""
    qn = connection.ops.quote_name
    fields = _step_fields(step, data)
    before_sql, before = _json({"state": step.from_state} if step.from_state else {})
    after_sql, after = _json({"state": step.to_state})
    columns: dict[str, tuple[str, list[Any]]] = {
        "case_id": ("c.id", []),
        "code": ("%s", [step.code]),
        "round": ("c.round", []),
        "from_state": ("%s", [step.from_state]),
        "to_state": ("%s", [step.to_state]),
        "by_id": ("%s", [by.pk]),
        "at": ("%s", [_dt(now)]),
        "division_code": ("%s", [own]),
        "before": (before_sql, [before]),
        "after": (after_sql, [after]),
        "note": ("%s", [fields["note"]]),
        "attachment": ("%s", [""]),
        "minutes": ("%s", [""]),
        "consent": ("%s", [fields.get("consent")]),
        "meeting_date": ("%s", [fields.get("meeting_date")]),
        "meeting_attendance": ("%s", [fields.get("meeting_attendance")]),
        "votes_for": ("%s", [fields.get("votes_for")]),
        "votes_against": ("%s", [fields.get("votes_against")]),
        "notice_due_until": ("%s", [_dt(notice_until)]),
        "overdue": ("CASE WHEN c.deadline < %s THEN 1=1 ELSE 1=0 END", [_dt(now)]),
        "assessed_meets": ("ar.meets_standard", []),
        "assessed_income": ("ar.per_capita_net_income", []),
        "assessed_failed": ("COALESCE(ar.failed_codes, '')", []),
    }
    select_params: list[Any] = []
    for _, p in columns.values():
        select_params.extend(p)
    sql = (
        f"INSERT INTO {qn(Step._meta.db_table)} ({', '.join(qn(k) for k in columns)}) "
        f"SELECT {', '.join(expr for expr, _ in columns.values())} "
        f"FROM {qn(Case._meta.db_table)} c "
        f"LEFT JOIN {qn(AssessmentResult._meta.db_table)} ar ON ar.household_id = c.household_id "
        f"AND ar.year = c.year AND ar.rule_set = %s WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, DEFAULT_RULE_SET.code, *params])
        return int(cursor.rowcount)


def workflow_bulk_advance(
    *,
    division_code: str,
    procedure: str,
    step: str,
    by: User,
    household_ids: Sequence[int] | None = None,
    data: Data | None = None,
) -> int:
    """Take ``step`` for every case under ``division_code`` that may take it now; return how
    many moved.

    The yearly dynamic adjustment moves tens of thousands of households through a step at
    once: one INSERT … SELECT of the steps and one UPDATE of the cases, whatever their number.
    Cases that may not move (another state, notice period running, open objection, or — for
    an approving step — proposed by ``by``) are left where they are. ``data`` is the evidence
    shared by all of them (one village meeting appraises many households).
    """
    data = data or {}
    proc = wf.procedure_def(procedure)
    try:
        sdef = proc.step(step)
    except KeyError:
        raise FupinError("WORKFLOW_STEP_UNKNOWN", f"没有环节 {step}") from None
    if sdef is proc.first:
        raise FupinError("WORKFLOW_STEP_OUT_OF_ORDER", f"「{sdef.label}」是提出环节，请用批量提出")
    own = _check_actor(sdef, by, division_code)
    _check_evidence(sdef, data)
    now = timezone.now()
    notice_until, deadline = _deadlines(sdef, now)
    final = sdef.to_state == proc.final_state
    lo, hi = _subtree(division_code)
    where = (
        "c.procedure = %s AND c.state = %s AND c.closed_at IS NULL "
        "AND c.division_code >= %s AND c.division_code <= %s "
        "AND (c.notice_until IS NULL OR c.notice_until <= %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {connection.ops.quote_name(Objection._meta.db_table)} o "
        "WHERE o.case_id = c.id AND o.round = c.round AND o.outcome = '')"
    )
    params: list[Any] = [proc.procedure.value, sdef.from_state, lo, hi, _dt(now)]
    if sdef.approval:
        where += " AND c.opened_by_id <> %s"
        params.append(by.pk)
    candidates = Case.objects.filter(
        procedure=proc.procedure,
        state=sdef.from_state,
        closed_at__isnull=True,
        division_code__gte=lo,
        division_code__lte=hi,
    )
    if household_ids is not None:
        ids = [int(i) for i in household_ids]
        if not ids:
            return 0
        where += f" AND c.household_id IN ({', '.join(['%s'] * len(ids))})"
        params.extend(ids)
        candidates = candidates.filter(household_id__in=ids)
    try:
        with transaction.atomic():
            inserted = _insert_steps(
                where=where,
                params=params,
                step=sdef,
                by=by,
                own=own,
                now=now,
                notice_until=notice_until,
                data=data,
            )
            step_taken = Step.objects.filter(
                case=OuterRef("pk"), code=sdef.code, round=OuterRef("round"), at=now
            )
            moved = candidates.filter(pk__in=Subquery(step_taken.values("case_id"))).update(
                state=sdef.to_state,
                moved_at=now,
                notice_until=notice_until,
                deadline=None if final else deadline,
                closed_at=now if final else None,
            )
            if moved != inserted:
                raise _conflict()
            just_moved = Case.objects.filter(
                procedure=proc.procedure,
                state=sdef.to_state,
                moved_at=now,
                division_code__gte=lo,
                division_code__lte=hi,
            )
            if final:
                _final_update(proc, just_moved, now)
            if sdef.notice_days and moved:
                _publish_notices(proc=proc, step=sdef, cases=just_moved, by=by)
            _audit_bulk(
                by=by,
                action=f"wf.{proc.procedure.value}.{sdef.code}",
                cases=just_moved,
                after={"state": sdef.to_state, "step_by_division": own},
                note=str(data.get("note") or ""),
            )
    except (IntegrityError, OperationalError):
        raise _conflict() from None
    return moved


def exit_proposals_create(*, division_code: str, year: int, by: User) -> int:
    """Open an exit case for every household under ``division_code`` whose assessment of
    ``year`` meets the household standard and that has none open; return how many.

    Two statements whatever the number: INSERT … SELECT of the cases from the assessment
    results, then of their proposal steps.
    """
    proc = wf.EXIT
    sdef = proc.first
    own = _check_actor(sdef, by, division_code)
    now = timezone.now()
    notice_until, deadline = _deadlines(sdef, now)
    lo, hi = _subtree(division_code)
    qn = connection.ops.quote_name
    case_t, hh_t = qn(Case._meta.db_table), qn(Household._meta.db_table)
    ar_t = qn(AssessmentResult._meta.db_table)
    statuses = sorted(proc.open_statuses)
    sql = (
        f"INSERT INTO {case_t} (household_id, procedure, state, round, year, category, reason, "
        "division_code, opened_by_id, opened_at, moved_at, deadline) "
        f"SELECT h.id, %s, %s, 1, %s, '', '', h.village_id, %s, %s, %s, %s FROM {hh_t} h "
        f"JOIN {ar_t} ar ON ar.household_id = h.id AND ar.year = %s AND ar.rule_set = %s "
        "WHERE ar.meets_standard AND h.village_id >= %s AND h.village_id <= %s "
        f"AND h.status IN ({', '.join(['%s'] * len(statuses))}) "
        f"AND NOT EXISTS (SELECT 1 FROM {case_t} o WHERE o.household_id = h.id "
        "AND o.procedure = %s AND o.closed_at IS NULL)"
    )
    params = [
        proc.procedure.value,
        sdef.to_state,
        year,
        by.pk,
        _dt(now),
        _dt(now),
        _dt(deadline),
        year,
        DEFAULT_RULE_SET.code,
        lo,
        hi,
        *statuses,
        proc.procedure.value,
    ]
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                opened = int(cursor.rowcount)
            inserted = _insert_steps(
                where="c.procedure = %s AND c.opened_by_id = %s AND c.opened_at = %s "
                "AND c.division_code >= %s AND c.division_code <= %s",
                params=[proc.procedure.value, by.pk, _dt(now), lo, hi],
                step=sdef,
                by=by,
                own=own,
                now=now,
                notice_until=notice_until,
                data={"note": f"{year} 年评估达到脱贫标准，系统批量提出"},
            )
            if inserted != opened:
                raise _conflict()
            _audit_bulk(
                by=by,
                action="wf.exit.propose",
                cases=Case.objects.filter(
                    procedure=proc.procedure,
                    opened_by=by,
                    opened_at=now,
                    division_code__gte=lo,
                    division_code__lte=hi,
                ),
                after={"state": sdef.to_state, "year": year, "step_by_division": own},
            )
    except (IntegrityError, OperationalError):
        raise _conflict() from None
    return opened


__all__ = [
    "case_advance",
    "case_close",
    "case_open",
    "exit_proposals_create",
    "objection_raise",
    "objection_resolve",
    "workflow_bulk_advance",
]
