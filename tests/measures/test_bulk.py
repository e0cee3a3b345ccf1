"""Bulk plans from the suggestion, and the generator of measures, pairings, visits and work
teams for the demo (on the small generated 昭觉县 registry)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Min

from fupin.measures import bulk, selectors
from fupin.measures.models import (
    Attendance,
    Cadre,
    Measure,
    Pairing,
    Plan,
    PlanItem,
    Visit,
    WorkTeam,
)
from fupin.measures.services import age_on, plan_save
from fupin.policy import measures as pm
from fupin.registry.models import Household, LivingConditions, Member

COUNTY = "513431"
YEAR = 2016
TODAY = date(2017, 3, 15)

pytestmark = pytest.mark.django_db


def _poor() -> int:
    return Household.objects.filter(
        village_id__gte=COUNTY, village_id__lte=COUNTY + "999999", status__in=selectors.ASSISTED
    ).count()


def test_plans_from_suggestions_gives_every_poor_household_without_a_plan_one(
    registry, poor_household
):
    plan_save(
        household_code=poor_household.code,
        year=YEAR,
        items=[{"category": "industry", "subtype": "industry.breeding", "note": "养牛"}],
        by=None,
    )
    missing = selectors.plans_missing(COUNTY, YEAR).count()
    assert missing == _poor() - 1 > 100

    created = bulk.plans_from_suggestions(division_code=COUNTY, year=YEAR)

    assert created == missing
    assert selectors.plans_missing(COUNTY, YEAR).count() == 0
    assert Plan.objects.filter(year=YEAR).count() == _poor()
    # the plan made by hand keeps its own item
    mine = Plan.objects.get(household=poor_household, year=YEAR)
    assert list(mine.items.values_list("category", "suggestion", "note")) == [
        ("industry", "", "养牛")
    ]
    assert PlanItem.objects.filter(suggestion="").count() == 1
    assert Plan.objects.filter(year=YEAR, source="import").count() == created


def test_plan_items_equal_the_suggestion_of_each_household(registry):
    bulk.plans_from_suggestions(division_code=COUNTY, year=YEAR)
    sample = list(
        Household.objects.filter(status="poor", plans__year=YEAR)
        .annotate(n=Count("plans__items"))
        .filter(n__gte=2)
        .order_by("code")[:6]
    )
    assert len(sample) == 6
    for household in sample:
        expected = [
            (s.category, s.subtypes[0], s.code, s.sentence())
            for s in selectors.household_suggestions(household, YEAR)
        ]
        items = PlanItem.objects.filter(plan__household=household, plan__year=YEAR).order_by("pk")
        assert list(items.values_list("category", "subtype", "suggestion", "note")) == expected
        assert all(i.member_id is None and i.amount is None for i in items)


def test_every_suggestion_subtype_belongs_to_its_category(registry):
    bulk.plans_from_suggestions(division_code=COUNTY, year=YEAR)
    pairs = set(PlanItem.objects.values_list("category", "subtype"))
    assert pairs and all(pm.subtype_category(sub) == cat for cat, sub in pairs)


def test_plans_from_suggestions_twice_adds_nothing_and_replace_remakes_them(registry):
    first = bulk.plans_from_suggestions(division_code=COUNTY, year=YEAR)
    items = PlanItem.objects.count()
    assert first > 0 and items > first

    assert bulk.plans_from_suggestions(division_code=COUNTY, year=YEAR) == 0
    assert PlanItem.objects.count() == items

    PlanItem.objects.filter(pk=PlanItem.objects.order_by("pk").values("pk")[:1]).delete()
    assert bulk.plans_from_suggestions(division_code=COUNTY, year=YEAR, replace=True) == first
    assert PlanItem.objects.count() == items
    assert Plan.objects.filter(year=YEAR).count() == first


def test_plans_from_suggestions_stay_inside_the_division(registry):
    village = (
        Household.objects.filter(status="poor")
        .order_by("village_id")
        .values_list("village_id", flat=True)[0]
    )
    created = bulk.plans_from_suggestions(division_code=village, year=YEAR)
    assert (
        created
        == Household.objects.filter(village_id=village, status__in=selectors.ASSISTED).count()
    )
    assert set(Plan.objects.values_list("household__village_id", flat=True)) == {village}


def _facts(m: Measure, members: list[Member], grade: str) -> pm.MeasureFacts:
    def facts(x: Member) -> pm.MemberFacts:
        return pm.MemberFacts(
            age=age_on(x.birth_date, m.start),
            labour_capacity=x.labour_capacity,
            health=x.health,
            dibao=x.dibao,
            tekun=x.tekun,
        )

    target = next((x for x in members if x.pk == m.member_id), None)
    return pm.MeasureFacts(
        category=m.category,
        subtype=m.subtype,
        amount=m.amount,
        start=m.start,
        end=m.end,
        term_months=m.term_months,
        purpose=m.purpose,
        reason=m.reason,
        household_status=m.household.status,
        household_attribute=m.household.attribute,
        house_grade=grade,
        members=[facts(x) for x in members],
        target=facts(target) if target is not None else None,
    )


@pytest.fixture
def generated(registry):
    bulk.plans_from_suggestions(division_code=COUNTY, year=YEAR)
    bulk.cadres_generate(county_code=COUNTY, year=YEAR, seed=1)
    n = bulk.measures_generate(division_code=COUNTY, year=YEAR, seed=2, today=TODAY)
    return n


def test_measures_are_carried_out_for_most_poor_households(generated):
    assert generated == Measure.objects.filter(year=YEAR).count() > 0
    poor = _poor()
    without = selectors.households_without_measure(COUNTY).count()
    assert 0.70 <= (poor - without) / poor <= 0.95
    # drawn from the household's own plan
    planned = set(PlanItem.objects.values_list("plan__household_id", "category"))
    assert set(Measure.objects.values_list("household_id", "category")) <= planned
    dates = Measure.objects.aggregate(lo=Min("start"), hi=Max("start"), end=Max("end"))
    assert dates["lo"] >= date(YEAR, 1, 1) and dates["hi"] <= date(YEAR, 12, 31)
    assert dates["end"] is None or dates["end"] <= TODAY
    # the paired cadre is responsible
    assert not Measure.objects.filter(cadre__isnull=True).exists()


def test_generated_measures_pass_the_rules(generated):
    sample = list(Measure.objects.select_related("household").order_by("?")[:150])
    loans = list(Measure.objects.select_related("household").filter(category="microcredit"))
    assert loans, "the sample registry has households lacking capital with a borrower"
    ids = {m.household_id for m in sample + loans}
    members: dict[int, list[Member]] = {}
    for x in Member.objects.filter(household_id__in=ids):
        members.setdefault(x.household_id, []).append(x)
    grades = dict(
        LivingConditions.objects.filter(household_id__in=ids).values_list(
            "household_id", "house_grade"
        )
    )
    for m in sample + loans:
        refusals = pm.check(_facts(m, members[m.household_id], grades.get(m.household_id, "")))
        assert refusals == [], (m.category, m.subtype, refusals)
    for loan in loans:
        borrower = next(x for x in members[loan.household_id] if x.pk == loan.member_id)
        assert 18 <= age_on(borrower.birth_date, loan.start) <= 65
        assert loan.purpose == "production" and loan.amount <= Decimal("50000")
        assert loan.term_months is not None and loan.term_months <= 36


def test_measure_amounts_are_plausible_per_category(generated):
    for category, lo, hi in Measure.objects.values_list("category").annotate(
        lo=Min("amount"), hi=Max("amount")
    ):
        low, high, _step = bulk.AMOUNTS[category]
        assert low <= lo <= hi <= high, category


def test_measures_generate_twice_adds_nothing(generated):
    assert bulk.measures_generate(division_code=COUNTY, year=YEAR, seed=2, today=TODAY) == 0


def test_every_poor_household_has_a_cadre_with_at_most_five_households(registry):
    cadres = bulk.cadres_generate(county_code=COUNTY, year=YEAR, seed=1)
    assert cadres == Cadre.objects.count() > 0
    assert selectors.unpaired_households(COUNTY).count() == 0
    loads = Counter(Pairing.objects.values_list("cadre_id", flat=True))
    assert max(loads.values()) <= 5 and len(loads) == cadres
    assert set(Pairing.objects.values_list("start", flat=True)) == {date(YEAR, 1, 1)}
    # a cadre helps households of one village
    villages = Pairing.objects.values("cadre_id").annotate(
        n=Count("household__village_id", distinct=True)
    )
    assert {v["n"] for v in villages} == {1}
    assert bulk.cadres_generate(county_code=COUNTY, year=YEAR, seed=1) == 0


def test_generators_are_deterministic_from_the_seed(registry):
    bulk.cadres_generate(county_code=COUNTY, year=YEAR, seed=5)
    first = list(Cadre.objects.order_by("pk").values_list("name", "unit", "phone"))
    loads = list(Pairing.objects.order_by("pk").values_list("household_id", flat=True))
    Pairing.objects.all().delete()
    Cadre.objects.all().delete()
    bulk.cadres_generate(county_code=COUNTY, year=YEAR, seed=5)
    assert list(Cadre.objects.order_by("pk").values_list("name", "unit", "phone")) == first
    assert list(Pairing.objects.order_by("pk").values_list("household_id", flat=True)) == loads


def test_visits_are_roughly_monthly_never_in_the_future_and_some_overdue(registry):
    bulk.cadres_generate(county_code=COUNTY, year=YEAR, seed=1)
    visits = bulk.visits_generate(county_code=COUNTY, seed=3, today=TODAY)
    pairings = Pairing.objects.count()
    assert visits == Visit.objects.count()
    assert 9 <= visits / pairings <= 15
    span = Visit.objects.aggregate(lo=Min("date"), hi=Max("date"))
    assert span["hi"] <= TODAY and span["lo"] >= TODAY - timedelta(days=365)
    assert span["lo"] >= date(YEAR, 1, 1)  # not before the pairing began
    # every visit is by the household's paired cadre
    paired = set(Pairing.objects.values_list("household_id", "cadre_id"))
    assert set(Visit.objects.values_list("household_id", "cadre_id")) == paired
    overdue = selectors.overdue_visits(COUNTY, as_of=TODAY).count()
    assert overdue > 0 and 0.05 <= overdue / pairings <= 0.15
    assert bulk.visits_generate(county_code=COUNTY, seed=3, today=TODAY) == 0


def test_visits_of_a_pairing_begun_recently_start_with_it(registry, cadre, poor_household):
    bulk.cadres_generate(county_code=COUNTY, year=YEAR, seed=1)
    start = TODAY - timedelta(days=70)
    Pairing.objects.create(household=poor_household, cadre=cadre, start=start, order="second")
    bulk.visits_generate(county_code=COUNTY, seed=3, today=TODAY)
    dates = list(Visit.objects.filter(cadre=cadre).values_list("date", flat=True))
    assert dates and all(start <= d <= TODAY for d in dates)


def test_one_work_team_per_village_and_exactly_one_below_the_presence_rule(registry):
    made = bulk.teams_generate(county_code=COUNTY, year=YEAR, seed=4, today=date(2017, 1, 20))
    villages = set(
        Household.objects.filter(status__in=selectors.ASSISTED).values_list("village_id", flat=True)
    )
    assert made.teams == WorkTeam.objects.count() == len(villages)
    assert set(WorkTeam.objects.values_list("village_id", flat=True)) == villages
    assert made.attendance == Attendance.objects.count() == made.members * 12
    teams = selectors.team_presence(COUNTY, YEAR)
    assert len(teams) == made.teams
    below = [t for t in teams if t.below_rule]
    assert len(below) == 1 and below[0].team.village_id == made.below_village
    assert [m.member.role for m in below[0].below_rule] == ["first_secretary"]
    for t in teams:
        assert t.size_ok and t.first_secretary is not None and 3 <= len(t.members) <= 4
    assert all(m.months == 12 for t in teams for m in t.members)
    assert bulk.teams_generate(county_code=COUNTY, year=YEAR, seed=4).teams == 0
