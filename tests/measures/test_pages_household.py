"""The assistance pages of a household: the 帮扶情况 section of the household page, the form
that records a measure (refused by its rule, or saved), and the phone form of a 帮扶责任人's
visits (their own households only, a date in the future refused)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.measures.models import Cadre, Measure, Pairing, Visit
from fupin.measures.services import cadre_create, measure_record, pairing_assign, visit_record
from fupin.registry.models import Household, Member

COUNTY = "513431"


def _user(name: str, role: Role | None, division: str | None) -> User:
    user = get_user_model().objects.create_user(username=name, password="pw-123456-page")
    if role is not None:
        Profile.objects.create(user=user, role=role, division_id=division)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _aged(member: Member, years: int, on: date) -> None:
    """Make the member exactly ``years`` old on ``on``."""
    birth = on.replace(year=on.year - years, day=min(on.day, 28))
    Member.objects.filter(pk=member.pk).update(birth_date=birth)


@pytest.fixture
def village_cadre(poor_household: Household) -> User:
    return _user("cunganbu", Role.VILLAGE_CADRE, poor_household.village_id)


@pytest.fixture
def cadre_user(cadre: Cadre, pairing: Pairing) -> User:
    """The 帮扶责任人's own sign-in: no role of the registry, only the link to the cadre."""
    user = _user("bangfu", None, None)
    Cadre.objects.filter(pk=cadre.pk).update(user=user)
    return user


def _loan(head: Member, **extra: object) -> dict[str, str]:
    today = timezone.localdate().isoformat()
    return {
        "category": "microcredit",
        "subtype": "microcredit.loan",
        "member": head.id_number,
        "amount": "30000",
        "start": today,
        "status": "in_progress",
        "term_months": "24",
        "purpose": "production",
        "content": "养牛贷款",
        **{k: str(v) for k, v in extra.items()},
    }


# --- the section of the household page --------------------------------------------------------


def test_household_page_shows_the_cadre_the_measures_and_the_visits(
    poor_household: Household, pairing: Pairing, head: Member, village_cadre: User
) -> None:
    measure_record(
        household_code=poor_household.code,
        data={
            "category": "health",
            "subtype": "health.contract",
            "member": head.id_number,
            "amount": "1200",
            "start": "2020-03-01",
            "end": "2020-12-31",
            "status": "done",
        },
        by=None,
    )
    visit_record(
        household_code=poor_household.code,
        cadre=pairing.cadre,
        visit_date=timezone.localdate() - timedelta(days=3),
        content="了解春耕备耕情况",
        next_step="联系农技员上门",
        by=None,
    )
    response = _client(village_cadre).get(
        reverse("web:household_detail", args=[poor_household.code])
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-testid="assistance"' in html and "帮扶情况" in html
    assert "李明" in html and "昭觉县农业农村局" in html and "副局长" in html
    assert "13800000000" in html  # the village cadre may edit the household
    assert "家庭医生签约服务" in html and ">1200<" in html and "已完成" in html
    assert "2020-03-01 – 2020-12-31" in html
    assert head.name in html.split('data-testid="measures"')[1].split("</table>")[0]
    assert "了解春耕备耕情况" in html and "联系农技员上门" in html
    assert reverse("web:measure_new", args=[poor_household.code]) in html
    assert f"{reverse('web:visit_new')}?household={poor_household.code}" in html


def test_household_page_warns_of_no_cadre_and_no_measure(
    poor_household: Household, village_cadre: User
) -> None:
    html = (
        _client(village_cadre)
        .get(reverse("web:household_detail", args=[poor_household.code]))
        .content.decode()
    )

    assert "尚未安排帮扶责任人" in html and "尚未落实帮扶措施" in html
    assert 'data-testid="visit-new-link"' not in html  # no pairing: no visit to record


def test_the_cadre_phone_is_not_shown_to_an_analyst(
    poor_household: Household, pairing: Pairing
) -> None:
    analyst = _user("fenxi", Role.ANALYST, COUNTY)
    response = _client(analyst).get(reverse("web:household_detail", args=[poor_household.code]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "李明" in html
    assert "13800000000" not in html
    assert 'data-testid="measure-new-link"' not in html


# --- recording a measure ----------------------------------------------------------------------


def test_a_loan_to_a_71_year_old_is_refused_with_its_rule_and_stores_nothing(
    poor_household: Household, head: Member, village_cadre: User
) -> None:
    _aged(head, 71, timezone.localdate())
    url = reverse("web:measure_new", args=[poor_household.code])
    before = Measure.objects.count()

    response = _client(village_cadre).post(url, _loan(head))
    html = response.content.decode()

    assert response.status_code == 200
    assert Measure.objects.count() == before
    problems = html.split('data-testid="problems"')[1].split("</div>")[0]
    assert "借款人年龄 71 周岁" in problems and "65 周岁以下" in problems
    # the typed values are kept
    assert 'value="30000"' in html and "养牛贷款" in html
    assert f'<option value="{head.id_number}" selected>' in html


def test_every_problem_of_a_refused_measure_is_listed(
    poor_household: Household, head: Member, village_cadre: User
) -> None:
    _aged(head, 71, timezone.localdate())
    response = _client(village_cadre).post(
        reverse("web:measure_new", args=[poor_household.code]),
        _loan(head, amount="60000", term_months="48", purpose="marriage"),
    )
    problems = response.content.decode().split('data-testid="problems"')[1].split("</div>")[0]

    for words in ("71 周岁", "超过上限", "48 个月", "只能用于生产经营"):
        assert words in problems
    assert not Measure.objects.filter(household=poor_household).exists()


def test_a_measure_is_saved_and_shown_on_the_household_page(
    poor_household: Household, head: Member, village_cadre: User
) -> None:
    _aged(head, 40, timezone.localdate())
    client = _client(village_cadre)
    url = reverse("web:measure_new", args=[poor_household.code])

    response = client.post(url, _loan(head))

    assert response.status_code == 302
    assert response["Location"].endswith("#assistance")
    measure = Measure.objects.get(household=poor_household)
    assert (measure.category, measure.subtype, measure.member_id) == (
        "microcredit",
        "microcredit.loan",
        head.pk,
    )
    assert (measure.term_months, measure.purpose, measure.source) == (24, "production", "manual")
    page = client.get(response["Location"]).content.decode()
    assert "已录入帮扶措施：扶贫小额信贷" in page


def test_loan_fields_are_dropped_for_another_category(
    poor_household: Household, head: Member, village_cadre: User
) -> None:
    data = {
        "category": "education",
        "subtype": "education.grant",
        "start": "2020-09-01",
        "status": "in_progress",
        "term_months": "99",
        "purpose": "marriage",
    }
    response = _client(village_cadre).post(
        reverse("web:measure_new", args=[poor_household.code]), data
    )

    assert response.status_code == 302
    measure = Measure.objects.get(household=poor_household)
    assert (measure.term_months, measure.purpose) == (None, "")


def test_the_form_offers_the_members_and_prefills_the_suggestion(
    poor_household: Household, head: Member, pairing: Pairing, village_cadre: User
) -> None:
    url = reverse("web:measure_new", args=[poor_household.code])
    html = _client(village_cadre).get(url + "?suggestion=health_serious").content.decode()

    assert head.name in html
    assert head.id_number[:6] + "********" + head.id_number[-4:] in html  # masked in the label
    assert '<option value="health" selected>' in html
    assert '<option value="health.serious" selected>' in html
    assert f'<option value="{pairing.cadre_id}" selected>' in html


def test_the_measure_form_of_a_household_outside_the_scope_is_not_found(
    poor_household: Household,
) -> None:
    other = Household.objects.exclude(village_id=poor_household.village_id).first()
    assert other is not None
    user = _user("other-village", Role.VILLAGE_CADRE, other.village_id)

    response = _client(user).get(reverse("web:measure_new", args=[poor_household.code]))

    assert response.status_code == 404


# --- recording a visit ------------------------------------------------------------------------


def test_a_visit_is_saved_by_the_cadre_own_user(
    poor_household: Household, cadre: Cadre, cadre_user: User
) -> None:
    client = _client(cadre_user)
    url = reverse("web:visit_new")
    page = client.get(url)
    assert page.status_code == 200
    pairing = Pairing.objects.get(household=poor_household, cadre=cadre)
    assert f'value="{pairing.pk}"' in page.content.decode()

    response = client.post(
        url,
        {
            "pairing": str(pairing.pk),
            "date": timezone.localdate().isoformat(),
            "content": "讲解小额信贷政策",
            "next_step": "下周陪同去信用社",
            "minutes": "40",
            "latitude": "28.012345",
            "longitude": "102.845678",
        },
    )

    assert response.status_code == 302 and response["Location"] == url
    visit = Visit.objects.get(household=poor_household)
    assert (visit.cadre_id, visit.content, visit.minutes) == (cadre.pk, "讲解小额信贷政策", 40)
    assert (str(visit.latitude), str(visit.longitude)) == ("28.012345", "102.845678")
    assert "data-geo-ask" in page.content.decode()  # the button that attaches the location
    after = client.get(url).content.decode()
    assert "已保存" in after and poor_household.code in after.split('role="status"')[1][:300]


def test_a_visit_in_the_future_is_refused(
    poor_household: Household, pairing: Pairing, cadre_user: User
) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = _client(cadre_user).post(
        reverse("web:visit_new"),
        {"pairing": str(pairing.pk), "date": tomorrow, "content": "走访"},
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert f"走访日期 {tomorrow} 晚于今天" in html
    assert f'value="{tomorrow}"' in html and "走访" in html
    assert not Visit.objects.exists()


def test_the_cadre_user_sees_only_their_own_households(
    poor_household: Household, pairing: Pairing, cadre_user: User
) -> None:
    other_household = (
        Household.objects.filter(status="poor").exclude(pk=poor_household.pk).order_by("code")
    ).first()
    assert other_household is not None
    someone = cadre_create(county_code=COUNTY, name="王芳", unit="昭觉县教育局", by=None)
    theirs = pairing_assign(
        household_code=other_household.code, cadre=someone, start=date(2020, 1, 1), by=None
    ).pairing
    client = _client(cadre_user)

    html = client.get(reverse("web:visit_new")).content.decode()
    picks = html.split('data-testid="picks"')[1].split("</fieldset>")[0]

    assert poor_household.code in picks
    assert other_household.code not in picks
    assert picks.count('type="radio"') == 1
    # Nor can another cadre's household be posted by hand.
    response = client.post(
        reverse("web:visit_new"),
        {"pairing": str(theirs.pk), "date": timezone.localdate().isoformat(), "content": "x"},
    )
    assert response.status_code == 200
    assert not Visit.objects.exists()


def test_a_village_cadre_records_a_visit_for_a_paired_cadre(
    poor_household: Household, pairing: Pairing, village_cadre: User
) -> None:
    client = _client(village_cadre)
    url = reverse("web:visit_new")
    html = client.get(f"{url}?household={poor_household.code}").content.decode()
    assert f'<option value="{pairing.pk}" selected>' in html
    assert "李明" in html  # the cadre is chosen with the household

    response = client.post(
        url,
        {"pairing": str(pairing.pk), "date": "2021-05-04", "content": "代录：入户核实收入"},
    )

    assert response.status_code == 302
    assert Visit.objects.get().date == date(2021, 5, 4)


def test_the_visit_form_is_refused_to_a_user_without_a_cadre_or_the_editing_right(
    registry: object,
) -> None:
    analyst = _user("fenxi2", Role.ANALYST, COUNTY)

    assert _client(analyst).get(reverse("web:visit_new")).status_code == 403


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def test_a_visit_keeps_its_photo_and_refuses_a_file_that_is_not_one(
    poor_household: Household, pairing: Pairing, cadre_user: User
) -> None:
    client = _client(cadre_user)
    url = reverse("web:visit_new")
    today = timezone.localdate().isoformat()
    text = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")

    refused = client.post(
        url, {"pairing": str(pairing.pk), "date": today, "content": "走访", "photo": text}
    )
    assert refused.status_code == 200 and "只能上传照片" in refused.content.decode()
    assert not Visit.objects.exists()

    photo = SimpleUploadedFile("door.png", PNG, content_type="image/png")
    saved = client.post(
        url, {"pairing": str(pairing.pk), "date": today, "content": "走访", "photo": photo}
    )
    assert saved.status_code == 302
    visit = Visit.objects.get()
    assert visit.photo.name.startswith("visits/") and visit.photo.name.endswith(".png")
    assert visit.photo.read() == PNG
