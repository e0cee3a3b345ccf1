"""The household export: the list's filters, the user's scope, the import layout (re-importable)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from fupin.accounts.models import Role
from fupin.registry.imports.columns import COLUMNS
from fupin.registry.imports.services import registry_import_file
from fupin.registry.models import Household, Member

pytestmark = pytest.mark.usefixtures("registry")


def export(client: Client, **params: str) -> list[tuple[object, ...]]:
    response = client.get(reverse("web:household_export"), params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    return list(wb.worksheets[0].iter_rows(values_only=True))


def busiest_township() -> str:
    codes = Household.objects.values_list("village_id", flat=True)
    counts: dict[str, int] = {}
    for code in codes:
        counts[code[:9]] = counts.get(code[:9], 0) + 1
    return max(counts, key=lambda k: counts[k])


def test_township_export_holds_only_its_township_one_row_per_member(
    make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    township = busiest_township()
    client = signed_in(make_user("tw", Role.TOWNSHIP_REVIEWER, township))

    rows = export(client)

    assert list(rows[0]) == [c.heading for c in COLUMNS]
    village = [c.name for c in COLUMNS].index("village_code")
    assert {str(r[village])[:9] for r in rows[1:]} == {township}
    in_township = Member.objects.filter(household__village__code__startswith=township)
    assert len(rows) - 1 == in_township.count()
    assert Member.objects.count() > len(rows) - 1  # the county holds more


def test_ids_are_text_and_codes_are_chinese_labels(
    make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    client = signed_in(make_user("c", Role.COUNTY_OFFICE, "513431"))
    household = Household.objects.order_by("code").first()
    assert household is not None

    response = client.get(reverse("web:household_export"), {"q": household.code})
    wb = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    ws = wb.worksheets[0]

    names = [c.name for c in COLUMNS]
    id_cell = ws.cell(row=2, column=names.index("id_number") + 1)
    assert isinstance(id_cell.value, str) and len(id_cell.value) == 18
    assert id_cell.number_format == "@"
    relations = {
        ws.cell(row=r, column=names.index("relation") + 1).value for r in range(2, ws.max_row + 1)
    }
    assert "户主" in relations
    assert ws.max_row - 1 == household.members.count()


def test_export_follows_the_list_filters(
    make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    client = signed_in(make_user("c", Role.COUNTY_OFFICE, "513431"))
    status = Household.objects.values_list("status", flat=True).first()
    assert status is not None

    rows = export(client, status=status)

    codes = {r[0] for r in rows[1:]}
    assert codes == set(Household.objects.filter(status=status).values_list("code", flat=True))


def test_an_export_imports_again_without_any_change(
    make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client], tmp_path: Path
) -> None:
    township = busiest_township()
    client = signed_in(make_user("c", Role.COUNTY_OFFICE, "513431"))
    response = client.get(reverse("web:household_export"), {"village": township})
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.getvalue())
    before = list(Member.objects.order_by("id").values_list("id", "updated_at"))

    report = registry_import_file(path=path, mode="upsert", scope=township, dry_run=False)

    assert report.ok and report.stored, report.errors[:3]
    assert report.households_unchanged == report.households > 0
    assert report.households_created == report.households_updated == 0
    assert report.members_created == report.members_updated == 0
    assert list(Member.objects.order_by("id").values_list("id", "updated_at")) == before


def test_roles_without_the_export_right_are_refused(
    make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    client = signed_in(make_user("dept", Role.DEPARTMENT_PROVIDER, None))

    assert client.get(reverse("web:household_export")).status_code == 403


def test_a_division_outside_the_scope_exports_nothing(
    make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    client = signed_in(make_user("v", Role.VILLAGE_CADRE, "513431100001"))

    rows = export(client, village="513431100002")

    assert len(rows) == 1  # the headings only


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","点我")', "+1+cmd", "@SUM(A1)"])
def test_text_that_looks_like_a_formula_is_exported_as_text(
    make_user: Callable[..., AbstractUser],
    signed_in: Callable[..., Client],
    tmp_path: Path,
    name: str,
) -> None:
    member = Member.objects.order_by("id").first()
    assert member is not None
    Member.objects.filter(pk=member.pk).update(name=name)  # as an API client could have typed it
    client = signed_in(make_user("c", Role.COUNTY_OFFICE, "513431"))

    response = client.get(reverse("web:household_export"), {"q": member.household.code})
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.getvalue())
    ws = openpyxl.load_workbook(path).worksheets[0]
    column = [c.name for c in COLUMNS].index("name") + 1
    cells = [ws.cell(row=r, column=column) for r in range(2, ws.max_row + 1)]
    cell = next(c for c in cells if c.value == name)

    assert cell.data_type == "s" and cell.quotePrefix  # a string, never a formula
    # No formula anywhere in the file.
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
