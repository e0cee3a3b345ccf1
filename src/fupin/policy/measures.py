"""Assistance measures (帮扶措施): the catalogue, the rules each measure must meet, and the plan
suggestion for a household (精准施策, domain.md §3.5, §7; domain-next.md §2).

Pure: no Django. The catalogue follows domain.md §7 (五个一批 and the measure table, whose cause
mapping is typical practice, not an official one-to-one table). Every rule is a function that
returns the refusals of one measure, each with a stable code and a Chinese sentence citing its
clause; the services refuse a measure with any refusal. The plan suggestion is one Ibis
definition (``suggestions_wide``) over the household, member and conditions tables, so the
same expression serves one household (filtered by id) and a whole county, in SQLite,
PostgreSQL or DuckDB; ``explain`` turns one household's row into plain Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import ibis
import ibis.expr.types as ir

from fupin.policy.codes import CodeList

# -- code lists -----------------------------------------------------------------------------------

MEASURE_CATEGORY = CodeList(
    "measure_category",
    "帮扶措施类别",
    (
        ("industry", "产业扶贫"),
        ("employment", "就业扶贫"),
        ("relocation", "易地扶贫搬迁"),
        ("ecological", "生态扶贫"),
        ("education", "教育扶贫"),
        ("health", "健康扶贫"),
        ("safety_net", "社会保障兜底"),
        ("microcredit", "扶贫小额信贷"),
        ("housing", "危房改造"),
        ("public_post", "公益岗位"),
        ("asset_income", "资产收益扶贫"),
        ("photovoltaic", "光伏扶贫"),
        ("infrastructure", "基础设施"),
        ("other", "其他"),
    ),
    aliases={
        "产业": "industry",
        "就业": "employment",
        "劳动力转移": "employment",
        "易地搬迁": "relocation",
        "生态补偿": "ecological",
        "教育": "education",
        "教育扶持": "education",
        "健康": "health",
        "医疗扶持": "health",
        "兜底": "safety_net",
        "兜底保障": "safety_net",
        "小额信贷": "microcredit",
        "公益性岗位": "public_post",
        "资产收益": "asset_income",
        "光伏": "photovoltaic",
        "其它": "other",
    },
)

#: Sub-types as ``category.kind`` codes (domain.md §7 and domain-next.md §2.4).
MEASURE_SUBTYPE = CodeList(
    "measure_subtype",
    "帮扶措施子类",
    (
        ("industry.planting", "种植业"),
        ("industry.breeding", "养殖业"),
        ("industry.cooperative", "合作社带动"),
        ("industry.enterprise", "龙头企业带动"),
        ("industry.tourism", "乡村旅游"),
        ("industry.ecommerce", "电商扶贫"),
        ("industry.production_award", "生产奖补"),
        ("employment.transfer", "劳动力转移就业"),
        ("employment.training", "技能培训"),
        ("employment.workshop", "扶贫车间就业"),
        ("employment.labour_subsidy", "劳务补助"),
        ("employment.work_relief", "以工代赈"),
        ("relocation.centralised", "集中安置"),
        ("relocation.scattered", "分散安置"),
        ("ecological.ranger", "生态护林员"),
        ("ecological.compensation", "生态补偿"),
        ("ecological.grain_to_green", "退耕还林还草"),
        ("education.compulsory", "义务教育两免一补"),
        ("education.nutrition", "营养改善计划"),
        ("education.grant", "学生资助"),
        ("education.yulu", "雨露计划"),
        ("education.dropout", "控辍保学"),
        ("health.insurance", "参保资助"),
        ("health.contract", "家庭医生签约服务"),
        ("health.serious", "大病集中救治"),
        ("health.assistance", "医疗救助"),
        ("safety_net.dibao", "低保"),
        ("safety_net.tekun", "特困供养"),
        ("safety_net.temporary", "临时救助"),
        ("safety_net.disability", "残疾人两项补贴"),
        ("microcredit.loan", "扶贫小额信贷"),
        ("housing.rebuild", "拆除重建"),
        ("housing.repair", "修缮加固"),
        ("public_post.cleaning", "村级保洁员"),
        ("public_post.road", "护路员"),
        ("public_post.forest", "护林员"),
        ("public_post.water", "管水员"),
        ("public_post.other", "其他公益岗位"),
        ("asset_income.dividend", "资产收益分红"),
        ("photovoltaic.village", "村级光伏电站"),
        ("photovoltaic.household", "户用光伏"),
        ("infrastructure.road", "道路"),
        ("infrastructure.water", "安全饮水"),
        ("infrastructure.power", "电力"),
        ("infrastructure.network", "网络"),
        ("other.other", "其他"),
    ),
)

MEASURE_STATUS = CodeList(
    "measure_status",
    "措施状态",
    (
        ("planned", "计划"),
        ("in_progress", "实施中"),
        ("done", "已完成"),
        ("cancelled", "已取消"),
    ),
)

#: Statuses that count as "carried out" for exit and risk elimination.
CARRIED_OUT = ("in_progress", "done")
#: Registry statuses of the households that must have a 帮扶责任人 and measures (未脱贫, 返贫).
ASSISTED = ("poor", "returned")

LOAN_PURPOSE = CodeList(
    "loan_purpose",
    "贷款用途",
    (
        ("production", "生产经营"),
        ("marriage", "结婚"),
        ("house_building", "建房"),
        ("investment", "理财"),
        ("household_goods", "购置家庭用品"),
        ("pooled", "入股分红、转贷或分贷统还"),
    ),
)

PAIRING_ORDER = CodeList(
    "pairing_order",
    "帮扶序位",
    (("first", "第一帮扶责任人"), ("second", "第二帮扶责任人")),
)

TEAM_ROLE = CodeList(
    "team_role",
    "驻村职务",
    (("first_secretary", "第一书记"), ("leader", "工作队队长"), ("member", "工作队队员")),
)

LEAVE_STATUS = CodeList(
    "leave_status",
    "请假状态",
    (("pending", "待审批"), ("approved", "已批准"), ("refused", "未批准")),
)

# -- the catalogue --------------------------------------------------------------------------------


class Batch(StrEnum):
    """五个一批 (2015 Decision, domain.md §7 [S40])."""

    PRODUCTION = "production"  # 发展生产脱贫一批
    RELOCATION = "relocation"  # 易地搬迁脱贫一批
    ECOLOGICAL = "ecological"  # 生态补偿脱贫一批
    EDUCATION = "education"  # 发展教育脱贫一批
    SAFETY_NET = "safety_net"  # 社会保障兜底一批


BATCH_LABELS: dict[Batch, str] = {
    Batch.PRODUCTION: "发展生产脱贫一批",
    Batch.RELOCATION: "易地搬迁脱贫一批",
    Batch.ECOLOGICAL: "生态补偿脱贫一批",
    Batch.EDUCATION: "发展教育脱贫一批",
    Batch.SAFETY_NET: "社会保障兜底一批",
}


@dataclass(frozen=True)
class Category:
    """One measure category: its batch, the causes it typically addresses and its sub-types."""

    code: str
    batch: Batch | None
    causes: tuple[str, ...]
    note: str = ""

    @property
    def label(self) -> str:
        return MEASURE_CATEGORY.label_of(self.code)

    @property
    def subtypes(self) -> tuple[str, ...]:
        return tuple(c for c in MEASURE_SUBTYPE.codes if c.split(".")[0] == self.code)


#: domain.md §7: "Typical target causes" per measure (typical practice, not an official table).
CATALOGUE: dict[str, Category] = {
    c.code: c
    for c in (
        Category(
            "industry",
            Batch.PRODUCTION,
            ("lack_capital", "lack_skills", "lack_land", "lack_motivation"),
        ),
        Category(
            "employment",
            Batch.PRODUCTION,
            ("lack_skills", "lack_labour", "poor_transport", "lack_motivation"),
        ),
        Category(
            "relocation",
            Batch.RELOCATION,
            ("poor_transport", "lack_water", "lack_land", "disaster"),
            "住房面积每人不超过 25 平方米（红线）",
        ),
        Category("ecological", Batch.ECOLOGICAL, ("lack_land", "lack_labour", "lack_skills")),
        Category(
            "education",
            Batch.EDUCATION,
            ("schooling",),
            "两免一补、营养餐、学生资助、雨露计划",
        ),
        Category(
            "health",
            Batch.SAFETY_NET,
            ("illness", "disability"),
            "基本医保、大病保险、医疗救助三重保障；大病集中救治、慢病签约服务、重病兜底保障",
        ),
        Category(
            "safety_net",
            Batch.SAFETY_NET,
            ("lack_labour", "disability", "illness"),
            "完全或部分丧失劳动能力的人口",
        ),
        Category("microcredit", Batch.PRODUCTION, ("lack_capital",), "5 万元以下、3 年以内"),
        Category(
            "housing",
            None,
            (),
            "C、D 级危房；建档立卡贫困户、低保户、分散供养特困人员、贫困残疾人家庭",
        ),
        Category("public_post", Batch.PRODUCTION, ("lack_labour", "disability")),
        Category("asset_income", Batch.PRODUCTION, ("lack_labour", "illness", "disability")),
        Category("photovoltaic", Batch.PRODUCTION, ("lack_labour", "lack_capital")),
        Category("infrastructure", None, ("poor_transport", "lack_water")),
        Category("other", None, ()),
    )
}


def subtype_category(subtype: str) -> str:
    """The category code of a ``category.kind`` sub-type code."""
    return subtype.split(".", 1)[0]


# -- parameters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureParameters:
    """The figures the measure, pairing and work-team rules read; each a provincial parameter.

    Defaults and their sources: micro-credit ✔ [S49][S49b] and domain-next.md §2.4 [M2];
    pairing quota (no national quota; counties set it, 5 is the common ceiling) domain-next.md
    §2.1; visits once a month (counties range from weekly to monthly, §2.1); work team ≥ 3
    people ✔ [C10]; presence ≥ 20 days a month (Guangxi 2018 ✔ [C12]) and ≥ 200 days a year
    (Qinghai Ledu ✔ [C13]); leave of ≤ 3 days approved by the township, longer by the county
    (Guangxi ✔ [C12]).
    """

    loan_max_amount: Decimal = Decimal("50000")  # 5 万元以下（含）
    loan_max_months: int = 36  # 3 年以内（含）
    loan_min_age: int = 18  # 18 周岁以上（含）
    loan_max_age: int = 65  # 65 周岁以下（含）
    #: Statuses of a household that may borrow: 建档立卡 households (and, from 2021, monitored
    #: edge households — a province adds "monitored" here).
    loan_statuses: tuple[str, ...] = ("poor", "returned", "exited_with_policy")
    #: Caps on the amount of other categories (yuan; None = no cap), e.g. a province's 危房改造
    #: subsidy. None by default: the figures found are local examples (domain-next.md §2.4).
    amount_caps: Mapping[str, Decimal] = field(default_factory=dict)
    max_households_per_cadre: int = 5
    visit_interval_days: int = 31  # at least once a month
    team_min_size: int = 3
    presence_days_per_month: int = 20
    presence_days_per_year: int = 200
    township_leave_max_days: int = 3

    def amount_cap(self, category: str) -> Decimal | None:
        if category == "microcredit":
            return self.loan_max_amount
        return self.amount_caps.get(category)


DEFAULT_PARAMETERS = MeasureParameters()

# -- the rules ------------------------------------------------------------------------------------


class MeasureCode(StrEnum):
    UNKNOWN_CATEGORY = "MEASURE_UNKNOWN_CATEGORY"
    UNKNOWN_SUBTYPE = "MEASURE_UNKNOWN_SUBTYPE"
    SUBTYPE_MISMATCH = "MEASURE_SUBTYPE_MISMATCH"
    AMOUNT_NEGATIVE = "MEASURE_AMOUNT_NEGATIVE"
    AMOUNT_ABOVE_CAP = "MEASURE_AMOUNT_ABOVE_CAP"
    DATES = "MEASURE_DATES"
    LOAN_TERM = "MEASURE_LOAN_TERM"
    LOAN_AGE = "MEASURE_LOAN_AGE"
    LOAN_BORROWER = "MEASURE_LOAN_BORROWER"
    LOAN_NOT_REGISTERED = "MEASURE_LOAN_NOT_REGISTERED"
    LOAN_PURPOSE = "MEASURE_LOAN_PURPOSE"
    SAFETY_NET_LABOUR = "MEASURE_SAFETY_NET_LABOUR"
    PUBLIC_POST_MEMBER = "MEASURE_PUBLIC_POST_MEMBER"
    PUBLIC_POST_LABOUR = "MEASURE_PUBLIC_POST_LABOUR"
    HOUSING_GRADE = "MEASURE_HOUSING_GRADE"
    HOUSING_PRIORITY = "MEASURE_HOUSING_PRIORITY"


@dataclass(frozen=True)
class Refusal:
    code: MeasureCode
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}


@dataclass(frozen=True)
class MemberFacts:
    """What the rules read about a member (age at the measure's start)."""

    age: int | None
    labour_capacity: str  # "" = not recorded
    health: str = "healthy"
    dibao: bool = False
    tekun: bool = False


@dataclass(frozen=True)
class MeasureFacts:
    """One measure and the household facts its rules read."""

    category: str
    subtype: str = ""
    amount: Decimal | None = None
    start: date | None = None
    end: date | None = None
    term_months: int | None = None  # loans
    purpose: str = ""  # loans: a LOAN_PURPOSE code
    reason: str = ""  # why a rule's exception applies (兜底 / 公益岗位 with full labour)
    household_status: str = "poor"
    household_attribute: str = "general"
    house_grade: str = ""  # "" = not recorded
    members: Sequence[MemberFacts] = ()
    target: MemberFacts | None = None  # the borrower / post holder / beneficiary member


FULL_LABOUR = ("ordinary", "skilled")
WEAK_OR_LOST = ("weak", "lost", "none")


def _money(value: Decimal) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def check(m: MeasureFacts, p: MeasureParameters = DEFAULT_PARAMETERS) -> list[Refusal]:
    """Return every rule the measure breaks (empty = it may be recorded)."""
    out: list[Refusal] = []
    if m.category not in MEASURE_CATEGORY:
        return [Refusal(MeasureCode.UNKNOWN_CATEGORY, f"帮扶措施类别“{m.category}”不存在")]
    if m.subtype:
        if m.subtype not in MEASURE_SUBTYPE:
            out.append(Refusal(MeasureCode.UNKNOWN_SUBTYPE, f"措施子类“{m.subtype}”不存在"))
        elif subtype_category(m.subtype) != m.category:
            out.append(
                Refusal(
                    MeasureCode.SUBTYPE_MISMATCH,
                    f"措施子类“{MEASURE_SUBTYPE.label_of(m.subtype)}”不属于"
                    f"“{MEASURE_CATEGORY.label_of(m.category)}”",
                )
            )
    out += _amount(m, p)
    if m.start and m.end and m.end < m.start:
        out.append(Refusal(MeasureCode.DATES, f"结束日期 {m.end} 早于开始日期 {m.start}"))
    rule = _CATEGORY_RULES.get(m.category)
    if rule is not None:
        out += rule(m, p)
    return out


def _amount(m: MeasureFacts, p: MeasureParameters) -> list[Refusal]:
    if m.amount is None:
        return []
    if m.amount < 0:
        return [Refusal(MeasureCode.AMOUNT_NEGATIVE, f"金额 {m.amount} 元不能为负数")]
    cap = p.amount_cap(m.category)
    if cap is not None and m.amount > cap:
        label = MEASURE_CATEGORY.label_of(m.category)
        return [
            Refusal(
                MeasureCode.AMOUNT_ABOVE_CAP,
                f"{label}金额 {_money(m.amount)} 元超过上限 {_money(cap)} 元"
                f"（{_money(cap)} 元以下，含本数）",
            )
        ]
    return []


def _loan(m: MeasureFacts, p: MeasureParameters) -> list[Refusal]:
    """扶贫小额信贷 (✔ [S49][S49b]; transition period [M2]): 5 万元以下、3 年以内, borrower
    18–65 (both included), a registered household, production use only (户借户用户还; not for
    marriage, building a house, investment or household goods, not pooled into a firm)."""
    out: list[Refusal] = []
    if m.term_months is not None and m.term_months > p.loan_max_months:
        out.append(
            Refusal(
                MeasureCode.LOAN_TERM,
                f"贷款期限 {m.term_months} 个月超过 {p.loan_max_months} 个月（3 年以内，含 3 年）",
            )
        )
    if m.target is None:
        out.append(Refusal(MeasureCode.LOAN_BORROWER, "小额信贷须指定借款人（家庭成员）"))
    elif m.target.age is None or not p.loan_min_age <= m.target.age <= p.loan_max_age:
        age = "未知" if m.target.age is None else f"{m.target.age} 周岁"
        out.append(
            Refusal(
                MeasureCode.LOAN_AGE,
                f"借款人年龄 {age}，须在 {p.loan_min_age} 周岁以上、{p.loan_max_age} 周岁以下"
                "（含本数）",
            )
        )
    if m.household_status not in p.loan_statuses:
        out.append(
            Refusal(
                MeasureCode.LOAN_NOT_REGISTERED,
                "小额信贷只发放给建档立卡贫困户（该户当前状态不在范围内）",
            )
        )
    if m.purpose != "production":
        what = LOAN_PURPOSE.label_of(m.purpose) if m.purpose in LOAN_PURPOSE else "未填写"
        out.append(
            Refusal(
                MeasureCode.LOAN_PURPOSE,
                f"贷款用途为“{what}”：小额信贷只能用于生产经营（户借、户用、户还，"
                "不得用于结婚、建房、理财、购置家庭用品，不得入股分红或分贷统还）",
            )
        )
    return out


def _safety_net(m: MeasureFacts, p: MeasureParameters) -> list[Refusal]:
    """社会保障兜底 is for those who fully or partly lost labour capacity (五个一批 [S40]):
    without a member recorded as weak, lost or without labour capacity (a blank capacity is
    not recorded, so it proves nothing), a reason is required (e.g. 临时救助 after a disaster
    needs none)."""
    if m.subtype == "safety_net.temporary" or m.reason.strip():
        return []
    if not any(x.labour_capacity in WEAK_OR_LOST for x in m.members):
        return [
            Refusal(
                MeasureCode.SAFETY_NET_LABOUR,
                "兜底保障对象须为完全或部分丧失劳动能力的人口：该户没有登记为弱劳动力、"
                "丧失劳动力或无劳动力的成员，须说明理由",
            )
        ]
    return []


def _public_post(m: MeasureFacts, p: MeasureParameters) -> list[Refusal]:
    """公益岗位 go to members with weak labour capacity ([S51]; domain.md §7): refuse a holder
    who has lost labour capacity; a holder with full labour capacity needs a reason."""
    if m.target is None:
        return [Refusal(MeasureCode.PUBLIC_POST_MEMBER, "公益岗位须指定上岗的家庭成员")]
    c = m.target.labour_capacity
    if c in ("lost", "none"):
        return [Refusal(MeasureCode.PUBLIC_POST_LABOUR, "上岗人员已丧失劳动能力，不能安排公益岗位")]
    if c in FULL_LABOUR and not m.reason.strip():
        return [
            Refusal(
                MeasureCode.PUBLIC_POST_LABOUR,
                "公益岗位主要安置弱劳动力或半劳动力：上岗人员为普通或技能劳动力，须说明理由",
            )
        ]
    if not c:
        return [Refusal(MeasureCode.PUBLIC_POST_LABOUR, "上岗人员的劳动能力未登记")]
    return []


#: Registered statuses that count as 建档立卡贫困户 for the housing priority groups.
REGISTERED = ("poor", "returned", "exited_with_policy")


def _housing(m: MeasureFacts, p: MeasureParameters) -> list[Refusal]:
    """危房改造 for C/D houses of the four priority groups (✔ [S26b]): registered poor,
    低保, scattered 特困 and poor disabled families. A blank grade is not recorded: refused."""
    out: list[Refusal] = []
    if m.house_grade not in ("C", "D"):
        grade = {"": "未登记", "safe": "非危房"}.get(m.house_grade, m.house_grade)
        out.append(
            Refusal(
                MeasureCode.HOUSING_GRADE, f"危房改造只针对 C、D 级危房（该户危房级别：{grade}）"
            )
        )
    priority = (
        m.household_status in REGISTERED
        or m.household_attribute in ("dibao", "tekun")
        or any(x.dibao or x.tekun or x.health == "disabled" for x in m.members)
    )
    if not priority:
        out.append(
            Refusal(
                MeasureCode.HOUSING_PRIORITY,
                "危房改造对象须为建档立卡贫困户、低保户、分散供养特困人员或贫困残疾人家庭",
            )
        )
    return out


_CATEGORY_RULES = {
    "microcredit": _loan,
    "safety_net": _safety_net,
    "public_post": _public_post,
    "housing": _housing,
}
#: The categories whose rules read the household (its status, members, house, the target
#: member); the rules of every other category read only the measure's own cells.
HOUSEHOLD_RULE_CATEGORIES = frozenset(_CATEGORY_RULES)

# -- plan suggestion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One suggested measure: the condition (a column of ``suggestions_wide``) and its words."""

    code: str
    category: str
    subtypes: tuple[str, ...]
    because: str  # what in the household's facts leads to it ("因病", "有成员患大病")
    advice: str  # the plain-Chinese advice

    @property
    def column(self) -> str:
        return f"s_{self.code}"

    def sentence(self) -> str:
        return f"{self.because}：建议{self.advice}"


SUGGESTIONS: tuple[Suggestion, ...] = (
    Suggestion(
        "health_serious",
        "health",
        ("health.serious", "health.assistance"),
        "有成员患大病",
        "健康扶贫（大病集中救治，落实基本医保、大病保险和医疗救助）",
    ),
    Suggestion(
        "health_chronic",
        "health",
        ("health.contract",),
        "因病或有成员患长期慢性病",
        "健康扶贫（家庭医生签约服务、慢病管理）",
    ),
    Suggestion(
        "health_insurance",
        "health",
        ("health.insurance",),
        "有成员未参加基本医疗保险",
        "资助参加城乡居民基本医疗保险",
    ),
    Suggestion(
        "disability",
        "safety_net",
        ("safety_net.disability",),
        "因残或有残疾成员",
        "落实残疾人两项补贴，并结合康复服务",
    ),
    Suggestion(
        "safety_net",
        "safety_net",
        ("safety_net.dibao", "safety_net.tekun"),
        "家中无劳动力",
        "社会保障兜底（低保或特困供养），与扶贫标准衔接",
    ),
    Suggestion(
        "education",
        "education",
        ("education.compulsory", "education.grant"),
        "因学或有在校生",
        "教育扶贫（两免一补、营养餐、学生资助）",
    ),
    Suggestion(
        "yulu",
        "education",
        ("education.yulu",),
        "有成员就读中职或高职",
        "雨露计划职业教育补助",
    ),
    Suggestion(
        "dropout",
        "education",
        ("education.dropout",),
        "有义务教育阶段适龄儿童未在校",
        "控辍保学，劝返复学或送教上门",
    ),
    Suggestion(
        "housing",
        "housing",
        ("housing.rebuild", "housing.repair"),
        "住房为 C、D 级危房",
        "危房改造（D 级拆除重建，C 级修缮加固）",
    ),
    Suggestion(
        "water",
        "infrastructure",
        ("infrastructure.water",),
        "因缺水或饮水不安全",
        "安全饮水工程",
    ),
    Suggestion(
        "microcredit",
        "microcredit",
        ("microcredit.loan",),
        "缺资金且有 18–65 周岁的劳动力",
        "扶贫小额信贷（5 万元以下、3 年以内，用于生产经营）",
    ),
    Suggestion(
        "industry",
        "industry",
        ("industry.planting", "industry.breeding", "industry.cooperative"),
        "缺资金、缺土地或缺技术且有劳动力",
        "产业扶贫（种养业、合作社或龙头企业带动）",
    ),
    Suggestion(
        "training",
        "employment",
        ("employment.training",),
        "缺技术",
        "技能培训，培训后推荐就业",
    ),
    Suggestion(
        "employment",
        "employment",
        ("employment.transfer", "employment.workshop"),
        "有未外出务工的劳动力",
        "就业扶贫（劳动力转移就业或扶贫车间就业）",
    ),
    Suggestion(
        "motivation",
        "industry",
        ("industry.production_award", "employment.work_relief"),
        "自身发展动力不足",
        "以奖代补（生产奖补、以工代赈、劳务补助），多劳多得，不直接发钱",
    ),
    Suggestion(
        "public_post",
        "public_post",
        ("public_post.cleaning", "public_post.road", "public_post.forest"),
        "有弱劳动力或半劳动力",
        "安排公益岗位（保洁、护路、护林等）",
    ),
    Suggestion(
        "asset_income",
        "asset_income",
        ("asset_income.dividend", "photovoltaic.village"),
        "缺劳力",
        "资产收益扶贫或光伏收益分配",
    ),
    Suggestion(
        "relocation",
        "relocation",
        ("relocation.centralised", "relocation.scattered"),
        "交通条件落后或缺土地，且尚未搬迁",
        "评估是否纳入易地扶贫搬迁，或改善道路等基础设施",
    ),
    Suggestion(
        "ranger",
        "ecological",
        ("ecological.ranger",),
        "缺土地且有劳动力",
        "选聘生态护林员或落实生态补偿",
    ),
    Suggestion(
        "disaster",
        "safety_net",
        ("safety_net.temporary",),
        "因灾",
        "临时救助，并落实灾后恢复生产",
    ),
)

SUGGESTION_BY_CODE: dict[str, Suggestion] = {s.code: s for s in SUGGESTIONS}

#: The schemas ``suggestions_wide`` reads (a subset of the registry tables).
SCHEMAS: dict[str, dict[str, str]] = {
    "household": {
        "id": "int64",
        "village_id": "string",
        "status": "string",
        "main_cause": "string",
        "other_cause_1": "string",
        "other_cause_2": "string",
        "relocated": "boolean",
    },
    "member": {
        "household_id": "int64",
        "birth_date": "date",
        "labour_capacity": "string",
        "school_status": "string",
        "school_exempt_physical": "boolean",
        "health": "string",
        "migrant_work": "string",
        "basic_medical": "boolean",
    },
    "conditions": {
        "household_id": "int64",
        "house_grade": "string",
        "water_safe": "boolean",
    },
}


@dataclass(frozen=True)
class SuggestionInputs:
    household: ir.Table
    member: ir.Table
    conditions: ir.Table

    @classmethod
    def unbound(cls, names: Mapping[str, str]) -> SuggestionInputs:
        return cls(**{k: ibis.table(SCHEMAS[k], name=names[k]) for k in SCHEMAS})


def _any(b: ir.BooleanValue) -> ir.IntegerValue:
    """Per group: 1 when some row holds, else 0 (a portable MAX over 1/0)."""
    return ibis.ifelse(b, 1, 0).max()


def suggestions_wide(
    inputs: SuggestionInputs,
    year: int,
    *,
    school_age: tuple[int, int] = (6, 15),
    statuses: Sequence[str] = ("poor", "returned"),
) -> ir.Table:
    """One row per household in ``statuses``: its id, village and a 1/0 column per suggestion
    (``s_<code>``), plus ``suggested`` (how many).

    Ages are ``year`` minus the year of birth, as in the deep-poverty indicators. A blank labour
    capacity counts as not recorded: it neither proves labour capacity nor its absence (a
    household whose members are all blank gets no 兜底 suggestion). ``school_age`` is the
    compulsory-education age band of the education guarantee (6–15 inclusive by default).
    """
    h = inputs.household
    h = h.filter(h.status.isin(list(statuses)))
    m = inputs.member
    # Aggregate only the selected households' members (a county need not read the province).
    m = m.filter(m.household_id.isin(h.id))
    age = ibis.literal(year) - m.birth_date.year()
    cap = m.labour_capacity.strip().nullif("")
    full = cap.isin(list(FULL_LABOUR))
    in_school = m.school_status.notin(["not_in_school", ""]) & m.school_status.notnull()
    lo, hi = school_age
    members = m.group_by(hid=m.household_id).aggregate(
        n=m.count(),
        serious=_any(m.health == "serious"),
        chronic=_any(m.health == "chronic"),
        disabled=_any(m.health == "disabled"),
        no_insurance=_any(~m.basic_medical.fill_null(False)),
        students=_any(in_school),
        vocational=_any(m.school_status.isin(["vocational_secondary", "vocational_higher"])),
        dropout=_any(
            (age >= lo) & (age <= hi) & ~in_school & ~m.school_exempt_physical.fill_null(False)
        ),
        full_labour=_any(full),
        borrower=_any(full & (age >= 18) & (age <= 65)),
        weak=_any(cap == "weak"),
        recorded=_any(cap.notnull()),
        able=_any(cap.notnull() & cap.notin(["lost", "none"])),
        idle=_any(full & (m.migrant_work == "none") & (age >= 16) & (age <= 59)),
    )
    c = inputs.conditions
    c = c.select(cid=c.household_id, grade=c.house_grade, water_safe=c.water_safe)
    j = h.left_join(members, h.id == members.hid).left_join(c, h.id == c.cid)

    def cause(*codes: str) -> ir.BooleanValue:
        wanted = list(codes)
        return (
            j.main_cause.isin(wanted)
            | j.other_cause_1.fill_null("").isin(wanted)
            | j.other_cause_2.fill_null("").isin(wanted)
        )

    def has(col: str) -> ir.BooleanValue:
        return j[col].fill_null(0) == 1

    rules: dict[str, ir.BooleanValue] = {
        "health_serious": has("serious"),
        "health_chronic": cause("illness") | has("chronic"),
        "health_insurance": has("no_insurance"),
        "disability": cause("disability") | has("disabled"),
        # every recorded capacity lost or none, and at least one recorded
        "safety_net": has("recorded") & ~has("able"),
        "education": cause("schooling") | has("students"),
        "yulu": has("vocational"),
        "dropout": has("dropout"),
        "housing": j.grade.fill_null("").isin(["C", "D"]),
        "water": cause("lack_water") | (j.water_safe.notnull() & ~j.water_safe.fill_null(True)),
        "microcredit": cause("lack_capital") & has("borrower"),
        "industry": cause("lack_capital", "lack_land", "lack_skills") & has("full_labour"),
        "training": cause("lack_skills"),
        "employment": has("idle"),
        "motivation": cause("lack_motivation"),
        "public_post": has("weak"),
        "asset_income": cause("lack_labour"),
        "relocation": cause("poor_transport", "lack_land") & ~j.relocated.fill_null(False),
        "ranger": cause("lack_land") & has("full_labour"),
        "disaster": cause("disaster"),
    }
    columns = {f"s_{code}": ibis.ifelse(expr, 1, 0) for code, expr in rules.items()}
    wide = j.select(household_id=j.id, village_id=j.village_id, **columns)
    total = sum((wide[c] for c in columns), ibis.literal(0))
    return wide.mutate(suggested=total)


def suggestions_long(wide: ir.Table) -> ir.Table:
    """The wide table as one row per (household, suggestion): ``household_id``, ``village_id``,
    ``suggestion``, ``category`` — a UNION ALL, so a bulk plan is one INSERT … SELECT."""
    parts = [
        wide.filter(wide[s.column] == 1).select(
            household_id=wide.household_id,
            village_id=wide.village_id,
            suggestion=ibis.literal(s.code),
            category=ibis.literal(s.category),
        )
        for s in SUGGESTIONS
    ]
    return ibis.union(*parts, distinct=False)


def suggested_codes(row: Mapping[str, Any]) -> list[str]:
    """The suggestion codes set in one row of ``suggestions_wide``, in catalogue order."""
    return [s.code for s in SUGGESTIONS if row.get(s.column) in (1, True)]


def explain(row: Mapping[str, Any]) -> list[str]:
    """One household's suggestions in plain Chinese, e.g. "因病或有成员患长期慢性病：建议…"."""
    return [SUGGESTION_BY_CODE[c].sentence() for c in suggested_codes(row)]


# -- pairing, visits, work teams ------------------------------------------------------------------


def visit_overdue(last_visit: date | None, since: date, as_of: date, interval_days: int) -> bool:
    """Whether a paired household is overdue for a visit on ``as_of``: no visit within the
    interval (counted from the last visit, or from the pairing's start when never visited)."""
    anchor = last_visit or since
    return (as_of - anchor).days > interval_days


def leave_level(days: int, p: MeasureParameters = DEFAULT_PARAMETERS) -> str:
    """Who approves a leave of ``days`` days: ``township`` up to the limit (inclusive), else
    ``county`` (Guangxi 2018: ≤ 3 days 乡镇党委, > 3 days 县委组织部 ✔ [C12])."""
    return "township" if days <= p.township_leave_max_days else "county"
