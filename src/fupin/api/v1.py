"""JSON API ``/api/v1/`` (django-ninja) with its OpenAPI document and docs page.

This first version serves the division hierarchy and household assessments; the full API with
token authentication comes with the web issue. Household data needs a signed-in user and is
limited to the user's division subtree.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from fupin.accounts.scoping import in_scope
from fupin.common.errors import FupinError

api = NinjaAPI(
    title="Fupin 扶贫 API",
    version="1",
    description="精准扶贫信息系统接口。错误以 JSON 返回，含稳定的 code 与中文 message。",
    urls_namespace="api-v1",
)

NOT_FOUND_CODES = {"DIVISION_UNKNOWN", "HOUSEHOLD_NOT_FOUND"}


@api.exception_handler(FupinError)
def fupin_error(request: HttpRequest, exc: FupinError) -> HttpResponse:
    status = 404 if exc.code in NOT_FOUND_CODES else 400
    return api.create_response(request, exc.as_dict(), status=status)


class ErrorOut(Schema):
    code: str
    message: str


class DivisionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None
    path: str


class RuleOut(Schema):
    code: str
    title: str
    clause: str
    passed: bool
    recorded: bool
    text: str
    remedy: str | None


class ExplanationOut(Schema):
    household: str
    rule_set: str
    year: int
    meets_standard: bool
    failed_codes: list[str]
    poverty_line: dict[str, Any]
    rules: list[RuleOut]
    summary: str


def _division_out(code: str) -> DivisionOut:
    from fupin.divisions.models import Division

    division = Division.objects.filter(code=code).first()
    if division is None:
        raise FupinError("DIVISION_UNKNOWN", f"未找到区划代码 {code}")
    prefixes = [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]
    names = dict(Division.objects.filter(code__in=prefixes).values_list("code", "name"))
    return DivisionOut(
        code=division.code,
        name=division.name,
        level=division.level,
        parent_code=division.parent_id,
        path=" ".join(names[p] for p in prefixes if p in names),
    )


@api.get("/divisions/{code}", response={200: DivisionOut, 404: ErrorOut}, tags=["区划"])
def division_get(request: HttpRequest, code: str) -> DivisionOut:
    """一个区划及其完整名称路径。"""
    return _division_out(code)


@api.get(
    "/divisions/{code}/children", response={200: list[DivisionOut], 404: ErrorOut}, tags=["区划"]
)
def division_children(request: HttpRequest, code: str) -> list[DivisionOut]:
    """下一级区划。"""
    from fupin.divisions.models import Division

    _division_out(code)
    children = Division.objects.filter(parent_id=code).order_by("code")
    return [
        DivisionOut(code=d.code, name=d.name, level=d.level, parent_code=d.parent_id, path=d.name)
        for d in children
    ]


@api.get(
    "/households/{code}/explanation",
    response={200: ExplanationOut, 400: ErrorOut, 404: ErrorOut},
    auth=django_auth,
    tags=["评估"],
)
def household_explanation(request: HttpRequest, code: str, year: int | None = None) -> Any:
    """某户是否达到脱贫标准，逐条说明理由及脱贫还差什么。"""
    from fupin.assessment import services

    household = services.household_find(code)
    if not in_scope(request.user, household.village_id):
        # Out of the user's subtree looks exactly like a missing household.
        raise FupinError("HOUSEHOLD_NOT_FOUND", f"未找到户编号或身份证号为 {code} 的户")
    explanation = services.household_explain(household=household, year=year)
    return {"household": household.code, **explanation.as_dict()}
