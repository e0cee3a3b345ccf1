"""The explanation of one household and the bulk run in the database always agree.

Hypothesis draws random households (members of all ages, school status, insurance, income,
housing, water, missing facts); the same rule set is evaluated (a) one household at a time
through ``explain`` (DuckDB over that household's rows) and (b) for all of them at once by
``assessment_run`` (compiled SQL inside SQLite, or PostgreSQL in CI). The verdicts, failed
reason codes and per-capita income must be identical.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.assessment.models import AssessmentResult
from fupin.assessment.services import assessment_run, household_explain
from fupin.divisions.models import Division
from fupin.policy.parameters import DEFAULT_PARAMETERS, PovertyLine, StandardType, Verification
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member

VILLAGES = ("513431100001", "370102001001")
YEAR = 2016

members_st = st.lists(
    st.fixed_dictionaries(
        {
            # around the school-age boundaries (6 and 15 on 1 September) and beyond
            "birth_date": st.one_of(
                st.dates(dt.date(1930, 1, 1), dt.date(2016, 12, 31)),
                st.sampled_from(
                    [
                        dt.date(2010, 9, 1),
                        dt.date(2010, 9, 2),
                        dt.date(2000, 9, 1),
                        dt.date(2000, 9, 2),
                        dt.date(2000, 8, 31),
                        dt.date(2008, 2, 29),
                    ]
                ),
            ),
            # "" = not recorded (issue 14: blank is not "not in school")
            "school_status": st.sampled_from(["not_in_school", "primary", "junior", "senior", ""]),
            "school_exempt_physical": st.booleans(),
            "basic_medical": st.booleans(),
        }
    ),
    min_size=0,
    max_size=6,
)
money = st.decimals(min_value=0, max_value=40000, places=2)
income_st = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "household_size": st.integers(1, 8),
            "wage": money,
            "operating_income": money,
            "transfer_dibao": money,
            "operating_cost": money,
        }
    ),
)
conditions_st = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "house_grade": st.sampled_from(["safe", "C", "D", ""]),  # "" = not recorded
            "food_secure": st.one_of(st.none(), st.booleans()),
            "clothing_secure": st.one_of(st.none(), st.booleans()),
            "water_safe": st.one_of(st.none(), st.booleans()),
            "water_difficult": st.one_of(st.none(), st.booleans()),  # 饮水困难 (issue 14)
        }
    ),
)
household_st = st.fixed_dictionaries(
    {
        "village": st.sampled_from(VILLAGES),
        "standard": st.sampled_from(["national", "provincial"]),
        "members": members_st,
        "income": income_st,
        "conditions": conditions_st,
    }
)

# A provincial standard for Shandong (37) above the national line, to exercise region lookup.
PARAMS = DEFAULT_PARAMETERS.with_lines(
    [PovertyLine(YEAR, Decimal("3322"), StandardType.PROVINCIAL, "37", Verification.LOCAL)]
)


@pytest.fixture
def villages(db):
    for code in VILLAGES:
        for length, level in ((2, 1), (4, 2), (6, 3), (9, 4), (12, 5)):
            Division.objects.get_or_create(
                code=code[:length], defaults={"name": code[:length], "level": level}
            )


def _store(households: list[dict]) -> list[Household]:
    Household.objects.all().delete()
    stored = []
    serial = 0
    for i, spec in enumerate(households):
        h = Household.objects.create(
            code=f"H{i:05d}",
            village_id=spec["village"],
            standard=spec["standard"],
            main_cause="illness",
            first_identified_year=2014,
        )
        for j, m in enumerate(spec["members"]):
            serial += 1
            Member.objects.create(
                household=h,
                id_number=f"{serial:018d}",
                id_key=serial,
                name=f"成员{j}",
                sex="male",
                relation="head" if j == 0 else "other",
                ethnicity="01",
                **m,
            )
        if spec["income"] is not None:
            HouseholdIncome.objects.create(
                household=h,
                year=YEAR,
                period_start=dt.date(YEAR, 1, 1),
                period_end=dt.date(YEAR, 12, 31),
                **spec["income"],
            )
        if spec["conditions"] is not None:
            LivingConditions.objects.create(household=h, **spec["conditions"])
        stored.append(h)
    return stored


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(households=st.lists(household_st, min_size=1, max_size=8))
def test_explanation_agrees_with_bulk_run(villages, households):
    stored = _store(households)
    run = assessment_run(year=YEAR, parameters=PARAMS)
    assert run.household_count == len(stored)
    results = {r.household_id: r for r in AssessmentResult.objects.filter(run=run)}
    for h in stored:
        explanation = household_explain(household=h, year=YEAR, parameters=PARAMS)
        bulk = results[h.pk]
        assert bulk.meets_standard == explanation.meets_standard
        assert tuple(filter(None, bulk.failed_codes.split("|"))) == explanation.failed_codes
        assert bulk.income_above_line == ("INCOME_ABOVE_LINE" not in explanation.failed_codes)
        pc = explanation.facts["per_capita_net_income"]
        if pc is None:
            assert bulk.per_capita_net_income is None
        else:
            assert abs(float(bulk.per_capita_net_income) - pc) <= 0.011
        assert Decimal(bulk.poverty_line) == explanation.line.amount
