"""Households through the API: lists, filters, pages, one household's file, registration,
members and income — each limited to the caller's division subtree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fupin.accounts.models import Role
from fupin.registry.models import Household, HouseholdIncome, Member
from tests.api.conftest import new_id

# --- scoping --------------------------------------------------------------------------------

LEVELS = {"village": 12, "township": 9, "county": 6, "prefecture": 4, "province": 2}


@pytest.mark.parametrize("level", LEVELS)
def test_a_user_reads_own_subtree_and_nothing_beside_or_above_it(api_as, places, level):
    api = api_as(places.village[: LEVELS[level]])
    seen = {
        "own": places.own,
        "sibling village": places.sibling,
        "other township": places.cousin,
        "other province": places.beijing,
    }
    expected = {
        name: h.village_id.startswith(places.village[: LEVELS[level]]) for name, h in seen.items()
    }
    assert expected["own"] and not expected["other province"]
    for name, household in seen.items():
        status, body = api.get(f"/households/{household.code}")
        if expected[name]:
            assert status == 200, name
            assert body["code"] == household.code
        else:
            assert (status, body["code"]) == (404, "HOUSEHOLD_NOT_FOUND"), name


@pytest.mark.parametrize("level", LEVELS)
def test_the_list_holds_exactly_the_users_subtree(api_as, places, level):
    prefix = places.village[: LEVELS[level]]
    status, body = api_as(prefix).get("/households", limit=200)
    assert status == 200
    assert body["count"] == Household.objects.filter(village__code__startswith=prefix).count()
    assert all(item["village_code"].startswith(prefix) for item in body["items"])


def test_the_whole_country_for_a_national_user(api_as, places):
    status, body = api_as(None, role=Role.ANALYST).get("/households", limit=1)
    assert status == 200 and body["count"] == Household.objects.count()


def test_a_user_without_a_profile_is_refused(client, places):
    from django.contrib.auth import get_user_model

    from tests.api.conftest import Api, bearer

    user = get_user_model().objects.create_user("nobody", password="pw-123456789")
    api = Api(client, bearer(user))
    for path in ("/households", f"/households/{places.own.code}"):
        status, body = api.get(path)
        assert (status, body["code"]) == (403, "PERMISSION_DENIED")


def test_a_role_without_the_right_to_view_the_registry_is_refused(api_as, places):
    api = api_as(None, role=Role.DEPARTMENT_PROVIDER)
    for path in ("/households", f"/households/{places.own.code}", "/assessments/runs"):
        status, body = api.get(path)
        assert (status, body["code"]) == (403, "PERMISSION_DENIED"), path


@pytest.mark.parametrize("path", ["", "/members", "/incomes", "/assessments", "/explanation"])
def test_every_household_endpoint_hides_other_subtrees_as_missing(api_as, places, path):
    api = api_as(places.village)
    status, body = api.get(f"/households/{places.cousin.code}{path}")
    assert (status, body["code"]) == (404, "HOUSEHOLD_NOT_FOUND")
    status, _ = api.get(f"/households/{places.own.code}{path}")
    assert status == 200


def test_an_unknown_household_is_the_same_404(api_as, places):
    status, body = api_as("513431").get("/households/no-such-household")
    assert (status, body["code"]) == (404, "HOUSEHOLD_NOT_FOUND")
    assert "no-such-household" in body["message"]


# --- pagination and filters -----------------------------------------------------------------


def test_pages_cover_the_list_once_in_code_order(api_as, places):
    api = api_as("513431")
    total = Household.objects.filter(village__code__startswith="513431").count()
    codes: list[str] = []
    for offset in range(0, total, 200):
        status, body = api.get("/households", limit=200, offset=offset)
        assert status == 200 and body["count"] == total
        codes += [item["code"] for item in body["items"]]
    assert codes == sorted(codes) and len(set(codes)) == total


@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": 201}, "limit"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset")],
)
def test_page_size_is_at_most_200(api_as, places, query, field):
    status, body = api_as("513431").get("/households", **query)
    assert status == 422 and body["code"] == "VALIDATION_ERROR"
    assert body["details"]["errors"][0]["field"] == field


def test_filters_by_division_status_attribute_and_cause(api_as, places):
    api = api_as("513431")
    township = places.village[:9]
    h = places.own
    status, body = api.get(
        "/households",
        division=township,
        status=h.status,
        attribute=h.attribute,
        main_cause=h.main_cause,
        limit=200,
    )
    expected = Household.objects.filter(
        village__code__startswith=township,
        status=h.status,
        attribute=h.attribute,
        main_cause=h.main_cause,
    )
    assert status == 200 and body["count"] == expected.count() >= 1
    assert h.code in [item["code"] for item in body["items"]]


def test_a_division_filter_outside_the_scope_finds_nothing(api_as, places):
    status, body = api_as(places.village[:9]).get("/households", division="110101")
    assert status == 200 and body["count"] == 0


@pytest.mark.parametrize(
    "query", [{"status": "rich"}, {"division": "5134311"}, {"main_cause": "因病"}, {"q": "a\x00b"}]
)
def test_bad_filters_are_422_json(api_as, places, query):
    status, body = api_as("513431").get("/households", **query)
    assert status == 422 and body["code"] == "VALIDATION_ERROR"


def test_search_by_id_number_goes_through_the_id_key(api_as, places):
    member = Member.objects.filter(household=places.own).first()
    assert member is not None
    api = api_as("513431")
    for text in (member.id_number, member.id_number.lower(), f" {member.id_number} "):
        status, body = api.get("/households", q=text)
        assert status == 200
        assert [item["code"] for item in body["items"]] == [places.own.code]


def test_search_by_name_or_household_code(api_as, places):
    head = Member.objects.get(household=places.own, relation="head")
    api = api_as("513431")
    by_name = api.get("/households", q=head.name[:2], limit=200)[1]
    assert places.own.code in [item["code"] for item in by_name["items"]]
    by_code = api.get("/households", q=places.own.code)[1]
    assert [item["code"] for item in by_code["items"]] == [places.own.code]
    assert by_code["items"][0]["head_name"] == head.name
    assert by_code["items"][0]["member_count"] == places.own.members.count()


def test_search_by_an_id_number_of_another_province_finds_nothing(api_as, places):
    member = Member.objects.get(household=places.beijing)
    status, body = api_as("513431").get("/households", q=member.id_number)
    assert status == 200 and body["count"] == 0


# --- one household ----------------------------------------------------------------------------


def test_a_household_file_has_members_conditions_and_latest_income(api_as, places):
    status, body = api_as("513431").get(f"/households/{places.own.code}")
    assert status == 200
    members = list(Member.objects.filter(household=places.own))
    assert len(body["members"]) == len(members)
    assert body["members"][0]["relation"] == "head"
    assert {m["id_number"] for m in body["members"]} == {m.id_number for m in members}
    assert body["village_path"].startswith("四川省 凉山彝族自治州 昭觉县 ")
    income = HouseholdIncome.objects.filter(household=places.own).order_by("-year").first()
    if income is not None:
        latest = body["latest_income"]
        assert latest["year"] == income.year
        assert Decimal(latest["per_capita_net_income"]) == income.per_capita_net_income
        assert Decimal(latest["net_income"]) == income.net_income


def test_members_and_incomes_lists(api_as, places):
    api = api_as("513431")
    status, members = api.get(f"/households/{places.own.code}/members")
    assert status == 200 and members[0]["relation"] == "head"
    status, incomes = api.get(f"/households/{places.own.code}/incomes")
    assert status == 200
    assert [i["year"] for i in incomes] == sorted((i["year"] for i in incomes), reverse=True)


# --- writes -----------------------------------------------------------------------------------


def registration(village: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "village_code": village,
        "code": "API-0001",
        "main_cause": "因病",
        "first_identified_year": 2018,
        "other_causes": ["缺资金"],
        "conditions": {"house_grade": "D级", "water_safe": True},
        "income": {"income_year": 2020, "wage": "8000", "operating_cost": 500},
        "members": [
            {
                "name": "王大",
                "id_number": new_id("1975-05-05", 13),
                "relation": "户主",
                "ethnicity": "汉族",
            },
            {
                "name": "赵二",
                "id_number": new_id("1977-07-07", 24),
                "relation": "配偶",
                "ethnicity": "汉族",
            },
        ],
    }
    return body | changes


def test_register_a_household(api_as, places):
    status, body = api_as(places.village, role=Role.VILLAGE_CADRE).post(
        "/households", registration(places.village)
    )
    assert status == 201, body
    assert body["code"] == "API-0001" and body["main_cause"] == "illness"
    assert [m["sex"] for m in body["members"]] == ["male", "female"]
    assert body["conditions"]["house_grade"] == "D"
    assert Decimal(body["latest_income"]["net_income"]) == Decimal("7500.00")
    assert Decimal(body["latest_income"]["per_capita_net_income"]) == Decimal("3750.00")


def test_register_with_a_bad_id_number_is_400_with_stable_codes(api_as, places):
    body = registration(places.village)
    good = new_id("1977-07-07", 24)
    bad = good[:17] + ("1" if good[17] != "1" else "2")  # wrong check character
    body["members"][1]["id_number"] = bad  # type: ignore[index]
    status, answer = api_as(places.village).post("/households", body)
    assert status == 400
    assert answer["code"] == "HOUSEHOLD_INVALID"
    problem = answer["details"]["errors"][0]
    assert (problem["field"], problem["code"], problem["member"]) == (
        "id_number",
        "ID_BAD_CHECKSUM",
        1,
    )
    assert "校验码" in answer["message"]
    assert not Household.objects.filter(code="API-0001").exists()


def test_register_outside_the_scope_is_refused(api_as, places):
    status, body = api_as(places.sibling.village_id).post(
        "/households", registration(places.village)
    )
    assert (status, body["code"]) == (403, "OUT_OF_SCOPE")
    assert not Household.objects.filter(code="API-0001").exists()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.INSPECTOR, Role.TOWNSHIP_REVIEWER])
def test_roles_that_only_read_cannot_write(api_as, places, role):
    status, body = api_as(places.village, role=role).post(
        "/households", registration(places.village)
    )
    assert (status, body["code"]) == (403, "PERMISSION_DENIED")


def test_add_a_member(api_as, places):
    api = api_as(places.village)
    before = places.own.members.count()
    status, body = api.post(
        f"/households/{places.own.code}/members",
        {
            "name": "新成员",
            "id_number": new_id("2015-03-03", 41),
            "relation": "之孙子",
            "ethnicity": "彝族",
        },
    )
    assert status == 201, body
    assert body["birth_date"] == "2015-03-03" and body["sex"] == "male"
    assert places.own.members.count() == before + 1


def test_add_a_member_with_a_bad_id_number_is_400(api_as, places):
    status, body = api_as(places.village).post(
        f"/households/{places.own.code}/members",
        {"name": "新成员", "id_number": "5.13431E+17", "relation": "之子", "ethnicity": "彝族"},
    )
    assert status == 400 and body["code"] == "MEMBER_INVALID"
    assert body["details"]["errors"][0]["code"] == "ID_EXCEL_NUMBER"


def test_add_a_member_outside_the_scope_looks_missing(api_as, places):
    status, body = api_as(places.village).post(
        f"/households/{places.cousin.code}/members",
        {
            "name": "新成员",
            "id_number": new_id("2015-03-03", 41),
            "relation": "之子",
            "ethnicity": "彝族",
        },
    )
    assert (status, body["code"]) == (404, "HOUSEHOLD_NOT_FOUND")
    assert not Member.objects.filter(name="新成员").exists()


def test_record_a_years_income(api_as, places):
    api = api_as(places.village)
    status, body = api.put(
        f"/households/{places.own.code}/incomes/2021",
        {"household_size": 4, "wage": "12000", "transfer_dibao": 2400, "operating_cost": "1000"},
    )
    assert status == 200, body
    assert Decimal(body["net_income"]) == Decimal("13400.00")
    assert Decimal(body["per_capita_net_income"]) == Decimal("3350.00")
    status, incomes = api.get(f"/households/{places.own.code}/incomes", year=2021)
    assert status == 200 and [i["household_size"] for i in incomes] == [4]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"wage": -1}, 422, "VALIDATION_ERROR"),
        ({"wage": "abc"}, 422, "VALIDATION_ERROR"),
        ({"household_size": 0}, 422, "VALIDATION_ERROR"),
    ],
)
def test_record_bad_income_is_refused_as_json(api_as, places, body, status, code):
    answer = api_as(places.village).put(f"/households/{places.own.code}/incomes/2021", body)
    assert answer[0] == status and answer[1]["code"] == code


def test_record_income_outside_the_scope_looks_missing(api_as, places):
    status, body = api_as(places.village).put(
        f"/households/{places.beijing.code}/incomes/2021", {"wage": 1}
    )
    assert (status, body["code"]) == (404, "HOUSEHOLD_NOT_FOUND")
    assert not HouseholdIncome.objects.filter(household=places.beijing, year=2021).exists()


def test_an_unparsable_body_is_400_json(client, make_user, places):
    from tests.api.conftest import bearer

    response = client.post(
        "/api/v1/households",
        "{not json",
        content_type="application/json",
        headers=bearer(make_user("county", "513431")),
    )
    assert response.status_code == 400 and response.json()["code"] == "BODY_INVALID"
