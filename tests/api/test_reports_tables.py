"""GET /api/v1/reports/tables[/{name}]: the catalogue and a table of the user's division."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fupin.accounts.models import Role
from fupin.registry.models import Household
from fupin.reports.tables import TABLES
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db
COUNTY = "513431"


def test_catalogue_lists_every_table(registry: Any, api_as: Callable[..., Api]) -> None:
    status, body = api_as(COUNTY).get("/reports/tables")

    assert status == 200
    assert [t["name"] for t in body] == list(TABLES)
    assert body[0]["columns"][0] == {
        "key": "registered_households",
        "group": "建档立卡",
        "title": "户数",
        "kind": "count",
    }


def test_table_of_the_users_county_with_total_first(
    registry: Any, api_as: Callable[..., Api]
) -> None:
    status, body = api_as(COUNTY).get("/reports/tables/scale", year=2016)

    assert status == 200, body
    assert body["division"] == COUNTY and body["division_name"] == "昭觉县"
    total, *rows = body["rows"]
    assert total["total"] and total["name"] == "合计"
    assert total["values"][0] == Household.objects.exclude(status="removed").count()
    assert total["values"][0] == sum(r["values"][0] for r in rows)
    assert all(len(r["code"]) == 9 for r in rows)


def test_unknown_table_outside_division_and_no_right_are_refused(
    registry: Any, api_as: Callable[..., Api]
) -> None:
    first = Household.objects.values_list("village_id", flat=True).first()
    assert first is not None
    township = first[:9]
    api = api_as(township)
    status, body = api.get("/reports/tables/nope")
    assert status == 404 and body["code"] == "TABLE_UNKNOWN"
    status, body = api.get("/reports/tables/scale", division=COUNTY)
    assert status == 404 and body["code"] == "DIVISION_UNKNOWN"
    status, body = api_as(None, role=Role.DEPARTMENT_PROVIDER).get("/reports/tables")
    assert status == 403
