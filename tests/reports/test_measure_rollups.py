"""The assistance figures of the rollups (paired and measured households on ``DivisionRollup``,
measures by category in ``MeasureRollup``) agree with the live counts of
``fupin.measures.selectors`` at every level, after a full refresh and after a marked change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Exists, OuterRef
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.divisions.selectors import subtree_q
from fupin.measures import bulk, selectors, services
from fupin.measures.models import Measure, Pairing
from fupin.measures.rollup import assistance_rollup
from fupin.policy import measures as pm
from fupin.registry.models import Household
from fupin.reports import services as reports_services
from fupin.reports.models import NATIONAL, DivisionRollup, MeasureRollup
from fupin.reports.services import rollups_refresh, rollups_refresh_dirty

COUNTY = "513431"
YEARS = (2016, 2017)
TODAY = date(2017, 12, 31)


def _live_without_measure(code: str, year: int) -> int:
    """Poor households under ``code`` without a measure **of the year** carried out (the live
    ``households_without_measure`` counts any year)."""
    done = Measure.objects.filter(household_id=OuterRef("pk"), year=year, status__in=pm.CARRIED_OUT)
    qs = Household.objects.filter(status__in=selectors.ASSISTED).exclude(Exists(done))
    if code:
        qs = qs.filter(subtree_q(code, field="village__code"))
    return qs.count()


def _by_category(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int, Decimal]]:
    return {r["category"]: (r["n"], r["households"], Decimal(r["amount"] or 0)) for r in rows}


def _assert_agrees(code: str, year: int) -> None:
    live = selectors.assistance_summary(code, year=year, as_of=TODAY)
    rolled = assistance_rollup(code, year=year, as_of=TODAY)
    assert rolled.poor == live.poor, (code, year)
    assert rolled.unpaired == live.unpaired, (code, year)
    assert rolled.without_measure == _live_without_measure(code, year), (code, year)
    assert rolled.overdue == live.overdue
    assert _by_category(rolled.measures) == _by_category(live.measures), (code, year)


def _divisions() -> list[str]:
    """A village, its township, the county, the prefecture, the province and the country."""
    village = str(
        Measure.objects.filter(year=YEARS[0])
        .order_by("household__village_id")
        .values_list("household__village_id", flat=True)
        .first()
    )
    return [village, village[:9], village[:6], village[:4], village[:2], NATIONAL]


@pytest.fixture
def assisted(registry: Path) -> None:
    """The county with plans and measures for two years and a 帮扶责任人 for most poor
    households: some pairings ended, some measures cancelled or only planned."""
    start = date(YEARS[0], 1, 1)
    bulk.cadres_generate(county_code=COUNTY, year=YEARS[0], seed=3, start=start)
    for n, year in enumerate(YEARS):
        bulk.plans_from_suggestions(division_code=COUNTY, year=year)
        bulk.measures_generate(
            division_code=COUNTY, year=year, seed=11 + n, share=0.6 + 0.2 * n, today=TODAY
        )
    ended = list(Pairing.objects.order_by("household_id").values_list("pk", flat=True)[::7])
    Pairing.objects.filter(pk__in=ended).update(end=date(YEARS[1], 6, 30))
    some = list(Measure.objects.order_by("pk").values_list("pk", flat=True))
    Measure.objects.filter(pk__in=some[::5]).update(status="cancelled")
    Measure.objects.filter(pk__in=some[1::9]).update(status="planned")
    rollups_refresh()


def test_the_assisted_statuses_are_the_selectors(assisted: None) -> None:
    assert reports_services.ASSISTED == selectors.ASSISTED


def test_a_full_refresh_equals_the_live_counts_at_every_level_for_two_years(
    assisted: None,
) -> None:
    divisions = _divisions()
    assert len(set(divisions)) == 6
    for year in YEARS:
        live = selectors.assistance_summary(COUNTY, year=year, as_of=TODAY)
        # The registry is not trivial for the counts compared.
        assert live.poor > 50 and 0 < live.unpaired < live.poor and live.measures
        assert 0 < _live_without_measure(COUNTY, year) < live.poor
        for code in divisions:
            _assert_agrees(code, year)
    # The two years differ (measured households and measures by year).
    a, b = (assistance_rollup(COUNTY, year=y, as_of=TODAY) for y in YEARS)
    assert a.without_measure != b.without_measure
    assert _by_category(a.measures) != _by_category(b.measures)


def test_the_amounts_are_exact_decimal_sums(assisted: None) -> None:
    rows = MeasureRollup.objects.filter(division_code=NATIONAL, year=YEARS[0])
    row = rows.order_by("-measures")[0]
    amounts = Measure.objects.filter(
        year=YEARS[0], category=row.category, status__in=pm.CARRIED_OUT
    ).values_list("amount", flat=True)
    expected = sum((a for a in amounts if a is not None), Decimal(0))
    assert expected > 0
    assert row.amount == expected and isinstance(row.amount, Decimal)


def test_a_measure_recorded_and_a_pairing_assigned_through_the_services_update_the_figures(
    assisted: None,
) -> None:
    paired = Pairing.objects.filter(household_id=OuterRef("pk"), end__isnull=True)
    measured = Measure.objects.filter(
        household_id=OuterRef("pk"), year=YEARS[0], status__in=pm.CARRIED_OUT
    )
    household = (
        Household.objects.filter(subtree_q(COUNTY, field="village__code"), status="poor")
        .exclude(Exists(paired))
        .exclude(Exists(measured))
        .order_by("code")
        .first()
    )
    assert household is not None
    village = household.village_id
    before = assistance_rollup(village, year=YEARS[0], as_of=TODAY)
    services.measure_record(
        household_code=household.code,
        data={
            "category": "health",
            "subtype": "health.contract",
            "year": str(YEARS[0]),
            "start": f"{YEARS[0]}-03-01",
            "amount": "120",
            "content": "家庭医生签约",
        },
        by=None,
    )
    cadre = services.cadre_create(county_code=COUNTY, name="王芳", unit="昭觉县教育局", by=None)
    services.pairing_assign(
        household_code=household.code, cadre=cadre, start=date(YEARS[0], 2, 1), by=None
    )
    report = rollups_refresh_dirty()
    assert report.villages >= 1
    after = assistance_rollup(village, year=YEARS[0], as_of=TODAY)
    assert after.without_measure == before.without_measure - 1
    assert after.unpaired == before.unpaired - 1
    health = _by_category(after.measures)["health"]
    assert health[0] == _by_category(before.measures).get("health", (0, 0, 0))[0] + 1
    for code in (village, COUNTY, NATIONAL):
        _assert_agrees(code, YEARS[0])


def test_a_generated_year_marks_its_villages_dirty(registry: Path) -> None:
    rollups_refresh()
    start = date(YEARS[0], 1, 1)
    bulk.cadres_generate(county_code=COUNTY, year=YEARS[0], seed=3, start=start)
    bulk.plans_from_suggestions(division_code=COUNTY, year=YEARS[0])
    bulk.measures_generate(division_code=COUNTY, year=YEARS[0], seed=5, today=TODAY)
    assert rollups_refresh_dirty().villages > 0
    _assert_agrees(COUNTY, YEARS[0])
    _assert_agrees(NATIONAL, YEARS[0])


# -- property: the levels are sums of the level below and equal the live counts ---------------

changes = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10**6),  # which household (modulo their number)
        st.sampled_from(("unpair", "measure", "cancel")),
        st.sampled_from(pm.MEASURE_CATEGORY.codes[:4]),
        st.sampled_from(YEARS),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=changes)
def test_the_sums_up_the_levels_equal_the_live_counts(
    assisted: None, changes: list[tuple[int, str, str, int]]
) -> None:
    ids = list(
        Household.objects.filter(status__in=selectors.ASSISTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for n, what, category, year in changes:
            hid = ids[n % len(ids)]
            if what == "unpair":
                Pairing.objects.filter(household_id=hid).update(end=date(YEARS[1], 12, 1))
            elif what == "cancel":
                Measure.objects.filter(household_id=hid, year=year).update(status="cancelled")
            else:
                Measure.objects.create(
                    household_id=hid,
                    year=year,
                    category=category,
                    start=date(year, 5, 1),
                    status="done",
                    amount=Decimal("100.50"),
                )
        rollups_refresh(division_code=COUNTY)
        for year in YEARS:
            for code in _divisions():
                _assert_agrees(code, year)
            # Each level's row is the sum of its children's rows.
            for parent, length in ((COUNTY, 9), (COUNTY[:4], 6), (NATIONAL, 2)):
                rows = DivisionRollup.objects.filter(year=year)
                kids = rows.filter(division_code__startswith=parent).filter(
                    level={9: 4, 6: 3, 2: 1}[length]
                )
                top = rows.get(division_code=parent)
                for column in ("paired_households", "measured_households"):
                    assert getattr(top, column) == sum(kids.values_list(column, flat=True))
        transaction.set_rollback(True)
