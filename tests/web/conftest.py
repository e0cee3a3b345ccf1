"""Fixtures for page tests: users at each level of 昭觉县, signed in through the real login."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client

from fupin.accounts.models import Profile, Role
from fupin.divisions.services import divisions_load

COUNTY = "513431"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def divisions(db: None) -> None:
    divisions_load(prefix=COUNTY)


@pytest.fixture
def make_user(db: None) -> Callable[..., AbstractUser]:
    def make(username: str, role: Role, division: str | None) -> AbstractUser:
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        Profile.objects.create(user=user, role=role, division_id=division)
        return user

    return make


@pytest.fixture
def signed_in(client: Client) -> Callable[[AbstractUser], Client]:
    def sign_in(user: AbstractUser) -> Client:
        client.force_login(user)
        return client

    return sign_in
