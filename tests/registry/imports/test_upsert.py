"""Upsert imports: registered households are updated by 户编号, members by ID number.

Re-importing the same file changes nothing (no write, no ``updated_at`` bump); a file with k
changed rows updates exactly those k; new households and members are added beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fupin.registry.imports.services import registry_import_file
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from tests.registry import flatfiles
from tests.registry.flatfiles import VILLAGE_1, make_id

pytestmark = pytest.mark.usefixtures("divisions")

Rows = list[dict[str, str]]


def upsert(rows: Rows, path: Path, **kwargs: Any) -> Any:
    return registry_import_file(path=flatfiles.write_csv(rows, path), mode="upsert", **kwargs)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every stored value of the four tables, ``updated_at`` included."""
    return {
        "households": list(Household.objects.order_by("id").values_list()),
        "members": list(Member.objects.order_by("id").values_list()),
        "incomes": list(HouseholdIncome.objects.order_by("id").values_list()),
        "conditions": list(LivingConditions.objects.order_by("pk").values_list()),
    }


def test_first_upsert_creates_everything(tmp_path: Path, rows: Rows) -> None:
    report = upsert(rows, tmp_path / "a.csv")

    assert report.stored, report.errors
    assert (report.households_created, report.households_updated) == (3, 0)
    assert (report.members_created, report.members_updated) == (9, 0)
    assert Member.objects.count() == 9


def test_same_file_twice_changes_nothing(tmp_path: Path, rows: Rows) -> None:
    upsert(rows, tmp_path / "a.csv")
    before = snapshot()

    report = upsert(rows, tmp_path / "b.csv")

    assert report.stored and report.ok, report.errors
    assert (report.households_created, report.households_updated) == (0, 0)
    assert report.households_unchanged == 3
    assert (report.members_created, report.members_updated, report.members_unchanged) == (0, 0, 9)
    assert snapshot() == before  # values and updated_at alike


@pytest.mark.parametrize("k", [1, 3])
def test_k_changed_member_rows_update_exactly_k_members(tmp_path: Path, rows: Rows, k: int) -> None:
    upsert(rows, tmp_path / "a.csv")
    before = {m.id_key: m.updated_at for m in Member.objects.all()}
    hh_before = snapshot()["households"]
    changed = [2, 5, 8][:k]  # one member of each household
    for i in changed:
        rows[i]["name"] = rows[i]["name"] + "改"

    report = upsert(rows, tmp_path / "b.csv")

    assert report.stored, report.errors
    assert report.members_updated == k
    assert report.members_unchanged == 9 - k
    assert report.households_updated == 0
    after = {m.id_key: (m.updated_at, m.name) for m in Member.objects.all()}
    bumped = [key for key, (at, _) in after.items() if at != before[key]]
    assert len(bumped) == k
    assert sorted(after[key][1][-1] for key in bumped) == ["改"] * k
    assert snapshot()["households"] == hh_before


def test_changed_household_fact_updates_that_household_only(tmp_path: Path, rows: Rows) -> None:
    upsert(rows, tmp_path / "a.csv")
    for row in rows:
        if row["household_code"] == "5134311000020001":
            row["phone"] = "13900000009"

    report = upsert(rows, tmp_path / "b.csv")

    assert (report.households_updated, report.households_unchanged) == (1, 2)
    assert report.members_updated == 0
    assert Household.objects.get(code="5134311000020001").phone == "13900000009"


def test_changed_income_and_conditions_update_in_place(tmp_path: Path, rows: Rows) -> None:
    upsert(rows, tmp_path / "a.csv")
    for row in rows[:4]:  # household 1
        row["wage"] = "15000"
        row["housing_area_m2"] = "95.5"

    report = upsert(rows, tmp_path / "b.csv")

    assert report.households_updated == 1
    income = HouseholdIncome.objects.get(household__code="5134311000010001", year=2020)
    assert str(income.wage) == "15000.00"
    assert str(LivingConditions.objects.get(household=income.household).housing_area_m2) == "95.50"
    assert HouseholdIncome.objects.count() == 2


def test_new_member_and_new_household_are_added_beside_updates(tmp_path: Path, rows: Rows) -> None:
    upsert(rows, tmp_path / "a.csv")
    rows.append(rows[8] | {"name": "张小虎", "id_number": make_id("2014-02-02", 93)})
    new_household = {
        "household_code": "5134311000010099",
        "village_code": VILLAGE_1,
        "relation": "户主",
        "name": "新户主",
        "id_number": make_id("1990-01-01", 95),
    }
    rows.append(rows[0] | new_household)

    report = upsert(rows, tmp_path / "b.csv")

    assert report.stored, report.errors
    assert report.households_created == 1
    assert report.members_created == 2
    assert report.members_unchanged == 9
    assert Member.objects.filter(household__code="5134311000020001").count() == 4
    assert Household.objects.get(code="5134311000010099").members.count() == 1


def test_insert_mode_still_refuses_registered_households(tmp_path: Path, rows: Rows) -> None:
    upsert(rows, tmp_path / "a.csv")

    report = registry_import_file(path=flatfiles.write_csv(rows, tmp_path / "b.csv"))

    assert not report.stored
    assert "HOUSEHOLD_EXISTS" in {e.code for e in report.errors}


def test_id_registered_in_another_household_is_refused(tmp_path: Path, rows: Rows) -> None:
    upsert(rows, tmp_path / "a.csv")
    before = snapshot()
    rows[8]["id_number"] = rows[0]["id_number"]  # household 3 claims household 1's head

    report = upsert(rows, tmp_path / "b.csv")

    assert not report.stored
    assert ("ID_EXISTS", 10) in {(e.code, e.row) for e in report.errors}
    assert snapshot() == before


def test_village_outside_scope_is_a_row_error(tmp_path: Path, rows: Rows) -> None:
    report = upsert(rows, tmp_path / "a.csv", scope=VILLAGE_1)

    assert not report.stored
    bad = {(e.row, e.code) for e in report.errors}
    assert bad == {
        (8, "VILLAGE_OUT_OF_SCOPE"),
        (9, "VILLAGE_OUT_OF_SCOPE"),
        (10, "VILLAGE_OUT_OF_SCOPE"),
    }
    assert "不在您的管辖范围" in report.errors[0].message
    assert Household.objects.count() == 0


def test_dry_run_reports_the_plan_and_writes_nothing(tmp_path: Path, rows: Rows) -> None:
    upsert(rows, tmp_path / "a.csv")
    before = snapshot()
    rows[0]["name"] = "改名"

    report = registry_import_file(
        path=flatfiles.write_csv(rows, tmp_path / "b.csv"), mode="upsert", dry_run=True
    )

    assert report.members_updated == 1 and not report.stored
    assert report.preview[0]["status"] == "changed"
    assert report.preview[1]["status"] == "unchanged"
    assert report.preview[0]["id_number"].count("*") == 8
    assert snapshot() == before
