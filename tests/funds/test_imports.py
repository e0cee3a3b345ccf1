"""Payments imported from a file: the rules of ``payment_record`` row by row and across the
file, all rows or none, and the same file twice changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.divisions.models import Division
from fupin.funds.imports import payments_import, projects_import
from fupin.funds.models import Payment, Project
from fupin.funds.services import payment_record
from fupin.registry.models import Household
from tests.funds.conftest import SOURCE, YEAR

pytestmark = pytest.mark.django_db

HEADER = (
    "项目编号,资金来源,资金年度,支付日期,金额,收款方类型,收款单位或姓名,收款村代码,户编号,"
    "支付内容,凭证号"
)


def write(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def household_of(project: Project) -> Household:
    found = (
        Household.objects.filter(village__code__startswith=project.division_id[:6], status="poor")
        .order_by("code")
        .first()
    )
    assert found is not None
    return found


def good_rows(project: Project) -> list[str]:
    h = household_of(project)
    return [
        f"{project.code},{SOURCE},{YEAR},2019-05-01,1200,农户,,,{h.code},入股分红,PZ-1",
        f'{project.code},中央财政专项扶贫资金（扶贫发展）,{YEAR},2019-05-02,"30,000.50",'
        f"村集体经济组织,,{project.division_id},,电站建设,PZ-2",
        f"{project.code},{SOURCE},{YEAR},2019/05/03,50000,实施单位,昭觉县光伏公司,,,设备款,",
    ]


def test_a_good_file_is_stored_once(approved_project: Project, tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", *good_rows(approved_project))
    dry = payments_import(path, by=None, dry_run=True)
    assert (dry.ok, dry.rows, dry.stored) == (True, 3, False) and not Payment.objects.exists()
    report = payments_import(path, by=None)
    assert (report.ok, report.created, report.stored) == (True, 3, True)
    paid = Payment.objects.order_by("paid_on")
    assert [p.amount for p in paid] == [Decimal("1200"), Decimal("30000.50"), Decimal("50000")]
    assert paid[1].payee.endswith("村集体经济组织") and paid[1].village_id
    assert AuditEvent.objects.filter(action="payment.import").count() == 3
    again = payments_import(path, by=None)
    assert (again.ok, again.created, again.unchanged) == (True, 0, 3)
    assert Payment.objects.count() == 3


def test_every_bad_row_is_reported_and_nothing_stored(
    approved_project: Project, tmp_path: Path
) -> None:
    code = approved_project.code
    h = household_of(approved_project)
    path = write(
        tmp_path / "bad.csv",
        *good_rows(approved_project),
        f"NOPE,{SOURCE},{YEAR},2019-05-01,100,实施单位,某公司,,,设备,",
        f"{code},{SOURCE},{YEAR},2019-05-01,-5,实施单位,某公司,,,设备,",
        f"{code},{SOURCE},{YEAR},2019-13-01,5,实施单位,某公司,,,设备,",
        f"{code},金山银山,{YEAR},2019-05-01,5,实施单位,某公司,,,设备,",
        f"{code},{SOURCE},{YEAR},2019-05-01,5,农户,,,999999999999999,分红,",
        f"{code},{SOURCE},{YEAR},2019-05-04,1200,农户,,,{h.code},入股分红,",  # same item again
        f"{code},{SOURCE},{YEAR},2019-05-05,120000,实施单位,某公司,,,二期,",  # over the rest
        f"{code},{SOURCE},{YEAR},2019-04-01,5,实施单位,某公司,,,设备,",  # before approval
        f"{code},{SOURCE},{YEAR},2019-05-06,5,实施单位,某公司,,,设备,PZ-1",  # voucher taken
    )
    report = payments_import(path, by=None)
    assert not report.ok and not Payment.objects.exists()
    by_row = {e.row: e.code for e in report.errors}
    assert by_row == {
        5: "FUNDS_UNKNOWN_PROJECT",
        6: "FUNDS_AMOUNT_NOT_POSITIVE",
        7: "DATE_INVALID",
        8: "CODE_UNKNOWN",
        9: "FUNDS_PAYEE_NOT_REGISTERED",
        10: "FUNDS_DUPLICATE_PAYMENT",
        11: "FUNDS_PROJECT_OVERSPENT",
        12: "FUNDS_PAID_BEFORE_APPROVAL",
        13: "FUNDS_VOUCHER_TAKEN",
    }
    assert all(e.message for e in report.errors)


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": Decimal("200000.01")},  # over the assigned 200,000
        {"paid_on": date(2019, 4, 1)},
        {"household_code": "000000000000000"},
        {"payee_kind": "unit", "household_code": None, "payee": ""},
        {"payee_kind": "collective", "household_code": None, "village": "110101001001"},
    ],
)
def test_the_import_refuses_what_the_service_refuses(
    approved_project: Project, tmp_path: Path, changes: dict[str, Any]
) -> None:
    h = household_of(approved_project)
    args: dict[str, Any] = {
        "project": approved_project.code,
        "source": SOURCE,
        "year": YEAR,
        "amount": Decimal("1000"),
        "paid_on": date(2019, 5, 1),
        "payee_kind": "household",
        "household_code": h.code,
        "payee": "",
        "village": None,
        "item": "分红",
        **changes,
    }
    with pytest.raises(FupinError) as exc:
        payment_record(by=None, **args)
    service = {e["code"] for e in exc.value.details.get("errors", [])} or {exc.value.code}
    kinds = {"household": "农户", "unit": "实施单位", "collective": "村集体经济组织"}
    row = (
        f"{args['project']},{SOURCE},{YEAR},{args['paid_on']},{args['amount']},"
        f"{kinds[args['payee_kind']]},{args['payee']},{args['village'] or ''},"
        f"{args['household_code'] or ''},{args['item']},"
    )
    report = payments_import(write(tmp_path / "one.csv", row), by=None)
    assert {e.code for e in report.errors} == service


def test_an_excel_file_and_who_may_import(
    approved_project: Project, tmp_path: Path, township_reviewer: Any, county_office: Any
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER.split(","))
    for row in good_rows(approved_project):
        ws.append(next(iter([row.replace('"30,000.50"', "30000.5").split(",")])))
    path = tmp_path / "p.xlsx"
    wb.save(path)
    with pytest.raises(FupinError) as exc:
        payments_import(path, by=township_reviewer)
    assert exc.value.code == "PERMISSION_DENIED"
    report = payments_import(path, by=county_office)
    assert (report.ok, report.created) == (True, 3), report.errors


def test_a_file_without_the_required_columns(tmp_path: Path, village: Division) -> None:
    path = tmp_path / "x.csv"
    path.write_text("项目编号,金额\nP-1,5\n", encoding="utf-8")
    report = payments_import(path, by=None)
    assert {e.code for e in report.errors} == {"FILE_MISSING_COLUMN"}
    assert {e.column for e in report.errors} == {"source", "year", "paid_on", "payee_kind"}


# --- the project library -------------------------------------------------------------------

P_HEADER = (
    "项目编号,项目名称,项目类别,项目所在区划代码,受益村代码,申报日期,总投资,"
    "中央财政专项扶贫资金（扶贫发展）（元）,县级财政专项扶贫资金（元）,带贫减贫机制,利益联结机制,"
    "绩效目标,实施单位,预计受益户数,其中贫困户数,计划开工,计划完工"
)


def write_projects(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([P_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def project_row(code: str, village: str, **kw: str) -> str:
    cells = {
        "code": code,
        "name": "核桃种植基地",
        "type": "产业发展",
        "division": village,
        "villages": "",
        "on": "2019-03-05",
        "budget": "300000",
        "central": "200000",
        "county": "100000",
        "benefits": "务工就业、入股分红（折股量化）",
        "link": "贫困户入股分红",
        "target": "带动 30 户增收",
        "unit": "合作社",
        "households": "30",
        "poor": "20",
        "start": "2019-05-01",
        "end": "2019-10-31",
        **kw,
    }
    return ",".join(cells.values())


def test_the_project_library_import(village: Division, funded_county: None, tmp_path: Path) -> None:
    other = Division.objects.filter(parent_id=village.parent_id, level=5).exclude(pk=village.pk)
    second = other.order_by("code").first()
    assert second is not None
    township = village.code[:9]
    path = write_projects(
        tmp_path / "lib.csv",
        project_row("K-1", village.code),
        project_row(
            "K-2", township, villages=f"{village.code}、{second.code}", type="infrastructure"
        ),
    )
    report = projects_import(path, by=None)
    assert (report.ok, report.created) == (True, 2), report.errors
    k2 = Project.objects.get(code="K-2")
    assert (k2.status, k2.proposer_level, k2.project_type) == (
        "proposed",
        "township",
        "infrastructure",
    )
    assert set(k2.villages.values_list("code", flat=True)) == {village.code, second.code}
    assert Project.objects.get(code="K-1").benefit_kinds == ["employment", "dividend"]
    again = projects_import(path, by=None)
    assert (again.ok, again.created, again.unchanged) == (True, 0, 2)
    changed = write_projects(
        tmp_path / "lib2.csv", project_row("K-1", village.code, budget="300001", county="100001")
    )
    assert [e.code for e in projects_import(changed, by=None).errors] == [
        "FUNDS_PROJECT_CODE_TAKEN"
    ]


def test_bad_project_rows_are_reported_and_nothing_stored(
    village: Division, funded_county: None, tmp_path: Path
) -> None:
    path = write_projects(
        tmp_path / "bad.csv",
        project_row("B-1", village.code),
        project_row("B-2", village.code, budget="300000", county="90000"),
        project_row("B-3", village.code, target=""),
        project_row("B-4", village.code, type="造盆景"),
        project_row("B-5", village.code[:9], villages="110101001001"),
        project_row("B-1", village.code),
        project_row("B-6", village.code[:6]),
    )
    report = projects_import(path, by=None)
    assert not report.ok and not Project.objects.exists()
    assert {e.row: e.code for e in report.errors} == {
        3: "FUNDS_BUDGET_MISMATCH",
        4: "REQUIRED",
        5: "CODE_UNKNOWN",
        6: "FUNDS_NO_LOCATION",
        7: "DUPLICATE_ROW",
        8: "FUNDS_WRONG_LEVEL",
    }
