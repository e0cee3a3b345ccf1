"""Fixtures of the projects-and-funds tests: the small 昭觉县 registry (from tests/conftest.py),
users of each level, funds passed from the province down to the county and an approved
project of a village with funds assigned."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.divisions.models import Division
from fupin.funds.models import Project
from fupin.funds.project_notices import project_notice_publish
from fupin.funds.services import (
    allocation_record,
    project_fund,
    project_propose,
    project_transition,
)
from fupin.notices.models import Notice

PROVINCE, PREFECTURE, COUNTY = "51", "5134", "513431"
YEAR = 2019
SOURCE = "central.development"


def make_user(name: str, role: Role, division: str | None) -> Any:
    u = get_user_model().objects.create_user(username=name)
    Profile.objects.create(user=u, role=role, division_id=division)
    return u


@pytest.fixture
def village(registry: Path) -> Division:
    found = Division.objects.filter(level=5, code__startswith=COUNTY).order_by("code").first()
    assert found is not None
    return found


@pytest.fixture
def township(village: Division) -> Division:
    return Division.objects.get(code=village.code[:9])


@pytest.fixture
def county_office(registry: Path) -> Any:
    return make_user("county", Role.COUNTY_OFFICE, COUNTY)


@pytest.fixture
def township_reviewer(township: Division) -> Any:
    return make_user("township", Role.TOWNSHIP_REVIEWER, township.code)


@pytest.fixture
def village_cadre(village: Division) -> Any:
    return make_user("village", Role.VILLAGE_CADRE, village.code)


@pytest.fixture
def funded_county(registry: Path) -> None:
    """1,000,000 yuan of central funds to the province, 600,000 down to the prefecture and
    500,000 to the county; the county adds 100,000 of its own."""
    allocation_record(
        source=SOURCE,
        to_division=PROVINCE,
        year=YEAR,
        amount=Decimal("1000000"),
        allocated_on=date(2019, 1, 10),
        by=None,
    )
    allocation_record(
        source=SOURCE,
        from_division=PROVINCE,
        to_division=PREFECTURE,
        year=YEAR,
        amount=Decimal("600000"),
        allocated_on=date(2019, 2, 1),
        by=None,
    )
    allocation_record(
        source=SOURCE,
        from_division=PREFECTURE,
        to_division=COUNTY,
        year=YEAR,
        amount=Decimal("500000"),
        allocated_on=date(2019, 3, 1),
        by=None,
    )
    allocation_record(
        source="county",
        to_division=COUNTY,
        year=YEAR,
        amount=Decimal("100000"),
        allocated_on=date(2019, 3, 1),
        by=None,
    )


def propose(village: Division, code: str = "P-1", **changes: Any) -> Project:
    args: dict[str, Any] = {
        "code": code,
        "name": "光伏电站",
        "project_type": "photovoltaic",
        "division": village.code,
        "budget": Decimal("300000"),
        "budget_by_source": {SOURCE: Decimal("200000"), "county": Decimal("100000")},
        "benefit_kinds": ["dividend"],
        "benefit_link": "电站收益 60% 分配给贫困户",
        "performance_target": "年发电收益 4 万元",
        "proposed_on": date(2019, 3, 5),
        "by": None,
    }
    args.update(changes)
    return project_propose(**args)


def at(day: date) -> datetime:
    """Midnight of ``day`` in the server's time zone (a notice posted then is up that whole
    day)."""
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def publish(project: Project, level: str, day: date, days: int | None = None) -> Notice:
    return project_notice_publish(project=project, level=level, by=None, days=days, on=at(day))


def approve(project: Project) -> Project:
    """Village notice 6–15 March, review on the 20th; township notice 21–30 March, approval
    on 5 April."""
    publish(project, "village", date(2019, 3, 6))
    project_transition(project=project, target="reviewed", on=date(2019, 3, 20), by=None)
    publish(project, "township", date(2019, 3, 21))
    return project_transition(project=project, target="approved", on=date(2019, 4, 5), by=None)


@pytest.fixture
def approved_project(funded_county: None, village: Division) -> Project:
    project = approve(propose(village))
    project_fund(
        project=project,
        source=SOURCE,
        holder=COUNTY,
        year=YEAR,
        amount=Decimal("200000"),
        assigned_on=date(2019, 4, 10),
        by=None,
    )
    return project
