"""The DCI endpoints under ``/dci/``: thin views that authenticate, parse, call one service.

The paths and messages are those of the DCI Social Registry API 1.0.0 (``spec/``). The
login middleware leaves ``/dci/`` alone: each view authenticates the bearer token itself
(``fupin.api.auth.TokenAuth``, the same tokens as ``/api/v1``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fupin.api.auth import TokenAuth
from fupin.dci import envelope, services
from fupin.dci.envelope import DciError, Envelope
from fupin.dci.services import DciAccessError

_auth = TokenAuth()


def _json(body: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _user(request: HttpRequest) -> AbstractBaseUser | None:
    user = _auth(request)
    return user if isinstance(user, AbstractBaseUser) else None


def _body(request: HttpRequest) -> object:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


Handler = Callable[[AbstractBaseUser, Envelope], tuple[dict[str, Any], int]]


def _endpoint(action: str, answer: str, *, sync: bool) -> Callable[[Handler], Any]:
    """Wrap a handler with authentication, envelope parsing and the DCI error answers.

    Sync endpoints answer a refused message with a header of status ``rjct``; async ones
    with the acknowledgement ``ERR``. Both carry a stable ``Error.code`` of the specification.
    """

    def wrap(handler: Handler) -> Any:
        @csrf_exempt
        @require_POST
        def view(request: HttpRequest) -> JsonResponse:
            user = _user(request)
            if user is None:
                return _json(
                    envelope.http_error("err.request.unauthorized", "缺少或无效的 API 令牌"), 401
                )
            try:
                services.dci_scope(user)
                env = envelope.parse(_body(request), action=action)
                body, status = handler(user, env)
            except DciAccessError as exc:
                return _json(envelope.http_error(exc.code, exc.message), exc.http)
            except DciError as exc:
                if sync:
                    return _json(envelope.error_envelope(exc, action=answer), exc.http)
                return _json(envelope.ack(correlation_id="", exc=exc), exc.http)
            return _json(body, status)

        view.__name__ = handler.__name__
        return view

    return wrap


@_endpoint("search", "on-search", sync=True)
def sync_search(user: AbstractBaseUser, env: Envelope) -> tuple[dict[str, Any], int]:
    return services.dci_search_sync(user=user, env=env), 200


@_endpoint("search", "on-search", sync=False)
def search(user: AbstractBaseUser, env: Envelope) -> tuple[dict[str, Any], int]:
    txn = services.dci_search_accept(user=user, env=env)
    return envelope.ack(correlation_id=txn.correlation_id), 202


@_endpoint("txn-status", "txn-on-status", sync=True)
def sync_txn_status(user: AbstractBaseUser, env: Envelope) -> tuple[dict[str, Any], int]:
    return services.dci_txn_status(user=user, env=env), 200


@_endpoint("txn-status", "txn-on-status", sync=False)
def txn_status(user: AbstractBaseUser, env: Envelope) -> tuple[dict[str, Any], int]:
    # The async form acknowledges; the txn-on-status answer rides beside the acknowledgement
    # because most department systems cannot receive callbacks.
    answer = services.dci_txn_status(user=user, env=env)
    ack = envelope.ack(correlation_id=answer["message"]["correlation_id"])
    ack["message"]["txn_on_status"] = answer
    return ack, 200


@_endpoint("subscribe", "on-subscribe", sync=False)
def subscribe(user: AbstractBaseUser, env: Envelope) -> tuple[dict[str, Any], int]:
    txn, answer = services.dci_subscribe(user=user, env=env)
    # The acknowledgement, with the on-subscribe answer beside it for callers that cannot
    # receive callbacks (the subscription codes are needed to unsubscribe).
    ack = envelope.ack(correlation_id=txn.correlation_id)
    ack["message"]["subscribe_response"] = answer["message"]
    return ack, 200


@_endpoint("unsubscribe", "on-unsubscribe", sync=False)
def unsubscribe(user: AbstractBaseUser, env: Envelope) -> tuple[dict[str, Any], int]:
    answer = services.dci_unsubscribe(user=user, env=env)
    ack = envelope.ack(correlation_id=answer["correlation_id"])
    ack["message"]["unsubscribe_response"] = answer
    return ack, 200
