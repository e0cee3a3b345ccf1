"""The demo's pairings (结对帮扶) of a county: an east–west pairing with a Zhejiang county, the
province-level 浙江 → 四川 pairing, a central unit's 定点扶贫 and one 万企帮万村 enterprise with a
village — each with a year's agreement targets, achievements and, where money came, the
allocations of the fund ledger linked to it. Not wired into ``fupin demo`` (the lead wires it).

Which pairs are real (domain-next.md §3.1): 浙江 → 四川 at province level is read in the 2016
list ✔ [P1]; 佛山 → 凉山州 comes only from a weak secondary text (~ [P2]) and is left out; the
county pairs of Zhejiang with 凉山州's counties are **not found** there. So the county pair
below, 宁波市鄞州区 → the demo county, is **illustrative**, and so are the central unit, the
enterprise and every figure.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from fupin.divisions.models import Division
from fupin.divisions.selectors import division_get
from fupin.divisions.services import divisions_load
from fupin.funds.models import Partnership
from fupin.funds.pairing_services import (
    achievement_record,
    partnership_create,
    partnership_fund_link,
    partnership_target_set,
)
from fupin.funds.services import allocation_record

#: The illustrative Zhejiang helper county (宁波市鄞州区); its ancestors 宁波市 and 浙江省 are
#: loaded with it.
HELPER_COUNTY = "330212"
ZHEJIANG = "33"
#: The end of the 脱贫攻坚 period the 2016 opinion's pairings run to.
LAST_YEAR = 2020


def _d(text: str) -> Decimal:
    return Decimal(text)


def demo_pairings(county_code: str, year: int) -> None:
    """Create the demo pairings of ``county_code`` for ``year`` (by the system, ``by=None``);
    do nothing when the county already has pairings."""
    county = division_get(county_code)
    if Partnership.objects.filter(helped=county).exists():
        return
    divisions_load(prefix=HELPER_COUNTY)
    villages = Division.objects.filter(level=5, code__startswith=county.code).order_by("code")
    # A rural village (村), not a town's residents' committee (社区居委会), hosts the firm.
    village = villages.filter(name__contains="村").exclude(name__contains="社区").first()
    village = village or villages.first()
    to_year = max(year, LAST_YEAR)
    with transaction.atomic():
        east = partnership_create(
            kind="east_west",
            helper=HELPER_COUNTY,
            helped=county.code,
            from_year=year,
            to_year=to_year,
            agreement="携手奔小康结对帮扶协议（示例）",
            note="示例：浙江与凉山州各县的县级结对未见于参考资料，此结对仅作演示。",
            by=None,
        )
        partnership_target_set(
            partnership=east,
            year=year,
            targets={
                "funds": _d("30000000"),
                "cadres": _d("6"),
                "professionals": _d("30"),
                "labour": _d("500"),
                "training": _d("1200"),
                "consumption": _d("5000000"),
                "enterprises": _d("3"),
                "investment": _d("20000000"),
            },
            by=None,
        )
        for indicator, value, day, evidence in (
            ("funds", "12000000", date(year, 6, 30), "上半年拨付协作资金"),
            ("funds", "9000000", date(year, 11, 15), "第二批协作资金"),
            ("cadres", "6", date(year, 3, 1), "挂职干部名单"),
            ("professionals", "18", date(year, 9, 1), "支教支医人员名单"),
            ("labour", "430", date(year, 12, 20), "劳务输出花名册"),
            ("consumption", "5600000", date(year, 12, 20), "消费扶贫采购台账"),
            ("enterprises", "2", date(year, 10, 8), "招商引资协议"),
        ):
            achievement_record(
                partnership=east,
                year=year,
                indicator=indicator,
                value=_d(value),
                recorded_on=day,
                evidence=evidence,
                by=None,
            )
        for amount, day, number in (
            ("12000000", date(year, 6, 30), "鄞协〔示例〕1号"),
            ("9000000", date(year, 11, 15), "鄞协〔示例〕2号"),
        ):
            allocation = allocation_record(
                source="east_west",
                to_division=county.code,
                year=year,
                amount=_d(amount),
                allocated_on=day,
                document_number=number,
                note="宁波市鄞州区东西部扶贫协作资金（示例）",
                by=None,
            )
            partnership_fund_link(partnership=east, allocation=allocation, by=None)

        province = partnership_create(
            kind="east_west",
            helper=ZHEJIANG,
            helped=county.code[:2],
            from_year=year,
            to_year=to_year,
            agreement="东西部扶贫协作（中办 国办 2016 年结对调整）",
            note="浙江 → 四川 见 2016 年结对名单（domain-next.md §3.1 [P1]）；指标为示例。",
            by=None,
        )
        partnership_target_set(
            partnership=province, year=year, targets={"funds": _d("1000000000")}, by=None
        )

        unit = partnership_create(
            kind="central_unit",
            helper_name="中央单位（示例）",
            helped=county.code,
            from_year=year,
            to_year=to_year,
            agreement="定点扶贫责任书（示例）",
            by=None,
        )
        partnership_target_set(
            partnership=unit,
            year=year,
            targets={"funds": _d("5000000"), "first_secretaries": _d("1"), "training": _d("300")},
            by=None,
        )
        achievement_record(
            partnership=unit,
            year=year,
            indicator="first_secretaries",
            value=_d("1"),
            recorded_on=date(year, 4, 1),
            evidence="选派第一书记文件",
            by=None,
        )
        allocation = allocation_record(
            source="central_unit",
            to_division=county.code,
            year=year,
            amount=_d("3000000"),
            allocated_on=date(year, 8, 20),
            note="中央单位定点帮扶资金（示例）",
            by=None,
        )
        partnership_fund_link(partnership=unit, allocation=allocation, by=None)
        achievement_record(
            partnership=unit,
            year=year,
            indicator="funds",
            value=_d("3000000"),
            recorded_on=date(year, 8, 20),
            by=None,
        )

        if village is None:
            return
        firm = partnership_create(
            kind="enterprise",
            helper_name="四川某农业科技有限公司（示例）",
            helped=village.code,
            from_year=year,
            to_year=to_year,
            agreement="万企帮万村 村企结对协议（示例）",
            by=None,
        )
        partnership_target_set(
            partnership=firm,
            year=year,
            targets={"social_funds": _d("500000"), "jobs": _d("40")},
            by=None,
        )
        achievement_record(
            partnership=firm,
            year=year,
            indicator="jobs",
            value=_d("25"),
            recorded_on=date(year, 12, 1),
            evidence="用工名单",
            by=None,
        )
        allocation = allocation_record(
            source="enterprise",
            to_division=village.code,
            year=year,
            amount=_d("200000"),
            allocated_on=date(year, 7, 1),
            note="万企帮万村 企业捐赠（示例）",
            by=None,
        )
        partnership_fund_link(partnership=firm, allocation=allocation, by=None)
        achievement_record(
            partnership=firm,
            year=year,
            indicator="social_funds",
            value=_d("200000"),
            recorded_on=date(year, 7, 1),
            by=None,
        )
