"""Request and response shapes of the API (codes are the stable codes of ``fupin.policy.codes``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from fupin.policy import codes


def _clean_text(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate (legal in JSON) cannot be encoded.
    if "\x00" in value:
        raise ValueError("不能含有空字符（NUL）")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("含有无效的 Unicode 字符") from None
    return value


#: Free text of a request: any characters but NUL and lone surrogates, at most 200.
Text = Annotated[
    str,
    StringConstraints(max_length=200, pattern=r"^[^\x00]*$"),
    AfterValidator(_clean_text),
]


def _amount(whole_digits: int, what: str) -> Any:
    """A non-negative amount with at most two decimals, as a JSON integer or a decimal string.

    (A JSON number with decimals is accepted too, but strings keep the fen exact.)
    """
    return Annotated[
        Decimal,
        Field(ge=0, max_digits=whole_digits + 2, decimal_places=2),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "integer", "minimum": 0, "maximum": 10**whole_digits - 1},
                    {"type": "string", "pattern": rf"^[0-9]{{1,{whole_digits}}}(\.[0-9]{{1,2}})?$"},
                ],
                "description": what,
            }
        ),
    ]


if TYPE_CHECKING:
    Money = Decimal
    Amount = Decimal
else:
    Money = _amount(10, '金额（元），整数或至多两位小数的数字字符串，如 "1200.50"')
    Amount = _amount(6, "数量，整数或至多两位小数的数字字符串")

#: A path segment that names a household: its 户编号 (or, where stated, an ID number).
HOUSEHOLD_KEY_PATTERN = r"^[^/\x00]{1,32}$"
#: A division code of any level: 2, 4, 6, 9 or 12 digits.
DIVISION_PATTERN = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$"
VILLAGE_PATTERN = r"^[0-9]{12}$"

if TYPE_CHECKING:
    PovertyStatus = str
    HouseholdAttribute = str
    Cause = str
else:
    # Literal over a tuple is a Literal of its members: the code lists stay the one source.
    PovertyStatus = Literal[codes.POVERTY_STATUS.codes]
    HouseholdAttribute = Literal[codes.HOUSEHOLD_ATTRIBUTE.codes]
    Cause = Literal[codes.CAUSE.codes]


# --- divisions -----------------------------------------------------------------------------


class DivisionOut(Schema):
    code: str
    name: str
    level: int = Field(description="1 省、2 市、3 县、4 乡、5 村")
    parent_code: str | None
    path: str = Field(description="从省到本级的名称，以空格分隔")


# --- households ----------------------------------------------------------------------------


class HouseholdOut(Schema):
    """One row of the household list."""

    code: str = Field(description="户编号")
    village_code: str = Field(alias="village_id", description="所在村的区划代码")
    group_name: str
    attribute: str
    standard: str
    main_cause: str
    other_causes: list[str]
    status: str
    first_identified_year: int
    exit_year: int | None
    head_name: str | None = Field(description="户主姓名")
    member_count: int


class MemberOut(Schema):
    name: str
    id_number: str = Field(description="公民身份号码（个人信息：仅对有权查看该户的用户提供）")
    sex: str
    birth_date: date
    relation: str
    ethnicity: str
    education: str
    school_status: str
    school_exempt_physical: bool
    health: str
    labour_capacity: str
    migrant_work: str
    migrant_months: int
    basic_medical: bool
    serious_illness_insurance: bool
    pension: bool
    dibao: bool
    tekun: bool
    source: str


class ConditionsOut(Schema):
    cultivated_land_mu: Decimal | None
    housing_area_m2: Decimal | None
    house_grade: str
    food_secure: bool | None
    clothing_secure: bool | None
    water_difficult: bool | None
    water_safe: bool | None
    electricity_household: bool | None
    electricity_production: bool | None
    road_distance_km: Decimal | None
    road_type: str
    sanitary_toilet: bool | None
    fuel: str
    coop_member: bool | None
    source: str
    confirmed_at: datetime


class IncomeOut(Schema):
    year: int
    period_start: date
    period_end: date
    household_size: int
    wage: Decimal
    operating_income: Decimal
    property_dividend: Decimal
    property_other: Decimal
    transfer_family_planning: Decimal
    transfer_dibao: Decimal
    transfer_tekun: Decimal
    transfer_pension: Decimal
    transfer_ecological: Decimal
    transfer_other: Decimal
    operating_cost: Decimal
    net_income: Decimal = Field(description="纯收入")
    per_capita_net_income: Decimal = Field(description="人均纯收入 = 纯收入 / 家庭人口数")
    source: str
    confirmed_at: datetime


class HouseholdDetailOut(Schema):
    """A household's whole file."""

    code: str
    village_code: str
    village_path: str = Field(description="所在村的完整名称路径")
    group_name: str
    attribute: str
    standard: str
    main_cause: str
    other_causes: list[str]
    cause_note: str
    status: str
    first_identified_year: int
    exit_year: int | None
    status_changed_at: datetime | None
    military_family: bool
    one_child: bool
    two_daughters: bool
    relocated: bool
    phone: str
    bank_name: str
    bank_account: str
    source: str
    confirmed_at: datetime
    members: list[MemberOut]
    conditions: ConditionsOut | None
    latest_income: IncomeOut | None = Field(description="最近一年的收支")


class MemberIn(Schema):
    """One person; sex and birth date come from the ID number. Codes or Chinese labels."""

    name: Text
    id_number: Text = Field(description="18 位（或旧 15 位）公民身份号码")
    relation: Text = Field(description="与户主关系，如 head 或“户主”")
    ethnicity: Text = Field(description="民族，如“彝族”")
    education: Text = ""
    school_status: Text = ""
    school_exempt_physical: bool | None = None
    health: Text = ""
    labour_capacity: Text = ""
    migrant_work: Text = ""
    migrant_months: int | None = Field(None, ge=0, le=12)
    basic_medical: bool | None = None
    serious_illness_insurance: bool | None = None
    pension: bool | None = None
    dibao: bool | None = None
    tekun: bool | None = None


class ConditionsIn(Schema):
    cultivated_land_mu: Amount | None = None
    housing_area_m2: Amount | None = None
    house_grade: Text | None = None
    food_secure: bool | None = None
    clothing_secure: bool | None = None
    water_difficult: bool | None = None
    water_safe: bool | None = None
    electricity_household: bool | None = None
    road_distance_km: Amount | None = None
    road_type: Text | None = None
    sanitary_toilet: bool | None = None
    fuel: Text | None = None


class IncomeItemsIn(Schema):
    """Yearly income items in yuan; items left out count as 0."""

    household_size: int | None = Field(
        None, ge=1, le=99, description="家庭人口数；缺省为上一年的，或成员人数"
    )
    wage: Money | None = None
    operating_income: Money | None = None
    property_dividend: Money | None = None
    property_other: Money | None = None
    transfer_family_planning: Money | None = None
    transfer_dibao: Money | None = None
    transfer_tekun: Money | None = None
    transfer_pension: Money | None = None
    transfer_ecological: Money | None = None
    transfer_other: Money | None = None
    operating_cost: Money | None = None


class HouseholdIncomeIn(IncomeItemsIn):
    income_year: int = Field(ge=2000, le=2100, description="收入年度")


class HouseholdIn(Schema):
    """The household registration form (《贫困户登记表》); codes or Chinese labels."""

    village_code: str = Field(pattern=VILLAGE_PATTERN, description="所在村的 12 位区划代码")
    code: Annotated[Text, StringConstraints(min_length=1, max_length=32)] = Field(
        description="户编号"
    )
    main_cause: Text = Field(description="主要致贫原因，如 illness 或“因病”")
    first_identified_year: int = Field(ge=2013, le=2100)
    attribute: Text = "general"
    standard: Text = "national"
    other_causes: list[Text] = Field(default_factory=list, max_length=2)
    status: Text = "poor"
    exit_year: int | None = Field(None, ge=2013, le=2100)
    group_name: Text = ""
    military_family: bool | None = None
    one_child: bool | None = None
    two_daughters: bool | None = None
    relocated: bool | None = None
    phone: Text = ""
    bank_name: Text = ""
    bank_account: Text = ""
    conditions: ConditionsIn | None = None
    income: HouseholdIncomeIn | None = None
    members: list[MemberIn] = Field(min_length=1, max_length=30, description="户主在内的全部成员")


# --- assessments ---------------------------------------------------------------------------


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


class ResultOut(Schema):
    run_id: int
    year: int
    rule_set: str
    rule_set_version: str
    meets_standard: bool
    income_above_line: bool
    per_capita_net_income: Decimal | None
    poverty_line: Decimal
    failed_codes: list[str] = Field(description="未通过的规则代码，按规则顺序")

    @staticmethod
    def resolve_failed_codes(obj: Any) -> list[str]:
        return [c for c in str(obj.failed_codes).split("|") if c]


class RunOut(Schema):
    id: int
    division_code: str = Field(alias="division_id", description="评估范围的区划代码")
    year: int
    rule_set: str
    rule_set_version: str
    engine: str
    started_at: datetime
    finished_at: datetime | None
    household_count: int
    meets_count: int


class RuleFailureOut(Schema):
    code: str
    title: str
    failed: int = Field(description="未通过该规则的户数")


class RunSummaryOut(Schema):
    households: int
    meets_standard: int
    failures: list[RuleFailureOut]


class RunDetailOut(RunOut):
    parameters: dict[str, Any]
    summary: RunSummaryOut
