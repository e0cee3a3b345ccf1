"""Pairing between regions and units (东西部扶贫协作、中央单位定点扶贫、万企帮万村): the yearly
agreement indicators, the checks of a pairing, its targets, its achievements and the funds
linked to it, and the fulfilment rate (issue 10, item 6).

Pure: no Django. Sources are domain-next.md §3 (marks: ✔ read in a source, ~ weak,
UNVERIFIED):

- 东西部扶贫协作: 中办 国办《关于进一步加强东西部扶贫协作工作的指导意见》(Dec 2016) names
  产业合作, 劳务协作, 人才支援, 资金支持 and 携手奔小康 (county pairs) ✔ [P3]; its pair list has
  province → province (浙江 → 四川 ✔ [P1]), province/city → prefecture (北京 → 张家口, 苏州 →
  铜仁 ✔ [P1]; 佛山 → 凉山州 ~ [P2]) and the county pairs of 携手奔小康.
- 考核办法(试行) (2017): six areas 组织领导, 人才交流, 资金使用, 产业合作, 劳务协作, 携手奔小康
  ✔ [P4]; its indicator weights and quantitative targets are UNVERIFIED, so the targets are the
  agreement's own figures, typed per year, never a national default. 消费扶贫 joined in 2019
  ✔ [P6].
- 中央单位定点扶贫: a central unit (部委, 央企, 高校 — a name, not a division) helps a county and
  sends ≥ 1 第一书记 ✔ [C7]; its 成效评价 rules are UNVERIFIED.
- 万企帮万村 (Oct 2015): a private firm signs a pairing with a poor village (签约结对, 村企共建)
  ✔ [P7][P8]; county ledgers count firms, villages, projects, money, people, jobs ✔ [P8][P9].

A blank target is "not set" and a missing achievement is "not recorded": neither is ever read
as 0 % or 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from fupin.policy import funds as pf
from fupin.policy.codes import CodeList

# -- the indicators -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """A yearly agreement indicator: its code, Chinese name, unit, whether it is money (yuan
    with fen) or a whole count, and the source of the indicator (not of any target figure)."""

    code: str
    name: str
    unit: str
    money: bool
    source: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("funds", "财政援助资金", "元", True, "资金支持 ✔ [P3]; 资金使用 ✔ [P4]"),
    Indicator("cadres", "选派党政干部（挂职）", "人", False, "人才支援 两向挂职 ✔ [P3]"),
    Indicator("professionals", "选派专业技术人才", "人", False, "组团式支教/支医/支农 ✔ [P3]"),
    Indicator("first_secretaries", "选派第一书记", "人", False, "定点扶贫 ≥ 1 名 ✔ [C7]"),
    Indicator("labour", "劳务协作转移就业", "人", False, "劳务协作 ✔ [P3][P4]"),
    Indicator("training", "培训贫困劳动力和干部", "人次", False, "职业教育东西协作 ✔ [P3]; 人次 ~"),
    Indicator("consumption", "消费扶贫采购金额", "元", True, "消费扶贫 from 2019 ✔ [P6]"),
    Indicator("enterprises", "引导企业投资（企业数）", "家", False, "产业合作 ✔ [P3][P4]"),
    Indicator("investment", "引导企业投资（金额）", "元", True, "产业合作 ✔ [P4]; 金额 ~"),
    Indicator("social_funds", "社会帮扶资金", "元", True, "万企帮万村 台账 金额 ✔ [P8]"),
    Indicator("jobs", "带动贫困人口就业", "人", False, "万企帮万村 台账 就业 ✔ [P8][P9]"),
    Indicator("villages", "结对帮扶村", "个", False, "携手奔小康 ✔ [P4]; 村企共建 ✔ [P7]"),
)
_BY_CODE: Mapping[str, Indicator] = {i.code: i for i in INDICATORS}

#: 协作协议指标 as a code list (label with its unit), for choices and imports.
PAIRING_INDICATOR = CodeList(
    "pairing_indicator",
    "协作协议指标",
    tuple((i.code, f"{i.name}（{i.unit}）") for i in INDICATORS),
    aliases={i.name: i.code for i in INDICATORS},
)


def indicator(code: str) -> Indicator:
    """The indicator of this code (KeyError when unknown)."""
    return _BY_CODE[code]


#: The fund sources (fupin.policy.funds.FUND_SOURCE) whose allocations may be linked to a
#: pairing of each kind.
FUND_SOURCES_OF_KIND: Mapping[str, tuple[str, ...]] = {
    "east_west": ("east_west",),
    "central_unit": ("central_unit",),
    "enterprise": ("enterprise", "social"),
}

#: Code length of each division level (the NBS code's prefix is its ancestry).
LEVEL_LENGTH: Mapping[str, int] = {
    "province": 2,
    "prefecture": 4,
    "county": 6,
    "township": 9,
    "village": 12,
}
_LEVEL_NAME = {2: "省级", 4: "市（州）级", 6: "县级", 9: "乡镇级", 12: "村级"}

#: east–west: helper level → the levels it may help ([P1]: 浙江 → 四川, 北京 → 张家口, 苏州 →
#: 铜仁, county pairs of 携手奔小康).
EAST_WEST_LEVELS: Mapping[int, tuple[int, ...]] = {2: (2, 4), 4: (4, 6), 6: (6,)}

# -- refusals -------------------------------------------------------------------------------------


class PairingCode(StrEnum):
    UNKNOWN_KIND = "PAIRING_UNKNOWN_KIND"
    UNKNOWN_INDICATOR = "PAIRING_UNKNOWN_INDICATOR"
    NEGATIVE_VALUE = "PAIRING_NEGATIVE_VALUE"
    PRECISION = "PAIRING_PRECISION"
    SAME_PARTY = "PAIRING_SAME_PARTY"
    HELPER_LEVEL = "PAIRING_HELPER_LEVEL"
    HELPED_LEVEL = "PAIRING_HELPED_LEVEL"
    HELPER_MISSING = "PAIRING_HELPER_MISSING"
    YEARS = "PAIRING_YEARS"
    YEAR_OUTSIDE = "PAIRING_YEAR_OUTSIDE"
    DUPLICATE_INDICATOR = "PAIRING_DUPLICATE_INDICATOR"
    NO_TARGETS = "PAIRING_NO_TARGETS"
    FUND_SOURCE = "PAIRING_FUND_SOURCE"
    FUND_RECEIVER = "PAIRING_FUND_RECEIVER"
    FUND_LINKED = "PAIRING_FUND_LINKED"


#: The pairing rules refuse with the funds rules' refusal type (any rule set's StrEnum code).
Refusal = pf.Refusal


# -- fulfilment -----------------------------------------------------------------------------------


def fulfilment(target: Decimal | None, achieved: Decimal | None) -> Fraction | None:
    """完成率 = achieved ÷ target, exact. None when the target is blank (not set), when it is 0
    (no rate can be computed: see ``fulfilment_note``) or when nothing was recorded — a blank
    is never 0 % nor 100 %. Above 1 when the target is exceeded."""
    if target is None or achieved is None or target == 0:
        return None
    return Fraction(achieved) / Fraction(target)


def fulfilment_note(target: Decimal | None, achieved: Decimal | None) -> str:
    """Why ``fulfilment`` gives no rate, in Chinese ("" when it gives one)."""
    if target is None:
        return "未设定目标"
    if target == 0:
        return "目标为 0，不计算完成率"
    if achieved is None:
        return "未记录完成情况"
    return ""


def percent(rate: Fraction | None, places: int = 1) -> str:
    """``Fraction(2, 3)`` → ``"66.7%"``; "" for None."""
    if rate is None:
        return ""
    value = Decimal(rate.numerator * 100) / Decimal(rate.denominator)
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}%"


# -- checks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnershipFacts:
    """A pairing to check: ``helper_code`` is the helper's division code (east–west) or None
    (a central unit or an enterprise, named by ``helper_name``); ``helped_code`` the helped
    division's code."""

    kind: str
    helper_code: str | None
    helper_name: str
    helped_code: str
    from_year: int
    to_year: int | None = None


def _level(code: str) -> str:
    return _LEVEL_NAME.get(len(code), "未知层级")


def check_partnership(m: PartnershipFacts) -> list[Refusal]:
    """Check a pairing's parties and years (domain-next.md §3): east–west is between
    governments of different provinces, province → province or prefecture, prefecture →
    prefecture or county, county → county (携手奔小康) ✔ [P1][P3]; 定点扶贫 is a central unit
    (a name, no division) → a county ✔ [C7]; 万企帮万村 an enterprise (a name) → a village
    ✔ [P7]."""
    out: list[Refusal] = []
    kind_known = m.kind in FUND_SOURCES_OF_KIND
    if not kind_known:
        out.append(Refusal(PairingCode.UNKNOWN_KIND, f"帮扶类型“{m.kind}”不存在"))
    helped = m.helped_code
    helper = m.helper_code
    if m.kind == "east_west":
        if helper is None:
            out.append(
                Refusal(PairingCode.HELPER_MISSING, "东西部扶贫协作的帮扶方须是一个行政区划")
            )
        elif len(helper) not in EAST_WEST_LEVELS:
            out.append(
                Refusal(
                    PairingCode.HELPER_LEVEL,
                    f"东西部扶贫协作的帮扶方须是省、市或县，{helper} 是{_level(helper)}",
                    {"helper": helper},
                )
            )
        elif helped[:2] == helper[:2]:
            out.append(
                Refusal(
                    PairingCode.SAME_PARTY,
                    "东西部扶贫协作的帮扶方和受援方须在不同省份",
                    {"helper": helper, "helped": helped},
                )
            )
        elif len(helped) not in EAST_WEST_LEVELS[len(helper)]:
            allowed = "或".join(_LEVEL_NAME[n] for n in EAST_WEST_LEVELS[len(helper)])
            out.append(
                Refusal(
                    PairingCode.HELPED_LEVEL,
                    f"{_level(helper)}帮扶方的受援方须是{allowed}，{helped} 是{_level(helped)}",
                    {"helped": helped},
                )
            )
    elif kind_known:
        what = "中央单位" if m.kind == "central_unit" else "企业"
        want = LEVEL_LENGTH["county" if m.kind == "central_unit" else "village"]
        if helper is not None:
            out.append(
                Refusal(
                    PairingCode.HELPER_LEVEL,
                    f"{what}帮扶的帮扶方是单位名称，不是行政区划",
                    {"helper": helper},
                )
            )
        if not m.helper_name.strip():
            out.append(Refusal(PairingCode.HELPER_MISSING, f"请填写帮扶{what}的名称"))
        if len(helped) != want:
            out.append(
                Refusal(
                    PairingCode.HELPED_LEVEL,
                    f"{what}帮扶的受援方须是{_LEVEL_NAME[want]}，{helped} 是{_level(helped)}",
                    {"helped": helped},
                )
            )
    if m.to_year is not None and m.to_year < m.from_year:
        out.append(
            Refusal(PairingCode.YEARS, f"结对截止年度 {m.to_year} 早于起始年度 {m.from_year}")
        )
    return out


def _in_years(year: int, from_year: int, to_year: int | None) -> bool:
    return year >= from_year and (to_year is None or year <= to_year)


def _year(year: int, from_year: int, to_year: int | None) -> list[Refusal]:
    if _in_years(year, from_year, to_year):
        return []
    span = f"{from_year}–{to_year}" if to_year is not None else f"{from_year} 年起"
    return [
        Refusal(
            PairingCode.YEAR_OUTSIDE,
            f"{year} 年不在结对期限（{span}）内",
            {"year": str(year)},
        )
    ]


def check_value(code: str, value: Decimal, what: str) -> list[Refusal]:
    """An indicator's figure: known indicator, not negative, yuan with at most two places or a
    whole count."""
    if code not in _BY_CODE:
        return [
            Refusal(PairingCode.UNKNOWN_INDICATOR, f"协议指标“{code}”不存在", {"indicator": code})
        ]
    ind = _BY_CODE[code]
    out: list[Refusal] = []
    if not value.is_finite():
        return [Refusal(PairingCode.PRECISION, f"{ind.name}{what}不是数字", {"indicator": code})]
    if value < 0:
        out.append(
            Refusal(
                PairingCode.NEGATIVE_VALUE,
                f"{ind.name}{what} {value} 不能为负数",
                {"indicator": code},
            )
        )
    step = Decimal("0.01") if ind.money else Decimal(1)
    if value != value.quantize(step):
        rule = "最多保留两位小数（分）" if ind.money else f"须为整数（{ind.unit}）"
        out.append(
            Refusal(PairingCode.PRECISION, f"{ind.name}{what} {value} {rule}", {"indicator": code})
        )
    return out


def check_targets(
    targets: Mapping[str, Decimal | None], year: int, from_year: int, to_year: int | None
) -> list[Refusal]:
    """A year's targets, all at once: a target of None clears (not set); at least one figure or
    clearing must be given; every indicator known and every figure valid."""
    out = _year(year, from_year, to_year)
    if not targets:
        out.append(Refusal(PairingCode.NO_TARGETS, "请至少填写一项协议指标"))
    for code, value in targets.items():
        if value is None:
            if code not in _BY_CODE:
                out += check_value(code, Decimal(0), "目标")
            continue
        out += check_value(code, value, "目标")
    return out


def check_achievement(
    code: str, value: Decimal, year: int, from_year: int, to_year: int | None
) -> list[Refusal]:
    """A recorded achievement: a year of the pairing and a valid figure."""
    return _year(year, from_year, to_year) + check_value(code, value, "完成数")


def check_fund_link(
    *,
    kind: str,
    source: str,
    receiver_code: str,
    year: int,
    helped_code: str,
    from_year: int,
    to_year: int | None,
) -> list[Refusal]:
    """An allocation may count as a pairing's funds when its source is the kind's
    (东西部协作资金, 定点帮扶资金, 社会帮扶资金), it was received by the helped division or a
    division under it, in a year of the pairing."""
    out: list[Refusal] = []
    sources = FUND_SOURCES_OF_KIND.get(kind, ())
    if source not in sources:
        out.append(
            Refusal(
                PairingCode.FUND_SOURCE,
                f"资金来源“{source}”不是此类结对的资金（应为 {'、'.join(sources) or '—'}）",
                {"source": source},
            )
        )
    if not receiver_code.startswith(helped_code):
        out.append(
            Refusal(
                PairingCode.FUND_RECEIVER,
                f"资金接收单位 {receiver_code} 不是受援方 {helped_code} 或其下级",
                {"receiver": receiver_code},
            )
        )
    out += _year(year, from_year, to_year)
    return out
