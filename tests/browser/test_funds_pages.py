"""The project library in a real browser: a village proposes a project and posts its notice,
the township reviews it and posts the second notice, the county approves it and posts the
library notice, which the public reads. The ten days of each notice are made to pass by moving
the notice's period back (the pages post it "now")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from fupin.accounts.models import Role
from fupin.divisions.models import Division
from fupin.funds.models import Project
from fupin.notices.models import Notice
from tests.browser.conftest import TOWNSHIP_1, sign_in

MakeUser = Callable[[str, Role, str | None], User]


def _let_the_notice_run(kind: str) -> None:
    """The notice of ``kind`` was up for the last 12 days (and has ended)."""
    now = timezone.now()
    Notice.objects.filter(kind=kind).update(
        starts_at=now - timedelta(days=13), ends_at=now - timedelta(days=1)
    )


def _as(page: Page, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, username)
    expect(page.get_by_test_id("place")).to_be_visible()
    page.wait_for_load_state("networkidle")  # the home page's panels have loaded


def test_a_village_proposes_the_township_reviews_the_county_approves_and_it_is_public(
    page: Page, make_user: MakeUser
) -> None:
    village = Division.objects.filter(code__startswith=TOWNSHIP_1, level=5).order_by("code")[0]
    make_user("cun", Role.VILLAGE_CADRE, village.code)
    make_user("xiang", Role.TOWNSHIP_REVIEWER, TOWNSHIP_1)
    make_user("xian", Role.COUNTY_OFFICE, TOWNSHIP_1[:6])
    proposed = (timezone.localdate() - timedelta(days=30)).isoformat()

    # The village proposes, with the budget by source adding up, and posts its notice.
    _as(page, "cun")
    page.goto("/funds/")  # a village cadre lands on the village's page
    expect(page.get_by_test_id("village-summary")).to_be_visible()
    page.get_by_role("button", name="申报项目").click()
    form = page.get_by_test_id("project-form")
    form.get_by_label("项目名称").fill("村级光伏电站")
    form.get_by_label("项目类别").select_option("photovoltaic")
    form.get_by_label("中央财政专项扶贫资金（扶贫发展）").fill("300000")
    form.get_by_label("县级财政专项扶贫资金").fill("100000")
    form.get_by_label("总投资（元）").fill("400000")
    form.get_by_label("入股分红（折股量化）").check()
    form.get_by_label("绩效目标").fill("年发电收益 4 万元")
    form.get_by_label("预计受益户数").fill("80")
    form.get_by_label("申报日期").fill(proposed)
    form.get_by_role("button", name="申报").click()
    expect(page.get_by_test_id("status")).to_have_text("已申报")
    project = Project.objects.get()
    assert project.code == f"{village.code}-{proposed[:4]}-001"
    page.get_by_test_id("notice-form").get_by_role("button").click()
    expect(page.get_by_test_id("notices")).to_contain_text("村级公示")
    _let_the_notice_run("project_village")

    # The township reviews and posts the second notice.
    _as(page, "xiang")
    page.goto(f"/funds/projects/{project.code}/")
    page.locator("form[data-step=reviewed] button").click()
    expect(page.get_by_test_id("status")).to_have_text("乡镇已审核")
    page.get_by_test_id("notice-form").get_by_role("button").click()
    expect(page.get_by_test_id("notices")).to_contain_text("乡镇公示")
    _let_the_notice_run("project_township")

    # The county approves and announces the library entry.
    _as(page, "xian")
    page.goto("/funds/projects/")
    page.get_by_role("link", name="村级光伏电站").click()
    page.locator("form[data-step=approved] button").click()
    expect(page.get_by_test_id("status")).to_have_text("县级已审定入库")
    expect(page.get_by_test_id("fund-form")).to_be_visible()
    page.get_by_test_id("notice-form").get_by_role("button").click()
    expect(page.get_by_test_id("notices")).to_contain_text("县级项目库入库公告")

    # The public reads the announcement, with no one named.
    notice = Notice.objects.get(kind="project_library")
    page.context.clear_cookies()
    page.goto(f"/notices/{notice.pk}/")
    expect(page.locator("main")).to_contain_text("村级光伏电站")
    project.refresh_from_db()
    assert project.status == "approved"
