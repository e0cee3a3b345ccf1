"""The home page: the figures of the user's division (or one under it) for a year.

Reads only the pre-computed rollups (``fupin.reports``), after recomputing the villages
marked dirty since the last visit, so it costs the same on an empty and a national registry.
``?division=CODE`` drills down inside the user's scope (anything else answers 404);
``?year=Y`` picks the year (default: the latest with figures).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.divisions.models import LEVEL_OF_LENGTH
from fupin.divisions.selectors import division_ancestors
from fupin.policy import codes
from fupin.reports.models import NATIONAL
from fupin.reports.selectors import Dashboard, Figures, division_dashboard
from fupin.reports.services import rollups_refresh_dirty

NATIONAL_NAME = "全国"


def _url(code: str, year: int | None) -> str:
    query = {k: v for k, v in (("division", code), ("year", year)) if v not in ("", None)}
    return reverse("web:home") + (f"?{urlencode(query)}" if query else "")


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _charts(d: Dashboard) -> dict[str, Any]:
    """ECharts options (drawn by static/web/fupin.js) for the dashboard's charts."""
    grid = {"left": 8, "right": 36, "top": 16, "bottom": 8, "containLabel": True}
    f = d.figures
    status = [
        {"name": label, "value": f.status_households.get(code, 0)}
        for code, label in codes.POVERTY_STATUS.items
        if f.status_households.get(code, 0)
    ]
    children = [c for c in d.children if c.persons]
    return {
        "status": {
            "tooltip": {"trigger": "item", "formatter": "{b}：{c} 户（{d}%）"},
            "legend": {"bottom": 0, "type": "scroll"},
            "color": ["#c62828", "#2e7d32", "#ef6c00", "#66bb6a", "#9e9e9e"],
            "series": [
                {"type": "pie", "radius": ["35%", "65%"], "center": ["50%", "45%"], "data": status}
            ],
        },
        "causes": {
            "tooltip": {"trigger": "axis"},
            "grid": grid,
            "xAxis": {"type": "value", "name": "户"},
            "yAxis": {
                "type": "category",
                "inverse": True,
                "data": [b.label for b in d.causes],
            },
            "series": [
                {
                    "type": "bar",
                    "name": "户数",
                    "itemStyle": {"color": "#b71c1c"},
                    "data": [b.households for b in d.causes],
                }
            ],
        },
        "failed": {
            "tooltip": {"trigger": "axis"},
            "grid": grid,
            "xAxis": {"type": "value", "name": "户"},
            "yAxis": {"type": "category", "inverse": True, "data": [b.label for b in d.failed]},
            "series": [
                {
                    "type": "bar",
                    "name": "未达标户数",
                    "itemStyle": {"color": "#ef6c00"},
                    "data": [b.households for b in d.failed],
                }
            ],
        },
        "incidence": {
            "tooltip": {"trigger": "axis", "formatter": "{b0}：{c0}%"},
            "grid": grid,
            "xAxis": {"type": "value", "name": "%", "max": 100},
            "yAxis": {"type": "category", "inverse": True, "data": [c.name for c in children]},
            "series": [
                {
                    "type": "bar",
                    "name": "未脱贫率",
                    "itemStyle": {"color": "#c62828"},
                    "cursor": "pointer",
                    "data": [
                        {
                            "value": _pct(c.poor_persons, c.registered_persons),
                            "url": _url(c.code, d.year),
                        }
                        for c in children
                    ],
                }
            ],
        },
    }


def _breadcrumb(scope: str, code: str, year: int | None) -> list[dict[str, str]]:
    """From the user's scope down to the shown division, each linked to its page."""
    crumbs = [{"name": NATIONAL_NAME, "url": _url(NATIONAL, year)}] if scope == NATIONAL else []
    if code:
        for d in division_ancestors(code, include_self=True).order_by("code"):
            if d.code.startswith(scope):
                crumbs.append({"name": d.name, "url": _url(d.code, year)})
    return crumbs


def _division(scope: str, requested: str | None) -> tuple[str, str]:
    """The (code, name) to show: the requested one if it lies in the scope, else 404."""
    code = scope if requested is None else requested.strip()
    if code == NATIONAL:
        if scope != NATIONAL:
            raise Http404
        return NATIONAL, NATIONAL_NAME
    if not (code.isascii() and code.isdigit() and len(code) in LEVEL_OF_LENGTH):
        raise Http404
    if not code.startswith(scope):
        raise Http404  # outside the user's subtree answers like a missing division
    division = division_ancestors(code, include_self=True).filter(code=code).first()
    if division is None:
        raise Http404
    return code, division.name


def home(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        # Department providers and users without a division: no registry figures.
        return render(request, "web/home.html", {"nav": "home", "dashboard": None})
    code, name = _division(scope, request.GET.get("division"))
    year_text = request.GET.get("year", "").strip()
    year_error = ""
    year: int | None = None
    if year_text:
        if year_text.isdigit() and 2000 <= int(year_text) <= 2100:
            year = int(year_text)
        else:
            year_error = f"年度“{year_text}”无效，已显示最近一年"
    rollups_refresh_dirty()
    dashboard = division_dashboard(division_code=code, name=name, year=year)
    if year is not None and year not in dashboard.years and dashboard.figures.households == 0:
        year_error = year_error or f"{year} 年没有统计数据"
    f: Figures = dashboard.figures
    children = [
        {"figures": c, "url": _url(c.code, dashboard.year), "incidence": c.incidence}
        for c in dashboard.children
    ]
    return render(
        request,
        "web/home.html",
        {
            "nav": "home",
            "dashboard": dashboard,
            "figures": f,
            "division_code": code,
            "division_name": name,
            "breadcrumb": _breadcrumb(scope, code, dashboard.year),
            "children": children,
            "charts": _charts(dashboard),
            "incidence_height": 80 + 24 * sum(1 for c in dashboard.children if c.persons),
            "statuses": [
                {
                    "label": label,
                    "households": f.status_households.get(status, 0),
                    "persons": f.status_persons.get(status, 0),
                }
                for status, label in codes.POVERTY_STATUS.items
            ],
            "year_error": year_error,
            "incidence_pct": None if f.incidence is None else round(100 * f.incidence, 1),
            "exit_pct": None if f.exit_share is None else round(100 * f.exit_share, 1),
            "meets_pct": None if f.meets_share is None else round(100 * f.meets_share, 1),
            # County and above: the deep-poverty marks, ranking, map and indices, loaded
            # after the page (they are computed from the registry, not the rollups).
            "deep_poverty_panel": len(code) <= 6,
        },
    )
