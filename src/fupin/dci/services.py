"""The DCI Social Registry services: search (sync and async), status, subscribe, notify.

Every call acts as the token's user: what it may reach is the user's division subtree (the
one scoping layer), and every call leaves one audit event (``dci.search`` …) with the
transaction id and the count returned, never the personal data itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from fupin.accounts.models import Role
from fupin.accounts.permissions import user_role
from fupin.accounts.scoping import user_scope
from fupin.common.audit import ACTION_LABELS, audit_record
from fupin.common.models import AuditEvent
from fupin.dci import delivery, envelope
from fupin.dci.envelope import DciError, Envelope, ItemError
from fupin.dci.groups import group_records
from fupin.dci.models import EventCursor, Notification, Subscription, Transaction, TxnStatus
from fupin.dci.query import annotate, compile_criteria, compile_predicates, ordering
from fupin.registry.selectors import HouseholdFilters, household_search

ACTION_LABELS.update(
    {
        "dci.search": "DCI 查询",
        "dci.txn_status": "DCI 事务状态查询",
        "dci.subscribe": "DCI 事件订阅",
        "dci.unsubscribe": "DCI 退订",
        "dci.notify": "DCI 事件通知",
    }
)

#: Roles whose tokens may use the DCI interface (departments, analysts, county offices).
DCI_ROLES = frozenset(
    {Role.DEPARTMENT_PROVIDER, Role.ANALYST, Role.COUNTY_OFFICE, Role.ADMINISTRATOR}
)
#: The largest page a search may ask for.
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100

#: Registry audit actions and the DCI event each one is.
EVENT_OF_ACTION = {
    "household.register": "REGISTER",
    "wf.identification.announce": "REGISTER",
    "household.update": "UPDATE",
    "household.import": "UPDATE",
    "member.add": "UPDATE",
    "member.update": "UPDATE",
    "income.record": "UPDATE",
    "conditions.update": "UPDATE",
    "wf.exit.cancel": "EXIT",
    "wf.decrease.cancel": "EXIT",
}
EVENT_TYPES = ("REGISTER", "UPDATE", "EXIT")


class DciAccessError(Exception):
    def __init__(self, http: int, code: str, message: str) -> None:
        super().__init__(message)
        self.http, self.code, self.message = http, code, message


def dci_scope(user: AbstractBaseUser) -> str:
    """Return the division prefix the token's user reaches through DCI ("" for all).

    Refuse users whose role is not in :data:`DCI_ROLES`, and department providers or analysts
    without a division (their reach must be stated, not assumed to be the whole country).
    """
    role = user_role(user)
    scope = user_scope(user)
    if role not in DCI_ROLES or scope is None:
        raise DciAccessError(403, "err.request.forbidden", "您的角色不能使用 DCI 社会登记接口")
    if scope == "" and role != Role.ADMINISTRATOR:
        raise DciAccessError(
            403, "err.request.forbidden", "该账号未指定所属区划，不能通过 DCI 接口查询"
        )
    return scope


def _audit(
    *, user: AbstractBaseUser, action: str, scope: str, env: Envelope, after: dict[str, Any]
) -> None:
    audit_record(
        by=user,
        action=action,
        obj_type="dci.transaction",
        obj_key=str(env.message.get("transaction_id") or "")[:64],
        division=scope,
        after={
            "transaction_id": env.message.get("transaction_id"),
            "message_id": env.header.message_id,
            "sender_id": env.header.sender_id,
            **after,
        },
    )


# -- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchOutcome:
    message: dict[str, Any]
    records: int
    rejected: int


def _page(criteria: dict[str, Any]) -> tuple[int, int]:
    page = criteria.get("pagination")
    if page in (None, ""):
        return DEFAULT_PAGE_SIZE, 1
    if not isinstance(page, dict):
        raise ItemError("rjct.pagination.invalid", "pagination 应为对象")
    size, number = page.get("page_size", DEFAULT_PAGE_SIZE), page.get("page_number", 1)
    for value in (size, number):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ItemError("rjct.pagination.invalid", "page_size 与 page_number 应为整数")
    if not 1 <= size <= MAX_PAGE_SIZE or number < 1:
        raise ItemError(
            "rjct.pagination.invalid", f"page_size 应在 1 至 {MAX_PAGE_SIZE} 之间，page_number ≥ 1"
        )
    return int(size), int(number)


def _search_one(*, scope: str, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ItemError("rjct.search_criteria.invalid", "search_request 的每一项应为对象")
    if not isinstance(item.get("reference_id"), str):
        raise ItemError("rjct.reference_id.invalid", "缺少 reference_id")
    if envelope.parse_ts(item.get("timestamp")) is None:
        raise ItemError("rjct.timestamp.invalid", "timestamp 应为带时区的 ISO 8601 时间")
    criteria = item.get("search_criteria")
    compiled = compile_criteria(criteria)
    assert isinstance(criteria, dict)
    order, sort_needs = ordering(criteria.get("sort"))
    size, number = _page(criteria)
    qs = household_search(scope=scope, filters=HouseholdFilters())
    qs = annotate(qs, compiled.needs | sort_needs).filter(compiled.q)
    total = qs.count()
    rows = list(qs.order_by(*order)[(number - 1) * size : number * size])
    return {
        "status": "succ",
        "data": {
            "version": envelope.VERSION,
            "reg_type": envelope.REG_TYPE,
            "reg_record_type": "Group",
            "reg_records": group_records(rows),
        },
        "pagination": {"page_size": size, "page_number": number, "total_count": total},
    }


def search_message(
    *, scope: str, message: dict[str, Any], correlation_id: str, total_count: int
) -> SearchOutcome:
    """Answer a ``SearchRequest`` message: one ``search_response`` item per request."""
    items = envelope.batch(message, "search_request", total_count=total_count)
    answers: list[dict[str, Any]] = []
    records = rejected = 0
    for item in items:
        ref = item.get("reference_id") if isinstance(item, dict) else None
        answer: dict[str, Any] = {
            "reference_id": ref if isinstance(ref, str) else "",
            "timestamp": envelope.now_ts(),
        }
        try:
            answer |= _search_one(scope=scope, item=item)
            records += len(answer["data"]["reg_records"])
        except ItemError as exc:
            rejected += 1
            answer |= {
                "status": "rjct",
                "status_reason_code": exc.reason,
                "status_reason_message": exc.message[:999],
            }
        locale = envelope.valid_locale(item.get("locale") if isinstance(item, dict) else None)
        if locale:
            answer["locale"] = locale
        answers.append(answer)
    return SearchOutcome(
        {
            "transaction_id": message["transaction_id"],
            "correlation_id": correlation_id,
            "search_response": answers,
        },
        records,
        rejected,
    )


def _new_correlation_id() -> str:
    return uuid.uuid4().hex


def dci_search_sync(*, user: AbstractBaseUser, env: Envelope) -> dict[str, Any]:
    """Answer a sync search at once; return the ``on-search`` message (header and message)."""
    scope = dci_scope(user)
    outcome = search_message(
        scope=scope,
        message=env.message,
        correlation_id=_new_correlation_id(),
        total_count=env.header.total_count,
    )
    _audit(
        user=user,
        action="dci.search",
        scope=scope,
        env=env,
        after={"mode": "sync", "records": outcome.records, "rejected": outcome.rejected},
    )
    n = len(outcome.message["search_response"])
    return {
        "header": envelope.callback_header(
            action="on-search",
            status="succ",
            total_count=n,
            completed_count=n,
            receiver_id=env.header.sender_id,
        ),
        "message": outcome.message,
    }


@transaction.atomic
def dci_search_accept(*, user: AbstractBaseUser, env: Envelope) -> Transaction:
    """Store an async search and answer it after commit (a background task)."""
    scope = dci_scope(user)
    envelope.batch(env.message, "search_request", total_count=env.header.total_count)
    txn = Transaction.objects.create(
        user=user,  # type: ignore[misc]
        action="search",
        sender_id=env.header.sender_id,
        message_id=env.header.message_id,
        transaction_id=env.message["transaction_id"],
        correlation_id=_new_correlation_id(),
        callback_uri=env.header.sender_uri,
        request={"header": env.header.__dict__, "message": env.message},
    )
    _audit(
        user=user,
        action="dci.search",
        scope=scope,
        env=env,
        after={"mode": "async", "correlation_id": txn.correlation_id},
    )
    from fupin.dci.tasks import search_process

    transaction.on_commit(lambda: search_process.enqueue(txn.pk))
    return txn


def dci_search_process(*, txn_id: int) -> Transaction:
    """Answer a stored async search, store the answer, deliver it when the callback is allowed."""
    txn = Transaction.objects.select_related("user", "user__profile").get(pk=txn_id)
    if txn.status in (TxnStatus.SUCCESS, TxnStatus.REJECTED):
        return txn
    header = txn.request.get("header", {})
    try:
        scope = dci_scope(txn.user)
        outcome = search_message(
            scope=scope,
            message=txn.request["message"],
            correlation_id=txn.correlation_id,
            total_count=int(header.get("total_count", 0)),
        )
        n = len(outcome.message["search_response"])
        txn.response = {
            "header": envelope.callback_header(
                action="on-search",
                status="succ",
                total_count=n,
                completed_count=n,
                receiver_id=txn.sender_id,
            ),
            "message": outcome.message,
        }
        txn.status = TxnStatus.SUCCESS
    except (DciError, DciAccessError) as exc:
        error = exc if isinstance(exc, DciError) else DciError(exc.code, exc.message, http=exc.http)
        txn.response = envelope.error_envelope(error, action="on-search")
        txn.status = TxnStatus.REJECTED
    txn.save(update_fields=["response", "status", "updated_at"])
    _deliver_txn(txn, "on-search")
    return txn


def _deliver_txn(txn: Transaction, action: str) -> None:
    if not txn.callback_uri or txn.response is None:
        return
    if not delivery.callback_allowed(txn.callback_uri):
        txn.delivery_error = "回调地址不在允许列表中，请用 /dci/registry/sync/txn/status 拉取"
        txn.save(update_fields=["delivery_error", "updated_at"])
        return
    error = delivery.post_json(delivery.callback_uri(txn.callback_uri, action), txn.response)
    txn.delivery_error = error
    txn.delivered_at = None if error else timezone.now()
    txn.save(update_fields=["delivery_error", "delivered_at", "updated_at"])


# -- transaction status (the pull alternative) ----------------------------------------------


def dci_txn_status(*, user: AbstractBaseUser, env: Envelope) -> dict[str, Any]:
    """Answer a ``TxnStatusRequest``: the stored answer of one of the user's own transactions.

    ``attribute_type`` ``transaction_id`` or ``correlation_id`` names the transaction; only
    transactions the same user sent are found (another caller's answer is never shown).
    """
    scope = dci_scope(user)
    message = env.message
    if not isinstance(message.get("transaction_id"), str):
        raise DciError("err.request.bad", "消息体缺少 transaction_id")
    req = message.get("txnstatus_request")
    if not isinstance(req, dict):
        raise DciError("err.request.bad", "消息体缺少 txnstatus_request")
    kind, attr, value = req.get("txn_type"), req.get("attribute_type"), req.get("attribute_value")
    if kind not in ("search", "subscribe"):
        raise DciError("err.request.bad", "txn_type 应为 search 或 subscribe")
    if attr not in ("transaction_id", "correlation_id") or not isinstance(value, str):
        raise DciError(
            "err.request.bad", "attribute_type 应为 transaction_id 或 correlation_id，取值为文本"
        )
    found = (
        Transaction.objects.filter(user=user, action=kind, **{attr: value})  # type: ignore[misc]
        .order_by("-created_at", "-pk")
        .first()
    )
    status = found.status if found else None
    _audit(
        user=user,
        action="dci.txn_status",
        scope=scope,
        env=env,
        after={"looked_up": attr, "found": found is not None, "status": status},
    )
    if found is None:
        raise DciError("err.request.not_found", f"找不到 {attr} 为 {value!r} 的事务", http=404)
    if found.response and "message" in found.response and kind == "search":
        txn_status = found.response["message"]
    else:
        txn_status = {
            "transaction_id": found.transaction_id,
            "correlation_id": found.correlation_id,
            "search_response": [
                {
                    "reference_id": str(req.get("reference_id") or ""),
                    "timestamp": found.updated_at.isoformat(),
                    "status": found.status,
                    **(
                        {"data": {"reg_record_type": "Subscription", "reg_records": found.response}}
                        if kind == "subscribe" and isinstance(found.response, list)
                        else {}
                    ),
                }
            ],
        }
    return {
        "header": envelope.callback_header(
            action="txn-on-status",
            status="succ",
            total_count=1,
            completed_count=1,
            receiver_id=env.header.sender_id,
        ),
        "message": {
            "transaction_id": message["transaction_id"],
            "correlation_id": found.correlation_id,
            "txnstatus_response": {"txn_type": kind, "txn_status": txn_status},
        },
    }


# -- subscribe / unsubscribe ----------------------------------------------------------------


def _event_type(value: Any) -> str:
    text = value.rsplit(":", 1)[-1].upper() if isinstance(value, str) else ""
    if text not in EVENT_TYPES:
        raise ItemError(
            "rjct.notify_types.invalid",
            f"事件类型 {value!r} 不受支持；可订阅：{'、'.join(EVENT_TYPES)}",
        )
    return text


def _filter(value: Any) -> list[Any]:
    if value in (None, "", [], {}):
        return []
    try:
        compile_predicates(value)
    except ItemError as exc:
        raise ItemError("rjct.notify_details.invalid", exc.message) from None
    assert isinstance(value, list)
    return value


@transaction.atomic
def dci_subscribe(*, user: AbstractBaseUser, env: Envelope) -> tuple[Transaction, dict[str, Any]]:
    """Record the subscriptions of a ``SubscribeRequest``; return the ``on-subscribe`` answer."""
    scope = dci_scope(user)
    items = envelope.batch(env.message, "subscribe_request", total_count=env.header.total_count)
    txn = Transaction.objects.create(
        user=user,  # type: ignore[misc]
        action="subscribe",
        sender_id=env.header.sender_id,
        message_id=env.header.message_id,
        transaction_id=env.message["transaction_id"],
        correlation_id=_new_correlation_id(),
        callback_uri=env.header.sender_uri,
        request={"header": env.header.__dict__, "message": env.message},
    )
    start = AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0
    answers: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []
    for item in items:
        ref = item.get("reference_id") if isinstance(item, dict) else None
        answer: dict[str, Any] = {
            "reference_id": ref if isinstance(ref, str) else "",
            "timestamp": envelope.now_ts(),
        }
        try:
            if not isinstance(item, dict) or not isinstance(ref, str):
                raise ItemError("rjct.reference_id.invalid", "缺少 reference_id")
            criteria = item.get("subscribe_criteria")
            if not isinstance(criteria, dict):
                raise ItemError("rjct.notify_details.invalid", "缺少 subscribe_criteria")
            event = _event_type(criteria.get("reg_event_type"))
            flt = _filter(criteria.get("filter"))
            sub = Subscription.objects.create(
                code=f"sub-{uuid.uuid4().hex}",
                user=user,  # type: ignore[misc]
                sender_id=env.header.sender_id,
                transaction_id=env.message["transaction_id"],
                reference_id=ref,
                reg_event_type=event,
                filter=flt,
                notify_record_type=str(criteria.get("notify_record_type") or "Group")[:60],
                callback_uri=env.header.sender_uri,
                from_audit_id=start,
            )
            info = {
                "version": envelope.VERSION,
                "code": sub.code,
                "status": "subscribe",
                "timestamp": sub.created_at.isoformat(),
                "reg_type": envelope.REG_TYPE,
                "reg_event_type": event,
                "filter_type": "predicate",
                "filter": flt,
                "notify_record_type": sub.notify_record_type,
            }
            infos.append(info)
            answer |= {"status": "succ", "subscriptions": [info]}
        except ItemError as exc:
            answer |= {
                "status": "rjct",
                "status_reason_code": exc.reason,
                "status_reason_message": exc.message[:999],
            }
        answers.append(answer)
    response = {
        "header": envelope.callback_header(
            action="on-subscribe",
            status="succ",
            total_count=len(answers),
            completed_count=len(answers),
            receiver_id=env.header.sender_id,
        ),
        "message": {
            "transaction_id": env.message["transaction_id"],
            "correlation_id": txn.correlation_id,
            "subscribe_response": answers,
        },
    }
    txn.response = infos  # what a status pull shows
    txn.status = TxnStatus.SUCCESS
    txn.save(update_fields=["response", "status", "updated_at"])
    _audit(
        user=user,
        action="dci.subscribe",
        scope=scope,
        env=env,
        after={"subscriptions": [i["code"] for i in infos], "rejected": len(answers) - len(infos)},
    )
    if txn.callback_uri and delivery.callback_allowed(txn.callback_uri):
        uri = delivery.callback_uri(txn.callback_uri, "on-subscribe")
        transaction.on_commit(lambda: delivery.post_json(uri, response))
    return txn, response


@transaction.atomic
def dci_unsubscribe(*, user: AbstractBaseUser, env: Envelope) -> dict[str, Any]:
    """End the listed subscriptions of this user; return an ``UnSubscribeResponse`` message."""
    scope = dci_scope(user)
    message = env.message
    if not isinstance(message.get("transaction_id"), str):
        raise DciError("err.request.bad", "消息体缺少 transaction_id")
    codes = message.get("subscription_codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise DciError("err.request.bad", "subscription_codes 应为非空的文本列表")
    own = {s.code: s for s in Subscription.objects.filter(user=user, code__in=codes)}  # type: ignore[misc]
    statuses = []
    unknown = [c for c in codes if c not in own]
    now = timezone.now()
    Subscription.objects.filter(
        pk__in=[s.pk for s in own.values()], status=Subscription.Status.SUBSCRIBED
    ).update(status=Subscription.Status.UNSUBSCRIBED, ended_at=now)
    for code in codes:
        if code in own:
            statuses.append({"code": code, "status": "unsubscribe"})
    answer: dict[str, Any] = {
        "transaction_id": message["transaction_id"],
        "correlation_id": _new_correlation_id(),
        "timestamp": envelope.now_ts(),
        "status": "rjct" if unknown else "succ",
        "subscription_status": statuses,
    }
    if unknown:
        answer["status_reason_code"] = "rjct.subscription_code.invalid"
        answer["status_reason_message"] = f"找不到订阅：{'、'.join(unknown)}"[:999]
    _audit(
        user=user,
        action="dci.unsubscribe",
        scope=scope,
        env=env,
        after={"ended": len(statuses), "unknown": len(unknown)},
    )
    return answer


# -- notifications from the registry's audit trail ------------------------------------------


def _matches(sub: Subscription, household_codes: Iterable[str], scope: str) -> set[str]:
    qs = household_search(scope=scope, filters=HouseholdFilters()).filter(
        code__in=list(household_codes)
    )
    if sub.filter:
        compiled = compile_predicates(sub.filter)
        qs = annotate(qs, compiled.needs).filter(compiled.q)
    return set(qs.values_list("code", flat=True))


@transaction.atomic
def dci_events_collect(*, limit: int = 10_000) -> int:
    """Turn new register / update / exit audit events into notifications; return how many.

    Read the audit trail after the cursor, keep household events of the live subscriptions'
    types inside each subscriber's scope and filter, and record one notification per
    (subscription, event). Delivery is :func:`dci_notifications_deliver`, after commit.
    """
    cursor, _ = EventCursor.objects.select_for_update().get_or_create(name="audit")
    subs = list(
        Subscription.objects.filter(status=Subscription.Status.SUBSCRIBED).select_related(
            "user", "user__profile"
        )
    )
    events = list(
        AuditEvent.objects.filter(
            pk__gt=cursor.last_audit_id,
            obj_type="household",
            action__in=list(EVENT_OF_ACTION),
        )
        .order_by("pk")
        .values("pk", "action", "obj_key", "division", "at")[:limit]
    )
    newest = AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0
    cursor.last_audit_id = events[-1]["pk"] if len(events) == limit else newest
    cursor.save(update_fields=["last_audit_id"])
    if not subs or not events:
        return 0
    made: list[Notification] = []
    for sub in subs:
        try:
            scope = dci_scope(sub.user)
        except DciAccessError:
            continue  # the subscriber lost the right: nothing more is sent
        mine = [
            e
            for e in events
            if EVENT_OF_ACTION[e["action"]] == sub.reg_event_type and e["pk"] > sub.from_audit_id
        ]
        if not mine:
            continue
        hits = _matches(sub, {e["obj_key"] for e in mine}, scope)
        made.extend(
            Notification(
                subscription=sub,
                event_type=sub.reg_event_type,
                household_code=e["obj_key"],
                division_code=e["division"],
                audit_event_id=e["pk"],
                occurred_at=e["at"],
            )
            for e in mine
            if e["obj_key"] in hits
        )
    made.sort(key=lambda n: n.audit_event_id)  # delivered in the order things happened
    Notification.objects.bulk_create(made, ignore_conflicts=True)
    if made:
        from fupin.dci.tasks import notifications_deliver

        transaction.on_commit(lambda: notifications_deliver.enqueue())
    return len(made)


def notify_message(note: Notification, record: dict[str, Any] | None) -> dict[str, Any]:
    """The ``notify`` message of one notification (a ``NotifyEventRequest``).

    The specification's ``reg_event_type`` enum names only ``REGISTER`` (and a new member):
    update and exit events carry their type in ``header.meta.reg_event_type`` and in the
    group's ``additional_attributes`` instead.
    """
    sub = note.subscription
    data: dict[str, Any] = {
        "version": envelope.VERSION,
        "reg_type": envelope.REG_TYPE,
        "reg_record_type": "Group",
        "reg_records": record or {"group_identifier": [], "status": "out_of_scope"},
    }
    if note.event_type == "REGISTER":
        data["reg_event_type"] = "REGISTER"
    if record is not None:
        record.setdefault("additional_attributes", []).append(
            {"name": "reg_event_type", "value": note.event_type}
        )
    header = envelope.callback_header(
        action="notify",
        status="succ",
        total_count=1,
        completed_count=1,
        receiver_id=sub.sender_id,
        meta={"reg_event_type": note.event_type, "subscription_code": sub.code},
    )
    return {
        "header": header,
        "message": {
            "transaction_id": sub.transaction_id,
            "notify_event": [
                {
                    "reference_id": f"{sub.reference_id or sub.code}-{note.pk}"[:99],
                    "timestamp": note.occurred_at.isoformat(),
                    "data": data,
                }
            ],
        },
    }


def dci_notifications_deliver(*, limit: int = 500) -> int:
    """Post pending notifications to their subscribers' callbacks; return how many arrived.

    A notification whose callback is not allowed is kept (``stored``); failures are retried on
    the next run, up to five attempts.
    """
    delivered = 0
    pending = (
        Notification.objects.filter(Q(status=Notification.Status.PENDING))
        .select_related("subscription", "subscription__user", "subscription__user__profile")
        .order_by("pk")[:limit]
    )
    for note in pending:
        sub = note.subscription
        if not delivery.callback_allowed(sub.callback_uri):
            note.status = Notification.Status.STORED
            note.save(update_fields=["status"])
            continue
        try:
            scope = dci_scope(sub.user)
        except DciAccessError:
            note.status = Notification.Status.FAILED
            note.last_error = "订阅用户已无权使用 DCI 接口"
            note.save(update_fields=["status", "last_error"])
            continue
        household = household_search(scope=scope, filters=HouseholdFilters()).filter(
            code=note.household_code
        )
        records = group_records(household)
        body = notify_message(note, records[0] if records else None)
        error = delivery.post_json(delivery.callback_uri(sub.callback_uri, "notify"), body)
        note.attempts += 1
        note.last_error = error
        if not error:
            note.status = Notification.Status.DELIVERED
            note.delivered_at = timezone.now()
            delivered += 1
        elif note.attempts >= 5:
            note.status = Notification.Status.FAILED
        note.save(update_fields=["attempts", "last_error", "status", "delivered_at"])
        audit_record(
            by=None,
            action="dci.notify",
            obj_type="dci.subscription",
            obj_key=sub.code,
            division=note.division_code,
            after={"event": note.event_type, "delivered": not error, "attempt": note.attempts},
        )
    return delivered


def household_event_pending(*, action: str, obj_type: str) -> bool:
    """Return whether an audit event of ``action`` may concern a live subscription."""
    return (
        obj_type == "household"
        and action in EVENT_OF_ACTION
        and Subscription.objects.filter(status=Subscription.Status.SUBSCRIBED).exists()
    )
