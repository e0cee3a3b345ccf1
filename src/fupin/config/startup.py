"""Start-up checks of a served installation: no public secret key outside dev mode.

Dev mode is the demo (``fupin demo``, ``fupin serve --dev``), ``FUPIN_DEV=1`` or
``FUPIN_DEBUG=1``; the test suite never serves. Anything else — ``fupin serve``, gunicorn on
``fupin.config.wsgi``, the production profile ``fupin.config.production`` — needs
``FUPIN_SECRET_KEY`` (see docs/deploy.md).
"""

from __future__ import annotations

import os

from fupin.common.errors import FupinError

#: The fallback key of dev mode: public (it is in the source), so never served outside it.
DEV_SECRET_KEY = "fupin-dev-only-insecure-key-change-me"
#: Django's own bar for a strong key (check security.W009): 50 characters, 5 distinct.
MIN_KEY_LENGTH = 50
MIN_KEY_CHARACTERS = 5

_HOW = (
    "请设置环境变量 FUPIN_SECRET_KEY 为至少 50 个字符的随机密钥"
    '（例如 python -c "import secrets; print(secrets.token_urlsafe(50))" 生成），'
    "仅在本机开发演示时可设 FUPIN_DEV=1"
)


def dev_mode() -> bool:
    """Whether this process runs in dev mode (``FUPIN_DEV=1`` or ``FUPIN_DEBUG=1``)."""
    return os.environ.get("FUPIN_DEV") == "1" or os.environ.get("FUPIN_DEBUG") == "1"


def secret_key_check(*, key: str, dev: bool) -> None:
    """Refuse the public fallback key (or none) and a weak key outside dev mode."""
    if dev:
        return
    if not key or key == DEV_SECRET_KEY:
        raise FupinError(
            "SECRET_KEY_MISSING", f"未设置密钥，不能用公开的开发密钥对外提供服务：{_HOW}"
        )
    if (
        len(key) < MIN_KEY_LENGTH
        or len(set(key)) < MIN_KEY_CHARACTERS
        or key.startswith("django-insecure-")
    ):
        raise FupinError(
            "SECRET_KEY_WEAK",
            f"FUPIN_SECRET_KEY 太短或太简单（{len(key)} 个字符）：{_HOW}",
        )
