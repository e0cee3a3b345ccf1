"""Village facts (村情): one village's facts for a year, recording them, and a division's list.

Reads are limited to the caller's division subtree; a village outside it answers 404 exactly
like a missing one. A year with nothing recorded answers every fact as null (not recorded).
Writes are judged by the same rules as the page and the Excel import.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, overload

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.params import functions as param
from pydantic import ConfigDict

from fupin.accounts.permissions import Action
from fupin.accounts.scoping import in_scope, scope_queryset
from fupin.api.auth import require
from fupin.api.errors import CHECKED_ERRORS, LIST_ERRORS, ONE_ERRORS
from fupin.api.pagination import Pagination
from fupin.api.schemas import DIVISION_PATTERN, VILLAGE_PATTERN
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q
from fupin.registry.village import VillageFacts
from fupin.registry.village_fields import INT_MAX, SMALL_INT_MAX, VILLAGE_FIELD_NAMES
from fupin.registry.village_selectors import village_facts_get
from fupin.registry.village_services import village_facts_save

router = Router(tags=["村情"])

CODE = param.Path(..., pattern=VILLAGE_PATTERN, description="村代码（12 位）")
YEAR = param.Path(..., ge=2000, le=2100, description="年度")
DIVISION = param.Query(None, pattern=DIVISION_PATTERN, description="区划代码前缀")
LIST_YEAR = param.Query(None, ge=2000, le=2100, description="年度（不填则列出各年度）")

PovertyStatus = Literal["poor", "deep_poor", "non_poor", ""]
Count = Annotated[int, Field(ge=0, le=INT_MAX)]
SmallCount = Annotated[int, Field(ge=0, le=SMALL_INT_MAX)]
Share = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Distance = Annotated[Decimal, Field(ge=0, max_digits=6, decimal_places=1)]
SinceYear = Annotated[int, Field(ge=1980, le=2100)]


class VillageFactsIn(Schema):
    """The facts to record; only the keys given are changed, null means not recorded."""

    model_config = ConfigDict(extra="forbid")

    poverty_status: PovertyStatus | None = Field(
        None, description="贫困村属性：poor 贫困村、deep_poor 深度贫困村、non_poor 非贫困村"
    )
    poverty_status_since: SinceYear | None = Field(None, description="自哪年起")
    population: Count | None = Field(None, description="农村户籍人口（人）")
    households_total: Count | None = Field(None, description="总户数")
    road_hardened: bool | None = Field(None, description="通硬化路（到村）")
    natural_villages: SmallCount | None = Field(None, description="自然村（组）数")
    natural_villages_road: SmallCount | None = Field(
        None, description="其中通硬化路的自然村数（不大于自然村数）"
    )
    power_grid: bool | None = Field(None, description="通动力电")
    broadband: bool | None = Field(None, description="通宽带")
    mobile_signal: bool | None = Field(None, description="手机信号覆盖")
    clinic_qualified_doctor: bool | None = Field(None, description="有标准化卫生室且有合格村医")
    cultural_room: bool | None = Field(None, description="有综合性文化服务中心")
    safe_water_share: Share | None = Field(None, description="安全饮水覆盖率（%，0–100）")
    collective_income: Money | None = Field(None, description="村集体经济年收入（元）")
    township_distance_km: Distance | None = Field(None, description="到乡镇距离（公里）")
    industry: bool | None = Field(None, description="有增收产业")


class VillageFactsOut(Schema):
    village_code: str
    year: int
    recorded: bool = Field(description="该年度是否已有村情记录；为 false 时各项均为 null")
    poverty_status: PovertyStatus | None
    poverty_status_since: int | None
    population: int | None
    households_total: int | None
    road_hardened: bool | None
    natural_villages: int | None
    natural_villages_road: int | None
    power_grid: bool | None
    broadband: bool | None
    mobile_signal: bool | None
    clinic_qualified_doctor: bool | None
    cultural_room: bool | None
    safe_water_share: Decimal | None
    collective_income: Decimal | None
    township_distance_km: Decimal | None
    industry: bool | None
    source: str | None = Field(description="数据来源：manual、import、department")
    field_sources: dict[str, str] = Field(description="各项的数据来源（改动过的项目）")
    confirmed_at: datetime | None


def facts_out(village_code: str, year: int, facts: VillageFacts | None) -> dict[str, Any]:
    if facts is None:
        return {
            "village_code": village_code,
            "year": year,
            "recorded": False,
            **dict.fromkeys(VILLAGE_FIELD_NAMES),
            "source": None,
            "field_sources": {},
            "confirmed_at": None,
        }
    return {
        "village_code": facts.village_id,
        "year": facts.year,
        "recorded": True,
        **{name: getattr(facts, name) for name in VILLAGE_FIELD_NAMES},
        "source": facts.source,
        "field_sources": {str(k): str(v) for k, v in (facts.field_sources or {}).items()},
        "confirmed_at": facts.confirmed_at,
    }


class FactsPage(Sequence[dict[str, Any]]):
    """A queryset as the paginator sees it: counted in SQL, and only the page turned into
    answers (the paginator slices before anything is read)."""

    def __init__(self, qs: QuerySet[VillageFacts]) -> None:
        self.qs = qs

    def __len__(self) -> int:
        return self.qs.count()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [facts_out(f.village_id, f.year, f) for f in self.qs[index]]
        f = self.qs[index]
        return facts_out(f.village_id, f.year, f)


def visible_village(request: HttpRequest, code: str) -> str:
    """Return the village code if the caller may see it; refuse as missing otherwise."""
    require(request, Action.VIEW_REGISTRY)
    if not in_scope(request.user, code) or not Division.objects.filter(code=code, level=5).exists():
        raise FupinError("DIVISION_UNKNOWN", f"未找到村代码为 {code} 的村")
    return code


@router.get("/facts", response={200: list[VillageFactsOut], **LIST_ERRORS})
@paginate(Pagination)
def village_facts_list(
    request: HttpRequest, year: int | None = LIST_YEAR, division: str | None = DIVISION
) -> Any:
    """本人管辖范围内各村的村情（只列已录入的），可按年度、区划筛选，按村代码、年度排序。"""
    require(request, Action.VIEW_REGISTRY)
    qs = scope_queryset(VillageFacts.objects.all(), request.user, "village__code")
    if year is not None:
        qs = qs.filter(year=year)
    if division:
        qs = qs.filter(subtree_q(division, field="village__code"))
    return FactsPage(qs.order_by("village_id", "year"))


@router.get("/{code}/facts/{year}", response={200: VillageFactsOut, **ONE_ERRORS})
def village_facts_get_one(request: HttpRequest, code: str = CODE, year: int = YEAR) -> Any:
    """一个村某年度的村情；未录入的项目为 null。"""
    village = visible_village(request, code)
    return facts_out(village, year, village_facts_get(village, year))


@router.put("/{code}/facts/{year}", response={200: VillageFactsOut, **CHECKED_ERRORS})
def village_facts_put(
    request: HttpRequest, data: VillageFactsIn, code: str = CODE, year: int = YEAR
) -> Any:
    """录入一个村某年度的村情：只改请求中给出的项目，null 表示未录入；有误时逐项说明。"""
    village = visible_village(request, code)
    facts = village_facts_save(
        village_code=village,
        year=year,
        data=data.model_dump(exclude_unset=True),
        by=request.user,
    )
    return facts_out(village, year, facts)
