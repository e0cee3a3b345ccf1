"""The pairing pages: the list, a pairing's fulfilment table with its blanks, the county
office's forms (and a township user refused), the home panel "谁在帮扶、到位多少", and the
list's query count not growing with the number of pairings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fupin.accounts.models import Role
from fupin.divisions.models import Division
from fupin.divisions.services import divisions_load
from fupin.funds.demo_pairing import HELPER_COUNTY, demo_pairings
from fupin.funds.models import Partnership, PartnershipAchievement, PartnershipTarget
from fupin.funds.pairing_services import partnership_create

COUNTY = "513431"
YEAR = 2019

MakeUser = Callable[..., AbstractUser]
SignIn = Callable[[AbstractUser], Client]


@pytest.fixture
def demo(divisions: None) -> dict[str, Partnership]:
    demo_pairings(COUNTY, YEAR)
    by_kind = {p.kind: p for p in Partnership.objects.filter(helped__code__startswith=COUNTY)}
    by_kind["province"] = Partnership.objects.get(helped_id="51")
    return by_kind


def test_the_demo_creates_the_three_kinds_with_the_illustrative_zhejiang_county(
    demo: dict[str, Partnership],
) -> None:
    assert demo["east_west"].helper_id == HELPER_COUNTY
    assert demo["province"].helper_name == "浙江省"
    assert demo["central_unit"].helper_id is None
    assert len(demo["enterprise"].helped_id) == 12
    demo_pairings(COUNTY, YEAR)  # a second run adds nothing
    assert Partnership.objects.count() == 4


def test_the_list_shows_each_pairing_with_the_funds_arrived(
    demo: dict[str, Partnership], make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    page = client.get(f"/funds/pairings/?year={YEAR}").content.decode()
    assert "宁波市鄞州区" in page and "浙江省" in page and "中央单位（示例）" in page
    assert "四川某农业科技有限公司（示例）" in page
    assert "21,000,000.00" in page  # two allocations linked to the east–west pairing
    assert "东西部扶贫协作" in page and "万企帮万村" in page


def test_the_detail_shows_targets_achieved_rates_and_blanks(
    demo: dict[str, Partnership], make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    p = demo["east_west"]
    page = client.get(f"/funds/pairings/{p.pk}/?year={YEAR}").content.decode()
    # funds: 21,000,000 of 30,000,000 → 70.0 %; consumption exceeded: 112.0 %.
    assert "30,000,000.00" in page and "21,000,000.00" in page and "70.0%" in page
    assert "112.0%" in page
    # investment has a target and nothing recorded: 未记录, no rate.
    assert "未记录" in page
    assert 'data-testid="targets-form"' in page and 'data-testid="achievement-form"' in page

    unit = client.get(f"/funds/pairings/{demo['central_unit'].pk}/?year={YEAR}").content.decode()
    assert "100.0%" in unit  # one 第一书记 of one
    assert "60.0%" in unit  # 3,000,000 of 5,000,000
    training = unit.split('data-indicator="training"')[1].split("</tr>")[0]
    assert "未记录" in training and "%" not in training


def test_an_achievement_without_a_target_shows_not_set(
    demo: dict[str, Partnership], make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    p = demo["east_west"]
    response = client.post(
        f"/funds/pairings/{p.pk}/achievements/",
        {"year": YEAR, "indicator": "villages", "value": "12", "recorded_on": "2019-12-01"},
    )
    assert response.status_code == 302
    page = client.get(f"/funds/pairings/{p.pk}/?year={YEAR}").content.decode()
    row = page.split('data-indicator="villages"')[1].split("</tr>")[0]
    assert "未设定" in row and "12" in row and "%" not in row


def test_the_county_office_sets_targets_and_records_an_achievement(
    demo: dict[str, Partnership], make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    p = demo["central_unit"]
    response = client.post(
        f"/funds/pairings/{p.pk}/targets/",
        {"year": YEAR, "t_funds": "6000000", "t_first_secretaries": "1", "t_training": ""},
        follow=True,
    )
    assert "已保存" in response.content.decode()
    targets = dict(
        PartnershipTarget.objects.filter(partnership=p, year=YEAR).values_list(
            "indicator", "target"
        )
    )
    # training was set (300) and is now blank: cleared, not 0.
    assert targets == {
        "funds": Decimal(6000000),
        "first_secretaries": Decimal(1),
        "training": None,
    }
    response = client.post(
        f"/funds/pairings/{p.pk}/achievements/",
        {"year": YEAR, "indicator": "training", "value": "120", "recorded_on": "2019-10-01"},
        follow=True,
    )
    assert "已记录" in response.content.decode()
    assert PartnershipAchievement.objects.filter(partnership=p, indicator="training").count() == 1


def test_a_bad_figure_is_refused_with_its_code_and_stores_nothing(
    demo: dict[str, Partnership], make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    p = demo["central_unit"]
    before = PartnershipTarget.objects.count(), PartnershipAchievement.objects.count()
    page = client.post(
        f"/funds/pairings/{p.pk}/targets/",
        {"year": YEAR, "t_funds": "100", "t_cadres": "1.5"},
        follow=True,
    ).content.decode()
    assert "PAIRING_PRECISION" in page
    page = client.post(
        f"/funds/pairings/{p.pk}/achievements/",
        {"year": 2030, "indicator": "funds", "value": "5", "recorded_on": "2030-01-01"},
        follow=True,
    ).content.decode()
    assert "PAIRING_YEAR_OUTSIDE" in page
    assert (PartnershipTarget.objects.count(), PartnershipAchievement.objects.count()) == before
    assert PartnershipTarget.objects.get(partnership=p, indicator="funds").target == 5000000


def test_a_township_user_reads_but_cannot_set_targets(
    demo: dict[str, Partnership], make_user: MakeUser, signed_in: SignIn
) -> None:
    township = Division.objects.filter(level=4, code__startswith=COUNTY).order_by("code").first()
    assert township is not None
    client = signed_in(make_user("township", Role.TOWNSHIP_REVIEWER, township.code))
    p = demo["east_west"]
    page = client.get(f"/funds/pairings/{p.pk}/?year={YEAR}").content.decode()
    assert "70.0%" in page and 'data-testid="targets-form"' not in page
    before = list(PartnershipTarget.objects.values_list("indicator", "target"))
    page = client.post(
        f"/funds/pairings/{p.pk}/targets/", {"year": YEAR, "t_funds": "1"}, follow=True
    ).content.decode()
    assert "PERMISSION_DENIED" in page
    assert list(PartnershipTarget.objects.values_list("indicator", "target")) == before


def test_another_countys_office_does_not_see_the_pairing(
    demo: dict[str, Partnership], make_user: MakeUser, signed_in: SignIn
) -> None:
    divisions_load(prefix="513401")
    client = signed_in(make_user("xichang", Role.COUNTY_OFFICE, "513401"))
    assert client.get(f"/funds/pairings/{demo['east_west'].pk}/").status_code == 404
    assert client.post(f"/funds/pairings/{demo['east_west'].pk}/targets/").status_code == 404
    # The province's pairing helps 西昌 too.
    assert client.get(f"/funds/pairings/{demo['province'].pk}/").status_code == 200


def test_the_home_panel_says_who_helps_and_how_much_arrived(
    demo: dict[str, Partnership], make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    panel = client.get(f"/funds/pairings/panel/?division={COUNTY}&year={YEAR}").content.decode()
    assert 'data-testid="pairing-panel"' in panel
    assert "宁波市鄞州区" in panel and "中央单位（示例）" in panel and "浙江省" in panel
    assert "21,000,000.00" in panel and "70.0%" in panel
    assert "24,200,000.00" in panel  # the total linked: 21M + 3M + 0.2M
    home = client.get("/").content.decode()
    assert "/funds/pairings/panel/" in home


def test_the_list_query_count_does_not_grow_with_the_pairings(
    divisions: None, make_user: MakeUser, signed_in: SignIn
) -> None:
    villages = list(
        Division.objects.filter(level=5, code__startswith=COUNTY).values_list("code", flat=True)
    )
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    def add(n: int) -> None:
        for i in range(n):
            partnership_create(
                kind="enterprise",
                helper_name=f"企业{Partnership.objects.count()}",
                helped=villages[i % len(villages)],
                from_year=YEAR,
                by=None,
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/funds/pairings/?year={YEAR}")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small = count()
    add(18)
    assert Partnership.objects.count() == 20
    assert count() == small


def test_achievement_dates_and_figures_survive_the_round_trip(
    demo: dict[str, Partnership],
) -> None:
    rec = PartnershipAchievement.objects.filter(
        partnership=demo["east_west"], indicator="funds"
    ).order_by("recorded_on")
    assert [(r.recorded_on, r.value) for r in rec] == [
        (date(YEAR, 6, 30), Decimal("12000000.00")),
        (date(YEAR, 11, 15), Decimal("9000000.00")),
    ]
