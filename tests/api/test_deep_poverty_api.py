"""/api/v1/analysis/deep-poverty/*: candidates with reasons in the user's scope, rule sets, and
designations refused outside the province or without the right."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from fupin.analysis.models import Designation
from fupin.divisions.services import divisions_load
from fupin.registry.models import Household
from fupin.registry.village import VillageFacts
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def facts(population: int) -> list[str]:
    codes = sorted(set(Household.objects.values_list("village_id", flat=True)))
    VillageFacts.objects.bulk_create(
        [
            VillageFacts(
                village_id=c, year=2016, population=population, safe_water_share=Decimal(90)
            )
            for c in codes
        ]
    )
    return codes


def test_village_candidates_with_reasons(registry: Any, api_as: Callable[..., Api]) -> None:
    facts(12)
    status, body = api_as("513431").get(
        "/analysis/deep-poverty/candidates", year=2016, rules="national-village@2017"
    )
    assert status == 200, body
    assert body["division"] == "513431" and body["rule_set"]["level"] == "village"
    assert body["candidates"] == len(body["results"]) > 0
    first = body["results"][0]
    assert first["candidate"] and first["indicators"]["incidence"] > 0.2
    assert "高于 20%" in first["summary"]
    status, everything = api_as("513431").get(
        "/analysis/deep-poverty/candidates", year=2016, rules="national-village@2017", all="true"
    )
    assert everything["areas"] == len(everything["results"]) >= len(body["results"])


def test_indicators_outside_the_scope_are_not_found(
    registry: Any, api_as: Callable[..., Api]
) -> None:
    status, body = api_as("513431").get(
        "/analysis/deep-poverty/indicators", division="510000000000"[:4]
    )
    assert status == 404 and body["code"] == "DIVISION_UNKNOWN"
    status, body = api_as("513431").get("/analysis/deep-poverty/candidates", rules="nope@1")
    assert status == 400 and body["code"] == "DEEP_POVERTY_UNKNOWN_RULE_SET"


def test_rule_sets_listed(registry: Any, api_as: Callable[..., Api]) -> None:
    status, body = api_as("51").get("/analysis/deep-poverty/rule-sets")
    assert status == 200
    assert {r["code"] for r in body} >= {"national-county", "guapai-village"}


def test_designation_by_the_province_and_refusals(
    registry: Any, api_as: Callable[..., Api]
) -> None:
    divisions_load(prefix="51")
    divisions_load(prefix="53")
    codes = facts(12)
    body = {
        "province": "51",
        "rule_set": "national-village@2017",
        "year": 2016,
        "title": "深度贫困村名单",
        "document_number": "川〔2017〕9号",
        "decided_on": "2017-11-01",
        "areas": codes[:2],
    }
    status, out = api_as("51").post("/analysis/deep-poverty/designations", body)
    assert status == 201, out
    assert [a["division"] for a in out["areas"]] == codes[:2]
    assert all(a["reasons"] for a in out["areas"])
    status, listed = api_as("513431").get("/analysis/deep-poverty/designations")
    assert status == 200 and [d["id"] for d in listed] == [out["id"]]
    status, err = api_as("53").post(
        "/analysis/deep-poverty/designations", body | {"document_number": "x"}
    )
    assert status == 403 and err["code"] == "DEEP_POVERTY_OUTSIDE_PROVINCE"
    status, err = api_as("51", role="analyst").post(
        "/analysis/deep-poverty/designations", body | {"document_number": "y"}
    )
    assert status == 403
    assert Designation.objects.count() == 1
