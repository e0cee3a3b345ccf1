"""The DCI message envelope: read a request's ``header`` and ``message``, build the answers.

Reading is lenient where the specification's own sample messages are (``total_count`` as the
text "1", empty strings for the objects ``meta``, ``consent`` and ``authorize``), strict where
it matters (action, timestamp, the message's shape). What we send is always valid against
``spec/social_api_v1.0.0.yaml``; the tests check every answer against it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: The protocol version we speak.
VERSION = "1.0.0"
#: How we name ourselves in ``sender_id`` of our answers (configurable later by settings).
RECEIVER_ID = "fupin"
#: Our registry type in ``reg_type``.
REG_TYPE = "ns:org:RegistryType:Social"
#: The largest batch of requests one message may carry.
MAX_BATCH = 100

_LOCALE = re.compile(r"^[a-z]{3}$")


class DciError(Exception):
    """A refusal of the whole message.

    ``reason`` is a ``MsgHeaderStatusReasonCode`` of the specification when one fits (else
    None); ``error`` is always one of the specification's ``Error.code`` values, so a client
    has a stable code to act on; ``http`` is the status we answer with.
    """

    def __init__(
        self, error: str, message: str, *, reason: str | None = None, http: int = 400
    ) -> None:
        super().__init__(f"[{error}] {message}")
        self.error = error
        self.message = message
        self.reason = reason
        self.http = http


class ItemError(Exception):
    """A refusal of one request of a batch, with a ``SearchStatusReasonCode``-like code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"[{reason}] {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Header:
    message_id: str
    message_ts: str
    action: str
    sender_id: str
    sender_uri: str
    receiver_id: str
    total_count: int
    version: str = VERSION
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Envelope:
    header: Header
    message: dict[str, Any]
    signature: str | None


def now_ts() -> str:
    """Return the current time in the ISO 8601 form the specification asks for (UTC, Z)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(uuid.uuid4())


def parse_ts(value: object) -> datetime | None:
    """Return an ISO 8601 timestamp with its zone as a datetime, or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def valid_locale(value: object) -> str | None:
    return value if isinstance(value, str) and _LOCALE.match(value) else None


def parse(body: object, *, action: str) -> Envelope:
    """Read a request body (already JSON-decoded) expecting ``header.action == action``."""
    if not isinstance(body, dict):
        raise DciError("err.request.bad", "请求体应为 JSON 对象，包含 header 与 message")
    raw = body.get("header")
    if not isinstance(raw, dict):
        raise DciError("err.request.bad", "缺少消息头 header")
    version = raw.get("version", VERSION)
    if version not in ("1.0.0", "1.0", "1"):
        raise DciError(
            "err.version.not_supported",
            f"不支持的协议版本 {version!r}，应为 {VERSION}",
            reason="rjct.version.invalid",
        )
    for name in ("message_id", "message_ts", "action", "sender_id"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            reason = {
                "message_ts": "rjct.message_ts.invalid",
                "action": "rjct.action.invalid",
            }.get(name)
            raise DciError("err.request.bad", f"消息头缺少 {name}", reason=reason)
    if parse_ts(raw["message_ts"]) is None:
        raise DciError(
            "err.request.bad",
            "message_ts 应为带时区的 ISO 8601 时间，如 2020-06-01T08:00:00+08:00",
            reason="rjct.message_ts.invalid",
        )
    if raw["action"] != action:
        raise DciError(
            "err.request.bad",
            f"此端点的动作应为 {action!r}，收到 {raw['action']!r}",
            reason="rjct.action.invalid",
        )
    total = raw.get("total_count")
    if isinstance(total, str) and total.isdigit():
        total = int(total)  # the specification's samples send "1"
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise DciError(
            "err.request.bad", "total_count 应为非负整数", reason="rjct.total_count.invalid"
        )
    if total > MAX_BATCH:
        raise DciError(
            "err.request.bad",
            f"一条消息最多 {MAX_BATCH} 个请求",
            reason="rjct.total_count.limit_exceeded",
        )
    if raw.get("is_msg_encrypted") is True:
        raise DciError("err.encryption.invalid", "本系统不接受加密消息体，请使用 TLS 传输明文消息")
    message = body.get("message")
    if not isinstance(message, dict):
        raise DciError("err.request.bad", "缺少消息体 message")
    sender_uri = raw.get("sender_uri")
    meta = raw.get("meta")
    signature = body.get("signature")
    return Envelope(
        header=Header(
            message_id=raw["message_id"][:200],
            message_ts=raw["message_ts"],
            action=raw["action"],
            sender_id=raw["sender_id"][:200],
            sender_uri=sender_uri if isinstance(sender_uri, str) else "",
            receiver_id=str(raw.get("receiver_id") or ""),
            total_count=total,
            meta=meta if isinstance(meta, dict) else {},
        ),
        message=message,
        signature=signature if isinstance(signature, str) else None,
    )


def batch(message: dict[str, Any], key: str, *, total_count: int) -> list[Any]:
    """Return the list ``message[key]`` checked against the header's ``total_count``."""
    if not isinstance(message.get("transaction_id"), str):
        raise DciError("err.request.bad", "消息体缺少 transaction_id")
    if len(message["transaction_id"]) > 99:
        raise DciError("err.request.bad", "transaction_id 不能超过 99 个字符")
    items = message.get(key)
    if not isinstance(items, list) or not items:
        raise DciError("err.request.bad", f"消息体缺少非空的 {key} 列表")
    if len(items) > MAX_BATCH:
        raise DciError(
            "err.request.bad",
            f"一条消息最多 {MAX_BATCH} 个请求",
            reason="rjct.total_count.limit_exceeded",
        )
    if total_count != len(items):
        raise DciError(
            "err.request.bad",
            f"total_count（{total_count}）与 {key} 的请求数（{len(items)}）不符",
            reason="rjct.total_count.invalid",
        )
    return items


def callback_header(
    *,
    action: str,
    status: str,
    total_count: int,
    completed_count: int | None = None,
    receiver_id: str = "",
    message_id: str | None = None,
    reason: str | None = None,
    reason_message: str = "",
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``MsgCallbackHeader_V1.0.0`` of an answer we send."""
    header: dict[str, Any] = {
        "version": VERSION,
        "message_id": message_id or new_id(),
        "message_ts": now_ts(),
        "action": action,
        "status": status,
        "total_count": total_count,
        "sender_id": RECEIVER_ID,
        "receiver_id": receiver_id,
        "is_msg_encrypted": False,
    }
    if completed_count is not None:
        header["completed_count"] = completed_count
    if reason:
        header["status_reason_code"] = reason
    if reason_message:
        header["status_reason_message"] = reason_message[:999]
    if meta:
        header["meta"] = meta
    return header


def request_header(*, action: str, total_count: int, receiver_id: str = "") -> dict[str, Any]:
    """A ``MsgHeader_V1.0.0`` for a message we initiate (a notification)."""
    return {
        "version": VERSION,
        "message_id": new_id(),
        "message_ts": now_ts(),
        "action": action,
        "sender_id": RECEIVER_ID,
        "receiver_id": receiver_id,
        "total_count": total_count,
        "is_msg_encrypted": False,
    }


def error_envelope(exc: DciError, *, action: str) -> dict[str, Any]:
    """The answer of a sync endpoint to a refused message: a header with status ``rjct``."""
    return {
        "header": callback_header(
            action=action,
            status="rjct",
            total_count=0,
            completed_count=0,
            reason=exc.reason,
            reason_message=f"{exc.error}: {exc.message}",
            meta={"error": {"code": exc.error, "message": exc.message[:999]}},
        )
    }


def ack(*, correlation_id: str, status: str = "ACK", exc: DciError | None = None) -> dict[str, Any]:
    """The acknowledgement of an async endpoint (the specification's ``Response``)."""
    message: dict[str, Any] = {
        "ack_status": status,
        "timestamp": now_ts(),
        "correlation_id": correlation_id,
    }
    if exc is not None:
        message["ack_status"] = "ERR"
        message["error"] = {"code": exc.error, "message": exc.message[:999]}
    return {"message": message}


def http_error(code: str, message: str) -> dict[str, Any]:
    """The specification's ``HttpErrorResponse`` (401, 403, 500)."""
    return {"errors": [{"code": code, "message": message}]}
