"""Fixtures of the DCI tests: token users at known divisions and a client that checks every
request and answer against the DCI specification.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from fupin.accounts.models import Profile, Role
from fupin.accounts.services import api_token_create
from fupin.dci import envelope
from tests.dci import schemas

COUNTY = "513431"


def header(action: str, total_count: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "message_id": str(uuid.uuid4()),
        "message_ts": envelope.now_ts(),
        "action": action,
        "sender_id": "minzheng.example.cn",
        "receiver_id": "fupin",
        "total_count": total_count,
        "is_msg_encrypted": False,
        **extra,
    }


def search_item(query_type: str, query: Any, **criteria: Any) -> dict[str, Any]:
    return {
        "reference_id": uuid.uuid4().hex,
        "timestamp": envelope.now_ts(),
        "search_criteria": {
            "version": "1.0.0",
            "reg_type": envelope.REG_TYPE,
            "query_type": query_type,
            "query": query,
            **criteria,
        },
    }


def search_body(*items: dict[str, Any], transaction_id: str = "T-1", **hdr: Any) -> dict[str, Any]:
    return {
        "header": header("search", len(items), **hdr),
        "message": {"transaction_id": transaction_id, "search_request": list(items)},
    }


class Dci:
    """Posts DCI messages with a bearer token; checks request and answer against the spec."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(
        self, path: str, body: Any, *, check_request: bool = True, raw: bytes | None = None
    ) -> tuple[int, Any]:
        if check_request and raw is None:
            schemas.assert_request(body, path)
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False)
        response = self.client.post(
            f"/dci{path}", data, content_type="application/json", headers=self.headers
        )
        assert response["Content-Type"].startswith("application/json")
        answer = response.json()
        schemas.assert_response(answer, path, response.status_code)
        return response.status_code, answer


MakeUser = Callable[..., AbstractBaseUser]


@pytest.fixture
def make_user(db: None) -> MakeUser:
    def make(
        username: str, division: str | None, role: str = Role.DEPARTMENT_PROVIDER
    ) -> AbstractBaseUser:
        user = get_user_model().objects.create_user(username, password="pw-123456789")
        Profile.objects.create(user=user, division_id=division, role=role)
        return user

    return make


@pytest.fixture
def dci_as(client: Client, make_user: MakeUser) -> Callable[..., Dci]:
    """Return a factory of :class:`Dci` clients acting as a new user at a division."""
    count = 0

    def make(division: str | None = COUNTY, role: str = Role.DEPARTMENT_PROVIDER) -> Dci:
        nonlocal count
        count += 1
        user = make_user(f"dept-{count}", division, role)
        _, secret = api_token_create(user=user, name="民政系统")
        return Dci(client, secret)

    return make
