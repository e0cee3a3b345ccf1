"""Fixtures of the precise-measures tests: the small 昭觉县 registry, a cadre of the county
paired with a poor household, and a few members of that household.

A plugin of the root ``tests/conftest.py`` (``pytest_plugins``), so the measures, API and
command tests share them without importing fixtures by name."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fupin.measures.models import Cadre, Pairing
from fupin.measures.services import cadre_create, pairing_assign
from fupin.registry.models import Household, Member

COUNTY = "513431"


@pytest.fixture
def poor_household(registry: Path) -> Household:
    """A poor household of the registry with at least two members."""
    household = (
        Household.objects.filter(status="poor")
        .order_by("code")
        .filter(members__relation="spouse")
        .first()
    )
    assert household is not None
    return household


@pytest.fixture
def cadre(registry: Path) -> Cadre:
    return cadre_create(
        county_code=COUNTY,
        name="李明",
        unit="昭觉县农业农村局",
        post="副局长",
        phone="13800000000",
        by=None,
    )


@pytest.fixture
def pairing(cadre: Cadre, poor_household: Household) -> Pairing:
    return pairing_assign(
        household_code=poor_household.code, cadre=cadre, start=date(2020, 1, 1), by=None
    ).pairing


@pytest.fixture
def head(poor_household: Household) -> Member:
    return Member.objects.get(household=poor_household, relation="head")
