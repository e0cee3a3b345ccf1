"""Deep-poverty pages in a real browser: the ranking chart draws, the province designates
ticked candidates, and the prefecture's home page loads its panel with the map's boundaries."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from fupin.accounts.models import Role
from fupin.analysis.models import DesignatedArea, Designation
from fupin.divisions.services import divisions_load
from fupin.registry.imports.services import registry_import_table
from fupin.reports.services import rollups_refresh
from fupin.synth.generator import generate
from fupin.synth.village_facts import village_facts_generate
from tests.browser.conftest import COUNTY, sign_in

MakeUser = Callable[[str, Role, str | None], User]


def _registry() -> None:
    table = pa.Table.from_batches(list(generate(division=COUNTY, persons=600, seed=5, year=2016)))
    assert registry_import_table(table_or_batches=table, source="test").ok
    rollups_refresh(division_code=COUNTY)
    village_facts_generate(county_code=COUNTY, year=2016, seed=5, depth=0.3)


def test_the_province_ranks_villages_and_designates_the_ticked_ones(
    page: Page, make_user: MakeUser
) -> None:
    divisions_load(prefix="51")
    _registry()
    make_user("sc", Role.COUNTY_OFFICE, "51")
    sign_in(page, "sc")
    page.goto("/analysis/deep-poverty/?division=51&year=2016&rules=national-village@2017")
    expect(page.get_by_test_id("dp-table")).to_be_visible()
    expect(page.locator("[data-chart=chart-dp] canvas")).to_have_count(1)
    ticked = page.locator("input[name=areas]:checked")
    n = ticked.count()
    assert n > 0  # candidates come ticked
    page.fill("input[name=title]", "深度贫困村名单（浏览器测试）")
    page.fill("input[name=document_number]", "测〔2017〕1号")
    page.get_by_role("button", name="录入认定（勾选的区划）").click()
    expect(page.get_by_test_id("designation-areas")).to_be_visible()
    d = Designation.objects.get()
    assert DesignatedArea.objects.filter(designation=d).count() == n


def test_the_prefecture_home_loads_the_panel_and_draws_its_counties(
    page: Page, make_user: MakeUser
) -> None:
    _registry()
    make_user("pref", Role.ANALYST, COUNTY[:4])
    sign_in(page, "pref")
    page.goto("/?year=2016")
    panel = page.get_by_test_id("dp-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-chart=chart-dp-ranking] canvas")).to_have_count(1)
    # The map draws once the GeoJSON of 凉山州's counties has been fetched and registered.
    expect(panel.locator("[data-chart=chart-dp-map] canvas")).to_have_count(1)
    assert page.evaluate("() => !!window.echarts.getMap('fupin-5134')")
