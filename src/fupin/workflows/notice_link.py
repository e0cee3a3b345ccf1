"""One objection, two records: a public objection to a notice holds the cases it names.

The public raise objections on the notice page (``fupin.notices``: ``NoticeObjection``, no
account); the procedures wait on their own ``Objection`` rows (``fupin.workflows``). When a
notice was posted by a procedure step (``Notice.case_ids``), a public objection to it is the
complaint of record and each case it names gets a linked ``Objection`` that holds the case
(no step until it is resolved). Resolving on either side records the same outcome on both,
in one transaction, through the workflow's rule (re-verification by the township or the
county, an upheld objection sends the case back). See docs/decisions/0007-objections.md.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from fupin.common.audit import audit_record
from fupin.notices.models import NoticeObjection, ObjectionStatus
from fupin.policy import workflows as wf
from fupin.workflows.models import Case, Objection


def _cases_named(objection: NoticeObjection) -> QuerySet[Case]:
    """The open cases of the notice the objection names (one household's, or all of them)."""
    notice = objection.notice
    ids = [int(i) for i in (notice.case_ids or []) if str(i).isdigit()]
    cases = Case.objects.filter(pk__in=ids, closed_at__isnull=True).select_related("household")
    if objection.entry_id is not None and objection.entry is not None:
        cases = cases.filter(household__code=objection.entry.household_code)
    return cases


def notice_objection_hold(*, objection: NoticeObjection) -> list[Objection]:
    """Open the re-verification of every case a public objection names; return the holds.

    Called when the public objection is recorded. A case no longer under this notice (it
    moved on, or the notice is of an earlier round) gets no hold. The hold is recorded by the
    cadre who posted the notice (the office the objection was addressed to).
    """
    recorder = objection.notice.posted_by
    if recorder is None:
        return []
    holds = []
    for case in _cases_named(objection):
        proc = wf.procedure_def(case.procedure)
        if case.state not in proc.notice_states():
            continue
        hold = Objection.objects.create(
            case=case,
            round=case.round,
            state=case.state,
            text=objection.text,
            raised_by_name=objection.submitter_name,
            raised_by_contact=objection.submitter_contact,
            recorded_by=recorder,
            raised_at=objection.submitted_at,
            notice_objection=objection,
        )
        audit_record(
            by=None,
            action=f"wf.{case.procedure}.objection",
            obj_type="household",
            obj_key=case.household.code,
            division=case.division_code,
            after={"objection": hold.pk, "notice_objection": objection.pk, "state": case.state},
            note="公示期间收到群众异议",
        )
        holds.append(hold)
    return holds


def notice_objection_resolve_cases(
    *, objection: NoticeObjection, outcome: str, note: str, by: Any
) -> int:
    """Record the outcome of a public objection on the holds of its cases; return how many.

    Called by ``fupin.notices.services.objection_resolve`` inside its transaction: a refusal
    of the workflow (wrong role, out of scope) undoes the notice side too.
    """
    from fupin.workflows.services import objection_resolve

    done = 0
    for hold in Objection.objects.filter(notice_objection=objection, outcome="").select_related(
        "case"
    ):
        objection_resolve(objection=hold, outcome=outcome, note=note, by=by)
        done += 1
    return done


def case_objection_resolved(*, hold: Objection) -> bool:
    """After a hold was resolved on the case page: record the outcome on the public objection
    once none of its holds is open. Return whether the public objection was closed."""
    if hold.notice_objection_id is None:
        return False
    if Objection.objects.filter(notice_objection_id=hold.notice_objection_id, outcome="").exists():
        return False
    with transaction.atomic():
        closed = NoticeObjection.objects.filter(
            pk=hold.notice_objection_id, status=ObjectionStatus.OPEN
        ).update(
            status=hold.outcome,
            outcome_note=hold.outcome_note,
            resolved_by=hold.resolved_by,
            resolved_at=hold.resolved_at or timezone.now(),
        )
    return closed == 1
