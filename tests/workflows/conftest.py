"""Fixtures for the procedures: the 昭觉县 registry assessed for 2016, and one account at each
level above one village (two village cadres, so that one proposes and another acts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Count
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.assessment.services import assessment_run
from fupin.registry.models import Household
from fupin.workflows.models import Case
from tests.conftest import COUNTY, YEAR

MEETING = {
    "meeting_date": "2016-11-01",
    "attendance": 31,
    "votes_for": 27,
    "votes_against": 2,
}


@dataclass
class Cast:
    village: str
    village_cadre: User
    village_cadre_2: User
    township: User
    county: User
    other_township: User
    analyst: User


def make_user(username: str, role: Role, division: str | None) -> User:
    user = get_user_model().objects.create_user(username=username, password="x-123456789")
    Profile.objects.create(user=user, role=role, division_id=division)
    return user


@pytest.fixture
def assessed(registry: object) -> None:
    assessment_run(division_code=COUNTY, year=YEAR)


@pytest.fixture(autouse=True)
def media(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]


def village_ready_to_exit() -> tuple[str, str]:
    """The village with the most households ready to exit, and a village of another township."""
    village = (
        Household.objects.filter(
            status="poor", assessments__year=YEAR, assessments__meets_standard=True
        )
        .values("village_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "village_id")
        .values_list("village_id", flat=True)
        .first()
    )
    assert village is not None
    other = (
        Household.objects.exclude(village__code__startswith=village[:9])
        .values_list("village_id", flat=True)
        .first()
    )
    assert other is not None
    return village, other


@pytest.fixture
def cast(assessed: None) -> Cast:
    village, other = village_ready_to_exit()
    return Cast(
        village=village,
        village_cadre=make_user("cun", Role.VILLAGE_CADRE, village),
        village_cadre_2=make_user("cun2", Role.VILLAGE_CADRE, village),
        township=make_user("xiang", Role.TOWNSHIP_REVIEWER, village[:9]),
        county=make_user("xian", Role.COUNTY_OFFICE, COUNTY),
        other_township=make_user("xiang2", Role.TOWNSHIP_REVIEWER, other[:9]),
        analyst=make_user("fenxi", Role.ANALYST, COUNTY),
    )


@pytest.fixture
def elapse() -> Callable[[Case], None]:
    """Let the case's public notice run its period (time passes)."""

    def run(case: Case) -> None:
        Case.objects.filter(pk=case.pk).update(notice_until=timezone.now() - timedelta(seconds=1))
        case.refresh_from_db()

    return run
