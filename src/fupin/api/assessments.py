"""Assessments: a household's explanation and results; assessment runs with their counts."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.params import functions as param

from fupin.accounts.permissions import Action
from fupin.accounts.scoping import in_scope
from fupin.api.auth import require
from fupin.api.errors import CHECKED_ERRORS, LIST_ERRORS, ONE_ERRORS
from fupin.api.households import visible_household
from fupin.api.pagination import Pagination
from fupin.api.schemas import (
    DIVISION_PATTERN,
    HOUSEHOLD_KEY_PATTERN,
    ExplanationOut,
    ResultOut,
    RunDetailOut,
    RunOut,
)
from fupin.assessment import services
from fupin.common.errors import FupinError
from fupin.registry import selectors

router = Router(tags=["评估"])

YEAR = param.Query(None, ge=2000, le=2100, description="年度")
DIVISION = param.Query(None, pattern=DIVISION_PATTERN, description="区划代码前缀")
HOUSEHOLD = param.Path(..., pattern=HOUSEHOLD_KEY_PATTERN, description="户编号")
HOUSEHOLD_OR_ID = param.Path(
    ..., pattern=HOUSEHOLD_KEY_PATTERN, description="户编号或任一成员身份证号"
)
RUN_ID = param.Path(..., ge=1, le=2**63 - 1, description="批次编号")


@router.get(
    "/households/{code}/explanation",
    response={200: ExplanationOut, **CHECKED_ERRORS},
)
def household_explanation(
    request: HttpRequest,
    code: str = HOUSEHOLD_OR_ID,
    year: int | None = YEAR,
) -> Any:
    """某户是否达到脱贫标准，逐条说明理由及脱贫还差什么。"""
    require(request, Action.VIEW_REGISTRY)
    household = services.household_find(code)
    if not in_scope(request.user, household.village_id):
        # Out of the user's subtree looks exactly like a missing household.
        raise FupinError("HOUSEHOLD_NOT_FOUND", f"未找到户编号或身份证号为 {code} 的户")
    explanation = services.household_explain(household=household, year=year)
    return {"household": household.code, **explanation.as_dict()}


@router.get(
    "/households/{code}/assessments",
    response={200: list[ResultOut], **ONE_ERRORS},
)
def household_results(
    request: HttpRequest,
    code: str = HOUSEHOLD,
    year: int | None = YEAR,
) -> Any:
    """某户各年度、各规则集的评估结果，最近的在前。"""
    return selectors.household_assessment_results(visible_household(request, code), year=year)


@router.get("/assessments/runs", response={200: list[RunOut], **LIST_ERRORS})
@paginate(Pagination)
def run_list(
    request: HttpRequest,
    division: str | None = DIVISION,
    year: int | None = YEAR,
) -> Any:
    """本人管辖范围内各区划的评估批次，最近的在前。"""
    require(request, Action.VIEW_REGISTRY)
    return selectors.assessment_runs_visible(request.user, division=division, year=year)


@router.get(
    "/assessments/runs/{run_id}",
    response={200: RunDetailOut, **CHECKED_ERRORS},
)
def run_get(request: HttpRequest, run_id: int = RUN_ID) -> Any:
    """一个评估批次：所用参数，评估户数、达标户数及每条规则未通过的户数。"""
    require(request, Action.VIEW_REGISTRY)
    run = selectors.assessment_run_visible(request.user, run_id)
    if run is None:
        raise FupinError("RUN_NOT_FOUND", f"未找到编号为 {run_id} 的评估批次")
    return {
        **RunOut.model_validate(run).model_dump(by_alias=True),
        "parameters": run.parameters,
        "summary": services.run_summary(run).as_dict(),
    }
