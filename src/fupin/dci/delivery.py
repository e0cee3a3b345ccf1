"""Posting an answer or a notification to a subscriber's callback address.

Only hosts on the allow-list receive callbacks: by default the loopback addresses (tests, a
gateway on the same machine); in production ``FUPIN_DCI_CALLBACK_HOSTS`` (settings or the
environment, comma-separated host names) names the department gateways. Anything else is kept
for the sender to pull (``/dci/registry/sync/txn/status``).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

LOOPBACK = ("127.0.0.1", "::1", "localhost")
TIMEOUT_SECONDS = 10


def allowed_hosts() -> tuple[str, ...]:
    configured = getattr(settings, "FUPIN_DCI_CALLBACK_HOSTS", None)
    if configured is None:
        env = os.environ.get("FUPIN_DCI_CALLBACK_HOSTS", "")
        configured = [h.strip() for h in env.split(",") if h.strip()]
    return (*LOOPBACK, *configured)


def callback_allowed(uri: str) -> bool:
    """Return whether ``uri`` is an http(s) address on an allowed host."""
    if not uri:
        return False
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in allowed_hosts()


def post_json(uri: str, body: dict[str, Any]) -> str:
    """POST ``body``; return "" on a 2xx answer, else a short description of the failure."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        uri, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return "" if 200 <= status < 300 else f"HTTP {status}"


def callback_uri(sender_uri: str, action: str) -> str:
    """Return the address of ``action`` (``on-search`` …) at a sender's callback base.

    A ``sender_uri`` that already ends with the action is used as it is; else the action is
    appended (``https://spmis/callback`` → ``https://spmis/callback/on-search``).
    """
    uri = sender_uri.rstrip("/")
    return uri if uri.endswith("/" + action) else f"{uri}/{action}"
