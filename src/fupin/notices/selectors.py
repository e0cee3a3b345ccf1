"""Reads of notices: the public list and page, the cadres' scoped list and objections."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils import timezone

from fupin.accounts.scoping import scope_queryset
from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q, validate_code
from fupin.notices.models import Notice, NoticeEntry, NoticeItem, NoticeObjection, NoticeStatus

User = AbstractBaseUser | AnonymousUser

#: What a public page may show: posted and ended notices (a withdrawn one shows no list).
PUBLIC_STATUSES = (NoticeStatus.POSTED, NoticeStatus.ENDED, NoticeStatus.WITHDRAWN)


def _rows_of_notice(
    model: type[NoticeEntry] | type[NoticeItem] | type[NoticeObjection], q: Q | None = None
) -> Any:
    """COUNT of ``model``'s rows of each notice, as a correlated subquery: computed for the
    notices a page shows only (a JOIN + GROUP BY would read every entry of every notice in
    the scope to count and sort the list)."""
    rows = model.objects.filter(notice=OuterRef("pk"))
    if q is not None:
        rows = rows.filter(q)
    return Subquery(rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"))


def notices_current(*, division: str | None = None) -> QuerySet[Notice]:
    """Return the notices now in their period, newest first, under ``division`` if given."""
    qs = Notice.objects.filter(status=NoticeStatus.POSTED, ends_at__gt=timezone.now())
    if division:
        qs = qs.filter(subtree_q(validate_code(division), field="division__code"))
    return (
        qs.select_related("division")
        .annotate(n_entries=_rows_of_notice(NoticeEntry), n_items=_rows_of_notice(NoticeItem))
        .order_by("-posted_at", "-pk")
    )


def notice_filter_divisions(level: int, under: str | None = None) -> QuerySet[Division]:
    """Return the divisions of ``level`` (3 county, 4 township) holding a current notice."""
    length = {3: 6, 4: 9}[level]
    # One statement: the notices' division prefixes stay in the database (no Python pass over
    # every current notice of the country on each view of the public list).
    prefixes = (
        Notice.objects.filter(status=NoticeStatus.POSTED, ends_at__gt=timezone.now())
        .order_by()
        .values(prefix=Substr("division_id", 1, length))
    )
    qs = Division.objects.filter(code__in=prefixes, level=level)
    if under:
        qs = qs.filter(subtree_q(validate_code(under)))
    return qs.order_by("code")


def notice_public_get(notice_id: int) -> Notice | None:
    """Return a notice the public may open (not a draft), or None."""
    return (
        Notice.objects.select_related("division")
        .filter(pk=notice_id, status__in=PUBLIC_STATUSES)
        .first()
    )


def notice_entries(notice: Notice) -> QuerySet[NoticeEntry]:
    return NoticeEntry.objects.filter(notice=notice).order_by("position")


def notice_items(notice: Notice) -> QuerySet[NoticeItem]:
    """The projects or allocations of a notice, in order (their public cells only)."""
    return NoticeItem.objects.filter(notice=notice).order_by("position")


def notices_visible(user: User, *, status: str | None = None) -> QuerySet[Notice]:
    """Return the notices posted in the user's subtree, newest first, with counts."""
    qs = scope_queryset(Notice.objects.all(), user, "division__code")
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("division")
        .annotate(
            n_entries=_rows_of_notice(NoticeEntry),
            n_items=_rows_of_notice(NoticeItem),
            n_open=_rows_of_notice(NoticeObjection, Q(status="open")),
        )
        .order_by("-created_at", "-pk")
    )


def notice_visible(user: User, notice_id: int) -> Notice | None:
    return notices_visible(user).filter(pk=notice_id).first()


def notice_objections(notice: Notice) -> QuerySet[NoticeObjection]:
    return (
        NoticeObjection.objects.filter(notice=notice)
        .select_related("entry", "resolved_by")
        .order_by("submitted_at", "pk")
    )


def division_path_names(codes: list[str]) -> dict[str, str]:
    """Return code -> "county township village" names for many divisions in one query."""
    wanted = {code[:n] for code in codes for n in (6, 9, 12) if len(code) >= n}
    names = dict(Division.objects.filter(code__in=wanted).values_list("code", "name"))
    return {
        code: " ".join(names[code[:n]] for n in (6, 9, 12) if len(code) >= n and code[:n] in names)
        for code in codes
    }
