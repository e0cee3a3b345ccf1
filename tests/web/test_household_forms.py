"""The cadre's forms: register a household, add a member, record income, update conditions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from fupin.accounts.models import Role
from fupin.common.models import AuditEvent
from fupin.divisions.models import Division
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.registry.services import HouseholdData, MemberData, household_register
from tests.registry.flatfiles import make_id

SignIn = Callable[[AbstractUser], Client]


def villages() -> list[str]:
    return list(
        Division.objects.filter(code__startswith="513431", level=5, name__endswith="村民委员会")
        .order_by("code")
        .values_list("code", flat=True)
    )


@pytest.fixture
def village(divisions: None) -> str:
    return villages()[0]


@pytest.fixture
def cadre(village: str, make_user: Callable[..., AbstractUser]) -> AbstractUser:
    return make_user("cadre", Role.VILLAGE_CADRE, village)


HEAD_ID = make_id("1970-03-04", 11)
WIFE_ID = make_id("1972-05-06", 22)
CHILD_ID = make_id("2008-09-10", 31)


def member(index: int, **values: str) -> dict[str, str]:
    base = {
        "health": "healthy",
        "school_status": "not_in_school",
        "migrant_work": "none",
        "basic_medical": "on",
        "ethnicity": "07",
    }
    return {f"m-{index}-{k}": v for k, v in {**base, **values}.items()}


def registration(village: str, *, head_id: str = HEAD_ID, **extra: str) -> dict[str, Any]:
    return {
        "village": village,
        "code": "",
        "attribute": "general",
        "standard": "national",
        "main_cause": "illness",
        "first_identified_year": "2016",
        "m-TOTAL_FORMS": "3",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "1",
        "m-MAX_NUM_FORMS": "1000",
        **member(
            0, name="吉克阿依", id_number=head_id, relation="head", labour_capacity="ordinary"
        ),
        **member(
            1, name="阿苏么", id_number=WIFE_ID, relation="spouse", labour_capacity="ordinary"
        ),
        **member(2, name="吉克小明", id_number=CHILD_ID, relation="son", school_status="junior"),
        "c-house_grade": "safe",
        "c-food_secure": "true",
        "c-clothing_secure": "true",
        "c-water_safe": "true",
        "i-year": "2016",
        "i-wage": "12000",
        "i-operating_income": "3000",
        "i-operating_cost": "500",
        **extra,
    }


def test_registration_form_preselects_the_cadres_village_and_explains_terms(
    signed_in: SignIn, cadre: AbstractUser, village: str
) -> None:
    html = signed_in(cadre).get("/households/new/").content.decode()

    assert f'value="{village}" selected' in html
    assert villages()[1] not in html  # only the cadre's own village
    for term in ("贫困户属性", "识别标准", "致贫原因", "两不愁三保障", "危房等级"):
        assert term in html
    assert "特困供养贫困户无劳动能力" in html and "C级是局部危险" in html
    assert 'hx-get="/id/check/"' in html
    assert 'id="member-template"' in html and 'name="add_member"' in html


def test_registering_a_household_with_three_members_shows_its_assessment(
    signed_in: SignIn, cadre: AbstractUser, village: str
) -> None:
    client = signed_in(cadre)

    response = client.post("/households/new/", registration(village))

    assert response.status_code == 302
    household = Household.objects.get()
    assert response["Location"] == f"/households/{household.code}/"
    assert household.code == f"{village}-000001"
    assert household.village_id == village and household.main_cause == "illness"
    names = set(household.members.values_list("name", "relation"))
    assert names == {("吉克阿依", "head"), ("阿苏么", "spouse"), ("吉克小明", "son")}
    assert LivingConditions.objects.get(household=household).food_secure is True
    assert HouseholdIncome.objects.get(household=household).net_income == 14500
    html = client.get(response["Location"]).content.decode()
    assert "已登记户" in html
    assert "脱贫标准评估" in html and "收入超过扶贫标准" in html
    assert "登记新户" in html.split('data-testid="history"', 1)[1]
    event = AuditEvent.objects.get(action="household.register")
    assert event.by_id == cadre.pk and event.division == village


def test_bad_id_number_is_shown_next_to_its_field_and_nothing_is_stored(
    signed_in: SignIn, cadre: AbstractUser, village: str
) -> None:
    bad = HEAD_ID[:17] + ("0" if HEAD_ID[17] != "0" else "1")

    response = signed_in(cadre).post("/households/new/", registration(village, head_id=bad))

    html = response.content.decode()
    assert response.status_code == 200
    assert "未登记" in html
    field = html.split('name="m-0-id_number"', 1)[1].split("</fieldset>", 1)[0]
    assert "校验码错误" in field
    assert f'value="{bad}"' in html  # the input is kept
    assert 'value="吉克阿依"' in html
    assert not Household.objects.exists() and not Member.objects.exists()
    assert not AuditEvent.objects.exists()


def test_service_refusal_lands_next_to_the_member_field(
    signed_in: SignIn, cadre: AbstractUser, village: str
) -> None:
    # Two heads: a rule of the import, reported by the service with the member's index.
    data = registration(village, **{"m-1-relation": "head"})

    html = signed_in(cadre).post("/households/new/", data).content.decode()

    second = html.split('name="m-1-name"', 1)[1].split("</fieldset>", 1)[0]
    assert "户主" in second and "field-error" in second
    assert not Household.objects.exists()


def test_required_fields_are_asked_for_in_chinese(
    signed_in: SignIn, cadre: AbstractUser, village: str
) -> None:
    data = registration(village, main_cause="", **{"m-0-name": ""})

    html = signed_in(cadre).post("/households/new/", data).content.decode()

    assert "这个字段是必填项" in html or "必填" in html
    assert not Household.objects.exists()


def test_cadre_cannot_register_into_another_village(signed_in: SignIn, cadre: AbstractUser) -> None:
    other = villages()[1]

    response = signed_in(cadre).post("/households/new/", registration(other))

    assert response.status_code == 200
    assert not Household.objects.exists()


def test_add_member_without_javascript_posts_back_one_more_row(
    signed_in: SignIn, cadre: AbstractUser, village: str
) -> None:
    data = registration(village, add_member="1")

    html = signed_in(cadre).post("/households/new/", data).content.decode()

    assert 'name="m-3-name"' in html and 'name="m-TOTAL_FORMS" value="4"' in html
    assert "field-error" not in html
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HEAD_ID, ["号码有效", "1970-03-04", "男"]),
        (WIFE_ID, ["号码有效", "1972-05-06", "女"]),
        (HEAD_ID[:17] + ("0" if HEAD_ID[17] != "0" else "1"), ["校验码错误"]),
        ("51343119700304", ["应为18位", "14"]),
        ("5.13431E+17", ["Excel"]),
    ],
)
def test_id_check_answers_the_verdict_in_chinese(
    signed_in: SignIn, cadre: AbstractUser, value: str, expected: list[str]
) -> None:
    html = signed_in(cadre).get("/id/check/", {"m-0-id_number": value}).content.decode()

    for text in expected:
        assert text in html


def test_id_check_of_nothing_says_nothing(signed_in: SignIn, cadre: AbstractUser) -> None:
    html = signed_in(cadre).get("/id/check/", {"id": ""}).content.decode()

    assert "id-verdict" not in html and "birth-date" in html


def test_id_check_fills_derived_fields_read_only(signed_in: SignIn, cadre: AbstractUser) -> None:
    html = signed_in(cadre).get("/id/check/", {"id": HEAD_ID}).content.decode()

    assert 'readonly tabindex="-1" value="1970-03-04"' in html


@pytest.fixture
def household(cadre: AbstractUser, village: str) -> Household:
    return household_register(
        village_code=village,
        data=HouseholdData(
            code="H-1",
            main_cause="因病",
            first_identified_year=2016,
            conditions={"house_grade": "D级"},
            income={"income_year": 2016, "wage": 2000},
        ),
        members=[MemberData(name="吉克", id_number=HEAD_ID, relation="户主", ethnicity="彝族")],
    )


def test_member_add_form_adds_the_member_and_records_it(
    signed_in: SignIn, cadre: AbstractUser, household: Household
) -> None:
    data = {
        "m-name": "阿苏",
        "m-id_number": WIFE_ID,
        "m-relation": "spouse",
        "m-ethnicity": "07",
        "m-health": "healthy",
        "m-school_status": "not_in_school",
        "m-migrant_work": "none",
    }

    response = signed_in(cadre).post("/households/H-1/members/new/", data)

    assert response.status_code == 302
    assert household.members.filter(name="阿苏", sex="female").exists()
    assert AuditEvent.objects.filter(action="member.add", by_id=cadre.pk).exists()


def test_member_add_refuses_a_duplicate_id_next_to_the_field(
    signed_in: SignIn, cadre: AbstractUser, household: Household
) -> None:
    data = {"m-name": "重复", "m-id_number": HEAD_ID, "m-relation": "son", "m-ethnicity": "07"}

    html = signed_in(cadre).post("/households/H-1/members/new/", data).content.decode()

    field = html.split('name="m-id_number"', 1)[1].split("</div>", 1)[0]
    assert "H-1" in field and "field-error" in field
    assert household.members.count() == 1


def test_income_form_prefills_the_latest_year_and_replaces_it(
    signed_in: SignIn, cadre: AbstractUser, household: Household
) -> None:
    client = signed_in(cadre)
    form = client.get("/households/H-1/income/").content.decode()
    assert 'name="i-year" value="2016"' in form and 'name="i-wage" value="2000' in form

    response = client.post(
        "/households/H-1/income/", {"i-year": "2016", "i-wage": "5000", "i-transfer_dibao": "800"}
    )

    assert response.status_code == 302
    income = HouseholdIncome.objects.get(household=household, year=2016)
    assert income.net_income == 5800
    event = AuditEvent.objects.filter(action="income.record").latest("pk")
    assert (event.before, event.after) == (
        {"year": 2016, "wage": "2000.00", "transfer_dibao": "0.00"},
        {"year": 2016, "wage": "5000.00", "transfer_dibao": "800.00"},
    )
    html = client.get("/households/H-1/").content.decode()
    assert "录入年度收支" in html and "<del>2000.00</del> → 5000.00" in html


def test_income_form_refuses_negative_amounts(
    signed_in: SignIn, cadre: AbstractUser, household: Household
) -> None:
    html = (
        signed_in(cadre)
        .post("/households/H-1/income/", {"i-year": "2016", "i-wage": "-5"})
        .content.decode()
    )

    assert "未保存" in html and "field-error" in html
    assert HouseholdIncome.objects.get(household=household).wage == 2000


def test_conditions_form_saves_only_what_changed(
    signed_in: SignIn, cadre: AbstractUser, household: Household
) -> None:
    client = signed_in(cadre)
    form = client.get("/households/H-1/conditions/").content.decode()
    assert '<option value="D" selected>' in form

    response = client.post(
        "/households/H-1/conditions/",
        {"c-house_grade": "safe", "c-water_safe": "true", "c-food_secure": "unknown"},
    )

    assert response.status_code == 302
    conditions = LivingConditions.objects.get(household=household)
    assert (conditions.house_grade, conditions.water_safe) == ("safe", True)
    event = AuditEvent.objects.get(action="conditions.update")
    assert (event.before, event.after) == (
        {"house_grade": "D", "water_safe": None},
        {"house_grade": "safe", "water_safe": True},
    )


def test_forms_need_the_edit_right_and_the_household_in_scope(
    signed_in: SignIn,
    household: Household,
    make_user: Callable[..., AbstractUser],
) -> None:
    township = make_user("township", Role.TOWNSHIP_REVIEWER, household.village_id[:9])
    other_cadre = make_user("other", Role.VILLAGE_CADRE, villages()[1])

    reviewer = signed_in(township)
    for path in ("/households/new/", "/households/H-1/income/", "/id/check/?id=1"):
        assert reviewer.get(path).status_code == 403
    outsider = signed_in(other_cadre)
    for path in (
        "/households/H-1/",
        "/households/H-1/members/new/",
        "/households/H-1/income/",
        "/households/H-1/conditions/",
    ):
        assert outsider.get(path).status_code == 404
    assert outsider.post("/households/H-1/income/", {"i-year": "2016"}).status_code == 404
