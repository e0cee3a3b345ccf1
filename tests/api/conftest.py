"""Fixtures of the API tests: users placed at each level, tokens, and households to reach.

The registry is the shared 昭觉县 one (tests/conftest.py); one more household is registered
in 北京市东城区 so that "another province" is real data, not an empty query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from fupin.accounts.models import Profile, Role
from fupin.accounts.services import api_token_create
from fupin.divisions.models import Division
from fupin.divisions.services import divisions_load
from fupin.policy import idnumber
from fupin.registry.models import Household
from fupin.registry.services import HouseholdData, MemberData, household_register

BEIJING_COUNTY = "110101"  # 北京市东城区

MakeUser = Callable[..., AbstractBaseUser]


def new_id(birth: str, seq: int, address: int = 110101) -> str:
    """A valid ID number of 北京市东城区 (the generated registry's are all of 昭觉县)."""
    return str(idnumber.make_ids(address, np.datetime64(birth), seq)[0])


@pytest.fixture
def make_user(db: None) -> MakeUser:
    """Return a factory of users with a profile at a division (None: the whole country)."""

    def make(
        username: str,
        division: str | None = None,
        *,
        role: str = Role.COUNTY_OFFICE,
        superuser: bool = False,
        active: bool = True,
    ) -> AbstractBaseUser:
        user = get_user_model().objects.create_user(
            username, password="pw-123456789", is_superuser=superuser, is_active=active
        )
        Profile.objects.create(user=user, division_id=division, role=role)
        return user

    return make


def bearer(user: AbstractBaseUser, **kwargs: Any) -> dict[str, str]:
    """Return request headers carrying a fresh API token of ``user``."""
    _, secret = api_token_create(user=user, name="测试系统", **kwargs)
    return {"Authorization": f"Bearer {secret}"}


class Api:
    """A test client that calls ``/api/v1`` with fixed headers and returns (status, JSON)."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> tuple[int, Any]:
        url = f"/api/v1{path}"
        send = getattr(self.client, method)
        if body is None:
            response = send(url, query or None, headers=self.headers)
        else:
            response = send(url, body, content_type="application/json", headers=self.headers)
        assert response["Content-Type"].startswith("application/json"), response.content[:200]
        return response.status_code, response.json()

    def get(self, path: str, **query: Any) -> tuple[int, Any]:
        return self.call("get", path, **query)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        return self.call("post", path, body)

    def put(self, path: str, body: Any) -> tuple[int, Any]:
        return self.call("put", path, body)


@pytest.fixture
def api_as(client: Client, make_user: MakeUser) -> Callable[..., Api]:
    """Return a factory: an :class:`Api` acting, with a token, as a new user at a division."""
    count = 0

    def make(division: str | None = None, **kwargs: Any) -> Api:
        nonlocal count
        count += 1
        return Api(client, bearer(make_user(f"api-user-{count}", division, **kwargs)))

    return make


@dataclass(frozen=True)
class Places:
    """Households at known distances from ``own`` (the first household of the registry)."""

    own: Household
    sibling: Household  # another village of the same township
    cousin: Household  # another township of the same county
    beijing: Household  # another province

    @property
    def village(self) -> str:
        return self.own.village_id


@pytest.fixture
def places(registry: Any) -> Places:
    own = Household.objects.order_by("code").first()
    assert own is not None
    township = own.village_id[:9]
    sibling = (
        Household.objects.filter(village__code__startswith=township)
        .exclude(village_id=own.village_id)
        .order_by("code")
        .first()
    )
    cousin = (
        Household.objects.exclude(village__code__startswith=township)
        .filter(village__code__startswith=own.village_id[:6])
        .order_by("code")
        .first()
    )
    assert sibling is not None and cousin is not None
    return Places(own, sibling, cousin, beijing_household())


def beijing_household() -> Household:
    divisions_load(prefix=BEIJING_COUNTY)
    village = (
        Division.objects.filter(code__startswith=BEIJING_COUNTY, level=5)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    assert village is not None
    return household_register(
        village_code=village,
        data=HouseholdData(code="BJ-0001", main_cause="因病", first_identified_year=2016),
        members=[
            MemberData(
                name="王京", id_number=new_id("1960-01-01", 17), relation="户主", ethnicity="汉族"
            )
        ],
    )
