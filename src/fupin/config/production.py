"""The production settings profile: ``DJANGO_SETTINGS_MODULE=fupin.config.production``.

Behind a reverse proxy that terminates TLS and sets ``X-Forwarded-Proto`` (docs/deploy.md):
a required secret key, DEBUG off, secure cookies, HSTS, the SSL redirect and a
Content-Security-Policy. ``manage.py check --deploy`` gives no warning with it
(tests/commands/test_deploy.py).
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from fupin.common.errors import FupinError
from fupin.config.csp import DEFAULT_POLICY
from fupin.config.settings import *  # noqa: F403  (the profile extends the real settings)
from fupin.config.settings import MIDDLEWARE as _BASE_MIDDLEWARE
from fupin.config.startup import secret_key_check

try:
    secret_key_check(key=os.environ.get("FUPIN_SECRET_KEY", ""), dev=False)
except FupinError as exc:
    raise ImproperlyConfigured(str(exc)) from None

SECRET_KEY = os.environ["FUPIN_SECRET_KEY"]
DEBUG = False

# TLS ends at the proxy: it tells us the scheme; plain http is redirected to https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = int(os.environ.get("FUPIN_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("FUPIN_HSTS_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("FUPIN_HSTS_PRELOAD", "1") == "1"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

FUPIN_CSP = DEFAULT_POLICY
MIDDLEWARE = [
    _BASE_MIDDLEWARE[0],  # SecurityMiddleware: the redirect and HSTS come first
    "fupin.config.csp.ContentSecurityPolicyMiddleware",
    *_BASE_MIDDLEWARE[1:],
]

#: The settings this profile changes (the tests serve a page with exactly these).
PRODUCTION_SETTINGS = (
    "SECRET_KEY",
    "DEBUG",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "FUPIN_CSP",
    "MIDDLEWARE",
)
