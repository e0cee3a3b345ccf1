"""Reads of the procedures for the pages and the CLI: cases in a scope, counts, one case's
trail, what a user may do next."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from fupin.accounts.permissions import user_role
from fupin.accounts.scoping import scope_queryset
from fupin.divisions.selectors import subtree_q
from fupin.notices.models import Notice
from fupin.policy import workflows as wf
from fupin.registry.models import Member
from fupin.workflows.models import Case, Objection, Step

User = AbstractBaseUser | AnonymousUser


def cases_visible(user: User) -> QuerySet[Case]:
    """The cases of the households in the user's subtree."""
    return scope_queryset(Case.objects.all(), user, "division_code")


def case_visible(user: User, case_id: int) -> Case | None:
    return (
        cases_visible(user)
        .select_related("household", "household__village", "opened_by")
        .filter(pk=case_id)
        .first()
    )


def _open_objection() -> Exists:
    return Exists(
        Objection.objects.filter(case=OuterRef("pk"), round=OuterRef("round"), outcome="")
    )


def user_next_states(user: User) -> list[tuple[str, str]]:
    """(procedure, state) pairs whose next step the user's role may take (level aside)."""
    role = user_role(user)
    return [
        (p.procedure.value, s.from_state)
        for p in wf.PROCEDURES.values()
        for s in p.steps
        if s.from_state and role in s.roles
    ]


def _pairs_q(pairs: Iterable[tuple[str, str]]) -> Q:
    q = Q(pk__in=[])
    for procedure, state in pairs:
        q |= Q(procedure=procedure, state=state)
    return q


def cases_waiting_for(user: User, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Open cases whose next step the user may take now: their role and level, no notice
    running, no open objection, and not an approval of a case they proposed."""
    role = user_role(user)
    profile = getattr(user, "profile", None)
    division = str(getattr(profile, "division_id", "") or "")
    qs = cases_visible(user) if qs is None else qs
    if role is None or role not in wf.ROLE_LEVEL or len(division) != wf.ROLE_LEVEL[role]:
        return qs.none()
    now = timezone.now()
    approvals = [
        (p.procedure.value, s.from_state)
        for p in wf.PROCEDURES.values()
        for s in p.steps
        if s.from_state and role in s.roles and s.approval
    ]
    return (
        qs.filter(_pairs_q(user_next_states(user)), closed_at__isnull=True)
        .filter(Q(notice_until__isnull=True) | Q(notice_until__lte=now))
        .exclude(_open_objection())
        .exclude(_pairs_q(approvals) & Q(opened_by_id=user.pk))
    )


@dataclass(frozen=True)
class CaseFilters:
    procedure: str = ""
    state: str = ""
    village: str = ""
    overdue: bool = False
    waiting: bool = False
    open_only: bool = True


def case_rows(user: User, filters: CaseFilters) -> QuerySet[Case]:
    """The cases of the list page, filtered, the overdue first then the newest."""
    qs = cases_visible(user)
    if filters.procedure:
        qs = qs.filter(procedure=filters.procedure)
    if filters.state:
        qs = qs.filter(state=filters.state)
    elif filters.open_only:
        qs = qs.filter(closed_at__isnull=True)
    if filters.village:
        qs = qs.filter(subtree_q(filters.village, field="division_code"))
    if filters.overdue:
        qs = qs.filter(closed_at__isnull=True, deadline__lt=timezone.now())
    if filters.waiting:
        qs = cases_waiting_for(user, qs)
    return qs.select_related("household", "household__village").order_by("deadline", "-pk")


def case_counts(user: User) -> dict[str, dict[str, int]]:
    """procedure -> state -> number of cases in the user's subtree (closed ones included)."""
    out: dict[str, dict[str, int]] = {}
    rows = (
        cases_visible(user)
        .order_by()
        .values("procedure", "state")
        .annotate(n=Count("pk"))
        .values_list("procedure", "state", "n")
    )
    for procedure, state, n in rows:
        out.setdefault(procedure, {})[state] = n
    return out


def overdue_count(user: User) -> int:
    return cases_visible(user).filter(closed_at__isnull=True, deadline__lt=timezone.now()).count()


def case_steps(case: Case) -> QuerySet[Step]:
    return Step.objects.filter(case=case).select_related("by").order_by("at", "pk")


def case_objections(case: Case) -> QuerySet[Objection]:
    return (
        Objection.objects.filter(case=case)
        .select_related("recorded_by", "resolved_by", "notice_objection")
        .order_by("raised_at", "pk")
    )


def case_notices(case: Case) -> list[Notice]:
    """The notices posted for the case (their ``case_ids`` name it), oldest first."""
    qs = Notice.objects.filter(division_id=case.division_code, posted_at__gte=case.opened_at)
    return [n for n in qs.order_by("posted_at", "pk") if case.pk in (n.case_ids or [])]


def household_cases(household_id: int) -> QuerySet[Case]:
    return Case.objects.filter(household_id=household_id).order_by("-opened_at", "-pk")


def household_head(household_id: int) -> str:
    name = (
        Member.objects.filter(household_id=household_id, relation="head")
        .values_list("name", flat=True)
        .first()
    )
    return str(name or "")


def is_overdue(case: Case, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return case.closed_at is None and case.deadline is not None and case.deadline < now


def list_summary(*, division: str, state: str = "") -> list[dict[str, Any]]:
    """Rows for ``fupin workflow list``: one per (procedure, state) under ``division``."""
    qs = Case.objects.filter(subtree_q(division, field="division_code"))
    if state:
        qs = qs.filter(state=state)
    now = timezone.now()
    rows = (
        qs.order_by()
        .values("procedure", "state")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(closed_at__isnull=True, deadline__lt=now)),
        )
        .order_by("procedure", "state")
    )
    return [
        {
            "procedure": r["procedure"],
            "state": r["state"],
            "label": wf.state_label(r["procedure"], r["state"]),
            "n": r["n"],
            "overdue": r["overdue"],
        }
        for r in rows
    ]
