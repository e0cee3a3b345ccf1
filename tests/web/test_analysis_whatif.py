"""/analysis/whatif/: the curve and the tables for the user's division."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fupin.accounts.models import Role
from fupin.registry.models import Household

pytestmark = pytest.mark.django_db


def test_whatif_page_shows_curve_and_tables(registry: Path, make_user, signed_in) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, "513431"))
    response = client.get("/analysis/whatif/", {"year": "2016", "lines": "2800,3000,3335"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="whatif-table"' in html and 'data-testid="whatif-villages"' in html
    chart = response.context["chart"]
    assert chart["xAxis"]["data"] == ["2800", "3000", "3335"]
    json.dumps(chart)


def test_whatif_page_refuses_other_divisions(registry: Path, make_user, signed_in) -> None:
    own, other = two_townships()
    client = signed_in(make_user("town", Role.TOWNSHIP_REVIEWER, own))
    assert client.get("/analysis/whatif/", {"division": other}).status_code == 404


def test_whatif_page_reports_a_bad_line(registry: Path, make_user, signed_in) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, "513431"))
    html = client.get("/analysis/whatif/", {"lines": "abc"}).content.decode()
    assert "INDICES_BAD_LINE" in html


def two_townships() -> tuple[str, str]:
    codes = sorted({v[:9] for v in Household.objects.values_list("village_id", flat=True)})
    return codes[0], codes[1]
