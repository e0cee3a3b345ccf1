"""Import of village facts (村情) and county statistics: every row judged, all or nothing."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from openpyxl import Workbook, load_workbook

from fupin.accounts.models import Profile, Role
from fupin.common.models import AuditEvent
from fupin.registry.imports.village_facts import (
    county_statistics_import_file,
    facts_template_workbook,
    village_facts_import_file,
)
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.registry.village_services import village_facts_save
from tests.registry.flatfiles import VILLAGE_1, VILLAGE_2

pytestmark = pytest.mark.usefixtures("divisions")

HEADER = ["村代码", "年度", "贫困村属性", "通硬化路（到村）", "自然村数", "通硬化路的自然村数",
          "安全饮水覆盖率（%）", "村集体经济年收入（元）", "有增收产业"]  # fmt: skip


def write_csv(path: Path, rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(
    path: Path, rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER
) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


GOOD = [
    [VILLAGE_1, 2019, "贫困村", "是", 5, 3, "95", "12000", ""],
    [VILLAGE_2, 2019, "deep_poor", "否", 4, "", "80.5", "0", "有"],
]


def test_a_good_file_stores_every_row_and_blank_stays_null(tmp_path: Path) -> None:
    report = village_facts_import_file(path=write_csv(tmp_path / "f.csv", GOOD))

    assert report.ok and report.stored, report.errors
    assert (report.rows, report.created, report.updated) == (2, 2, 0)
    one = VillageFacts.objects.get(village_id=VILLAGE_1, year=2019)
    two = VillageFacts.objects.get(village_id=VILLAGE_2, year=2019)
    assert one.poverty_status == "poor" and one.road_hardened is True
    assert (one.natural_villages, one.natural_villages_road) == (5, 3)
    assert one.safe_water_share == Decimal("95.00") and one.industry is None
    assert two.poverty_status == "deep_poor" and two.road_hardened is False
    assert two.natural_villages_road is None and two.industry is True
    assert two.collective_income == Decimal("0.00")
    # Columns not in the file stay not recorded.
    assert one.broadband is None and one.population is None
    assert one.source == "import" and one.field_sources["road_hardened"] == "import"
    assert "industry" not in one.field_sources
    events = AuditEvent.objects.filter(action="village_facts.import")
    assert sorted(events.values_list("obj_key", flat=True)) == [VILLAGE_1, VILLAGE_2]


def test_the_excel_file_reads_numbers_and_english_headers(tmp_path: Path) -> None:
    header = ["village_code", "year", "road_hardened", "collective_income", "population"]
    path = write_xlsx(tmp_path / "f.xlsx", [[int(VILLAGE_1), 2020, "TRUE", 5000.5, 1200]], header)

    report = village_facts_import_file(path=path)

    assert report.ok, report.errors
    facts = VillageFacts.objects.get(village_id=VILLAGE_1, year=2020)
    assert facts.road_hardened is True and facts.population == 1200
    assert facts.collective_income == Decimal("5000.50")


def test_a_bad_cell_gives_a_per_row_error_and_nothing_is_stored(tmp_path: Path) -> None:
    rows = [GOOD[0], [VILLAGE_2, 2019, "贫困村", "也许", 4, 6, "120", "-1", ""]]

    report = village_facts_import_file(path=write_csv(tmp_path / "f.csv", rows))

    assert not report.ok and not report.stored
    found = {(e.row, e.column, e.code) for e in report.errors}
    assert found == {
        (3, "road_hardened", "BOOL_INVALID"),
        (3, "safe_water_share", "NUMBER_OUT_OF_RANGE"),
        (3, "collective_income", "MONEY_NEGATIVE"),
        (3, "natural_villages_road", "ROAD_MORE_THAN_NATURAL"),
    }
    road = next(e for e in report.errors if e.column == "road_hardened")
    assert road.message.startswith("通硬化路（到村）：") and road.value == "也许"
    assert not VillageFacts.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unknown_villages_duplicates_and_bad_years_are_reported(tmp_path: Path) -> None:
    rows = [
        GOOD[0],
        [VILLAGE_1, 2019, "", "", "", "", "", "", ""],
        ["513431100099", 2019, "", "", "", "", "", "", ""],
        ["513431100", 2019, "", "", "", "", "", "", ""],
        [VILLAGE_2, 1990, "", "", "", "", "", "", ""],
    ]
    report = village_facts_import_file(path=write_csv(tmp_path / "f.csv", rows))
    assert [(e.row, e.code) for e in report.errors] == [
        (3, "DUPLICATE_IN_FILE"),
        (4, "DIVISION_UNKNOWN"),
        (5, "DIVISION_LEVEL"),
        (6, "NUMBER_OUT_OF_RANGE"),
    ]
    assert "第 2 行" in report.errors[0].message
    assert not VillageFacts.objects.exists()


def test_missing_key_columns_are_refused_before_any_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["是"]], header=["通宽带"])
    report = village_facts_import_file(path=path)
    assert {e.code for e in report.errors} == {"FILE_MISSING_COLUMN"}
    assert {e.column for e in report.errors} == {"village_code", "year"}


def test_rows_outside_the_users_scope_are_refused(tmp_path: Path) -> None:
    user = get_user_model().objects.create_user(username="cadre", password="pw-123456789")
    Profile.objects.create(user=user, role=Role.VILLAGE_CADRE, division_id=VILLAGE_1)
    report = village_facts_import_file(path=write_csv(tmp_path / "f.csv", GOOD), by=user)
    assert [(e.row, e.code) for e in report.errors] == [(3, "VILLAGE_OUT_OF_SCOPE")]
    assert not VillageFacts.objects.exists()


def test_reimport_updates_only_the_files_columns_and_counts_changes(tmp_path: Path) -> None:
    village_facts_save(
        village_code=VILLAGE_1, year=2019, data={"broadband": "是", "industry": "否"}, by=None
    )
    report = village_facts_import_file(path=write_csv(tmp_path / "f.csv", GOOD))
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    one = VillageFacts.objects.get(village_id=VILLAGE_1, year=2019)
    assert one.broadband is True  # not a column of the file: kept
    assert one.industry is None  # a blank cell of a column in the file: not recorded
    assert one.road_hardened is True
    assert one.field_sources["broadband"] == "manual"
    assert one.field_sources["road_hardened"] == "import"

    again = village_facts_import_file(path=write_csv(tmp_path / "f.csv", GOOD))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_a_dry_run_validates_and_stores_nothing(tmp_path: Path) -> None:
    report = village_facts_import_file(path=write_csv(tmp_path / "f.csv", GOOD), dry_run=True)
    assert report.ok and not report.stored and report.created == 2
    assert report.preview[0]["values"][:2] == ["贫困村", "是"]
    assert not VillageFacts.objects.exists()


def test_county_statistics_import(tmp_path: Path) -> None:
    header = ["县代码", "年度", "农村常住居民人均可支配收入（元）", "乡村人口"]
    good = write_csv(tmp_path / "c.csv", [["513431", 2019, "9800", "260000"]], header)
    report = county_statistics_import_file(path=good)
    assert report.ok, report.errors
    stats = CountyStatistics.objects.get()
    assert (stats.rural_disposable_income, stats.rural_population) == (Decimal("9800.00"), 260000)

    bad = write_csv(tmp_path / "d.csv", [[VILLAGE_1, 2019, "x", ""]], header)
    report = county_statistics_import_file(path=bad)
    assert {(e.row, e.code) for e in report.errors} == {
        (2, "NUMBER_INVALID"),
        (2, "DIVISION_LEVEL"),
    }


def test_the_template_has_the_headings_and_reimports_empty(tmp_path: Path) -> None:
    path = facts_template_workbook("village", tmp_path / "t.xlsx")
    ws = load_workbook(path).active
    assert ws is not None
    headings = [c.value for c in ws[1]]
    assert headings[:3] == ["村代码", "年度", "贫困村属性"] and "有增收产业" in headings
    assert len(headings) == 18
    report = village_facts_import_file(path=path)
    assert [e.code for e in report.errors] == ["FILE_EMPTY"]
