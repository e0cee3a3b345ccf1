"""DCI sync search: by identifier and by predicate, scoped to the token user's division,
audited, and every message valid against the DCI specification (checked in the client)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fupin.common.models import AuditEvent
from fupin.registry.models import Household, HouseholdIncome, Member
from tests.api.conftest import beijing_household
from tests.dci.conftest import search_body, search_item

PATH = "/registry/sync/search"


@pytest.fixture
def household(registry: object) -> Household:
    h = Household.objects.order_by("code").first()
    assert h is not None
    return h


def records(answer: dict, i: int = 0) -> list[dict]:
    return answer["message"]["search_response"][i]["data"]["reg_records"]


def test_search_by_member_id_number_returns_the_household_as_a_group(dci_as, household):
    member = Member.objects.filter(household=household).order_by("-pk").first()
    status, answer = dci_as().post(
        PATH, search_body(search_item("idtype-value", {"type": "UIN", "value": member.id_number}))
    )
    assert status == 200
    assert answer["header"]["action"] == "on-search"
    assert answer["header"]["status"] == "succ"
    item = answer["message"]["search_response"][0]
    assert item["status"] == "succ"
    [group] = records(answer)
    assert group["group_identifier"][0] == {
        "@type": "Identifier",
        "identifier_type": "HouseholdID",
        "identifier_value": household.code,
    }
    members = Member.objects.filter(household=household)
    assert group["group_size"] == members.count()
    ids = {m["member_identifier"][0]["identifier_value"] for m in group["member_list"]}
    assert ids == {m.id_number for m in members}
    head = members.get(relation="head")
    info = group["group_head_info"]["demographic_info"]
    assert info["name"]["full_name"] == head.name
    assert info["sex"] == head.sex
    assert info["birth_date"] == head.birth_date.isoformat()
    assert group["group_head_info"]["relationship_head"] == "head"
    assert item["pagination"] == {"page_size": 100, "page_number": 1, "total_count": 1}


def test_search_by_household_code(dci_as, household):
    _, answer = dci_as().post(
        PATH,
        search_body(search_item("idtype-value", {"type": "HouseholdID", "value": household.code})),
    )
    assert [g["group_identifier"][0]["identifier_value"] for g in records(answer)] == [
        household.code
    ]


def test_unknown_or_invalid_id_number_finds_nothing(dci_as, registry):
    _, answer = dci_as().post(
        PATH, search_body(search_item("idtype-value", {"type": "UIN", "value": "847951632"}))
    )
    item = answer["message"]["search_response"][0]
    assert item["status"] == "succ"
    assert item["data"]["reg_records"] == []
    assert item["pagination"]["total_count"] == 0


def test_predicate_search_by_village_and_status_with_pages(dci_as, household):
    township = household.village_id[:9]
    expected = list(
        Household.objects.filter(village__code__startswith=township, status="poor")
        .order_by("code")
        .values_list("code", flat=True)
    )
    assert len(expected) >= 3
    query = [
        {
            "seq_num": 1,
            "expression1": {
                "attribute_name": "division_code",
                "operator": "eq",
                "attribute_value": township,
            },
            "condition": "and",
            "expression2": {
                "attribute_name": "poverty_status",
                "operator": "eq",
                "attribute_value": "poor",
            },
        }
    ]
    dci = dci_as()
    _, first = dci.post(
        PATH,
        search_body(search_item("predicate", query, pagination={"page_size": 2, "page_number": 1})),
    )
    _, second = dci.post(
        PATH,
        search_body(search_item("predicate", query, pagination={"page_size": 2, "page_number": 2})),
    )
    codes = [g["group_identifier"][0]["identifier_value"] for g in records(first) + records(second)]
    assert codes == expected[:4]
    assert first["message"]["search_response"][0]["pagination"]["total_count"] == len(expected)


def test_predicate_search_by_per_capita_income_below_a_line(dci_as, household):
    HouseholdIncome.objects.filter(household=household).delete()
    HouseholdIncome.objects.create(
        household=household,
        year=2016,
        period_start="2016-01-01",
        period_end="2016-12-31",
        household_size=2,
        wage=Decimal("1000"),
    )
    query = [
        {
            "seq_num": 1,
            "expression1": {
                "attribute_name": "HouseholdID",
                "operator": "eq",
                "attribute_value": household.code,
            },
            "condition": "and",
            "expression2": {
                "attribute_name": "per_capita_net_income",
                "operator": "lt",
                # Text: the specification's oneOf (string | integer | number …) refuses a
                # JSON integer, which is both an integer and a number.
                "attribute_value": "600",
            },
        }
    ]
    dci = dci_as()
    _, below = dci.post(PATH, search_body(search_item("predicate", query)))
    query[0]["expression2"]["attribute_value"] = "400"
    _, above = dci.post(PATH, search_body(search_item("predicate", query)))
    assert len(records(below)) == 1 and records(above) == []
    attrs = {a["name"]: a["value"] for a in records(below)[0]["additional_attributes"]}
    assert attrs["per_capita_net_income"] == "500.00"


def test_expression_form_with_group_size(dci_as, household):
    size = Member.objects.filter(household=household).count()
    query = {
        "type": "ns:org:QueryType:NoSql",
        "value": {
            "expression": {
                "collection": "Group",
                "query": {
                    "$and": [
                        {"HouseholdID": {"$eq": household.code}},
                        {"group_size": {"$gte": size}},
                    ]
                },
            }
        },
    }
    _, answer = dci_as().post(PATH, search_body(search_item("expression", query)))
    assert len(records(answer)) == 1


def test_unknown_attribute_is_rejected_per_request_with_the_allowed_list(dci_as, registry):
    query = [
        {
            "expression1": {
                "attribute_name": "bank_account",
                "operator": "eq",
                "attribute_value": "1",
            }
        }
    ]
    good = search_item("idtype-value", {"type": "HouseholdID", "value": "nobody"})
    status, answer = dci_as().post(PATH, search_body(search_item("predicate", query), good))
    assert status == 200
    bad, ok = answer["message"]["search_response"]
    assert bad["status"] == "rjct"
    assert bad["status_reason_code"] == "rjct.search_criteria.invalid"
    assert "per_capita_net_income" in bad["status_reason_message"]
    assert ok["status"] == "succ"


@pytest.mark.parametrize(
    ("criteria", "reason"),
    [
        ({"sort": [{"attribute_name": "phone", "sort_order": "asc"}]}, "rjct.sort.invalid"),
        ({"pagination": {"page_size": 5000, "page_number": 1}}, "rjct.pagination.invalid"),
        ({"pagination": {"page_size": 10, "page_number": 0}}, "rjct.pagination.invalid"),
    ],
)
def test_bad_sort_or_pagination_has_its_reason_code(dci_as, registry, criteria, reason):
    item = search_item("idtype-value", {"type": "HouseholdID", "value": "x"}, **criteria)
    _, answer = dci_as().post(PATH, search_body(item))
    assert answer["message"]["search_response"][0]["status_reason_code"] == reason


def test_sort_by_group_size_descending(dci_as, household):
    query = [
        {
            "expression1": {
                "attribute_name": "division_code",
                "operator": "eq",
                "attribute_value": household.village_id[:9],
            }
        }
    ]
    item = search_item(
        "predicate", query, sort=[{"attribute_name": "group_size", "sort_order": "desc"}]
    )
    _, answer = dci_as().post(PATH, search_body(item))
    sizes = [g["group_size"] for g in records(answer)]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) > 1


# -- access and scope --------------------------------------------------------------------


def test_a_department_of_another_province_sees_nothing_of_this_county(dci_as, household):
    beijing = beijing_household()
    member = Member.objects.filter(household=household).first()
    dci = dci_as("11")  # 北京市
    _, mine = dci.post(
        PATH, search_body(search_item("idtype-value", {"type": "UIN", "value": member.id_number}))
    )
    assert records(mine) == []
    _, theirs = dci.post(
        PATH,
        search_body(search_item("idtype-value", {"type": "HouseholdID", "value": beijing.code})),
    )
    assert len(records(theirs)) == 1


def test_a_province_provider_sees_its_province(dci_as, household):
    _, answer = dci_as("51").post(
        PATH,
        search_body(search_item("idtype-value", {"type": "HouseholdID", "value": household.code})),
    )
    assert len(records(answer)) == 1


def test_without_token_401_and_wrong_role_or_no_division_403(dci_as, client, registry):
    from tests.dci.conftest import Dci

    body = search_body(search_item("idtype-value", {"type": "HouseholdID", "value": "x"}))
    assert Dci(client, None).post(PATH, body)[0] == 401
    assert Dci(client, "fupin_not-a-token").post(PATH, body)[0] == 401
    status, answer = dci_as(role="village_cadre").post(PATH, body)
    assert status == 403 and answer["errors"][0]["code"] == "err.request.forbidden"
    status, _ = dci_as(None).post(PATH, body)
    assert status == 403


def test_every_search_is_audited_without_personal_data(dci_as, household):
    member = Member.objects.filter(household=household).first()
    dci_as().post(
        PATH,
        search_body(
            search_item("idtype-value", {"type": "UIN", "value": member.id_number}),
            transaction_id="T-AUDIT-1",
        ),
    )
    event = AuditEvent.objects.get(action="dci.search")
    assert event.by is not None and event.by.username.startswith("dept-")
    assert event.obj_key == "T-AUDIT-1"
    assert event.after["records"] == 1 and event.after["mode"] == "sync"
    stored = str(event.after) + event.note
    assert member.id_number not in stored and member.name not in stored
