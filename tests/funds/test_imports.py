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
from fupin.funds.imports import payments_import
from fupin.funds.models import Payment, Project
from fupin.funds.services import payment_record
from fupin.registry.models import Household
from tests.funds.conftest import SOURCE, YEAR

pytestmark = pytest.mark.django_db

HEADER = "项目编号,资金来源,资金年度,支付日期,金额,收款方类型,收款单位或姓名,收款村代码,户编号,支付内容,凭证号"


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
