"""Writes of public notices: publish, end, withdraw; objections: submit, resolve."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from fupin.common.errors import FupinError
from fupin.divisions.selectors import division_get
from fupin.notices.models import (
    Notice,
    NoticeEntry,
    NoticeItem,
    NoticeKind,
    NoticeObjection,
    NoticeStatus,
    ObjectionStatus,
)
from fupin.notices.rights import may_manage_notice
from fupin.policy import notices as policy
from fupin.registry.models import Household, Member

#: At most this many objections from one address per hour (a notice board, not a forum).
OBJECTIONS_PER_HOUR = 5
OBJECTION_TEXT_MIN = 5
OBJECTION_TEXT_MAX = 2000


@dataclass(frozen=True)
class _Snapshot:
    code: str
    village: str
    group: str
    head: str | None
    members: int


def _refuse_rights(by: Any, kind: str, division_code: str) -> None:
    if not may_manage_notice(by, kind=kind, division_code=division_code):
        raise FupinError(
            "NOTICE_FORBIDDEN",
            "您无权发布或处理此公示：须由公示所属的村、乡镇或县工作人员办理",
            {"kind": kind, "division": division_code},
        )


def _entry_requests(entries: Sequence[str | Mapping[str, str]], kind: str) -> dict[str, str]:
    """Return household code -> decision text, in the given order, without repeats."""
    default = policy.DECISIONS[kind]
    out: dict[str, str] = {}
    for item in entries:
        if isinstance(item, str):
            code, decision = item.strip(), default
        else:
            code = str(item.get("household") or item.get("code") or "").strip()
            decision = str(item.get("decision") or default).strip()
        if not code:
            raise FupinError("NOTICE_ENTRY_INVALID", "名单中有一行没有户编号")
        if not decision:
            raise FupinError(
                "NOTICE_DECISION_MISSING",
                f"户 {code} 没有公示事项：“其他公示”须逐户写明公示事项",
                {"household": code},
            )
        out.setdefault(code, decision[:200])
    return out


def _snapshots(codes: Sequence[str]) -> dict[str, _Snapshot]:
    """Read the public facts of these households in one query."""
    heads = Member.objects.filter(household=OuterRef("pk"), relation="head")
    counts = (
        Member.objects.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Household.objects.filter(code__in=codes)
        .annotate(head=Subquery(heads.values("name")[:1]), n=Coalesce(Subquery(counts), 0))
        .values_list("code", "village_id", "group_name", "head", "n")
    )
    return {row[0]: _Snapshot(*row) for row in rows}


def _title_and_period(kind: str, title: str, period_days: int | None) -> tuple[str, int]:
    """The public title and the period of a notice to post, or the refusal."""
    title = policy.public_text(title.strip())
    if not title:
        raise FupinError("NOTICE_TITLE_MISSING", "请填写公示标题")
    try:
        return title, policy.period_days(kind, period_days)
    except ValueError:
        raise FupinError(
            "NOTICE_PERIOD_INVALID",
            f"公示天数应在 {policy.PERIOD_MIN_DAYS} 到 {policy.PERIOD_MAX_DAYS} 天之间",
            {"period_days": period_days},
        ) from None


@transaction.atomic
def notice_publish(
    *,
    village_code: str,
    kind: str,
    title: str,
    entries: Sequence[str | Mapping[str, str]],
    period_days: int | None = None,
    by: Any,
    case_ids: Sequence[int | str] = (),
    now: datetime | None = None,
) -> Notice:
    """Post a notice at a division with a frozen list of households; return it.

    ``entries`` are household codes, or dicts with ``household`` and an optional
    ``decision`` (the kind's standard wording otherwise). Every household must lie under the
    division. The list keeps the head's name, the group and the member count as they are now,
    stripped of anything a public page must not show (``policy.public_text``).
    """
    if kind not in NoticeKind.values or kind in policy.ITEM_KINDS:
        raise FupinError("NOTICE_KIND_UNKNOWN", f"未知的公示类别：{kind}", {"kind": kind})
    division = division_get(village_code)
    _refuse_rights(by, kind, division.code)
    title, days = _title_and_period(kind, title, period_days)
    wanted = _entry_requests(entries, kind)
    if not wanted:
        raise FupinError("NOTICE_EMPTY", "公示名单为空：请至少选择一户")
    found = _snapshots(list(wanted))
    missing = [code for code in wanted if code not in found]
    if missing:
        raise FupinError(
            "NOTICE_HOUSEHOLD_UNKNOWN",
            f"未找到户编号：{'、'.join(missing[:5])}" + ("等" if len(missing) > 5 else ""),
            {"households": missing},
        )
    outside = [c for c in wanted if not found[c].village.startswith(division.code)]
    if outside:
        raise FupinError(
            "NOTICE_HOUSEHOLD_OUTSIDE",
            f"以下户不在{division.name}：{'、'.join(outside[:5])}",
            {"households": outside},
        )
    headless = [c for c in wanted if not found[c].head]
    if headless:
        raise FupinError(
            "NOTICE_HOUSEHOLD_NO_HEAD",
            f"以下户没有登记户主，无法公示：{'、'.join(headless[:5])}",
            {"households": headless},
        )
    now = now or timezone.now()
    notice = Notice.objects.create(
        kind=kind,
        division=division,
        title=title[:200],
        status=NoticeStatus.POSTED,
        period_days=days,
        starts_at=now,
        ends_at=now + timedelta(days=days),
        posted_by=by if getattr(by, "pk", None) else None,
        posted_at=now,
        case_ids=list(case_ids),
    )
    NoticeEntry.objects.bulk_create(
        NoticeEntry(
            notice=notice,
            position=i,
            household_code=code,
            head_name=policy.public_text(found[code].head or "")[:50] or "（姓名略）",
            group_name=policy.public_text(found[code].group)[:50],
            member_count=found[code].members,
            decision=policy.public_text(decision)[:200],
        )
        for i, (code, decision) in enumerate(wanted.items(), start=1)
    )
    return notice


@dataclass(frozen=True)
class Item:
    """One row of a list of projects or allocations: the record it shows and its cells."""

    subject_type: str
    subject_key: str
    cells: Sequence[str]


#: A public cell holds at most this many characters (a project's task or benefit text).
ITEM_CELL_MAX = 500


@transaction.atomic
def notice_publish_items(
    *,
    division_code: str,
    kind: str,
    title: str,
    columns: Sequence[str],
    items: Sequence[Item],
    by: Any,
    period_days: int | None = None,
    now: datetime | None = None,
) -> Notice:
    """Post a notice of projects or allocations (资金项目公告公示) at a division; return it.

    Each item's cells are frozen as they are now, under ``columns``, and stripped of anything
    a public page must not show (``policy.public_text``) like a household list: a money figure
    is written with thousands separators, so it is never taken for a phone number.
    """
    if kind not in policy.ITEM_KINDS:
        raise FupinError("NOTICE_KIND_UNKNOWN", f"未知的项目资金公示类别：{kind}", {"kind": kind})
    division = division_get(division_code)
    if by is not None:  # None: the system (CLI, demo), which posts what a step decided
        _refuse_rights(by, kind, division.code)
    title, days = _title_and_period(kind, title, period_days)
    if not items:
        raise FupinError("NOTICE_EMPTY", "公示名单为空：请至少选择一项")
    heads = [policy.public_text(str(c))[:50] for c in columns]
    for item in items:
        if len(item.cells) != len(heads):
            raise FupinError(
                "NOTICE_ITEM_INVALID",
                f"公示内容与栏目数不一致：{item.subject_key}",
                {"subject": item.subject_key},
            )
    now = now or timezone.now()
    notice = Notice.objects.create(
        kind=kind,
        division=division,
        title=title[:200],
        status=NoticeStatus.POSTED,
        period_days=days,
        starts_at=now,
        ends_at=now + timedelta(days=days),
        posted_by=by if getattr(by, "pk", None) else None,
        posted_at=now,
        columns=heads,
    )
    NoticeItem.objects.bulk_create(
        NoticeItem(
            notice=notice,
            position=i,
            subject_type=item.subject_type,
            subject_key=item.subject_key,
            cells=[policy.public_text(str(c))[:ITEM_CELL_MAX] for c in item.cells],
        )
        for i, item in enumerate(items, start=1)
    )
    return notice


def notice_end_due(now: datetime | None = None) -> int:
    """Mark every posted notice whose period is over as ended; return how many (one UPDATE)."""
    now = now or timezone.now()
    return Notice.objects.filter(status=NoticeStatus.POSTED, ends_at__lte=now).update(
        status=NoticeStatus.ENDED, ended_at=now
    )


@transaction.atomic
def notice_withdraw(*, notice: Notice, reason: str, by: Any, now: datetime | None = None) -> Notice:
    """Withdraw a posted (or draft) notice with a reason; its list leaves the public page."""
    _refuse_rights(by, notice.kind, notice.division_id)
    reason = reason.strip()
    if not reason:
        raise FupinError("NOTICE_REASON_MISSING", "请填写撤回原因")
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status not in (NoticeStatus.POSTED, NoticeStatus.DRAFT):
        raise FupinError(
            "NOTICE_NOT_OPEN",
            f"该公示状态为“{notice.get_status_display()}”，不能撤回",
            {"status": notice.status},
        )
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdrawn_at = now or timezone.now()
    notice.withdrawn_by = by
    notice.withdrawn_reason = reason[:500]
    notice.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    return notice


def address_digest(address: str) -> str:
    """A keyed digest of a client address: enough to throttle, useless to identify."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def objection_submit(
    *,
    notice: Notice,
    text: str,
    address: str,
    entry_id: int | None = None,
    name: str = "",
    contact: str = "",
    now: datetime | None = None,
) -> NoticeObjection:
    """Record an objection from the public (no account needed) during the notice period.

    At most ``OBJECTIONS_PER_HOUR`` per address per hour. The contact is kept for the cadres
    who answer it and never shown publicly.
    """
    now = now or timezone.now()
    if notice.status != NoticeStatus.POSTED or (notice.ends_at and notice.ends_at <= now):
        raise FupinError("NOTICE_NOT_OPEN", "该公示已不在公示期内，不能再提出异议")
    text = text.strip()
    if len(text) < OBJECTION_TEXT_MIN:
        raise FupinError(
            "OBJECTION_TEXT_SHORT", f"请写明异议内容（至少 {OBJECTION_TEXT_MIN} 个字）"
        )
    if len(text) > OBJECTION_TEXT_MAX:
        raise FupinError("OBJECTION_TEXT_LONG", f"异议内容不能超过 {OBJECTION_TEXT_MAX} 个字")
    entry = None
    if entry_id is not None:
        entry = NoticeEntry.objects.filter(notice=notice, pk=entry_id).first()
        if entry is None:
            raise FupinError("OBJECTION_ENTRY_UNKNOWN", "所选的户不在该公示名单中")
    digest = address_digest(address)
    recent = NoticeObjection.objects.filter(
        address_digest=digest, submitted_at__gt=now - timedelta(hours=1)
    ).count()
    if recent >= OBJECTIONS_PER_HOUR:
        raise FupinError(
            "OBJECTION_THROTTLED",
            "提交过于频繁，请一小时后再试，或直接向村委会、乡镇政府反映",
        )
    objection = NoticeObjection.objects.create(
        notice=notice,
        entry=entry,
        text=text,
        submitter_name=name.strip()[:50],
        submitter_contact=contact.strip()[:100],
        address_digest=digest,
        submitted_at=now,
    )
    if notice.case_ids:
        # The notice was posted by a procedure step: the objection holds its cases (ADR 0007).
        from fupin.workflows.notice_link import notice_objection_hold

        notice_objection_hold(objection=objection)
    return objection


@transaction.atomic
def objection_resolve(
    *,
    objection: NoticeObjection,
    outcome: str,
    note: str,
    by: Any,
    now: datetime | None = None,
) -> NoticeObjection:
    """Close an open objection as upheld or dismissed, with a note of what was found."""
    notice = objection.notice
    _refuse_rights(by, notice.kind, notice.division_id)
    if outcome not in (ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED):
        raise FupinError("OBJECTION_OUTCOME_INVALID", "处理结果应为“异议成立”或“异议不成立”")
    note = note.strip()
    if not note:
        raise FupinError("OBJECTION_NOTE_MISSING", "请填写核查情况和处理结果说明")
    objection = NoticeObjection.objects.select_for_update().get(pk=objection.pk)
    if objection.status != ObjectionStatus.OPEN:
        raise FupinError("OBJECTION_ALREADY_RESOLVED", "该异议已处理")
    objection.status = outcome
    objection.outcome_note = note
    objection.resolved_by = by
    objection.resolved_at = now or timezone.now()
    objection.save(update_fields=["status", "outcome_note", "resolved_by", "resolved_at"])
    if notice.case_ids:
        # The same outcome on the holds of the cases, by the workflow's rule (ADR 0007).
        from fupin.workflows.notice_link import notice_objection_resolve_cases

        notice_objection_resolve_cases(objection=objection, outcome=outcome, note=note, by=by)
    return objection
