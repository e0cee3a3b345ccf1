"""``/api/v1/villages/{code}/facts/{year}`` and ``/api/v1/villages/facts``: scoped reads,
recording through the same rules as the page, errors in the API's shape."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fupin.accounts.models import Role
from fupin.divisions.models import Division
from fupin.registry.village import VillageFacts
from fupin.registry.village_services import village_facts_save
from tests.api.conftest import Api

COUNTY = "513431"
ApiAs = Callable[..., Api]


@pytest.fixture
def villages(db: None) -> list[str]:
    from fupin.divisions.services import divisions_load

    divisions_load(prefix=COUNTY)
    township = Division.objects.filter(code__startswith=COUNTY, level=4).order_by("code")[0]
    return list(
        Division.objects.filter(parent_id=township.code, level=5)
        .order_by("code")
        .values_list("code", flat=True)[:2]
    )


def test_get_answers_null_facts_for_a_year_not_recorded(api_as: ApiAs, villages: list[str]) -> None:
    api = api_as(COUNTY)
    status, body = api.get(f"/villages/{villages[0]}/facts/2019")
    assert status == 200
    assert body["recorded"] is False and body["village_code"] == villages[0]
    assert body["road_hardened"] is None and body["collective_income"] is None


def test_put_records_the_given_facts_and_get_reads_them(api_as: ApiAs, villages: list[str]) -> None:
    api = api_as(COUNTY)
    status, body = api.put(
        f"/villages/{villages[0]}/facts/2019",
        {"road_hardened": True, "collective_income": "15000.50", "natural_villages": 4},
    )
    assert status == 200, body
    assert body["recorded"] is True and body["road_hardened"] is True
    assert body["field_sources"] == {
        "road_hardened": "manual",
        "collective_income": "manual",
        "natural_villages": "manual",
    }
    # Only the keys given change; null clears to not recorded.
    status, body = api.put(f"/villages/{villages[0]}/facts/2019", {"road_hardened": None})
    assert status == 200
    facts = VillageFacts.objects.get(village_id=villages[0], year=2019)
    assert facts.road_hardened is None and facts.natural_villages == 4
    assert str(facts.collective_income) == "15000.50"
    status, body = api.get(f"/villages/{villages[0]}/facts/2019")
    assert body["natural_villages"] == 4 and body["road_hardened"] is None
    assert body["collective_income"] == "15000.50"


def test_put_refuses_a_rule_the_schema_cannot_state(api_as: ApiAs, villages: list[str]) -> None:
    api = api_as(COUNTY)
    status, body = api.put(
        f"/villages/{villages[0]}/facts/2019", {"natural_villages": 2, "natural_villages_road": 3}
    )
    assert status == 400
    assert body["code"] == "VILLAGE_FACTS_BAD_VALUE"
    assert body["details"]["errors"][0]["field"] == "natural_villages_road"
    assert not VillageFacts.objects.exists()


def test_put_refuses_bad_types_and_unknown_keys_with_422(
    api_as: ApiAs, villages: list[str]
) -> None:
    api = api_as(COUNTY)
    status, body = api.put(f"/villages/{villages[0]}/facts/2019", {"safe_water_share": 120})
    assert status == 422 and body["code"] == "VALIDATION_ERROR"
    status, body = api.put(f"/villages/{villages[0]}/facts/2019", {"roads": True})
    assert status == 422 and body["code"] == "VALIDATION_ERROR"


def test_a_village_outside_the_scope_answers_404_and_a_reader_cannot_write(
    api_as: ApiAs, villages: list[str]
) -> None:
    cadre = api_as(villages[0], role=Role.VILLAGE_CADRE)
    status, body = cadre.get(f"/villages/{villages[1]}/facts/2019")
    assert status == 404 and body["code"] == "DIVISION_UNKNOWN"
    status, body = cadre.put(f"/villages/{villages[1]}/facts/2019", {"broadband": True})
    assert status == 404
    analyst = api_as(COUNTY, role=Role.ANALYST)
    status, body = analyst.put(f"/villages/{villages[0]}/facts/2019", {"broadband": True})
    assert status == 403 and body["code"] == "PERMISSION_DENIED"
    assert not VillageFacts.objects.exists()


def test_the_list_is_scoped_filtered_and_paginated(api_as: ApiAs, villages: list[str]) -> None:
    for i, code in enumerate(villages):
        village_facts_save(village_code=code, year=2019, data={"population": 100 + i}, by=None)
    village_facts_save(village_code=villages[0], year=2020, data={"population": 5}, by=None)

    status, body = api_as(COUNTY).get("/villages/facts", year=2019, limit=1)
    assert status == 200
    assert body["count"] == 2
    assert [i["population"] for i in body["items"]] == [100]

    status, body = api_as(villages[1], role=Role.VILLAGE_CADRE).get("/villages/facts", year=2019)
    assert [i["village_code"] for i in body["items"]] == [villages[1]]

    status, body = api_as(COUNTY).get("/villages/facts", year=2019, division=villages[0])
    assert [i["village_code"] for i in body["items"]] == [villages[0]]

    status, body = api_as(COUNTY).get("/villages/facts")
    assert status == 200 and body["count"] == 3
    assert [(i["village_code"], i["year"]) for i in body["items"]][:2] == [
        (villages[0], 2019),
        (villages[0], 2020),
    ]
    status, body = api_as(COUNTY).get("/villages/facts", year=1999)
    assert status == 422
