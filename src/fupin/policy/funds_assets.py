"""Assets formed by poverty projects and their income (资产收益扶贫, 光伏扶贫, 扶贫项目资产):
code lists, parameters, the checks of an asset, its shares 折股量化, a year's income and its
distribution, and the dividend split exact to the fen (issue 10, item 3).

Pure: no Django. Sources are domain-next.md §1.5 (marks: ✔ read in a source, ~ weak,
UNVERIFIED):

- 资产收益扶贫 — 扶持资金折股量化, named in the 十三五 plan ✔ [F16]; fiscal money under
  财农〔2017〕52号 ✔ [F17]; the core formula **股权量化、按股分红、收益保底** ✔ [F18].
- Sichuan model: fiscal money in a 合作社 becomes 贫困户优先股 fully quantified to poor
  households; **"谁贫困谁享受"** — after exit the preferential share is withdrawn and given to
  other poor households ✔ [F19][F20]. Shandong: assets owned by the **village collective**,
  income rights quantified to poor households ✔ [F21].
- 村级光伏扶贫电站收益分配管理办法 (国开办发〔2017〕61号): a village station belongs to the
  **村集体**; its income becomes 村集体经济 and is distributed again mainly through
  **公益岗位扶贫, 小型公益事业扶贫, 奖励补助扶贫**, favouring paid work over handouts
  ✔ [F22][F23].
- 扶贫项目资产后续管理 (国办函〔2021〕51号): assets are inventoried, their rights registered and
  handed over after the project (摸清底数 → 确权登记 → 移交 → 管护 → 收益分配) ✔ [F26][F27].

Money is ``Decimal`` yuan with at most two places, split in integer fen by the largest
remainder method of :func:`fupin.policy.funds.largest_remainder`, so the parts of a dividend
always add up to the whole exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

from fupin.policy.codes import CodeList
from fupin.policy.funds import FEN, Refusal, from_fen, largest_remainder, to_fen

# -- code lists -----------------------------------------------------------------------------------

#: 资产类型 (county asset ledgers ~; the PV station and equity shares are the two kinds
#: domain-next.md §1.5 describes ✔ [F19][F22]).
ASSET_TYPE = CodeList(
    "asset_type",
    "资产类型",
    (
        ("photovoltaic", "光伏电站"),
        ("farming_base", "种养殖基地/设施"),
        ("workshop", "厂房/车间（扶贫车间）"),
        ("public_works", "农村道路/水利等公益性资产"),
        ("tourism", "旅游设施"),
        ("equity", "入股企业/合作社股权"),
        ("other", "其他"),
    ),
    aliases={"光伏": "photovoltaic", "扶贫车间": "workshop", "股权": "equity"},
)

#: 所有权人: the village collective (PV stations, Shandong practice ✔ [F21][F22]), shares
#: quantified to households (折股量化到户 ✔ [F16][F19]) or the operating unit.
ASSET_OWNER = CodeList(
    "asset_owner",
    "资产所有权人",
    (
        ("collective", "村集体"),
        ("households", "折股量化到户"),
        ("unit", "项目实施单位/经营主体"),
    ),
)

#: 收益分配方式: 分红 to shareholders (按股分红 ✔ [F18]), 公益岗位工资 and 村集体公益事业
#: (the PV rule's 公益岗位扶贫 / 小型公益事业扶贫 ✔ [F22]), and what the collective keeps.
DISTRIBUTION_KIND = CodeList(
    "distribution_kind",
    "收益分配方式",
    (
        ("dividend", "分红"),
        ("public_welfare_wages", "公益岗位工资"),
        ("village_public", "村集体公益事业"),
        ("retained", "留存"),
    ),
)

#: The project statuses that form an asset: accepted (验收) or handed over (移交) — the asset
#: ledger starts after acceptance (国办函〔2021〕51号: 确权登记 → 移交 ✔ [F26]).
FORMING_STATUSES = ("accepted", "handed_over")

# -- parameters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetParameters:
    """Figures of the asset rules; a province overrides them."""

    #: Shares quantified to households go to poor households only ("谁贫困谁享受" ✔ [F19]).
    shares_to_poor_only: bool = True
    #: Registry statuses that may hold a share: not yet out, out but still assisted (享受政策),
    #: returned to poverty. 已脱贫（不再享受政策） and 已清退 may not (the share is withdrawn).
    eligible_statuses: tuple[str, ...] = ("poor", "exited_with_policy", "returned")


DEFAULT_PARAMETERS = AssetParameters()

# -- refusal codes ---------------------------------------------------------------------------------


class AssetCode(StrEnum):
    """Stable refusal codes of the asset rules."""

    NEGATIVE = "ASSET_NEGATIVE"
    PRECISION = "ASSET_AMOUNT_PRECISION"
    UNKNOWN_TYPE = "ASSET_UNKNOWN_TYPE"
    UNKNOWN_OWNER = "ASSET_UNKNOWN_OWNER"
    UNKNOWN_KIND = "ASSET_UNKNOWN_KIND"
    PROJECT_NOT_ACCEPTED = "ASSET_PROJECT_NOT_ACCEPTED"
    DATES = "ASSET_DATES"
    NOT_QUANTIFIED = "ASSET_NOT_QUANTIFIED"
    SHARES_NOT_100 = "ASSET_SHARES_NOT_100"
    NOT_REGISTERED = "ASSET_NOT_REGISTERED"
    NOT_POOR = "ASSET_NOT_POOR"
    DUPLICATE_HOUSEHOLD = "ASSET_DUPLICATE_HOUSEHOLD"
    NO_SHARE = "ASSET_NO_SHARE"
    OVER_DISTRIBUTED = "ASSET_OVER_DISTRIBUTED"
    DIVIDEND_MISMATCH = "ASSET_DIVIDEND_MISMATCH"


def refusal(code: AssetCode, message: str, details: Mapping[str, str] | None = None) -> Refusal:
    """A :class:`fupin.policy.funds.Refusal` with an asset code."""
    return Refusal(code, message, dict(details or {}))


def _amount(amount: Decimal, what: str, details: Mapping[str, str] | None = None) -> list[Refusal]:
    if not amount.is_finite() or amount != amount.quantize(FEN):
        return [
            refusal(AssetCode.PRECISION, f"{what} {amount} 元须精确到分（最多两位小数）", details)
        ]
    if amount < 0:
        return [refusal(AssetCode.NEGATIVE, f"{what} {amount} 元不能为负数", details)]
    return []


# -- an asset -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetFacts:
    asset_type: str
    owner_kind: str
    value: Decimal
    project_status: str
    formed_on: date
    handed_over_on: date | None = None
    #: 折股量化到户的总股数; needed when the owner is ``households``.
    shares_total: Decimal | None = None


def check_asset(m: AssetFacts) -> list[Refusal]:
    """Refuse an asset of an unknown type or owner, a negative value, a project not yet
    accepted (an asset is formed only by an accepted project: 验收 then 移交 ✔ [F26]), a hand-over
    before it was formed, and shares to households without their total."""
    out: list[Refusal] = []
    if m.asset_type not in ASSET_TYPE:
        out.append(refusal(AssetCode.UNKNOWN_TYPE, f"资产类型“{m.asset_type}”不存在"))
    if m.owner_kind not in ASSET_OWNER:
        out.append(refusal(AssetCode.UNKNOWN_OWNER, f"资产所有权人类型“{m.owner_kind}”不存在"))
    out += _amount(m.value, "资产原值")
    if m.project_status not in FORMING_STATUSES:
        out.append(
            refusal(
                AssetCode.PROJECT_NOT_ACCEPTED,
                "项目尚未验收，不能登记资产（资产须由已验收或已移交的项目形成）",
                {"status": m.project_status},
            )
        )
    if m.handed_over_on is not None and m.handed_over_on < m.formed_on:
        out.append(
            refusal(AssetCode.DATES, f"移交日期 {m.handed_over_on} 早于形成日期 {m.formed_on}")
        )
    if m.shares_total is not None and (not m.shares_total.is_finite() or m.shares_total < 0):
        out.append(refusal(AssetCode.NEGATIVE, f"量化到户总股数 {m.shares_total} 不能为负数"))
    if m.owner_kind == "households" and not m.shares_total:
        out.append(refusal(AssetCode.NOT_QUANTIFIED, "折股量化到户的资产须填写量化到户的总股数"))
    return out


# -- shares (折股量化) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareFacts:
    household: str
    shares: Decimal
    from_year: int
    to_year: int | None = None
    #: In the registry (and not removed); the registry status when it is.
    registered: bool = True
    status: str = "poor"


def check_shares(
    shares_total: Decimal | None,
    shares: Sequence[ShareFacts],
    p: AssetParameters = DEFAULT_PARAMETERS,
) -> list[Refusal]:
    """Refuse a set of household shares with every reason: a household not in the registry, not
    poor or assisted where shares go to poor households only ("谁贫困谁享受" ✔ [F19]), named
    twice, a negative share, a year range that ends before it starts, and shares that do not add
    up to the asset's total quantified to households (``ASSET_SHARES_NOT_100``)."""
    out: list[Refusal] = []
    if not shares_total:
        out.append(refusal(AssetCode.NOT_QUANTIFIED, "资产未设定量化到户的总股数，不能折股到户"))
    seen: set[str] = set()
    for s in shares:
        d = {"household": s.household}
        if s.household in seen:
            out.append(refusal(AssetCode.DUPLICATE_HOUSEHOLD, f"农户 {s.household} 重复出现", d))
        seen.add(s.household)
        if not s.shares.is_finite() or s.shares < 0:
            out.append(refusal(AssetCode.NEGATIVE, f"农户 {s.household} 的股数不能为负数", d))
        if s.to_year is not None and s.to_year < s.from_year:
            out.append(
                refusal(
                    AssetCode.DATES,
                    f"农户 {s.household} 的持股止年 {s.to_year} 早于起年 {s.from_year}",
                    d,
                )
            )
        if not s.registered:
            out.append(
                refusal(AssetCode.NOT_REGISTERED, f"农户 {s.household} 不在建档立卡系统中", d)
            )
        elif p.shares_to_poor_only and s.status not in p.eligible_statuses:
            out.append(
                refusal(
                    AssetCode.NOT_POOR,
                    f"农户 {s.household} 不是贫困户或享受政策的脱贫户，"
                    "不能量化持股（谁贫困谁享受）",
                    {**d, "status": s.status},
                )
            )
    total = sum((s.shares for s in shares if s.shares.is_finite()), Decimal(0))
    if shares_total and total != shares_total:
        out.append(
            refusal(
                AssetCode.SHARES_NOT_100,
                f"量化到户的股数合计 {total} 与资产量化总股数 {shares_total} 不符",
                {"total": str(total), "expected": str(shares_total)},
            )
        )
    return out


def holds_in(from_year: int, to_year: int | None, year: int) -> bool:
    """A share counts for the income of ``year`` when the year lies in its range."""
    return from_year <= year and (to_year is None or year <= to_year)


# -- income and its distribution -------------------------------------------------------------------


def check_income(amount: Decimal) -> list[Refusal]:
    """Refuse a year's income that is negative or not in fen."""
    return _amount(amount, "年度收益")


@dataclass(frozen=True)
class DistributionFacts:
    income: Decimal
    #: {DISTRIBUTION_KIND code: amount}; what is not given is kept (留存).
    parts: Mapping[str, Decimal]
    #: Households holding a share in the year.
    shareholders: frozenset[str] = field(default_factory=frozenset)
    #: An explicit split of the dividend ({household: amount}, e.g. a plan of 四议两公开); None:
    #: split by shares.
    dividends: Mapping[str, Decimal] | None = None
    #: The registry status of each shareholder (missing: not checked).
    statuses: Mapping[str, str] = field(default_factory=dict)


def check_distribution(
    m: DistributionFacts, p: AssetParameters = DEFAULT_PARAMETERS
) -> list[Refusal]:
    """Refuse a distribution with every reason: an unknown kind, a negative part, parts larger
    than the year's income (``ASSET_OVER_DISTRIBUTED``), a dividend when nobody holds a share or
    for a household that holds none (``ASSET_NO_SHARE``; 按股分红 ✔ [F18]), a dividend to a
    shareholder no longer poor or assisted where shares go to poor households only
    (``ASSET_NOT_POOR``: its share is withdrawn first, "谁贫困谁享受" ✔ [F19]), and an explicit
    split that does not add up to the dividend part."""
    out: list[Refusal] = []
    dividend = m.parts.get("dividend", Decimal(0))
    paid = m.shareholders if m.dividends is None else frozenset(m.dividends) & m.shareholders
    if p.shares_to_poor_only and dividend > 0:
        for household in sorted(paid):
            status = m.statuses.get(household)
            if status is not None and status not in p.eligible_statuses:
                out.append(
                    refusal(
                        AssetCode.NOT_POOR,
                        f"持股农户 {household} 已不是贫困户或享受政策的脱贫户，"
                        "请先收回调整其股份再分红（谁贫困谁享受）",
                        {"household": household, "status": status},
                    )
                )
    for kind, amount in m.parts.items():
        if kind not in DISTRIBUTION_KIND:
            out.append(refusal(AssetCode.UNKNOWN_KIND, f"分配方式“{kind}”不存在", {"kind": kind}))
        out += _amount(amount, f"“{kind}”分配金额")
    total = sum((a for a in m.parts.values() if a.is_finite()), Decimal(0))
    if total > m.income:
        out.append(
            refusal(
                AssetCode.OVER_DISTRIBUTED,
                f"分配合计 {total} 元超过当年收益 {m.income} 元",
                {"total": str(total), "income": str(m.income)},
            )
        )
    if m.dividends is None:
        if dividend > 0 and not m.shareholders:
            out.append(refusal(AssetCode.NO_SHARE, "当年没有持股农户，不能分红"))
        return out
    for household, amount in m.dividends.items():
        d = {"household": household}
        if household not in m.shareholders:
            out.append(
                refusal(AssetCode.NO_SHARE, f"农户 {household} 当年未持有该资产股份，不能分红", d)
            )
        out += _amount(amount, f"农户 {household} 的分红", d)
    given = sum((a for a in m.dividends.values() if a.is_finite()), Decimal(0))
    if given != dividend:
        out.append(
            refusal(
                AssetCode.DIVIDEND_MISMATCH,
                f"到户分红合计 {given} 元与分红金额 {dividend} 元不符",
                {"total": str(given), "expected": str(dividend)},
            )
        )
    return out


K = TypeVar("K")


def split_dividends(total: Decimal, shares: Sequence[tuple[K, Decimal]]) -> list[tuple[K, Decimal]]:
    """Split ``total`` yuan by the share weights into parts exact to the fen that add up to it
    (按股分红 ✔ [F18]): floors first, the left-over fen one each to the largest remainders,
    ties in input order (the largest-remainder method of ``largest_remainder``).

    Zero weights get nothing; no shares, or all weights zero, give no parts (the caller refuses
    a dividend without shareholders, ``ASSET_NO_SHARE``). A negative weight or total, or a total
    with more than two places, is a ``ValueError``."""
    if not total.is_finite() or total < 0 or total != total.quantize(FEN):
        raise ValueError(f"分红总额 {total} 须为非负且精确到分")
    weights = [Fraction(w) for _, w in shares]
    if any(w < 0 for w in weights):
        raise ValueError("股数不能为负数")
    whole = sum(weights, Fraction(0))
    if not shares or whole == 0:
        return []
    fen = largest_remainder(to_fen(total), [w / whole for w in weights])
    return [(key, from_fen(n)) for (key, _), n in zip(shares, fen, strict=True)]
