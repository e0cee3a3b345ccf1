"""Async search with callback delivery to a loopback receiver, the pull alternative (txn
status), subscribe / unsubscribe, and notifications of register / update / exit events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from fupin.common.audit import audit_record
from fupin.common.models import AuditEvent
from fupin.dci import delivery
from fupin.dci.models import Notification, Subscription, Transaction
from fupin.dci.services import dci_events_collect, dci_notifications_deliver
from fupin.divisions.services import divisions_load
from fupin.registry.models import Household, Member
from fupin.registry.services import HouseholdData, MemberData, household_register
from tests.api.conftest import new_id
from tests.dci import schemas
from tests.dci.conftest import header, search_body, search_item


class Receiver:
    """A sender's callback server on 127.0.0.1 that keeps what it is sent, by path."""

    def __init__(self) -> None:
        received: list[tuple[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/spmis/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def household(registry: object) -> Household:
    h = Household.objects.order_by("code").first()
    assert h is not None
    return h


def by_code(code: str) -> dict:
    return search_item("idtype-value", {"type": "HouseholdID", "value": code})


def test_async_search_is_acknowledged_then_delivered_to_the_loopback_callback(
    dci_as, household, receiver, django_capture_on_commit_callbacks
):
    body = search_body(by_code(household.code), transaction_id="T-ASYNC", sender_uri=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        status, ack = dci_as().post("/registry/search", body)
    assert status == 202 and ack["message"]["ack_status"] == "ACK"
    [(path, delivered)] = receiver.received
    assert path == "/spmis/callback/on-search"
    schemas.assert_request(delivered, "/registry/on-search")
    assert delivered["message"]["correlation_id"] == ack["message"]["correlation_id"]
    [item] = delivered["message"]["search_response"]
    assert item["data"]["reg_records"][0]["group_identifier"][0]["identifier_value"] == (
        household.code
    )
    txn = Transaction.objects.get(transaction_id="T-ASYNC")
    assert txn.delivered_at is not None and txn.status == "succ"


def test_callback_elsewhere_is_not_called_and_the_answer_is_pulled(
    dci_as, household, django_capture_on_commit_callbacks
):
    assert not delivery.callback_allowed("https://spmis.example.org/callback")
    dci = dci_as()
    body = search_body(
        by_code(household.code),
        transaction_id="T-PULL",
        sender_uri="https://spmis.example.org/callback",
    )
    with django_capture_on_commit_callbacks(execute=True):
        dci.post("/registry/search", body)
    txn = Transaction.objects.get(transaction_id="T-PULL")
    assert txn.delivered_at is None and "允许" in txn.delivery_error
    status_body = {
        "header": header("txn-status"),
        "message": {
            "transaction_id": "T-STATUS",
            "txnstatus_request": {
                "reference_id": "r1",
                "txn_type": "search",
                "attribute_type": "transaction_id",
                "attribute_value": "T-PULL",
            },
        },
    }
    status, answer = dci.post("/registry/sync/txn/status", status_body)
    assert status == 200
    pulled = answer["message"]["txnstatus_response"]["txn_status"]
    assert (
        pulled["search_response"][0]["data"]["reg_records"][0]["group_identifier"][0][
            "identifier_value"
        ]
        == household.code
    )
    # The async form acknowledges, with the same answer beside the acknowledgement.
    status, ack = dci.post("/registry/txn/status", status_body)
    assert ack["message"]["ack_status"] == "ACK"
    assert ack["message"]["txn_on_status"]["message"]["txnstatus_response"]["txn_type"] == "search"
    # Another caller cannot read it.
    status, other = dci_as().post("/registry/sync/txn/status", status_body)
    assert status == 404 and other["header"]["meta"]["error"]["code"] == "err.request.not_found"


def subscribe_body(event: str, sender_uri: str, flt: Any = None) -> dict:
    criteria: dict[str, Any] = {
        "reg_event_type": event,
        "notify_record_type": "Group",
        "filter": flt if flt is not None else [],
    }
    return {
        "header": header("subscribe", sender_uri=sender_uri),
        "message": {
            "transaction_id": f"T-SUB-{event}",
            "subscribe_request": [
                {
                    "reference_id": f"ref-{event}",
                    "timestamp": "2020-06-01T08:00:00+08:00",
                    "subscribe_criteria": criteria,
                }
            ],
        },
    }


def test_subscribers_are_notified_of_register_update_and_exit_in_their_scope(
    dci_as, household, receiver, django_capture_on_commit_callbacks
):
    county = dci_as()
    codes = {}
    for event in ("REGISTER", "UPDATE", "EXIT"):
        status, ack = county.post("/registry/subscribe", subscribe_body(event, receiver.url))
        assert status == 200 and ack["message"]["ack_status"] == "ACK"
        answer = ack["message"]["subscribe_response"]
        schemas.assert_request(
            {"header": header("on-subscribe"), "message": answer}, "/registry/on-subscribe"
        )
        codes[event] = answer["subscribe_response"][0]["subscriptions"][0]["code"]
    divisions_load(prefix="110101")
    beijing = dci_as("11")
    beijing.post("/registry/subscribe", subscribe_body("REGISTER", receiver.url))
    receiver.received.clear()  # the on-subscribe callbacks

    village = household.village_id
    with django_capture_on_commit_callbacks(execute=True):
        new = household_register(
            village_code=village,
            data=HouseholdData(
                code=f"{village}-NEW1", main_cause="因病", first_identified_year=2016
            ),
            members=[
                MemberData(
                    name="吉克阿依",
                    id_number=new_id("1970-03-01", 31, 513431),
                    relation="户主",
                    ethnicity="彝族",
                )
            ],
        )
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(
            by=None,
            action="household.update",
            obj_type="household",
            obj_key=household.code,
            division=village,
            after={"phone": "x"},
        )
        audit_record(
            by=None,
            action="wf.exit.cancel",
            obj_type="household",
            obj_key=household.code,
            division=village,
            after={"state": "exited"},
        )

    events = [(p, b["header"]["meta"]["reg_event_type"], b) for p, b in receiver.received]
    assert [(p, e) for p, e, _ in events] == [
        ("/spmis/callback/notify", "REGISTER"),
        ("/spmis/callback/notify", "UPDATE"),
        ("/spmis/callback/notify", "EXIT"),
    ]
    for _, event, body in events:
        schemas.assert_request(body, "/registry/notify")
        group = body["message"]["notify_event"][0]["data"]["reg_records"]
        code = group["group_identifier"][0]["identifier_value"]
        assert code == (new.code if event == "REGISTER" else household.code)
        assert body["header"]["meta"]["subscription_code"] == codes[event]
    assert Notification.objects.filter(status="delivered").count() == 3
    assert AuditEvent.objects.filter(action="dci.notify").count() == 3

    # Unsubscribed: no more notifications.
    status, ack = county.post(
        "/registry/unsubscribe",
        {
            "header": header("unsubscribe"),
            "message": {
                "transaction_id": "T-UNSUB",
                "timestamp": "2020-06-02T08:00:00+08:00",
                "subscription_codes": [codes["UPDATE"], "sub-unknown"],
            },
        },
    )
    result = ack["message"]["unsubscribe_response"]
    assert result["subscription_status"] == [{"code": codes["UPDATE"], "status": "unsubscribe"}]
    assert result["status_reason_code"] == "rjct.subscription_code.invalid"
    assert Subscription.objects.get(code=codes["UPDATE"]).status == "unsubscribe"
    receiver.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(
            by=None,
            action="member.add",
            obj_type="household",
            obj_key=household.code,
            division=village,
        )
    assert receiver.received == []


def test_subscription_filter_limits_the_events(dci_as, household, receiver):
    flt = [
        {
            "expression1": {
                "attribute_name": "HouseholdID",
                "operator": "eq",
                "attribute_value": "someone-else",
            }
        }
    ]
    dci_as().post("/registry/subscribe", subscribe_body("UPDATE", receiver.url, flt))
    audit_record(
        by=None,
        action="household.update",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
    )
    assert dci_events_collect() == 0


def test_events_before_the_subscription_are_not_sent(dci_as, household, receiver):
    audit_record(
        by=None,
        action="household.update",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
    )
    dci_as().post("/registry/subscribe", subscribe_body("UPDATE", receiver.url))
    assert dci_events_collect() == 0


def test_notifications_without_an_allowed_callback_are_stored(dci_as, household):
    dci_as().post("/registry/subscribe", subscribe_body("UPDATE", "https://far.example.org/cb"))
    audit_record(
        by=None,
        action="household.update",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
    )
    assert dci_events_collect() == 1
    assert dci_notifications_deliver() == 0
    assert Notification.objects.get().status == "stored"


def test_unknown_event_type_or_filter_is_rejected_per_request(dci_as, registry):
    _, ack = dci_as().post("/registry/subscribe", subscribe_body("BIRTH", ""))
    [item] = ack["message"]["subscribe_response"]["subscribe_response"]
    assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.notify_types.invalid"
    bad = [{"expression1": {"attribute_name": "phone", "operator": "eq", "attribute_value": "1"}}]
    _, ack = dci_as().post("/registry/subscribe", subscribe_body("UPDATE", "", bad))
    [item] = ack["message"]["subscribe_response"]["subscribe_response"]
    assert item["status_reason_code"] == "rjct.notify_details.invalid"
    assert not Subscription.objects.exists()
    assert Member.objects.exists()


def test_dci_notify_command_collects_and_delivers(dci_as, household, receiver):
    from io import StringIO

    from django.core.management import call_command

    dci_as().post("/registry/subscribe", subscribe_body("UPDATE", receiver.url))
    receiver.received.clear()
    audit_record(
        by=None,
        action="income.record",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
    )
    out = StringIO()
    call_command("dci_notify", stdout=out)
    assert "新通知 1 条，送达 1 条" in out.getvalue()
    assert len(receiver.received) == 1
