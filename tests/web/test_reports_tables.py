"""The statistical tables pages: the catalogue, a table with drill-downs, downloads, scoping."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from openpyxl import load_workbook

from fupin.accounts.models import Role
from fupin.assessment.services import assessment_run
from fupin.registry.models import Household
from fupin.reports.tables import TABLES
from tests.conftest import COUNTY, YEAR

SignIn = Callable[[AbstractUser], Client]
MakeUser = Callable[..., AbstractUser]


@pytest.fixture
def assessed(registry: Path) -> None:
    # Not rolled up: the page refreshes the villages the import marked dirty itself.
    assessment_run(division_code=COUNTY, year=YEAR)


def _total_cells(html: str) -> list[str]:
    start = html.index('data-testid="total-row"')
    row = html[start : html.index("</tr>", start)]
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r'<td class="n">(.*?)</td>', row)]


@pytest.mark.usefixtures("assessed")
def test_catalogue_lists_every_table_and_nav_links_it(
    make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    html = client.get("/reports/tables/").content.decode()

    assert 'href="/reports/tables/"' in html  # the NAV entry
    for table in TABLES.values():
        assert f'href="/reports/tables/{table.name}/"' in html
        assert table.title in html


@pytest.mark.usefixtures("assessed")
def test_county_table_shows_township_rows_total_and_drill_downs(
    make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    response = client.get(f"/reports/tables/scale/?division={COUNTY}&year={YEAR}")

    html = response.content.decode()
    assert response.status_code == 200
    assert "昭觉县 贫困人口规模与分布" in html
    registered = Household.objects.exclude(status="removed").count()
    poor = Household.objects.filter(status="poor").count()
    cells = _total_cells(html)
    assert cells[0] == str(registered) and cells[2] == str(poor)
    # Two header rows: the group over two columns, the division columns over both rows.
    assert '<th colspan="2" rowspan="1">未脱贫</th>' in html
    assert '<th rowspan="2">区划名称</th>' in html
    # The total's poor count links to the county's poor households; a township name drills
    # down to the same table one level lower.
    assert f'href="/households/?village={COUNTY}&amp;status=poor"' in html
    first = Household.objects.values_list("village_id", flat=True).first()
    assert first is not None
    township = first[:9]
    assert f'href="/reports/tables/scale/?division={township}&amp;year={YEAR}"' in html
    assert "统计口径" in html and "建档立卡户：首次识别年度不晚于本年度" in html
    assert f'href="/reports/tables/scale.xlsx?division={COUNTY}&amp;year={YEAR}"' in html
    assert 'class="table-wrap"' in html  # scrolls horizontally on a phone


@pytest.mark.usefixtures("assessed")
def test_drill_down_link_lists_exactly_the_counted_households(
    make_user: MakeUser, signed_in: SignIn
) -> None:
    village = Household.objects.filter(status="poor").values_list("village_id", flat=True)[0]
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    html = client.get(f"/reports/tables/scale/?division={village[:9]}").content.decode()
    link = f"/households/?village={village}&amp;status=poor"
    assert f'href="{link}"' in html

    listing = client.get(link.replace("&amp;", "&")).content.decode()

    expected = Household.objects.filter(village_id=village, status="poor")
    assert expected.exists()
    for code in expected.values_list("code", flat=True)[:50]:
        assert code in listing
    others = Household.objects.filter(village_id=village).exclude(status="poor")
    for code in others.values_list("code", flat=True):
        assert f">{code}<" not in listing


@pytest.mark.usefixtures("assessed")
def test_a_division_outside_the_scope_answers_404_and_no_right_403(
    make_user: MakeUser, signed_in: SignIn
) -> None:
    village = Household.objects.values_list("village_id", flat=True).first()
    assert village
    client = signed_in(make_user("township", Role.TOWNSHIP_REVIEWER, village[:9]))

    assert client.get("/reports/tables/scale/").status_code == 200
    assert client.get(f"/reports/tables/scale/?division={COUNTY}").status_code == 404
    assert client.get("/reports/tables/scale.xlsx?division=513431999").status_code == 404
    assert client.get("/reports/tables/nope/").status_code == 404

    provider = signed_in(make_user("dept", Role.DEPARTMENT_PROVIDER, None))
    assert provider.get("/reports/tables/").status_code == 403
    assert provider.get("/reports/tables/scale/").status_code == 403


@pytest.mark.usefixtures("assessed")
def test_xlsx_and_csv_downloads(make_user: MakeUser, signed_in: SignIn) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))

    response = client.get(f"/reports/tables/by_cause.xlsx?division={COUNTY}&year={YEAR}")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f"by_cause-{COUNTY}-{YEAR}.xlsx" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws is not None
    assert ws["A1"].value == f"昭觉县{YEAR}年按主要致贫原因分户数统计表"
    assert ws["A5"].value == "合计" and ws["C5"].value == Household.objects.count()

    response = client.get(f"/reports/tables/by_cause.csv?division={COUNTY}")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][:3] == ["合计", COUNTY, str(Household.objects.count())]
