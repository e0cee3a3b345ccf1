"""The pairing services and selectors (东西部协作、定点帮扶、万企帮万村): what they store, what
they refuse (and that a refusal stores nothing), the fulfilment table against a plain Python
sum, and who helps a county with how much arrived."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.accounts.models import Role
from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.divisions.models import Division
from fupin.divisions.services import divisions_load
from fupin.funds.models import (
    FundAllocation,
    Partnership,
    PartnershipAchievement,
    PartnershipFund,
    PartnershipTarget,
)
from fupin.funds.pairing_selectors import (
    fulfilment_table,
    helpers_of_county,
    partnerships_of,
)
from fupin.funds.pairing_services import (
    achievement_record,
    partnership_create,
    partnership_fund_link,
    partnership_target_set,
)
from fupin.funds.services import allocation_record
from fupin.policy import funds_pairing as pfp
from tests.funds.conftest import make_user

COUNTY, HELPER = "513431", "330212"
YEAR = 2019


@pytest.fixture
def places(db: None) -> Division:
    """昭觉县 and the illustrative helper 宁波市鄞州区; the first village of 昭觉县."""
    divisions_load(prefix=COUNTY)
    divisions_load(prefix=HELPER)
    village = Division.objects.filter(level=5, code__startswith=COUNTY).order_by("code").first()
    assert village is not None
    return village


def east_west(**changes: Any) -> Partnership:
    args: dict[str, Any] = {
        "kind": "east_west",
        "helper": HELPER,
        "helped": COUNTY,
        "from_year": 2018,
        "to_year": 2020,
        "agreement": "鄞州区—昭觉县携手奔小康协议",
        "by": None,
    }
    args.update(changes)
    return partnership_create(**args)


def _rows() -> tuple[int, ...]:
    models = (Partnership, PartnershipTarget, PartnershipAchievement, PartnershipFund)
    return tuple(m.objects.count() for m in models)


# -- services -------------------------------------------------------------------------------------


def test_a_county_office_records_a_pairing_with_targets_and_achievements(places: Division) -> None:
    office = make_user("county", Role.COUNTY_OFFICE, COUNTY)
    p = east_west(by=office)
    assert p.helper_name == "宁波市鄞州区" and p.helped_id == COUNTY

    partnership_target_set(
        partnership=p,
        year=YEAR,
        targets={"funds": Decimal("30000000"), "labour": Decimal(500), "cadres": None},
        by=office,
    )
    achievement_record(
        partnership=p,
        year=YEAR,
        indicator="funds",
        value=Decimal("12000000"),
        recorded_on=date(2019, 6, 30),
        evidence="拨付凭证",
        by=office,
    )
    achievement_record(
        partnership=p,
        year=YEAR,
        indicator="funds",
        value=Decimal("6000000.50"),
        recorded_on=date(2019, 9, 30),
        by=office,
    )
    achievement_record(
        partnership=p,
        year=YEAR,
        indicator="consumption",
        value=Decimal("800000"),
        recorded_on=date(2019, 9, 30),
        by=office,
    )

    table = {r.indicator: r for r in fulfilment_table([p.pk], YEAR)}
    assert table["funds"].achieved == Decimal("18000000.50")
    assert table["funds"].percent == "60.0%"
    assert table["labour"].achieved is None and table["labour"].note == "未记录完成情况"
    assert table["cadres"].target is None and table["cadres"].rate is None
    # An achievement without a target shows up as "not set", never as 100 %.
    assert table["consumption"].target is None and table["consumption"].note == "未设定目标"
    assert [r.indicator for r in fulfilment_table([p.pk], YEAR)] == [
        "funds",
        "cadres",
        "labour",
        "consumption",
    ]
    actions = set(
        AuditEvent.objects.filter(obj_type="partnership").values_list("action", flat=True)
    )
    assert actions == {"pairing.create", "pairing.targets", "pairing.achievement"}


def test_setting_targets_again_replaces_the_given_ones_and_keeps_the_rest(
    places: Division,
) -> None:
    p = east_west()
    partnership_target_set(
        partnership=p, year=YEAR, targets={"funds": Decimal(100), "labour": Decimal(5)}, by=None
    )
    rows = partnership_target_set(
        partnership=p, year=YEAR, targets={"funds": Decimal(200), "labour": None}, by=None
    )
    assert {r.indicator: r.target for r in rows} == {"funds": Decimal(200), "labour": None}


def test_one_bad_target_stores_none_of_them(places: Division) -> None:
    p = east_west()
    before = _rows()
    with pytest.raises(FupinError) as err:
        partnership_target_set(
            partnership=p,
            year=YEAR,
            targets={"funds": Decimal(100), "labour": Decimal(-5), "rockets": Decimal(1)},
            by=None,
        )
    assert err.value.code == "PAIRING_NEGATIVE_VALUE"
    assert [e["code"] for e in err.value.details["errors"]] == [
        "PAIRING_NEGATIVE_VALUE",
        "PAIRING_UNKNOWN_INDICATOR",
    ]
    assert _rows() == before


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"helper": "513401"}, "PAIRING_SAME_PARTY"),
        ({"helped": "5134"}, "PAIRING_HELPED_LEVEL"),
        ({"kind": "enterprise", "helper": None, "helper_name": "某公司"}, "PAIRING_HELPED_LEVEL"),
        ({"from_year": 2021}, "PAIRING_YEARS"),
    ],
)
def test_a_bad_pairing_is_refused_and_stores_nothing(
    places: Division, changes: dict[str, Any], code: str
) -> None:
    divisions_load(prefix="513401")
    with pytest.raises(FupinError) as err:
        east_west(**changes)
    assert err.value.code == code and err.value.message
    assert _rows() == (0, 0, 0, 0)
    assert not AuditEvent.objects.filter(obj_type="partnership").exists()


@pytest.mark.parametrize(
    ("role", "where", "code"),
    [
        (Role.TOWNSHIP_REVIEWER, "513431100", "PERMISSION_DENIED"),
        (Role.VILLAGE_CADRE, None, "PERMISSION_DENIED"),
        (Role.ANALYST, COUNTY, "PERMISSION_DENIED"),
        (Role.COUNTY_OFFICE, "513401", "OUT_OF_SCOPE"),
    ],
)
def test_only_the_helped_countys_office_or_above_writes(
    places: Division, role: Role, where: str | None, code: str
) -> None:
    divisions_load(prefix="513401")
    p = east_west()
    user = make_user("someone", role, where or places.code)
    before = _rows()
    with pytest.raises(FupinError) as err:
        partnership_target_set(partnership=p, year=YEAR, targets={"funds": Decimal(1)}, by=user)
    assert err.value.code == code
    with pytest.raises(FupinError):
        achievement_record(
            partnership=p,
            year=YEAR,
            indicator="funds",
            value=Decimal(1),
            recorded_on=date(2019, 1, 1),
            by=user,
        )
    assert _rows() == before


def test_the_prefecture_office_may_write_for_its_county(places: Division) -> None:
    office = make_user("prefecture", Role.COUNTY_OFFICE, "5134")
    p = east_west(by=office)
    partnership_target_set(partnership=p, year=YEAR, targets={"funds": Decimal(1)}, by=office)
    assert PartnershipTarget.objects.filter(partnership=p).count() == 1


def test_an_achievement_outside_the_years_is_refused(places: Division) -> None:
    p = east_west()
    with pytest.raises(FupinError) as err:
        achievement_record(
            partnership=p,
            year=2021,
            indicator="labour",
            value=Decimal(3),
            recorded_on=date(2021, 1, 1),
            by=None,
        )
    assert err.value.code == "PAIRING_YEAR_OUTSIDE"
    assert _rows() == (1, 0, 0, 0)


def _allocation(source: str, to: str, amount: str, year: int = YEAR) -> FundAllocation:
    return allocation_record(
        source=source,
        to_division=to,
        year=year,
        amount=Decimal(amount),
        allocated_on=date(year, 5, 1),
        note="鄞州区东西部协作资金",
        by=None,
    )


def test_funds_arrive_through_linked_allocations(places: Division) -> None:
    p = east_west()
    a1 = _allocation("east_west", COUNTY, "5000000")
    a2 = _allocation("east_west", places.code, "250000.50")
    partnership_fund_link(partnership=p, allocation=a1, by=None)
    partnership_fund_link(partnership=p, allocation=a2.pk, by=None)

    with pytest.raises(FupinError) as twice:
        partnership_fund_link(partnership=p, allocation=a1, by=None)
    assert twice.value.code == "PAIRING_FUND_LINKED"
    wrong = _allocation("central.development", COUNTY, "100")
    with pytest.raises(FupinError) as source:
        partnership_fund_link(partnership=p, allocation=wrong, by=None)
    assert source.value.code == "PAIRING_FUND_SOURCE"

    assert PartnershipFund.objects.count() == 2
    (row,) = partnerships_of(COUNTY, YEAR)
    assert row.funds_linked == Decimal("5250000.50")  # type: ignore[attr-defined]


def test_helpers_of_county_says_who_helps_and_how_much_arrived(places: Division) -> None:
    divisions_load(prefix="33")  # 浙江 → 四川 (province level)
    p = east_west()
    province = partnership_create(
        kind="east_west", helper="33", helped="51", from_year=2017, by=None
    )
    unit = partnership_create(
        kind="central_unit", helper_name="某中央单位", helped=COUNTY, from_year=2015, by=None
    )
    firm = partnership_create(
        kind="enterprise", helper_name="某企业", helped=places.code, from_year=2019, by=None
    )
    partnership_create(  # ended before the year: not shown
        kind="central_unit",
        helper_name="旧单位",
        helped=COUNTY,
        from_year=2012,
        to_year=2015,
        by=None,
    )
    partnership_fund_link(
        partnership=p, allocation=_allocation("east_west", COUNTY, "4000000"), by=None
    )
    partnership_fund_link(  # another year: not counted for 2019
        partnership=p, allocation=_allocation("east_west", COUNTY, "999", year=2018), by=None
    )
    partnership_fund_link(
        partnership=firm, allocation=_allocation("enterprise", places.code, "300000"), by=None
    )
    partnership_target_set(partnership=p, year=YEAR, targets={"funds": Decimal(8000000)}, by=None)
    achievement_record(
        partnership=p,
        year=YEAR,
        indicator="funds",
        value=Decimal(2000000),
        recorded_on=date(2019, 7, 1),
        by=None,
    )

    helpers = {h.partnership.pk: h for h in helpers_of_county(COUNTY, YEAR)}

    assert set(helpers) == {p.pk, province.pk, unit.pk, firm.pk}
    assert helpers[p.pk].funds_linked == Decimal(4000000)
    assert helpers[p.pk].funds_reported == Decimal(2000000)
    assert helpers[p.pk].rate == "25.0%"
    assert helpers[province.pk].above and helpers[province.pk].helper_name == "浙江省"
    assert helpers[unit.pk].funds_linked == 0 and helpers[unit.pk].funds_target is None
    assert helpers[unit.pk].rate == ""
    assert helpers[firm.pk].funds_linked == Decimal(300000)
    # 昭觉县's neighbours see none of them but the province's.
    divisions_load(prefix="513401")
    assert [h.partnership.pk for h in helpers_of_county("513401", YEAR)] == [province.pk]


# -- the fulfilment table equals a Python sum -----------------------------------------------------

_record = st.tuples(
    st.integers(0, 2),  # which pairing
    st.sampled_from([2018, 2019]),
    st.sampled_from(["funds", "labour", "consumption", "cadres"]),
    st.decimals(min_value=Decimal(0), max_value=Decimal(10**6), places=0),
)
_target = st.tuples(
    st.integers(0, 2),
    st.sampled_from([2018, 2019]),
    st.sampled_from(["funds", "labour", "training"]),
    st.one_of(st.none(), st.decimals(min_value=Decimal(0), max_value=Decimal(10**6), places=0)),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(records=st.lists(_record, max_size=25), targets=st.lists(_target, max_size=10))
def test_the_fulfilment_table_equals_a_python_sum_of_the_achievements(
    places: Division,
    records: list[tuple[int, int, str, Decimal]],
    targets: list[tuple[int, int, str, Decimal | None]],
) -> None:
    with transaction.atomic():
        pairs = [
            east_west(),
            partnership_create(
                kind="central_unit", helper_name="单位", helped=COUNTY, from_year=2018, by=None
            ),
            partnership_create(
                kind="enterprise", helper_name="企业", helped=places.code, from_year=2018, by=None
            ),
        ]
        want_target: dict[tuple[int, int, str], Decimal | None] = {}
        for i, year, code, value in targets:
            partnership_target_set(partnership=pairs[i], year=year, targets={code: value}, by=None)
            want_target[(pairs[i].pk, year, code)] = value
        sums: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
        for i, year, code, value in records:
            achievement_record(
                partnership=pairs[i],
                year=year,
                indicator=code,
                value=value,
                recorded_on=date(year, 6, 1),
                by=None,
            )
            sums[(pairs[i].pk, year, code)] += value

        table = fulfilment_table([p.pk for p in pairs])

        got = {(r.partnership_id, r.year, r.indicator): r for r in table}
        assert set(got) == set(sums) | set(want_target)
        for key, row in got.items():
            assert row.achieved == sums.get(key)
            assert row.target == want_target.get(key)
            assert row.rate == pfp.fulfilment(want_target.get(key), sums.get(key))
        transaction.set_rollback(True)


def test_the_helper_side_sees_the_pairing_but_does_not_keep_its_ledger(
    places: Division,
) -> None:
    p = east_west()
    assert [x.pk for x in partnerships_of(HELPER)] == [p.pk]
    assert [x.pk for x in partnerships_of("33")] == [p.pk]
    assert list(partnerships_of("513401")) == []  # 西昌: neither side
    zhejiang = make_user("yinzhou", Role.COUNTY_OFFICE, HELPER)
    with pytest.raises(FupinError) as err:
        partnership_target_set(partnership=p, year=YEAR, targets={"funds": Decimal(1)}, by=zhejiang)
    assert err.value.code == "OUT_OF_SCOPE"
    assert PartnershipTarget.objects.count() == 0
