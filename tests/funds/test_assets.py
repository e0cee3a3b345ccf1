"""Assets and asset income (资产收益扶贫): registering an asset, quantifying shares, recording and
distributing a year's income, and the dividends arriving in the households' incomes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.accounts.models import Role
from fupin.assessment.adapters import household_facts
from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.divisions.models import Division
from fupin.funds.asset_selectors import asset_income_summary, assets_under, household_dividends
from fupin.funds.asset_services import (
    DIVIDEND_SOURCE,
    LACKING_NOTE,
    ShareInput,
    asset_income_distribute,
    asset_income_record,
    asset_register,
    asset_shares_set,
)
from fupin.funds.models import Asset, AssetIncome, AssetShare, Distribution, Project
from fupin.registry.models import Household, HouseholdIncome
from fupin.reports.models import DirtyVillage
from tests.funds.conftest import COUNTY, make_user

YEAR = 2016  # the year of the generated registry's incomes
ELIGIBLE = ("poor", "exited_with_policy", "returned")


def make_project(village: Division, status: str = "accepted", code: str = "P-PV") -> Project:
    return Project.objects.create(
        code=code,
        name="村级光伏扶贫电站",
        project_type="photovoltaic",
        division=village,
        proposer_level="village",
        status=status,
        proposed_on=date(2015, 3, 1),
        approved_on=date(2015, 4, 1),
        accepted_on=date(2015, 10, 1) if status in ("accepted", "handed_over") else None,
        budget=Decimal("300000"),
        budget_by_source={"county": "300000"},
        benefit_kinds=["dividend", "public_welfare_job"],
        performance_target="年收益 3 万元",
    )


def register(project: Project, where: Division, **changes: Any) -> Asset:
    args: dict[str, Any] = {
        "project": project,
        "code": "A-PV-1",
        "name": "某村光伏电站",
        "asset_type": "photovoltaic",
        "value": Decimal("300000.00"),
        "owner_kind": "households",
        "village": where.code,
        "formed_on": date(2015, 10, 1),
        "shares_total": Decimal(100),
        "by": None,
    }
    args.update(changes)
    return asset_register(**args)


def eligible(n: int) -> list[Household]:
    found = list(Household.objects.filter(status__in=ELIGIBLE).order_by("code")[:n])
    assert len(found) == n
    return found


def equal_shares(households: list[Household], each: Decimal = Decimal(1)) -> list[ShareInput]:
    return [ShareInput(h.code, each, 2015) for h in households]


def net(h: Household, year: int = YEAR) -> Decimal:
    return Decimal(HouseholdIncome.objects.get(household=h, year=year).net_income)


def dividend(h: Household, year: int = YEAR) -> Decimal:
    return HouseholdIncome.objects.get(household=h, year=year).property_dividend


@pytest.fixture
def project(village: Division) -> Project:
    return make_project(village)


@pytest.fixture
def station(project: Project, village: Division) -> Asset:
    """A PV station quantified to 4 households (40, 30, 20, 10 of 100 shares) with an income
    of 40,000 in the registry's year."""
    asset = register(project, village)
    hh = eligible(4)
    asset_shares_set(
        asset=asset,
        shares=[
            ShareInput(h.code, Decimal(n), 2015) for h, n in zip(hh, (40, 30, 20, 10), strict=True)
        ],
        by=None,
    )
    asset_income_record(
        asset=asset, year=YEAR, amount=Decimal("40000"), received_on=date(2017, 3, 1), by=None
    )
    return asset


# -- registering ----------------------------------------------------------------------------------


def test_asset_needs_an_accepted_project(village: Division) -> None:
    approved = make_project(village, status="approved")
    with pytest.raises(FupinError) as e:
        register(approved, village)
    assert e.value.code == "ASSET_PROJECT_NOT_ACCEPTED"
    assert [x["code"] for x in e.value.details["errors"]] == ["ASSET_PROJECT_NOT_ACCEPTED"]
    assert not Asset.objects.exists()


def test_asset_refusals_list_every_reason(project: Project, village: Division) -> None:
    with pytest.raises(FupinError) as e:
        register(project, village, value=Decimal("-5"), asset_type="castle", shares_total=None)
    assert [x["code"] for x in e.value.details["errors"]] == [
        "ASSET_UNKNOWN_TYPE",
        "ASSET_NEGATIVE",
        "ASSET_NOT_QUANTIFIED",
    ]
    assert not Asset.objects.exists()


def test_asset_register_scope(project: Project, village: Division) -> None:
    cadre = make_user("cadre", Role.VILLAGE_CADRE, village.code)
    elsewhere = (
        Division.objects.filter(level=4, code__startswith=COUNTY)
        .exclude(code=village.code[:9])
        .first()
    )
    assert elsewhere is not None
    other = make_user("other", Role.TOWNSHIP_REVIEWER, elsewhere.code)
    office = make_user("office", Role.COUNTY_OFFICE, COUNTY)
    with pytest.raises(FupinError) as e:
        register(project, village, by=cadre)
    assert e.value.code == "PERMISSION_DENIED"
    with pytest.raises(FupinError) as e:
        register(project, village, by=other)
    assert e.value.code == "OUT_OF_SCOPE"
    assert not Asset.objects.exists()
    asset = register(project, village, by=office)
    assert list(assets_under(COUNTY)) == [asset]
    assert list(assets_under("513432")) == []
    event = AuditEvent.objects.get(action="asset.register")
    assert (event.obj_key, event.division, event.by_id) == ("A-PV-1", village.code, office.pk)


def test_asset_village_must_be_in_the_county(project: Project, village: Division) -> None:
    with pytest.raises(FupinError) as e:
        register(project, village, village="513432100200")
    assert e.value.code == "ASSET_WRONG_VILLAGE"


def test_asset_code_unique(project: Project, village: Division) -> None:
    register(project, village)
    with pytest.raises(FupinError) as e:
        register(project, village)
    assert e.value.code == "ASSET_CODE_TAKEN"


# -- shares ---------------------------------------------------------------------------------------


def test_shares_refused_all_or_nothing(station: Asset) -> None:
    before = list(AssetShare.objects.order_by("pk").values_list("household_id", "shares"))
    exited = Household.objects.filter(status="exited").order_by("code").first()
    assert exited is not None
    good = eligible(1)[0]
    with pytest.raises(FupinError) as e:
        asset_shares_set(
            asset=station,
            shares=[
                ShareInput(good.code, Decimal(50), 2015),
                ShareInput(exited.code, Decimal(30), 2015),
                ShareInput("NO-SUCH-HOUSEHOLD", Decimal(10), 2015),
            ],
            by=None,
        )
    assert [x["code"] for x in e.value.details["errors"]] == [
        "ASSET_NOT_POOR",
        "ASSET_NOT_REGISTERED",
        "ASSET_SHARES_NOT_100",
    ]
    assert list(AssetShare.objects.order_by("pk").values_list("household_id", "shares")) == before


def test_shares_replace_the_previous_ones(station: Asset) -> None:
    hh = eligible(6)[4:]
    asset_shares_set(asset=station, shares=equal_shares(hh, Decimal(50)), by=None)
    assert set(AssetShare.objects.values_list("household_id", flat=True)) == {h.pk for h in hh}
    assert AuditEvent.objects.filter(action="asset.shares_set").count() == 2


# -- income and distribution ----------------------------------------------------------------------


def test_dividends_arrive_in_the_household_incomes(station: Asset, village: Division) -> None:
    hh = eligible(4)
    nets = [net(h) for h in hh]
    dividends_before = [dividend(h) for h in hh]
    facts_before = household_facts(hh[0], YEAR)["income"]["net_income"]
    DirtyVillage.objects.all().delete()

    result = asset_income_distribute(
        asset=station,
        year=YEAR,
        parts={
            "dividend": Decimal("10000.01"),
            "public_welfare_wages": Decimal("24000"),
            "village_public": Decimal("5000"),
        },
        by=None,
        note="2016 年收益分配方案（四议两公开）",
    )

    # 10,000.01 by 40/30/20/10 shares: 4000.004, 3000.003, 2000.002, 1000.001 → the left-over
    # fen goes to the largest remainder (the first, by input order on ties).
    expected = [Decimal("4000.01"), Decimal("3000.00"), Decimal("2000.00"), Decimal("1000.00")]
    assert [dividend(h) - d for h, d in zip(hh, dividends_before, strict=True)] == expected
    assert [net(h) - n for h, n in zip(hh, nets, strict=True)] == expected
    assert result.households == 4 and result.incomes_created == []
    assert result.parts == {
        "dividend": Decimal("10000.01"),
        "public_welfare_wages": Decimal("24000"),
        "village_public": Decimal("5000"),
        "retained": Decimal("999.99"),
    }
    income = HouseholdIncome.objects.get(household=hh[0], year=YEAR)
    assert income.field_sources["property_dividend"] == DIVIDEND_SOURCE
    # The assessment reads the credited income.
    after = household_facts(hh[0], YEAR)["income"]["net_income"]
    assert after == pytest.approx(facts_before + 4000.01)
    assert household_dividends(hh[0], YEAR) == [("某村光伏电站", Decimal("4000.01"))]
    assert household_dividends(hh[0], YEAR + 1) == []
    # The villages touched are marked for the rollups, and every household's change audited.
    assert set(DirtyVillage.objects.values_list("village_code", flat=True)) == {
        h.village_id for h in hh
    }
    assert set(
        AuditEvent.objects.filter(action="income.asset_dividend").values_list("obj_key", flat=True)
    ) == {h.code for h in hh}
    assert AuditEvent.objects.filter(action="asset.income_distribute").count() == 1

    [row] = asset_income_summary(COUNTY, YEAR)
    assert row.income == Decimal("40000.00") and row.households == 4
    assert row.by_kind["dividend"] == Decimal("10000.01")
    assert row.by_kind["retained"] == Decimal("999.99")
    assert row.undistributed == Decimal("0.00")


def test_redistribution_is_idempotent(station: Asset) -> None:
    hh = eligible(4)
    base = [dividend(h) for h in hh]
    nets = [net(h) for h in hh]
    parts = {"dividend": Decimal("10000"), "public_welfare_wages": Decimal("30000")}
    asset_income_distribute(asset=station, year=YEAR, parts=parts, by=None)
    once = [dividend(h) for h in hh]
    asset_income_distribute(asset=station, year=YEAR, parts=parts, by=None)
    assert [dividend(h) for h in hh] == once
    assert Distribution.objects.filter(kind="dividend").count() == 4
    # A changed plan replaces the previous one: only the new dividends remain.
    asset_income_distribute(asset=station, year=YEAR, parts={"dividend": Decimal("1000")}, by=None)
    added = [dividend(h) - b for h, b in zip(hh, base, strict=True)]
    assert added == [Decimal("400.00"), Decimal("300.00"), Decimal("200.00"), Decimal("100.00")]
    assert [net(h) - n for h, n in zip(hh, nets, strict=True)] == added
    assert Distribution.objects.get(kind="retained").amount == Decimal("39000.00")
    # No dividend at all takes every dividend back out.
    asset_income_distribute(asset=station, year=YEAR, parts={}, by=None)
    assert [dividend(h) for h in hh] == base
    assert not Distribution.objects.filter(kind="dividend").exists()


def test_household_without_income_gets_a_row_with_the_dividend(station: Asset) -> None:
    hh = eligible(4)
    HouseholdIncome.objects.filter(household=hh[1], year=YEAR).delete()
    result = asset_income_distribute(
        asset=station, year=YEAR, parts={"dividend": Decimal("1000")}, by=None
    )
    assert result.incomes_created == [hh[1].code]
    created = HouseholdIncome.objects.get(household=hh[1], year=YEAR)
    assert created.property_dividend == Decimal("300.00")
    assert created.net_income == Decimal("300.00")
    assert created.household_size == hh[1].members.count()
    assert created.source == "import"
    assert created.field_sources == {"property_dividend": DIVIDEND_SOURCE}
    notes = dict(Distribution.objects.filter(kind="dividend").values_list("household_id", "note"))
    assert notes[hh[1].pk].endswith(LACKING_NOTE)
    assert notes[hh[0].pk] == ""
    # Run again: the row exists now; nothing added twice, nothing listed as missing.
    again = asset_income_distribute(
        asset=station, year=YEAR, parts={"dividend": Decimal("1000")}, by=None
    )
    assert again.incomes_created == []
    assert dividend(hh[1]) == Decimal("300.00")


def test_over_distribution_refused_nothing_stored(station: Asset) -> None:
    hh = eligible(4)
    before = [dividend(h) for h in hh]
    with pytest.raises(FupinError) as e:
        asset_income_distribute(
            asset=station,
            year=YEAR,
            parts={"dividend": Decimal("30000"), "public_welfare_wages": Decimal("10000.01")},
            by=None,
        )
    assert e.value.code == "ASSET_OVER_DISTRIBUTED"
    assert not Distribution.objects.exists()
    assert [dividend(h) for h in hh] == before


def test_dividend_to_a_household_without_share_refused(station: Asset) -> None:
    outsider = eligible(5)[4]
    holder = eligible(1)[0]
    with pytest.raises(FupinError) as e:
        asset_income_distribute(
            asset=station,
            year=YEAR,
            parts={"dividend": Decimal("100")},
            dividends={holder.code: Decimal("60"), outsider.code: Decimal("40")},
            by=None,
        )
    assert e.value.code == "ASSET_NO_SHARE"
    assert e.value.details["errors"][0]["household"] == outsider.code
    assert not Distribution.objects.exists()


def test_explicit_dividends(station: Asset) -> None:
    hh = eligible(4)
    before = dividend(hh[3])
    asset_income_distribute(
        asset=station,
        year=YEAR,
        parts={"dividend": Decimal("100")},
        dividends={hh[3].code: Decimal("100")},
        by=None,
    )
    assert dividend(hh[3]) - before == Decimal("100.00")
    assert Distribution.objects.filter(kind="dividend").count() == 1


def test_no_shareholders_in_the_year(station: Asset) -> None:
    AssetShare.objects.update(to_year=YEAR - 1)
    with pytest.raises(FupinError) as e:
        asset_income_distribute(asset=station, year=YEAR, parts={"dividend": Decimal(1)}, by=None)
    assert e.value.code == "ASSET_NO_SHARE"


def test_distribution_needs_the_income(station: Asset) -> None:
    with pytest.raises(FupinError) as e:
        asset_income_distribute(asset=station, year=YEAR + 1, parts={}, by=None)
    assert e.value.code == "ASSET_NO_INCOME"


def test_income_record_refusals(station: Asset) -> None:
    with pytest.raises(FupinError) as e:
        asset_income_record(
            asset=station, year=YEAR, amount=Decimal("-1"), received_on=date(2017, 1, 1), by=None
        )
    assert e.value.code == "ASSET_NEGATIVE"
    asset_income_distribute(asset=station, year=YEAR, parts={"dividend": Decimal("500")}, by=None)
    with pytest.raises(FupinError) as e:
        asset_income_record(
            asset=station, year=YEAR, amount=Decimal("30000"), received_on=date(2017, 1, 1), by=None
        )
    # The whole 40,000 is distributed (500 dividend + 39,500 kept).
    assert e.value.code == "ASSET_OVER_DISTRIBUTED"
    assert AssetIncome.objects.get().amount == Decimal("40000.00")


def test_distribute_scope(station: Asset, village: Division) -> None:
    cadre = make_user("cadre", Role.VILLAGE_CADRE, village.code)
    with pytest.raises(FupinError) as e:
        asset_income_distribute(asset=station, year=YEAR, parts={}, by=cadre)
    assert e.value.code == "PERMISSION_DENIED"
    office = make_user("office", Role.COUNTY_OFFICE, COUNTY)
    asset_income_distribute(asset=station, year=YEAR, parts={"dividend": Decimal(1)}, by=office)
    assert Distribution.objects.filter(kind="dividend").exists()


# -- set-based: the query count does not grow with the households ----------------------------------


def _distribution_queries(project: Project, village: Division, n: int, code: str) -> int:
    hh = eligible(n)
    asset = register(project, village, code=code, shares_total=Decimal(n))
    asset_shares_set(asset=asset, shares=equal_shares(hh), by=None)
    asset_income_record(
        asset=asset, year=YEAR, amount=Decimal("50000"), received_on=date(2017, 3, 1), by=None
    )
    # One household in ten has no income row of the year (rows get created).
    HouseholdIncome.objects.filter(household__in=hh[::10], year=YEAR).delete()
    with CaptureQueriesContext(connection) as ctx:
        result = asset_income_distribute(
            asset=asset, year=YEAR, parts={"dividend": Decimal("50000")}, by=None
        )
    assert result.households == n
    assert sum(
        Distribution.objects.filter(income__asset=asset, kind="dividend").values_list(
            "amount", flat=True
        )
    ) == Decimal("50000")
    with CaptureQueriesContext(connection) as again:
        asset_income_distribute(
            asset=asset, year=YEAR, parts={"dividend": Decimal("50000")}, by=None
        )
    return len(ctx.captured_queries) * 1000 + len(again.captured_queries)


def test_query_count_does_not_grow_with_households(project: Project, village: Division) -> None:
    small = _distribution_queries(project, village, 10, "A-10")
    large = _distribution_queries(project, village, 200, "A-200")
    assert small == large


def test_dividend_to_a_holder_who_left_poverty_refused(station: Asset) -> None:
    holder = eligible(1)[0]
    Household.objects.filter(pk=holder.pk).update(status="exited")
    with pytest.raises(FupinError) as e:
        asset_income_distribute(asset=station, year=YEAR, parts={"dividend": Decimal(1)}, by=None)
    assert e.value.code == "ASSET_NOT_POOR"
    assert e.value.details["errors"][0]["household"] == holder.code
    assert not Distribution.objects.exists()
    # Withdrawn from the year on (谁贫困谁享受), the others are paid.
    AssetShare.objects.filter(household=holder).update(to_year=YEAR - 1)
    result = asset_income_distribute(
        asset=station, year=YEAR, parts={"dividend": Decimal(60)}, by=None
    )
    assert result.households == 3
    assert not Distribution.objects.filter(household=holder).exists()


def test_admin_lists_the_asset_models(station: Asset, client: Any) -> None:
    asset_income_distribute(asset=station, year=YEAR, parts={"dividend": Decimal(10)}, by=None)
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    for model in ("asset", "assetshare", "assetincome", "distribution"):
        response = client.get(f"/admin/funds/{model}/")
        assert response.status_code == 200, model
    assert "某村光伏电站" in client.get("/admin/funds/asset/").content.decode()


def test_zero_shares_do_not_count_and_nothing_is_lost(station: Asset) -> None:
    AssetShare.objects.update(shares=0)
    with pytest.raises(FupinError) as e:
        asset_income_distribute(asset=station, year=YEAR, parts={"dividend": Decimal(5)}, by=None)
    assert e.value.code == "ASSET_NO_SHARE"
    result = asset_income_distribute(
        asset=station, year=YEAR, parts={"public_welfare_wages": Decimal("100.50")}, by=None
    )
    assert result.parts == {
        "public_welfare_wages": Decimal("100.50"),
        "retained": Decimal("39899.50"),
    }
    total = sum(Distribution.objects.values_list("amount", flat=True))
    assert total == AssetIncome.objects.get().amount


def test_household_page_shows_the_dividend_and_its_source(station: Asset, client: Any) -> None:
    holder = eligible(1)[0]
    asset_income_distribute(asset=station, year=YEAR, parts={"dividend": Decimal("1000")}, by=None)
    client.force_login(make_user("office", Role.COUNTY_OFFICE, COUNTY))
    response = client.get(reverse("web:household_detail", args=[holder.code]))
    [row] = [r for r in response.context["income"]["rows"] if r["label"] == "资产收益扶贫分红收入"]
    assert row["values"][0] == dividend(holder)
    assert row["sources"][0] == DIVIDEND_SOURCE
    assert f"{dividend(holder):.2f}" in response.content.decode()
