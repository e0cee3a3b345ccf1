"""Sign-in, lockout after repeated failures, sign-out, password change, session expiry."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.test import Client

from fupin.accounts.models import Role
from tests.web.conftest import PASSWORD


@pytest.fixture
def cadre(divisions: None, make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("cadre", Role.VILLAGE_CADRE, "513431100200")


def login(client: Client, username: str, password: str) -> object:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_pages_send_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_htmx_requests_of_anonymous_visitors_reload_the_sign_in_page(
    client: Client, db: None
) -> None:
    response = client.get("/", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/"


def test_sign_in_page_is_in_chinese_and_declares_utf8(client: Client, db: None) -> None:
    html = client.get("/accounts/login/").content.decode()

    assert '<meta charset="utf-8">' in html
    assert "登录" in html and 'lang="zh-hans"' in html


def test_cadre_signs_in_and_sees_their_village_and_role(
    client: Client, cadre: AbstractUser
) -> None:
    response = login(client, "cadre", PASSWORD)
    assert response.status_code == 302  # type: ignore[attr-defined]

    html = client.get("/").content.decode()
    assert "村干部/第一书记" in html
    assert "四川省 凉山彝族自治州 昭觉县" in html


def test_wrong_password_is_refused_with_a_chinese_message(
    client: Client, cadre: AbstractUser
) -> None:
    response = login(client, "cadre", "wrong")

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "用户名或密码不正确" in response.content.decode()  # type: ignore[attr-defined]
    assert client.get("/").status_code == 302


def test_five_failures_lock_the_account_out_even_with_the_right_password(
    client: Client, cadre: AbstractUser
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "cadre", "wrong")

    response = login(client, "cadre", PASSWORD)

    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "LOGIN_LOCKED" in response.content.decode()  # type: ignore[attr-defined]
    assert client.get("/").status_code == 302  # still signed out


def test_a_lockout_of_one_user_leaves_another_user_alone(
    client: Client, cadre: AbstractUser, make_user: Callable[..., AbstractUser]
) -> None:
    make_user("other", Role.VILLAGE_CADRE, "513431100200")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "cadre", "wrong")

    response = login(client, "other", PASSWORD)

    assert response.status_code == 302  # type: ignore[attr-defined]


def test_sign_out_ends_the_session(client: Client, cadre: AbstractUser) -> None:
    login(client, "cadre", PASSWORD)

    client.post("/accounts/logout/")

    assert client.get("/").status_code == 302


def test_password_change_needs_the_old_password_and_takes_effect(
    client: Client, cadre: AbstractUser
) -> None:
    login(client, "cadre", PASSWORD)
    new = "a-new-longer-password-2017"

    bad = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": new, "new_password2": new},
    )
    assert bad.status_code == 200
    good = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert good.status_code == 302

    cadre.refresh_from_db()
    assert cadre.check_password(new)


def test_sessions_expire_when_idle_and_with_the_browser() -> None:
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST  # idle time, not time since sign-in
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_an_expired_session_is_signed_out(client: Client, cadre: AbstractUser) -> None:
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    login(client, "cadre", PASSWORD)
    Session.objects.update(expire_date=timezone.now())

    assert client.get("/").status_code == 302


def test_pages_are_chinese_whatever_the_browser_asks_until_the_user_switches(
    client: Client, db: None
) -> None:
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    html = client.get("/accounts/login/", headers=english_browser).content.decode()
    assert 'lang="zh-hans"' in html

    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    html = client.get("/accounts/login/", headers=english_browser).content.decode()
    assert 'lang="en"' in html
