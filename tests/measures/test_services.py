"""The write services of precise measures: what they store, and what they refuse (stable code,
Chinese message, nothing written)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.divisions.services import divisions_load
from fupin.measures.models import Attendance, Measure, Pairing, Plan, Visit
from fupin.measures.services import (
    attendance_record,
    cadre_create,
    leave_decide,
    leave_request,
    measure_record,
    measure_set_status,
    pairing_assign,
    plan_save,
    team_create,
    team_member_add,
    visit_record,
)
from fupin.registry.models import Household, LivingConditions, Member


def refused(code: str, fn, /, **kwargs) -> FupinError:
    with pytest.raises(FupinError) as exc:
        fn(**kwargs)
    codes = {exc.value.code, *(e["code"] for e in exc.value.details.get("errors", []))}
    assert code in codes, (code, exc.value)
    return exc.value


def user(name: str, role: Role, division: str | None):
    u = get_user_model().objects.create_user(username=name)
    Profile.objects.create(user=u, role=role, division_id=division)
    return u


def aged(member: Member, years: int, on: date) -> None:
    """Make the member exactly ``years`` old on ``on``."""
    Member.objects.filter(pk=member.pk).update(birth_date=on.replace(year=on.year - years))


START = date(2020, 3, 1)


def loan(head: Member, **extra: object) -> dict[str, object]:
    return {
        "category": "microcredit",
        "subtype": "microcredit.loan",
        "amount": "50000",
        "term_months": "36",
        "purpose": "production",
        "start": START.isoformat(),
        "member": head.id_number,
        **extra,
    }


# -- measures ------


def test_a_loan_at_the_caps_is_recorded_and_audited(poor_household, head):
    aged(head, 65, START)
    m = measure_record(household_code=poor_household.code, data=loan(head), by=None)
    assert (m.category, m.amount, m.term_months, m.member_id) == (
        "microcredit",
        Decimal("50000.00"),
        36,
        head.pk,
    )
    assert m.year == 2020  # taken from the start date
    assert AuditEvent.objects.filter(action="measure.record", obj_key=poor_household.code).exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount": "50000.01"}, "MEASURE_AMOUNT_ABOVE_CAP"),
        ({"term_months": "37"}, "MEASURE_LOAN_TERM"),
        ({"purpose": "house_building"}, "MEASURE_LOAN_PURPOSE"),
        ({"purpose": ""}, "MEASURE_LOAN_PURPOSE"),
        ({"member": ""}, "MEASURE_LOAN_BORROWER"),
        ({"amount": "-1"}, "MEASURE_AMOUNT_NEGATIVE"),
        ({"category": "lottery"}, "CODE_UNKNOWN"),
        ({"subtype": "health.contract"}, "MEASURE_SUBTYPE_MISMATCH"),
        ({"start": "2020-13-01"}, "DATE_BAD"),
        ({"end": "2020-01-01"}, "MEASURE_DATES"),
        ({"colour": "red"}, "FIELD_UNKNOWN"),
    ],
)
def test_a_bad_loan_is_refused_and_nothing_is_stored(poor_household, head, change, code):
    aged(head, 40, START)
    refused(
        code, measure_record, household_code=poor_household.code, data=loan(head, **change), by=None
    )
    assert not Measure.objects.filter(household=poor_household).exists()


def test_a_loan_to_a_71_year_old_is_refused_with_its_clause(poor_household, head):
    aged(head, 71, START)
    err = refused(
        "MEASURE_LOAN_AGE",
        measure_record,
        household_code=poor_household.code,
        data=loan(head),
        by=None,
    )
    assert err.code == "MEASURE_LOAN_AGE"
    assert "71 周岁" in err.message and "65 周岁以下" in err.message


def test_a_loan_to_an_18_year_old_passes_and_to_a_17_year_old_not(poor_household, head):
    aged(head, 18, START)
    measure_record(household_code=poor_household.code, data=loan(head), by=None)
    aged(head, 17, START)
    refused(
        "MEASURE_LOAN_AGE",
        measure_record,
        household_code=poor_household.code,
        data=loan(head),
        by=None,
    )


def test_a_loan_only_for_a_registered_household(poor_household, head):
    aged(head, 40, START)
    Household.objects.filter(pk=poor_household.pk).update(status="exited")
    refused(
        "MEASURE_LOAN_NOT_REGISTERED",
        measure_record,
        household_code=poor_household.code,
        data=loan(head),
        by=None,
    )


def test_safety_net_for_full_labour_needs_a_reason(poor_household):
    Member.objects.filter(household=poor_household).update(labour_capacity="ordinary")
    data = {"category": "safety_net", "subtype": "safety_net.dibao", "start": "2020-01-01"}
    refused(
        "MEASURE_SAFETY_NET_LABOUR",
        measure_record,
        household_code=poor_household.code,
        data=data,
        by=None,
    )
    m = measure_record(
        household_code=poor_household.code,
        data={**data, "reason": "户主突发重病，暂时无法务工"},
        by=None,
    )
    assert m.reason


def test_safety_net_where_a_member_lost_labour(poor_household, head):
    Member.objects.filter(household=poor_household).update(labour_capacity="ordinary")
    Member.objects.filter(pk=head.pk).update(labour_capacity="lost")
    measure_record(
        household_code=poor_household.code,
        data={"category": "兜底", "subtype": "低保", "start": "2020-01-01"},
        by=None,
    )


def test_public_post_is_for_weak_labour(poor_household, head):
    data = {"category": "public_post", "subtype": "public_post.cleaning", "start": "2020-01-01"}
    Member.objects.filter(pk=head.pk).update(labour_capacity="lost")
    refused(
        "MEASURE_PUBLIC_POST_LABOUR",
        measure_record,
        household_code=poor_household.code,
        data={**data, "member": head.id_number},
        by=None,
    )
    refused(
        "MEASURE_PUBLIC_POST_MEMBER",
        measure_record,
        household_code=poor_household.code,
        data=data,
        by=None,
    )
    Member.objects.filter(pk=head.pk).update(labour_capacity="weak")
    measure_record(
        household_code=poor_household.code, data={**data, "member": head.id_number}, by=None
    )


@pytest.mark.parametrize(("grade", "ok"), [("D", True), ("C", True), ("safe", False), ("", False)])
def test_housing_only_for_c_and_d_houses(poor_household, grade, ok):
    LivingConditions.objects.update_or_create(
        household=poor_household, defaults={"house_grade": grade}
    )
    data = {
        "category": "housing",
        "subtype": "housing.rebuild",
        "start": "2020-01-01",
        "amount": "20000",
    }
    if ok:
        measure_record(household_code=poor_household.code, data=data, by=None)
    else:
        refused(
            "MEASURE_HOUSING_GRADE",
            measure_record,
            household_code=poor_household.code,
            data=data,
            by=None,
        )


def test_unknown_household_and_member(poor_household):
    refused("MEASURES_UNKNOWN_HOUSEHOLD", measure_record, household_code="nope", data={}, by=None)
    refused(
        "MEASURES_UNKNOWN_MEMBER",
        measure_record,
        household_code=poor_household.code,
        data={"category": "health", "start": "2020-01-01", "member": "110101199001011237"},
        by=None,
    )


def test_done_sets_the_end_date(poor_household):
    m = measure_record(
        household_code=poor_household.code,
        data={"category": "health", "start": "2020-01-01"},
        by=None,
    )
    done = measure_set_status(measure_id=m.pk, status="done", end=date(2020, 6, 30), by=None)
    assert (done.status, done.end) == ("done", date(2020, 6, 30))
    refused(
        "MEASURE_DATES",
        measure_set_status,
        measure_id=m.pk,
        status="done",
        end=date(2019, 1, 1),
        by=None,
    )


def test_rights_and_scope(poor_household):
    data = {"category": "health", "start": "2020-01-01"}
    analyst = user("analyst", Role.ANALYST, None)
    refused(
        "PERMISSION_DENIED",
        measure_record,
        household_code=poor_household.code,
        data=data,
        by=analyst,
    )
    other = user(
        "other",
        Role.VILLAGE_CADRE,
        "513431100001" if not poor_household.village_id.endswith("100001") else "513431100002",
    )
    refused("OUT_OF_SCOPE", measure_record, household_code=poor_household.code, data=data, by=other)
    cadre = user("cadre", Role.VILLAGE_CADRE, poor_household.village_id)
    assert measure_record(household_code=poor_household.code, data=data, by=cadre).pk


# -- plans ------


def test_a_plan_replaces_the_year_and_refuses_bad_items(poor_household, head, cadre):
    plan_save(
        household_code=poor_household.code,
        year=2020,
        items=[
            {
                "category": "health",
                "subtype": "health.contract",
                "member": head.id_number,
                "cadre": cadre.pk,
            }
        ],
        by=None,
    )
    plan = plan_save(
        household_code=poor_household.code,
        year=2020,
        items=[{"category": "industry"}, {"category": "education", "suggestion": "education"}],
        by=None,
    )
    assert sorted(plan.items.values_list("category", flat=True)) == ["education", "industry"]
    assert Plan.objects.filter(household=poor_household).count() == 1
    refused(
        "PLAN_BAD_VALUE",
        plan_save,
        household_code=poor_household.code,
        year=2020,
        items=[
            {"category": "industry"},
            {"category": "nothing"},
            {"category": "health", "amount": "-5"},
        ],
        by=None,
    )
    # the refused plan left the stored one as it was
    assert sorted(
        Plan.objects.get(household=poor_household).items.values_list("category", flat=True)
    ) == [
        "education",
        "industry",
    ]


# -- pairing and visits ------


def test_a_cadre_outside_the_county_is_refused(poor_household):
    divisions_load(prefix="513401")
    other = cadre_create(county_code="513401", name="王芳", unit="西昌市教育局", by=None)
    refused(
        "MEASURES_CADRE_OUT_OF_COUNTY",
        pairing_assign,
        household_code=poor_household.code,
        cadre=other,
        start=date(2020, 1, 1),
        by=None,
    )


def test_the_quota_is_a_warning_and_a_reassignment_ends_the_old_pairing(cadre, registry):
    households = list(Household.objects.filter(status="poor").order_by("code")[:7])
    results = [
        pairing_assign(household_code=h.code, cadre=cadre, start=date(2020, 1, 1), by=None)
        for h in households[:6]
    ]
    assert not results[4].warnings and "超过 5 户" in results[5].warnings[0]
    second = cadre_create(county_code="513431", name="张强", unit="昭觉县水务局", by=None)
    pairing_assign(
        household_code=households[0].code,
        cadre=second,
        start=date(2020, 6, 1),
        reason="工作调动",
        by=None,
    )
    old = Pairing.objects.get(household=households[0], cadre=cadre)
    assert old.end == date(2020, 5, 31) and old.end_reason == "工作调动"
    refused(
        "PAIRING_EXISTS",
        pairing_assign,
        household_code=households[0].code,
        cadre=second,
        start=date(2020, 7, 1),
        by=None,
    )


def test_visits_follow_the_pairing(pairing, poor_household, cadre):
    ok = visit_record(
        household_code=poor_household.code,
        cadre=cadre,
        visit_date="2020-01-15",
        content="核实收入",
        minutes=60,
        by=None,
    )
    assert ok.date == date(2020, 1, 15)
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused(
        "VISIT_DATE_FUTURE",
        visit_record,
        household_code=poor_household.code,
        cadre=cadre,
        visit_date=tomorrow,
        content="x",
        by=None,
    )
    refused(
        "VISIT_BEFORE_PAIRING",
        visit_record,
        household_code=poor_household.code,
        cadre=cadre,
        visit_date="2019-12-31",
        content="x",
        by=None,
    )
    refused(
        "VISIT_BAD_VALUE",
        visit_record,
        household_code=poor_household.code,
        cadre=cadre,
        visit_date="2020-02-01",
        content=" ",
        by=None,
    )
    refused(
        "MEASURES_UNKNOWN_CADRE",
        visit_record,
        household_code=poor_household.code,
        cadre=999999,
        visit_date="2020-02-01",
        content="x",
        by=None,
    )
    stranger = cadre_create(county_code="513431", name="赵六", unit="昭觉县林业局", by=None)
    refused(
        "VISIT_NOT_PAIRED",
        visit_record,
        household_code=poor_household.code,
        cadre=stranger,
        visit_date="2020-02-01",
        content="x",
        by=None,
    )
    assert Visit.objects.filter(household=poor_household).count() == 1


def test_the_cadre_records_their_own_visit_and_a_stranger_cannot(pairing, poor_household, cadre):
    own = user("liming", Role.VILLAGE_CADRE, "513431")
    cadre.user = own
    cadre.save(update_fields=["user"])
    assert visit_record(
        household_code=poor_household.code,
        cadre=cadre,
        visit_date="2020-02-01",
        content="x",
        by=own,
    ).pk
    analyst = user("a2", Role.ANALYST, "513431")
    refused(
        "PERMISSION_DENIED",
        visit_record,
        household_code=poor_household.code,
        cadre=cadre,
        visit_date="2020-02-02",
        content="x",
        by=analyst,
    )


# -- work teams ------


def test_team_attendance_and_leave(poor_household):
    village = poor_household.village_id
    team = team_create(
        village_code=village, sending_unit="凉山州财政局", start=date(2020, 1, 1), by=None
    )
    refused(
        "TEAM_EXISTS",
        team_create,
        village_code=village,
        sending_unit="x",
        start=date(2020, 1, 1),
        by=None,
    )
    refused(
        "TEAM_NOT_VILLAGE",
        team_create,
        village_code=village[:9],
        sending_unit="x",
        start=date(2020, 1, 1),
        by=None,
    )
    secretary = team_member_add(
        team=team,
        name="陈书记",
        unit="凉山州财政局",
        role="first_secretary",
        start=date(2020, 1, 1),
        by=None,
    )
    refused(
        "TEAM_SECRETARY_EXISTS",
        team_member_add,
        team=team,
        name="又一位",
        unit="x",
        role="first_secretary",
        start=date(2020, 1, 1),
        by=None,
    )
    attendance_record(
        member=secretary, month=date(2020, 2, 10), days_present=20, days_leave=2, by=None
    )
    again = attendance_record(member=secretary, month=date(2020, 2, 1), days_present=22, by=None)
    assert Attendance.objects.filter(member=secretary).count() == 1 and again.days_present == 22
    refused(
        "ATTENDANCE_DAYS",
        attendance_record,
        member=secretary,
        month=date(2020, 2, 1),
        days_present=28,
        days_leave=2,
        by=None,
    )
    short = leave_request(
        member=secretary, start=date(2020, 3, 2), end=date(2020, 3, 4), reason="家事", by=None
    )
    long = leave_request(
        member=secretary, start=date(2020, 4, 1), end=date(2020, 4, 5), reason="培训", by=None
    )
    assert (short.days, short.level, long.days, long.level) == (3, "township", 5, "county")
    township = user("township", Role.TOWNSHIP_REVIEWER, village[:9])
    assert leave_decide(leave_id=short.pk, approve=True, by=township).status == "approved"
    refused("PERMISSION_DENIED", leave_decide, leave_id=long.pk, approve=True, by=township)
    county = user("county", Role.COUNTY_OFFICE, village[:6])
    assert leave_decide(leave_id=long.pk, approve=False, by=county).status == "refused"
    refused("LEAVE_DECIDED", leave_decide, leave_id=long.pk, approve=True, by=county)


def test_a_measure_names_several_beneficiaries_and_refuses_strangers(poor_household):
    members = list(poor_household.members.order_by("id"))
    assert len(members) >= 2, "the fixture household has several members"
    first, second = members[0], members[1]
    m = measure_record(
        household_code=poor_household.code,
        data={
            "category": "health",
            "start": "2020-03-01",
            "member": first.id_number,
            "beneficiaries": f"{second.id_number.lower()}、{first.id_number}",
        },
        by=None,
    )
    # The target is not repeated among the others; every one of them benefits.
    assert list(m.beneficiaries.values_list("pk", flat=True)) == [second.pk]
    assert [b.pk for b in m.benefiting] == [first.pk, second.pk]
    assert m.beneficiary_names == f"{first.name}、{second.name}"
    event = AuditEvent.objects.filter(action="measure.record").latest("id")
    assert len(event.after["beneficiaries"]) == 1 and "*" in event.after["member"]
    assert "*" in event.after["beneficiaries"][0]  # masked, never the full number
    # None named: the whole household benefits (no rows).
    whole = measure_record(
        household_code=poor_household.code,
        data={"category": "health", "start": "2020-03-02"},
        by=None,
    )
    assert whole.beneficiaries.count() == 0 and whole.benefiting == []
    before = Measure.objects.count()
    err = refused(
        "MEASURES_UNKNOWN_MEMBER",
        measure_record,
        household_code=poor_household.code,
        data={
            "category": "health",
            "start": "2020-03-03",
            "beneficiaries": [second.id_number, "110101199001011237"],
        },
        by=None,
    )
    assert [e["field"] for e in err.details["errors"]] == ["beneficiaries"]
    assert "110101199001011237" not in err.message + str(err.details)
    assert Measure.objects.count() == before


def test_a_visit_keeps_its_place_and_refuses_half_or_impossible_places(
    pairing, poor_household, cadre
):
    v = visit_record(
        household_code=poor_household.code,
        cadre=cadre,
        visit_date="2020-01-15",
        content="核实收入",
        latitude=28.0123456,
        longitude=102.84,
        by=None,
    )
    v.refresh_from_db()
    assert (v.latitude, v.longitude) == (Decimal("28.012346"), Decimal("102.840000"))
    for lat, lon in ((28.0, None), (91.0, 102.0), (28.0, 181.0), (float("nan"), 102.0)):
        refused(
            "LOCATION_BAD",
            visit_record,
            household_code=poor_household.code,
            cadre=cadre,
            visit_date="2020-01-16",
            content="x",
            latitude=lat,
            longitude=lon,
            by=None,
        )
    assert Visit.objects.filter(household=poor_household).count() == 1
