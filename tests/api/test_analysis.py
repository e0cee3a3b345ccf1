"""GET /api/v1/analysis/whatif: the sweep over the user's division; other divisions are 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fupin.registry.models import Household
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_whatif_default_sweep_in_scope(registry: Any, api_as: Callable[..., Api]) -> None:
    status, body = api_as("513431").get("/analysis/whatif", year=2016)
    assert status == 200, body
    assert body["division"] == "513431"
    lines = [float(x["line"]) for x in body["lines"]]
    assert lines[0] == 2300 and lines == sorted(lines)
    poor = [x["poor"] for x in body["lines"]]
    assert poor == sorted(poor)
    village = next(iter(body["lines"][0]["villages"].values()))
    assert set(village) == {"persons", "poor", "incidence"}


def test_whatif_given_lines_and_bad_lines(registry: Any, api_as: Callable[..., Api]) -> None:
    api = api_as("513431")
    status, body = api.get("/analysis/whatif", year=2016, lines="3000,3500")
    assert status == 200 and [x["line"] for x in body["lines"]] == ["3000", "3500"]
    status, body = api.get("/analysis/whatif", year=2016, lines="0")
    assert status == 400 and body["code"] == "INDICES_BAD_LINE"


def test_whatif_outside_the_scope_is_not_found(registry: Any, api_as: Callable[..., Api]) -> None:
    own, other = two_townships()
    status, body = api_as(own).get("/analysis/whatif", year=2016, division=other)
    assert status == 404 and body["code"] == "DIVISION_UNKNOWN"


def two_townships() -> tuple[str, str]:
    codes = sorted({v[:9] for v in Household.objects.values_list("village_id", flat=True)})
    return codes[0], codes[1]
