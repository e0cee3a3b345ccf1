"""Hand-entry services: the bulk import's rules and error codes, one household at a time."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.registry.imports.services import registry_import_file
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.registry.services import (
    HouseholdData,
    MemberData,
    conditions_update,
    household_register,
    income_record,
    member_add,
    member_update,
)
from tests.registry.flatfiles import VILLAGE_1, make_id

pytestmark = pytest.mark.usefixtures("divisions")


BASE = HouseholdData(
    code="M-0001",
    main_cause="因病",
    first_identified_year=2018,
    other_causes=["缺资金"],
    conditions={"house_grade": "D级", "water_safe": True},
    income={"income_year": 2020, "wage": Decimal("8000"), "operating_cost": 500},
)


def household(**changes: Any) -> HouseholdData:
    return dataclasses.replace(BASE, **changes)


HEAD = MemberData(
    name="王大", id_number=make_id("1975-05-05", 13), relation="户主", ethnicity="汉族"
)
WIFE = MemberData(
    name="赵二", id_number=make_id("1977-07-07", 24), relation="配偶", ethnicity="汉族"
)


def test_household_register_stores_household_members_conditions_and_income() -> None:
    h = household_register(village_code=VILLAGE_1, data=household(), members=[HEAD, WIFE])

    assert (h.code, h.main_cause, h.other_causes, h.source) == (
        "M-0001",
        "illness",
        ["lack_capital"],
        "manual",
    )
    members = list(h.members.order_by("birth_date"))
    assert [(m.name, m.sex, m.relation, m.source) for m in members] == [
        ("王大", "male", "head", "manual"),
        ("赵二", "female", "spouse", "manual"),
    ]
    assert LivingConditions.objects.get(household=h).house_grade == "D"
    income = HouseholdIncome.objects.get(household=h)
    assert (income.year, income.household_size, income.net_income) == (2020, 2, Decimal("7500.00"))


def test_household_register_refuses_with_every_problem_and_stores_nothing() -> None:
    bad_member = MemberData(name="", id_number="5.13431E+17", relation="配偶", ethnicity="火星族")

    with pytest.raises(FupinError) as err:
        household_register(
            village_code="513431100099",
            data=household(main_cause="懒"),
            members=[WIFE, bad_member],
        )

    assert err.value.code == "HOUSEHOLD_INVALID"
    problems = {(e["field"], e["code"], e.get("member")) for e in err.value.details["errors"]}
    assert problems >= {
        ("main_cause", "CODE_UNKNOWN", 0),
        ("village_code", "DIVISION_UNKNOWN", 0),
        ("name", "REQUIRED", 1),
        ("id_number", "ID_EXCEL_NUMBER", 1),
        ("ethnicity", "CODE_UNKNOWN", 1),
        ("relation", "HEAD_MISSING", 0),
    }
    assert Household.objects.count() == 0 and Member.objects.count() == 0


def test_household_register_refuses_an_existing_code(valid_csv: Path) -> None:
    registry_import_file(path=valid_csv)

    with pytest.raises(FupinError) as err:
        household_register(
            village_code=VILLAGE_1, data=household(code="5134311000010001"), members=[HEAD]
        )

    assert [e["code"] for e in err.value.details["errors"]] == ["HOUSEHOLD_EXISTS"]


def test_member_add_derives_sex_and_birth_date_and_checks_the_id(valid_csv: Path) -> None:
    registry_import_file(path=valid_csv)
    h = Household.objects.get(code="5134311000020001")

    baby = member_add(
        household=h,
        data=MemberData(
            name="张小妹", id_number=make_id("2015-03-03", 102), relation="之女", ethnicity="汉族"
        ),
    )

    assert (baby.sex, str(baby.birth_date), baby.source) == ("female", "2015-03-03", "manual")
    taken = Member.objects.get(name="阿西木呷").id_number
    with pytest.raises(FupinError) as err:
        member_add(
            household=h,
            data=MemberData(name="重复", id_number=taken, relation="户主", ethnicity="汉"),
        )
    assert err.value.code == "MEMBER_INVALID"
    assert {e["code"] for e in err.value.details["errors"]} == {"ID_EXISTS", "HEAD_MULTIPLE"}


def test_member_add_applies_the_cell_rules() -> None:
    h = household_register(village_code=VILLAGE_1, data=household(), members=[HEAD])

    with pytest.raises(FupinError) as err:
        member_add(
            household=h,
            data=MemberData(
                name="孩子",
                id_number=make_id("2022-01-01", 15),
                relation="之子",
                ethnicity="汉族",
                migrant_months=20,
            ),
        )

    assert {(e["field"], e["code"]) for e in err.value.details["errors"]} == {
        ("migrant_months", "NUMBER_OUT_OF_RANGE"),
        # born 2022 in a 2021 record: a data-quality note now, not an error (issue 14)
    }


def test_income_record_creates_then_replaces_one_year() -> None:
    h = household_register(village_code=VILLAGE_1, data=household(income={}), members=[HEAD, WIFE])

    first = income_record(household=h, year=2021, items={"wage": "10000", "transfer_dibao": 1200})
    assert (first.net_income, first.household_size) == (Decimal("11200.00"), 2)

    again = income_record(household=h, year=2021, items={"wage": 9000}, household_size=3)

    assert again.pk == first.pk
    assert (again.net_income, again.household_size, again.transfer_dibao) == (
        Decimal("9000.00"),
        3,
        Decimal("0.00"),
    )
    assert HouseholdIncome.objects.filter(household=h).count() == 1


def test_income_record_refuses_negative_and_unknown_items() -> None:
    h = household_register(village_code=VILLAGE_1, data=household(), members=[HEAD])

    with pytest.raises(FupinError) as negative:
        income_record(household=h, year=2021, items={"wage": -1})
    assert [e["code"] for e in negative.value.details["errors"]] == ["MONEY_NEGATIVE"]
    with pytest.raises(FupinError) as unknown:
        income_record(household=h, year=2021, items={"lottery": 5})
    assert unknown.value.code == "FIELD_UNKNOWN"


def test_conditions_update_sets_given_fields_and_notes_their_source(valid_csv: Path) -> None:
    registry_import_file(path=valid_csv)
    h = Household.objects.get(code="5134311000010001")

    cond = conditions_update(
        household=h, data={"house_grade": "否", "water_difficult": "是", "coop_member": True}
    )

    cond.refresh_from_db()
    assert (cond.house_grade, cond.water_difficult, cond.coop_member) == ("safe", True, True)
    assert cond.road_type == "concrete"  # untouched
    assert cond.source == "import"
    assert cond.field_sources == {
        "house_grade": "manual",
        "water_difficult": "manual",
        "coop_member": "manual",
    }
    with pytest.raises(FupinError) as err:
        conditions_update(household=h, data={"road_type": "高速公路"})
    assert [e["code"] for e in err.value.details["errors"]] == ["CODE_UNKNOWN"]


def test_member_update_sets_facts_checked_like_cells_and_audits_only_changes() -> None:
    h = household_register(village_code=VILLAGE_1, data=household(), members=[HEAD, WIFE])
    wife = h.members.get(relation="spouse")

    changed = member_update(
        member=wife,
        data={"health": "患有大病", "labour_capacity": "weak", "dibao": "是"},
        source="import",
        note="入户调查表",
    )

    wife.refresh_from_db()
    assert changed == ["dibao", "health", "labour_capacity"]
    assert (wife.health, wife.labour_capacity, wife.dibao) == ("serious", "weak", True)
    assert wife.field_sources == dict.fromkeys(changed, "import")
    event = AuditEvent.objects.get(action="member.update")
    assert event.after["health"] == "serious" and event.note == "入户调查表"
    assert "*" in event.after["member"]  # the ID number is masked
    # The same facts again change nothing and write no audit event.
    assert member_update(member=wife, data={"health": "serious"}, source="import") == []
    assert AuditEvent.objects.filter(action="member.update").count() == 1


def test_member_update_refuses_bad_cells_and_identity_fields_and_stores_nothing() -> None:
    h = household_register(village_code=VILLAGE_1, data=household(), members=[HEAD])
    head = h.members.get()
    before = (head.name, head.health, head.migrant_months)

    with pytest.raises(FupinError) as err:
        member_update(member=head, data={"health": "还行", "migrant_months": 13})
    assert err.value.code == "MEMBER_INVALID"
    assert {(e["field"], e["code"]) for e in err.value.details["errors"]} == {
        ("health", "CODE_UNKNOWN"),
        ("migrant_months", "NUMBER_OUT_OF_RANGE"),
    }
    with pytest.raises(FupinError) as identity:
        member_update(member=head, data={"name": "别人"})
    assert identity.value.code == "FIELD_UNKNOWN"
    head.refresh_from_db()
    assert (head.name, head.health, head.migrant_months) == before
    assert not AuditEvent.objects.filter(action="member.update").exists()
