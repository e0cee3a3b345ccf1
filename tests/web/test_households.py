"""The household list and the household page: filters, search, masking, scope, history."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from fupin.accounts.models import Role
from fupin.assessment.services import assessment_run
from fupin.registry.models import Household, Member
from fupin.registry.services import conditions_update
from fupin.web.views.households import PAGE_SIZE

COUNTY = "513431"
SignIn = Callable[[AbstractUser], Client]


@pytest.fixture
def assessed(registry: Path) -> None:
    assessment_run(division_code=COUNTY, year=2016)


@pytest.fixture
def county(registry: Path, make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("county", Role.COUNTY_OFFICE, COUNTY)


def two_townships() -> tuple[str, str]:
    townships = sorted({v[:9] for v in Household.objects.values_list("village_id", flat=True)})
    return townships[0], townships[1]


def codes_in(html: str) -> list[str]:
    """The 户编号 linked from the list's table."""
    table = html.split('<div id="household-table">', 1)[-1]
    return re.findall(r'href="/households/([^/"]+)/"', table)


def test_list_shows_one_page_of_households_in_code_order_with_a_count(
    signed_in: SignIn, county: AbstractUser
) -> None:
    html = signed_in(county).get("/households/").content.decode()

    codes = codes_in(html)
    expected = list(Household.objects.order_by("code").values_list("code", flat=True)[:PAGE_SIZE])
    assert codes == expected
    assert f"共 {Household.objects.count()} 户" in html
    assert 'hx-get="/households/"' in html and 'hx-push-url="true"' in html


def test_next_page_continues_after_the_last_code(signed_in: SignIn, county: AbstractUser) -> None:
    client = signed_in(county)
    first = codes_in(client.get("/households/").content.decode())

    html = client.get("/households/", {"after": first[-1]}).content.decode()

    expected = list(
        Household.objects.order_by("code").values_list("code", flat=True)[PAGE_SIZE : 2 * PAGE_SIZE]
    )
    assert codes_in(html) == expected
    assert "上一页" in html and "第一页" in html


def test_previous_page_goes_back_before_the_first_code(
    signed_in: SignIn, county: AbstractUser
) -> None:
    all_codes = list(Household.objects.order_by("code").values_list("code", flat=True))

    html = signed_in(county).get("/households/", {"before": all_codes[PAGE_SIZE]}).content.decode()

    assert codes_in(html) == all_codes[:PAGE_SIZE]


def test_list_filters_by_status_attribute_and_cause(
    signed_in: SignIn, county: AbstractUser
) -> None:
    params = {"status": "poor", "attribute": "dibao", "cause": "illness"}

    html = signed_in(county).get("/households/", params).content.decode()

    shown = set(codes_in(html))
    assert shown
    for h in Household.objects.filter(code__in=shown):
        assert h.status == "poor" and h.attribute == "dibao"
        assert "illness" in (h.main_cause, h.other_cause_1, h.other_cause_2)


def test_list_filters_by_failing_guarantee_and_shows_it_in_short_chinese(
    signed_in: SignIn, county: AbstractUser, assessed: None
) -> None:
    html = signed_in(county).get("/households/", {"failing": "HOUSING_SAFE"}).content.decode()

    shown = codes_in(html)
    assert shown
    assert html.count("未达标：") >= len(shown)
    assert "住房" in html


def test_list_filters_by_village(signed_in: SignIn, county: AbstractUser) -> None:
    village = Household.objects.order_by("code").values_list("village_id", flat=True).first()
    assert village

    html = signed_in(county).get("/households/", {"village": village}).content.decode()

    assert set(codes_in(html)) == set(
        Household.objects.filter(village_id=village).values_list("code", flat=True)
    )


def test_search_by_name_finds_the_household(signed_in: SignIn, county: AbstractUser) -> None:
    head = Member.objects.filter(relation="head").select_related("household").order_by("pk")[7]

    html = signed_in(county).get("/households/", {"q": head.name}).content.decode()

    assert head.household.code in codes_in(html)


def test_search_by_id_number_finds_the_household_but_shows_it_masked(
    signed_in: SignIn, county: AbstractUser
) -> None:
    head = Member.objects.filter(relation="head").select_related("household").order_by("pk")[3]

    html = signed_in(county).get("/households/", {"q": head.id_number}).content.decode()

    assert codes_in(html) == [head.household.code]
    page = html.split('<div id="household-table">', 1)[1].split("</table>")[0]
    assert head.id_number not in page
    assert f"{head.id_number[:6]}********{head.id_number[-4:]}" in page


def test_list_never_shows_an_id_number_in_full(signed_in: SignIn, county: AbstractUser) -> None:
    html = signed_in(county).get("/households/").content.decode()

    assert re.search(r"\d{17}[\dX]", html) is None
    assert re.search(r"\d{6}\*{8}[\dX]{4}", html)


def test_htmx_filter_answers_only_the_table(signed_in: SignIn, county: AbstractUser) -> None:
    response = signed_in(county).get(
        "/households/",
        {"status": "poor"},
        headers={"HX-Request": "true", "HX-Target": "household-table"},
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="household-table">')
    assert "<html" not in html


def test_township_user_sees_only_their_township(
    signed_in: SignIn, registry: Path, make_user: Callable[..., AbstractUser]
) -> None:
    mine, other = two_townships()
    user = make_user("township", Role.TOWNSHIP_REVIEWER, mine)
    client = signed_in(user)

    shown = codes_in(client.get("/households/").content.decode())
    outside = Household.objects.filter(village__code__startswith=other).order_by("code").first()
    assert outside is not None

    assert shown and all(Household.objects.get(code=c).village_id.startswith(mine) for c in shown)
    assert client.get(f"/households/{outside.code}/").status_code == 404
    assert codes_in(client.get("/households/", {"q": outside.code}).content.decode()) == []
    assert codes_in(client.get("/households/", {"village": other}).content.decode()) == []


def test_village_picker_offers_only_villages_in_scope(
    signed_in: SignIn, registry: Path, make_user: Callable[..., AbstractUser]
) -> None:
    mine, other = two_townships()
    user = make_user("township", Role.TOWNSHIP_REVIEWER, mine)

    html = signed_in(user).get("/households/").content.decode()

    assert f'value="{mine}' in html
    assert f'value="{other}' not in html


def test_missing_household_is_404(signed_in: SignIn, county: AbstractUser) -> None:
    assert signed_in(county).get("/households/NO-SUCH/").status_code == 404


def test_users_without_the_right_are_refused(
    signed_in: SignIn, registry: Path, make_user: Callable[..., AbstractUser]
) -> None:
    user = make_user("dept", Role.DEPARTMENT_PROVIDER, None)
    client = signed_in(user)

    assert client.get("/households/").status_code == 403
    code = Household.objects.values_list("code", flat=True).first()
    assert client.get(f"/households/{code}/").status_code == 403


def test_household_page_shows_members_in_full_income_conditions_and_assessment(
    signed_in: SignIn, county: AbstractUser
) -> None:
    household = Household.objects.filter(incomes__isnull=False).order_by("code").first()
    assert household is not None
    head = household.members.get(relation="head")

    html = signed_in(county).get(f"/households/{household.code}/").content.decode()

    assert head.id_number in html  # in scope: the full number on the household page
    assert html.index(head.name) < html.index("家庭成员")  # the head names the page
    assert "脱贫标准评估" in html and "收入超过扶贫标准" in html and "住房安全有保障" in html
    assert "人均纯收入" in html and "纯收入" in html
    assert "危房级别" in html
    assert "批量导入" in html  # where the facts came from


def test_household_page_shows_history_newest_first_with_before_and_after(
    signed_in: SignIn, county: AbstractUser
) -> None:
    household = Household.objects.filter(conditions__isnull=False).order_by("code").first()
    assert household is not None
    conditions_update(household=household, data={"house_grade": "D级"}, by=county)
    conditions_update(household=household, data={"house_grade": "否"}, by=county)

    html = signed_in(county).get(f"/households/{household.code}/").content.decode()

    history = html.split('data-testid="history"', 1)[1]
    assert history.count("更新生产生活条件") == 2
    first, second = history.index("<del>D级</del> → 否"), history.index("→ D级")
    assert first < second  # newest first
    assert "county" in history
