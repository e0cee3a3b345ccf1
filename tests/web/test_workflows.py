"""The procedures' pages: the case list in scope, a case's timeline and forms, opening a case
from a household, bulk steps with a confirmation; rights are the services' and shown in
Chinese."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.assessment.services import assessment_run
from fupin.common.models import AuditEvent
from fupin.notices.models import Notice
from fupin.registry.models import Household
from fupin.workflows.models import Case
from fupin.workflows.services import case_advance, case_open
from tests.conftest import COUNTY, YEAR
from tests.workflows.conftest import village_ready_to_exit

MEETING = {
    "meeting_date": "2016-11-01",
    "attendance": "31",
    "votes_for": "27",
    "votes_against": "2",
}


@dataclass
class People:
    village: str
    cadre: User
    cadre_2: User
    township: User
    county: User
    county_2: User
    other_township: User
    analyst: User
    provider: User


def _user(username: str, role: Role, division: str | None) -> User:
    user = get_user_model().objects.create_user(username=username, password="x-123456789")
    Profile.objects.create(user=user, role=role, division_id=division)
    return user


@pytest.fixture(autouse=True)
def media(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]


@pytest.fixture
def people(registry: object) -> People:
    assessment_run(division_code=COUNTY, year=YEAR)
    village, other = village_ready_to_exit()
    return People(
        village=village,
        cadre=_user("cun", Role.VILLAGE_CADRE, village),
        cadre_2=_user("cun2", Role.VILLAGE_CADRE, village),
        township=_user("xiang", Role.TOWNSHIP_REVIEWER, village[:9]),
        county=_user("xian", Role.COUNTY_OFFICE, COUNTY),
        county_2=_user("xian2", Role.COUNTY_OFFICE, COUNTY),
        other_township=_user("xiang2", Role.TOWNSHIP_REVIEWER, other[:9]),
        analyst=_user("fenxi", Role.ANALYST, COUNTY),
        provider=_user("bumen", Role.DEPARTMENT_PROVIDER, None),
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def elapse(case: Case) -> None:
    """Let the case's public notice run its period."""
    Case.objects.filter(pk=case.pk).update(notice_until=timezone.now() - timedelta(seconds=1))


def ready_household(village: str) -> Household:
    household = Household.objects.filter(
        village_id=village, status="poor", assessments__year=YEAR, assessments__meets_standard=True
    ).first()
    assert household is not None
    return household


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


def act(client: Client, case: Case, step: str, **data: object) -> list[str]:
    response = client.post(
        reverse("web:case_act", args=[case.pk]), {"step": step, **data}, follow=True
    )
    assert response.status_code == 200
    return messages_of(response)


# -- the list ---------------------------------------------------------------------------------


def test_the_list_counts_cases_by_state_and_shows_only_the_users_subtree(people: People) -> None:
    household = ready_household(people.village)
    case_open(household=household, procedure="exit", by=people.county, year=YEAR)

    page = client_for(people.township).get(reverse("web:workflow_home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "已提出退出" in html and household.code in html
    assert page.context["summary"][1]["total"] == 1  # exit

    elsewhere = client_for(people.other_township).get(reverse("web:workflow_home"))
    assert household.code not in elsewhere.content.decode()


def test_the_list_filters_by_procedure_state_and_village(people: People) -> None:
    household = ready_household(people.village)
    case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    url = reverse("web:workflow_home")
    client = client_for(people.county)

    assert (
        household.code
        in client.get(url, {"procedure": "exit", "state": "proposed"}).content.decode()
    )
    assert household.code not in client.get(url, {"procedure": "identification"}).content.decode()
    other = Household.objects.exclude(village_id=people.village).first()
    assert other is not None
    away = client.get(url, {"village": other.village_id}).content.decode()
    assert household.code not in away


def test_waiting_for_me_lists_the_cases_whose_next_step_my_role_takes(people: People) -> None:
    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    url = reverse("web:workflow_home") + "?waiting=1"

    assert household.code in client_for(people.cadre).get(url).content.decode()  # appraise
    assert household.code not in client_for(people.township).get(url).content.decode()
    assert client_for(people.cadre).get(url).context["waiting_count"] == 1
    assert case.state == "proposed"


def test_overdue_cases_are_highlighted_with_their_deadline(people: People) -> None:
    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    Case.objects.filter(pk=case.pk).update(deadline=timezone.now() - timedelta(days=3))
    client = client_for(people.cadre)

    listing = client.get(reverse("web:workflow_home"), {"overdue": "1"}).content.decode()
    assert household.code in listing and "overdue-tag" in listing
    detail = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="overdue-warning"' in detail and "已超期" in detail


def test_viewing_needs_the_registry_right(people: People) -> None:
    assert client_for(people.provider).get(reverse("web:workflow_home")).status_code == 403
    assert Client().get(reverse("web:workflow_home")).status_code == 302


def test_a_case_outside_the_subtree_answers_404(people: People) -> None:
    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    url = reverse("web:case_detail", args=[case.pk])

    assert client_for(people.other_township).get(url).status_code == 404
    assert (
        client_for(people.other_township)
        .post(reverse("web:case_act", args=[case.pk]), {"step": "appraise", **MEETING})
        .status_code
        == 404
    )
    assert Case.objects.get(pk=case.pk).state == "proposed"


# -- one case ---------------------------------------------------------------------------------


def test_the_full_identification_through_the_pages_by_three_users(people: People) -> None:
    household = Household.objects.filter(village_id=people.village, status="poor").last()
    assert household is not None
    cadre, township, county = (
        client_for(u) for u in (people.cadre, people.township, people.county)
    )

    opened = cadre.post(
        reverse("web:case_open", args=[household.code]),
        {"procedure": "identification", "consent": "on", "note": "本人申请"},
    )
    assert opened.status_code == 302
    case = Case.objects.get(household=household, procedure="identification")
    assert opened["Location"] == reverse("web:case_detail", args=[case.pk])

    assert act(cadre, case, "appraise", **MEETING)[-1].startswith("已办理")
    assert act(cadre, case, "notice_1")[-1].startswith("已办理")
    elapse(case)
    act(township, case, "township_review", note="经审核，符合识别条件")
    act(township, case, "notice_2")
    elapse(case)
    act(county, case, "county_approve", note="县扶贫开发领导小组审定")
    act(county, case, "announce")
    elapse(case)
    act(township, case, "register")

    case.refresh_from_db()
    assert case.state == "registered" and case.closed_at is not None
    page = cadre.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    # The timeline: who and when at every step, the meeting, the assessment as evidence.
    for label in (
        "农户申请",
        "村民主评议",
        "第一次公示",
        "乡镇审核",
        "第二次公示",
        "县审定",
        "公告",
    ):
        assert label in page
    assert "到会 31 人，赞成 27 票，反对 2 票" in page
    assert "评估" in page and "脱贫标准" in page
    assert {"cun", "xiang", "xian"} <= set(re.findall(r"(cun|xiang|xian) ·", page))
    # The three notices are linked with their public page and PDF.
    notices = Notice.objects.filter(division_id=people.village)
    assert notices.count() == 3
    for notice in notices:
        assert reverse("notices:detail", args=[notice.pk]) in page
        assert reverse("notices:pdf", args=[notice.pk]) in page
    # Every step is an audit event of the household, with its Chinese label.
    actions = set(
        AuditEvent.objects.filter(obj_key=household.code).values_list("action", flat=True)
    )
    assert {"wf.identification.apply", "wf.identification.register"} <= actions


def test_the_proposer_sees_no_approve_button(people: People) -> None:
    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    case = case_advance(case=case, step="appraise", by=people.cadre, data=MEETING)
    case = case_advance(case=case, step="agree", by=people.cadre, data={"consent": True})
    case = case_advance(case=case, step="notice", by=people.cadre)
    elapse(case)
    url = reverse("web:case_detail", args=[case.pk])

    own = client_for(people.county).get(url).content.decode()
    assert 'data-testid="act-button"' not in own
    assert "提出人不能审核或审定本案" in own
    other = client_for(people.county_2).get(url).content.decode()
    assert 'data-testid="act-button"' in other and "审核通过" in other
    # The service says no even to a hand-made POST, in Chinese.
    assert (
        "提出人不能审核或审定本案" in act(client_for(people.county), case, "announce", note="x")[-1]
    )
    assert Case.objects.get(pk=case.pk).state == "noticed"


def test_a_reader_sees_the_case_but_no_form(people: People) -> None:
    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    page = client_for(people.analyst).get(reverse("web:case_detail", args=[case.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="act-button"' not in html and "只能由村干部办理" in html


def test_a_refused_step_shows_the_services_chinese_message_and_changes_nothing(
    people: People,
) -> None:
    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    failed = dict(MEETING, votes_for="10")

    message = act(client_for(people.cadre), case, "appraise", **failed)[-1]
    assert "民主评议未获通过" in message
    assert Case.objects.get(pk=case.pk).state == "proposed"


def test_a_step_before_the_notice_period_ends_is_refused(people: People) -> None:
    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    case = case_advance(case=case, step="appraise", by=people.cadre, data=MEETING)
    case = case_advance(case=case, step="agree", by=people.cadre, data={"consent": True})
    case = case_advance(case=case, step="notice", by=people.cadre)
    page = client_for(people.county_2).get(reverse("web:case_detail", args=[case.pk]))

    assert "公示中，公示期至" in page.content.decode()
    assert "公示期至" in act(client_for(people.county_2), case, "announce", note="审定")[-1]


def test_an_objection_recorded_on_the_page_holds_the_case_until_resolved(people: People) -> None:
    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.county, year=YEAR)
    for step, data in (("appraise", MEETING), ("agree", {"consent": True}), ("notice", {})):
        case = case_advance(case=case, step=step, by=people.cadre, data=data)
    cadre, township = client_for(people.cadre), client_for(people.township)

    raised = cadre.post(
        reverse("web:case_objection_raise", args=[case.pk]),
        {"text": "该户家中新增重病人员", "name": "村民"},
        follow=True,
    )
    assert "异议已登记" in messages_of(raised)[-1]
    elapse(case)
    assert "异议尚未核实" in act(client_for(people.county_2), case, "announce", note="x")[-1]
    objection = case.objections.get()
    # A village cadre may not resolve; the township may.
    assert (
        cadre.get(reverse("web:case_detail", args=[case.pk])).content.decode().count("记录核实结果")
        == 0
    )
    resolved = township.post(
        reverse("web:case_objection_resolve", args=[objection.pk]),
        {"outcome": "upheld", "note": "入户核实，情况属实"},
        follow=True,
    )
    assert "核实结果已记录" in messages_of(resolved)[-1]
    case.refresh_from_db()
    assert case.state == "proposed" and case.round == 2
    assert "异议成立" in township.get(reverse("web:case_detail", args=[case.pk])).content.decode()


# -- opening from the household page, and bulk ----------------------------------------------


def test_the_household_page_links_to_its_procedures(people: People) -> None:
    household = ready_household(people.village)
    page = client_for(people.cadre).get(reverse("web:household_detail", args=[household.code]))

    assert reverse("web:case_open", args=[household.code]) in page.content.decode()
    opening = client_for(people.cadre).get(reverse("web:case_open", args=[household.code]))
    html = opening.content.decode()
    for procedure in ("identification", "exit", "decrease", "monitoring"):
        assert f'data-testid="open-{procedure}"' in html


def test_opening_a_decrease_needs_its_reason_and_proof(people: People) -> None:
    household = ready_household(people.village)
    url = reverse("web:case_open", args=[household.code])
    response = client_for(people.cadre).post(url, {"procedure": "decrease"}, follow=True)

    assert "缺少" in messages_of(response)[-1]
    assert not Case.objects.filter(household=household).exists()


def test_bulk_exit_proposals_ask_for_a_confirmation_with_the_count(people: People) -> None:
    client = client_for(people.county)
    url = reverse("web:workflow_bulk")
    ready = Household.objects.filter(
        village_id=people.village,
        status="poor",
        assessments__year=YEAR,
        assessments__meets_standard=True,
    ).count()

    asked = client.post(url, {"action": "exit", "division": people.village, "year": YEAR})
    assert asked.status_code == 200 and asked.context["confirm"]["n"] == ready
    assert not Case.objects.exists()  # nothing before the confirmation
    done = client.post(
        url,
        {"action": "exit", "division": people.village, "year": YEAR, "confirm": "1"},
        follow=True,
    )
    assert f"已批量提出退出 {ready} 户" in messages_of(done)[-1]
    assert Case.objects.filter(procedure="exit", state="proposed").count() == ready


def test_bulk_advance_of_picked_households_confirms_then_moves_only_them(people: People) -> None:
    households = list(
        Household.objects.filter(
            village_id=people.village,
            status="poor",
            assessments__year=YEAR,
            assessments__meets_standard=True,
        )[:3]
    )
    for h in households:
        case_open(household=h, procedure="exit", by=people.county, year=YEAR)
    picked = [str(h.pk) for h in households[:2]]
    client = client_for(people.cadre)
    url = reverse("web:workflow_bulk")
    form = {
        "action": "advance",
        "division": people.village,
        "ps": "exit:appraise",
        "household": picked,
    }

    asked = client.post(url, form)
    assert asked.context["confirm"]["n"] == 2
    done = client.post(url, {**form, **MEETING, "confirm": "1"}, follow=True)
    assert "已批量办理「村民主评议」2 户" in messages_of(done)[-1]
    states = dict(Case.objects.values_list("household_id", "state"))
    assert [states[h.pk] for h in households] == ["appraised", "appraised", "proposed"]


def test_bulk_refusal_is_shown_in_chinese(people: People) -> None:
    response = client_for(people.township).post(
        reverse("web:workflow_bulk"),
        {"action": "exit", "division": people.village[:9], "year": YEAR, "confirm": "1"},
        follow=True,
    )
    assert "只能由" in messages_of(response)[-1]
    assert not Case.objects.exists()


def test_the_appraisal_minutes_are_served_only_to_users_who_may_see_the_case(
    people: People,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fupin.workflows.models import Step

    household = ready_household(people.village)
    case = case_open(household=household, procedure="exit", by=people.cadre, year=YEAR)
    minutes = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", "application/pdf")
    case_advance(case=case, step="appraise", by=people.cadre, data={**MEETING, "minutes": minutes})
    step = Step.objects.get(case=case, code="appraise")
    url = reverse("web:step_file", args=[case.pk, step.pk, "minutes"])

    page = client_for(people.township).get(reverse("web:case_detail", args=[case.pk]))
    assert url in page.content.decode()
    served = client_for(people.township).get(url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert client_for(people.other_township).get(url).status_code == 404
    other_kind = reverse("web:step_file", args=[case.pk, step.pk, "household"])
    assert client_for(people.township).get(other_kind).status_code == 404
