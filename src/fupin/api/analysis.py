"""Analysis: what-if poverty lines (issue 11, item 5) and deep-poverty areas (item 2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.params import functions as param

from fupin.accounts.permissions import Action
from fupin.accounts.scoping import user_scope
from fupin.analysis.deep_poverty import (
    designation_create,
    designations_visible,
    registry_candidates,
    rule_set_get,
    rule_sets_for,
)
from fupin.analysis.indices import registry_whatif
from fupin.analysis.models import Designation
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


# -- deep-poverty areas (issue 11, item 2) ---------------------------------------------------------


class AreaOut(Schema):
    area: str
    name: str
    candidate: bool
    score: float | None
    reasons: list[str]
    summary: str
    indicators: dict[str, float | int | None]
    unrecorded: dict[str, int | None]


class CandidatesOut(Schema):
    division: str
    year: int
    rule_set: dict[str, Any]
    areas: int
    candidates: int
    results: list[AreaOut]


class DesignationIn(Schema):
    province: str
    rule_set: str
    year: int
    title: str
    document_number: str
    decided_on: date
    areas: list[str]
    note: str = ""


class DesignatedAreaOut(Schema):
    division: str
    name: str
    was_candidate: bool
    score: float | None
    reasons: str
    indicators: dict[str, Any]


class DesignationOut(Schema):
    id: int
    province: str
    kind: str
    level: str
    year: int
    title: str
    document_number: str
    decided_on: date
    rule_set: str
    areas: list[DesignatedAreaOut]


def _year(year: int | None) -> int:
    return year or rollup_latest_year() or DEFAULT_YEAR


@router.get("/analysis/deep-poverty/indicators", response={200: list[AreaOut], **CHECKED_ERRORS})
def deep_poverty_indicators(
    request: HttpRequest,
    year: int | None = param.Query(None, ge=2000, le=2100, description="年度"),
    division: str | None = param.Query(None, pattern=DIVISION_PATTERN, description="区划代码"),
    rules: str = param.Query(
        "national-county@2017", max_length=70, description="规则集（代码@版本），定级别与理由"
    ),
) -> Any:
    """两高一低一差三重指标：按规则集的级别（县或村）列出区划下每个县（村）的指标与判定。"""
    return deep_poverty_candidates(request, year=year, division=division, rules=rules).results


@router.get("/analysis/deep-poverty/candidates", response={200: CandidatesOut, **CHECKED_ERRORS})
def deep_poverty_candidates_view(
    request: HttpRequest,
    year: int | None = param.Query(None, ge=2000, le=2100, description="年度"),
    division: str | None = param.Query(None, pattern=DIVISION_PATTERN, description="区划代码"),
    rules: str = param.Query("national-county@2017", max_length=70, description="规则集"),
    everything: bool = param.Query(False, alias="all", description="列出全部区划（缺省只列候选）"),
) -> Any:
    """候选深度贫困县（村）及理由（如“贫困发生率 23.4%，高于 18%”），按综合得分排序。"""
    out = deep_poverty_candidates(request, year=year, division=division, rules=rules)
    if not everything:
        out.results = [r for r in out.results if r.candidate]
    return out


def deep_poverty_candidates(
    request: HttpRequest, *, year: int | None, division: str | None, rules: str
) -> CandidatesOut:
    require(request, Action.VIEW_REGISTRY)
    code = scoped_division(request, division)
    rule_set = rule_set_get(rules, code[:2])
    y = _year(year)
    results = registry_candidates(division_code=code, year=y, rules=rule_set)
    return CandidatesOut(
        division=code,
        year=y,
        rule_set=rule_set.as_dict(),
        areas=len(results),
        candidates=sum(a.verdict.candidate for a in results),
        results=[AreaOut(**a.as_dict()) for a in results],
    )


@router.get(
    "/analysis/deep-poverty/rule-sets", response={200: list[dict[str, Any]], **CHECKED_ERRORS}
)
def deep_poverty_rule_sets(
    request: HttpRequest,
    province: str | None = param.Query(None, pattern=r"^\d{2}$", description="省代码"),
) -> Any:
    """可用的识别规则集：全国口径（2017 深度贫困、2020 挂牌督战）与各省登记的规则集。"""
    require(request, Action.VIEW_REGISTRY)
    return [r.as_dict() for r in rule_sets_for(province or "").values()]


def _designation_out(d: Designation) -> DesignationOut:
    areas = list(d.areas.select_related("division").order_by("division_id"))
    return DesignationOut(
        id=d.pk,
        province=d.province_id,
        kind=d.kind,
        level=d.level,
        year=d.year,
        title=d.title,
        document_number=d.document_number,
        decided_on=d.decided_on,
        rule_set=d.rule_set,
        areas=[
            DesignatedAreaOut(
                division=a.division_id,
                name=a.division.name,
                was_candidate=a.was_candidate,
                score=a.score,
                reasons=a.reasons,
                indicators=a.indicators,
            )
            for a in areas
        ],
    )


@router.get(
    "/analysis/deep-poverty/designations", response={200: list[DesignationOut], **CHECKED_ERRORS}
)
def deep_poverty_designations(request: HttpRequest) -> Any:
    """省级认定（深度贫困县、村；挂牌督战），含认定时的指标与理由。"""
    require(request, Action.VIEW_REGISTRY)
    return [_designation_out(d) for d in designations_visible(request.user)[:100]]


@router.post(
    "/analysis/deep-poverty/designations", response={201: DesignationOut, **CHECKED_ERRORS}
)
def deep_poverty_designate(request: HttpRequest, body: DesignationIn) -> Any:
    """录入省级认定（文号、日期、所依据的规则集与数据年度、认定的县或村）。"""
    require(request, Action.DESIGNATE)
    d = designation_create(
        province_code=body.province,
        rule_set_key=body.rule_set,
        year=body.year,
        title=body.title,
        document_number=body.document_number,
        decided_on=body.decided_on,
        division_codes=body.areas,
        by=request.user,
        note=body.note,
    )
    return Status(201, _designation_out(d))
