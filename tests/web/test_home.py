"""The home page: the rollups of the user's division, drill-down inside the scope only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from fupin.accounts.models import Role
from fupin.assessment.services import assessment_run
from fupin.registry.models import Household, Member
from fupin.reports.models import DirtyVillage
from tests.conftest import COUNTY, YEAR

SignIn = Callable[[AbstractUser], Client]
MakeUser = Callable[..., AbstractUser]


@pytest.fixture
def assessed(registry: Path) -> None:
    assessment_run(division_code=COUNTY, year=YEAR)


def _chart(html: str, chart_id: str) -> dict:  # type: ignore[type-arg]
    start = html.index(f'id="{chart_id}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])  # type: ignore[no-any-return]


def _num(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}">') + len(f'data-testid="{testid}">')
    return html[start : html.index("<", start)]


@pytest.mark.usefixtures("assessed")
def test_county_home_shows_the_county_figures_refreshed_from_dirty_marks(
    make_user: MakeUser, signed_in: SignIn
) -> None:
    assert DirtyVillage.objects.exists()  # the import marked its villages; nothing rolled up
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert not DirtyVillage.objects.exists()
    assert _num(html, "households") == str(Household.objects.count())
    assert _num(html, "poor") == str(Household.objects.filter(status="poor").count())
    assert "昭觉县" in html and "未脱贫人口 ÷ 建档立卡人口" in html
    failed = _chart(html, "chart-failed")
    assert failed["yAxis"]["data"][0] == "收入超过扶贫标准"
    assert (
        failed["series"][0]["data"][0]
        == Household.objects.filter(
            assessments__year=YEAR, assessments__failed_codes__contains="INCOME_ABOVE_LINE"
        ).count()
    )
    assert "echarts.min.js" in html


@pytest.mark.usefixtures("assessed")
def test_drill_down_links_only_to_children_inside_the_scope(
    make_user: MakeUser, signed_in: SignIn
) -> None:
    village = Household.objects.values_list("village_id", flat=True).first()
    assert village
    township = village[:9]
    client = signed_in(make_user("township", Role.TOWNSHIP_REVIEWER, township))

    html = client.get("/").content.decode()

    assert f"?division={village}&amp;year={YEAR}" in html
    links = {u["url"] for u in _chart(html, "chart-incidence")["series"][0]["data"]}
    assert links and all(f"division={township}" in u for u in links)
    # No link to the county or another township; the breadcrumb starts at the township.
    assert f"division={COUNTY}&" not in html
    crumbs = html[
        html.index('data-testid="breadcrumb"') : html.index(
            "</nav>", html.index('data-testid="breadcrumb"')
        )
    ]
    assert "昭觉县" not in crumbs


@pytest.mark.usefixtures("assessed")
def test_a_child_page_shows_that_division_and_its_persons(
    make_user: MakeUser, signed_in: SignIn
) -> None:
    village = Household.objects.values_list("village_id", flat=True).first()
    assert village
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    html = client.get("/", {"division": str(village), "year": str(YEAR)}).content.decode()

    assert _num(html, "households") == str(Household.objects.filter(village_id=village).count())
    persons = Member.objects.filter(household__village_id=village).count()
    assert f"{persons} 人" in html
    assert 'data-testid="children"' not in html  # a village has no children


@pytest.mark.usefixtures("assessed")
@pytest.mark.parametrize("division", ["51", "513432", "5134311", "abc", ""])
def test_out_of_scope_or_bad_division_answers_404(
    make_user: MakeUser, signed_in: SignIn, division: str
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    assert client.get("/", {"division": division}).status_code == 404


@pytest.mark.usefixtures("assessed")
def test_national_user_sees_the_country_and_provinces(
    make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("national", Role.ANALYST, None))

    html = client.get("/").content.decode()

    assert "全国" in html
    assert _num(html, "households") == str(Household.objects.count())
    assert "?division=51&amp;year=2016" in html  # 四川省, the only province with households


def test_empty_database_shows_zeros_and_a_note(
    divisions: None, make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert _num(html, "households") == "0"
    assert 'data-testid="empty"' in html


@pytest.mark.usefixtures("assessed")
def test_a_bad_year_is_named_and_the_latest_shown(make_user: MakeUser, signed_in: SignIn) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    html = client.get("/", {"year": "明年"}).content.decode()

    assert "年度“明年”无效" in html
    assert _num(html, "households") == str(Household.objects.count())


def test_a_department_provider_sees_no_registry_figures(
    divisions: None, make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("dept", Role.DEPARTMENT_PROVIDER, None))

    html = client.get("/").content.decode()

    assert 'data-testid="cards"' not in html
