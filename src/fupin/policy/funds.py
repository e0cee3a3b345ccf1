"""Projects and funds (项目安排精准、资金使用精准): code lists, the factor method 因素法, the fund
ledger checks (动态监控) and the per-record rules of projects and payments (issue 10).

Pure: no Django. Sources are domain-next.md §1 (中央财政专项扶贫资金管理办法 财农〔2017〕8号,
统筹整合 国办发〔2016〕22号, 公告公示, 县级项目库, 资产收益/光伏, 动态监控) and §3 (pairings);
their marks (✔ read, ~ weak, UNVERIFIED) are kept on every figure.

Money is never a float: amounts are ``Decimal`` yuan with at most two places (fen) in Python
and ``int64`` fen in the ledger tables, so SQLite, PostgreSQL, DuckDB and Spark all add them
exactly. ``ledger_flags`` is one Ibis definition over five tables (allocations, assignments
to projects, projects, payments, registry households); filter its inputs to serve one project
or run it over a whole province.

Threshold words read as their clauses say: 以上/以下/以内 include the figure itself; 超过/不满/
低于 exclude it ("闲置 1 年以上" = idle for 365 days or more).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import ibis
import ibis.expr.types as ir

from fupin.policy.codes import CodeList

# -- code lists -----------------------------------------------------------------------------------

#: 资金来源. Central special funds are split by their 资金支出方向 (✔ [F2]); the 2011 wording
#: 欠发达国有林场 / 贫困垦区 (~) is an alias of the farm/forest lines.
FUND_SOURCE = CodeList(
    "fund_source",
    "资金来源",
    (
        ("central.development", "中央财政专项扶贫资金（扶贫发展）"),
        ("central.minority", "中央财政专项扶贫资金（少数民族发展）"),
        ("central.work_relief", "中央财政专项扶贫资金（以工代赈）"),
        ("central.state_farm", "中央财政专项扶贫资金（国有贫困农场扶贫）"),
        ("central.state_forest", "中央财政专项扶贫资金（国有贫困林场扶贫）"),
        ("provincial", "省级财政专项扶贫资金"),
        ("prefectural", "市级财政专项扶贫资金"),
        ("county", "县级财政专项扶贫资金"),
        ("integrated", "统筹整合使用财政涉农资金"),
        ("east_west", "东西部扶贫协作资金"),
        ("central_unit", "中央单位定点帮扶资金"),
        ("enterprise", "社会帮扶资金（万企帮万村）"),
        ("social", "其他社会帮扶资金（捐赠等）"),
        ("other", "其他资金"),
    ),
    aliases={
        "扶贫发展": "central.development",
        "少数民族发展": "central.minority",
        "以工代赈": "central.work_relief",
        "国有贫困农场扶贫": "central.state_farm",
        "贫困垦区": "central.state_farm",
        "国有贫困林场扶贫": "central.state_forest",
        "欠发达国有林场": "central.state_forest",
        "统筹整合资金": "integrated",
        "涉农整合资金": "integrated",
        "东西部协作资金": "east_west",
        "定点帮扶资金": "central_unit",
        "万企帮万村": "enterprise",
        "社会帮扶": "social",
        "其它": "other",
    },
)

#: Sources that are 中央财政专项扶贫资金 (the negative list applies to all special funds).
CENTRAL_SPECIAL = tuple(c for c in FUND_SOURCE.codes if c.startswith("central."))
SPECIAL_FUNDS = (*CENTRAL_SPECIAL, "provincial", "prefectural", "county")

#: Fund levels (资金层级), top down; a division's level is known from its code length.
FUND_LEVEL = CodeList(
    "fund_level",
    "资金层级",
    (
        ("central", "中央"),
        ("province", "省级"),
        ("prefecture", "市级"),
        ("county", "县级"),
        ("township", "乡镇"),
        ("village", "村级"),
    ),
)

#: 项目类别 (county practice, UNVERIFIED nationally: domain-next.md §1.4).
PROJECT_TYPE = CodeList(
    "project_type",
    "项目类别",
    (
        ("industry", "产业发展"),
        ("infrastructure", "基础设施"),
        ("public_service", "公共服务"),
        ("employment", "就业扶贫"),
        ("relocation_support", "易地扶贫搬迁后续扶持"),
        ("photovoltaic", "光伏扶贫"),
        ("asset_income", "资产收益扶贫"),
        ("education", "教育扶贫"),
        ("health", "健康扶贫"),
        ("housing", "危房改造"),
        ("finance", "金融扶贫（贴息、风险补偿）"),
        ("other", "其他"),
    ),
    aliases={
        "产业": "industry",
        "易地搬迁配套": "relocation_support",
        "易地搬迁后扶": "relocation_support",
        "光伏": "photovoltaic",
        "资产收益": "asset_income",
        "教育": "education",
        "健康": "health",
        "就业": "employment",
        "公共服务": "public_service",
        "其它": "other",
    },
)

#: Types that integrated funds (统筹整合) may pay for: 农业生产发展 and 农村基础设施建设 only;
#: education and health are not integrated (✔ [F7b][F7c]). Which county types count as 农业
#: 生产发展 is practice (~): a province may narrow it.
INTEGRATED_TYPES = (
    "industry",
    "infrastructure",
    "employment",
    "relocation_support",
    "photovoltaic",
    "asset_income",
    "housing",
)

PROJECT_STATUS = CodeList(
    "project_status",
    "项目状态",
    (
        ("proposed", "已申报"),
        ("reviewed", "乡镇已审核"),
        ("approved", "县级已审定入库"),
        ("in_progress", "实施中"),
        ("accepted", "已验收"),
        ("handed_over", "资产已移交"),
        ("rejected", "未通过"),
        ("cancelled", "已撤销"),
    ),
)

#: Allowed transitions and the level that takes each (village or township proposes, the
#: township reviews, the county decides: domain-next.md §1.4, approval delegated to the
#: county ✔ [F1][F7b]). A township may propose its own project, which it then reviews.
TRANSITIONS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("proposed", "reviewed"): ("township",),
    ("proposed", "rejected"): ("township", "county"),
    ("reviewed", "approved"): ("county",),
    ("reviewed", "rejected"): ("county",),
    ("approved", "in_progress"): ("county",),
    ("approved", "cancelled"): ("county",),
    ("in_progress", "accepted"): ("county",),
    ("in_progress", "cancelled"): ("county",),
    ("accepted", "handed_over"): ("county",),
}
PROPOSING_LEVELS = ("village", "township")
#: Statuses in which a project may be paid (approved and not cancelled).
PAYABLE = ("approved", "in_progress", "accepted", "handed_over")

#: 利益联结 / 带贫减贫机制 (practice ~, domain-next.md §1.4, and issue 10).
BENEFIT_KIND = CodeList(
    "benefit_kind",
    "带贫减贫机制",
    (
        ("employment", "务工就业"),
        ("wages", "公益岗位工资"),
        ("dividend", "入股分红（折股量化）"),
        ("land_rent", "土地流转租金"),
        ("order_purchase", "订单收购"),
        ("custody", "托管代养"),
        ("collective", "村集体经济收益二次分配"),
        ("services", "公共服务"),
        ("infrastructure", "基础设施受益"),
        ("subsidy", "到户补助"),
        ("other", "其他"),
    ),
)

PAYEE_KIND = CodeList(
    "payee_kind",
    "收款方类型",
    (("unit", "实施单位"), ("collective", "村集体经济组织"), ("household", "农户")),
)

PAIRING_KIND = CodeList(
    "pairing_kind",
    "帮扶类型",
    (
        ("east_west", "东西部扶贫协作"),
        ("central_unit", "中央单位定点扶贫"),
        ("enterprise", "万企帮万村"),
    ),
)

#: Agreement indicators of a pairing (the six areas of the 2017 east–west review ✔ [P4], plus
#: 消费扶贫 from 2019 ✔ [P6]); targets and weights are UNVERIFIED, so only the names are fixed.
PAIRING_INDICATOR = CodeList(
    "pairing_indicator",
    "协作协议指标",
    (
        ("funds", "财政援助资金（元）"),
        ("cadres", "选派挂职干部（人）"),
        ("professionals", "专业技术人才（人）"),
        ("labour", "劳务协作转移就业（人）"),
        ("consumption", "消费扶贫采购金额（元）"),
        ("enterprises", "引进企业（家）"),
        ("villages", "结对帮扶村（个）"),
    ),
)

#: 扶贫项目资产类别 (国办函〔2021〕51号 ✔ [F26]).
ASSET_CLASS = CodeList(
    "asset_class",
    "资产类别",
    (("operating", "经营性资产"), ("public", "公益性资产"), ("household", "到户类资产")),
)

#: 负面清单 of 财农〔2017〕8号 (不得用于, 9 items ✔ [F1]).
NEGATIVE_LIST = CodeList(
    "negative_list",
    "扶贫资金负面清单",
    (
        ("N01", "行政事业单位基本支出"),
        ("N02", "交通工具及通讯设备"),
        ("N03", "各种奖金、津贴和福利补助"),
        ("N04", "弥补企业亏损"),
        ("N05", "修建楼堂馆所及贫困农场、林场棚户改造以外的职工住宅"),
        ("N06", "弥补预算支出缺口和偿还债务"),
        ("N07", "大中型基本建设项目"),
        ("N08", "城市基础设施建设和城市扶贫"),
        ("N09", "其他与脱贫攻坚无关的支出"),
    ),
)

ALL_CODE_LISTS: tuple[CodeList, ...] = (
    FUND_SOURCE,
    FUND_LEVEL,
    PROJECT_TYPE,
    PROJECT_STATUS,
    BENEFIT_KIND,
    PAYEE_KIND,
    PAIRING_KIND,
    PAIRING_INDICATOR,
    ASSET_CLASS,
    NEGATIVE_LIST,
)

# -- parameters -----------------------------------------------------------------------------------


class Verification(StrEnum):
    VERIFIED = "verified"  # ✔
    WEAK = "weak"  # ~
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class Factor:
    """One factor of the factor method: its weight, whether a larger value earns less
    (``inverse``, e.g. per-capita income) and where the factor and weight come from."""

    code: str
    label: str
    unit: str
    weight: Fraction
    inverse: bool = False
    source: str = ""
    verification: Verification = Verification.UNVERIFIED


#: The 2011 rules name 扶贫对象规模及比例, 农民人均纯收入, 地方人均财力, 贫困深度 and the
#: policy factor 绩效评价 (✔ [F3]); the 2017 weights (often cited as 80 % objective, 20 %
#: performance) were not found (UNVERIFIED): these defaults keep 80/20 and are configuration.
DEFAULT_FACTORS: tuple[Factor, ...] = (
    Factor(
        "poor_population",
        "贫困人口规模",
        "人",
        Fraction(35, 100),
        source="扶贫对象规模 ✔ [F3]; 权重未核实",
    ),
    Factor(
        "incidence",
        "贫困发生率",
        "%",
        Fraction(20, 100),
        source="扶贫对象比例 ✔ [F3]; 权重未核实",
    ),
    Factor(
        "income",
        "农民人均纯收入（反向）",
        "元",
        Fraction(15, 100),
        inverse=True,
        source="农民人均纯收入 ✔ [F3]; 权重未核实",
    ),
    Factor(
        "deep_poverty",
        "深度贫困地区（是=1，否=0）",
        "",
        Fraction(10, 100),
        source="贫困深度 ✔ [F3]; 三个新增 ✔ [D1]; 权重未核实",
    ),
    Factor(
        "performance",
        "绩效评价得分",
        "分",
        Fraction(20, 100),
        source="资金使用管理绩效评价 ✔ [F3]; 20 % 未核实",
    ),
)


@dataclass(frozen=True)
class FundParameters:
    """The figures the fund rules read; each a provincial parameter.

    Sources (domain-next.md): village/township/site notices ≥ 10 days ✔ [F10]; county items
    published within 20 working days ✔ [F12] (the same as 绩效目标 tables ✔ [F4]); a province
    passes central transfers down within 30 days and a county completes a year's tasks within 1
    year ✔ [F7d]; idle balances 1 年以上 / 2 年以上 are the audit's terms ✔ [F15][F15b], counted
    here as 365 / 730 days; a year-end balance share was not found (UNVERIFIED, off by default).
    """

    factors: tuple[Factor, ...] = DEFAULT_FACTORS
    village_notice_days: int = 10  # ≥ 10 days (以上, inclusive)
    county_publish_workdays: int = 20  # within 20 working days (以内, inclusive)
    forward_days: int = 30  # 30 日内 down to the next level
    completion_days: int = 365  # 1 年内 after receipt
    idle_days: int = 365  # 闲置 1 年以上
    idle_days_severe: int = 730  # 闲置 2 年以上
    #: Share of the year's funds still unspent at year end above which a level is flagged;
    #: None = not checked (no national figure found).
    year_end_balance_share: Fraction | None = None
    #: Registry statuses of a household that may receive household-targeted money: not yet out
    #: of poverty, out but still under the policies (脱贫不脱政策), or returned to poverty.
    eligible_statuses: tuple[str, ...] = ("poor", "exited_with_policy", "returned")
    #: The speech's rule 新增资金主要用于深度贫困地区: "主要" read as more than half (UNVERIFIED).
    deep_poverty_share_target: Fraction = Fraction(1, 2)

    def factor(self, code: str) -> Factor:
        for f in self.factors:
            if f.code == code:
                return f
        raise KeyError(code)


DEFAULT_PARAMETERS = FundParameters()

# -- refusals -------------------------------------------------------------------------------------


class FundCode(StrEnum):
    # allocation by factors
    TOTAL_NOT_POSITIVE = "FUNDS_TOTAL_NOT_POSITIVE"
    AMOUNT_PRECISION = "FUNDS_AMOUNT_PRECISION"
    NO_UNITS = "FUNDS_NO_UNITS"
    DUPLICATE_UNIT = "FUNDS_DUPLICATE_UNIT"
    FACTOR_MISSING = "FUNDS_FACTOR_MISSING"
    FACTOR_NEGATIVE = "FUNDS_FACTOR_NEGATIVE"
    FACTOR_NOT_POSITIVE = "FUNDS_FACTOR_NOT_POSITIVE"
    FACTOR_UNKNOWN = "FUNDS_FACTOR_UNKNOWN"
    WEIGHTS = "FUNDS_WEIGHTS"
    FACTORS_ALL_ZERO = "FUNDS_FACTORS_ALL_ZERO"
    # ledger flags
    OVER_ALLOCATED = "FUNDS_OVER_ALLOCATED"
    PROJECT_OVERSPENT = "FUNDS_PROJECT_OVERSPENT"
    PAYEE_NOT_REGISTERED = "FUNDS_PAYEE_NOT_REGISTERED"
    DUPLICATE_PAYMENT = "FUNDS_DUPLICATE_PAYMENT"
    IDLE = "FUNDS_IDLE"
    PAID_BEFORE_APPROVAL = "FUNDS_PAID_BEFORE_APPROVAL"
    NO_NOTICE = "FUNDS_NO_NOTICE"
    OVER_BUDGET = "FUNDS_OVER_BUDGET"
    PAYEE_NOT_ELIGIBLE = "FUNDS_PAYEE_NOT_ELIGIBLE"
    # per record
    UNKNOWN_SOURCE = "FUNDS_UNKNOWN_SOURCE"
    UNKNOWN_TYPE = "FUNDS_UNKNOWN_PROJECT_TYPE"
    UNKNOWN_BENEFIT = "FUNDS_UNKNOWN_BENEFIT"
    UNKNOWN_PAYEE_KIND = "FUNDS_UNKNOWN_PAYEE_KIND"
    AMOUNT_NOT_POSITIVE = "FUNDS_AMOUNT_NOT_POSITIVE"
    BUDGET_MISMATCH = "FUNDS_BUDGET_MISMATCH"
    NO_PERFORMANCE_TARGET = "FUNDS_NO_PERFORMANCE_TARGET"
    NO_BENEFIT_LINK = "FUNDS_NO_BENEFIT_LINK"
    NO_LOCATION = "FUNDS_NO_LOCATION"
    DATES = "FUNDS_DATES"
    INTEGRATED_USE = "FUNDS_INTEGRATED_USE"
    BAD_TRANSITION = "FUNDS_BAD_TRANSITION"
    WRONG_LEVEL = "FUNDS_WRONG_LEVEL"
    NOTICE_MISSING = "FUNDS_NOTICE_MISSING"
    NOTICE_TOO_SHORT = "FUNDS_NOTICE_TOO_SHORT"
    NOTICE_OBJECTION = "FUNDS_NOTICE_OBJECTION"
    NOTICE_STAGE = "FUNDS_NOTICE_STAGE"
    PROJECT_NOT_APPROVED = "FUNDS_PROJECT_NOT_APPROVED"
    NEGATIVE_LIST = "FUNDS_NEGATIVE_LIST"
    PAYEE_MISSING = "FUNDS_PAYEE_MISSING"
    INDUSTRY_CASH = "FUNDS_INDUSTRY_CASH"


@dataclass(frozen=True)
class Refusal:
    #: A ``FundCode``, or the code of a rule set built on these (assets ``AssetCode``,
    #: pairings ``PairingCode``): any StrEnum, whose ``.value`` is the stable code.
    code: StrEnum
    message: str
    #: What the refusal is about (unit, factor, source …), for per-row error reports.
    details: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code.value, "message": self.message, **self.details}


class FundsRefused(ValueError):
    """A calculation the rules refuse; ``refusals`` lists every reason (never just the first)."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__("；".join(r.message for r in refusals))
        self.refusals = list(refusals)


FEN = Decimal("0.01")


def money(value: Decimal) -> str:
    """``12345.6`` → ``"12,345.60"`` (yuan with fen, as on a notice)."""
    return f"{value:,.2f}"


def to_fen(amount: Decimal) -> int:
    """Yuan to integer fen; the caller checks the precision first (see ``_precision``)."""
    return int((amount * 100).to_integral_value())


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def _precision(amount: Decimal, what: str) -> list[Refusal]:
    if amount.is_finite() and amount == amount.quantize(FEN):
        return []
    return [
        Refusal(
            FundCode.AMOUNT_PRECISION,
            f"{what} {amount} 元精确到分（最多两位小数）",
            {"amount": str(amount)},
        )
    ]


# -- the factor method (因素法) --------------------------------------------------------------------


@dataclass(frozen=True)
class FactorInputs:
    """One receiving unit (a division code and name) and its factor values; a factor missing
    from ``values`` or given as None is *not recorded* — never read as zero."""

    unit: str
    values: Mapping[str, Decimal | int | None]
    name: str = ""

    @property
    def title(self) -> str:
        return self.name or self.unit


@dataclass(frozen=True)
class FactorShare:
    """What one factor gave one unit: the unit's value, its share of the factor's pool (the
    value over the sum of all units' values, inverted values for inverse factors), the factor's
    effective weight and the exact yuan (a fraction: the shares of a unit add up to its quota)."""

    factor: str
    value: Decimal
    share: Fraction
    weight: Fraction
    amount: Fraction


@dataclass(frozen=True)
class Allocation:
    unit: str
    name: str
    amount: Decimal  # yuan with fen; the amounts of all units add up to the total exactly
    quota: Fraction  # the exact yuan before rounding to fen
    parts: tuple[FactorShare, ...]

    def explain(self, p: FundParameters = DEFAULT_PARAMETERS) -> list[str]:
        """The allocation in plain Chinese: one line per factor and the rounding line."""
        lines: list[str] = []
        for s in self.parts:
            f = p.factor(s.factor)
            lines.append(
                f"{f.label}：{s.value}{' ' + f.unit if f.unit else ''}，"
                f"占全部单位的 {_pct(s.share)}，"
                f"权重 {_pct(s.weight)}，分得 {money(_round(s.amount))} 元"
            )
        diff = self.amount - _round(self.quota)
        tail = f"（按最大余数法取整到分，调整 {money(diff)} 元）" if diff else ""
        lines.append(f"合计分配 {money(self.amount)} 元{tail}")
        return lines


def _pct(x: Fraction) -> str:
    return f"{float(x) * 100:.2f}%"


def _round(x: Fraction) -> Decimal:
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(FEN)


def allocate_by_factors(
    total: Decimal,
    units: Sequence[FactorInputs],
    p: FundParameters = DEFAULT_PARAMETERS,
) -> list[Allocation]:
    """Allocate ``total`` yuan to ``units`` by the factor method (因素法 ✔ [F2][F3]).

    Each factor's pool (total × weight) is split in proportion to the units' values (for an
    inverse factor, to 1 / value). A factor whose values are all zero (e.g. no deep-poverty unit)
    gives nothing, and the weights of the other factors are scaled up so that the whole total is
    allocated. Exact quotas are fractions; rounding to fen uses the largest-remainder method
    (Hamilton): every unit gets the floor of its quota in fen, the fen left over go one each to
    the largest remainders (ties in the order of ``units``), so the amounts sum to the total.
    Refuse a non-positive total, more than two decimals, a blank, negative or unknown factor
    value (naming the unit and the factor), a non-positive inverse factor and bad weights.
    """
    out: list[Refusal] = []
    if not total.is_finite() or total <= 0:
        out.append(
            Refusal(
                FundCode.TOTAL_NOT_POSITIVE, f"分配总额 {total} 元须大于零", {"total": str(total)}
            )
        )
    else:
        out += _precision(total, "分配总额")
    if not units:
        out.append(Refusal(FundCode.NO_UNITS, "没有接受分配的单位"))
    if (
        not p.factors
        or any(f.weight < 0 for f in p.factors)
        or sum(f.weight for f in p.factors) != 1
    ):
        weights = "、".join(f"{f.label} {_pct(f.weight)}" for f in p.factors)
        out.append(Refusal(FundCode.WEIGHTS, f"因素权重须为非负数且合计 100%（现为：{weights}）"))
    seen: set[str] = set()
    known = {f.code for f in p.factors}
    for u in units:
        if u.unit in seen:
            out.append(
                Refusal(FundCode.DUPLICATE_UNIT, f"单位“{u.title}”重复出现", {"unit": u.unit})
            )
        seen.add(u.unit)
        for code in sorted(set(u.values) - known):
            out.append(
                Refusal(
                    FundCode.FACTOR_UNKNOWN,
                    f"单位“{u.title}”的因素“{code}”不在本次分配的因素中",
                    {"unit": u.unit, "factor": code},
                )
            )
        for f in p.factors:
            v = u.values.get(f.code)
            d = {"unit": u.unit, "factor": f.code}
            if v is None:
                out.append(
                    Refusal(
                        FundCode.FACTOR_MISSING,
                        f"单位“{u.title}”的“{f.label}”未填写（空白不按零计算）",
                        d,
                    )
                )
            elif v < 0:
                out.append(
                    Refusal(FundCode.FACTOR_NEGATIVE, f"单位“{u.title}”的“{f.label}”为负数：{v}", d)
                )
            elif f.inverse and v == 0:
                out.append(
                    Refusal(
                        FundCode.FACTOR_NOT_POSITIVE,
                        f"单位“{u.title}”的“{f.label}”须大于零（该因素按倒数分配）",
                        d,
                    )
                )
    if out:
        raise FundsRefused(out)

    values = {
        u.unit: {f.code: Fraction(Decimal(u.values[f.code] or 0)) for f in p.factors} for u in units
    }

    def basis(f: Factor, unit: str) -> Fraction:
        v = values[unit][f.code]
        return 1 / v if f.inverse else v

    sums = {f.code: sum((basis(f, u.unit) for u in units), Fraction(0)) for f in p.factors}
    live = [f for f in p.factors if sums[f.code] > 0]
    live_weight = sum((f.weight for f in live), Fraction(0))
    if live_weight == 0:
        raise FundsRefused(
            [Refusal(FundCode.FACTORS_ALL_ZERO, "所有有权重的因素在各单位的值均为零，无法分配")]
        )
    pool = Fraction(total)
    parts: dict[str, list[FactorShare]] = {u.unit: [] for u in units}
    for f in p.factors:
        weight = f.weight / live_weight if f in live else Fraction(0)
        for u in units:
            share = basis(f, u.unit) / sums[f.code] if sums[f.code] else Fraction(0)
            parts[u.unit].append(
                FactorShare(
                    f.code, Decimal(str(u.values[f.code])), share, weight, pool * weight * share
                )
            )
    quotas = [sum((s.amount for s in parts[u.unit]), Fraction(0)) for u in units]
    fen = largest_remainder(to_fen(total), [q / sum(quotas) for q in quotas])
    return [
        Allocation(u.unit, u.name, from_fen(n), q, tuple(parts[u.unit]))
        for u, q, n in zip(units, quotas, fen, strict=True)
    ]


def largest_remainder(total_fen: int, shares: Sequence[Fraction]) -> list[int]:
    """Split ``total_fen`` by ``shares`` (non-negative, summing to 1) into integers that sum to
    it exactly: floors first, the rest one each to the largest remainders, ties by position."""
    exact = [total_fen * s for s in shares]
    floors = [q.numerator // q.denominator for q in exact]
    left = total_fen - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


# -- the ledger (动态监控) ------------------------------------------------------------------------

#: The tables ``ledger_flags`` reads. Amounts are int64 fen. An allocation with a null
#: ``from_division`` is an appropriation (a level's own budget line, or the central budget).
LEDGER_SCHEMAS: dict[str, dict[str, str]] = {
    "allocation": {
        "id": "int64",
        "source": "string",
        "year": "int64",
        "from_division": "string",
        "to_division": "string",
        "to_level": "string",
        "allocated_on": "date",
        "amount_fen": "int64",
    },
    "assignment": {
        "id": "int64",
        "project_id": "int64",
        "division": "string",
        "source": "string",
        "year": "int64",
        "assigned_on": "date",
        "amount_fen": "int64",
    },
    "project": {
        "id": "int64",
        "division": "string",
        "status": "string",
        "approved_on": "date",
        "budget_fen": "int64",
        "village_notice_end": "date",
        "township_notice_end": "date",
    },
    "payment": {
        "id": "int64",
        "project_id": "int64",
        "item": "string",
        "source": "string",
        "year": "int64",
        "payee_kind": "string",
        "household_id": "int64",
        "paid_on": "date",
        "amount_fen": "int64",
    },
    "household": {"id": "int64", "status": "string"},
}

#: The columns of every flag row (null where a column does not apply).
FLAG_SCHEMA: dict[str, str] = {
    "code": "string",
    "division": "string",
    "project_id": "int64",
    "payment_id": "int64",
    "household_id": "int64",
    "source": "string",
    "year": "int64",
    "amount_fen": "int64",
    "since": "date",
}


@dataclass(frozen=True)
class LedgerInputs:
    allocation: ir.Table
    assignment: ir.Table
    project: ir.Table
    payment: ir.Table
    household: ir.Table

    @classmethod
    def unbound(cls, names: Mapping[str, str] | None = None) -> LedgerInputs:
        names = names or {k: k for k in LEDGER_SCHEMAS}
        return cls(**{k: ibis.table(LEDGER_SCHEMAS[k], name=names[k]) for k in LEDGER_SCHEMAS})


def _sum0(x: ir.IntegerColumn) -> ir.IntegerValue:
    return x.sum().fill_null(0).cast("int64")


def balances(inputs: LedgerInputs) -> ir.Table:
    """The balance of each holder by source, level and year: ``division``, ``level``,
    ``source``, ``year``, ``received_fen``, ``allocated_fen`` (passed down), ``assigned_fen``
    (to projects), ``balance_fen`` = received − allocated − assigned (negative = over-allocated)."""
    a = inputs.allocation
    key = ("division", "source", "year")
    received = a.group_by(division=a.to_division, source=a.source, year=a.year).aggregate(
        level=a.to_level.max(), received_fen=_sum0(a.amount_fen)
    )
    down = a.filter(a.from_division.notnull())
    passed = down.group_by(
        division=down.from_division, source=down.source, year=down.year
    ).aggregate(allocated_fen=_sum0(down.amount_fen))
    s = inputs.assignment
    assigned = s.group_by(division=s.division, source=s.source, year=s.year).aggregate(
        assigned_fen=_sum0(s.amount_fen)
    )
    holders = ibis.union(
        received.select(*key), passed.select(*key), assigned.select(*key), distinct=True
    )
    j = (
        holders.left_join(received, list(key))
        .select(*key, "level", "received_fen")
        .left_join(passed, list(key))
        .select(*key, "level", "received_fen", "allocated_fen")
        .left_join(assigned, list(key))
        .select(*key, "level", "received_fen", "allocated_fen", "assigned_fen")
    )
    r, al, asg = (
        j[c].fill_null(0).cast("int64") for c in ("received_fen", "allocated_fen", "assigned_fen")
    )
    return j.select(
        j.division,
        j.level,
        j.source,
        j.year,
        received_fen=r,
        allocated_fen=al,
        assigned_fen=asg,
        balance_fen=(r - al - asg).cast("int64"),
    )


def project_balances(inputs: LedgerInputs) -> ir.Table:
    """Per project, source and year: ``assigned_fen``, ``paid_fen`` and ``unspent_fen``."""
    key = ("project_id", "source", "year")
    s = inputs.assignment
    assigned = s.group_by(*key).aggregate(assigned_fen=_sum0(s.amount_fen))
    pay = inputs.payment
    paid = pay.group_by(*key).aggregate(paid_fen=_sum0(pay.amount_fen))
    keys = ibis.union(assigned.select(*key), paid.select(*key), distinct=True)
    j = (
        keys.left_join(assigned, list(key))
        .select(*key, "assigned_fen")
        .left_join(paid, list(key))
        .select(*key, "assigned_fen", "paid_fen")
    )
    asg = j.assigned_fen.fill_null(0).cast("int64")
    pd = j.paid_fen.fill_null(0).cast("int64")
    return j.select(*key, assigned_fen=asg, paid_fen=pd, unspent_fen=(asg - pd).cast("int64"))


def _flags(t: ir.Table, code: FundCode, **cols: ir.Value) -> ir.Table:
    """Shape ``t`` into FLAG_SCHEMA: the given columns, the rest typed nulls."""
    exprs: dict[str, ir.Value] = {}
    for name, dtype in FLAG_SCHEMA.items():
        if name == "code":
            exprs[name] = ibis.literal(code.value, type="string")
        elif name in cols:
            exprs[name] = cols[name].cast(dtype)
        else:
            exprs[name] = ibis.null().cast(dtype)
    return t.select(**exprs)


def _oldest_unspent(
    receipts: ir.Table, key: Sequence[str], on: str, out: ir.Table, out_col: str
) -> ir.Table:
    """First-in first-out: per key, the date of the oldest receipt not yet used up by the
    ``out_col`` total of ``out`` (the first receipt whose running sum exceeds it)."""
    r = receipts.mutate(
        running=receipts.amount_fen.cumsum(group_by=list(key), order_by=[receipts[on], receipts.id])
    )
    j = r.left_join(out, list(key)).select(*key, on, "running", out_col)
    used = j[out_col].fill_null(0)
    left = j.filter(j.running > used)
    return left.group_by(*key).aggregate(since=left[on].min())


def ledger_flags(
    inputs: LedgerInputs, as_of: date, p: FundParameters = DEFAULT_PARAMETERS
) -> ir.Table:
    """Every monitoring flag of the ledger on ``as_of``, one row each in ``FLAG_SCHEMA``.

    - FUNDS_OVER_ALLOCATED: a holder (division, source, year) passed down or assigned more
      than it received; ``amount_fen`` is the excess.
    - FUNDS_PROJECT_OVERSPENT: a project paid more from a (source, year) than was assigned.
    - FUNDS_PAYEE_NOT_REGISTERED: a household payment whose household is not in the registry
      (no row, or 已清退); one row per payment.
    - FUNDS_DUPLICATE_PAYMENT: the same household paid more than once for the same project
      item; one row per (project, item, household), ``amount_fen`` the sum paid.
    - FUNDS_IDLE: a balance (a holder's, or a project's assigned but unpaid money) whose oldest
      unspent yuan (first in, first out) arrived ``idle_days`` or more before ``as_of``
      (闲置 1 年以上 inclusive); ``since`` is that date, ``amount_fen`` the balance.
    - FUNDS_PAID_BEFORE_APPROVAL: a payment to a project not approved, or paid before the day
      of approval (a payment on the day of approval is allowed).
    - FUNDS_NO_NOTICE: a project approved (or later) without the village or the township
      notice on record (公示 at each level before entry ✔ [F8]).
    - FUNDS_OVER_BUDGET: a project assigned more than its approved total budget;
      ``amount_fen`` is the excess.
    - FUNDS_PAYEE_NOT_ELIGIBLE: a household payment to a household in the registry whose
      status is not one of ``eligible_statuses`` (e.g. 已脱贫不再享受政策); one row per payment.
    """
    cutoff = ibis.literal(as_of - timedelta(days=p.idle_days), type="date")
    bal = balances(inputs)
    over = bal.filter(bal.balance_fen < 0)
    parts = [
        _flags(
            over,
            FundCode.OVER_ALLOCATED,
            division=over.division,
            source=over.source,
            year=over.year,
            amount_fen=-over.balance_fen,
        )
    ]
    pb = project_balances(inputs)
    prj = inputs.project.select(pid=inputs.project.id, pdiv=inputs.project.division)
    spent = pb.filter(pb.unspent_fen < 0)
    spent = spent.left_join(prj, spent.project_id == prj.pid)
    parts.append(
        _flags(
            spent,
            FundCode.PROJECT_OVERSPENT,
            division=spent.pdiv,
            project_id=spent.project_id,
            source=spent.source,
            year=spent.year,
            amount_fen=-spent.unspent_fen,
        )
    )
    pay = inputs.payment
    hh = inputs.household
    registered = hh.filter(hh.status.fill_null("") != "removed").select(hid=hh.id)
    to_households = pay.filter(pay.payee_kind == "household")
    unknown = to_households.filter(
        to_households.household_id.isnull() | ~to_households.household_id.isin(registered.hid)
    )
    unknown = unknown.left_join(prj, unknown.project_id == prj.pid)
    parts.append(
        _flags(
            unknown,
            FundCode.PAYEE_NOT_REGISTERED,
            division=unknown.pdiv,
            project_id=unknown.project_id,
            payment_id=unknown.id,
            household_id=unknown.household_id,
            source=unknown.source,
            year=unknown.year,
            amount_fen=unknown.amount_fen,
            since=unknown.paid_on,
        )
    )
    off = hh.filter(
        (hh.status.fill_null("") != "removed")
        & ~hh.status.fill_null("").isin(list(p.eligible_statuses))
    )
    off_ids = off.select(oid=off.id)
    paid_off = to_households.inner_join(off_ids, to_households.household_id == off_ids.oid)
    paid_off = paid_off.left_join(prj, paid_off.project_id == prj.pid)
    parts.append(
        _flags(
            paid_off,
            FundCode.PAYEE_NOT_ELIGIBLE,
            division=paid_off.pdiv,
            project_id=paid_off.project_id,
            payment_id=paid_off.id,
            household_id=paid_off.household_id,
            source=paid_off.source,
            year=paid_off.year,
            amount_fen=paid_off.amount_fen,
            since=paid_off.paid_on,
        )
    )
    known = to_households.filter(to_households.household_id.notnull())
    dup = known.group_by(
        project_id=known.project_id, item=known.item.fill_null(""), household_id=known.household_id
    ).aggregate(n=known.count(), amount_fen=_sum0(known.amount_fen), since=known.paid_on.min())
    dup = dup.filter(dup.n > 1)
    dup = dup.left_join(prj, dup.project_id == prj.pid)
    parts.append(
        _flags(
            dup,
            FundCode.DUPLICATE_PAYMENT,
            division=dup.pdiv,
            project_id=dup.project_id,
            household_id=dup.household_id,
            amount_fen=dup.amount_fen,
            since=dup.since,
        )
    )
    # idle holders: receipts FIFO against what was passed down or assigned
    a = inputs.allocation
    receipts = a.select(
        a.id,
        division=a.to_division,
        source=a.source,
        year=a.year,
        on=a.allocated_on,
        amount_fen=a.amount_fen,
    )
    hkey = ("division", "source", "year")
    used = bal.select(*hkey, "balance_fen", out_fen=bal.allocated_fen + bal.assigned_fen)
    old = _oldest_unspent(receipts, hkey, "on", used, "out_fen")
    held = used.filter(used.balance_fen > 0).inner_join(old, list(hkey))
    held = held.filter(held.since <= cutoff)
    parts.append(
        _flags(
            held,
            FundCode.IDLE,
            division=held.division,
            source=held.source,
            year=held.year,
            amount_fen=held.balance_fen,
            since=held.since,
        )
    )
    # idle projects: assignments FIFO against payments
    s = inputs.assignment
    pkey = ("project_id", "source", "year")
    p_receipts = s.select(
        s.id, s.project_id, s.source, s.year, on=s.assigned_on, amount_fen=s.amount_fen
    )
    p_old = _oldest_unspent(p_receipts, pkey, "on", pb, "paid_fen")
    unspent = pb.filter(pb.unspent_fen > 0).inner_join(p_old, list(pkey))
    unspent = unspent.filter(unspent.since <= cutoff)
    unspent = unspent.left_join(prj, unspent.project_id == prj.pid)
    parts.append(
        _flags(
            unspent,
            FundCode.IDLE,
            division=unspent.pdiv,
            project_id=unspent.project_id,
            source=unspent.source,
            year=unspent.year,
            amount_fen=unspent.unspent_fen,
            since=unspent.since,
        )
    )
    pr = inputs.project.select(
        pid=inputs.project.id, pdiv=inputs.project.division, approved_on=inputs.project.approved_on
    )
    early = pay.left_join(pr, pay.project_id == pr.pid)
    early = early.filter(early.approved_on.isnull() | (early.paid_on < early.approved_on))
    parts.append(
        _flags(
            early,
            FundCode.PAID_BEFORE_APPROVAL,
            division=early.pdiv,
            project_id=early.project_id,
            payment_id=early.id,
            household_id=early.household_id,
            source=early.source,
            year=early.year,
            amount_fen=early.amount_fen,
            since=early.paid_on,
        )
    )
    prj_all = inputs.project
    entered = prj_all.filter(
        prj_all.status.isin(list(PAYABLE))
        & (prj_all.village_notice_end.isnull() | prj_all.township_notice_end.isnull())
    )
    parts.append(
        _flags(
            entered,
            FundCode.NO_NOTICE,
            division=entered.division,
            project_id=entered.id,
            since=entered.approved_on,
        )
    )
    given = s.group_by(gid=s.project_id).aggregate(assigned_fen=_sum0(s.amount_fen))
    over_budget = prj_all.inner_join(given, prj_all.id == given.gid)
    over_budget = over_budget.filter(over_budget.assigned_fen > over_budget.budget_fen)
    parts.append(
        _flags(
            over_budget,
            FundCode.OVER_BUDGET,
            division=over_budget.division,
            project_id=over_budget.id,
            amount_fen=over_budget.assigned_fen - over_budget.budget_fen,
            since=over_budget.approved_on,
        )
    )
    return ibis.union(*parts, distinct=False)


FLAG_LABELS: Mapping[str, str] = {
    FundCode.OVER_ALLOCATED: "分配或安排超过到位资金",
    FundCode.PROJECT_OVERSPENT: "项目支付超过安排资金",
    FundCode.PAYEE_NOT_REGISTERED: "收款农户不在建档立卡系统中",
    FundCode.DUPLICATE_PAYMENT: "同一农户同一项目内容重复支付",
    FundCode.IDLE: "资金闲置超过规定期限",
    FundCode.PAID_BEFORE_APPROVAL: "项目审定前支付资金",
    FundCode.NO_NOTICE: "项目未经村、乡镇公示即审定入库",
    FundCode.OVER_BUDGET: "项目安排资金超过批复总投资",
    FundCode.PAYEE_NOT_ELIGIBLE: "收款农户已脱贫且不再享受政策",
}

# -- per-record rules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeFacts:
    """A posted notice: the first and last day it was up (both included), and the objections
    the public raised to it that are still open or were upheld."""

    start: date
    end: date
    open_objections: int = 0
    upheld_objections: int = 0

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class ProjectFacts:
    """A project as proposed or changed, and the facts its rules read."""

    project_type: str
    budget: Decimal  # total yuan
    budget_by_source: Mapping[str, Decimal]
    villages: Sequence[str] = ()  # 实施地点 (division codes); empty = not given
    performance_target: str = ""  # 绩效目标
    benefits: Sequence[str] = ()  # BENEFIT_KIND codes (带贫减贫机制)
    start: date | None = None
    end: date | None = None


def check_project(m: ProjectFacts) -> list[Refusal]:
    """Return every rule the project breaks (empty = it may enter the library).

    Fields required to enter the county project library (县级脱贫攻坚项目库 [F8][F14]):
    type, location, 资金规模和筹资方式 (the budget by source adds up to the total), 绩效目标
    ("无绩效目标的项目不得入库" ✔ [F8]) and 带贫减贫机制 ✔ [F14]; integrated funds only for
    农业生产发展 and 农村基础设施 (国办发〔2016〕22号 ✔ [F7b]).
    """
    out: list[Refusal] = []
    if m.project_type not in PROJECT_TYPE:
        out.append(Refusal(FundCode.UNKNOWN_TYPE, f"项目类别“{m.project_type}”不存在"))
    if not m.villages:
        out.append(Refusal(FundCode.NO_LOCATION, "须填写项目实施地点（村）"))
    out += _precision(m.budget, "项目总投资")
    if m.budget <= 0:
        out.append(Refusal(FundCode.AMOUNT_NOT_POSITIVE, f"项目总投资 {m.budget} 元须大于零"))
    for source, amount in m.budget_by_source.items():
        d = {"source": source}
        if source not in FUND_SOURCE:
            out.append(Refusal(FundCode.UNKNOWN_SOURCE, f"资金来源“{source}”不存在", d))
            continue
        label = FUND_SOURCE.label_of(source)
        if amount <= 0:
            out.append(Refusal(FundCode.AMOUNT_NOT_POSITIVE, f"{label} {amount} 元须大于零", d))
        out += _precision(amount, label)
    given = sum(m.budget_by_source.values(), Decimal(0))
    if given != m.budget:
        out.append(
            Refusal(
                FundCode.BUDGET_MISMATCH,
                f"各资金来源合计 {money(given)} 元，与项目总投资 {money(m.budget)} 元不一致",
            )
        )
    if "integrated" in m.budget_by_source and m.project_type not in INTEGRATED_TYPES:
        kind = (
            PROJECT_TYPE.label_of(m.project_type)
            if m.project_type in PROJECT_TYPE
            else m.project_type
        )
        out.append(
            Refusal(
                FundCode.INTEGRATED_USE,
                f"统筹整合资金只能用于农业生产发展和农村基础设施建设，不能用于“{kind}”项目"
                "（国办发〔2016〕22号）",
            )
        )
    if not m.performance_target.strip():
        out.append(Refusal(FundCode.NO_PERFORMANCE_TARGET, "没有绩效目标的项目不得纳入项目库"))
    if not m.benefits:
        out.append(
            Refusal(FundCode.NO_BENEFIT_LINK, "须填写带贫减贫机制（群众参与和利益联结方式）")
        )
    for b in m.benefits:
        if b not in BENEFIT_KIND:
            out.append(Refusal(FundCode.UNKNOWN_BENEFIT, f"带贫减贫机制“{b}”不存在"))
    if m.start and m.end and m.end < m.start:
        out.append(Refusal(FundCode.DATES, f"完工日期 {m.end} 早于开工日期 {m.start}"))
    return out


def check_transition(
    current: str,
    target: str,
    *,
    level: str,
    notice: NoticeFacts | None = None,
    today: date | None = None,
    p: FundParameters = DEFAULT_PARAMETERS,
) -> list[Refusal]:
    """Return the reasons a project may not move from ``current`` to ``target`` by an actor at
    ``level`` (village, township or county). Review and approval follow a notice posted at
    village or township level for ``village_notice_days`` days or more, ended by ``today``
    (公示 ≥ 10 days ✔ [F10]; 公示 at each level before entry ✔ [F8])."""
    step = (current, target)
    if step not in TRANSITIONS:
        cur = PROJECT_STATUS.label_of(current) if current in PROJECT_STATUS else current
        tgt = PROJECT_STATUS.label_of(target) if target in PROJECT_STATUS else target
        return [Refusal(FundCode.BAD_TRANSITION, f"项目不能从“{cur}”改为“{tgt}”")]
    out: list[Refusal] = []
    levels = TRANSITIONS[step]
    if level not in levels:
        who = "、".join(FUND_LEVEL.label_of(x) for x in levels)
        out.append(
            Refusal(
                FundCode.WRONG_LEVEL,
                f"“{PROJECT_STATUS.label_of(target)}”须由{who}办理",
                {"level": level},
            )
        )
    if target in ("reviewed", "approved"):
        if notice is None:
            out.append(Refusal(FundCode.NOTICE_MISSING, "入库前须在村、乡镇公示"))
        else:
            if notice.days < p.village_notice_days:
                out.append(
                    Refusal(
                        FundCode.NOTICE_TOO_SHORT,
                        f"公示 {notice.days} 天，不满 {p.village_notice_days} 天"
                        f"（原则上不少于 {p.village_notice_days} 天）",
                    )
                )
            if today is not None and notice.end >= today:
                out.append(
                    Refusal(FundCode.NOTICE_TOO_SHORT, f"公示期至 {notice.end} 才结束，尚未期满")
                )
            if notice.open_objections:
                out.append(
                    Refusal(
                        FundCode.NOTICE_OBJECTION,
                        f"公示收到 {notice.open_objections} 条异议尚未核实处理",
                    )
                )
            if notice.upheld_objections:
                out.append(
                    Refusal(
                        FundCode.NOTICE_OBJECTION,
                        f"公示中 {notice.upheld_objections} 条异议经核实成立：请修改项目后重新公示",
                    )
                )
    return out


@dataclass(frozen=True)
class PaymentFacts:
    """A payment and what its rules read about the project and the payee."""

    amount: Decimal
    source: str
    payee_kind: str
    paid_on: date
    project_status: str
    approved_on: date | None
    project_type: str = ""
    payee: str = ""  # unit or collective name; blank for a household payee
    household_id: int | None = None
    household_registered: bool = False  # in the registry and not 已清退
    already_paid_item: bool = False  # this household already paid for this project item
    unspent: Decimal | None = None  # the project's assigned, unpaid money from this source
    negative_list: str = ""  # a NEGATIVE_LIST code when the expense falls in one


def check_payment(m: PaymentFacts) -> list[Refusal]:
    """Return every rule the payment breaks (empty = it may be recorded)."""
    out: list[Refusal] = []
    if m.amount <= 0:
        out.append(Refusal(FundCode.AMOUNT_NOT_POSITIVE, f"支付金额 {m.amount} 元须大于零"))
    out += _precision(m.amount, "支付金额")
    if m.source not in FUND_SOURCE:
        out.append(Refusal(FundCode.UNKNOWN_SOURCE, f"资金来源“{m.source}”不存在"))
    if m.project_status not in PAYABLE or m.approved_on is None:
        out.append(Refusal(FundCode.PROJECT_NOT_APPROVED, "项目未经县级审定入库，不能支付资金"))
    elif m.paid_on < m.approved_on:
        out.append(
            Refusal(
                FundCode.PAID_BEFORE_APPROVAL,
                f"支付日期 {m.paid_on} 早于项目审定日期 {m.approved_on}",
            )
        )
    if m.payee_kind not in PAYEE_KIND:
        out.append(Refusal(FundCode.UNKNOWN_PAYEE_KIND, f"收款方类型“{m.payee_kind}”不存在"))
    elif m.payee_kind == "household":
        if m.household_id is None:
            out.append(Refusal(FundCode.PAYEE_MISSING, "须指定收款农户"))
        elif not m.household_registered:
            out.append(
                Refusal(FundCode.PAYEE_NOT_REGISTERED, "收款农户不在建档立卡系统中（或已清退）")
            )
        if m.already_paid_item:
            out.append(
                Refusal(
                    FundCode.DUPLICATE_PAYMENT, "该农户已就同一项目内容领取过资金，不能重复支付"
                )
            )
        if m.project_type == "industry" and m.source in SPECIAL_FUNDS:
            out.append(
                Refusal(
                    FundCode.INDUSTRY_CASH,
                    "产业扶贫资金不得直接以现金发放到户，须通过项目、奖补或入股等方式落实",
                )
            )
    elif not m.payee.strip():
        out.append(Refusal(FundCode.PAYEE_MISSING, "须填写收款单位名称"))
    if m.unspent is not None and m.amount > m.unspent:
        out.append(
            Refusal(
                FundCode.PROJECT_OVERSPENT,
                f"支付 {money(m.amount)} 元超过该项目该来源尚未支付的安排资金"
                f" {money(m.unspent)} 元",
            )
        )
    if m.negative_list:
        what = (
            NEGATIVE_LIST.label_of(m.negative_list)
            if m.negative_list in NEGATIVE_LIST
            else m.negative_list
        )
        out.append(
            Refusal(
                FundCode.NEGATIVE_LIST,
                f"扶贫资金不得用于“{what}”（财农〔2017〕8号 负面清单）",
                {"item": m.negative_list},
            )
        )
    return out


def check_allocation(amount: Decimal, balance: Decimal) -> list[Refusal]:
    """A level may not pass down or assign more than it holds (issue 10): ``balance`` is what
    the holder has left for the source and year before this allocation."""
    out: list[Refusal] = []
    if amount <= 0:
        out.append(Refusal(FundCode.AMOUNT_NOT_POSITIVE, f"分配金额 {amount} 元须大于零"))
    out += _precision(amount, "分配金额")
    if amount > balance:
        out.append(
            Refusal(
                FundCode.OVER_ALLOCATED,
                f"分配 {money(amount)} 元超过可分配余额 {money(balance)} 元",
            )
        )
    return out
