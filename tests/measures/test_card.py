"""The 明白卡: one household's assistance on an A4 PDF, private, and free of what must never be
printed (full ID numbers, the bank account, the household's phone)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.template.loader import render_to_string
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import translation

from fupin.accounts.models import Profile, Role
from fupin.measures.card import card_context, card_pdf, scrub
from fupin.measures.models import Cadre, Pairing
from fupin.measures.services import measure_record, plan_save, visit_record
from fupin.registry.models import Household, Member
from tests.notices.leaks import find_leaks, pdf_text

COUNTY = "513431"
YEAR = 2016
PASSWORD = "pw-card-123456"
SHOTS = Path("/tmp/shots-d")

#: A bank card number that passes the Luhn check and a household phone, set on the household.
BANK = "6228480402564890018"
HOUSE_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """Direct calls render in Chinese whatever a previous request left active."""
    with translation.override("zh-hans"):
        yield


def make_user(name: str, role: Role, division: str | None) -> AbstractUser:
    user = get_user_model().objects.create_user(username=name, password=PASSWORD)
    Profile.objects.create(user=user, role=role, division_id=division)
    return user


@pytest.fixture
def assisted(poor_household: Household, pairing: Pairing, cadre: Cadre, head: Member) -> Household:
    """The poor household with a bank account and phone on file, a plan, two measures (one
    whose content a cadre typed with the head's ID number in it) and a visit."""
    Household.objects.filter(pk=poor_household.pk).update(
        bank_name="农村信用社", bank_account=BANK, phone=HOUSE_PHONE
    )
    plan_save(
        household_code=poor_household.code,
        year=YEAR,
        items=[{"category": "industry", "subtype": "industry.breeding", "amount": "3000"}],
        by=None,
    )
    measure_record(
        household_code=poor_household.code,
        data={
            "category": "health",
            "subtype": "health.contract",
            "start": "2020-02-01",
            "content": f"家庭医生签约（户主 {head.id_number}）",
        },
        by=None,
    )
    measure_record(
        household_code=poor_household.code,
        data={
            "category": "industry",
            "subtype": "industry.breeding",
            "amount": "2000",
            "start": "2020-03-01",
            "content": "养殖两头牛",
        },
        by=None,
    )
    visit_record(
        household_code=poor_household.code,
        cadre=cadre,
        visit_date=date(2020, 4, 2),
        content="了解养牛情况",
        next_step="联系兽医打疫苗",
        by=None,
    )
    poor_household.refresh_from_db()
    return poor_household


def test_the_card_prints_the_head_the_cadre_and_the_measures(
    assisted: Household, cadre: Cadre, head: Member
) -> None:
    data = card_pdf(assisted, YEAR)
    text = pdf_text(data)

    assert data.startswith(b"%PDF")
    assert head.name in text
    assert cadre.name in text and cadre.unit in text and cadre.phone in text
    assert "健康扶贫" in text and "产业扶贫" in text and "养殖两头牛" in text
    assert "帮扶责任人" in text and "还差什么才能脱贫" in text
    assert "联系兽医打疫苗" in text


def test_the_card_fits_on_one_a4_page_with_its_cjk_font_embedded(assisted: Household) -> None:
    data = card_pdf(assisted, YEAR)
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    lines = dict(line.split(":", 1) for line in info.stdout.decode().splitlines() if ":" in line)
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True)
    rows = [line.split() for line in fonts.stdout.decode().splitlines()[2:]]

    assert lines["Pages"].strip() == "1"
    assert "595.276 x 841.89" in lines["Page size"]  # A4 portrait in points
    assert rows and all(row[-5] == "yes" for row in rows)  # every font embedded
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "card.pdf").write_bytes(data)


def test_the_card_prints_no_full_id_number_no_bank_account_no_household_phone(
    assisted: Household, cadre: Cadre
) -> None:
    text = pdf_text(card_pdf(assisted, YEAR))
    flat = "".join(text.split())
    numbers = list(Member.objects.filter(household=assisted).values_list("id_number", flat=True))

    assert numbers and not [n for n in numbers if n in flat]
    assert BANK not in flat and HOUSE_PHONE not in flat
    # The leak scanner of the notices finds no ID number or bank card; the only phone is the
    # cadre's (the household's contact, printed on purpose). Health labels are the
    # household's own facts on its own card.
    leaks = find_leaks(text, where="card")
    assert [x for x in leaks if x.kind in ("id_number", "bank_card")] == []
    assert {x.text for x in leaks if x.kind == "phone"} == {cadre.phone}
    # The members are there, with their ID numbers masked.
    assert all(f"{n[:6]}********{n[-4:]}" in flat for n in numbers)


def test_the_card_context_says_what_stands_between_the_household_and_exit(
    poor_household: Household,
) -> None:
    card = card_context(poor_household, YEAR)

    assert card.meets_standard is False or card.blockers  # a poor household: something to do
    assert "尚未安排帮扶责任人" in card.blockers and "尚未落实帮扶措施" in card.blockers
    assert [c for c in card.checks if not c.passed]
    assert not card.cadres


def test_free_text_loses_its_long_numbers() -> None:
    assert scrub("户主 513431199001011234 电话 139 1234 5678") == (
        "户主 ****************** 电话 *************"
    )
    assert scrub("养殖 2 头牛，补助 3000 元") == "养殖 2 头牛，补助 3000 元"


# -- the URL -----------------------------------------------------------------------------------


def test_the_url_serves_the_pdf_in_scope_privately(
    client: Client, assisted: Household, cadre: Cadre
) -> None:
    client.force_login(make_user("village", Role.VILLAGE_CADRE, assisted.village_id))
    response = client.get(reverse("web:household_card", args=[assisted.code]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert cadre.name in pdf_text(response.content)
    assert client.get(f"/households/{assisted.code}/card.pdf?year=abc").status_code == 404


def test_the_url_answers_404_outside_the_scope_and_refuses_anonymous_users(
    client: Client, assisted: Household
) -> None:
    url = reverse("web:household_card", args=[assisted.code])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    other = (
        Household.objects.exclude(village_id=assisted.village_id)
        .values_list("village_id", flat=True)
        .first()
    )
    assert other is not None
    client.force_login(make_user("elsewhere", Role.VILLAGE_CADRE, other))
    assert client.get(url).status_code == 404
    assert client.get(reverse("web:household_card", args=["NO-SUCH"])).status_code == 404


def test_the_household_page_links_to_the_card(client: Client, assisted: Household) -> None:
    client.force_login(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    page = client.get(reverse("web:household_detail", args=[assisted.code])).content.decode()
    assert f'href="/households/{assisted.code}/card.pdf"' in page


def test_no_public_notices_url_leads_to_the_card(client: Client, assisted: Household) -> None:
    """The card lives only under the signed-in pages: no public (notices:) route resolves to
    it, and the public notice pages never link to it."""
    resolver = get_resolver()
    public = resolver.namespace_dict["notices"][1]
    names = {p.name for p in public.url_patterns}
    assert "household_card" not in names
    assert all(getattr(p.callback, "__name__", "") != "household_card" for p in public.url_patterns)
    assert client.get("/notices/").status_code == 200
    assert "card.pdf" not in client.get("/notices/").content.decode()
    assert client.get(f"/notices/households/{assisted.code}/card.pdf").status_code == 404


def test_the_card_follows_the_language_of_the_request(client: Client, assisted: Household) -> None:
    client.force_login(make_user("county-en", Role.COUNTY_OFFICE, COUNTY))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(f"/households/{assisted.code}/card.pdf")
    with translation.override("en"):
        html = render_to_string(
            "measures/card.html", {"card": card_context(assisted, YEAR), "fonts": "serif"}
        )
        heading = translation.gettext("扶贫明白卡")

    assert response.status_code == 200 and '<html lang="en">' in html
    assert heading != "扶贫明白卡"  # the catalogue translates the card's heading
    text = pdf_text(response.content)
    assert heading in text and "扶贫明白卡" not in text
