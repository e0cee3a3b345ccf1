"""The pure pairing rules (东西部协作、定点帮扶、万企帮万村): fulfilment with blanks, the levels of
each kind, the checks of targets, achievements and fund links, with their stable codes."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.policy import funds as pf
from fupin.policy import funds_pairing as pfp
from fupin.policy.funds_pairing import PairingCode, PartnershipFacts

ZHAOJUE, LIANGSHAN, SICHUAN = "513431", "5134", "51"
YINZHOU, NINGBO, ZHEJIANG = "330212", "3302", "33"
VILLAGE = "513431100201"


def codes(refusals: list[pfp.Refusal]) -> list[str]:
    return [r.code.value for r in refusals]


def facts(**changes: object) -> PartnershipFacts:
    args: dict[str, Any] = {
        "kind": "east_west",
        "helper_code": YINZHOU,
        "helper_name": "鄞州区",
        "helped_code": ZHAOJUE,
        "from_year": 2018,
        "to_year": 2020,
    }
    args.update(changes)
    return PartnershipFacts(**args)


# -- fulfilment -----------------------------------------------------------------------------------


def test_fulfilment_is_achieved_over_target_exactly() -> None:
    assert pfp.fulfilment(Decimal("3000000"), Decimal("1000000")) == Fraction(1, 3)
    assert pfp.percent(pfp.fulfilment(Decimal(3), Decimal(2))) == "66.7%"
    assert pfp.fulfilment(Decimal(100), Decimal(150)) == Fraction(3, 2)  # exceeded


def test_a_blank_target_gives_no_rate_never_zero_or_hundred_percent() -> None:
    assert pfp.fulfilment(None, Decimal(500)) is None
    assert pfp.fulfilment(None, None) is None
    assert pfp.fulfilment_note(None, Decimal(500)) == "未设定目标"


def test_a_target_of_zero_gives_no_rate_and_says_so() -> None:
    assert pfp.fulfilment(Decimal(0), Decimal(5)) is None
    assert pfp.fulfilment(Decimal(0), Decimal(0)) is None
    assert "目标为 0" in pfp.fulfilment_note(Decimal(0), Decimal(5))


def test_nothing_recorded_is_not_zero_percent() -> None:
    assert pfp.fulfilment(Decimal(10), None) is None
    assert pfp.fulfilment_note(Decimal(10), None) == "未记录完成情况"
    # A recorded zero is a real 0 %.
    assert pfp.fulfilment(Decimal(10), Decimal(0)) == 0
    assert pfp.fulfilment_note(Decimal(10), Decimal(0)) == ""


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2),
    st.decimals(min_value=Decimal(0), max_value=Decimal("1e9"), places=2),
)
def test_fulfilment_times_target_is_achieved(target: Decimal, achieved: Decimal) -> None:
    rate = pfp.fulfilment(target, achieved)
    assert rate is not None and rate * Fraction(target) == Fraction(achieved)


# -- the indicators -------------------------------------------------------------------------------


def test_every_indicator_has_a_unit_and_a_source_and_the_named_ones_are_there() -> None:
    for ind in pfp.INDICATORS:
        assert ind.unit and ind.source and ind.name
    names = {i.code for i in pfp.INDICATORS}
    assert {"funds", "cadres", "professionals", "labour", "consumption", "enterprises"} <= names
    assert {"investment", "social_funds", "training"} <= names
    assert pfp.PAIRING_INDICATOR.parse("财政援助资金") == "funds"
    assert pfp.indicator("funds").money and not pfp.indicator("labour").money


def test_the_fund_sources_of_each_kind_are_real_fund_sources() -> None:
    assert set(pfp.FUND_SOURCES_OF_KIND) == set(pf.PAIRING_KIND.codes)
    for sources in pfp.FUND_SOURCES_OF_KIND.values():
        assert all(s in pf.FUND_SOURCE for s in sources)


# -- the parties and their levels -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("helper", "helped"),
    [
        (ZHEJIANG, SICHUAN),  # 浙江 → 四川 ✔ [P1]
        ("11", "1307"),  # 北京 → 张家口 (province → prefecture) ✔ [P1]
        ("3205", "5206"),  # 苏州 → 铜仁 ✔ [P1]
        (NINGBO, ZHAOJUE),  # a city → a county
        (YINZHOU, ZHAOJUE),  # 携手奔小康 county → county
    ],
)
def test_east_west_levels_that_pass(helper: str, helped: str) -> None:
    assert pfp.check_partnership(facts(helper_code=helper, helped_code=helped)) == []


@pytest.mark.parametrize(
    ("helper", "helped", "code"),
    [
        (YINZHOU, LIANGSHAN, PairingCode.HELPED_LEVEL),  # a county cannot help a prefecture
        (ZHEJIANG, ZHAOJUE, PairingCode.HELPED_LEVEL),  # a province helps a province/prefecture
        (YINZHOU, VILLAGE, PairingCode.HELPED_LEVEL),
        ("330212001", ZHAOJUE, PairingCode.HELPER_LEVEL),  # a township is no east–west helper
        ("513401", ZHAOJUE, PairingCode.SAME_PARTY),  # 西昌 → 昭觉: the same province
        (ZHAOJUE, ZHAOJUE, PairingCode.SAME_PARTY),
    ],
)
def test_east_west_levels_that_fail(helper: str, helped: str, code: PairingCode) -> None:
    assert codes(pfp.check_partnership(facts(helper_code=helper, helped_code=helped))) == [
        code.value
    ]


def test_east_west_needs_a_division_as_helper() -> None:
    got = pfp.check_partnership(facts(helper_code=None))
    assert codes(got) == ["PAIRING_HELPER_MISSING"]


def test_a_central_unit_is_a_name_helping_a_county() -> None:
    ok = facts(kind="central_unit", helper_code=None, helper_name="某部委")
    assert pfp.check_partnership(ok) == []
    wrong = facts(kind="central_unit", helper_code=YINZHOU, helper_name="", helped_code=VILLAGE)
    assert codes(pfp.check_partnership(wrong)) == [
        "PAIRING_HELPER_LEVEL",
        "PAIRING_HELPER_MISSING",
        "PAIRING_HELPED_LEVEL",
    ]


def test_an_enterprise_helps_a_village() -> None:
    ok = facts(kind="enterprise", helper_code=None, helper_name="某公司", helped_code=VILLAGE)
    assert pfp.check_partnership(ok) == []
    county = facts(kind="enterprise", helper_code=None, helper_name="某公司")
    got = pfp.check_partnership(county)
    assert codes(got) == ["PAIRING_HELPED_LEVEL"]
    assert "村级" in got[0].message


def test_unknown_kind_and_years_in_the_wrong_order() -> None:
    got = pfp.check_partnership(facts(kind="twinning", from_year=2020, to_year=2018))
    assert codes(got) == ["PAIRING_UNKNOWN_KIND", "PAIRING_YEARS"]


# -- targets, achievements, funds -----------------------------------------------------------------


def test_targets_report_every_bad_figure() -> None:
    got = pfp.check_targets(
        {
            "funds": Decimal("30000000.001"),
            "labour": Decimal("-3"),
            "cadres": Decimal("2.5"),
            "rockets": Decimal(1),
            "training": None,  # clearing a target is allowed
        },
        2019,
        2018,
        2020,
    )
    assert codes(got) == [
        "PAIRING_PRECISION",
        "PAIRING_NEGATIVE_VALUE",
        "PAIRING_PRECISION",
        "PAIRING_UNKNOWN_INDICATOR",
    ]
    assert all(r.message for r in got)


def test_targets_outside_the_years_or_empty_are_refused() -> None:
    assert codes(pfp.check_targets({"funds": Decimal(1)}, 2021, 2018, 2020)) == [
        "PAIRING_YEAR_OUTSIDE"
    ]
    assert codes(pfp.check_targets({}, 2019, 2018, None)) == ["PAIRING_NO_TARGETS"]
    assert pfp.check_targets({"funds": Decimal("1.50"), "labour": None}, 2030, 2018, None) == []


def test_an_achievement_is_a_valid_figure_in_the_years() -> None:
    assert pfp.check_achievement("labour", Decimal(120), 2019, 2018, 2020) == []
    assert codes(pfp.check_achievement("labour", Decimal(-1), 2017, 2018, 2020)) == [
        "PAIRING_YEAR_OUTSIDE",
        "PAIRING_NEGATIVE_VALUE",
    ]


def test_a_fund_link_needs_the_kinds_source_the_helped_receiver_and_a_year() -> None:
    base: dict[str, Any] = {
        "kind": "east_west",
        "source": "east_west",
        "receiver_code": ZHAOJUE,
        "year": 2019,
        "helped_code": ZHAOJUE,
        "from_year": 2018,
        "to_year": 2020,
    }
    assert pfp.check_fund_link(**base) == []
    bad = base | {"source": "central_unit", "receiver_code": "513401", "year": 2021}
    assert codes(pfp.check_fund_link(**bad)) == [
        "PAIRING_FUND_SOURCE",
        "PAIRING_FUND_RECEIVER",
        "PAIRING_YEAR_OUTSIDE",
    ]
    village = base | {"kind": "enterprise", "source": "social", "receiver_code": VILLAGE}
    assert pfp.check_fund_link(**village) == []
