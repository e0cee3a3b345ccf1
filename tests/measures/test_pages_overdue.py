"""The township's and county's overdue lists (/measures/overdue/) and the home page's 帮扶情况
panel: an overdue pairing is listed and a recently visited one is not, a household without a
帮扶责任人 is listed, the lists page by 50, the scope holds, and the number of queries does not
grow with the number of rows."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from fupin.accounts.models import Profile, Role
from fupin.divisions.models import Division
from fupin.measures import selectors
from fupin.measures.models import Cadre
from fupin.measures.services import cadre_create, pairing_assign, visit_record
from fupin.registry.models import Household
from fupin.reports.services import rollups_refresh_dirty

COUNTY = "513431"
URL = "/measures/overdue/"
LONG_AGO = date(2020, 1, 1)


def _user(name: str, role: Role, division: str | None) -> User:
    user = get_user_model().objects.create_user(username=name, password="pw-123456-page")
    Profile.objects.create(user=user, role=role, division_id=division)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _section(html: str, testid: str) -> str:
    """The HTML of the <section data-testid=...> (the lists do not nest sections)."""
    m = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, re.S)
    assert m is not None, testid
    return m.group(0)


def _listed(html: str, testid: str) -> list[str]:
    return re.findall(r'data-household="([^"]+)"', _section(html, testid))


def _pair(household: Household, cadre: Cadre, start: date = LONG_AGO) -> None:
    pairing_assign(household_code=household.code, cadre=cadre, start=start, by=None)


def _visit(household: Household, cadre: Cadre, days_ago: int) -> None:
    visit_record(
        household_code=household.code,
        cadre=cadre,
        visit_date=timezone.localdate() - timedelta(days=days_ago),
        content="了解生产情况",
        by=None,
    )


def _poor_in_one_village(n: int) -> list[Household]:
    """``n`` poor households of one village (the village with the most)."""
    for village in (
        Household.objects.filter(status="poor")
        .values_list("village_id", flat=True)
        .order_by("village_id")
        .distinct()
    ):
        found = list(Household.objects.filter(village_id=village, status="poor").order_by("code"))
        if len(found) >= n:
            return found[:n]
    pytest.fail(f"the test registry has no village with {n} poor households")


@pytest.fixture
def township_reviewer(poor_household: Household) -> User:
    return _user("xiangzhen", Role.TOWNSHIP_REVIEWER, poor_household.village_id[:9])


def test_an_overdue_pairing_is_listed_and_a_recently_visited_one_is_not(
    cadre: Cadre, township_reviewer: User
) -> None:
    late, recent, never = _poor_in_one_village(3)
    for h in (late, recent, never):
        _pair(h, cadre)
    _visit(late, cadre, days_ago=60)
    _visit(recent, cadre, days_ago=3)

    html = _client(township_reviewer).get(URL).content.decode()

    overdue = _section(html, "overdue-list")
    assert late.code in _listed(html, "overdue-list")
    assert never.code in _listed(html, "overdue-list")
    assert recent.code not in _listed(html, "overdue-list")
    # Each row links to the household's page, names the cadre and says how long it has been.
    assert reverse("web:household_detail", args=[late.code]) in overdue
    assert cadre.name in overdue
    late_row = re.search(rf'<tr data-household="{late.code}">.*?</tr>', overdue, re.S)
    assert late_row is not None
    assert (timezone.localdate() - timedelta(days=60)).isoformat() in late_row.group(0)
    assert "60 天" in late_row.group(0)
    never_row = re.search(rf'<tr data-household="{never.code}">.*?</tr>', overdue, re.S)
    assert never_row is not None and "从未走访" in never_row.group(0)
    # The counts on top are the selector's.
    summary = selectors.assistance_summary(late.village_id[:9], year=2016)
    assert f'data-testid="overdue">{summary.overdue}<' in html
    assert f'data-testid="unpaired">{summary.unpaired}<' in html


def test_a_poor_household_without_a_cadre_is_listed_and_a_paired_one_is_not(
    cadre: Cadre, township_reviewer: User
) -> None:
    paired, unpaired = _poor_in_one_village(2)
    _pair(paired, cadre)

    response = _client(township_reviewer).get(URL, {"division": paired.village_id})

    html = response.content.decode()
    assert unpaired.code in _listed(html, "unpaired-list")
    assert paired.code not in _listed(html, "unpaired-list")
    # No measure was recorded for either: both are listed without a measure.
    assert {paired.code, unpaired.code} <= set(_listed(html, "without-list"))


def test_the_lists_page_by_fifty(registry: object) -> None:
    county = _client(_user("xian", Role.COUNTY_OFFICE, COUNTY))
    total = selectors.unpaired_households(COUNTY).count()
    assert total > 50  # the generated county has more poor households than a page

    first = county.get(URL).content.decode()
    second = county.get(URL, {"up": "2"}).content.decode()

    page_1, page_2 = _listed(first, "unpaired-list"), _listed(second, "unpaired-list")
    assert len(page_1) == 50
    assert len(page_2) == min(50, total - 50)
    assert not set(page_1) & set(page_2)
    expected = list(selectors.unpaired_households(COUNTY).values_list("code", flat=True)[50:100])
    assert page_2 == expected
    assert "up=2#unpaired" in _section(first, "unpaired-list")


def test_a_division_outside_the_scope_answers_404_and_a_department_user_403(
    township_reviewer: User, poor_household: Household
) -> None:
    other = (
        Division.objects.filter(code__startswith=COUNTY, level=4)
        .exclude(code=poor_household.village_id[:9])
        .first()
    )
    assert other is not None
    client = _client(township_reviewer)

    assert client.get(URL, {"division": other.code}).status_code == 404
    assert client.get(URL, {"division": COUNTY}).status_code == 404
    assert client.get(URL, {"division": "51343"}).status_code == 404
    provider = _client(_user("minzheng", Role.DEPARTMENT_PROVIDER, None))
    assert provider.get(URL).status_code == 403


def test_the_county_drills_down_to_its_townships(cadre: Cadre, registry: object) -> None:
    county = _client(_user("xian", Role.COUNTY_OFFICE, COUNTY))

    html = county.get(URL).content.decode()

    children = re.search(r'<details[^>]*data-testid="children".*?</details>', html, re.S)
    assert children is not None
    township = Household.objects.filter(status="poor").values_list("village_id", flat=True)[0][:9]
    assert f"division={township}" in children.group(0)
    drilled = county.get(URL, {"division": township}).content.decode()
    crumbs = re.search(r'data-testid="breadcrumb">(.*?)</div>', drilled, re.S)
    assert crumbs is not None and f"division={COUNTY}" in crumbs.group(1)


def _assign(households: list[Household], cadres: list[Cadre]) -> None:
    for n, h in enumerate(households):
        _pair(h, cadres[n % len(cadres)])


def test_the_number_of_queries_does_not_grow_with_the_rows(
    registry: object, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    households = list(Household.objects.filter(status="poor").order_by("code")[:21])
    assert len(households) == 21
    cadres = [
        cadre_create(county_code=COUNTY, name=f"干部{n}", unit="县农业农村局", by=None)
        for n in range(4)
    ]
    client = _client(_user("xian", Role.COUNTY_OFFICE, COUNTY))
    _assign(households[:1], cadres)
    client.get(URL)  # warm the session and the content types
    with CaptureQueriesContext(connection) as one:
        response = client.get(URL)
    assert len(_listed(response.content.decode(), "overdue-list")) == 1

    _assign(households[1:21], cadres)
    # The pairings marked their villages for the rollups; the refresh (a fixed number of
    # statements, run by the page before it reads the rollups) is not the page's own work.
    rollups_refresh_dirty()
    with django_assert_max_num_queries(len(one)):
        response = client.get(URL)
    assert len(_listed(response.content.decode(), "overdue-list")) == 21


def test_the_home_page_loads_the_assistance_panel_which_links_to_the_lists(
    cadre: Cadre, township_reviewer: User
) -> None:
    late, _unpaired = _poor_in_one_village(2)
    _pair(late, cadre)
    client = _client(township_reviewer)

    home = client.get("/").content.decode()
    panel = client.get(reverse("web:measures_home_panel")).content.decode()

    assert 'data-testid="assist-panel-lazy"' in home
    assert reverse("web:measures_home_panel") in home
    township = late.village_id[:9]
    summary = selectors.assistance_summary(township, year=2016)
    assert summary.overdue >= 1 and summary.unpaired >= 1
    assert f'data-testid="assist-overdue">{summary.overdue}<' in panel
    assert f'data-testid="assist-unpaired">{summary.unpaired}<' in panel
    assert f'data-testid="assist-poor">{summary.poor}<' in panel
    assert f"{URL}?division={township}" in panel
    assert "#unpaired" in panel and "#visits" in panel
