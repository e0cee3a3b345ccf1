"""The funds step of ``fupin demo`` on the small 昭觉县 registry: allocations down the levels,
a year of projects, the photovoltaic station's dividends in household incomes, the deliberate
monitoring finding, a current public project notice and the pairings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from fupin.funds import ledger
from fupin.funds.demo import DUPLICATE_ITEM, FundsDemo, funds_demo_create
from fupin.funds.models import Asset, Distribution, FundAllocation, Partnership, Project
from fupin.funds.services import parameters
from fupin.notices.models import Notice
from fupin.registry.models import HouseholdIncome

COUNTY, YEAR = "513431", 2016
TODAY = date(2026, 12, 7)


@pytest.fixture
def demo(registry: Path) -> FundsDemo:
    return funds_demo_create(county=COUNTY, year=YEAR, today=TODAY)


def test_allocations_pass_down_every_level(demo):
    rows = set(
        FundAllocation.objects.filter(year=YEAR, source_fund="central.development").values_list(
            "from_division_id", "to_division_id"
        )
    )
    assert {(None, "51"), ("51", "5134"), ("5134", COUNTY)} <= rows
    assert sum(1 for f, t in rows if f == COUNTY and len(t) == 9) == 2  # two townships
    own = FundAllocation.objects.filter(to_division_id=COUNTY, from_division__isnull=True)
    assert {"county", "integrated"} <= set(own.values_list("source_fund", flat=True))
    assert demo.allocations >= 7
    assert demo.county_received >= Decimal("315000000")  # central + own + integrated


def test_a_year_of_projects_in_several_statuses(demo):
    projects = Project.objects.filter(division__code__startswith=COUNTY)
    assert demo.projects == projects.count() >= 8
    statuses = set(projects.values_list("status", flat=True))
    assert {"handed_over", "accepted", "in_progress", "approved", "proposed"} <= statuses
    assert projects.values("project_type").distinct().count() >= 6
    assert demo.payments > 20 and demo.paid > Decimal("1000000")


def test_photovoltaic_dividends_land_in_household_incomes(demo):
    asset = Asset.objects.get(asset_type="photovoltaic", project__status="handed_over")
    dividends = Distribution.objects.filter(income__asset=asset, kind="dividend")
    assert dividends.count() == asset.shares.count() > 0
    total = dividends.aggregate(s=Sum("amount"))["s"]
    assert total == Decimal("144000.00") == demo.dividends
    credited = HouseholdIncome.objects.filter(
        household__in=dividends.values("household_id"), year=YEAR
    ).aggregate(s=Sum("property_dividend"))["s"]
    assert credited is not None and credited >= total


def test_ledger_flags_show_the_deliberate_duplicate(demo):
    flags = ledger.fetch(ledger.flags_under(COUNTY, TODAY, parameters()))
    duplicates = [f for f in flags if f["code"] == "FUNDS_DUPLICATE_PAYMENT"]
    assert duplicates and demo.duplicate_flags == len(duplicates)
    project = Project.objects.get(pk=duplicates[0]["project_id"])
    assert project.project_type == "housing"
    assert project.payments.filter(item=DUPLICATE_ITEM).count() > (
        project.payments.filter(item=DUPLICATE_ITEM).values("household_id").distinct().count()
    )


def test_a_current_village_notice_and_the_allocation_notice(demo):
    assert demo.current_notices == 2
    assert Notice.objects.filter(kind="fund_allocation", division_id=COUNTY).exists()
    assert Notice.objects.filter(kind="project_library", division_id=COUNTY).count() >= 8


def test_pairings_exist_and_a_second_run_adds_nothing(demo):
    helped = set(Partnership.objects.values_list("kind", "helped_id"))
    assert ("east_west", COUNTY) in helped
    assert ("east_west", "51") in helped  # the province-level 浙江 → 四川 pair
    assert demo.partnerships == sum(1 for _, h in helped if h.startswith(COUNTY)) >= 2
    again = funds_demo_create(county=COUNTY, year=YEAR, today=TODAY)
    assert again.projects == demo.projects and again.allocations == demo.allocations
