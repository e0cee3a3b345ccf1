"""Canonical department feeds (部门数据) and the flags their rows raise against the registry.

"把各方面信息集中起来，建立信息库，实现信息资源共享" (seed speech, part 三): a county gets monthly
rosters from civil affairs, the disability federation, medical insurance, education, housing,
public security, vehicle/business/property registries and the payroll office, and matches them
to the registry by ID number instead of making cadres fill the same tables again.

Each feed declares its canonical fields (type, Chinese label) and its rules. A rule says on
which rows it fires — rows *matched* to a registered person, or rows *unmatched* (a person the
registry does not hold) — and under which condition, as an Ibis expression over one table:
the department row's canonical columns plus the matched registry facts prefixed ``reg_``
(``reg_dibao``, ``reg_school_status``, ``reg_house_grade``, ``reg_status`` …; null when
unmatched). Ibis compiles the same rule for DuckDB here and for Spark on a national cluster.

Sources: the local "一比对" cross-check of vehicles, commercial housing and public payroll
(domain.md §2.2, [S12][S15][S16] — local rules, not national); the 低保/特困 and disability
consistency checks of public implementations (domain.md §3.6, [C1]); the department screening
channel of return-to-poverty monitoring (domain.md §9, [S50][S63]).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Literal

import ibis
import ibis.expr.types as ir

FieldType = Literal["id_number", "text", "date", "int", "money", "bool", "code", "division"]
Kind = Literal["ineligible", "missed", "status", "fact", "warning"]
On = Literal["matched", "unmatched"]

KIND_LABELS: Mapping[str, str] = {
    "ineligible": "疑似不符合条件",
    "missed": "疑似漏评",
    "status": "状态变化",
    "fact": "信息更新",
    "warning": "返贫风险预警",
}


@dataclass(frozen=True)
class FeedField:
    name: str
    label: str
    type: FieldType
    required: bool = False


@dataclass(frozen=True)
class FeedContext:
    """Parameters a rule may read (all local practice; a county may override them)."""

    year: int = 2020
    #: A year's compliant out-of-pocket medical cost counted as "large" (local practice,
    #: commonly 1 万元 or half the household's income; UNVERIFIED nationally: domain.md §9).
    large_medical_cost: Decimal = Decimal("10000")
    #: A disaster loss counted as severe (UNVERIFIED, local practice).
    large_disaster_loss: Decimal = Decimal("10000")
    #: Disability grades counted as severe (一级、二级 of GB/T 26341).
    severe_disability_grades: tuple[int, ...] = (1, 2)


Condition = Callable[[ir.Table, FeedContext], ir.BooleanValue]


class FlagType(StrEnum):
    INELIGIBLE_VEHICLE = "INELIGIBLE_VEHICLE"
    INELIGIBLE_BUSINESS = "INELIGIBLE_BUSINESS"
    INELIGIBLE_PROPERTY = "INELIGIBLE_PROPERTY"
    INELIGIBLE_PAYROLL = "INELIGIBLE_PAYROLL"
    MISSED_SERIOUS_ILLNESS = "MISSED_SERIOUS_ILLNESS"
    MISSED_DISABILITY = "MISSED_DISABILITY"
    MISSED_DIBAO = "MISSED_DIBAO"
    MISSED_TEKUN = "MISSED_TEKUN"
    STATUS_DEATH = "STATUS_DEATH"
    STATUS_MOVED = "STATUS_MOVED"
    UPDATE_INSURANCE = "UPDATE_INSURANCE"
    UPDATE_SCHOOL = "UPDATE_SCHOOL"
    UPDATE_HOUSE_GRADE = "UPDATE_HOUSE_GRADE"
    UPDATE_DISABILITY = "UPDATE_DISABILITY"
    UPDATE_DIBAO = "UPDATE_DIBAO"
    UPDATE_TEKUN = "UPDATE_TEKUN"
    EARLY_WARNING_MEDICAL = "EARLY_WARNING_MEDICAL"
    EARLY_WARNING_DISASTER = "EARLY_WARNING_DISASTER"
    EARLY_WARNING_DROPOUT = "EARLY_WARNING_DROPOUT"
    EARLY_WARNING_INCOME = "EARLY_WARNING_INCOME"


@dataclass(frozen=True)
class FlagTypeDef:
    code: FlagType
    label: str
    kind: Kind
    clause: str
    #: For a fact update: the registry fact it sets (``member.basic_medical`` …) from which
    #: department column (or a constant when the column is None).
    sets: tuple[tuple[str, str | None, object], ...] = ()


F = FlagType
FLAG_TYPES: Mapping[FlagType, FlagTypeDef] = {
    d.code: d
    for d in (
        FlagTypeDef(
            F.INELIGIBLE_VEHICLE,
            "疑似不符：家庭成员名下有非生产经营用小汽车",
            "ineligible",
            "domain.md §2.2 地方“四不列/九条红线”：拥有非生产性车辆（地方规则）[S12][S16]",
        ),
        FlagTypeDef(
            F.INELIGIBLE_BUSINESS,
            "疑似不符：家庭成员登记经营企业或个体工商户",
            "ineligible",
            "domain.md §2.2 地方规则：开办商店、从事运输等经营活动 [S12][S16]",
        ),
        FlagTypeDef(
            F.INELIGIBLE_PROPERTY,
            "疑似不符：家庭成员在城镇购有商品房",
            "ineligible",
            "domain.md §2.2 “一比对”：商品房 [S15]；地方规则 [S12]",
        ),
        FlagTypeDef(
            F.INELIGIBLE_PAYROLL,
            "疑似不符：家庭成员为财政供养人员",
            "ineligible",
            "domain.md §2.2 “一比对”：亲属财政供养 [S15]；地方规则 [S16]",
        ),
        FlagTypeDef(
            F.MISSED_SERIOUS_ILLNESS,
            "疑似漏评：大额医疗自付费用但未建档",
            "missed",
            "domain.md §9 部门筛查预警：医疗支出 [S50][S63]",
        ),
        FlagTypeDef(
            F.MISSED_DISABILITY,
            "疑似漏评：重度残疾人未建档",
            "missed",
            "domain.md §3.6 因残致贫核对 [C1]；§9 部门筛查 [S50]",
        ),
        FlagTypeDef(
            F.MISSED_DIBAO,
            "疑似漏评：低保对象未建档",
            "missed",
            "domain.md §3.6 低保与建档立卡衔接核对 [C1]",
        ),
        FlagTypeDef(
            F.MISSED_TEKUN,
            "疑似漏评：特困供养人员未建档",
            "missed",
            "domain.md §3.6 特困（五保）核对 [C1]",
        ),
        FlagTypeDef(
            F.STATUS_DEATH,
            "状态变化：公安登记死亡",
            "status",
            "domain.md §2.2 动态管理“脱贫即出、返贫再入”[S7]；减少程序（死亡）",
        ),
        FlagTypeDef(
            F.STATUS_MOVED,
            "状态变化：户籍迁出本县",
            "status",
            "domain.md §2.2 动态管理 [S7]；减少程序（迁出）",
        ),
        FlagTypeDef(
            F.UPDATE_INSURANCE,
            "信息更新：已参加城乡居民基本医疗保险",
            "fact",
            "domain.md §3.2 成员参保字段；§6 基本医疗有保障",
            (("member.basic_medical", None, True),),
        ),
        FlagTypeDef(
            F.UPDATE_SCHOOL,
            "信息更新：在校生状况",
            "fact",
            "domain.md §3.2 在校生状况（6–23 岁必填）[C1]",
            (("member.school_status", "school_status", None),),
        ),
        FlagTypeDef(
            F.UPDATE_HOUSE_GRADE,
            "信息更新：住建部门危房鉴定等级",
            "fact",
            "domain.md §3.3 危房级别；§6 住房安全有保障",
            (("conditions.house_grade", "grade", None),),
        ),
        FlagTypeDef(
            F.UPDATE_DISABILITY,
            "信息更新：持有残疾人证",
            "fact",
            "domain.md §3.6 残疾成员须有残疾证 [C1]",
            (("member.health", None, "disabled"),),
        ),
        FlagTypeDef(
            F.UPDATE_DIBAO,
            "信息更新：享受低保",
            "fact",
            "domain.md §3.6 低保户须有享受低保的成员 [C1]",
            (("member.dibao", None, True),),
        ),
        FlagTypeDef(
            F.UPDATE_TEKUN,
            "信息更新：特困供养",
            "fact",
            "domain.md §3.6 特困供养核对 [C1]",
            (("member.tekun", None, True),),
        ),
        FlagTypeDef(
            F.EARLY_WARNING_MEDICAL,
            "返贫预警：突发大额医疗自付费用",
            "warning",
            "domain.md §9 突发严重困难户；部门筛查预警：医疗支出 [S50][S52]",
        ),
        FlagTypeDef(
            F.EARLY_WARNING_DISASTER,
            "返贫预警：遭受自然灾害损失",
            "warning",
            "domain.md §9 风险类型“因自然灾害”[C13]；部门筛查：灾害 [S50]",
        ),
        FlagTypeDef(
            F.EARLY_WARNING_DROPOUT,
            "返贫预警：义务教育阶段辍学",
            "warning",
            "domain.md §9 三保障问题（义务教育）[S55c]",
        ),
        FlagTypeDef(
            F.EARLY_WARNING_INCOME,
            "返贫预警：人均纯收入低于本省监测范围",
            "warning",
            "domain.md §9 监测范围（省级逐年设定）[S50][S62]",
        ),
    )
}


@dataclass(frozen=True)
class FeedRule:
    flag_type: FlagType
    on: On
    when: Condition
    #: Plain-Chinese statement of the condition, for the page and the docs.
    description: str


@dataclass(frozen=True)
class Feed:
    code: str
    label: str
    department: str
    fields: tuple[FeedField, ...]
    rules: tuple[FeedRule, ...] = ()
    #: Department columns kept as the flag's evidence (all but the person's identity by default).
    evidence: tuple[str, ...] = field(default=())

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def evidence_fields(self) -> tuple[str, ...]:
        if self.evidence:
            return self.evidence
        return tuple(f.name for f in self.fields if f.name not in ("id_number", "name"))

    def field(self, name: str) -> FeedField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


# Every feed carries the person; birth date and address code help the fallback and scoping.
PERSON: tuple[FeedField, ...] = (
    FeedField("id_number", "公民身份号码", "id_number", required=True),
    FeedField("name", "姓名", "text", required=True),
    FeedField("birth_date", "出生日期", "date"),
    FeedField("address_code", "住址区划代码", "division"),
)

#: Registry statuses of a household still under the registry's care (not removed).
LIVE_STATUSES = ("poor", "returned", "exited_with_policy", "exited")
#: Statuses of households currently counted poor (an ineligibility matters most here).
POOR_STATUSES = ("poor", "returned")


def _always(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return ibis.literal(True)


def _live(t: ir.Table) -> ir.BooleanValue:
    return t.reg_status.isin(LIVE_STATUSES)


def _not_true(col: ir.Value) -> ir.BooleanValue:
    return col.fill_null(False) == ibis.literal(False)


def _vehicle(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & (t.vehicle_type == "car") & (t.vehicle_use != "operating")


def _business(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & (t.business_status == "active")


def _property(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & (t.property_use == "commercial_housing")


def _payroll(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t)


def _large_cost(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return t.out_of_pocket.cast("float64") >= float(ctx.large_medical_cost)


def _severe_disability(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return t.grade.cast("int64").isin(ctx.severe_disability_grades)


def _enrolled(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & (t.basic_medical.fill_null(False)) & _not_true(t.reg_basic_medical)


def _school_differs(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & t.school_status.notnull() & (t.school_status != t.reg_school_status)


def _house_differs(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    grade = _house_grade_code(t.grade)
    return _live(t) & grade.notnull() & (grade != t.reg_house_grade.fill_null("safe"))


def _house_grade_code(grade: ir.StringValue) -> ir.StringValue:
    # Housing appraisals grade A–D; the registry keeps C, D and "safe" (A/B).
    return grade.cases(("A", "safe"), ("B", "safe"), ("C", "C"), ("D", "D"), else_=None)


def _not_disabled(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & (t.reg_health.fill_null("") != "disabled")


def _dibao_missing(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & _not_true(t.reg_dibao)


def _tekun_missing(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & _not_true(t.reg_tekun)


def _live_always(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t)


def _moved_out(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    # A move inside the county keeps the person in the county's registry.
    inside = t.to_address_code.fill_null("").substr(0, 6) == t.reg_village.substr(0, 6)
    return _live(t) & ~inside


def _medical_warning(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & _large_cost(t, ctx)


def _disaster_warning(t: ir.Table, ctx: FeedContext) -> ir.BooleanValue:
    return _live(t) & (t.loss_amount.cast("float64") >= float(ctx.large_disaster_loss))


FEEDS: Mapping[str, Feed] = {
    f.code: f
    for f in (
        Feed(
            "civil_dibao",
            "低保对象名单",
            "民政部门",
            (
                *PERSON,
                FeedField("monthly_amount", "月保障金额（元）", "money"),
                FeedField("start_date", "纳入日期", "date"),
            ),
            (
                FeedRule(F.MISSED_DIBAO, "unmatched", _always, "低保对象不在建档立卡名单中"),
                FeedRule(F.UPDATE_DIBAO, "matched", _dibao_missing, "成员未登记为享受低保"),
            ),
        ),
        Feed(
            "civil_tekun",
            "特困供养人员名单",
            "民政部门",
            (
                *PERSON,
                FeedField("support_type", "供养方式（集中/分散）", "code"),
                FeedField("start_date", "纳入日期", "date"),
            ),
            (
                FeedRule(F.MISSED_TEKUN, "unmatched", _always, "特困人员不在建档立卡名单中"),
                FeedRule(F.UPDATE_TEKUN, "matched", _tekun_missing, "成员未登记为特困供养"),
            ),
        ),
        Feed(
            "disability",
            "残疾人证信息",
            "残联",
            (
                *PERSON,
                FeedField("certificate_no", "残疾人证号", "text"),
                FeedField("category", "残疾类别", "code"),
                FeedField("grade", "残疾等级（1–4 级）", "int"),
            ),
            (
                FeedRule(
                    F.MISSED_DISABILITY, "unmatched", _severe_disability, "一、二级残疾人未建档"
                ),
                FeedRule(F.UPDATE_DISABILITY, "matched", _not_disabled, "成员健康状况未登记残疾"),
            ),
        ),
        Feed(
            "medical_enrolment",
            "城乡居民医保参保信息",
            "医疗保障部门",
            (
                *PERSON,
                FeedField("basic_medical", "参加基本医疗保险", "bool"),
                FeedField("serious_illness", "参加大病保险", "bool"),
                FeedField("year", "参保年度", "int"),
            ),
            (FeedRule(F.UPDATE_INSURANCE, "matched", _enrolled, "已参保而登记为未参保"),),
        ),
        Feed(
            "medical_costs",
            "大额医疗费用信息",
            "医疗保障部门",
            (
                *PERSON,
                FeedField("year", "年度", "int"),
                FeedField("total_cost", "医疗总费用（元）", "money"),
                FeedField("out_of_pocket", "个人自付费用（元）", "money"),
                FeedField("diagnosis", "主要诊断", "text"),
            ),
            (
                FeedRule(
                    F.MISSED_SERIOUS_ILLNESS, "unmatched", _large_cost, "自付费用达到大额标准"
                ),
                FeedRule(
                    F.EARLY_WARNING_MEDICAL, "matched", _medical_warning, "自付费用达到大额标准"
                ),
            ),
        ),
        Feed(
            "education_enrolment",
            "学籍信息",
            "教育部门",
            (
                *PERSON,
                FeedField("school_status", "在校生状况", "code"),
                FeedField("school_name", "学校名称", "text"),
            ),
            (FeedRule(F.UPDATE_SCHOOL, "matched", _school_differs, "学籍与登记的在校生状况不同"),),
        ),
        Feed(
            "education_dropout",
            "义务教育辍学学生名单",
            "教育部门",
            (
                *PERSON,
                FeedField("school_name", "原就读学校", "text"),
                FeedField("dropout_date", "辍学日期", "date"),
            ),
            (FeedRule(F.EARLY_WARNING_DROPOUT, "matched", _live_always, "建档立卡家庭学生辍学"),),
        ),
        Feed(
            "housing",
            "农村危房鉴定信息",
            "住房和城乡建设部门",
            (
                *PERSON,
                FeedField("grade", "鉴定等级（A/B/C/D）", "code"),
                FeedField("appraisal_date", "鉴定日期", "date"),
            ),
            (FeedRule(F.UPDATE_HOUSE_GRADE, "matched", _house_differs, "鉴定等级与登记不同"),),
        ),
        Feed(
            "police_death",
            "死亡注销户籍信息",
            "公安部门",
            (*PERSON, FeedField("death_date", "死亡日期", "date")),
            (FeedRule(F.STATUS_DEATH, "matched", _live_always, "登记成员已注销户籍（死亡）"),),
        ),
        Feed(
            "police_move",
            "户籍迁移信息",
            "公安部门",
            (
                *PERSON,
                FeedField("move_date", "迁移日期", "date"),
                FeedField("to_address_code", "迁入地区划代码", "division"),
            ),
            (FeedRule(F.STATUS_MOVED, "matched", _moved_out, "登记成员户籍迁出本县"),),
        ),
        Feed(
            "vehicle",
            "机动车登记信息",
            "公安交通管理部门",
            (
                *PERSON,
                FeedField("plate", "号牌号码", "text"),
                FeedField("vehicle_type", "车辆类型（car/truck/motorcycle/agricultural）", "code"),
                FeedField("vehicle_use", "使用性质（private/operating）", "code"),
            ),
            (FeedRule(F.INELIGIBLE_VEHICLE, "matched", _vehicle, "名下有非营运小型汽车"),),
        ),
        Feed(
            "business",
            "市场主体登记信息",
            "市场监督管理部门",
            (
                *PERSON,
                FeedField("business_name", "市场主体名称", "text"),
                FeedField("business_kind", "类型（company/individual）", "code"),
                FeedField("registered_capital", "注册资本（元）", "money"),
                FeedField("business_status", "登记状态（active/cancelled）", "code"),
            ),
            (FeedRule(F.INELIGIBLE_BUSINESS, "matched", _business, "名下有存续的市场主体"),),
        ),
        Feed(
            "property",
            "不动产登记信息",
            "自然资源部门",
            (
                *PERSON,
                FeedField("property_use", "用途（commercial_housing/homestead/other）", "code"),
                FeedField("area_m2", "面积（平方米）", "money"),
                FeedField("location_code", "坐落区划代码", "division"),
            ),
            (FeedRule(F.INELIGIBLE_PROPERTY, "matched", _property, "名下有商品房"),),
        ),
        Feed(
            "payroll",
            "财政供养人员名单",
            "财政部门",
            (
                *PERSON,
                FeedField("employer", "工作单位", "text"),
                FeedField("post", "职务", "text"),
            ),
            (FeedRule(F.INELIGIBLE_PAYROLL, "matched", _payroll, "家庭成员为财政供养人员"),),
        ),
        Feed(
            "disaster",
            "受灾人员信息",
            "应急管理部门",
            (
                *PERSON,
                FeedField("disaster_type", "灾害类型", "code"),
                FeedField("loss_amount", "直接经济损失（元）", "money"),
                FeedField("disaster_date", "受灾日期", "date"),
            ),
            (
                FeedRule(
                    F.EARLY_WARNING_DISASTER, "matched", _disaster_warning, "受灾损失达到预警标准"
                ),
            ),
        ),
    )
}

#: Registry facts the rules read, as columns of the matched table (``reg_<name>``).
REGISTRY_FACTS: Mapping[str, str] = {
    "reg_status": "string",
    "reg_village": "string",
    "reg_dibao": "boolean",
    "reg_tekun": "boolean",
    "reg_basic_medical": "boolean",
    "reg_school_status": "string",
    "reg_health": "string",
    "reg_house_grade": "string",
}


def feed(code: str) -> Feed:
    """Return the feed called ``code``; raise KeyError for an unknown one."""
    return FEEDS[code]


def flag_label(code: str) -> str:
    return FLAG_TYPES[FlagType(code)].label


def flag_kind(code: str) -> Kind:
    return FLAG_TYPES[FlagType(code)].kind


def feed_of(flag_type: FlagType) -> str | None:
    """Return the feed whose rules raise ``flag_type`` (None for registry-side warnings)."""
    for f in FEEDS.values():
        if any(r.flag_type == flag_type for r in f.rules):
            return f.code
    return None
