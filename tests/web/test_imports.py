"""The Excel import pages: template, upload → validate → preview → commit, errors marked.

Tasks run at once (the test settings use django-tasks' ImmediateBackend), so an upload comes
back validated; ``tests/jobs/test_worker.py`` runs a job through the real worker.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fupin.accounts.models import Role
from fupin.jobs.models import ImportJob, ImportStatus
from fupin.registry.imports.columns import BY_NAME, COLUMNS
from fupin.registry.imports.workbook import ERRORS_SHEET, HELP_SHEET
from fupin.registry.models import Household, Member
from tests.registry import flatfiles

pytestmark = pytest.mark.usefixtures("divisions")

Rows = list[dict[str, Any]]
TOWNSHIP = "513431100"  # 新城镇
VILLAGE_1, VILLAGE_2 = "513431100001", "513431100002"


@pytest.fixture
def county(make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]) -> Client:
    return signed_in(make_user("county", Role.COUNTY_OFFICE, "513431"))


def xlsx(rows: Rows, tmp_path: Path, name: str = "f.xlsx") -> SimpleUploadedFile:
    path = flatfiles.write_xlsx(rows, tmp_path / name)
    return SimpleUploadedFile(name, path.read_bytes())


def upload(client: Client, file: SimpleUploadedFile) -> ImportJob:
    response = client.post(reverse("web:import_upload"), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("pk")


def column_of(ws: Any, heading: str) -> int:
    headers = [c.value for c in ws[1]]
    return headers.index(heading) + 1


# --- the template ---------------------------------------------------------------------------


def test_template_has_the_chinese_headings_text_formats_lists_and_help(county: Client) -> None:
    response = county.get(reverse("web:import_template"))

    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == [c.heading for c in COLUMNS]
    assert ws.freeze_panes == "A2"
    for name in ("id_number", "household_code", "village_code", "phone", "bank_account"):
        col = column_of(ws, BY_NAME[name].heading)
        assert ws.cell(row=2, column=col).number_format == "@", name
    assert ws.cell(row=2, column=column_of(ws, "姓名")).number_format != "@"
    relation = openpyxl.utils.get_column_letter(column_of(ws, "与户主关系"))
    lists = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    assert lists[f"{relation}2"].type == "list"
    codes_ws = wb["代码表"]
    ref = lists[f"{relation}2"].formula1.split("!")[1].replace("$", "").split(":")
    labels = [c.value for row in codes_ws[ref[0] : ref[1]] for c in row]
    assert "户主" in labels and "配偶" in labels
    help_ws = wb[HELP_SHEET]
    assert [c.value for c in help_ws[1]][:3] == ["列名", "英文列名", "是否必填"]
    help_rows = {r[0]: r for r in help_ws.iter_rows(min_row=2, values_only=True)}
    assert help_rows["公民身份号码"][2] == "必填"
    assert "户主" in help_rows["与户主关系"][3]


def test_the_empty_template_filled_in_imports(county: Client, tmp_path: Path) -> None:
    response = county.get(reverse("web:import_template"))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    ws = wb.worksheets[0]
    for r, row in enumerate(flatfiles.valid_rows(), start=2):
        for c, col in enumerate(COLUMNS, start=1):
            if row.get(col.name):
                ws.cell(row=r, column=c, value=row[col.name])
    out = io.BytesIO()
    wb.save(out)

    job = upload(county, SimpleUploadedFile("filled.xlsx", out.getvalue()))

    assert job.status == ImportStatus.READY, job.message
    assert job.counts["households_created"] == 3


# --- upload, preview, commit ------------------------------------------------------------------


def test_good_file_is_validated_previewed_then_committed(county: Client, tmp_path: Path) -> None:
    job = upload(county, xlsx(flatfiles.valid_rows(), tmp_path))

    assert job.status == ImportStatus.READY
    assert Household.objects.count() == 0  # validation stores nothing
    assert (job.counts["households_created"], job.counts["members_created"]) == (3, 9)
    page = county.get(reverse("web:import_job", args=[job.pk])).content.decode()
    assert "确认写入" in page and "阿西木呷" in page and "新增" in page
    assert flatfiles.make_id("1970-03-05", 11) not in page  # IDs are masked in the preview

    response = county.post(reverse("web:import_commit", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.finished_at is not None
    assert (Household.objects.count(), Member.objects.count()) == (3, 9)
    assert "导入完成" in county.get(reverse("web:import_job", args=[job.pk])).content.decode()


def test_csv_upload_works_too(county: Client, tmp_path: Path) -> None:
    path = flatfiles.write_csv(flatfiles.valid_rows(), tmp_path / "f.csv", chinese=True)

    job = upload(county, SimpleUploadedFile("f.csv", path.read_bytes()))

    assert job.status == ImportStatus.READY


def test_a_running_job_polls_with_htmx_every_second(county: Client, tmp_path: Path) -> None:
    job = upload(county, xlsx(flatfiles.valid_rows(), tmp_path))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.VALIDATING, stage="读取校验", done=4, total=9
    )

    response = county.get(reverse("web:import_job", args=[job.pk]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and "<progress" in html and 'value="4"' in html
    assert "<html" not in html  # the panel alone


def test_commit_of_a_job_not_ready_is_refused(county: Client, tmp_path: Path) -> None:
    rows = flatfiles.valid_rows()
    rows[0]["name"] = ""
    job = upload(county, xlsx(rows, tmp_path))

    county.post(reverse("web:import_commit", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportStatus.INVALID and Household.objects.count() == 0


# --- bad rows -----------------------------------------------------------------------------------


def test_one_bad_row_stores_nothing_and_returns_the_file_with_the_cell_marked(
    county: Client, tmp_path: Path
) -> None:
    rows = flatfiles.valid_rows()
    rows[3]["relation"] = "表哥的朋友"  # spreadsheet row 5

    job = upload(county, xlsx(rows, tmp_path))

    assert job.status == ImportStatus.INVALID and job.error_count == 1
    assert Household.objects.count() == 0
    page = county.get(reverse("web:import_job", args=[job.pk])).content.decode()
    assert "未写入任何数据" in page and reverse("web:import_errors", args=[job.pk]) in page
    response = county.get(reverse("web:import_errors", args=[job.pk]))
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    ws = wb.worksheets[0]
    cell = ws.cell(row=5, column=column_of(ws, "与户主关系"))
    assert cell.fill.fgColor.rgb == "FFFF9999"
    assert cell.comment is not None
    assert "不是有效的与户主关系" in cell.comment.text and "CODE_UNKNOWN" in cell.comment.text
    assert ws.cell(row=4, column=column_of(ws, "与户主关系")).comment is None
    note = ws.cell(row=5, column=column_of(ws, "错误说明")).value
    assert "与户主关系" in note
    errors = list(wb[ERRORS_SHEET].iter_rows(values_only=True))
    assert errors[0][:4] == ("行号", "列", "错误代码", "错误说明")
    assert errors[1][:3] == (5, "与户主关系", "CODE_UNKNOWN")


def test_bad_csv_comes_back_as_a_marked_xlsx(county: Client, tmp_path: Path) -> None:
    rows = flatfiles.valid_rows()
    rows[1]["ethnicity"] = "火星族"
    path = flatfiles.write_csv(rows, tmp_path / "f.csv", chinese=True)

    job = upload(county, SimpleUploadedFile("f.csv", path.read_bytes()))

    response = county.get(reverse("web:import_errors", args=[job.pk]))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    ws = wb.worksheets[0]
    cell = ws.cell(row=3, column=column_of(ws, "民族"))
    assert cell.value == "火星族" and cell.comment is not None and "民族" in cell.comment.text
    id_cell = ws.cell(row=3, column=column_of(ws, "公民身份号码"))
    assert id_cell.value == rows[1]["id_number"] and id_cell.number_format == "@"


@pytest.mark.parametrize(
    "damaged",
    [
        pytest.param(lambda id_: float(id_), id="number-in-excel"),
        pytest.param(lambda id_: "5.13431E+17", id="scientific-text"),
        pytest.param(lambda id_: id_[:15] + "000", id="15-digit-truncation"),
        pytest.param(lambda id_: id_ + ".0", id="trailing-point-zero"),
    ],
)
def test_ids_damaged_by_excel_are_refused(
    county: Client, tmp_path: Path, damaged: Callable[[str], Any]
) -> None:
    rows: Rows = flatfiles.valid_rows()
    i = next(i for i, r in enumerate(rows) if r["id_number"].isdigit())
    rows[i]["id_number"] = damaged(rows[i]["id_number"])

    job = upload(county, xlsx(rows, tmp_path))

    assert job.status == ImportStatus.INVALID
    assert Household.objects.count() == 0
    wb = openpyxl.load_workbook(job.errors_file.path)
    errors = list(wb[ERRORS_SHEET].iter_rows(min_row=2, values_only=True))
    assert (i + 2, "公民身份号码", "ID_EXCEL_NUMBER") in {e[:3] for e in errors}
    message = next(e[3] for e in errors if e[2] == "ID_EXCEL_NUMBER")
    assert "Excel" in message and "文本" in message


def test_rows_outside_the_uploaders_village_are_refused(
    make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client], tmp_path: Path
) -> None:
    client = signed_in(make_user("cadre", Role.VILLAGE_CADRE, VILLAGE_1))

    job = upload(client, xlsx(flatfiles.valid_rows(), tmp_path))

    assert job.status == ImportStatus.INVALID
    wb = openpyxl.load_workbook(job.errors_file.path)
    errors = list(wb[ERRORS_SHEET].iter_rows(min_row=2, values_only=True))
    assert {(e[0], e[2]) for e in errors} == {(r, "VILLAGE_OUT_OF_SCOPE") for r in (8, 9, 10)}
    assert "不在您的管辖范围" in errors[0][3]


# --- re-uploads -----------------------------------------------------------------------------------


def commit(client: Client, file: SimpleUploadedFile) -> ImportJob:
    job = upload(client, file)
    assert job.status == ImportStatus.READY, job.message
    client.post(reverse("web:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.message
    return job


def test_uploading_the_same_file_again_changes_nothing(county: Client, tmp_path: Path) -> None:
    rows = flatfiles.valid_rows()
    commit(county, xlsx(rows, tmp_path, "a.xlsx"))
    before = (
        list(Member.objects.order_by("id").values_list()),
        list(Household.objects.order_by("id").values_list()),
    )

    job = commit(county, xlsx(rows, tmp_path, "b.xlsx"))

    assert job.counts["households_unchanged"] == 3 and job.counts["members_unchanged"] == 9
    assert job.counts["households_updated"] == job.counts["members_updated"] == 0
    after = (
        list(Member.objects.order_by("id").values_list()),
        list(Household.objects.order_by("id").values_list()),
    )
    assert after == before


def test_uploading_with_two_rows_changed_updates_exactly_two(
    county: Client, tmp_path: Path
) -> None:
    rows = flatfiles.valid_rows()
    commit(county, xlsx(rows, tmp_path, "a.xlsx"))
    stamps = dict(Member.objects.values_list("id_key", "updated_at"))
    rows[1]["education"] = "高中"
    rows[6]["health"] = "残疾"

    job = commit(county, xlsx(rows, tmp_path, "b.xlsx"))

    assert job.counts["members_updated"] == 2 and job.counts["members_unchanged"] == 7
    changed = [k for k, at in Member.objects.values_list("id_key", "updated_at") if at != stamps[k]]
    assert len(changed) == 2


# --- rights ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ANALYST, Role.TOWNSHIP_REVIEWER, Role.INSPECTOR])
def test_roles_without_the_import_right_are_refused(
    make_user: Callable[..., AbstractUser],
    signed_in: Callable[..., Client],
    tmp_path: Path,
    role: Role,
) -> None:
    client = signed_in(make_user("reader", role, "513431"))

    assert client.get(reverse("web:import_upload")).status_code == 403
    assert client.get(reverse("web:import_template")).status_code == 403
    response = client.post(
        reverse("web:import_upload"), {"file": xlsx(flatfiles.valid_rows(), tmp_path)}
    )
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_another_users_job_answers_404(
    county: Client,
    make_user: Callable[..., AbstractUser],
    signed_in: Callable[..., Client],
    tmp_path: Path,
) -> None:
    job = upload(county, xlsx(flatfiles.valid_rows(), tmp_path))
    other = Client()
    other.force_login(make_user("county2", Role.COUNTY_OFFICE, "513431"))

    assert other.get(reverse("web:import_job", args=[job.pk])).status_code == 404
    assert other.post(reverse("web:import_commit", args=[job.pk])).status_code == 404
    assert Household.objects.count() == 0


def test_unsupported_file_type_gets_a_chinese_message(county: Client) -> None:
    response = county.post(
        reverse("web:import_upload"), {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")}
    )

    assert response.status_code == 200
    assert "不支持的文件类型" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_page_links_the_template_and_lists_recent_jobs(
    county: Client, tmp_path: Path
) -> None:
    upload(county, xlsx(flatfiles.valid_rows(), tmp_path, "mine.xlsx"))

    page = county.get(reverse("web:import_upload")).content.decode()

    assert reverse("web:import_template") in page and "mine.xlsx" in page
