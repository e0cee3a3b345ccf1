"""What the project steps read of the project's public notices (资金项目公告公示).

A project's notices are posted through ``fupin.notices`` (the same board, periods, end by the
job worker and public objections as the household procedures; ``fupin.funds.project_notices``
posts them). Each names the project as an item (``NoticeItem``: subject ``project``, key the
project's code). This module only reads them, so that the step services and the publishing
module both depend on it and not on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from fupin.notices.models import Notice, NoticeStatus, ObjectionStatus
from fupin.policy import funds as pf

SUBJECT = "project"

#: The notice each project step waits for, by the status it moves to (村级公示 before the
#: township's review, 乡镇公示 before the county's decision: domain-next.md §1.4 ✔ [F8]).
NOTICE_BEFORE = {"reviewed": "project_village", "approved": "project_township"}
#: The notice kind each level posts and the project status it is posted in.
KIND_OF_LEVEL = {
    "village": "project_village",
    "township": "project_township",
    "county": "project_library",
    "completion": "project_completion",
}
STATUS_OF_KIND = {
    "project_village": "proposed",
    "project_township": "reviewed",
    "project_library": "approved",
    "project_completion": "accepted",
}


@dataclass(frozen=True)
class ProjectNotice:
    """One notice of a project with what its steps need to know about it."""

    notice: Notice
    kind: str
    starts_at: datetime
    ends_at: datetime
    open_objections: int
    upheld_objections: int

    @property
    def ended(self) -> bool:
        return self.notice.status == NoticeStatus.ENDED or self.ends_at <= timezone.now()

    @property
    def ended_ok(self) -> bool:
        """Its period is over and no objection is open or upheld: the next step may go on."""
        return self.ended and not self.open_objections and not self.upheld_objections

    def facts(self) -> pf.NoticeFacts:
        """The notice as the pure rules read it: its first and last day (the last moment it
        was up, in local time) and its objections."""
        start = timezone.localtime(self.starts_at).date()
        end = timezone.localtime(self.ends_at - timedelta(microseconds=1)).date()
        return pf.NoticeFacts(start, end, self.open_objections, self.upheld_objections)


def project_notices(code: str, kind: str | None = None) -> list[ProjectNotice]:
    """The posted (not withdrawn) notices naming the project, newest first (one query)."""
    qs = Notice.objects.filter(items__subject_type=SUBJECT, items__subject_key=code).exclude(
        status__in=(NoticeStatus.DRAFT, NoticeStatus.WITHDRAWN)
    )
    if kind:
        qs = qs.filter(kind=kind)
    rows = (
        qs.annotate(
            n_open=Count(
                "objections", filter=Q(objections__status=ObjectionStatus.OPEN), distinct=True
            ),
            n_upheld=Count(
                "objections", filter=Q(objections__status=ObjectionStatus.UPHELD), distinct=True
            ),
        )
        .select_related("division")
        .order_by("-starts_at", "-pk")
        .distinct()
    )
    return [
        ProjectNotice(
            notice=n,
            kind=n.kind,
            starts_at=n.starts_at,
            ends_at=n.ends_at,
            open_objections=n.n_open,
            upheld_objections=n.n_upheld,
        )
        for n in rows
        if n.starts_at is not None and n.ends_at is not None
    ]


def notice_before(code: str, target: str) -> pf.NoticeFacts | None:
    """The latest notice the step to ``target`` waits for, as the rules read it (None: none
    posted, or the step waits for no notice)."""
    kind = NOTICE_BEFORE.get(target)
    if kind is None:
        return None
    found = project_notices(code, kind)
    return found[0].facts() if found else None
