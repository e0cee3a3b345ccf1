"""Statistical tables (统计报表, issue 11 item 6): the catalogue and one computed table."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params import functions as param
from ninja.responses import Status

from fupin.accounts.permissions import Action
from fupin.accounts.scoping import user_scope
from fupin.api.auth import require
from fupin.api.errors import CHECKED_ERRORS, ONE_ERRORS, error_body
from fupin.api.schemas import DIVISION_PATTERN
from fupin.common.errors import FupinError
from fupin.reports.services import rollups_refresh_dirty
from fupin.reports.tables import TABLES, TableDef, table_compute, table_list

router = Router(tags=["统计报表"])


class ColumnOut(Schema):
    key: str
    group: str
    title: str
    kind: str


class TableDefOut(Schema):
    name: str
    title: str
    unit: str
    definition: str
    source: str
    columns: list[ColumnOut]


class RowOut(Schema):
    code: str
    name: str
    total: bool
    values: list[float | None]


class TableOut(TableDefOut):
    division: str
    division_name: str
    year: int
    years: list[int]
    rows: list[RowOut]


def _definition(t: TableDef) -> dict[str, Any]:
    return {
        "name": t.name,
        "title": t.title,
        "unit": t.unit,
        "definition": t.definition,
        "source": t.source,
        "columns": [
            {"key": c.key, "group": g.title, "title": c.title, "kind": c.kind}
            for g in t.groups
            for c in g.columns
        ],
    }


@router.get("/reports/tables", response={200: list[TableDefOut], **ONE_ERRORS})
def tables(request: HttpRequest) -> Any:
    """可用的统计表及其统计口径、列。"""
    require(request, Action.VIEW_REGISTRY)
    return [_definition(t) for t in table_list()]


@router.get("/reports/tables/{name}", response={200: TableOut, **CHECKED_ERRORS})
def table(
    request: HttpRequest,
    name: str,
    division: str | None = param.Query(
        None, pattern=DIVISION_PATTERN, description="区划代码；缺省为本人所属区划"
    ),
    year: int | None = param.Query(
        None, ge=2000, le=2100, description="年度；缺省为最近有汇总的年度"
    ),
) -> Any:
    """一张统计表：下一级各区划一行，合计行在前（村为一行，无合计）。"""
    require(request, Action.VIEW_REGISTRY)
    if name not in TABLES:
        return Status(404, error_body("TABLE_UNKNOWN", f"没有名为“{name}”的统计表", {"name": name}))
    scope = user_scope(request.user) or ""
    code = scope if division is None else division
    if not code.startswith(scope):
        raise FupinError("DIVISION_UNKNOWN", f"未找到区划代码 {code}")
    rollups_refresh_dirty()
    t = table_compute(name=name, division_code=code, year=year)
    return {
        **_definition(t.table),
        "division": t.division_code,
        "division_name": t.division_name,
        "year": t.year,
        "years": list(t.years),
        "rows": [
            {"code": r.code, "name": r.name, "total": r.is_total, "values": list(r.values)}
            for r in t.all_rows
        ],
    }
