"""Browser tests: a live server with a real (shared) database, driven by Debian's chromium.

Playwright for Python drives ``/usr/bin/chromium`` (installed with apt: ``make browser-deps``);
it cannot download a browser of its own here. The sync API runs an event loop in this thread,
so Django's async-safety check is switched off for the test process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from fupin.accounts.models import Profile, Role
from fupin.divisions.services import divisions_load

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser-pw-2017"
COUNTY = "513431"
TOWNSHIP_1 = "513431100"  # 新城镇
TOWNSHIP_2 = "513431101"  # 城北镇


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server: LiveServer, transactional_db: None, settings: Any) -> str:
    """The live server's address, over the 昭觉县 divisions, running imports at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    divisions_load(prefix=COUNTY)
    return live_server.url


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def make_user(site: str) -> Callable[[str, Role, str | None], User]:
    def make(username: str, role: Role, division: str | None) -> User:
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        Profile.objects.create(user=user, role=role, division_id=division)
        return user

    return make


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form at /accounts/login/."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
