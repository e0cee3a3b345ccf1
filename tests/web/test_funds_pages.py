"""The funds pages (项目资金): the county office's funds page, the project library and a
project's page with its steps, funding and payments, allocations and the factor method, the
monitoring flags and a village's page — each with real figures from the services, and who may
see and do what."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fupin.accounts.models import Role
from fupin.divisions.models import Division
from fupin.funds.models import FundAllocation, Payment, Project
from fupin.funds.page_services import project_code_next
from fupin.funds.project_notices import project_notice_publish
from fupin.funds.services import (
    allocation_record,
    payment_record,
    project_fund,
    project_propose,
    project_transition,
)
from fupin.notices.models import Notice
from fupin.registry.models import Household, Member

COUNTY = "513431"
YEAR = 2019
SOURCE = "central.development"
SignIn = Callable[[AbstractUser], Client]
MakeUser = Callable[..., AbstractUser]


def _propose(village: Division, code: str, **changes: Any) -> Project:
    args: dict[str, Any] = {
        "code": code,
        "name": "光伏电站",
        "project_type": "photovoltaic",
        "division": village.code,
        "budget": Decimal("300000"),
        "budget_by_source": {SOURCE: Decimal("200000"), "county": Decimal("100000")},
        "benefit_kinds": ["dividend"],
        "benefit_link": "电站收益 60% 分配给贫困户",
        "performance_target": "年发电收益 4 万元",
        "expected_households": 80,
        "expected_poor_households": 45,
        "proposed_on": date(2019, 3, 5),
        "by": None,
    }
    args.update(changes)
    return project_propose(**args)


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _publish(project: Project, level: str, day: date) -> None:
    project_notice_publish(project=project, level=level, by=None, on=_at(day))


def _approve(project: Project) -> Project:
    """Village notice from 6 March, review on the 20th; township notice from 21 March,
    approval on 5 April."""
    _publish(project, "village", date(2019, 3, 6))
    project_transition(project=project, target="reviewed", on=date(2019, 3, 20), by=None)
    _publish(project, "township", date(2019, 3, 21))
    return project_transition(project=project, target="approved", on=date(2019, 4, 5), by=None)


@pytest.fixture
def village(registry: Path) -> Division:
    """The first village with registered households."""
    first = Household.objects.select_related("village").order_by("code").first()
    assert first is not None
    return first.village


@pytest.fixture
def household(village: Division) -> Household:
    found = Household.objects.filter(village=village).order_by("code").first()
    assert found is not None
    return found


@pytest.fixture
def funds(village: Division, household: Household) -> Project:
    """500,000 of central funds down to the county and 100,000 of its own; an approved
    photovoltaic project of the village with 200,000 assigned, 30,000 paid to the village
    collective and 2,000 to a household of the village."""
    allocation_record(
        source=SOURCE,
        to_division="51",
        year=YEAR,
        amount=Decimal("1000000"),
        allocated_on=date(2019, 1, 10),
        by=None,
    )
    allocation_record(
        source=SOURCE,
        from_division="51",
        to_division="5134",
        year=YEAR,
        amount=Decimal("600000"),
        allocated_on=date(2019, 2, 1),
        by=None,
    )
    allocation_record(
        source=SOURCE,
        from_division="5134",
        to_division=COUNTY,
        year=YEAR,
        amount=Decimal("500000"),
        allocated_on=date(2019, 3, 1),
        by=None,
    )
    allocation_record(
        source="county",
        to_division=COUNTY,
        year=YEAR,
        amount=Decimal("100000"),
        allocated_on=date(2019, 3, 1),
        by=None,
    )
    project = _approve(_propose(village, "P-1"))
    project_fund(
        project=project,
        source=SOURCE,
        holder=COUNTY,
        year=YEAR,
        amount=Decimal("200000"),
        assigned_on=date(2019, 4, 10),
        by=None,
    )
    payment_record(
        project=project,
        source=SOURCE,
        year=YEAR,
        amount=Decimal("30000"),
        paid_on=date(2019, 5, 1),
        payee_kind="collective",
        village=village.code,
        item="电站建设",
        by=None,
    )
    payment_record(
        project=project,
        source=SOURCE,
        year=YEAR,
        amount=Decimal("2000"),
        paid_on=date(2019, 6, 1),
        payee_kind="household",
        household_code=household.code,
        item="分红",
        by=None,
    )
    return project


@pytest.fixture
def county_user(make_user: MakeUser, registry: Path) -> AbstractUser:
    return make_user("county", Role.COUNTY_OFFICE, COUNTY)


@pytest.fixture
def township_user(make_user: MakeUser, village: Division) -> AbstractUser:
    return make_user("township", Role.TOWNSHIP_REVIEWER, village.code[:9])


@pytest.fixture
def village_user(make_user: MakeUser, village: Division) -> AbstractUser:
    return make_user("village", Role.VILLAGE_CADRE, village.code)


def _text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


# --- the funds page ------------------------------------------------------------------------


def test_county_funds_page_shows_balance_by_source_statuses_and_flags(
    funds: Project, county_user: AbstractUser, signed_in: SignIn
) -> None:
    html = _text(signed_in(county_user).get("/funds/"))

    # The county received 500,000 central funds, assigned 200,000, its projects paid 32,000.
    assert "中央财政专项扶贫资金（扶贫发展）" in html
    assert "500000.00" in html and "200000.00" in html and "32000.00" in html
    assert "300000.00" in html  # the balance left of the central funds
    assert 'data-status="approved">1<' in html
    assert 'data-chart="chart-funds"' in html and "vendor/echarts/echarts.min.js" in html
    # Money received in 2019 and not spent is idle by now (365 days): a flag, linked.
    assert 'data-testid="flag-count">0<' not in html
    assert "/funds/flags/?division=513431" in html


def test_village_cadre_is_sent_from_the_funds_page_to_the_village_page(
    funds: Project, village_user: AbstractUser, village: Division, signed_in: SignIn
) -> None:
    response = signed_in(village_user).get("/funds/")

    assert response.status_code == 302
    assert response["Location"] == f"/funds/village/{village.code}/"


def test_nav_has_the_funds_entry(county_user: AbstractUser, signed_in: SignIn) -> None:
    html = _text(signed_in(county_user).get("/"))

    assert 'href="/funds/"' in html and "项目资金" in html


# --- the project library -------------------------------------------------------------------


def test_project_library_lists_projects_with_their_funds_and_filters(
    funds: Project, county_user: AbstractUser, signed_in: SignIn
) -> None:
    client = signed_in(county_user)
    html = _text(client.get("/funds/projects/"))

    assert 'data-project="P-1"' in html
    assert "光伏扶贫" in html and "县级已审定入库" in html
    assert "200000.00" in html and "32000.00" in html  # assigned, paid
    assert 'data-project="P-1"' not in _text(client.get("/funds/projects/?status=proposed"))
    assert 'data-project="P-1"' in _text(client.get("/funds/projects/?type=photovoltaic"))
    assert 'data-project="P-1"' not in _text(client.get("/funds/projects/?year=2018"))


def _library_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/funds/projects/").status_code == 200
    return len(ctx.captured_queries)


def test_project_library_query_count_does_not_grow_with_projects(
    village: Division, county_user: AbstractUser, signed_in: SignIn
) -> None:
    client = signed_in(county_user)
    villages = list(Division.objects.filter(code__startswith=village.code[:9], level=5))
    served = {"division": village.code[:9], "villages": [v.code for v in villages[:2]]}
    for n in range(5):
        _propose(village, f"Q-{n}", **served)
    five = _library_queries(client)
    for n in range(5, 40):
        _propose(village, f"Q-{n}", **served)
    forty = _library_queries(client)

    assert Project.objects.count() == 40
    assert forty == five


def _proposal(village: Division, **changes: str) -> dict[str, str]:
    data = {
        "name": "核桃种植",
        "project_type": "industry",
        "villages": village.code,
        "budget": "50000",
        "budget_central_development": "50000",
        "benefit_kinds": "employment",
        "benefit_link": "贫困户务工",
        "performance_target": "种植 300 亩",
        "implementing_unit": "村合作社",
        "expected_households": "30",
        "expected_poor_households": "20",
        "proposed_on": "2019-03-05",
    }
    data.update(changes)
    return data


def test_village_cadre_proposes_a_project_with_a_generated_code(
    village: Division, village_user: AbstractUser, signed_in: SignIn
) -> None:
    client = signed_in(village_user)
    form = _text(client.get("/funds/projects/new/"))
    assert 'name="budget_central_development"' in form
    assert 'name="location"' not in form  # a village proposes for itself

    response = client.post("/funds/projects/new/", _proposal(village))

    code = f"{village.code}-2019-001"
    assert response.status_code == 302
    assert response["Location"] == f"/funds/projects/{code}/"
    project = Project.objects.get(code=code)
    assert project.division_id == village.code and project.status == "proposed"
    assert project.budget_by_source == {SOURCE: "50000"}
    assert project.benefit_kinds == ["employment"] and project.expected_poor_households == 20
    assert project_code_next(village.code, 2019) == f"{village.code}-2019-002"


def test_a_proposal_whose_sources_do_not_add_up_is_refused_with_its_code(
    village: Division, village_user: AbstractUser, signed_in: SignIn
) -> None:
    response = signed_in(village_user).post(
        "/funds/projects/new/", _proposal(village, budget="60000")
    )

    html = _text(response)
    assert "FUNDS_BUDGET_MISMATCH" in html and 'data-testid="form-errors"' in html
    assert Project.objects.count() == 0


def test_township_reviews_after_the_village_notice_and_steps_follow_the_level(
    village: Division,
    township_user: AbstractUser,
    county_user: AbstractUser,
    village_user: AbstractUser,
    signed_in: SignIn,
) -> None:
    project = _propose(village, "P-9")
    url = f"/funds/projects/{project.code}/"
    client = signed_in(village_user)
    assert 'data-testid="no-steps"' in _text(client.get(url))
    client = signed_in(county_user)
    county = _text(client.get(url))
    assert 'data-step="rejected"' in county and 'data-step="reviewed"' not in county

    client = signed_in(township_user)
    page = _text(client.get(url))
    assert 'data-step="reviewed"' in page and 'data-step="rejected"' in page
    refused = client.post(url + "step/", {"target": "reviewed", "on": "2019-03-20"}, follow=True)
    assert "FUNDS_NOTICE" in _text(refused)  # no village notice yet
    project.refresh_from_db()
    assert project.status == "proposed"

    _publish(project, "village", date(2019, 3, 6))
    client.post(url + "step/", {"target": "reviewed", "on": "2019-03-20", "note": "公示无异议"})

    project.refresh_from_db()
    assert project.status == "reviewed" and project.reviewed_on == date(2019, 3, 20)
    assert "公示无异议" in _text(client.get(url))  # the history


def test_the_notice_button_posts_the_village_notice_shown_with_its_public_link(
    village: Division, village_user: AbstractUser, signed_in: SignIn
) -> None:
    project = _propose(village, "P-8")
    url = f"/funds/projects/{project.code}/"
    client = signed_in(village_user)
    assert 'data-testid="notice-form"' in _text(client.get(url))

    client.post(url + "notice/", {"level": "village"})

    notice = Notice.objects.get(kind="project_village")
    page = _text(client.get(url))
    assert f'href="/notices/{notice.pk}/"' in page
    assert 'data-testid="notice-form"' not in page  # posted once
    again = client.post(url + "notice/", {"level": "village"}, follow=True)
    assert "FUNDS_NOTICE_STAGE" in _text(again)
    assert Notice.objects.filter(kind="project_village").count() == 1


def test_county_funds_and_pays_on_the_project_page_and_refusals_show_their_code(
    funds: Project, county_user: AbstractUser, household: Household, signed_in: SignIn
) -> None:
    client = signed_in(county_user)
    url = f"/funds/projects/{funds.code}/"
    page = _text(client.get(url))
    assert 'data-testid="fund-form"' in page and 'data-testid="payment-form"' in page
    assert "168000.00" in page  # unspent: 200,000 assigned − 32,000 paid

    client.post(
        url + "fund/",
        {
            "holder": COUNTY,
            "source": "county",
            "year": "2019",
            "amount": "50000",
            "assigned_on": "2019-05-01",
        },
    )
    paid = {
        "source": SOURCE,
        "year": "2019",
        "amount": "1500",
        "paid_on": "2019-07-01",
        "payee_kind": "household",
        "household_code": household.code,
        "item": "务工工资",
    }
    client.post(url + "payment/", paid)
    again = client.post(url + "payment/", paid, follow=True)

    assert funds.fundings.filter(source_fund="county", amount=Decimal("50000")).exists()
    assert Payment.objects.filter(project=funds, item="务工工资").count() == 1
    assert "FUNDS_DUPLICATE_PAYMENT" in _text(again)


def test_township_sees_no_funding_or_payment_form(
    funds: Project, township_user: AbstractUser, signed_in: SignIn
) -> None:
    page = _text(signed_in(township_user).get(f"/funds/projects/{funds.code}/"))

    assert 'data-testid="fund-form"' not in page and 'data-testid="payment-form"' not in page


def test_a_project_of_another_township_is_not_found(
    funds: Project, make_user: MakeUser, village: Division, signed_in: SignIn
) -> None:
    other = (
        Division.objects.filter(code__startswith=COUNTY, level=4)
        .exclude(code=village.code[:9])
        .first()
    )
    assert other is not None
    user = make_user("other", Role.TOWNSHIP_REVIEWER, other.code)

    assert signed_in(user).get(f"/funds/projects/{funds.code}/").status_code == 404


# --- allocations -----------------------------------------------------------------------------


def test_county_allocates_to_a_township_and_over_the_balance_is_refused(
    funds: Project, county_user: AbstractUser, village: Division, signed_in: SignIn
) -> None:
    client = signed_in(county_user)
    page = _text(client.get("/funds/allocations/"))
    assert 'data-testid="allocation-form"' in page and "2019-03-01" in page  # received
    data = {
        "to_division": village.code[:9],
        "source": SOURCE,
        "year": "2019",
        "amount": "100000",
        "allocated_on": "2019-06-01",
        "document_number": "昭扶〔2019〕3号",
    }

    assert client.post("/funds/allocations/", data).status_code == 302
    refused = client.post("/funds/allocations/", {**data, "amount": "250000"})

    assert FundAllocation.objects.filter(from_division_id=COUNTY).count() == 1
    assert "FUNDS_OVER_ALLOCATED" in _text(refused)


def test_township_cannot_see_the_allocate_form_and_its_post_is_refused(
    funds: Project, township_user: AbstractUser, village: Division, signed_in: SignIn
) -> None:
    client = signed_in(township_user)
    page = _text(client.get("/funds/allocations/"))
    assert 'data-testid="allocation-form"' not in page
    assert 'data-testid="factor-link"' not in page
    before = FundAllocation.objects.count()

    response = client.post(
        "/funds/allocations/",
        {
            "to_division": village.code,
            "source": SOURCE,
            "year": "2019",
            "amount": "1",
            "allocated_on": "2019-06-01",
        },
    )

    assert response.status_code == 403
    assert client.get("/funds/allocations/factor/").status_code == 403
    assert FundAllocation.objects.count() == before


def _factor_data(client: Client, total: str) -> dict[str, str]:
    """The calculator's form as the page shows it, with the missing values filled in."""
    html = _text(client.get("/funds/allocations/factor/?data=2016"))
    data = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'name="([wv]_[^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            data[name.group(1)] = value.group(1) if value else ""
    for name in list(data):
        if name.startswith("v_") and not data[name]:
            data[name] = "80" if name.endswith("performance") else "1000"
    data.update({"total": total, "source": SOURCE, "year": "2019", "allocated_on": "2019-06-01"})
    return data


def test_factor_method_shares_add_up_to_the_fen_and_record_all_or_nothing(
    funds: Project, county_user: AbstractUser, signed_in: SignIn
) -> None:
    client = signed_in(county_user)
    townships = Division.objects.filter(code__startswith=COUNTY, level=4).count()
    data = _factor_data(client, "100000.01")
    assert data["w_poor_population"] == "35"

    shown = _text(client.post("/funds/allocations/factor/", data))
    assert 'data-testid="result-total">100000.01<' in shown
    assert shown.count("<tr data-unit=") == townships

    # More than the county holds (300,000 left): nothing is stored.
    too_much = client.post(
        "/funds/allocations/factor/", {**data, "total": "300000.01", "record": "1"}
    )
    assert "FUNDS_OVER_ALLOCATED" in _text(too_much)
    assert FundAllocation.objects.filter(from_division_id=COUNTY).count() == 0

    done = client.post("/funds/allocations/factor/", {**data, "record": "1"})
    assert done.status_code == 302
    made = FundAllocation.objects.filter(from_division_id=COUNTY)
    assert made.count() == townships
    assert sum(a.amount for a in made) == Decimal("100000.01")


def test_factor_method_refuses_bad_weights_with_the_code(
    funds: Project, county_user: AbstractUser, signed_in: SignIn
) -> None:
    client = signed_in(county_user)
    data = {**_factor_data(client, "1000"), "w_poor_population": "50"}

    assert "FUNDS_WEIGHTS" in _text(client.post("/funds/allocations/factor/", data))


# --- flags and the village page ----------------------------------------------------------------


def test_flags_page_counts_and_lists_the_flags(
    funds: Project, county_user: AbstractUser, signed_in: SignIn
) -> None:
    html = _text(signed_in(county_user).get("/funds/flags/"))

    assert 'data-code="FUNDS_IDLE"' in html  # the balances left since 2019
    assert "P-1" in html  # the project's own unspent money is idle too


def test_village_page_shows_what_each_project_brings_to_whom(
    funds: Project,
    village_user: AbstractUser,
    village: Division,
    household: Household,
    signed_in: SignIn,
) -> None:
    html = _text(signed_in(village_user).get(f"/funds/village/{village.code}/"))
    head = Member.objects.get(household=household, relation="head")

    assert 'data-project="P-1"' in html and "入股分红（折股量化）" in html
    assert "80（45）" in html  # expected households (poor)
    assert 'data-testid="to-collective">30000.00<' in html
    assert 'data-testid="to-households">2000.00<' in html
    assert head.name in html


def test_village_page_of_another_village_is_not_found(
    funds: Project, village_user: AbstractUser, signed_in: SignIn, village: Division
) -> None:
    other = Division.objects.filter(level=5, code__startswith=COUNTY).exclude(code=village.code)
    code = other.order_by("code").values_list("code", flat=True).first()

    assert signed_in(village_user).get(f"/funds/village/{code}/").status_code == 404
