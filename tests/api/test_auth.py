"""Who may call the API: a valid token or a signed-in session; anyone else gets 401 JSON."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fupin.accounts.models import ApiToken
from fupin.accounts.services import api_token_create, api_token_revoke
from tests.api.conftest import Api, bearer

pytestmark = pytest.mark.usefixtures("registry")


def assert_unauthenticated(api: Api) -> None:
    status, body = api.get("/households")
    assert status == 401
    assert body["code"] == "UNAUTHENTICATED"
    assert "令牌" in body["message"]


def test_anonymous_gets_401_json_with_code_and_chinese_message(client):
    assert_unauthenticated(Api(client))


def test_a_good_token_authenticates_and_notes_its_use(client, make_user):
    user = make_user("county", "513431")
    token, secret = api_token_create(user=user, name="民政系统")
    status, body = Api(client, {"Authorization": f"Bearer {secret}"}).get("/households")
    assert status == 200 and body["count"] > 0
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_only_a_digest_of_the_secret_is_stored(make_user):
    token, secret = api_token_create(user=make_user("county", "513431"), name="民政系统")
    assert secret.startswith("fupin_") and len(secret) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in stored.key_hash and len(stored.key_hash) == 64


@pytest.mark.parametrize(
    "header",
    ["Bearer fupin_not-a-real-secret", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz", "Bearer x y"],
)
def test_a_bad_token_gets_401(client, make_user, header):
    assert_unauthenticated(Api(client, {"Authorization": header}))


def test_a_revoked_token_gets_401(client, make_user):
    user = make_user("county", "513431")
    token, secret = api_token_create(user=user, name="民政系统")
    api_token_revoke(token=token, by=user)
    assert_unauthenticated(Api(client, {"Authorization": f"Bearer {secret}"}))


def test_an_expired_token_gets_401(client, make_user):
    user = make_user("county", "513431")
    token, secret = api_token_create(user=user, name="民政系统", days=30)
    api = Api(client, {"Authorization": f"Bearer {secret}"})
    assert api.get("/households")[0] == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_unauthenticated(api)


def test_the_token_of_an_inactive_user_gets_401(client, make_user):
    user = make_user("county", "513431")
    headers = bearer(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_unauthenticated(Api(client, headers))


def test_the_session_of_the_web_pages_works_too(client, make_user):
    client.force_login(make_user("county", "513431"))
    status, body = Api(client).get("/households")
    assert status == 200 and body["count"] > 0


def test_the_session_of_an_inactive_user_gets_401(client, make_user):
    user = make_user("county", "513431")
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_unauthenticated(Api(client))


def test_session_writes_need_the_csrf_token(make_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("county", "513431"))
    response = client.post("/api/v1/households", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "CSRF_FAILED"


def test_token_writes_need_no_csrf_token(make_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    headers = bearer(make_user("county", "513431"))
    response = client.post(
        "/api/v1/households", {}, content_type="application/json", headers=headers
    )
    assert response.status_code == 422  # past authentication, refused by validation


def test_only_the_owner_or_an_administrator_may_revoke(make_user):
    from fupin.common.errors import FupinError

    owner = make_user("owner", "513431")
    token, _ = api_token_create(user=owner, name="民政系统")
    with pytest.raises(FupinError) as err:
        api_token_revoke(token=token, by=make_user("other", "513431"))
    assert err.value.code == "TOKEN_REVOKE_FORBIDDEN"
    api_token_revoke(token=token, by=make_user("root", superuser=True))
    token.refresh_from_db()
    assert token.revoked


@pytest.mark.parametrize(
    ("name", "days", "code"),
    [
        ("", None, "TOKEN_NAME_INVALID"),
        ("x", 0, "TOKEN_DAYS_INVALID"),
        ("x", 99999, "TOKEN_DAYS_INVALID"),
    ],
)
def test_token_create_refuses_bad_input(make_user, name, days, code):
    from fupin.common.errors import FupinError

    with pytest.raises(FupinError) as err:
        api_token_create(user=make_user("county", "513431"), name=name, days=days)
    assert err.value.code == code


# --- tokens in the admin ----------------------------------------------------------------------


def test_the_token_admin_is_for_administrators_only(client, make_user):
    staff = make_user("staff", "513431")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client.force_login(staff)
    assert client.get("/admin/accounts/apitoken/").status_code == 403
    admin = make_user("root", superuser=True)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    assert client.get("/admin/accounts/apitoken/").status_code == 200


def test_an_administrator_creates_a_token_in_the_admin_and_sees_the_secret_once(client, make_user):
    admin = make_user("root", superuser=True)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    system = make_user("minzheng", "513431")
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/apitoken/add/",
        {"user": system.pk, "name": "民政系统", "days": "7"},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    secret = next(m.split("：")[-1] for m in shown if "只显示这一次" in m)
    token = ApiToken.objects.get(user=system)
    assert token.expires_at is not None and secret not in token.key_hash
    status, _ = Api(client.__class__(), {"Authorization": f"Bearer {secret}"}).get("/households")
    assert status == 200
    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.revoked
