"""The audit trail: one event per change with who, when, where, and the values before and after."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from fupin.common.audit import (
    audit_action_label,
    audit_changes,
    audit_history,
    audit_record,
    audit_record_bulk,
)
from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.registry.models import Household
from fupin.registry.services import (
    HouseholdData,
    MemberData,
    conditions_update,
    household_register,
    income_record,
    member_add,
)
from tests.registry.flatfiles import VILLAGE_1, VILLAGE_2, create_divisions, make_id


@pytest.fixture
def divisions(db: None) -> None:
    create_divisions()


@pytest.fixture
def user(db: None) -> AbstractUser:
    return get_user_model().objects.create_user(username="cadre", password="x-123-y-456")


HEAD = MemberData(
    name="王大", id_number=make_id("1975-05-05", 13), relation="户主", ethnicity="汉族"
)
DATA = HouseholdData(code="A-0001", main_cause="因病", first_identified_year=2016)


def events(code: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(obj_type="household", obj_key=code).order_by("pk"))


def test_audit_record_stores_who_where_and_json_values(user: AbstractUser) -> None:
    event = audit_record(
        by=user,
        action="income.record",
        obj_type="household",
        obj_key="H-1",
        division=VILLAGE_1,
        before={"wage": Decimal("10.50")},
        after={"wage": Decimal("20")},
        note="复核",
    )

    event.refresh_from_db()
    assert (event.by_id, event.division, event.obj_key, event.note) == (
        user.pk,
        VILLAGE_1,
        "H-1",
        "复核",
    )
    assert (event.before, event.after) == ({"wage": "10.50"}, {"wage": "20"})


def test_audit_record_by_nobody_is_the_system(db: None) -> None:
    event = audit_record(by=None, action="x", obj_type="household", obj_key="H-1")

    assert event.by_id is None and event.before is None


def test_audit_changes_keeps_only_changed_keys() -> None:
    before, after = audit_changes(
        {"wage": Decimal("1.00"), "house_grade": "D"},
        {"wage": Decimal("1.00"), "house_grade": "safe"},
    )

    assert (before, after) == ({"house_grade": "D"}, {"house_grade": "safe"})


def test_action_codes_have_chinese_labels_and_unknown_codes_show_as_is() -> None:
    assert audit_action_label("member.add") == "添加家庭成员"
    assert audit_action_label("workflow.unknown") == "workflow.unknown"


def test_household_register_records_the_registered_facts_with_masked_ids(
    divisions: None, user: AbstractUser
) -> None:
    household_register(village_code=VILLAGE_1, data=DATA, members=[HEAD], by=user)

    [event] = events("A-0001")
    assert (event.action, event.by_id, event.division, event.before) == (
        "household.register",
        user.pk,
        VILLAGE_1,
        None,
    )
    assert event.after is not None
    assert event.after["main_cause"] == "illness"
    member = event.after["members"][0]
    assert member["name"] == "王大"
    assert member["id_number"] == HEAD.id_number[:6] + "********" + HEAD.id_number[-4:]
    assert HEAD.id_number not in str(event.after)


def test_refused_write_records_nothing(divisions: None, user: AbstractUser) -> None:
    bad = MemberData(name="王大", id_number="513431197505051234", relation="户主", ethnicity="汉族")

    with pytest.raises(FupinError):
        household_register(village_code=VILLAGE_1, data=DATA, members=[bad], by=user)

    assert not AuditEvent.objects.exists()


def test_member_add_records_the_new_member(divisions: None, user: AbstractUser) -> None:
    h = household_register(village_code=VILLAGE_1, data=DATA, members=[HEAD])
    wife = MemberData(
        name="赵二", id_number=make_id("1977-07-07", 24), relation="配偶", ethnicity="汉族"
    )

    member_add(household=h, data=wife, by=user)

    event = events("A-0001")[-1]
    assert (event.action, event.by_id) == ("member.add", user.pk)
    assert event.after is not None
    assert (event.after["name"], event.after["relation"], event.after["sex"]) == (
        "赵二",
        "spouse",
        "female",
    )
    assert event.after["id_number"].count("*") == 8


def test_income_record_keeps_before_and_after_of_changed_items_only(
    divisions: None, user: AbstractUser
) -> None:
    h = household_register(village_code=VILLAGE_1, data=DATA, members=[HEAD])
    income_record(household=h, year=2016, items={"wage": 3000, "transfer_dibao": 1200}, by=user)

    income_record(household=h, year=2016, items={"wage": 4500, "transfer_dibao": 1200}, by=user)

    first, second = (e for e in events("A-0001") if e.action == "income.record")
    assert first.before is None
    assert first.after is not None and first.after["wage"] == "3000.00"
    assert (second.before, second.after) == (
        {"year": 2016, "wage": "3000.00"},
        {"year": 2016, "wage": "4500.00"},
    )


def test_conditions_update_keeps_before_and_after(divisions: None, user: AbstractUser) -> None:
    h = household_register(
        village_code=VILLAGE_1,
        data=HouseholdData(**{**DATA.__dict__, "conditions": {"house_grade": "D级"}}),
        members=[HEAD],
    )

    conditions_update(household=h, data={"house_grade": "否", "water_safe": "是"}, by=user)

    event = events("A-0001")[-1]
    assert event.action == "conditions.update"
    assert (event.before, event.after) == (
        {"house_grade": "D", "water_safe": None},
        {"house_grade": "safe", "water_safe": True},
    )


def test_audit_record_bulk_writes_one_event_per_household_in_one_statement(
    divisions: None, user: AbstractUser, django_assert_num_queries: object
) -> None:
    household_register(village_code=VILLAGE_1, data=DATA, members=[HEAD])
    household_register(
        village_code=VILLAGE_2,
        data=HouseholdData(code="A-0002", main_cause="因学", first_identified_year=2016),
        members=[
            MemberData(
                name="李三", id_number=make_id("1980-01-01", 35), relation="户主", ethnicity="彝族"
            )
        ],
    )
    AuditEvent.objects.all().delete()

    with django_assert_num_queries(1):  # type: ignore[operator]
        count = audit_record_bulk(
            by=user,
            action="household.import",
            obj_type="household",
            rows=Household.objects.all(),
            key_field="code",
            division_field="village_id",
            after={"file": "村里.xlsx"},
            note="导入 2 户",
        )

    assert count == 2
    stored = list(
        AuditEvent.objects.order_by("obj_key").values_list(
            "obj_key", "division", "action", "by_id", "before", "after", "note"
        )
    )
    assert stored == [
        (
            "A-0001",
            VILLAGE_1,
            "household.import",
            user.pk,
            None,
            {"file": "村里.xlsx"},
            "导入 2 户",
        ),
        (
            "A-0002",
            VILLAGE_2,
            "household.import",
            user.pk,
            None,
            {"file": "村里.xlsx"},
            "导入 2 户",
        ),
    ]
    assert all(e.at is not None for e in AuditEvent.objects.all())


def test_audit_record_bulk_by_the_system_leaves_user_and_after_empty(divisions: None) -> None:
    household_register(village_code=VILLAGE_1, data=DATA, members=[HEAD])

    audit_record_bulk(
        by=None,
        action="household.import",
        obj_type="household",
        rows=Household.objects.all(),
        key_field="code",
        division_field="village_id",
    )

    event = AuditEvent.objects.get(action="household.import")
    assert (event.by_id, event.after, event.obj_key) == (None, None, "A-0001")


def test_audit_history_is_newest_first(db: None) -> None:
    for n in range(3):
        audit_record(by=None, action=f"step.{n}", obj_type="household", obj_key="H-9")
    audit_record(by=None, action="other", obj_type="household", obj_key="H-8")

    assert [e.action for e in audit_history(obj_type="household", obj_key="H-9")] == [
        "step.2",
        "step.1",
        "step.0",
    ]
