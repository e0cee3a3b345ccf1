"""Precise measures (精准施策): a household's measures, plan, plan suggestion, 帮扶责任人 and
visits; the counties' 帮扶责任人; overdue visits; a village's work team and its attendance.

Reads are limited to the caller's division subtree: a household, measure or village outside it
answers 404 exactly like a missing one. Writes go through ``fupin.measures.services`` and are
judged by the same rules as the pages and the imports: a refusal answers 400 with the rule's
stable code (``MEASURE_LOAN_AGE``, ``VISIT_DATE_FUTURE`` …) and every problem in
``details.errors``. A cadre's or team member's phone is private: it is answered (else null)
only to a user who may edit the registry in that person's county.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, overload

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.params import functions as param
from ninja.responses import Status
from pydantic import AfterValidator, ConfigDict, StringConstraints

from fupin.accounts.permissions import Action, can
from fupin.accounts.scoping import in_scope, scope_queryset, user_scope
from fupin.api.auth import require
from fupin.api.errors import CHECKED_ERRORS, LIST_ERRORS, ONE_ERRORS, error_responses
from fupin.api.households import visible_household
from fupin.api.pagination import Pagination
from fupin.api.schemas import (
    DIVISION_PATTERN,
    HOUSEHOLD_KEY_PATTERN,
    VILLAGE_PATTERN,
    Money,
    Text,
    _clean_text,
)
from fupin.api.village_facts import visible_village
from fupin.common.errors import FupinError
from fupin.measures import selectors, services
from fupin.measures.models import Attendance, Cadre, Measure, Pairing, Plan, TeamMember, Visit
from fupin.policy import measures as pm
from fupin.registry.models import Household

router = Router(tags=["精准施策"])

CODE = param.Path(..., pattern=HOUSEHOLD_KEY_PATTERN, description="户编号")
VILLAGE = param.Path(..., pattern=VILLAGE_PATTERN, description="村代码（12 位）")
YEAR = param.Path(..., ge=2000, le=2100, description="年度")
QUERY_YEAR = param.Query(None, ge=2000, le=2100, description="年度（不填为今年）")
DIVISION = param.Query(None, pattern=DIVISION_PATTERN, description="区划代码前缀")
MEASURE_ID = param.Path(..., ge=1, le=2**31 - 1, description="措施编号")
AS_OF = param.Query(None, description="截至日期（2000-01-01 至 2100-12-31，不填为今天）")
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


def _text(max_length: int, min_length: int = 0) -> Any:
    """Free text of at most ``max_length`` characters (no NUL, no lone surrogates)."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length, min_length=min_length, pattern=r"^[^\x00]*$"),
        AfterValidator(_clean_text),
    ]


if TYPE_CHECKING:
    MeasureCategory = str
    MeasureSubtype = str
    MeasureStatus = str
    LoanPurpose = str
    PairingOrder = str
    SuggestionCode = str
    Text50 = str
    Text64 = str
    Text100 = str
    Text300 = str
    Text500 = str
    Required50 = str
    Required100 = str
    Required500 = str
else:
    # Literal over a tuple is a Literal of its members: the code lists stay the one source.
    MeasureCategory = Literal[pm.MEASURE_CATEGORY.codes]
    MeasureSubtype = Literal[pm.MEASURE_SUBTYPE.codes]
    MeasureStatus = Literal[pm.MEASURE_STATUS.codes]
    LoanPurpose = Literal[pm.LOAN_PURPOSE.codes]
    PairingOrder = Literal[pm.PAIRING_ORDER.codes]
    SuggestionCode = Literal[tuple(pm.SUGGESTION_BY_CODE)]
    Text50, Text64, Text100 = _text(50), _text(64), _text(100)
    Text300, Text500 = _text(300), _text(500)
    Required50, Required100, Required500 = _text(50, 1), _text(100, 1), _text(500, 1)

#: A row id (a cadre, a team member).
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
#: A member named by their ID number (15 or 18 characters).
IdNumber = Annotated[str, StringConstraints(pattern=r"^([0-9]{15}|[0-9]{17}[0-9Xx])$")]
Days = Annotated[int, Field(ge=0, le=31)]


# -- helpers ---------------------------------------------------------------------------------------


class Rows(Sequence[dict[str, Any]]):
    """A queryset as the paginator sees it: counted in SQL, only the page turned into answers."""

    def __init__(self, qs: QuerySet[Any], out: Callable[[Any], dict[str, Any]]) -> None:
        self.qs = qs
        self.out = out

    def __len__(self) -> int:
        return self.qs.count()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self.out(row) for row in self.qs[index]]
        return self.out(self.qs[index])


def may_see_phone(user: AbstractBaseUser | AnonymousUser, county_code: str) -> bool:
    """Whether the user may edit the registry somewhere in the county (and so read phones)."""
    scope = user_scope(user)
    if scope is None or not can(user, Action.EDIT_REGISTRY):
        return False
    return county_code.startswith(scope) or scope.startswith(county_code)


def counties_q(prefix: str) -> Q:
    """Cadres whose county lies under ``prefix``, or contains it (a village's own county)."""
    if not prefix:
        return Q()
    if len(prefix) >= 6:
        return Q(county_id=prefix[:6])
    return Q(county__code__startswith=prefix)


def _today() -> dt.date:
    return timezone.localdate()


def _year(year: int | None) -> int:
    return year if year is not None else _today().year


# -- measures --------------------------------------------------------------------------------------


class MeasureIn(Schema):
    """A measure carried out; only ``category`` and ``start`` are required."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(None, ge=2013, le=2100, description="年度（不填取开始日期的年份）")
    category: MeasureCategory = Field(description="措施类别代码，如 industry、microcredit")
    subtype: MeasureSubtype | None = Field(None, description="措施子类代码，如 microcredit.loan")
    content: Text300 | None = Field(None, description="措施内容")
    project: Text64 | None = Field(None, description="所属项目代码")
    unit: Text100 | None = Field(None, description="实施单位")
    amount: Money | None = None
    start: dt.date = Field(description="开始日期")
    end: dt.date | None = Field(None, description="结束日期")
    status: MeasureStatus | None = Field(None, description="状态（不填为 in_progress 实施中）")
    member: IdNumber | None = Field(
        None, description="对象成员（借款人、岗位人员、受助对象）的身份证号"
    )
    beneficiaries: list[IdNumber] = Field(
        default_factory=list, description="其他受益成员的身份证号（都不填为全户受益）"
    )
    cadre: Id | None = Field(None, description="责任人（帮扶责任人编号）")
    term_months: int | None = Field(None, ge=1, le=600, description="贷款期限（月）")
    purpose: LoanPurpose | None = Field(None, description="贷款用途代码")
    reason: Text300 | None = Field(None, description="例外理由（如兜底对象有劳动能力时）")
    evidence: Text300 | None = Field(None, description="佐证材料")


class MeasureStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: MeasureStatus = Field(description="新状态代码：planned、in_progress、done、cancelled")
    end: dt.date | None = Field(None, description="结束日期（完成时，不填为今天）")


class BeneficiaryOut(Schema):
    id_number: str
    name: str


class MeasureOut(Schema):
    id: int
    household_code: str
    year: int
    category: str
    category_label: str
    subtype: str
    subtype_label: str
    content: str
    project: str
    unit: str
    amount: Decimal | None
    start: dt.date
    end: dt.date | None
    status: str
    status_label: str
    member_id_number: str | None = Field(description="对象成员身份证号；null 为全户")
    member_name: str | None
    beneficiaries: list[BeneficiaryOut] = Field(
        description="受益成员（对象成员在内）；空为全户受益"
    )
    cadre_id: int | None
    cadre_name: str | None
    term_months: int | None
    purpose: str
    reason: str
    evidence: str
    confirmed_by: str = Field(description="核实该措施的部门比对（空为未核实）")
    source: str
    created_at: dt.datetime


def measure_out(m: Measure) -> dict[str, Any]:
    return {
        "id": m.pk,
        "household_code": m.household.code,
        "year": m.year,
        "category": m.category,
        "category_label": pm.MEASURE_CATEGORY.label_of(m.category),
        "subtype": m.subtype,
        "subtype_label": pm.MEASURE_SUBTYPE.label_of(m.subtype) if m.subtype else "",
        "content": m.content,
        "project": m.project,
        "unit": m.unit,
        "amount": m.amount,
        "start": m.start,
        "end": m.end,
        "status": m.status,
        "status_label": pm.MEASURE_STATUS.label_of(m.status),
        "member_id_number": m.member.id_number if m.member else None,
        "member_name": m.member.name if m.member else None,
        "beneficiaries": [{"id_number": b.id_number, "name": b.name} for b in m.benefiting],
        "cadre_id": m.cadre_id,
        "cadre_name": m.cadre.name if m.cadre else None,
        "term_months": m.term_months,
        "purpose": m.purpose,
        "reason": m.reason,
        "evidence": m.evidence,
        "confirmed_by": m.confirmed_by,
        "source": m.source,
        "created_at": m.created_at,
    }


def _measures(**filters: Any) -> QuerySet[Measure]:
    return (
        Measure.objects.filter(**filters)
        .select_related("household", "member", "cadre")
        .prefetch_related("beneficiaries")
    )


@router.get("/households/{code}/measures", response={200: list[MeasureOut], **ONE_ERRORS})
@paginate(Pagination)
def household_measures(request: HttpRequest, code: str = CODE) -> Any:
    """一户的帮扶措施，最近的在前。"""
    household = visible_household(request, code)
    qs = _measures(household=household).order_by("-year", "-start", "-pk")
    return Rows(qs, measure_out)


@router.post("/households/{code}/measures", response={201: MeasureOut, **CHECKED_ERRORS})
def household_measure_record(request: HttpRequest, data: MeasureIn, code: str = CODE) -> Any:
    """录入一项已落实的帮扶措施；不符合政策规定（如借款人超过 65 周岁）时说明规则并拒绝。"""
    household = visible_household(request, code)
    require(request, Action.EDIT_REGISTRY)
    measure = services.measure_record(
        household_code=household.code, data=data.model_dump(exclude_none=True), by=request.user
    )
    return Status(201, measure_out(_measures(pk=measure.pk).get()))


# -- plans and the suggestion ----------------------------------------------------------------------


class PlanItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    category: MeasureCategory = Field(description="措施类别代码")
    subtype: MeasureSubtype | None = Field(None, description="措施子类代码（须属于该类别）")
    member: IdNumber | None = Field(None, description="对象成员的身份证号")
    amount: Money | None = None
    cadre: Id | None = Field(None, description="责任人（帮扶责任人编号，须为本县）")
    suggestion: SuggestionCode | None = Field(None, description="来自哪条建议（建议代码）")
    note: Text | None = Field(None, description="说明")


class PlanIn(Schema):
    """The whole plan of the year: it replaces what was recorded."""

    model_config = ConfigDict(extra="forbid")

    note: Text | None = Field(None, description="说明")
    items: list[PlanItemIn] = Field(default_factory=list, max_length=50)


class PlanItemOut(Schema):
    category: str
    category_label: str
    subtype: str
    member_id_number: str | None
    member_name: str | None
    amount: Decimal | None
    cadre_id: int | None
    cadre_name: str | None
    suggestion: str
    note: str


class PlanOut(Schema):
    household_code: str
    year: int
    recorded: bool = Field(description="该年度是否已有帮扶计划；为 false 时 items 为空")
    note: str
    source: str | None
    updated_at: dt.datetime | None
    items: list[PlanItemOut]


def plan_out(household: Household, year: int) -> dict[str, Any]:
    plan = (
        Plan.objects.filter(household=household, year=year)
        .prefetch_related("items__member", "items__cadre")
        .first()
    )
    if plan is None:
        return {
            "household_code": household.code,
            "year": year,
            "recorded": False,
            "note": "",
            "source": None,
            "updated_at": None,
            "items": [],
        }
    items = [
        {
            "category": i.category,
            "category_label": pm.MEASURE_CATEGORY.label_of(i.category),
            "subtype": i.subtype,
            "member_id_number": i.member.id_number if i.member else None,
            "member_name": i.member.name if i.member else None,
            "amount": i.amount,
            "cadre_id": i.cadre_id,
            "cadre_name": i.cadre.name if i.cadre else None,
            "suggestion": i.suggestion,
            "note": i.note,
        }
        for i in sorted(plan.items.all(), key=lambda i: i.pk)
    ]
    return {
        "household_code": household.code,
        "year": plan.year,
        "recorded": True,
        "note": plan.note,
        "source": plan.source,
        "updated_at": plan.updated_at,
        "items": items,
    }


@router.get("/households/{code}/plans/{year}", response={200: PlanOut, **ONE_ERRORS})
def household_plan(request: HttpRequest, code: str = CODE, year: int = YEAR) -> Any:
    """一户某年度的帮扶计划；未制定时 recorded 为 false。"""
    return plan_out(visible_household(request, code), year)


@router.put("/households/{code}/plans/{year}", response={200: PlanOut, **CHECKED_ERRORS})
def household_plan_save(
    request: HttpRequest, data: PlanIn, code: str = CODE, year: int = YEAR
) -> Any:
    """制定（替换）一户某年度的帮扶计划；有误时逐项说明，什么也不保存。"""
    household = visible_household(request, code)
    require(request, Action.EDIT_REGISTRY)
    services.plan_save(
        household_code=household.code,
        year=year,
        items=[item.model_dump(exclude_none=True) for item in data.items],
        note=data.note or "",
        by=request.user,
    )
    return plan_out(household, year)


class SuggestionOut(Schema):
    code: str = Field(description="建议代码（制定计划时可填入 suggestion）")
    category: str
    category_label: str
    subtypes: list[str]
    because: str = Field(description="依据，如“因病”")
    advice: str
    sentence: str = Field(description="完整的中文说明")


class SuggestionsOut(Schema):
    household_code: str
    year: int
    suggestions: list[SuggestionOut]


@router.get("/households/{code}/suggestions", response={200: SuggestionsOut, **ONE_ERRORS})
def household_suggestions(
    request: HttpRequest, code: str = CODE, year: int | None = QUERY_YEAR
) -> Any:
    """按该户的致贫原因、成员（劳动能力、年龄、在校、健康）和未达标的保障给出的帮扶建议。"""
    household = visible_household(request, code)
    year = _year(year)
    return {
        "household_code": household.code,
        "year": year,
        "suggestions": [
            {
                "code": s.code,
                "category": s.category,
                "category_label": pm.MEASURE_CATEGORY.label_of(s.category),
                "subtypes": list(s.subtypes),
                "because": s.because,
                "advice": s.advice,
                "sentence": s.sentence(),
            }
            for s in selectors.household_suggestions(household, year)
        ],
    }


# -- cadres and pairings ---------------------------------------------------------------------------


class CadreIn(Schema):
    model_config = ConfigDict(extra="forbid")

    county_code: str = Field(pattern=r"^[0-9]{6}$", description="所在县的区划代码（6 位）")
    name: Required50 = Field(description="姓名")
    unit: Required100 = Field(description="工作单位")
    post: Text50 | None = Field(None, description="职务")
    phone: str | None = Field(None, pattern=r"^[0-9+\- ]{0,20}$", description="联系电话")
    max_households: int | None = Field(
        None, ge=1, le=100, description="最多帮扶户数（不填为默认的 5 户）"
    )


class CadreOut(Schema):
    id: int
    county_code: str
    name: str
    unit: str
    post: str
    phone: str | None = Field(description="联系电话：仅对可在该县录入信息的用户显示，否则为 null")
    max_households: int | None
    active: bool
    households: int = Field(description="现帮扶户数")


def cadre_out(user: AbstractBaseUser | AnonymousUser) -> Callable[[Cadre], dict[str, Any]]:
    def out(c: Cadre) -> dict[str, Any]:
        return {
            "id": c.pk,
            "county_code": c.county_id,
            "name": c.name,
            "unit": c.unit,
            "post": c.post,
            "phone": c.phone if may_see_phone(user, c.county_id) else None,
            "max_households": c.max_households,
            "active": c.active,
            "households": getattr(c, "households", 0),
        }

    return out


def _cadres() -> QuerySet[Cadre]:
    return Cadre.objects.annotate(
        households=Count("pairings", filter=Q(pairings__end__isnull=True))
    )


@router.get("/cadres", response={200: list[CadreOut], **LIST_ERRORS})
@paginate(Pagination)
def cadre_list(request: HttpRequest, division: str | None = DIVISION) -> Any:
    """本人管辖范围所在县的帮扶责任人（村、乡镇用户看到本县的），按县、姓名排序。"""
    require(request, Action.VIEW_REGISTRY)
    scope = user_scope(request.user)
    if scope is None:
        return []
    qs = _cadres().filter(counties_q(scope))
    if division:
        qs = qs.filter(counties_q(division))
    return Rows(qs.order_by("county_id", "name", "pk"), cadre_out(request.user))


@router.post("/cadres", response={201: CadreOut, **CHECKED_ERRORS})
def cadre_create(request: HttpRequest, data: CadreIn) -> Any:
    """登记一名帮扶责任人（县扶贫办）。"""
    require(request, Action.EDIT_REGISTRY)
    cadre = services.cadre_create(
        county_code=data.county_code,
        name=data.name,
        unit=data.unit,
        post=data.post or "",
        phone=data.phone or "",
        max_households=data.max_households,
        by=request.user,
    )
    return Status(201, cadre_out(request.user)(_cadres().get(pk=cadre.pk)))


class PairingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    cadre: Id = Field(description="帮扶责任人编号（须为该户所在县的）")
    start: dt.date = Field(description="结对日期（不晚于今天）")
    order: PairingOrder = Field("first", description="帮扶序位：first 第一、second 第二")
    reason: Text | None = Field(None, description="调整原因（替换原帮扶责任人时）")


class PairingOut(Schema):
    id: int
    cadre_id: int
    cadre_name: str
    cadre_unit: str
    cadre_post: str
    order: str
    order_label: str
    start: dt.date
    end: dt.date | None
    end_reason: str
    current: bool


class PairingResultOut(Schema):
    pairing: PairingOut
    warnings: list[str] = Field(description="提醒，如帮扶户数超过上限（不阻止结对）")


def pairing_out(p: Pairing) -> dict[str, Any]:
    return {
        "id": p.pk,
        "cadre_id": p.cadre_id,
        "cadre_name": p.cadre.name,
        "cadre_unit": p.cadre.unit,
        "cadre_post": p.cadre.post,
        "order": p.order,
        "order_label": pm.PAIRING_ORDER.label_of(p.order),
        "start": p.start,
        "end": p.end,
        "end_reason": p.end_reason,
        "current": p.end is None,
    }


@router.get("/households/{code}/pairings", response={200: list[PairingOut], **ONE_ERRORS})
def household_pairings(request: HttpRequest, code: str = CODE) -> Any:
    """一户的帮扶责任人（结对），在帮的在前，然后按结对日期从近到远。"""
    household = visible_household(request, code)
    qs = Pairing.objects.filter(household=household).select_related("cadre")
    return [pairing_out(p) for p in qs.order_by("end", "-start", "-pk")]


@router.post("/households/{code}/pairings", response={201: PairingResultOut, **CHECKED_ERRORS})
def household_pairing_assign(request: HttpRequest, data: PairingIn, code: str = CODE) -> Any:
    """为一户安排帮扶责任人；同一序位原有的结对于前一天解除。超过帮扶户数上限时提醒。"""
    household = visible_household(request, code)
    require(request, Action.EDIT_REGISTRY)
    result = services.pairing_assign(
        household_code=household.code,
        cadre=data.cadre,
        start=data.start,
        order=data.order,
        reason=data.reason or "",
        by=request.user,
    )
    pairing = Pairing.objects.select_related("cadre").get(pk=result.pairing.pk)
    return Status(201, {"pairing": pairing_out(pairing), "warnings": result.warnings})


# -- visits ----------------------------------------------------------------------------------------


class VisitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    cadre: Id = Field(description="走访的帮扶责任人编号（须与该户结对）")
    date: dt.date = Field(description="走访日期（不晚于今天，不早于结对日期）")
    content: Required500 = Field(description="帮扶内容")
    next_step: Text300 | None = Field(None, description="下一步")
    minutes: int | None = Field(None, ge=1, le=1440, description="时长（分钟）")
    latitude: float | None = Field(None, ge=-90, le=90, description="走访地点纬度（WGS 84）")
    longitude: float | None = Field(None, ge=-180, le=180, description="走访地点经度（WGS 84）")


class VisitOut(Schema):
    id: int
    cadre_id: int
    cadre_name: str
    date: dt.date
    minutes: int | None
    content: str
    next_step: str
    has_photo: bool
    latitude: Decimal | None
    longitude: Decimal | None
    source: str
    created_at: dt.datetime


def visit_out(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "cadre_id": v.cadre_id,
        "cadre_name": v.cadre.name,
        "date": v.date,
        "minutes": v.minutes,
        "content": v.content,
        "next_step": v.next_step,
        "has_photo": bool(v.photo),
        "latitude": v.latitude,
        "longitude": v.longitude,
        "source": v.source,
        "created_at": v.created_at,
    }


@router.get("/households/{code}/visits", response={200: list[VisitOut], **ONE_ERRORS})
@paginate(Pagination)
def household_visits(request: HttpRequest, code: str = CODE) -> Any:
    """一户的帮扶日志（走访记录），最近的在前。"""
    household = visible_household(request, code)
    qs = Visit.objects.filter(household=household).select_related("cadre")
    return Rows(qs.order_by("-date", "-pk"), visit_out)


@router.post("/households/{code}/visits", response={201: VisitOut, **CHECKED_ERRORS})
def household_visit_record(request: HttpRequest, data: VisitIn, code: str = CODE) -> Any:
    """录入一次走访（由该户的帮扶责任人本人或村干部）；照片请在网页上传。"""
    household = visible_household(request, code)
    if not can(request.user, Action.EDIT_REGISTRY) and not selectors.cadre_for_user(request.user):
        raise FupinError("PERMISSION_DENIED", "只有该户的帮扶责任人或村干部可以录入走访记录")
    visit = services.visit_record(
        household_code=household.code,
        cadre=data.cadre,
        visit_date=data.date,
        content=data.content,
        next_step=data.next_step or "",
        minutes=data.minutes,
        latitude=data.latitude,
        longitude=data.longitude,
        by=request.user,
    )
    return Status(201, visit_out(Visit.objects.select_related("cadre").get(pk=visit.pk)))


# -- overdue visits --------------------------------------------------------------------------------


class OverdueOut(Schema):
    household_code: str
    village_code: str
    village_name: str
    cadre_id: int
    cadre_name: str
    order: str
    pairing_start: dt.date
    last_visit: dt.date | None = Field(description="最近一次走访；null 为从未走访")
    days_since: int = Field(description="距最近一次走访（从未走访则距结对日期）的天数")


@router.get(
    "/measures/overdue", response={200: list[OverdueOut], **error_responses(400, 401, 403, 422)}
)
@paginate(Pagination)
def overdue_visit_list(
    request: HttpRequest, division: str | None = DIVISION, as_of: dt.date | None = AS_OF
) -> Any:
    """本人管辖范围内超过走访周期（默认每月一次）未走访的结对户，按村、户编号排序。"""
    require(request, Action.VIEW_REGISTRY)
    day = as_of or _today()
    if not EARLIEST <= day <= LATEST:
        raise FupinError("DATE_RANGE", f"截至日期 {day} 须在 {EARLIEST} 至 {LATEST} 之间")
    qs = scope_queryset(
        selectors.overdue_visits(division or "", as_of=day),
        request.user,
        "household__village__code",
    ).order_by("household__village_id", "household__code", "pk")

    def out(p: Pairing) -> dict[str, Any]:
        last = getattr(p, "last_visit", None)
        return {
            "household_code": p.household.code,
            "village_code": p.household.village_id,
            "village_name": p.household.village.name,
            "cadre_id": p.cadre_id,
            "cadre_name": p.cadre.name,
            "order": p.order,
            "pairing_start": p.start,
            "last_visit": last,
            "days_since": (day - (last or p.start)).days,
        }

    return Rows(qs, out)


# Registered after /measures/overdue: Django tries the patterns in order.
@router.patch("/measures/{measure_id}", response={200: MeasureOut, **CHECKED_ERRORS})
def measure_status(
    request: HttpRequest, data: MeasureStatusIn, measure_id: int = MEASURE_ID
) -> Any:
    """改变一项措施的状态（完成时记结束日期）。"""
    require(request, Action.VIEW_REGISTRY)
    found = Measure.objects.filter(pk=measure_id).values_list("household__village_id", flat=True)
    village = found.first()
    if village is None or not in_scope(request.user, village):
        raise FupinError("MEASURE_NOT_FOUND", f"未找到编号为 {measure_id} 的帮扶措施")
    require(request, Action.EDIT_REGISTRY)
    services.measure_set_status(
        measure_id=measure_id, status=data.status, end=data.end, by=request.user
    )
    return measure_out(_measures(pk=measure_id).get())


# -- work teams ------------------------------------------------------------------------------------


class AttendanceMonthOut(Schema):
    month: dt.date = Field(description="月份（每月 1 日）")
    days_present: int
    days_leave: int
    days_official: int
    note: str


class TeamMemberOut(Schema):
    id: int
    name: str
    unit: str
    post: str
    role: str
    role_label: str
    phone: str | None = Field(description="联系电话：仅对可在该县录入信息的用户显示")
    start: dt.date
    end: dt.date | None
    days_present: int = Field(description="本年在村天数")
    days_leave: int
    days_official: int
    months_recorded: int
    short_months: int = Field(description="在村天数不足每月要求的月数")
    meets_year: bool = Field(description="按已记录月数折算，是否达到全年在村要求")
    pending_leave: int = Field(description="待审批的请假")
    months: list[AttendanceMonthOut]


class TeamInfoOut(Schema):
    id: int
    sending_unit: str
    start: dt.date
    end: dt.date | None
    size_ok: bool = Field(description="在驻人数是否达到最低要求（默认 3 人）")
    first_secretary: str | None


class TeamOut(Schema):
    village_code: str
    year: int
    team: TeamInfoOut | None = Field(description="在驻的工作队；null 为未派驻")
    members: list[TeamMemberOut]


class AttendanceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    member: Id = Field(description="驻村干部编号（该村工作队的成员）")
    month: dt.date = Field(description="月份（任一天均可，按该月计）")
    days_present: Days = Field(description="在村天数")
    days_leave: Days = Field(0, description="请假天数")
    days_official: Days = Field(0, description="公出天数")
    note: Text | None = Field(None, description="说明")


class AttendanceOut(AttendanceMonthOut):
    member_id: int


def team_out(request: HttpRequest, village: str, year: int) -> dict[str, Any]:
    teams = selectors.team_presence(village, year)
    if not teams:
        return {"village_code": village, "year": year, "team": None, "members": []}
    presence = teams[0]
    team = presence.team
    months: dict[int, list[dict[str, Any]]] = {}
    rows = Attendance.objects.filter(member__team=team, month__year=year)
    for a in rows.order_by("member_id", "month"):
        months.setdefault(a.member_id, []).append(
            {
                "month": a.month,
                "days_present": a.days_present,
                "days_leave": a.days_leave,
                "days_official": a.days_official,
                "note": a.note,
            }
        )
    phones = may_see_phone(request.user, village[:6])
    secretary = presence.first_secretary
    return {
        "village_code": village,
        "year": year,
        "team": {
            "id": team.pk,
            "sending_unit": team.sending_unit,
            "start": team.start,
            "end": team.end,
            "size_ok": presence.size_ok,
            "first_secretary": secretary.name if secretary else None,
        },
        "members": [
            {
                "id": m.member.pk,
                "name": m.member.name,
                "unit": m.member.unit,
                "post": m.member.post,
                "role": m.member.role,
                "role_label": pm.TEAM_ROLE.label_of(m.member.role),
                "phone": m.member.phone if phones else None,
                "start": m.member.start,
                "end": m.member.end,
                "days_present": m.days_present,
                "days_leave": m.days_leave,
                "days_official": m.days_official,
                "months_recorded": m.months,
                "short_months": m.short_months,
                "meets_year": m.meets_year,
                "pending_leave": m.pending_leave,
                "months": months.get(m.member.pk, []),
            }
            for m in sorted(presence.members, key=lambda m: (m.member.end is not None, m.member.pk))
        ],
    }


@router.get("/villages/{code}/team", response={200: TeamOut, **ONE_ERRORS})
def village_team(request: HttpRequest, code: str = VILLAGE, year: int | None = QUERY_YEAR) -> Any:
    """一个村的驻村工作队：成员、本年考勤（在村、请假、公出天数）与是否达到在村要求。"""
    village = visible_village(request, code)
    return team_out(request, village, _year(year))


@router.post("/villages/{code}/team/attendance", response={200: AttendanceOut, **CHECKED_ERRORS})
def village_team_attendance(request: HttpRequest, data: AttendanceIn, code: str = VILLAGE) -> Any:
    """录入驻村干部一个月的考勤（替换该月已有的记录），由本人、乡镇或县扶贫办录入。"""
    village = visible_village(request, code)
    member = (
        TeamMember.objects.select_related("team")
        .filter(pk=data.member, team__village_id=village)
        .first()
    )
    if member is None:
        raise FupinError("TEAM_MEMBER_NOT_FOUND", f"该村工作队中没有编号为 {data.member} 的成员")
    record = services.attendance_record(
        member=member,
        month=data.month,
        days_present=data.days_present,
        days_leave=data.days_leave,
        days_official=data.days_official,
        note=data.note or "",
        by=request.user,
    )
    return {
        "member_id": member.pk,
        "month": record.month,
        "days_present": record.days_present,
        "days_leave": record.days_leave,
        "days_official": record.days_official,
        "note": record.note,
    }
