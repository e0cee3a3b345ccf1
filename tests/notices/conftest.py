"""Fixtures for notice tests: the generated registry, villages with households, users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import Count

from fupin.accounts.models import Profile, Role
from fupin.registry.models import Household

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Place:
    village: str
    township: str
    county: str
    households: list[str]  # codes, in code order


@pytest.fixture
def places(registry: Path) -> list[Place]:
    """Villages with at least three households, in two or more townships, busiest first."""
    rows = (
        Household.objects.values("village_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=3)
        .order_by("-n", "village_id")
    )
    out = []
    for row in rows[:12]:
        code = row["village_id"]
        households = list(
            Household.objects.filter(village_id=code)
            .order_by("code")
            .values_list("code", flat=True)
        )
        out.append(Place(code, code[:9], code[:6], households))
    assert len({p.township for p in out}) >= 2
    return out


@pytest.fixture
def place(places: list[Place]) -> Place:
    return places[0]


@pytest.fixture
def make_user(db: None) -> Callable[..., AbstractUser]:
    def make(username: str, role: Role | None, division: str | None) -> AbstractUser:
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        if role is not None:
            Profile.objects.create(user=user, role=role, division_id=division)
        return user

    return make


@pytest.fixture
def admin(db: None) -> AbstractUser:
    return get_user_model().objects.create_superuser("root", password=PASSWORD)


@pytest.fixture
def village_cadre(place: Place, make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("cun", Role.VILLAGE_CADRE, place.village)


@pytest.fixture
def township_reviewer(place: Place, make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("xiang", Role.TOWNSHIP_REVIEWER, place.township)


@pytest.fixture
def county_office(place: Place, make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("xian", Role.COUNTY_OFFICE, place.county)
