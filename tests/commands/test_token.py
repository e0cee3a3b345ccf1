"""``fupin token create USERNAME``: a token for another system, its secret printed once."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from fupin.accounts.models import ApiToken
from fupin.accounts.services import api_token_authenticate
from fupin.commands import token


@pytest.fixture(autouse=True)
def no_migrate(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test database is migrated already; migrating inside the test transaction is not ours.
    monkeypatch.setattr(token, "setup_django", lambda **_: None)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fupin")
    token.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.mark.django_db
def test_create_prints_the_secret_alone_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    user = get_user_model().objects.create_user("minzheng", password="pw-123456789")
    assert run(["token", "create", "minzheng", "--name", "民政系统", "--days", "30"]) == 0
    out, err = capsys.readouterr()
    secret = out.strip()
    assert "\n" not in secret and secret.startswith("fupin_")
    assert "只显示这一次" in err and "民政系统" in err
    stored = ApiToken.objects.get(user=user)
    assert stored.name == "民政系统" and secret not in stored.key_hash
    assert stored.expires_at is not None
    assert timedelta(days=29) < stored.expires_at - timezone.now() <= timedelta(days=30)
    assert api_token_authenticate(secret=secret) == user


@pytest.mark.django_db
def test_without_days_the_token_does_not_expire(capsys: pytest.CaptureFixture[str]) -> None:
    get_user_model().objects.create_user("minzheng", password="pw-123456789")
    assert run(["token", "create", "minzheng"]) == 0
    assert ApiToken.objects.get().expires_at is None
    assert "长期有效" in capsys.readouterr().err


@pytest.mark.django_db
def test_an_unknown_user_exits_1_with_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["token", "create", "nobody"]) == 1
    assert "USER_UNKNOWN" in capsys.readouterr().err
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "-3", "100000"])
def test_bad_days_exit_1_with_code(capsys: pytest.CaptureFixture[str], days: str) -> None:
    get_user_model().objects.create_user("minzheng", password="pw-123456789")
    assert run(["token", "create", "minzheng", "--days", days]) == 1
    assert "TOKEN_DAYS_INVALID" in capsys.readouterr().err


@pytest.mark.django_db
def test_an_inactive_user_gets_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    get_user_model().objects.create_user("old", password="pw-123456789", is_active=False)
    assert run(["token", "create", "old"]) == 1
    assert "USER_INACTIVE" in capsys.readouterr().err


def test_the_fupin_command_lists_token() -> None:
    from fupin.cli import build_parser

    assert "token" in build_parser().format_help()
