"""The statistical tables pages (统计报表): the catalogue, one table, its Excel and CSV.

Thin views over ``fupin.reports.tables``: they check the right and the scope, compute the
table from the rollups (after recomputing the villages marked dirty, as the home page does)
and render. ``?division=CODE`` must lie in the user's subtree (anything else answers 404,
like a missing division); ``?year=Y`` picks the year (default: the latest with figures).
Each figure links to the household list filtered to its division (and status, attribute,
cause or failed rule) where that list can filter so — the list pages itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import user_scope
from fupin.common.errors import FupinError
from fupin.divisions.models import LEVEL_OF_LENGTH
from fupin.divisions.selectors import division_ancestors
from fupin.reports.models import NATIONAL
from fupin.reports.services import rollups_refresh_dirty
from fupin.reports.table_exports import table_csv, table_filename, table_xlsx
from fupin.reports.tables import NATIONAL_NAME, Drill, Table, table_compute, table_list

#: Division code lengths the household list's village filter accepts.
LIST_FILTER_LENGTHS = (6, 9, 12)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(request: HttpRequest, action: Action = Action.VIEW_REGISTRY) -> str:
    scope = user_scope(request.user)
    if (
        scope is None
        or not can(request.user, Action.VIEW_REGISTRY)
        or not can(request.user, action)
    ):
        raise PermissionDenied("您没有权限访问此页面")
    return scope


def _division(scope: str, requested: str | None) -> str:
    """The division code to show: the requested one if it lies in the scope, else 404."""
    code = scope if requested is None else requested.strip()
    if code == NATIONAL:
        if scope != NATIONAL:
            raise Http404
        return NATIONAL
    if not (code.isascii() and code.isdigit() and len(code) in LEVEL_OF_LENGTH):
        raise Http404
    if not code.startswith(scope):
        raise Http404  # outside the user's subtree answers like a missing division
    return code


def _year(request: HttpRequest) -> int | None:
    text = request.GET.get("year", "").strip()
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    return None


def _compute(request: HttpRequest, name: str, action: Action) -> tuple[str, Table]:
    scope = _scope(request, action)
    code = _division(scope, request.GET.get("division"))
    rollups_refresh_dirty()
    try:
        table = table_compute(name=name, division_code=code, year=_year(request))
    except FupinError as exc:
        if exc.code == "TABLE_NO_YEAR":
            raise Http404(exc.message) from None
        raise Http404 from None  # an unknown table or a division not loaded
    return scope, table


def table_url(name: str, code: str, year: int | None, suffix: str = "") -> str:
    url_name = {"": "web:reports_table", "xlsx": "web:reports_table_xlsx"}.get(
        suffix, "web:reports_table_csv"
    )
    query = {k: v for k, v in (("division", code), ("year", year)) if v not in ("", None)}
    return reverse(url_name, args=[name]) + (f"?{urlencode(query)}" if query else "")


def drill_url(drill: Drill | None, scope: str) -> str | None:
    """The household list behind a figure, if the list can filter to its division."""
    if drill is None:
        return None
    params: list[tuple[str, str]] = []
    if len(drill.division) in LIST_FILTER_LENGTHS:
        params.append(("village", drill.division))
    elif drill.division != scope:
        return None  # a prefecture or province under the user's scope: no such filter
    params.extend(drill.filters)
    try:
        url = reverse("web:household_list")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(params)}" if params else url


def _breadcrumb(scope: str, table: Table) -> list[dict[str, str]]:
    name, year = table.table.name, table.year
    crumbs = []
    if scope == NATIONAL:
        crumbs.append({"name": NATIONAL_NAME, "url": table_url(name, NATIONAL, year)})
    if table.division_code:
        for d in division_ancestors(table.division_code, include_self=True).order_by("code"):
            if d.code.startswith(scope):
                crumbs.append({"name": d.name, "url": table_url(name, d.code, year)})
    return crumbs


def _headers(table: Table) -> tuple[list[dict[str, Any]], list[str]]:
    """The two header rows: the upper with colspans / rowspans, the lower's titles."""
    top: list[dict[str, Any]] = []
    bottom: list[str] = []
    for group in table.table.groups:
        if group.title:
            top.append({"title": group.title, "colspan": len(group.columns), "rowspan": 1})
            bottom.extend(c.title for c in group.columns)
        else:
            top.extend({"title": c.title, "colspan": 1, "rowspan": 2} for c in group.columns)
    return top, bottom


@require_GET
def table_list_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    code = _division(scope, request.GET.get("division"))
    year = _year(request)
    # Links keep a division asked for; without one each table opens on the user's own.
    linked = code if "division" in request.GET else NATIONAL
    tables = [
        {"table": t, "url": table_url(t.name, linked, year), "columns": len(t.columns)}
        for t in table_list()
    ]
    return render(
        request,
        "web/reports/tables.html",
        {"nav": "reports_tables", "tables": tables, "division_code": code},
    )


@require_GET
def table_page(request: HttpRequest, name: str) -> HttpResponse:
    scope, table = _compute(request, name, Action.VIEW_REGISTRY)
    top, bottom = _headers(table)
    deeper = len(table.division_code) < 12
    rows = [
        {
            "row": row,
            "url": table_url(name, row.code, table.year) if deeper and not row.is_total else None,
            "cells": [
                {
                    "value": cell.value,
                    "percent": column.kind == "percent",
                    "url": drill_url(cell.drill, scope),
                }
                for column, cell in zip(table.table.columns, row.cells, strict=True)
            ],
        }
        for row in table.all_rows
    ]
    downloads = None
    if can(request.user, Action.EXPORT):
        downloads = {
            "xlsx": table_url(name, table.division_code, table.year, "xlsx"),
            "csv": table_url(name, table.division_code, table.year, "csv"),
        }
    return render(
        request,
        "web/reports/table.html",
        {
            "nav": "reports_tables",
            "t": table,
            "header_top": top,
            "header_bottom": bottom,
            "rows": rows,
            "breadcrumb": _breadcrumb(scope, table),
            "downloads": downloads,
            "list_url": reverse("web:reports_table_list"),
        },
    )


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def table_xlsx_download(request: HttpRequest, name: str) -> HttpResponse:
    _, table = _compute(request, name, Action.EXPORT)
    return _download(table_xlsx(table), XLSX, table_filename(table, "xlsx"))


@require_GET
def table_csv_download(request: HttpRequest, name: str) -> HttpResponse:
    _, table = _compute(request, name, Action.EXPORT)
    return _download(
        table_csv(table).encode("utf-8"), "text/csv; charset=utf-8", table_filename(table, "csv")
    )
