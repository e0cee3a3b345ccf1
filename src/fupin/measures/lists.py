"""What the township's and county's assistance pages add to the selectors: the head's name on
each listed row, the lists' counts by the divisions one level down (the drill-down), the
overdue visits per village of a team roll-up, and a work team's attendance month by month.

Each function is one query (or two), whatever the number of rows: the pages' cost does not
grow with the county.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from django.db.models import Count, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Substr

from fupin.divisions.models import CODE_LENGTH, LEVEL_OF_LENGTH
from fupin.measures import selectors
from fupin.measures.models import Attendance, LeaveRequest, TeamMember, WorkTeam
from fupin.measures.services import parameters
from fupin.registry.models import Member

M = TypeVar("M", bound=Model)


def with_head_name(qs: QuerySet[M, M], household: str = "pk") -> QuerySet[M, M]:
    """Annotate ``head_name``: the name of the head of the row's household (``household`` is
    the path to the household's id: ``pk`` on households, ``household_id`` on pairings)."""
    head = Member.objects.filter(household_id=OuterRef(household), relation="head")
    # django-stubs types an annotated queryset as one of plain models: the rows are still M.
    return cast("QuerySet[M, M]", qs.annotate(head_name=Subquery(head.values("name")[:1])))


def child_length(division_code: str) -> int | None:
    """The code length of the divisions one level below (None below a village)."""
    level = LEVEL_OF_LENGTH.get(len(division_code), 0)
    return CODE_LENGTH.get(level + 1)


@dataclass(frozen=True)
class ChildCounts:
    code: str
    overdue: int
    unpaired: int
    without_measure: int


def _by_child(qs: QuerySet[Any], village_field: str, length: int) -> dict[str, int]:
    rows = (
        qs.order_by()
        .annotate(child=Substr(village_field, 1, length))
        .values("child")
        .annotate(n=Count("pk"))
    )
    return {r["child"]: int(r["n"]) for r in rows}


def counts_by_child(
    division_code: str, *, as_of: date | None = None, year: int | None = None
) -> list[ChildCounts]:
    """Per division one level below ``division_code``: overdue visits, households without a
    帮扶责任人 and households without a measure carried out (three grouped queries). Only the
    divisions with something to do are listed."""
    length = child_length(division_code)
    if length is None:
        return []
    overdue = _by_child(
        selectors.overdue_visits(division_code, as_of=as_of), "household__village_id", length
    )
    unpaired = _by_child(selectors.unpaired_households(division_code), "village_id", length)
    without = _by_child(
        selectors.households_without_measure(division_code, year), "village_id", length
    )
    codes = sorted(set(overdue) | set(unpaired) | set(without))
    return [
        ChildCounts(
            code=c,
            overdue=overdue.get(c, 0),
            unpaired=unpaired.get(c, 0),
            without_measure=without.get(c, 0),
        )
        for c in codes
    ]


def overdue_by_village(division_code: str, *, as_of: date | None = None) -> dict[str, int]:
    """Overdue visits per village under a division (one grouped query)."""
    rows = (
        selectors.overdue_visits(division_code, as_of=as_of)
        .order_by()
        .values("household__village_id")
        .annotate(n=Count("pk"))
    )
    return {r["household__village_id"]: int(r["n"]) for r in rows}


# -- one team -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCell:
    month: date
    recorded: bool
    present: int = 0
    leave: int = 0
    official: int = 0
    note: str = ""
    #: Recorded and below the monthly presence rule (off-site official business does not count
    #: towards the month, as in the selector).
    short: bool = False
    #: A past month of the member's term with no record at all.
    missing: bool = False


def _months(year: int) -> list[date]:
    return [date(year, m, 1) for m in range(1, 13)]


def _in_term(member: TeamMember, month: date) -> bool:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return member.start < nxt and (member.end is None or member.end >= month)


def attendance_grid(
    team: WorkTeam, year: int, *, today: date | None = None
) -> dict[int, list[MonthCell]]:
    """Per member of the team (by id): the twelve months of ``year``, each recorded or not
    (one query)."""
    today = today or date.today()
    rule = parameters().presence_days_per_month
    members = list(team.members.all())
    rows = Attendance.objects.filter(member__team=team, month__year=year)
    recorded = {(a.member_id, a.month): a for a in rows}
    this_month = today.replace(day=1)
    out: dict[int, list[MonthCell]] = {}
    for member in members:
        cells = []
        for month in _months(year):
            a = recorded.get((member.pk, month))
            if a is None:
                cells.append(
                    MonthCell(
                        month=month,
                        recorded=False,
                        missing=month < this_month and _in_term(member, month),
                    )
                )
                continue
            cells.append(
                MonthCell(
                    month=month,
                    recorded=True,
                    present=a.days_present,
                    leave=a.days_leave,
                    official=a.days_official,
                    note=a.note,
                    short=a.days_present < rule,
                )
            )
        out[member.pk] = cells
    return out


def team_leaves(team: WorkTeam, year: int) -> tuple[list[LeaveRequest], list[LeaveRequest]]:
    """The team's pending leave requests (oldest first) and those decided in ``year`` (latest
    first, at most 20): two queries."""
    base = LeaveRequest.objects.filter(member__team=team).select_related("member", "decided_by")
    pending = list(base.filter(status="pending").order_by("start", "pk"))
    decided = list(
        base.exclude(status="pending").filter(start__year=year).order_by("-start", "-pk")[:20]
    )
    return pending, decided
