"""Issue 14, "Default secret key": the server refuses the public key outside dev mode, and a
documented production profile passes ``manage.py check --deploy`` with 0 warnings."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

FUPIN = str(Path(sys.executable).with_name("fupin"))
ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ" * 2


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # the test run's own settings (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which a
        # deployment must not: check --deploy rightly fails on it) stay out of the child
        if k
        not in (
            "DATABASE_URL",
            "FUPIN_SECRET_KEY",
            "FUPIN_DEV",
            "FUPIN_DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
    }
    env.update(FUPIN_HOME=str(home), FUPIN_NO_PROGRESS="1", **extra)
    return env


def test_serve_refuses_to_start_with_the_public_key(tmp_path):
    """Issue 14: "Refuse to start outside dev mode without a key" — `fupin serve` without
    FUPIN_SECRET_KEY exits 1 with the stable code and a Chinese message, before serving."""
    done = subprocess.run(
        [FUPIN, "serve", "--port", "18999", "--no-tasks"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "SECRET_KEY_MISSING" in done.stderr
    assert "FUPIN_SECRET_KEY" in done.stderr and "密钥" in done.stderr


def test_serve_refuses_a_short_key(tmp_path):
    """Issue 14: a key Django itself calls weak (< 50 characters) is refused as well."""
    done = subprocess.run(
        [FUPIN, "serve", "--port", "18999", "--no-tasks"],
        env=_env(tmp_path, FUPIN_SECRET_KEY="short"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "SECRET_KEY_WEAK" in done.stderr


def test_secret_key_check_modes(monkeypatch):
    """Dev mode (FUPIN_DEV=1, FUPIN_DEBUG=1, the demo) keeps the fallback key; a real key
    passes outside dev mode; without one outside dev mode the check refuses."""
    from fupin.common.errors import FupinError
    from fupin.config.startup import DEV_SECRET_KEY, secret_key_check

    secret_key_check(key=DEV_SECRET_KEY, dev=True)
    secret_key_check(key=STRONG_KEY, dev=False)
    with pytest.raises(FupinError) as exc:
        secret_key_check(key=DEV_SECRET_KEY, dev=False)
    assert exc.value.code == "SECRET_KEY_MISSING"
    monkeypatch.setenv("FUPIN_DEV", "1")
    from fupin.config.startup import dev_mode

    assert dev_mode()
    monkeypatch.delenv("FUPIN_DEV")
    monkeypatch.delenv("FUPIN_DEBUG", raising=False)
    assert not dev_mode()


def test_dev_serve_passes_dev_mode_to_its_children(monkeypatch):
    """The demo (`make demo`) keeps working without a key: it serves with dev=True, and the
    gunicorn and worker children inherit FUPIN_DEV=1 (their wsgi check reads it)."""
    from fupin.commands import serve

    monkeypatch.delenv("FUPIN_DEV", raising=False)
    assert serve.child_env(argparse.Namespace(dev=True))["FUPIN_DEV"] == "1"
    assert "FUPIN_DEV" not in serve.child_env(argparse.Namespace(dev=False))


def test_check_deploy_has_no_warnings_under_the_production_profile(tmp_path):
    """Issue 14: "a documented production settings profile with 0 warnings"
    (`check --deploy` gave 5 on the default settings)."""
    env = _env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="fupin.config.production",
        FUPIN_SECRET_KEY=STRONG_KEY,
        FUPIN_ALLOWED_HOSTS="fupin.example.gov.cn",
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout


def test_production_profile_refuses_without_a_key(tmp_path):
    """Issue 14: the production profile never falls back to the public key."""
    env = _env(tmp_path, DJANGO_SETTINGS_MODULE="fupin.config.production")
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "SECRET_KEY_MISSING" in done.stderr


def _production_overrides(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The settings the production profile changes, read from the profile itself."""
    import importlib

    monkeypatch.setenv("FUPIN_SECRET_KEY", STRONG_KEY)
    sys.modules.pop("fupin.config.production", None)
    production = importlib.import_module("fupin.config.production")
    return {name: getattr(production, name) for name in production.PRODUCTION_SETTINGS}


@pytest.mark.django_db
def test_page_under_production_profile_has_csp_and_hsts(monkeypatch):
    """Issue 14: "a CSP … 'self' only" — a page served under the profile carries the
    Content-Security-Policy header, HSTS and secure cookies; plain http is redirected."""
    with override_settings(**_production_overrides(monkeypatch)):
        client = Client()
        plain = client.get("/accounts/login/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        page = client.get("/accounts/login/", headers={"x-forwarded-proto": "https"})
        assert page.status_code == 200
        csp = page["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "object-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "http:" not in csp and "https:" not in csp and "*" not in csp
        assert page["Strict-Transport-Security"].startswith("max-age=31536000")
        assert page.cookies["csrftoken"]["secure"]
