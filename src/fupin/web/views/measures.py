"""The township's and county's assistance pages (帮扶): the overdue lists, the work-team
roll-up and a village's team page with its attendance and leave, and the home page's
帮扶情况 panel (loaded after the page).

Thin views: the right (``VIEW_REGISTRY``), the user's scope, one selector or service, render.
A division or village outside the scope answers 404 like a missing one. Who may decide a leave
or record attendance is the services' decision: their refusal is shown as a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import in_scope, user_scope
from fupin.common.errors import FupinError
from fupin.divisions.models import LEVEL_OF_LENGTH, Division
from fupin.divisions.selectors import division_ancestors, subtree_q
from fupin.measures import lists, selectors
from fupin.measures.models import LeaveRequest, Measure, TeamMember
from fupin.measures.rollup import assistance_rollup, rolled_measure_counts
from fupin.measures.services import (
    attendance_record,
    leave_decide,
    may_decide_leave,
    may_record_attendance,
    parameters,
)
from fupin.reports.services import rollups_refresh_dirty
from fupin.web.forms.households import short_village_name
from fupin.web.forms.measures_teams import AttendanceForm

#: Rows per page of each overdue list.
PAGE_SIZE = 50
NAV = "measures"
NATIONAL_NAME = "全国"


# --- scope, division, year ---------------------------------------------------------------------


def _scope(request: HttpRequest) -> str:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied(_("您没有权限访问此页面"))
    return scope


@dataclass(frozen=True)
class _Place:
    code: str
    name: str
    crumbs: list[dict[str, str]]


def _place(request: HttpRequest, scope: str, url_name: str, extra: dict[str, Any]) -> _Place:
    """The division asked for (``?division=``, default the scope) with the breadcrumb from the
    scope down to it (one query); outside the scope or unknown answers 404."""
    code = str(request.GET.get("division") or "").strip() or scope
    if code and not (code.isascii() and code.isdigit() and len(code) in LEVEL_OF_LENGTH):
        raise Http404(_("未找到区划"))
    if not code.startswith(scope):
        raise Http404(_("未找到区划"))
    rows = list(division_ancestors(code, include_self=True).order_by("code")) if code else []
    if code and (not rows or rows[-1].code != code):
        raise Http404(_("未找到区划"))
    crumbs = [{"name": NATIONAL_NAME, "url": _url(url_name, "", extra)}] if scope == "" else []
    crumbs += [
        {"name": d.name, "url": _url(url_name, d.code, extra)}
        for d in rows
        if d.code.startswith(scope)
    ]
    return _Place(code=code, name=rows[-1].name if rows else NATIONAL_NAME, crumbs=crumbs)


def _url(url_name: str, code: str, extra: dict[str, Any]) -> str:
    query = {k: v for k, v in {"division": code, **extra}.items() if v not in ("", None)}
    return reverse(url_name) + (f"?{urlencode(query)}" if query else "")


def _int(text: object, default: int, low: int = 2000, high: int = 2100) -> int:
    value = str(text or "").strip()
    return int(value) if value.isdigit() and low <= int(value) <= high else default


def _measure_year(request: HttpRequest) -> int:
    """The year of the measures counted: asked for, or the latest with measures recorded."""
    latest = Measure.objects.aggregate(y=Max("year"))["y"]
    return _int(request.GET.get("year"), latest or timezone.localdate().year)


def _child_names(codes: list[str]) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=codes).values_list("code", "name"))


# --- pages of a list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    """One page of a list whose total is already known (the summary counted it)."""

    rows: list[Any]
    number: int
    num_pages: int
    total: int
    param: str
    first: int  # the row number of the first row shown

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _page(qs: QuerySet[Any], total: int, request: HttpRequest, param: str) -> _Page:
    pages = max(1, ceil(total / PAGE_SIZE))
    number = min(_int(request.GET.get(param), 1, 1, 10**9), pages)
    start = (number - 1) * PAGE_SIZE
    rows = list(qs[start : start + PAGE_SIZE]) if total else []
    return _Page(rows, number, pages, total, param, start + 1)


def _page_links(request: HttpRequest, page: _Page, anchor: str) -> dict[str, str]:
    def at(n: int) -> str:
        q = request.GET.copy()
        q[page.param] = str(n)
        return f"?{q.urlencode()}#{anchor}"

    return {
        "previous": at(page.number - 1) if page.has_previous else "",
        "next": at(page.number + 1) if page.has_next else "",
    }


# --- the overdue lists -------------------------------------------------------------------------


def _household_rows(page: _Page) -> list[dict[str, Any]]:
    return [{"h": h, "village": short_village_name(h.village.name)} for h in page.rows]


@require_GET
def overdue(request: HttpRequest) -> HttpResponse:
    """Current pairings overdue for a visit, poor households without a 帮扶责任人 and without a
    measure carried out, under the division; 50 rows a page per list, the counts on top and by
    the divisions one level down."""
    scope = _scope(request)
    year = _measure_year(request)
    place = _place(request, scope, "web:measures_overdue", {"year": year})
    code = place.code
    today = timezone.localdate()
    children = lists.counts_by_child(code, as_of=today, year=year)
    if lists.child_length(code) is None:  # a village: its own counts
        summary = selectors.assistance_summary(code, year=year, as_of=today)
    else:
        # The totals are the sums of the divisions below (each list is counted once, not
        # twice); the measures by category come from the rollups.
        rollups_refresh_dirty()
        summary = selectors.AssistanceSummary(
            poor=selectors.assisted_households(code).count(),
            unpaired=sum(c.unpaired for c in children),
            without_measure=sum(c.without_measure for c in children),
            overdue=sum(c.overdue for c in children),
            measures=rolled_measure_counts(code, year),
        )
    visits = _page(
        lists.with_head_name(selectors.overdue_visits(code, as_of=today), "household_id"),
        summary.overdue,
        request,
        "vp",
    )
    unpaired = _page(
        lists.with_head_name(selectors.unpaired_households(code)), summary.unpaired, request, "up"
    )
    without = _page(
        lists.with_head_name(selectors.households_without_measure(code, year)),
        summary.without_measure,
        request,
        "mp",
    )
    names = _child_names([c.code for c in children])
    return render(
        request,
        "web/measures/overdue.html",
        {
            "nav": NAV,
            "division_code": code,
            "division_name": place.name,
            "breadcrumb": place.crumbs,
            "year": year,
            "today": today,
            "interval": parameters().visit_interval_days,
            "summary": summary,
            "visits": visits,
            "visit_rows": [
                {
                    "p": p,
                    "village": short_village_name(p.household.village.name),
                    "since": (today - (p.last_visit or p.start)).days,
                }
                for p in visits.rows
            ],
            "visits_links": _page_links(request, visits, "visits"),
            "unpaired": unpaired,
            "unpaired_rows": _household_rows(unpaired),
            "without_rows": _household_rows(without),
            "unpaired_links": _page_links(request, unpaired, "unpaired"),
            "without": without,
            "without_links": _page_links(request, without, "without"),
            "children": [
                {
                    "c": c,
                    "name": short_village_name(names.get(c.code, c.code)),
                    "url": _url("web:measures_overdue", c.code, {"year": year}),
                }
                for c in children
            ],
        },
    )


@require_GET
def home_panel(request: HttpRequest) -> HttpResponse:
    """The home page's 帮扶情况 panel: the division's counts from the rollups (overdue visits
    live), each linking to the lists."""
    scope = _scope(request)
    year = _measure_year(request)
    place = _place(request, scope, "web:measures_overdue", {"year": year})
    rollups_refresh_dirty()  # cheap when nothing is marked; the home page has just run it
    summary = assistance_rollup(place.code, year=year)
    return render(
        request,
        "web/measures/_home_panel.html",
        {
            "summary": summary,
            "year": year,
            "overdue_url": _url("web:measures_overdue", place.code, {"year": year}),
        },
    )


# --- work teams --------------------------------------------------------------------------------


def _team_year(request: HttpRequest) -> int:
    return _int(request.GET.get("year"), timezone.localdate().year)


@require_GET
def teams(request: HttpRequest) -> HttpResponse:
    """Presence of the work teams under the division: by county above a county, by village in
    a county or township."""
    scope = _scope(request)
    year = _team_year(request)
    place = _place(request, scope, "web:teams", {"year": year})
    code = place.code
    p = parameters()
    context: dict[str, Any] = {
        "nav": NAV,
        "division_code": code,
        "division_name": place.name,
        "breadcrumb": place.crumbs,
        "year": year,
        "rules": p,
    }
    if len(code) < 6:
        rows = selectors.county_presence_rollup(code, year)
        names = _child_names([r["county"] for r in rows])
        context["by"] = "county"
        context["rows"] = [
            {
                **r,
                "name": names.get(r["county"], r["county"]),
                "url": _url("web:teams", r["county"], {"year": year}),
            }
            for r in rows
        ]
        context["totals"] = {
            k: sum(r[k] for r in rows) for k in ("teams", "members", "below", "small_teams")
        } | {"overdue": sum(r["overdue"] for r in rows)}
    else:
        presence = selectors.team_presence(code, year)
        overdue_n = lists.overdue_by_village(code)
        villages = Division.objects.filter(subtree_q(code), level=5).count()
        context["by"] = "village"
        context["rows"] = [
            {
                "team": t.team,
                "village": short_village_name(t.team.village.name),
                "secretary": t.first_secretary,
                "members": sum(1 for m in t.members if m.member.end is None),
                "below": t.below_rule,
                "size_ok": t.size_ok,
                "pending": sum(m.pending_leave for m in t.members),
                "overdue": overdue_n.get(t.team.village_id, 0),
            }
            for t in presence
        ]
        # The teams to look at first: someone below the rule, or too few people.
        rows = sorted(context["rows"], key=lambda r: bool(r["size_ok"] and not r["below"]))
        context["problems"] = sum(1 for r in rows if r["below"] or not r["size_ok"])
        context["only_problems"] = request.GET.get("problems") == "1"
        context["rows"] = (
            [r for r in rows if r["below"] or not r["size_ok"]]
            if context["only_problems"]
            else rows
        )
        context["totals"] = {
            "teams": len(rows),
            "members": sum(r["members"] for r in rows),
            "below": sum(len(r["below"]) for r in rows),
            "small_teams": sum(1 for r in rows if not r["size_ok"]),
            "overdue": sum(overdue_n.values()),
        }
        context["villages_without"] = max(0, villages - len(rows))
    return render(request, "web/measures/teams.html", context)


def _village(request: HttpRequest, village_code: str) -> Division:
    village = Division.objects.filter(code=village_code, level=5).first()
    if village is None or not in_scope(request.user, village.code):
        raise Http404(_("未找到该村"))
    return village


def _team_url(village: Division, year: int | None = None) -> str:
    url = reverse("web:team_detail", args=[village.code])
    return f"{url}?year={year}" if year else url


@require_GET
def team_detail(request: HttpRequest, village_code: str) -> HttpResponse:
    """A village's work team: members with their term, this year's attendance month by month
    (months below the rule marked), the year against the yearly rule pro rata, the leave
    requests to decide, and the form that records a month."""
    _scope(request)
    village = _village(request, village_code)
    year = _team_year(request)
    today = timezone.localdate()
    p = parameters()
    found = selectors.team_presence(village.code, year)
    context: dict[str, Any] = {
        "nav": NAV,
        "village": village,
        "village_name": short_village_name(village.name),
        "year": year,
        "years": [year - 1, year, year + 1] if year < today.year else [year - 1, year],
        "rules": p,
        "presence": None,
        "list_url": _url("web:teams", village.code[:9], {"year": year}),
    }
    if not found:
        return render(request, "web/measures/team_detail.html", context)
    presence = found[0]
    team = presence.team
    grid = lists.attendance_grid(team, year, today=today)
    pending, decided = lists.team_leaves(team, year)
    members = []
    for m in sorted(presence.members, key=lambda m: (m.member.end is not None, m.member.pk)):
        needed = ceil(p.presence_days_per_year * m.months / 12)
        counted = m.days_present + m.days_official
        members.append(
            {
                "m": m,
                "cells": grid.get(m.member.pk, []),
                "needed": needed,
                "counted": counted,
                "below": m.member.end is None and (not m.meets_year or m.short_months > 0),
                "no_record": m.months == 0,
                "missing": sum(1 for c in grid.get(m.member.pk, []) if c.missing),
            }
        )
    current = [m.member for m in presence.members if m.member.end is None]
    may_record = any(may_record_attendance(request.user, m) for m in current)
    form = AttendanceForm(
        members=current,
        initial={
            "month": min(today.replace(day=1) - timedelta(days=1), date(year, 12, 1)).strftime(
                "%Y-%m"
            )
        },
    )
    context.update(
        {
            "presence": presence,
            "team": team,
            "secretary": presence.first_secretary,
            "members": members,
            "below_count": sum(1 for r in members if r["below"]),
            "current_count": len(current),
            "months": [date(year, n, 1) for n in range(1, 13)],
            "pending": [
                {
                    "leave": leave,
                    "may_decide": may_decide_leave(request.user, leave.level),
                }
                for leave in pending
            ],
            "decided": decided,
            "may_decide_any": may_decide_leave(request.user),
            "may_record": may_record and bool(current),
            "form": form,
        }
    )
    return render(request, "web/measures/team_detail.html", context)


def _refusal(request: HttpRequest, exc: FupinError) -> None:
    messages.error(request, f"{exc.message}（{exc.code}）")


@require_POST
def team_leave_decide(request: HttpRequest, village_code: str) -> HttpResponse:
    """Approve or refuse a pending leave of the village's team (``leave``, ``decision``)."""
    _scope(request)
    village = _village(request, village_code)
    back = redirect(_team_url(village) + "#leave")
    leave_id = str(request.POST.get("leave") or "")
    decision = request.POST.get("decision")
    leave = (
        LeaveRequest.objects.filter(pk=int(leave_id), member__team__village=village)
        .select_related("member")
        .first()
        if leave_id.isdigit()
        else None
    )
    if leave is None or decision not in ("approve", "refuse"):
        messages.error(request, _("请选择要审批的请假"))
        return back
    try:
        leave_decide(leave_id=leave.pk, approve=decision == "approve", by=request.user)
    except FupinError as exc:
        _refusal(request, exc)
        return back
    text = _("已批准 %(name)s 的请假（%(days)s 天）") if decision == "approve" else None
    text = text or _("已不予批准 %(name)s 的请假（%(days)s 天）")
    messages.success(request, text % {"name": leave.member.name, "days": leave.days})
    return back


@require_POST
def team_attendance(request: HttpRequest, village_code: str) -> HttpResponse:
    """Record a month's attendance of a member of the village's team."""
    _scope(request)
    village = _village(request, village_code)
    members = list(
        TeamMember.objects.filter(team__village=village, team__end__isnull=True, end__isnull=True)
    )
    form = AttendanceForm(request.POST, members=members)
    if not form.is_valid():
        problems = [
            f"{form.fields[k].label}：{' '.join(str(e) for e in v)}" for k, v in form.errors.items()
        ]
        messages.error(request, _("考勤未保存：") + "；".join(problems))
        year = _int(request.POST.get("year"), 0) or None
        return redirect(_team_url(village, year) + "#attendance")
    data = form.cleaned_data
    member = next(m for m in members if m.pk == data["member"])
    month: date = data["month"]
    try:
        attendance_record(
            member=member,
            month=month,
            days_present=data["days_present"],
            days_leave=data["days_leave"] or 0,
            days_official=data["days_official"] or 0,
            note=data["note"],
            by=request.user,
        )
    except FupinError as exc:
        _refusal(request, exc)
        return redirect(_team_url(village, month.year) + "#attendance")
    messages.success(
        request,
        _("已录入 %(name)s %(month)s 的考勤：在村 %(days)s 天")
        % {"name": member.name, "month": month.strftime("%Y-%m"), "days": data["days_present"]},
    )
    return redirect(_team_url(village, month.year) + "#members")
