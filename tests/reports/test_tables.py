"""Statistical tables: the figures equal counts of the registry, totals equal sums, exports
open back with the national layout."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fupin.assessment.models import AssessmentResult
from fupin.assessment.services import assessment_run
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.policy import codes
from fupin.registry.models import Household, Member
from fupin.reports.services import rollups_refresh
from fupin.reports.table_exports import table_csv, table_xlsx
from fupin.reports.tables import (
    TABLES,
    Column,
    ColumnGroup,
    Drill,
    Table,
    TableDef,
    register_table,
    table_compute,
)
from tests.conftest import COUNTY, YEAR


@pytest.fixture
def rolled(registry: Path) -> None:
    assessment_run(division_code=COUNTY, year=YEAR)
    rollups_refresh()


def _by_row(table: Table) -> dict[str, dict[str, int | float | None]]:
    keys = [c.key for c in table.table.columns]
    return {r.code: dict(zip(keys, r.values, strict=True)) for r in table.rows}


def _direct(prefix_length: int) -> dict[str, Counter[str]]:
    """Count the registry household by household under every division of that length."""
    persons = Counter(Member.objects.values_list("household_id", flat=True))
    results = {
        hid: (meets, failed)
        for hid, meets, failed in AssessmentResult.objects.filter(year=YEAR).values_list(
            "household_id", "meets_standard", "failed_codes"
        )
    }
    out: dict[str, Counter[str]] = defaultdict(Counter)
    rows = Household.objects.filter(first_identified_year__lte=YEAR).values_list(
        "id", "village_id", "status", "main_cause", "attribute"
    )
    for hid, village, status, cause, attribute in rows:
        d = out[village[:prefix_length]]
        d[f"cause:{cause}"] += 1
        d["cause_total"] += 1
        if hid in results:
            meets, failed = results[hid]
            d["assessed_households"] += 1
            d["meets_standard_households"] += int(meets)
            d["not_meeting_households"] += int(not meets)
            for code in filter(None, failed.split("|")):
                d[f"failed:{code}"] += 1
        if status == "removed":
            continue
        d["registered_households"] += 1
        d["registered_persons"] += persons[hid]
        d[f"{status}_households"] += 1
        d[f"{status}_persons"] += persons[hid]
        d[attribute] += 1
        d["attr_total"] += 1
        if status == "poor":
            d[f"{attribute}:poor"] += 1
            d["attr_total:poor"] += 1
        if status in ("exited", "exited_with_policy"):
            d["all_exited_households"] += 1
    return out


def _check_counts(table: Table, direct: dict[str, Counter[str]]) -> None:
    for code, values in _by_row(table).items():
        for column in table.table.columns:
            if column.kind == "count":
                assert values[column.key] == direct[code][column.key], (code, column.key)


@pytest.mark.usefixtures("rolled")
@pytest.mark.parametrize("name", ["scale", "by_cause", "by_failed_rule", "by_attribute"])
def test_county_table_rows_are_its_townships_and_equal_the_registry(name: str) -> None:
    table = table_compute(name=name, division_code=COUNTY, year=YEAR)

    townships = set(Division.objects.filter(parent_id=COUNTY).values_list("code", flat=True))
    assert {r.code for r in table.rows} == townships
    assert table.division_name == "昭觉县" and table.year == YEAR
    _check_counts(table, _direct(9))
    # The table says something: at least one figure is not zero.
    assert any(v for r in table.rows for v in r.values)


@pytest.mark.usefixtures("rolled")
@pytest.mark.parametrize("name", list(TABLES))
def test_total_row_is_the_sum_of_the_rows_and_equals_the_county(name: str) -> None:
    table = table_compute(name=name, division_code=COUNTY, year=YEAR)
    assert table.total is not None and table.total.name == "合计"

    county = _direct(6)[COUNTY]
    # The deep-poverty table counts 未脱贫 and 返贫 together as the poor (两高).
    county["poor_or_returned_persons"] = county["poor_persons"] + county.get("returned_persons", 0)
    for i, column in enumerate(table.table.columns):
        if column.kind != "count":
            continue
        column_sum = sum(int(r.values[i] or 0) for r in table.rows)
        assert table.total.values[i] == column_sum, column.key
        if column.key in county or name != "deep_poverty":
            assert column_sum == county[column.key], column.key


@pytest.mark.usefixtures("rolled")
def test_scale_adds_up_and_exit_progress_shares_are_computed_from_the_counts() -> None:
    scale = table_compute(name="scale", division_code=COUNTY, year=YEAR)
    assert scale.total is not None
    t = dict(zip([c.key for c in scale.table.columns], scale.total.values, strict=True))
    statuses = ("poor", "exited_with_policy", "returned", "exited")
    assert t["registered_households"] == sum(int(t[f"{s}_households"] or 0) for s in statuses)
    assert t["registered_persons"] == sum(int(t[f"{s}_persons"] or 0) for s in statuses)
    assert t["registered_households"] == Household.objects.exclude(status="removed").count()

    progress = table_compute(name="exit_progress", division_code=COUNTY, year=YEAR)
    assert progress.total is not None
    p = dict(zip([c.key for c in progress.table.columns], progress.total.values, strict=True))
    exited = Household.objects.filter(status__in=["exited", "exited_with_policy"]).count()
    assert p["all_exited_households"] == exited
    assert p["exit_share"] == round(100 * exited / t["registered_households"], 1)
    meets = AssessmentResult.objects.filter(year=YEAR, meets_standard=True).count()
    assert p["meets_standard_households"] == meets
    assert p["meets_share"] == round(100 * meets / AssessmentResult.objects.count(), 1)


@pytest.mark.usefixtures("rolled")
def test_village_table_is_one_row_without_total_and_national_rows_are_provinces() -> None:
    village = Household.objects.values_list("village_id", flat=True).first()
    assert village
    table = table_compute(name="scale", division_code=village, year=YEAR)
    assert [r.code for r in table.rows] == [village] and table.total is None
    assert table.rows[0].values[0] == (
        Household.objects.filter(village_id=village).exclude(status="removed").count()
    )

    national = table_compute(name="by_attribute", division_code="", year=YEAR)
    assert [r.code for r in national.rows] == ["51"]
    assert national.division_name == "全国"
    assert national.total is not None
    assert national.total.values == national.rows[0].values


@pytest.mark.usefixtures("rolled")
def test_cells_carry_drill_down_filters_only_where_the_list_can_filter() -> None:
    table = table_compute(name="scale", division_code=COUNTY, year=YEAR)
    row = table.rows[0]
    cells = dict(zip([c.key for c in table.table.columns], row.cells, strict=True))
    assert cells["poor_households"].drill == Drill(row.code, (("status", "poor"),))
    assert cells["registered_households"].drill is None
    progress = table_compute(name="exit_progress", division_code=COUNTY, year=YEAR)
    assert all(c.drill is None for c in progress.rows[0].cells)
    attrs = table_compute(name="by_attribute", division_code=COUNTY, year=YEAR)
    keyed = dict(zip([c.key for c in attrs.table.columns], attrs.rows[0].cells, strict=True))
    assert keyed["dibao:poor"].drill == Drill(
        attrs.rows[0].code, (("attribute", "dibao"), ("status", "poor"))
    )


@pytest.mark.usefixtures("rolled")
def test_latest_year_is_the_default_and_unknowns_are_refused() -> None:
    assert table_compute(name="scale", division_code=COUNTY).year == YEAR
    with pytest.raises(FupinError) as exc:
        table_compute(name="nope", division_code=COUNTY)
    assert exc.value.code == "TABLE_UNKNOWN"
    with pytest.raises(FupinError) as exc:
        table_compute(name="scale", division_code="519999")
    assert exc.value.code == "DIVISION_UNKNOWN"


def test_no_rollups_at_all_is_refused(db: None) -> None:
    from fupin.divisions.services import divisions_load

    divisions_load(prefix=COUNTY)
    with pytest.raises(FupinError) as exc:
        table_compute(name="scale", division_code=COUNTY)
    assert exc.value.code == "TABLE_NO_YEAR"


def test_registering_a_table_twice_or_with_a_bad_name_is_refused() -> None:
    existing = TABLES["scale"]
    with pytest.raises(ValueError):
        register_table(existing)
    bad = TableDef(
        name="bad name",
        title="x",
        unit="户",
        definition="",
        groups=(ColumnGroup("", (Column("a", "A"),)),),
        figures=lambda q: {},
    )
    with pytest.raises(ValueError):
        register_table(bad)
    assert "bad name" not in TABLES


@pytest.mark.usefixtures("rolled")
def test_xlsx_has_the_national_layout() -> None:
    table = table_compute(name="scale", division_code=COUNTY, year=YEAR)

    wb = load_workbook(io.BytesIO(table_xlsx(table, made=date(2017, 3, 1))))
    ws = wb.active
    assert ws is not None
    assert ws["A1"].value == f"昭觉县{YEAR}年贫困人口规模与分布统计表"
    merged = {str(r) for r in ws.merged_cells.ranges}
    # title across all 2 + 10 columns; division columns over both header rows; groups merged.
    assert "A1:L1" in merged
    assert {"A3:A4", "B3:B4", "C3:D3", "E3:F3", "K3:L3"} <= merged
    assert ws["C3"].value == "建档立卡" and ws["C4"].value == "户数" and ws["D4"].value == "人数"
    assert ws["E3"].value == "未脱贫"
    assert ws.freeze_panes == "C5"
    line = [c.value for c in ws[2] if c.value]
    assert line == ["填报单位：昭觉县", f"年度：{YEAR}", "单位：户、人", "制表日期：2017-03-01"]
    assert table.total is not None
    assert ws["A5"].value == "合计" and ws["A5"].font.b and not ws["A6"].font.b
    assert [ws.cell(row=5, column=3 + i).value for i in range(10)] == list(table.total.values)
    last = 5 + len(table.all_rows)
    assert str(ws.cell(row=last + 1, column=1).value).startswith("说明：建档立卡户")
    assert ws.column_dimensions["A"].width == 20


@pytest.mark.usefixtures("rolled")
def test_xlsx_of_a_table_with_ungrouped_columns_spans_both_header_rows() -> None:
    table = table_compute(name="exit_progress", division_code=COUNTY, year=YEAR)
    ws = load_workbook(io.BytesIO(table_xlsx(table))).active
    assert ws is not None
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "C3:C4" in merged and "D3:E3" in merged and "F3:H3" in merged
    assert ws["C3"].value == "建档立卡户数" and ws["E4"].value == "占比（%）"


@pytest.mark.usefixtures("rolled")
def test_csv_has_a_bom_and_parses_back_to_the_figures() -> None:
    table = table_compute(name="by_cause", division_code=COUNTY, year=YEAR)

    text = table_csv(table)

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == [
        "区划名称",
        "区划代码",
        "合计",
        f"主要致贫原因-{codes.CAUSE.label_of('illness')}",
    ]
    assert rows[1][0] == "合计"
    assert len(rows) == 1 + len(table.all_rows)
    assert table.total is not None
    assert [int(v) for v in rows[1][2:]] == list(table.total.values)
