"""Content-Security-Policy for the production profile (Django 5.2 has none built in).

Every script, style, font and image comes from this site (``'self'``): htmx, ECharts and Pico
are served from npm packages as static files, never from a CDN. Two allowances remain, each
for a reason in today's templates (docs/deploy.md lists them):

- ``script-src 'unsafe-inline'``: seven ``onchange="this.form.submit()"`` handlers (home,
  workflows, tables, notices) and one inline ``<script>`` (the household form's ID check) —
  inline handlers cannot carry a nonce, so a nonce policy would break them;
- ``style-src 'unsafe-inline'``: ``style=""`` attributes in six templates and the styles
  htmx and ECharts set.

No other origin is allowed anywhere; ``object-src``, ``frame-ancestors`` are ``'none'``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

#: The policy of the production profile, directive by directive.
DEFAULT_POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self' 'unsafe-inline'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_header(policy: dict[str, str]) -> str:
    """The header value of a policy: ``directive sources; …``."""
    return "; ".join(f"{name} {sources}" for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Set ``Content-Security-Policy`` (from ``FUPIN_CSP``) on every response lacking one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = policy_header(getattr(settings, "FUPIN_CSP", DEFAULT_POLICY))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response
