"""The assistance pages on a phone (375 × 800): a 帮扶责任人 records a visit from their own list
in one form, and a village cadre's measure that breaks its rule is refused in Chinese. No page
scrolls sideways. Screenshots go to /tmp/shots-a1/ to be looked at."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from fupin.accounts.models import Role
from fupin.measures.models import Cadre, Measure, Visit
from fupin.measures.services import cadre_create, pairing_assign
from fupin.registry.imports.services import registry_import_table
from fupin.registry.models import Household, Member
from fupin.synth.generator import generate
from tests.browser.conftest import COUNTY, sign_in

MakeUser = Callable[[str, Role, str | None], User]
SHOTS = Path("/tmp/shots-a1")
WIDTH = 375


@pytest.fixture
def phone(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site,
        viewport={"width": WIDTH, "height": 800},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _registry() -> list[Household]:
    table = pa.Table.from_batches(list(generate(division=COUNTY, persons=400, seed=11, year=2016)))
    assert registry_import_table(table_or_batches=table, source="test").ok
    return list(
        Household.objects.filter(status="poor", members__relation="head").order_by("code")[:3]
    )


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= WIDTH, f"the page is {width}px wide at {WIDTH}px"


def test_a_cadre_records_a_visit_at_phone_width(phone: Page, make_user: MakeUser) -> None:
    households = _registry()
    cadre = cadre_create(
        county_code=COUNTY, name="李明", unit="昭觉县农业农村局", post="副局长", by=None
    )
    for h in households:
        pairing_assign(household_code=h.code, cadre=cadre, start=date(2020, 1, 1), by=None)
    user = make_user("bangfu", Role.VILLAGE_CADRE, None)  # a profile placed nowhere
    Cadre.objects.filter(pk=cadre.pk).update(user=user)
    target = households[1]
    head = Member.objects.get(household=target, relation="head")

    sign_in(phone, "bangfu")
    phone.goto("/measures/visits/new/")
    expect(phone.get_by_test_id("picks").locator("label.pick")).to_have_count(len(households))
    _shot(phone, "visit-form")
    _no_sideways_scroll(phone)

    phone.locator("label.pick", has_text=target.code).click()
    phone.fill("textarea[name=content]", "入户了解春耕情况，讲解产业奖补政策")
    phone.fill("textarea[name=next_step]", "下周联系农技员")
    phone.get_by_role("button", name="保存走访记录").click()

    message = phone.locator(".msg-success")
    expect(message).to_contain_text(target.code)
    expect(message).to_contain_text(f"{head.name}家")
    _shot(phone, "visit-saved")
    _no_sideways_scroll(phone)
    visit = Visit.objects.get()
    assert (visit.household_id, visit.cadre_id, visit.date) == (
        target.pk,
        cadre.pk,
        timezone.localdate(),
    )
    # The form is ready for the next household at once.
    expect(phone.locator("input[name=pairing]:checked")).to_have_count(0)
    expect(phone.locator("textarea[name=content]")).to_have_value("")


def test_a_measure_refused_by_its_rule_shows_the_chinese_message(
    phone: Page, make_user: MakeUser
) -> None:
    household = _registry()[0]
    head = Member.objects.get(household=household, relation="head")
    today = timezone.localdate()
    Member.objects.filter(pk=head.pk).update(
        birth_date=today.replace(year=today.year - 71, day=min(today.day, 28))
    )
    make_user("cun", Role.VILLAGE_CADRE, household.village_id)

    sign_in(phone, "cun")
    phone.goto(f"/households/{household.code}/")
    expect(phone.get_by_test_id("assistance")).to_contain_text("尚未落实帮扶措施")
    _shot(phone, "household-section")
    _no_sideways_scroll(phone)

    phone.get_by_test_id("measure-new-link").click()
    expect(phone.locator("[data-loan]")).to_be_hidden()
    phone.select_option("select[name=category]", "microcredit")
    # The sub-types follow the category; the loan's only one is taken, its fields appear.
    expect(phone.locator("select[name=subtype]")).to_have_value("microcredit.loan")
    expect(phone.locator("select[name=subtype] option")).to_have_count(2)
    expect(phone.locator("[data-loan]")).to_be_visible()
    phone.select_option("select[name=member]", head.id_number)
    phone.fill("input[name=amount]", "30000")
    phone.fill("input[name=term_months]", "24")
    phone.select_option("select[name=purpose]", "production")
    _shot(phone, "measure-form")
    _no_sideways_scroll(phone)
    phone.get_by_role("button", name="保存帮扶措施").click()

    problems = phone.get_by_test_id("problems")
    expect(problems).to_contain_text("借款人年龄 71 周岁")
    expect(problems).to_contain_text("65 周岁以下")
    expect(phone.locator("input[name=amount]")).to_have_value("30000")
    expect(phone.locator("[data-loan]")).to_be_visible()
    _shot(phone, "measure-refused")
    _no_sideways_scroll(phone)
    assert not Measure.objects.exists()


def test_a_village_cadre_records_a_visit_for_a_paired_cadre_at_phone_width(
    phone: Page, make_user: MakeUser
) -> None:
    households = _registry()
    first = cadre_create(county_code=COUNTY, name="李明", unit="昭觉县农业农村局", by=None)
    second = cadre_create(county_code=COUNTY, name="王芳", unit="昭觉县教育局", by=None)
    target = households[0]
    pairing_assign(household_code=target.code, cadre=first, start=date(2020, 1, 1), by=None)
    pairing_assign(
        household_code=target.code, cadre=second, start=date(2020, 1, 1), order="second", by=None
    )
    make_user("cun2", Role.VILLAGE_CADRE, target.village_id)

    sign_in(phone, "cun2")
    phone.goto(f"/households/{target.code}/")
    phone.get_by_test_id("visit-new-link").click()
    # Coming from the household page, its first cadre is already chosen.
    chosen = phone.locator("select[name=pairing] option:checked")
    expect(chosen).to_contain_text(target.code)
    expect(chosen).to_contain_text("李明")
    phone.select_option(
        "select[name=pairing]",
        label=phone.locator("select[name=pairing] option", has_text="王芳").inner_text(),
    )
    phone.fill("textarea[name=content]", "代第二帮扶责任人录入：核实务工收入")
    phone.fill("input[name=minutes]", "30")
    _shot(phone, "visit-form-village-cadre")
    _no_sideways_scroll(phone)
    phone.get_by_role("button", name="保存走访记录").click()

    expect(phone.locator(".msg-success")).to_contain_text(target.code)
    assert Visit.objects.get().cadre_id == second.pk
    phone.goto(f"/households/{target.code}/")
    expect(phone.get_by_test_id("visits")).to_contain_text("核实务工收入")
    # Only the cadre who visited shows a last visit.
    cadres = phone.get_by_test_id("cadres").locator("li")
    expect(cadres.filter(has_text="王芳")).to_contain_text("最近走访")
    expect(cadres.filter(has_text="李明")).not_to_contain_text("最近走访")
    phone.get_by_test_id("assistance").screenshot(path=str(SHOTS / "household-section-data.png"))
    _no_sideways_scroll(phone)
