"""What-if poverty lines: for a division in the user's subtree and a year, poor persons,
incidence, P1, P2 and the cost to close the gap per line, a curve and the villages' incidence.

Thin view: the right, the user's scope, one selector, render. A division outside the scope
answers 404 like a missing one.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.analysis.deep_poverty import village_incidence_threshold
from fupin.analysis.indices import WhatIf, registry_whatif
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.reports.selectors import rollup_latest_year

DEFAULT_YEAR = 2016


def _chart(result: WhatIf) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [_("贫困人数"), _("贫困发生率（%）")]},
        "xAxis": {
            "type": "category",
            "name": _("贫困线（元）"),
            "data": [str(w.line) for w in result.lines],
        },
        "yAxis": [{"type": "value", "name": _("人")}, {"type": "value", "name": "%"}],
        "series": [
            {"name": _("贫困人数"), "type": "line", "data": [round(w.poor) for w in result.lines]},
            {
                "name": _("贫困发生率（%）"),
                "type": "line",
                "yAxisIndex": 1,
                "data": [round(w.incidence * 100, 2) for w in result.lines],
            },
        ],
    }


def _lines(text: str) -> list[Decimal] | None:
    if not text.strip():
        return None
    try:
        return [Decimal(p.strip()) for p in text.split(",")]
    except InvalidOperation:
        raise FupinError("INDICES_BAD_LINE", _("贫困线不是数字：%s") % text) from None


@require_GET
def whatif_page(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    if scope is None or not can(request.user, Action.VIEW_REGISTRY):
        raise PermissionDenied(_("您没有权限访问此页面"))
    code = request.GET.get("division", "").strip() or scope
    if not code.startswith(scope):
        raise Http404(_("未找到区划"))
    division = Division.objects.filter(code=code).first() if code else None
    if code and division is None:
        raise Http404(_("未找到区划"))
    try:
        year = int(request.GET.get("year") or rollup_latest_year() or DEFAULT_YEAR)
    except ValueError:
        year = DEFAULT_YEAR
    lines_text = request.GET.get("lines", "")
    result, error = None, ""
    try:
        result = registry_whatif(division_code=code, year=year, lines=_lines(lines_text))
    except FupinError as exc:
        error = f"{exc.message}（{exc.code}）"
    rows, villages = [], []
    # Villages above the province's deep-poverty threshold at a line are marked (超过 20 %
    # nationally, domain.md §8; a province's own village rule set replaces it).
    threshold = village_incidence_threshold(code[:2])
    if result:
        rows = result.lines
        codes = sorted(result.lines[0].villages) if result.lines else []
        names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
        villages = [
            {
                "code": c,
                "name": names.get(c, c),
                "cells": [
                    {
                        "incidence": w.villages[c]["incidence"],
                        "over": w.villages[c]["incidence"] > threshold,
                    }
                    for w in result.lines
                ],
            }
            for c in codes
        ]
    return render(
        request,
        "web/analysis/whatif.html",
        {
            "division": division,
            "division_code": code,
            "year": year,
            "lines_text": lines_text,
            "result": result,
            "rows": rows,
            "villages": villages,
            "threshold": threshold,
            "chart": _chart(result) if result else None,
            "error": error,
        },
    )
