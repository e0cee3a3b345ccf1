"""Analysis: what-if poverty lines over the registry (issue 11, item 5)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params import functions as param

from fupin.accounts.permissions import Action
from fupin.accounts.scoping import user_scope
from fupin.analysis.indices import registry_whatif
from fupin.api.auth import require
from fupin.api.errors import CHECKED_ERRORS
from fupin.api.schemas import DIVISION_PATTERN
from fupin.common.errors import FupinError
from fupin.reports.selectors import rollup_latest_year

router = Router(tags=["分析"])

DEFAULT_YEAR = 2016


class WhatIfVillageOut(Schema):
    persons: float
    poor: float
    incidence: float


class WhatIfLineOut(Schema):
    line: Decimal
    persons: float
    poor: float
    incidence: float
    P1: float
    P2: float
    gap_total: Decimal
    villages: dict[str, WhatIfVillageOut]


class WhatIfOut(Schema):
    division: str
    year: int
    missing: int
    lines: list[WhatIfLineOut]


def parse_lines(text: str | None) -> list[Decimal] | None:
    if not text:
        return None
    try:
        return [Decimal(p.strip()) for p in text.split(",")]
    except InvalidOperation:
        raise FupinError("INDICES_BAD_LINE", f"贫困线不是数字：{text}") from None


def scoped_division(request: HttpRequest, division: str | None) -> str:
    """The division asked for if in the user's subtree (else 404 like a missing one); by
    default the user's own division."""
    scope = user_scope(request.user) or ""
    code = division or scope
    if not code.startswith(scope):
        raise FupinError("DIVISION_UNKNOWN", f"未找到区划代码 {code}")
    return code


@router.get("/analysis/whatif", response={200: WhatIfOut, **CHECKED_ERRORS})
def whatif(
    request: HttpRequest,
    year: int | None = param.Query(
        None, ge=2000, le=2100, description="年度；缺省为最近有汇总的年度"
    ),
    division: str | None = param.Query(None, pattern=DIVISION_PATTERN, description="区划代码"),
    lines: str | None = param.Query(
        None, max_length=200, description="贫困线（元），逗号分隔；缺省为 2300 元及当年标准 ±20%"
    ),
) -> Any:
    """假设不同贫困线：各线下的贫困人数、发生率、P1、P2、缺口总额，以及各村发生率。"""
    require(request, Action.VIEW_REGISTRY)
    result = registry_whatif(
        division_code=scoped_division(request, division),
        year=year or rollup_latest_year() or DEFAULT_YEAR,
        lines=parse_lines(lines),
    )
    return result.as_dict()
