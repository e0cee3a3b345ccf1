"""The village facts (村情) pages: one village's form, the division table, the Excel import,
and who may see and record what."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fupin.accounts.models import Role
from fupin.divisions.models import Division
from fupin.registry.village import VillageFacts
from fupin.registry.village_services import village_facts_save

COUNTY = "513431"
SignIn = Callable[[AbstractUser], Client]
MakeUser = Callable[..., AbstractUser]


@pytest.fixture
def villages(divisions: None) -> list[str]:
    """Two villages of the same township of 昭觉县."""
    township = Division.objects.filter(code__startswith=COUNTY, level=4).order_by("code").first()
    assert township is not None
    codes = list(
        Division.objects.filter(parent_id=township.code, level=5)
        .order_by("code")
        .values_list("code", flat=True)[:2]
    )
    assert len(codes) == 2
    return codes


def url(code: str, year: int = 2019) -> str:
    return f"/villages/{code}/facts/?year={year}"


FORM = {
    "poverty_status": "poor",
    "poverty_status_since": "2014",
    "population": "1500",
    "road_hardened": "是",
    "power_grid": "否",
    "broadband": "",
    "natural_villages": "5",
    "natural_villages_road": "2",
    "safe_water_share": "88",
    "collective_income": "20000",
}


def test_the_village_cadre_records_the_facts_of_their_village(
    signed_in: SignIn, make_user: MakeUser, villages: list[str]
) -> None:
    own = villages[0]
    client = signed_in(make_user("cadre", Role.VILLAGE_CADRE, own))
    page = client.get(url(own)).content.decode()
    assert 'data-testid="facts-form"' in page
    assert 'type="radio"' in page and "未录入" in page

    response = client.post(url(own), FORM)

    assert response.status_code == 302 and response["Location"] == url(own)
    facts = VillageFacts.objects.get(village_id=own, year=2019)
    assert facts.poverty_status == "poor" and facts.population == 1500
    assert (facts.road_hardened, facts.power_grid, facts.broadband) == (True, False, None)
    assert facts.natural_villages_road == 2
    shown = client.get(url(own)).content.decode()
    assert 'value="1500"' in shown


def test_a_bad_value_is_shown_on_its_field_and_nothing_is_saved(
    signed_in: SignIn, make_user: MakeUser, villages: list[str]
) -> None:
    own = villages[0]
    client = signed_in(make_user("cadre", Role.VILLAGE_CADRE, own))
    response = client.post(url(own), {**FORM, "safe_water_share": "150"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "安全饮水覆盖率（%）：应在 0–100 之间" in page and "未保存" in page
    assert not VillageFacts.objects.exists()


def test_a_village_cadre_cannot_edit_another_village(
    signed_in: SignIn, make_user: MakeUser, villages: list[str]
) -> None:
    own, other = villages
    client = signed_in(make_user("cadre", Role.VILLAGE_CADRE, own))
    assert client.get(url(other)).status_code == 404
    assert client.post(url(other), FORM).status_code == 404
    assert not VillageFacts.objects.filter(village_id=other).exists()


def test_the_township_reviewer_may_record_and_an_analyst_only_reads(
    signed_in: SignIn, make_user: MakeUser, villages: list[str], client: Client
) -> None:
    village = villages[1]
    reviewer = make_user("town", Role.TOWNSHIP_REVIEWER, village[:9])
    assert signed_in(reviewer).post(url(village), FORM).status_code == 302
    assert VillageFacts.objects.get(village_id=village).population == 1500

    client.logout()
    analyst = make_user("analyst", Role.ANALYST, COUNTY)
    reader = signed_in(analyst)
    page = reader.get(url(village)).content.decode()
    assert 'data-testid="facts-readonly"' in page and 'data-testid="facts-form"' not in page
    assert "1500" in page
    assert reader.post(url(village), {**FORM, "population": "1"}).status_code == 403
    assert VillageFacts.objects.get(village_id=village).population == 1500


def test_the_table_lists_every_village_with_blanks_as_not_recorded(
    signed_in: SignIn, make_user: MakeUser, villages: list[str]
) -> None:
    village_facts_save(village_code=villages[0], year=2019, data={"road_hardened": "是"}, by=None)
    client = signed_in(make_user("office", Role.COUNTY_OFFICE, COUNTY))
    response = client.get(f"/villages/facts/?division={villages[0][:9]}&year=2019")
    page = response.content.decode()
    assert response.status_code == 200
    assert villages[0] in page and villages[1] in page
    assert "已录入 1 个村" in page
    assert page.count('class="blank"') >= 2 * 16 - 1
    assert f"/villages/{villages[0]}/facts/?year=2019" in page
    # A division outside the scope is not shown.
    assert client.get("/villages/facts/?division=110101&year=2019").status_code == 404


def _csv(tmp_path: Path, rows: list[list[str]]) -> SimpleUploadedFile:
    path = tmp_path / "facts.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["村代码", "年度", "通宽带", "村集体经济年收入（元）"])
        writer.writerows(rows)
    return SimpleUploadedFile("facts.csv", path.read_bytes(), content_type="text/csv")


def test_the_import_reports_each_bad_row_and_stores_nothing(
    signed_in: SignIn, make_user: MakeUser, villages: list[str], tmp_path: Path
) -> None:
    client = signed_in(make_user("office", Role.COUNTY_OFFICE, COUNTY))
    upload = _csv(tmp_path, [[villages[0], "2019", "是", "100"], [villages[1], "2019", "x", "-3"]])
    response = client.post("/villages/facts/import/", {"kind": "village", "file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="import-errors"' in page and "2 处错误" in page
    assert "通宽带：只能填“是”或“否”" in page and "<td>3</td>" in page
    assert not VillageFacts.objects.exists()

    good = _csv(tmp_path, [[villages[0], "2019", "是", "100"], [villages[1], "2019", "", ""]])
    response = client.post("/villages/facts/import/", {"kind": "village", "file": good})
    assert response.status_code == 200 and "导入完成" in response.content.decode()
    assert VillageFacts.objects.get(village_id=villages[0]).broadband is True
    assert VillageFacts.objects.get(village_id=villages[1]).broadband is None


def test_the_cadres_import_is_limited_to_their_village(
    signed_in: SignIn, make_user: MakeUser, villages: list[str], tmp_path: Path
) -> None:
    client = signed_in(make_user("cadre", Role.VILLAGE_CADRE, villages[0]))
    upload = _csv(tmp_path, [[villages[1], "2019", "是", "100"]])
    response = client.post("/villages/facts/import/", {"kind": "village", "file": upload})
    assert "不在您的管辖范围内" in response.content.decode()
    assert not VillageFacts.objects.exists()


def test_the_template_downloads_with_the_headings(
    signed_in: SignIn, make_user: MakeUser, divisions: None
) -> None:
    client = signed_in(make_user("office", Role.COUNTY_OFFICE, COUNTY))
    response = client.get("/villages/facts/template.xlsx?kind=county")
    assert response.status_code == 200
    body = response.getvalue()
    assert body[:2] == b"PK"


def test_the_navigation_shows_the_village_facts_page(
    signed_in: SignIn, make_user: MakeUser, divisions: None
) -> None:
    client = signed_in(make_user("office", Role.COUNTY_OFFICE, COUNTY))
    assert 'href="/villages/facts/"' in client.get("/").content.decode()


def test_anonymous_users_are_sent_to_sign_in(client: Client, divisions: None) -> None:
    response = client.get("/villages/facts/")
    assert response.status_code in (302, 403)


def test_the_county_office_records_county_statistics_and_others_read_them(
    make_user, signed_in
) -> None:
    from fupin.divisions.services import divisions_load
    from fupin.registry.village import CountyStatistics

    divisions_load(prefix="513431")
    divisions_load(prefix="513401")
    client = signed_in(make_user("cs-county", Role.COUNTY_OFFICE, "513431"))
    url = "/counties/513431/statistics/?year=2016"
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="facts-form"' in page.content.decode()
    bad = client.post(url, {"rural_disposable_income": "-5", "rural_population": ""})
    assert bad.status_code == 200 and not CountyStatistics.objects.exists()
    ok = client.post(url, {"rural_disposable_income": "8611.5", "rural_population": "230000"})
    assert ok.status_code == 302
    stats = CountyStatistics.objects.get(county_id="513431", year=2016)
    assert stats.rural_population == 230000 and str(stats.rural_disposable_income) == "8611.50"
    township = signed_in(make_user("cs-town", Role.TOWNSHIP_REVIEWER, "513431100"))
    assert township.get(url).status_code == 200  # a township reads its county's figures
    assert township.post(url, {"rural_population": "1"}).status_code == 403
    other = signed_in(make_user("cs-other", Role.COUNTY_OFFICE, "513401"))
    assert other.get(url).status_code == 404
    reader = signed_in(make_user("cs-pref", Role.ANALYST, "5134"))
    html = reader.get(url).content.decode()
    assert 'data-testid="facts-readonly"' in html and "230000" in html
    assert reader.post(url, {"rural_population": "1"}).status_code == 403
