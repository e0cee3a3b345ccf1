"""Households: the list, one household's file, registration, members and yearly income.

Every read is limited to the caller's division subtree; a household outside it answers 404
exactly like a missing one, so the API does not tell which codes exist elsewhere.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.params import functions as param
from ninja.responses import Status

from fupin.accounts.permissions import Action
from fupin.accounts.scoping import in_scope
from fupin.api.auth import require
from fupin.api.errors import CHECKED_ERRORS, LIST_ERRORS, ONE_ERRORS, error_responses
from fupin.api.pagination import Pagination
from fupin.api.schemas import (
    DIVISION_PATTERN,
    HOUSEHOLD_KEY_PATTERN,
    Cause,
    HouseholdAttribute,
    HouseholdDetailOut,
    HouseholdIn,
    HouseholdOut,
    IncomeItemsIn,
    IncomeOut,
    MemberIn,
    MemberOut,
    PovertyStatus,
    Text,
)
from fupin.common.errors import FupinError
from fupin.divisions.selectors import division_path_name
from fupin.registry import selectors, services
from fupin.registry.models import Household

router = Router(tags=["贫困户"])

CODE = param.Path(..., pattern=HOUSEHOLD_KEY_PATTERN, description="户编号")
DIVISION = param.Query(None, pattern=DIVISION_PATTERN, description="区划代码前缀")
STATUS = param.Query(None, description="脱贫状态")
ATTRIBUTE = param.Query(None, description="贫困户属性")
MAIN_CAUSE = param.Query(None, description="主要致贫原因")
SEARCH = param.Query(
    None, description="成员身份证号（完整的 15 或 18 位），或户编号、成员姓名的开头"
)
INCOME_YEAR = param.Query(None, ge=2000, le=2100, description="只看某一年")
YEAR = param.Path(..., ge=2000, le=2100, description="收入年度")
#: Household attributes copied as they are into HouseholdDetailOut.
HOUSEHOLD_FIELDS = (
    "code",
    "group_name",
    "attribute",
    "standard",
    "main_cause",
    "other_causes",
    "cause_note",
    "status",
    "first_identified_year",
    "exit_year",
    "status_changed_at",
    "military_family",
    "one_child",
    "two_daughters",
    "relocated",
    "phone",
    "bank_name",
    "bank_account",
    "source",
    "confirmed_at",
)


def visible_household(request: HttpRequest, code: str) -> Household:
    """Return the household if the caller may see it; refuse as missing otherwise."""
    require(request, Action.VIEW_REGISTRY)
    household = selectors.household_visible(request.user, code)
    if household is None:
        raise FupinError("HOUSEHOLD_NOT_FOUND", f"未找到户编号为 {code} 的户")
    return household


def detail_out(household: Household) -> dict[str, Any]:
    detail = selectors.household_detail(household.pk)
    assert detail is not None  # the household was just read
    h = detail.household
    return {
        **{f: getattr(h, f) for f in HOUSEHOLD_FIELDS},
        "village_code": h.village_id,
        "village_path": division_path_name(h.village_id),
        "members": detail.members,
        "conditions": detail.conditions,
        "latest_income": detail.latest_income,
    }


@router.get("", response={200: list[HouseholdOut], **LIST_ERRORS})
@paginate(Pagination)
def household_list(
    request: HttpRequest,
    division: str | None = DIVISION,
    status: PovertyStatus | None = STATUS,
    attribute: HouseholdAttribute | None = ATTRIBUTE,
    main_cause: Cause | None = MAIN_CAUSE,
    q: Text | None = SEARCH,
) -> Any:
    """本人管辖范围内的贫困户，按户编号排序，可按区划、状态、属性、致贫原因筛选和搜索。"""
    require(request, Action.VIEW_REGISTRY)
    return selectors.households_visible(
        request.user,
        division=division,
        status=status,
        attribute=attribute,
        main_cause=main_cause,
        search=q,
    )


@router.post("", response={201: HouseholdDetailOut, **error_responses(400, 401, 403, 422)})
def household_create(request: HttpRequest, data: HouseholdIn) -> Status[Any]:
    """登记一户（含成员、生产生活条件和收支），规则与批量导入相同；有误时逐项说明。"""
    require(request, Action.EDIT_REGISTRY)
    if not in_scope(request.user, data.village_code):
        raise FupinError("OUT_OF_SCOPE", f"村 {data.village_code} 不在您的管辖范围内")
    fields = data.model_dump(exclude={"village_code", "members", "conditions", "income"})
    household = services.household_register(
        village_code=data.village_code,
        data=services.HouseholdData(
            **fields,
            conditions=data.conditions.model_dump(exclude_none=True) if data.conditions else {},
            income=data.income.model_dump(exclude_none=True) if data.income else {},
        ),
        members=[services.MemberData(**m.model_dump()) for m in data.members],
        by=request.user,
    )
    return Status(201, detail_out(household))


@router.get("/{code}", response={200: HouseholdDetailOut, **ONE_ERRORS})
def household_get(request: HttpRequest, code: str = CODE) -> dict[str, Any]:
    """一户的完整档案：成员（含身份证号）、生产生活条件、最近一年收支及人均纯收入。"""
    return detail_out(visible_household(request, code))


@router.get("/{code}/members", response={200: list[MemberOut], **ONE_ERRORS})
def member_list(request: HttpRequest, code: str = CODE) -> Any:
    """家庭成员，户主在前。"""
    return selectors.household_members(visible_household(request, code))


@router.post("/{code}/members", response={201: MemberOut, **CHECKED_ERRORS})
def member_add(request: HttpRequest, data: MemberIn, code: str = CODE) -> Status[Any]:
    """为已登记的户添加一名成员，按导入规则校验（身份证号、关系、重复等）。"""
    household = visible_household(request, code)
    require(request, Action.EDIT_REGISTRY)
    member = services.member_add(
        household=household, data=services.MemberData(**data.model_dump()), by=request.user
    )
    return Status(201, member)


@router.get("/{code}/incomes", response={200: list[IncomeOut], **ONE_ERRORS})
def income_list(
    request: HttpRequest,
    code: str = CODE,
    year: int | None = INCOME_YEAR,
) -> Any:
    """各年度收支，最近的在前。"""
    return selectors.household_incomes(visible_household(request, code), year=year)


@router.put(
    "/{code}/incomes/{year}",
    response={200: IncomeOut, **CHECKED_ERRORS},
)
def income_record(
    request: HttpRequest, data: IncomeItemsIn, code: str = CODE, year: int = YEAR
) -> Any:
    """记录某年度收支（已有则替换）；未填的项目按 0 计。"""
    household = visible_household(request, code)
    require(request, Action.EDIT_REGISTRY)
    return services.income_record(
        household=household,
        year=year,
        items=data.model_dump(exclude_none=True, exclude={"household_size"}),
        household_size=data.household_size,
        by=request.user,
    )
