"""Who is calling: an API token (other systems) or the Django session (the web pages).

Both act as a user, so both reach exactly that user's division subtree through the one
scoping layer, which reads ``request.user``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from fupin.accounts.permissions import Action, can
from fupin.accounts.services import api_token_authenticate
from fupin.common.errors import FupinError


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <密钥>`` with a token made by ``fupin token create``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(secret=token.strip())
        if user is None:
            return None
        request.user = user
        return user


#: Every data endpoint accepts either; the session check includes Django's CSRF check.
AUTH = [TokenAuth(), django_auth]


#: What the refusal says, per right.
REFUSALS = {
    Action.VIEW_REGISTRY: "您的角色没有查看贫困户信息的权限",
    Action.EDIT_REGISTRY: "您的角色没有登记或修改贫困户信息的权限",
}


def require(request: HttpRequest, action: Action) -> None:
    """Refuse (403 ``PERMISSION_DENIED``) a caller whose role lacks ``action``.

    What a role may do is ``fupin.accounts.permissions``' table; where, the scoping layer's.
    """
    if not can(request.user, action):
        raise FupinError("PERMISSION_DENIED", REFUSALS.get(action, "没有权限执行此操作"))
