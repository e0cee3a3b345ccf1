"""In a real browser: a village cadre proposes an exit and takes the village steps, a
township reviewer cannot approve what is not theirs, the county approves and announces, and
the announcement appears on the public notice page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from fupin.accounts.models import Role
from fupin.assessment.services import assessment_run
from fupin.registry.imports.services import registry_import_file
from fupin.registry.models import Household
from fupin.workflows.models import Case
from tests.browser.conftest import COUNTY, sign_in
from tests.conftest import YEAR

pytestmark = pytest.mark.browser


@pytest.fixture
def assessed(site: str, registry_file: Path, settings: object, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    assert registry_import_file(path=registry_file).ok
    assessment_run(division_code=COUNTY, year=YEAR)


def _as(browser: Browser, site: str, username: str) -> Page:
    context = browser.new_context(
        base_url=site, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def test_exit_from_proposal_to_public_announcement(
    assessed: None,
    site: str,
    browser: Browser,
    make_user: Callable[[str, Role, str | None], User],
) -> None:
    household = Household.objects.filter(
        status="poor", assessments__year=YEAR, assessments__meets_standard=True
    ).first()
    assert household is not None
    village = household.village_id
    make_user("cun", Role.VILLAGE_CADRE, village)
    make_user("xiang", Role.TOWNSHIP_REVIEWER, village[:9])
    other = Household.objects.exclude(village__code__startswith=village[:9]).first()
    assert other is not None
    make_user("xiang2", Role.TOWNSHIP_REVIEWER, other.village_id[:9])
    make_user("xian", Role.COUNTY_OFFICE, COUNTY)

    # The village cadre proposes the exit from the household's page, then appraises it with
    # the village meeting, records the household's consent and posts the village notice.
    cadre = _as(browser, site, "cun")
    cadre.goto(f"/households/{household.code}/")
    cadre.get_by_test_id("workflow-link").locator("a").click()
    cadre.locator("[data-testid=open-exit] button[type=submit]").click()
    expect(cadre.get_by_test_id("state")).to_have_text("已提出退出")
    case = Case.objects.get(household=household, procedure="exit")
    cadre.fill("input[name=meeting_date]", "2016-11-01")
    cadre.fill("input[name=attendance]", "30")
    cadre.fill("input[name=votes_for]", "26")
    cadre.fill("input[name=votes_against]", "1")
    cadre.get_by_test_id("act-button").click()
    expect(cadre.get_by_test_id("state")).to_have_text("已民主评议")
    cadre.check("input[name=consent]")
    cadre.get_by_test_id("act-button").click()
    expect(cadre.get_by_test_id("state")).to_have_text("农户已认可")
    cadre.get_by_test_id("act-button").click()
    expect(cadre.get_by_test_id("state")).to_have_text("公示中")
    expect(cadre.get_by_test_id("notices")).to_contain_text("贫困户脱贫退出公示")
    Case.objects.filter(pk=case.pk).update(notice_until=timezone.now() - timedelta(seconds=1))

    # A township reviewer of another township cannot even open the case; the case's own
    # township may read it but the approval is the county's.
    stranger = _as(browser, site, "xiang2")
    response = stranger.goto(f"/workflows/cases/{case.pk}/")
    assert response is not None and response.status == 404
    township = _as(browser, site, "xiang")
    township.goto(f"/workflows/cases/{case.pk}/")
    expect(township.get_by_test_id("why-not")).to_contain_text("只能由县扶贫办办理")
    expect(township.get_by_test_id("act-button")).to_have_count(0)

    # The county approves and announces; the announcement is public.
    county = _as(browser, site, "xian")
    county.goto("/workflows/?waiting=1")
    county.get_by_role("link", name=household.code).or_(
        county.locator(f"a[href='/workflows/cases/{case.pk}/']")
    ).first.click()
    county.fill("textarea[name=note]", "经县扶贫开发领导小组审定，同意退出")
    county.get_by_test_id("act-button").click()
    expect(county.get_by_test_id("state")).to_have_text("公告中")

    public = browser.new_context(base_url=site, viewport={"width": 375, "height": 800})
    anyone = public.new_page()
    anyone.goto("/notices/")
    expect(anyone.locator("main")).to_contain_text("贫困户脱贫退出公告")
