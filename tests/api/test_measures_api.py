"""``/api/v1`` precise measures (精准施策): a household's measures, plan, suggestion, pairings and
visits; cadres; overdue visits; a village's work team — scoped reads, writes judged by the
services' rules, refusals in the API's error shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.utils import timezone

from fupin.accounts.models import Role
from fupin.divisions.models import Division
from fupin.divisions.services import divisions_load
from fupin.measures import selectors
from fupin.measures.models import Attendance, Cadre, Measure, Pairing, Plan, Visit
from fupin.measures.services import cadre_create, team_create, team_member_add
from fupin.registry.models import Household, Member
from tests.api.conftest import Api
from tests.measures.fixtures import COUNTY

ApiAs = Callable[..., Api]
START = date(2020, 3, 1)


def aged(member: Member, years: int, on: date) -> None:
    Member.objects.filter(pk=member.pk).update(birth_date=on.replace(year=on.year - years))


def loan(member: Member) -> dict[str, object]:
    return {
        "category": "microcredit",
        "subtype": "microcredit.loan",
        "amount": "30000",
        "term_months": 36,
        "purpose": "production",
        "start": START.isoformat(),
        "member": member.id_number,
    }


def other_township(household: Household) -> str:
    """A township of the county other than the household's."""
    code = (
        Division.objects.filter(code__startswith=COUNTY, level=4)
        .exclude(code=household.village_id[:9])
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    assert code is not None
    return code


# -- measures --------------------------------------------------------------------------------------


def test_a_measure_is_recorded_and_listed(api_as: ApiAs, poor_household: Household, head: Member):
    api = api_as(COUNTY)
    aged(head, 40, START)
    status, body = api.post(f"/households/{poor_household.code}/measures", loan(head))
    assert status == 201, body
    assert body["category"] == "microcredit" and body["amount"] == "30000.00"
    assert body["member_id_number"] == head.id_number and body["year"] == 2020
    assert body["category_label"] == "扶贫小额信贷"
    status, page = api.get(f"/households/{poor_household.code}/measures")
    assert status == 200
    assert page["count"] == 1 and page["items"][0]["id"] == body["id"]
    assert page["items"][0]["beneficiaries"] == [{"id_number": head.id_number, "name": head.name}]


def test_a_measure_names_several_beneficiaries(api_as: ApiAs, poor_household: Household):
    api = api_as(COUNTY)
    ids = list(poor_household.members.order_by("id").values_list("id_number", flat=True)[:2])
    path = f"/households/{poor_household.code}/measures"
    status, body = api.post(
        path, {"category": "health", "start": "2020-03-01", "beneficiaries": ids}
    )
    assert status == 201, body
    assert {b["id_number"] for b in body["beneficiaries"]} == set(ids)
    status, body = api.post(
        path, {"category": "health", "start": "2020-03-01", "beneficiaries": ["110101199001011237"]}
    )
    assert status == 400, body
    assert [(e["field"], e["code"]) for e in body["details"]["errors"]] == [
        ("beneficiaries", "MEASURES_UNKNOWN_MEMBER")
    ]


def test_a_loan_to_a_71_year_old_is_refused_with_its_rule(
    api_as: ApiAs, poor_household: Household, head: Member
):
    aged(head, 71, START)
    status, body = api_as(COUNTY).post(f"/households/{poor_household.code}/measures", loan(head))
    assert status == 400
    assert body["code"] == "MEASURE_LOAN_AGE"
    assert "71 周岁" in body["message"]
    assert [e["code"] for e in body["details"]["errors"]] == ["MEASURE_LOAN_AGE"]
    assert not Measure.objects.exists()


def test_an_unknown_category_is_refused_by_the_schema(api_as: ApiAs, poor_household: Household):
    status, body = api_as(COUNTY).post(
        f"/households/{poor_household.code}/measures",
        {"category": "lottery", "start": "2020-01-01"},
    )
    assert (status, body["code"]) == (422, "VALIDATION_ERROR")
    assert body["details"]["errors"][0]["field"] == "category"


def test_an_analyst_may_read_measures_but_not_record_them(
    api_as: ApiAs, poor_household: Household, head: Member
):
    analyst = api_as(COUNTY, role=Role.ANALYST)
    aged(head, 40, START)
    status, body = analyst.post(f"/households/{poor_household.code}/measures", loan(head))
    assert (status, body["code"]) == (403, "PERMISSION_DENIED")
    assert not Measure.objects.exists()
    status, _ = analyst.get(f"/households/{poor_household.code}/measures")
    assert status == 200


def test_a_household_out_of_reach_answers_404_like_a_missing_one(
    api_as: ApiAs, poor_household: Household, cadre: Cadre
):
    elsewhere = api_as(other_township(poor_household))
    code = poor_household.code
    for method, path, body in [
        ("get", f"/households/{code}/measures", None),
        ("post", f"/households/{code}/measures", {"category": "education", "start": "2020-01-01"}),
        ("get", f"/households/{code}/plans/2020", None),
        ("put", f"/households/{code}/plans/2020", {"items": []}),
        ("get", f"/households/{code}/suggestions", None),
        ("get", f"/households/{code}/pairings", None),
        ("post", f"/households/{code}/pairings", {"cadre": cadre.pk, "start": "2020-01-01"}),
        ("get", f"/households/{code}/visits", None),
        ("get", "/households/NO-SUCH-HOUSEHOLD/measures", None),
    ]:
        status, answer = elsewhere.call(method, path, body)
        assert (status, answer["code"]) == (404, "HOUSEHOLD_NOT_FOUND"), (method, path)
    assert not Measure.objects.exists() and not Plan.objects.exists()
    assert not Pairing.objects.exists()


def test_a_measure_is_marked_done_and_an_unknown_one_answers_404(
    api_as: ApiAs, poor_household: Household
):
    api = api_as(COUNTY)
    status, body = api.post(
        f"/households/{poor_household.code}/measures",
        {"category": "education", "subtype": "education.grant", "start": "2020-03-01"},
    )
    assert status == 201, body
    status, done = api.call(
        "patch", f"/measures/{body['id']}", {"status": "done", "end": "2020-06-30"}
    )
    assert status == 200, done
    assert (done["status"], done["end"]) == ("done", "2020-06-30")
    assert Measure.objects.get(pk=body["id"]).status == "done"
    status, bad = api.call(
        "patch", f"/measures/{body['id']}", {"status": "done", "end": "2019-01-01"}
    )
    assert (status, bad["code"]) == (400, "MEASURE_DATES")
    status, missing = api.call("patch", "/measures/999999", {"status": "done"})
    assert (status, missing["code"]) == (404, "MEASURE_NOT_FOUND")
    elsewhere = api_as(other_township(poor_household))
    status, hidden = elsewhere.call("patch", f"/measures/{body['id']}", {"status": "cancelled"})
    assert (status, hidden["code"]) == (404, "MEASURE_NOT_FOUND")
    assert Measure.objects.get(pk=body["id"]).status == "done"


# -- plans and the suggestion ----------------------------------------------------------------------


def test_a_plan_is_replaced_and_read(
    api_as: ApiAs, poor_household: Household, head: Member, cadre: Cadre
):
    api = api_as(COUNTY)
    path = f"/households/{poor_household.code}/plans/2020"
    status, empty = api.get(path)
    assert status == 200 and empty["recorded"] is False and empty["items"] == []
    items = [
        {"category": "health", "subtype": "health.contract", "member": head.id_number},
        {"category": "industry", "amount": "2000", "cadre": cadre.pk, "note": "养牛"},
    ]
    status, body = api.put(path, {"note": "2020 年计划", "items": items})
    assert status == 200, body
    assert body["recorded"] is True and [i["category"] for i in body["items"]] == [
        "health",
        "industry",
    ]
    assert body["items"][0]["member_id_number"] == head.id_number
    assert body["items"][1]["cadre_name"] == "李明" and body["items"][1]["amount"] == "2000.00"
    status, body = api.put(path, {"items": [{"category": "education"}]})
    assert status == 200 and len(body["items"]) == 1
    assert Plan.objects.get(household=poor_household, year=2020).items.count() == 1


def test_a_plan_with_a_subtype_of_another_category_is_refused(
    api_as: ApiAs, poor_household: Household
):
    status, body = api_as(COUNTY).put(
        f"/households/{poor_household.code}/plans/2020",
        {"items": [{"category": "health", "subtype": "education.grant"}]},
    )
    assert (status, body["code"]) == (400, "PLAN_BAD_VALUE")
    assert body["details"]["errors"][0]["code"] == "MEASURE_SUBTYPE_MISMATCH"
    assert not Plan.objects.exists()


def test_the_suggestion_is_the_selectors_with_sentences(api_as: ApiAs, poor_household: Household):
    status, body = api_as(COUNTY, role=Role.ANALYST).get(
        f"/households/{poor_household.code}/suggestions", year=2020
    )
    assert status == 200
    expected = selectors.household_suggestions(poor_household, 2020)
    assert [s["code"] for s in body["suggestions"]] == [s.code for s in expected]
    assert expected, "the household has causes, so something is suggested"
    first = body["suggestions"][0]
    assert first["sentence"] == expected[0].sentence() and "建议" in first["sentence"]


# -- pairings and visits ---------------------------------------------------------------------------


def test_a_pairing_is_assigned_with_a_warning_above_the_quota(
    api_as: ApiAs, poor_household: Household
):
    api = api_as(COUNTY)
    small = cadre_create(
        county_code=COUNTY, name="王芳", unit="县教育局", max_households=1, by=None
    )
    other = Household.objects.filter(status="poor").exclude(pk=poor_household.pk).first()
    assert other is not None
    status, first = api.post(
        f"/households/{other.code}/pairings", {"cadre": small.pk, "start": "2020-01-01"}
    )
    assert status == 201 and first["warnings"] == []
    status, body = api.post(
        f"/households/{poor_household.code}/pairings", {"cadre": small.pk, "start": "2020-01-01"}
    )
    assert status == 201, body
    assert body["pairing"]["cadre_name"] == "王芳" and body["pairing"]["current"] is True
    assert body["warnings"] and "超过 1 户" in body["warnings"][0]
    status, listed = api.get(f"/households/{poor_household.code}/pairings")
    assert status == 200 and [p["cadre_id"] for p in listed] == [small.pk]


def test_a_cadre_of_another_county_or_unknown_is_refused(api_as: ApiAs, poor_household: Household):
    divisions_load(prefix="513401")
    xichang = cadre_create(county_code="513401", name="张三", unit="西昌市民政局", by=None)
    api = api_as(COUNTY)
    path = f"/households/{poor_household.code}/pairings"
    status, body = api.post(path, {"cadre": xichang.pk, "start": "2020-01-01"})
    assert (status, body["code"]) == (400, "MEASURES_CADRE_OUT_OF_COUNTY")
    status, body = api.post(path, {"cadre": 999999, "start": "2020-01-01"})
    assert (status, body["code"]) == (404, "MEASURES_UNKNOWN_CADRE")
    assert not Pairing.objects.exists()


def test_a_visit_is_recorded_and_a_future_one_refused(
    api_as: ApiAs, poor_household: Household, pairing: Pairing
):
    api = api_as(COUNTY)
    path = f"/households/{poor_household.code}/visits"
    visit = {"cadre": pairing.cadre_id, "date": "2020-02-10", "content": "了解养殖情况"}
    status, body = api.post(path, {**visit, "next_step": "联系农技员", "minutes": 40})
    assert status == 201, body
    assert (body["date"], body["cadre_name"], body["has_photo"]) == ("2020-02-10", "李明", False)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    status, body = api.post(path, {**visit, "date": tomorrow})
    assert (status, body["code"]) == (400, "VISIT_DATE_FUTURE")
    status, body = api.post(path, {**visit, "date": "2019-12-31"})
    assert (status, body["code"]) == (400, "VISIT_BEFORE_PAIRING")
    status, page = api.get(path)
    assert status == 200 and page["count"] == 1 and page["items"][0]["minutes"] == 40
    assert page["items"][0]["latitude"] is None
    status, body = api.post(
        path, {**visit, "date": "2020-02-11", "latitude": 28.01, "longitude": 102.84}
    )
    assert status == 201 and (body["latitude"], body["longitude"]) == ("28.010000", "102.840000")
    status, body = api.post(path, {**visit, "date": "2020-02-12", "latitude": 28.01})
    assert (status, body["code"]) == (400, "VISIT_BAD_VALUE")
    assert Visit.objects.count() == 2


def test_an_analyst_cannot_record_a_visit(
    api_as: ApiAs, poor_household: Household, pairing: Pairing
):
    status, body = api_as(COUNTY, role=Role.ANALYST).post(
        f"/households/{poor_household.code}/visits",
        {"cadre": pairing.cadre_id, "date": "2020-02-10", "content": "走访"},
    )
    assert (status, body["code"]) == (403, "PERMISSION_DENIED")
    assert not Visit.objects.exists()


# -- cadres ----------------------------------------------------------------------------------------


def test_a_cadres_phone_is_shown_to_editors_of_the_county_only(
    api_as: ApiAs, cadre: Cadre, poor_household: Household
):
    status, page = api_as(COUNTY).get("/cadres")
    assert status == 200 and page["items"][0]["phone"] == "13800000000"
    # A village cadre of the county edits there: the phone is theirs to call.
    status, page = api_as(poor_household.village_id, role=Role.VILLAGE_CADRE).get("/cadres")
    assert status == 200 and page["items"][0]["phone"] == "13800000000"
    status, page = api_as(COUNTY, role=Role.ANALYST).get("/cadres")
    assert status == 200 and page["count"] == 1
    assert page["items"][0]["phone"] is None and page["items"][0]["name"] == "李明"
    status, page = api_as(COUNTY).get("/cadres", division="5134")
    assert page["count"] == 1
    status, page = api_as(COUNTY).get("/cadres", division="5101")
    assert page["count"] == 0
    divisions_load(prefix="513401")
    status, page = api_as("513401").get("/cadres")
    assert status == 200 and page["count"] == 0


def test_only_the_county_office_registers_cadres(api_as: ApiAs, registry: object):
    new = {"county_code": COUNTY, "name": "赵六", "unit": "县卫健局", "phone": "13900000000"}
    status, body = api_as(COUNTY).post("/cadres", new)
    assert status == 201, body
    assert (body["name"], body["phone"], body["households"]) == ("赵六", "13900000000", 0)
    status, body = api_as(COUNTY, role=Role.ANALYST).post("/cadres", new)
    assert (status, body["code"]) == (403, "PERMISSION_DENIED")
    village = Division.objects.filter(code__startswith=COUNTY, level=5).values_list(
        "code", flat=True
    )[0]
    status, body = api_as(village, role=Role.VILLAGE_CADRE).post("/cadres", new)
    assert status == 403
    assert Cadre.objects.filter(name="赵六").count() == 1


# -- overdue visits --------------------------------------------------------------------------------


def test_overdue_visits_list_the_unvisited_households_in_reach(
    api_as: ApiAs, poor_household: Household, pairing: Pairing
):
    api = api_as(COUNTY)
    status, page = api.get("/measures/overdue", as_of="2020-03-15")
    assert status == 200 and page["count"] == 1
    row = page["items"][0]
    assert (row["household_code"], row["last_visit"], row["days_since"]) == (
        poor_household.code,
        None,
        (date(2020, 3, 15) - date(2020, 1, 1)).days,
    )
    Visit.objects.create(
        household=poor_household, cadre=pairing.cadre, date=date(2020, 3, 1), content="走访"
    )
    status, page = api.get("/measures/overdue", as_of="2020-03-15")
    assert page["count"] == 0
    status, page = api_as(other_township(poor_household)).get(
        "/measures/overdue", as_of="2020-06-30"
    )
    assert status == 200 and page["count"] == 0
    status, page = api.get("/measures/overdue", as_of="2020-06-30", division=COUNTY)
    assert page["count"] == 1


# -- work teams ------------------------------------------------------------------------------------


@pytest.fixture
def team_member(poor_household: Household):
    team = team_create(
        village_code=poor_household.village_id, sending_unit="县农业农村局", start=START, by=None
    )
    return team_member_add(
        team=team,
        name="陈书记",
        unit="县农业农村局",
        role="first_secretary",
        phone="13700000000",
        start=START,
        by=None,
    )


def test_a_village_without_a_team_answers_null(api_as: ApiAs, poor_household: Household):
    status, body = api_as(COUNTY).get(f"/villages/{poor_household.village_id}/team", year=2020)
    assert status == 200 and body["team"] is None and body["members"] == []


def test_attendance_is_recorded_and_the_team_shows_it(
    api_as: ApiAs, poor_household: Household, team_member
):
    village = poor_household.village_id
    api = api_as(COUNTY)
    month = {"member": team_member.pk, "month": "2020-04-15", "days_present": 22, "days_leave": 2}
    status, body = api.post(f"/villages/{village}/team/attendance", month)
    assert status == 200, body
    assert (body["month"], body["days_present"]) == ("2020-04-01", 22)
    status, team = api.get(f"/villages/{village}/team", year=2020)
    assert status == 200
    assert team["team"]["first_secretary"] == "陈书记"
    member = team["members"][0]
    assert (member["days_present"], member["months_recorded"], member["phone"]) == (
        22,
        1,
        "13700000000",
    )
    assert member["months"][0]["month"] == "2020-04-01"
    status, hidden = api_as(COUNTY, role=Role.ANALYST).get(f"/villages/{village}/team", year=2020)
    assert status == 200 and hidden["members"][0]["phone"] is None


def test_attendance_refusals(api_as: ApiAs, poor_household: Household, team_member):
    village = poor_household.village_id
    month = {"member": team_member.pk, "month": "2020-04-01", "days_present": 20}
    status, body = api_as(COUNTY, role=Role.ANALYST).post(
        f"/villages/{village}/team/attendance", month
    )
    assert (status, body["code"]) == (403, "PERMISSION_DENIED")
    api = api_as(COUNTY)
    status, body = api.post(
        f"/villages/{village}/team/attendance", {**month, "days_present": 25, "days_leave": 10}
    )
    assert (status, body["code"]) == (400, "ATTENDANCE_DAYS")
    other = (
        Division.objects.filter(code__startswith=COUNTY, level=5)
        .exclude(code=village)
        .values_list("code", flat=True)[0]
    )
    status, body = api.post(f"/villages/{other}/team/attendance", month)
    assert (status, body["code"]) == (404, "TEAM_MEMBER_NOT_FOUND")
    status, body = api_as(other_township(poor_household)).post(
        f"/villages/{village}/team/attendance", month
    )
    assert (status, body["code"]) == (404, "DIVISION_UNKNOWN")
    assert not Attendance.objects.exists()
