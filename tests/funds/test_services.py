"""The funds services store what the rules allow, refuse the rest with the policy's codes,
store nothing on refusal, and keep each actor to its level and division."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fupin.accounts.models import Role
from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.divisions.models import Division
from fupin.funds import selectors
from fupin.funds.models import FundAllocation, Payment, Project, ProjectFunding
from fupin.funds.services import (
    allocation_record,
    payment_record,
    project_fund,
    project_transition,
)
from fupin.notices.services import notice_withdraw
from fupin.registry.models import Household
from tests.funds.conftest import (
    COUNTY,
    PREFECTURE,
    PROVINCE,
    SOURCE,
    YEAR,
    approve,
    make_user,
    propose,
    publish,
)


def refused(code: str, fn: Callable[..., Any], /, **kwargs: Any) -> FupinError:
    with pytest.raises(FupinError) as exc:
        fn(**kwargs)
    codes = {exc.value.code, *(e["code"] for e in exc.value.details.get("errors", []))}
    assert code in codes, (code, exc.value)
    return exc.value


def household(village_prefix: str = COUNTY) -> Household:
    found = (
        Household.objects.filter(status="poor", village__code__startswith=village_prefix)
        .order_by("code")
        .first()
    )
    assert found is not None
    return found


# -- allocations ----------------------------------------------------------------------------------


def test_allocations_store_audit_and_balance_down_the_levels(funded_county: None) -> None:
    assert FundAllocation.objects.count() == 4
    assert AuditEvent.objects.filter(action="funds.allocate").count() == 4
    by = {(b.division, b.source): b for b in selectors.balances("")}
    assert by[(PROVINCE, SOURCE)].balance == Decimal("400000.00")
    assert by[(PREFECTURE, SOURCE)].balance == Decimal("100000.00")
    county = by[(COUNTY, SOURCE)]
    assert (county.level, county.received, county.balance) == (
        "county",
        Decimal("500000.00"),
        Decimal("500000.00"),
    )
    assert by[(COUNTY, "county")].balance == Decimal("100000.00")


def test_allocation_beyond_the_balance_is_refused_and_nothing_stored(funded_county: None) -> None:
    before = FundAllocation.objects.count()
    err = refused(
        "FUNDS_OVER_ALLOCATED",
        allocation_record,
        source=SOURCE,
        from_division=PREFECTURE,
        to_division=COUNTY,
        year=YEAR,
        amount=Decimal("100000.01"),
        allocated_on=date(2019, 3, 2),
        by=None,
    )
    assert "100,000.00" in err.message
    assert FundAllocation.objects.count() == before
    # the whole balance, to the fen, may go down
    allocation_record(
        source=SOURCE,
        from_division=PREFECTURE,
        to_division=COUNTY,
        year=YEAR,
        amount=Decimal("100000.00"),
        allocated_on=date(2019, 3, 2),
        by=None,
    )
    # another year or source has nothing
    refused(
        "FUNDS_OVER_ALLOCATED",
        allocation_record,
        source=SOURCE,
        from_division=PROVINCE,
        to_division=PREFECTURE,
        year=YEAR + 1,
        amount=Decimal("1"),
        allocated_on=date(2020, 3, 2),
        by=None,
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": Decimal("-5")}, "FUNDS_AMOUNT_NOT_POSITIVE"),
        ({"amount": Decimal("1.005")}, "FUNDS_AMOUNT_PRECISION"),
        ({"source": "lottery"}, "FUNDS_UNKNOWN_SOURCE"),
        ({"from_division": COUNTY, "to_division": PREFECTURE}, "FUNDS_NOT_BELOW"),
    ],
)
def test_bad_allocations_are_refused(
    funded_county: None, changes: dict[str, Any], code: str
) -> None:
    before = FundAllocation.objects.count()
    args: dict[str, Any] = {
        "source": SOURCE,
        "from_division": PREFECTURE,
        "to_division": COUNTY,
        "year": YEAR,
        "amount": Decimal("10"),
        "allocated_on": date(2019, 3, 2),
        "by": None,
    }
    args.update(changes)
    refused(code, allocation_record, **args)
    assert FundAllocation.objects.count() == before


def test_a_township_user_cannot_allocate_and_a_county_only_its_own(
    funded_county: None, township_reviewer: Any, county_office: Any, village: Division
) -> None:
    before = FundAllocation.objects.count()
    args: dict[str, Any] = {
        "source": SOURCE,
        "year": YEAR,
        "amount": Decimal("10"),
        "allocated_on": date(2019, 3, 2),
    }
    refused(
        "PERMISSION_DENIED",
        allocation_record,
        from_division=village.code[:9],
        to_division=village.code,
        by=township_reviewer,
        **args,
    )
    refused(
        "OUT_OF_SCOPE",
        allocation_record,
        from_division=COUNTY,
        to_division=village.code[:9],
        by=township_reviewer,
        **args,
    )
    refused(
        "OUT_OF_SCOPE",
        allocation_record,
        from_division=PREFECTURE,
        to_division=COUNTY,
        by=county_office,
        **args,
    )
    assert FundAllocation.objects.count() == before
    allocation_record(from_division=COUNTY, to_division=village.code[:9], by=county_office, **args)
    assert FundAllocation.objects.count() == before + 1


# -- the project library --------------------------------------------------------------------------


def test_a_project_with_bad_budget_and_no_target_is_refused_with_every_reason(
    registry: Any, village: Division
) -> None:
    err = refused(
        "FUNDS_BUDGET_MISMATCH",
        propose,
        village=village,
        budget=Decimal("250000"),
        performance_target="",
    )
    codes = {e["code"] for e in err.details["errors"]}
    assert {"FUNDS_BUDGET_MISMATCH", "FUNDS_NO_PERFORMANCE_TARGET"} <= codes
    assert not Project.objects.exists()


def test_village_proposes_township_reviews_county_approves(
    registry: Any,
    village: Division,
    village_cadre: Any,
    township_reviewer: Any,
    county_office: Any,
) -> None:
    project = propose(village, by=village_cadre)
    assert (project.status, project.proposer_level) == ("proposed", "village")
    assert list(project.villages.values_list("code", flat=True)) == [village.code]
    # the review waits for the village notice
    refused(
        "FUNDS_NOTICE_MISSING",
        project_transition,
        project=project,
        target="reviewed",
        on=date(2019, 3, 20),
        by=township_reviewer,
    )
    # nine days of notice are not enough, and nothing is stored
    short = publish(project, "village", date(2019, 3, 6), days=9)
    refused(
        "FUNDS_NOTICE_TOO_SHORT",
        project_transition,
        project=project,
        target="reviewed",
        on=date(2019, 3, 20),
        by=township_reviewer,
    )
    project.refresh_from_db()
    assert (project.status, project.village_notice_end) == ("proposed", None)
    # a second village notice is refused while the first stands; withdrawn, it may be posted
    refused("FUNDS_NOTICE_STAGE", publish, project=project, level="village", day=date(2019, 3, 6))
    notice_withdraw(notice=short, reason="公示天数不足，重新公示", by=township_reviewer)
    publish(project, "village", date(2019, 3, 6))
    # the village may not review its own project
    refused(
        "FUNDS_WRONG_LEVEL",
        project_transition,
        project=project,
        target="reviewed",
        on=date(2019, 3, 20),
        by=village_cadre,
    )
    # not before the notice has ended (its last day is the 15th)
    refused(
        "FUNDS_NOTICE_TOO_SHORT",
        project_transition,
        project=project,
        target="reviewed",
        on=date(2019, 3, 15),
        by=township_reviewer,
    )
    project_transition(
        project=project, target="reviewed", on=date(2019, 3, 16), by=township_reviewer
    )
    refused(
        "FUNDS_NOTICE_MISSING",
        project_transition,
        project=project.code,
        target="approved",
        on=date(2019, 4, 5),
        by=county_office,
    )
    # the township notice is the township's, posted while the project is reviewed
    refused("FUNDS_NOTICE_STAGE", publish, project=project, level="county", day=date(2019, 3, 21))
    publish(project, "township", date(2019, 3, 21))
    refused(
        "FUNDS_WRONG_LEVEL",
        project_transition,
        project=project.code,
        target="approved",
        on=date(2019, 4, 5),
        by=township_reviewer,
    )
    project_transition(
        project=project.code, target="approved", on=date(2019, 4, 5), by=county_office
    )
    project.refresh_from_db()
    assert (project.status, project.reviewed_on, project.approved_on) == (
        "approved",
        date(2019, 3, 16),
        date(2019, 4, 5),
    )
    assert (project.village_notice_start, project.village_notice_end) == (
        date(2019, 3, 6),
        date(2019, 3, 15),
    )
    assert project.township_notice_end == date(2019, 3, 30)
    assert AuditEvent.objects.filter(obj_type="project", obj_key=project.code).count() == 6
    refused(
        "FUNDS_BAD_TRANSITION",
        project_transition,
        project=project,
        target="accepted",
        on=date(2019, 5, 1),
        by=county_office,
    )


# -- funds to projects ----------------------------------------------------------------------------


def test_funds_are_assigned_only_to_approved_projects_within_the_balance(
    funded_county: None, village: Division
) -> None:
    project = propose(village)
    args: dict[str, Any] = {
        "source": SOURCE,
        "holder": COUNTY,
        "year": YEAR,
        "assigned_on": date(2019, 4, 10),
        "by": None,
    }
    refused(
        "FUNDS_PROJECT_NOT_APPROVED", project_fund, project=project, amount=Decimal("1"), **args
    )
    approve(project)
    refused(
        "FUNDS_OVER_ALLOCATED", project_fund, project=project, amount=Decimal("500000.01"), **args
    )
    assert not ProjectFunding.objects.exists()
    project_fund(project=project, amount=Decimal("500000"), **args)
    by = {(b.division, b.source): b for b in selectors.balances(COUNTY)}
    assert (by[(COUNTY, SOURCE)].assigned, by[(COUNTY, SOURCE)].balance) == (
        Decimal("500000.00"),
        Decimal("0.00"),
    )


def test_integrated_funds_may_not_pay_for_education(funded_county: None, village: Division) -> None:
    allocation_record(
        source="integrated",
        to_division=COUNTY,
        year=YEAR,
        amount=Decimal("1000"),
        allocated_on=date(2019, 3, 1),
        by=None,
    )
    project = approve(
        propose(
            village,
            code="P-EDU",
            project_type="education",
            budget=Decimal("1000"),
            budget_by_source={"county": Decimal("1000")},
        )
    )
    refused(
        "FUNDS_INTEGRATED_USE",
        project_fund,
        project=project,
        source="integrated",
        holder=COUNTY,
        year=YEAR,
        amount=Decimal("1000"),
        assigned_on=date(2019, 4, 10),
        by=None,
    )
    assert not ProjectFunding.objects.exists()


# -- payments -------------------------------------------------------------------------------------


def pay(project: Project, **changes: Any) -> Payment:
    args: dict[str, Any] = {
        "project": project,
        "source": SOURCE,
        "year": YEAR,
        "amount": Decimal("1000"),
        "paid_on": date(2019, 5, 1),
        "payee_kind": "household",
        "household_code": household().code,
        "item": "光伏分红 2019",
        "by": None,
    }
    args.update(changes)
    return payment_record(**args)


def test_payments_store_and_a_second_payment_for_the_same_item_is_refused(
    approved_project: Project,
) -> None:
    payment = pay(approved_project)
    assert (payment.household, payment.amount) == (household(), Decimal("1000"))
    refused("FUNDS_DUPLICATE_PAYMENT", pay, project=approved_project)
    assert Payment.objects.count() == 1
    pay(approved_project, item="光伏分红 2020")  # another item is not a duplicate
    (row,) = selectors.project_balances(COUNTY)
    assert (row.assigned, row.paid, row.unspent) == (
        Decimal("200000.00"),
        Decimal("2000.00"),
        Decimal("198000.00"),
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"household_code": "NOT-A-HOUSEHOLD"}, "FUNDS_PAYEE_NOT_REGISTERED"),
        ({"household_code": None}, "FUNDS_PAYEE_MISSING"),
        (
            {"amount": Decimal("200000.01"), "payee_kind": "unit", "payee": "施工方"},
            "FUNDS_PROJECT_OVERSPENT",
        ),
        ({"source": "county"}, "FUNDS_PROJECT_OVERSPENT"),  # nothing assigned from it
        ({"paid_on": date(2019, 4, 4)}, "FUNDS_PAID_BEFORE_APPROVAL"),
        ({"payee_kind": "collective", "village": None}, "FUNDS_PAYEE_MISSING"),
        ({"negative_list": "N02"}, "FUNDS_NEGATIVE_LIST"),
    ],
)
def test_bad_payments_are_refused_and_nothing_stored(
    approved_project: Project, changes: dict[str, Any], code: str
) -> None:
    refused(code, pay, project=approved_project, **changes)
    assert not Payment.objects.exists()
    assert not AuditEvent.objects.filter(action="payment.record").exists()


def test_a_removed_household_is_not_paid(approved_project: Project) -> None:
    target = household()
    Household.objects.filter(pk=target.pk).update(status="removed")
    refused("FUNDS_PAYEE_NOT_REGISTERED", pay, project=approved_project, household_code=target.code)
    assert not Payment.objects.exists()


def test_an_unapproved_project_is_not_paid(funded_county: None, village: Division) -> None:
    refused("FUNDS_PROJECT_NOT_APPROVED", pay, project=propose(village))


def test_a_collective_payment_names_the_village(
    approved_project: Project, village: Division
) -> None:
    payment = pay(
        approved_project, payee_kind="collective", village=village.code, household_code=None
    )
    assert payment.village == village
    assert payment.payee.startswith(village.name)


def test_only_the_county_office_records_payments_and_an_analyst_decides_nothing(
    approved_project: Project, village_cadre: Any
) -> None:
    refused("PERMISSION_DENIED", pay, project=approved_project, by=village_cadre)
    analyst = make_user("analyst", Role.ANALYST, COUNTY)
    refused(
        "PERMISSION_DENIED",
        project_transition,
        project=approved_project,
        target="in_progress",
        on=date(2019, 5, 1),
        by=analyst,
    )
    Division.objects.create(code="513432", name="喜德县", level=3, parent_id="5134")
    outsider = make_user("elsewhere", Role.COUNTY_OFFICE, "513432")
    refused("OUT_OF_SCOPE", pay, project=approved_project, by=outsider)
    assert not Payment.objects.exists()
    approved_project.refresh_from_db()
    assert approved_project.status == "approved"
