"""The import's batched measure rules (``fupin.measures.imports.rules``) refuse exactly what the
services refuse: ``pm.check`` on a household's members reduced to their day-independent facts
gives the same refusals, code and message, as on the full members (property test on generated
facts with the edge values: 50,000 yuan exactly, 36 months exactly, borrowers of 17/18/65/66,
blanks); and ``MeasureRules.problems`` equals ``services.measure_problems`` row for row on the
households of the registry, the target member 18 and 65 on the start day exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.measures import services
from fupin.measures.imports.rules import (
    HOUSEHOLD_RULES,
    MeasureRules,
    blank_household,
    reduced_members,
)
from fupin.policy import codes
from fupin.policy import measures as pm
from fupin.registry.models import Household, Member

CATEGORIES = [*pm.MEASURE_CATEGORY.codes, "no_such_category"]
SUBTYPES = ["", *pm.MEASURE_SUBTYPE.codes, "no_such.subtype", "temporary"]
CAPACITIES = ["", *codes.LABOUR_CAPACITY.codes]
HEALTH = list(codes.HEALTH.codes)
STATUSES = ["poor", "returned", "exited_with_policy", "exited", "monitored", "non_poor", ""]
AMOUNTS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            Decimal("50000"),
            Decimal("50000.00"),
            Decimal("50000.01"),
            Decimal("49999.99"),
            Decimal("0"),
            Decimal("-0.01"),
            Decimal("-1.0"),
            Decimal("-1.00"),
            Decimal("1234.5"),
        ]
    ),
    st.decimals(min_value=-100_000, max_value=200_000, places=2, allow_nan=False),
)
DAYS = st.one_of(st.none(), st.dates(min_value=date(2013, 1, 1), max_value=date(2030, 12, 31)))

members = st.builds(
    pm.MemberFacts,
    age=st.one_of(st.none(), st.sampled_from([0, 17, 18, 40, 65, 66, 90])),
    labour_capacity=st.sampled_from(CAPACITIES),
    health=st.sampled_from(HEALTH),
    dibao=st.booleans(),
    tekun=st.booleans(),
)
facts = st.builds(
    pm.MeasureFacts,
    category=st.sampled_from(CATEGORIES),
    subtype=st.sampled_from(SUBTYPES),
    amount=AMOUNTS,
    start=DAYS,
    end=DAYS,
    term_months=st.one_of(st.none(), st.sampled_from([0, 1, 12, 35, 36, 37, 60])),
    purpose=st.sampled_from(["", *pm.LOAN_PURPOSE.codes, "unknown"]),
    reason=st.sampled_from(["", "  ", "灾后临时困难"]),
    household_status=st.sampled_from(STATUSES),
    household_attribute=st.sampled_from(["general", "dibao", "tekun", ""]),
    house_grade=st.sampled_from(["", "safe", "A", "B", "C", "D"]),
    members=st.lists(members, max_size=7).map(tuple),
    target=st.one_of(st.none(), members),
)


def refusals(f: pm.MeasureFacts, p: pm.MeasureParameters) -> list[tuple[str, str]]:
    return [(r.code.value, r.message) for r in pm.check(f, p)]


@settings(max_examples=3000, deadline=None)
@given(f=facts)
def test_reduced_members_refuse_exactly_what_check_refuses(f: pm.MeasureFacts) -> None:
    reduced = replace(f, members=reduced_members(f.members))
    assert refusals(reduced, pm.DEFAULT_PARAMETERS) == refusals(f, pm.DEFAULT_PARAMETERS)


@settings(max_examples=3000, deadline=None)
@given(f=facts)
def test_the_imports_key_refuses_exactly_what_check_refuses(f: pm.MeasureFacts) -> None:
    """The facts the import keys its memo on (dates only when the end is before the start,
    no household outside ``HOUSEHOLD_RULES``) give the very refusals of the full facts."""
    assert refusals(blank_household(f), pm.DEFAULT_PARAMETERS) == refusals(f, pm.DEFAULT_PARAMETERS)


def test_household_rules_are_the_categories_that_read_the_household() -> None:
    assert {"microcredit", "safety_net", "public_post", "housing"} <= HOUSEHOLD_RULES
    assert set(pm.MEASURE_CATEGORY.codes) >= HOUSEHOLD_RULES


@settings(max_examples=500, deadline=None)
@given(f=facts, cap=st.sampled_from([Decimal("0"), Decimal("20000"), Decimal("50000")]))
def test_reduced_members_with_provincial_caps(f: pm.MeasureFacts, cap: Decimal) -> None:
    p = pm.MeasureParameters(
        amount_caps={"housing": cap, "public_post": cap, "industry": cap},
        loan_statuses=("poor", "monitored"),
    )
    reduced = replace(f, members=reduced_members(f.members))
    assert refusals(reduced, p) == refusals(f, p)
    assert refusals(blank_household(f), p) == refusals(f, p)


def test_reduced_members_keep_one_of_each_and_drop_ages() -> None:
    a = pm.MemberFacts(age=30, labour_capacity="weak", health="healthy")
    b = pm.MemberFacts(age=70, labour_capacity="weak", health="healthy")
    c = pm.MemberFacts(age=5, labour_capacity="", health="disabled", dibao=True)
    out = reduced_members([a, b, c])
    assert out == (
        pm.MemberFacts(age=None, labour_capacity="", health="disabled", dibao=True),
        pm.MemberFacts(age=None, labour_capacity="weak", health="healthy"),
    )


def _context(household: Household) -> services.HouseholdContext:
    return services.household_context(household)


def _input(**kw: Any) -> services.MeasureInput:
    base = services.MeasureInput(
        year=2018,
        category="industry",
        subtype="",
        content="",
        project="",
        unit="",
        amount=None,
        start=date(2018, 3, 1),
        end=None,
        status="in_progress",
        member_id_number="",
        cadre_id=None,
        term_months=None,
        purpose="",
        reason="",
        evidence="",
    )
    return replace(base, **kw)


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return date(born.year + years, 3, 1)


@pytest.mark.django_db
def test_measure_rules_equal_measure_problems_on_the_registry(registry: Path) -> None:
    p = pm.DEFAULT_PARAMETERS
    rules = MeasureRules(p)
    households = list(Household.objects.order_by("code")[:60])
    assert households
    checked = refused = 0
    for household in households:
        ctx = _context(household)
        people: list[Member | None] = [None, *list(ctx.members.values())[:3]]
        for person in people:
            starts = [date(2018, 3, 1)]
            if person is not None and person.birth_date:
                # 18 and 65 on the start day exactly, and the day before each
                for years in (18, 65, 66):
                    day = _birthday(person.birth_date, years)
                    starts += [day, date.fromordinal(day.toordinal() - 1)]
            for start in starts:
                for category, subtype, amount, term, purpose, reason in (
                    ("microcredit", "", Decimal("50000"), 36, "production", ""),
                    ("microcredit", "", Decimal("50000.01"), 37, "", ""),
                    ("safety_net", "", None, None, "", ""),
                    ("safety_net", "safety_net.temporary", None, None, "", ""),
                    ("public_post", "", Decimal("-1.0"), None, "", ""),
                    ("public_post", "", Decimal("-1.00"), None, "", "弱劳动力不足"),
                    ("housing", "", Decimal("20000"), None, "", ""),
                    ("industry", "", Decimal("3000"), None, "", ""),
                ):
                    m = _input(
                        category=category,
                        subtype=subtype,
                        amount=amount,
                        term_months=term,
                        purpose=purpose,
                        reason=reason,
                        start=start,
                        member_id_number=person.id_number if person is not None else "",
                    )
                    got, got_member = rules.problems(m, ctx)
                    want, want_member = services.measure_problems(m, ctx, p)
                    assert got == want, (household.code, m)
                    assert got_member == want_member
                    checked += 1
                    refused += bool(want)
    assert checked > 1000
    assert 0 < refused < checked


@pytest.mark.django_db
def test_measure_rules_send_strangers_to_the_services(registry: Path) -> None:
    household = Household.objects.order_by("code").first()
    assert household is not None
    ctx = _context(household)
    rules = MeasureRules(pm.DEFAULT_PARAMETERS)
    for m in (
        _input(category="microcredit", member_id_number="513431199001010000"),
        _input(beneficiary_id_numbers=("513431199001010000",)),
    ):
        got, _ = rules.problems(m, ctx)
        want, _ = services.measure_problems(m, ctx, pm.DEFAULT_PARAMETERS)
        assert got == want
        assert any(fp.code == "MEASURES_UNKNOWN_MEMBER" for fp in got)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    category=st.sampled_from(CATEGORIES),
    amount=AMOUNTS,
    start=st.dates(min_value=date(1960, 1, 1), max_value=date(2030, 12, 31)),
    term=st.one_of(st.none(), st.sampled_from([35, 36, 37])),
    purpose=st.sampled_from(["", "production", "house"]),
    reason=st.sampled_from(["", " ", "理由"]),
    pick=st.integers(min_value=0, max_value=10_000),
    with_member=st.booleans(),
)
@pytest.mark.django_db
def test_measure_rules_equal_measure_problems_generated(
    registry: Path,
    category: str,
    amount: Decimal | None,
    start: date,
    term: int | None,
    purpose: str,
    reason: str,
    pick: int,
    with_member: bool,
) -> None:
    households = list(Household.objects.order_by("code")[:40])
    household = households[pick % len(households)]
    ctx = _context(household)
    ids = sorted(ctx.members)
    member = ids[pick % len(ids)] if with_member and ids else ""
    m = _input(
        category=category,
        amount=amount,
        start=start,
        term_months=term,
        purpose=purpose,
        reason=reason,
        member_id_number=member,
    )
    p = pm.DEFAULT_PARAMETERS
    assert MeasureRules(p).problems(m, ctx) == services.measure_problems(m, ctx, p)
