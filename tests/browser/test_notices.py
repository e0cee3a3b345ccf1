"""In a real browser: a notice is published, read by the public, objected to and resolved."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from playwright.sync_api import Browser, Page, expect

from fupin.accounts.models import Profile, Role
from fupin.notices.models import NoticeObjection
from fupin.registry.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


# The browser is the session's (tests/browser/conftest.py): a second sync_playwright() in a
# process whose session browser already runs Playwright's event loop would be refused.


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_notice_is_published_viewed_objected_to_and_resolved(
    registry: Path, live_server, browser: Browser
) -> None:
    village = (
        Household.objects.values("village_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=3)
        .order_by("-n")
        .first()["village_id"]
    )
    cadre = get_user_model().objects.create_user("cun", password=PASSWORD)
    Profile.objects.create(user=cadre, role=Role.VILLAGE_CADRE, division_id=village)
    base = live_server.url

    # The village cadre picks two households of the village and publishes the first notice.
    staff = browser.new_page()
    _sign_in(staff, base, "cun")
    staff.goto(f"{base}/notices/manage/new/")
    staff.select_option("select[name=kind]", "identification_first")
    boxes = staff.locator("input[name=households]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    staff.get_by_role("button", name="发布").click()
    expect(staff.locator(".msg-success")).to_contain_text("已发布公示")
    title = staff.locator("h1").inner_text()

    # Anyone reads it without an account, at phone width, and objects to one household.
    public = browser.new_page(viewport={"width": 375, "height": 800})
    public.goto(f"{base}/notices/")
    public.get_by_role("link", name=title).click()
    expect(public.get_by_test_id("notice-entries").locator("tbody tr")).to_have_count(2)
    public.select_option("select[name=entry]", index=1)
    public.fill("textarea[name=text]", "该户家里有小汽车，不符合条件")
    public.fill("input[name=contact]", "13812345678")
    public.get_by_role("button", name="提交异议").click()
    expect(public.get_by_test_id("objection-received")).to_contain_text("您的异议已收到")
    assert "13812345678" not in public.content()

    # The cadre sees the objection with its private contact and resolves it.
    staff.reload()
    objection = staff.get_by_test_id("objection")
    expect(objection).to_contain_text("该户家里有小汽车")
    expect(objection).to_contain_text("13812345678")
    objection.locator("select[name=outcome]").select_option("dismissed")
    objection.locator("textarea[name=note]").fill("经入户核实，车辆为亲戚所有，符合条件")
    objection.get_by_role("button", name="提交处理结果").click()
    expect(staff.locator(".msg-success")).to_contain_text("异议已处理")
    expect(staff.get_by_test_id("objection")).to_contain_text("异议不成立")
    assert NoticeObjection.objects.get().status == "dismissed"
