"""What a user does, in a real browser (headless chromium) against a live server.

(a) a village cadre registers a household of three and reads why it is or is not poor;
(b) an uploaded Excel file with one bad row is refused with the error shown;
(c) a township reviewer cannot reach another township's households;
(d) repeated wrong passwords lock the sign-in with a clear message;
(e) the interface switches to English and back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from playwright.sync_api import Page, expect

from fupin.accounts.models import Role
from fupin.registry.imports.services import registry_import_table
from fupin.registry.models import Household
from fupin.synth.generator import generate
from tests.browser.conftest import PASSWORD, TOWNSHIP_1, TOWNSHIP_2, sign_in
from tests.registry.flatfiles import make_id

pytestmark = [pytest.mark.browser]

MakeUser = Callable[[str, Role, str | None], User]


def _registry(township: str, seed: int, persons: int = 30) -> pa.Table:
    return pa.Table.from_batches(list(generate(division=township, persons=persons, seed=seed)))


def _import(township: str, seed: int) -> list[Household]:
    report = registry_import_table(table_or_batches=_registry(township, seed), source="test")
    assert report.ok, report.errors[:3]
    return list(Household.objects.filter(village__code__startswith=township).order_by("code"))


def test_village_cadre_registers_a_household_of_three_and_reads_the_assessment(
    page: Page, make_user: MakeUser
) -> None:
    village = "513431100204"
    make_user("cadre", Role.VILLAGE_CADRE, village)
    sign_in(page, "cadre")
    page.goto("/households/new/")

    page.select_option("select[name=main_cause]", "illness")
    page.fill("input[name=first_identified_year]", "2016")
    people = [
        ("阿苦日体", make_id("1970-03-01", 11), "head"),
        ("吉克阿果", make_id("1972-05-09", 12), "spouse"),
        ("阿苦拉且", make_id("2008-09-20", 13), "son"),
    ]
    for i, (name, id_number, relation) in enumerate(people):
        if i > 0:
            page.click("#add-member")
            expect(page.locator(f"input[name=m-{i}-name]")).to_be_visible()
        page.fill(f"input[name=m-{i}-name]", name)
        page.fill(f"input[name=m-{i}-id_number]", id_number)
        page.select_option(f"select[name=m-{i}-relation]", relation)
        page.select_option(f"select[name=m-{i}-ethnicity]", label="彝族")
    page.locator("main form button[type=submit]:not([name=add_member])").last.click()

    expect(page).to_have_url(re.compile(r"/households/[^/]+/$"))
    assessment = page.get_by_test_id("assessment")
    expect(assessment).to_contain_text("脱贫标准评估")
    expect(assessment.locator(".verdict")).not_to_be_empty()
    expect(assessment.locator("ul.rules li").first).to_be_visible()
    household = Household.objects.get(village_id=village)
    assert household.members.count() == 3


def test_an_excel_file_with_one_bad_row_is_refused_with_its_error(
    page: Page, make_user: MakeUser, tmp_path: Path
) -> None:
    make_user("county", Role.COUNTY_OFFICE, "513431")
    table = _registry(TOWNSHIP_1, seed=3, persons=12).to_pylist()
    table[4]["id_number"] = "51343119800101123X"  # a wrong check character
    path = tmp_path / "户.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    columns = list(table[0])
    sheet.append(columns)
    for row in table:
        sheet.append([row[c] if row[c] is not None else "" for c in columns])
    book.save(path)
    sign_in(page, "county")

    page.goto("/imports/")
    page.set_input_files("input[type=file]", str(path))
    page.locator("main form button[type=submit]").last.click()

    expect(page.get_by_role("alert")).to_contain_text("1 处错误")
    expect(page.get_by_test_id("errors-link")).to_be_visible()
    expect(page.locator("main")).to_contain_text("校验码")  # the error itself, in Chinese
    assert not Household.objects.filter(village__code__startswith=TOWNSHIP_1).exists()


def test_township_reviewer_cannot_see_another_townships_households(
    page: Page, make_user: MakeUser
) -> None:
    own = _import(TOWNSHIP_1, seed=1)
    other = _import(TOWNSHIP_2, seed=2)
    make_user("reviewer", Role.TOWNSHIP_REVIEWER, TOWNSHIP_1)
    sign_in(page, "reviewer")

    page.goto("/households/")
    listing = page.locator("main").inner_text()
    assert own[0].code in listing
    assert not any(h.code in listing for h in other)
    response = page.goto(f"/households/{other[0].code}/")
    assert response is not None and response.status == 404


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_passwords_lock_sign_in_with_a_message(
    page: Page, make_user: MakeUser
) -> None:
    make_user("cadre", Role.VILLAGE_CADRE, "513431100204")
    for _ in range(3):
        sign_in(page, "cadre", "wrong-password")

    sign_in(page, "cadre", PASSWORD)

    alert = page.locator("[data-code=LOGIN_LOCKED]")
    expect(alert).to_contain_text("登录已暂停")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_language_switches_to_english_and_back(page: Page, make_user: MakeUser) -> None:
    make_user("cadre", Role.VILLAGE_CADRE, "513431100204")
    sign_in(page, "cadre")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.click("form.langform button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.click("form.langform button[value=zh-hans]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("body")).to_contain_text("首页")
