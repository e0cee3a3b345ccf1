"""The bulk registry import: a valid file is stored whole; any bad cell stores nothing.

File layout of ``flatfiles.valid_rows()`` (spreadsheet rows, header = row 1):
rows 2–5 household 1 (4 persons, income 2020), rows 6–7 household 2 (2 persons, income 2020
without household size), rows 8–10 household 3 (3 persons, no income, exited 2019).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from fupin.common.errors import FupinError
from fupin.registry.imports.errors import ImportReport
from fupin.registry.imports.services import registry_import_file, registry_import_table
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from tests.registry import flatfiles

pytestmark = pytest.mark.usefixtures("divisions")

Rows = list[dict[str, str]]


def counts() -> tuple[int, int, int, int]:
    return (
        Household.objects.count(),
        Member.objects.count(),
        HouseholdIncome.objects.count(),
        LivingConditions.objects.count(),
    )


def import_rows(rows: Rows, tmp_path: Path) -> ImportReport:
    return registry_import_file(path=flatfiles.write_csv(rows, tmp_path / "f.csv"))


def found(report: ImportReport) -> set[tuple[int, str, str]]:
    return {(e.row, e.column, e.code) for e in report.errors}


# --- a valid file ---------------------------------------------------------------------------


def test_valid_file_imports_all_households_members_incomes_and_conditions(valid_csv: Path) -> None:
    report = registry_import_file(path=valid_csv)

    assert report.ok and report.stored, report.errors
    assert (report.rows, report.households, report.members) == (9, 3, 9)
    assert (report.incomes, report.conditions) == (2, 3)
    assert counts() == (3, 9, 2, 3)


def test_income_net_and_per_capita_are_computed_from_the_items(valid_csv: Path) -> None:
    registry_import_file(path=valid_csv)

    income = HouseholdIncome.objects.get(household__code="5134311000010001")
    # 12000 wage + 3000 operating + 2400 dibao - 1000 operating cost
    assert income.net_income == Decimal("16400.00")
    assert income.household_size == 4
    assert income.per_capita_net_income == Decimal("4100.00")
    assert (income.period_start, income.period_end) == (date(2020, 1, 1), date(2020, 12, 31))


def test_empty_household_size_becomes_the_number_of_member_rows(valid_csv: Path) -> None:
    registry_import_file(path=valid_csv)

    income = HouseholdIncome.objects.get(household__code="5134311000010002")
    assert income.household_size == 2
    assert income.net_income == Decimal("6200.50")
    assert income.per_capita_net_income == Decimal("3100.25")


def test_birth_date_and_sex_come_from_the_id_number(valid_csv: Path) -> None:
    registry_import_file(path=valid_csv)

    head = Member.objects.get(name="阿西木呷")
    assert head.birth_date == date(1970, 3, 5) and head.sex == "male"
    wife = Member.objects.get(name="吉克阿衣")
    assert wife.birth_date == date(1972, 7, 9) and wife.sex == "female"
    assert head.id_key == int(head.id_number[:17]) * 11 + (
        10 if head.id_number[17] == "X" else int(head.id_number[17])
    )


def test_labels_are_stored_as_codes_with_source_and_defaults(valid_csv: Path) -> None:
    registry_import_file(path=valid_csv, source="import")

    h1 = Household.objects.get(code="5134311000010001")
    assert (h1.attribute, h1.standard, h1.main_cause, h1.status) == (
        "general",
        "national",
        "illness",
        "poor",
    )
    assert h1.other_causes == ["lack_capital"]
    assert h1.village_id == flatfiles.VILLAGE_1
    assert h1.source == "import" and h1.field_sources == {}
    assert h1.created_at is not None and h1.two_daughters is False
    h2 = Household.objects.get(code="5134311000010002")
    assert h2.other_causes == ["disability", "illness"]
    h3 = Household.objects.get(code="5134311000020001")
    assert (h3.status, h3.exit_year, h3.relocated) == ("exited_with_policy", 2019, True)
    cond = LivingConditions.objects.get(household=h1)
    assert (cond.house_grade, cond.road_type, cond.fuel) == ("C", "concrete", "firewood")
    assert cond.cultivated_land_mu == Decimal("3.50") and cond.water_difficult is None
    # a blank 危房级别 stays not recorded (issue 14: blank is not safe)
    assert LivingConditions.objects.get(household=h3).house_grade == ""
    son = Member.objects.get(name="阿西拉则")
    assert (son.relation, son.ethnicity, son.school_status) == ("son", "07", "not_in_school")
    assert Member.objects.get(name="阿西木呷").migrant_months == 8
    assert Member.objects.get(name="张华").health == "healthy"  # model default


def test_orm_inserts_work_after_ids_were_assigned_in_bulk(valid_csv: Path) -> None:
    registry_import_file(path=valid_csv)

    extra = Household.objects.create(
        code="X-1", village_id=flatfiles.VILLAGE_1, main_cause="illness", first_identified_year=2020
    )
    assert extra.pk > max(Household.objects.exclude(pk=extra.pk).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "write",
    [
        lambda rows, d: flatfiles.write_csv(rows, d / "f.csv", chinese=True),
        lambda rows, d: flatfiles.write_csv(rows, d / "f.csv", encoding="utf-8"),
        lambda rows, d: flatfiles.write_csv(rows, d / "f.csv", chinese=True, encoding="gb18030"),
        lambda rows, d: flatfiles.write_parquet(rows, d / "f.parquet"),
        lambda rows, d: flatfiles.write_xlsx(rows, d / "f.xlsx", chinese=True),
        lambda rows, d: flatfiles.write_xlsx(rows, d / "f.xlsx", chinese=False),
    ],
    ids=["csv-chinese-headings", "csv-no-bom", "csv-gbk", "parquet", "xlsx-chinese", "xlsx-names"],
)
def test_every_format_and_heading_style_imports(
    write: Callable[[Rows, Path], Path], rows: Rows, tmp_path: Path
) -> None:
    report = registry_import_file(path=write(rows, tmp_path))

    assert report.ok, report.errors
    assert counts() == (3, 9, 2, 3)
    assert Member.objects.get(name="沙马小明").relation == "grandson"


def test_codes_aliases_and_label_variants_are_accepted(rows: Rows, tmp_path: Path) -> None:
    for r in rows[:4]:
        r |= {"attribute": "general", "main_cause": "illness", "other_causes": "lack_capital"}
    for r in rows[4:6]:
        r |= {"attribute": "五保户", "main_cause": "缺劳动力", "other_causes": "因残；其它"}
    for r in rows[6:]:
        r["status"] = "已脱贫（享受政策）"  # full-width parentheses
    rows[0]["ethnicity"] = "彝"  # alias without 族
    rows[1]["migrant_work"] = "乡（镇）内务工"

    report = import_rows(rows, tmp_path)

    assert report.ok, report.errors
    assert Household.objects.get(code="5134311000010002").other_causes == ["disability", "other"]
    assert Member.objects.get(name="吉克阿衣").migrant_work == "in_township"


def test_excel_numbers_are_read_as_the_numbers_they_show(rows: Rows, tmp_path: Path) -> None:
    typed: list[dict[str, object]] = []
    for r in rows:
        t: dict[str, object] = dict(r)
        for name in ("first_identified_year", "income_year", "household_size", "migrant_months"):
            if r[name]:
                t[name] = int(r[name])
        for name in ("wage", "transfer_pension", "cultivated_land_mu"):
            if r[name]:
                t[name] = float(r[name])
        t["village_code"] = int(r["village_code"])
        typed.append(t)

    report = registry_import_file(path=flatfiles.write_xlsx(typed, tmp_path / "f.xlsx"))

    assert report.ok, report.errors
    assert HouseholdIncome.objects.get(household__code="5134311000010002").net_income == Decimal(
        "6200.50"
    )


def test_arrow_table_import_numbers_rows_from_two(rows: Rows) -> None:
    rows[3]["ethnicity"] = "火星族"
    table = flatfiles.to_table(rows)

    report = registry_import_table(table_or_batches=table)

    assert found(report) == {(5, "ethnicity", "CODE_UNKNOWN")}
    good = registry_import_table(table_or_batches=flatfiles.to_table(flatfiles.valid_rows()))
    assert good.stored and counts() == (3, 9, 2, 3)


def test_dry_run_validates_and_stores_nothing(valid_csv: Path) -> None:
    report = registry_import_file(path=valid_csv, dry_run=True)

    assert report.ok and report.dry_run and not report.stored
    assert report.households == 3
    assert counts() == (0, 0, 0, 0)


def test_progress_is_reported_per_stage(valid_csv: Path) -> None:
    seen: list[tuple[str, int, int]] = []

    registry_import_file(path=valid_csv, progress=lambda *a: seen.append(a))

    stages = [s for s, _, _ in seen]
    assert stages[0] == "读取校验" and "写入" in stages
    assert ("写入", 17, 17) in seen  # 3 households + 3 conditions + 2 incomes + 9 members


# --- all or nothing -------------------------------------------------------------------------


def test_one_bad_row_stores_nothing(rows: Rows, tmp_path: Path) -> None:
    rows[7]["id_number"] = rows[7]["id_number"][:17] + (
        "0" if rows[7]["id_number"][17] != "0" else "1"
    )

    report = import_rows(rows, tmp_path)

    assert not report.ok and not report.stored
    assert found(report) == {(9, "id_number", "ID_BAD_CHECKSUM")}
    assert counts() == (0, 0, 0, 0)


def test_reimporting_the_same_file_is_refused_and_stores_nothing(valid_csv: Path) -> None:
    assert registry_import_file(path=valid_csv).stored

    again = registry_import_file(path=valid_csv)

    assert not again.stored
    codes = {e.code for e in again.errors}
    assert codes == {"HOUSEHOLD_EXISTS", "ID_EXISTS"}
    assert {(e.row, e.column) for e in again.errors if e.code == "HOUSEHOLD_EXISTS"} == {
        (2, "household_code"),
        (6, "household_code"),
        (8, "household_code"),
    }
    assert len([e for e in again.errors if e.code == "ID_EXISTS"]) == 9
    assert "5134311000010001" in again.errors[1].message
    assert counts() == (3, 9, 2, 3)


def test_an_id_registered_in_another_household_is_refused(
    valid_csv: Path, rows: Rows, tmp_path: Path
) -> None:
    registry_import_file(path=valid_csv)
    newcomer = dict(rows[0]) | {"household_code": "NEW-1", "name": "新户主"}

    report = import_rows([newcomer], tmp_path)

    assert found(report) == {(2, "id_number", "ID_EXISTS")}


# --- every error code, with its row and column ---------------------------------------------


def set_household(rows: Rows, code: str, **values: str) -> None:
    for r in rows:
        if r["household_code"] == code:
            r.update(values)


H1, H2, H3 = "5134311000010001", "5134311000010002", "5134311000020001"


CASES: list[tuple[str, Callable[[Rows], None], set[tuple[int, str, str]]]] = [
    ("required", lambda r: r[0].update(name=""), {(2, "name", "REQUIRED")}),
    (
        "required-household-column",
        lambda r: set_household(r, H3, main_cause=""),
        {
            (8, "main_cause", "REQUIRED"),
            (9, "main_cause", "REQUIRED"),
            (10, "main_cause", "REQUIRED"),
        },
    ),
    ("code-unknown", lambda r: r[1].update(ethnicity="火星族"), {(3, "ethnicity", "CODE_UNKNOWN")}),
    (
        "bool-invalid",
        lambda r: r[2].update(basic_medical="也许"),
        {(4, "basic_medical", "BOOL_INVALID")},
    ),
    (
        "int-invalid",
        lambda r: r[0].update(migrant_months="八"),
        {(2, "migrant_months", "NUMBER_INVALID")},
    ),
    (
        "migrant-months-range",
        lambda r: r[0].update(migrant_months="13"),
        {(2, "migrant_months", "NUMBER_OUT_OF_RANGE")},
    ),
    (
        "money-invalid",
        lambda r: set_household(r, H2, transfer_tekun="五千"),
        {(6, "transfer_tekun", "NUMBER_INVALID"), (7, "transfer_tekun", "NUMBER_INVALID")},
    ),
    (
        "money-negative",
        lambda r: set_household(r, H2, transfer_tekun="-5000"),
        {(6, "transfer_tekun", "MONEY_NEGATIVE"), (7, "transfer_tekun", "MONEY_NEGATIVE")},
    ),
    (
        "text-too-long",
        lambda r: r[8].update(name="长" * 51),
        {(10, "name", "TEXT_TOO_LONG")},
    ),
    (
        "id-excel-number",
        lambda r: r[4].update(id_number="5.13431E+17"),
        {(6, "id_number", "ID_EXCEL_NUMBER")},
    ),
    (
        "id-bad-length",
        lambda r: r[4].update(id_number="51343119480201"),
        {(6, "id_number", "ID_BAD_LENGTH")},
    ),
    (
        "id-future-birth",
        lambda r: r[3].update(id_number="513431209901010011"),
        {(5, "id_number", "ID_FUTURE_BIRTH_DATE")},
    ),
    # An implausible age (born after the income year, over 120) is a data-quality note on
    # the record now, not a refusal (issue 14; tests/registry/test_quality_notes.py).
    (
        "id-duplicate-in-file",
        lambda r: r[8].update(id_number=r[0]["id_number"]),
        {(10, "id_number", "ID_DUPLICATE_IN_FILE")},
    ),
    (
        "division-unknown",
        lambda r: set_household(r, H3, village_code="513431100099"),
        {
            (8, "village_code", "DIVISION_UNKNOWN"),
            (9, "village_code", "DIVISION_UNKNOWN"),
            (10, "village_code", "DIVISION_UNKNOWN"),
        },
    ),
    (
        "division-not-village-level",
        lambda r: set_household(r, H3, village_code="513431100"),
        {
            (8, "village_code", "DIVISION_UNKNOWN"),
            (9, "village_code", "DIVISION_UNKNOWN"),
            (10, "village_code", "DIVISION_UNKNOWN"),
        },
    ),
    (
        "cause-too-many",
        lambda r: set_household(r, H2, other_causes="因残、缺水、缺土地"),
        {(6, "other_causes", "CAUSE_TOO_MANY"), (7, "other_causes", "CAUSE_TOO_MANY")},
    ),
    (
        "cause-same-as-main",
        lambda r: set_household(r, H2, other_causes="缺劳力"),
        {(6, "other_causes", "CAUSE_DUPLICATE"), (7, "other_causes", "CAUSE_DUPLICATE")},
    ),
    (
        "cause-repeated",
        lambda r: set_household(r, H2, other_causes="因残,因残"),
        {(6, "other_causes", "CAUSE_DUPLICATE"), (7, "other_causes", "CAUSE_DUPLICATE")},
    ),
    (
        "cause-unknown",
        lambda r: set_household(r, H2, other_causes="因残、因懒"),
        {(6, "other_causes", "CODE_UNKNOWN"), (7, "other_causes", "CODE_UNKNOWN")},
    ),
    (
        "household-inconsistent",
        lambda r: r[1].update(main_cause="因残"),
        {(3, "main_cause", "HOUSEHOLD_INCONSISTENT")},
    ),
    (
        "household-size-inconsistent",
        lambda r: r[2].update(household_size="5"),
        {(4, "household_size", "HOUSEHOLD_INCONSISTENT")},
    ),
    ("head-missing", lambda r: r[4].update(relation="之女"), {(6, "relation", "HEAD_MISSING")}),
    ("head-multiple", lambda r: r[8].update(relation="户主"), {(10, "relation", "HEAD_MULTIPLE")}),
    (
        "exit-before-identification",
        lambda r: set_household(r, H3, exit_year="2015"),
        {
            (8, "exit_year", "EXIT_BEFORE_IDENTIFICATION"),
            (9, "exit_year", "EXIT_BEFORE_IDENTIFICATION"),
            (10, "exit_year", "EXIT_BEFORE_IDENTIFICATION"),
        },
    ),
    (
        "income-without-year",
        lambda r: set_household(r, H2, income_year=""),
        {(6, "income_year", "REQUIRED"), (7, "income_year", "REQUIRED")},
    ),
    (
        "year-out-of-range",
        lambda r: set_household(r, H3, first_identified_year="2009"),
        {
            (8, "first_identified_year", "NUMBER_OUT_OF_RANGE"),
            (9, "first_identified_year", "NUMBER_OUT_OF_RANGE"),
            (10, "first_identified_year", "NUMBER_OUT_OF_RANGE"),
        },
    ),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_reports_its_code_on_the_right_row_and_column(
    case: str,
    mutate: Callable[[Rows], None],
    expected: set[tuple[int, str, str]],
    rows: Rows,
    tmp_path: Path,
) -> None:
    mutate(rows)

    report = import_rows(rows, tmp_path)

    assert found(report) == expected
    assert report.error_count == len(expected)
    assert all(e.message for e in report.errors)
    assert counts() == (0, 0, 0, 0)


def test_missing_required_column_is_reported_on_the_header_row(rows: Rows, tmp_path: Path) -> None:
    for r in rows:
        del r["id_number"]

    report = import_rows(rows, tmp_path)

    assert (1, "id_number", "FILE_MISSING_COLUMN") in found(report)
    assert "公民身份号码" in report.errors[0].message
    assert counts() == (0, 0, 0, 0)


def test_every_bad_cell_is_reported_in_file_order(rows: Rows, tmp_path: Path) -> None:
    rows[0]["ethnicity"] = "火星族"
    rows[0]["basic_medical"] = "也许"
    rows[5]["id_number"] = "5.13431E+17"
    rows[8]["relation"] = "户主"

    report = import_rows(rows, tmp_path)

    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "ethnicity", "CODE_UNKNOWN"),
        (2, "basic_medical", "BOOL_INVALID"),
        (7, "id_number", "ID_EXCEL_NUMBER"),
        (10, "relation", "HEAD_MULTIPLE"),
    ]


def test_messages_are_chinese_and_name_the_accepted_values(rows: Rows, tmp_path: Path) -> None:
    rows[1]["ethnicity"] = "火星族"
    rows[1]["main_cause"] = "因残"
    rows[8]["id_number"] = rows[0]["id_number"]

    by_code = {e.code: e for e in import_rows(rows, tmp_path).errors}

    assert "“火星族”不是有效的民族" in by_code["CODE_UNKNOWN"].message
    assert "汉族" in by_code["CODE_UNKNOWN"].message
    assert "第 2 行" in by_code["HOUSEHOLD_INCONSISTENT"].message
    assert "因残" in by_code["HOUSEHOLD_INCONSISTENT"].message
    assert "因病" in by_code["HOUSEHOLD_INCONSISTENT"].message
    assert "与第 2 行重复" in by_code["ID_DUPLICATE_IN_FILE"].message


def test_excel_number_ids_are_refused(rows: Rows, tmp_path: Path) -> None:
    typed: list[dict[str, object]] = [dict(r) for r in rows]
    typed[0]["id_number"] = int(rows[0]["id_number"][:17] + "0")  # a numeric cell
    typed[1]["id_number"] = rows[1]["id_number"] + ".0"  # text pasted from a numeric cell

    report = registry_import_file(path=flatfiles.write_xlsx(typed, tmp_path / "f.xlsx"))

    assert found(report) == {
        (2, "id_number", "ID_EXCEL_NUMBER"),
        (3, "id_number", "ID_EXCEL_NUMBER"),
    }
    assert counts() == (0, 0, 0, 0)


def test_unreadable_files_raise_a_coded_error(tmp_path: Path) -> None:
    with pytest.raises(FupinError) as missing:
        registry_import_file(path=tmp_path / "nope.csv")
    assert missing.value.code == "FILE_NOT_FOUND"
    (tmp_path / "f.docx").write_text("x")
    with pytest.raises(FupinError) as unsupported:
        registry_import_file(path=tmp_path / "f.docx")
    assert unsupported.value.code == "FILE_UNSUPPORTED"


def test_batches_stream_through(rows: Rows) -> None:
    table = flatfiles.to_table(rows)
    batches = table.to_batches(max_chunksize=4)
    assert len(batches) == 3

    report = registry_import_table(table_or_batches=iter(batches))

    assert report.stored and counts() == (3, 9, 2, 3)
    assert isinstance(table, pa.Table)


def test_a_row_with_extra_cells_is_refused_with_its_row_number(
    valid_csv: Path, tmp_path: Path
) -> None:
    lines = valid_csv.read_text(encoding="utf-8-sig").splitlines()
    lines[3] += ",多余"
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = registry_import_file(path=path)

    assert (4, "", "FILE_ROW_INVALID") in found(report)
    assert not report.stored and counts() == (0, 0, 0, 0)


def test_unknown_headers_are_listed_so_misspelt_columns_are_noticed(
    rows: Rows, tmp_path: Path
) -> None:
    for r in rows:
        r["工资收入"] = r.pop("wage")

    report = import_rows(rows, tmp_path)

    assert report.ok and report.unknown_columns == ["工资收入"]
