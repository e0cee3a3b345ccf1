"""Funds, pure rules: the factor method allocates every fen exactly (largest remainder), never
negative, monotone in each factor; blanks are refused by unit and factor, never read as zero;
project, transition, payment and allocation rules refuse with stable codes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy import funds as f
from fupin.policy.funds import FundCode

FACTORS = [x.code for x in f.DEFAULT_FACTORS]

value = st.integers(0, 10**6).map(Decimal) | st.decimals(
    "0", "100", places=2, allow_nan=False, allow_infinity=False
)
positive = st.integers(1, 10**6).map(Decimal)
unit_values = st.fixed_dictionaries(
    {c: (positive if f.DEFAULT_PARAMETERS.factor(c).inverse else value) for c in FACTORS}
)
units = st.lists(unit_values, min_size=1, max_size=8)
totals = st.integers(1, 10**12).map(lambda n: Decimal(n) / 100)


def make(values: Sequence[Mapping[str, Any]]) -> list[f.FactorInputs]:
    return [f.FactorInputs(f"5134{i:02d}", v, name=f"县{i}") for i, v in enumerate(values)]


@settings(max_examples=200, deadline=None)
@given(totals, units)
def test_shares_sum_exactly_to_the_total_and_none_is_negative(
    total: Decimal, values: list[dict[str, Decimal]]
) -> None:
    out = f.allocate_by_factors(total, make(values))
    assert sum(a.amount for a in out) == total
    assert all(a.amount >= 0 for a in out)
    assert all(a.amount == a.amount.quantize(f.FEN) for a in out)
    # each share is its exact quota rounded down or up by less than one fen
    assert all(abs(Fraction(a.amount) - a.quota) < Fraction(1, 100) for a in out)
    # the factor parts explain the quota exactly
    assert all(sum(s.amount for s in a.parts) == a.quota for a in out)


@settings(max_examples=200, deadline=None)
@given(totals, units, st.data())
def test_share_is_monotone_in_each_factor(
    total: Decimal, values: list[dict[str, Decimal]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(values) - 1))
    code = data.draw(st.sampled_from(FACTORS))
    more = data.draw(st.integers(1, 10**6).map(Decimal))
    inverse = f.DEFAULT_PARAMETERS.factor(code).inverse
    changed = [dict(v) for v in values]
    # "more" of a factor: a larger value, or for the inverse factor (income) a smaller one
    old = changed[i][code]
    changed[i][code] = old / (1 + more) if inverse else old + more
    before = f.allocate_by_factors(total, make(values))[i]
    after = f.allocate_by_factors(total, make(changed))[i]
    assert after.quota >= before.quota
    # rounding to fen can cost at most the one fen a remainder gave before
    assert after.amount >= before.amount - f.FEN


def test_largest_remainder_gives_left_over_fen_to_the_largest_remainders() -> None:
    # 100 fen in thirds: 33.33… each, the left-over fen goes to the first (ties by position)
    assert f.largest_remainder(100, [Fraction(1, 3)] * 3) == [34, 33, 33]
    assert f.largest_remainder(10, [Fraction(1, 4), Fraction(3, 4)]) == [3, 7]  # 2.5 / 7.5


def test_a_factor_with_all_zero_values_gives_its_weight_to_the_others() -> None:
    values = [
        {"poor_population": 1, "incidence": 1, "income": 1, "deep_poverty": 0, "performance": 1},
        {"poor_population": 3, "incidence": 3, "income": 1, "deep_poverty": 0, "performance": 3},
    ]
    out = f.allocate_by_factors(Decimal("900"), make(values))
    assert sum(a.amount for a in out) == Decimal("900")
    deep = next(s for s in out[0].parts if s.factor == "deep_poverty")
    assert deep.weight == 0 and deep.amount == 0
    assert "合计分配" in out[0].explain()[-1]


def test_explain_names_each_factor_in_chinese() -> None:
    values = [
        {
            "poor_population": 100,
            "incidence": 10,
            "income": 3000,
            "deep_poverty": 1,
            "performance": 90,
        },
        {
            "poor_population": 50,
            "incidence": 5,
            "income": 6000,
            "deep_poverty": 0,
            "performance": 80,
        },
    ]
    a = f.allocate_by_factors(Decimal("1000"), make(values))[0]
    lines = a.explain()
    assert lines[0].startswith("贫困人口规模：100 人，占全部单位的 66.67%，权重 35.00%")
    assert len(lines) == len(f.DEFAULT_FACTORS) + 1


def test_blank_factor_is_refused_naming_the_unit_and_factor_never_read_as_zero() -> None:
    values: list[dict[str, Decimal | None]] = [
        {
            "poor_population": Decimal(10),
            "incidence": None,
            "income": Decimal(1),
            "deep_poverty": Decimal(0),
            "performance": Decimal(1),
        },
        {
            "poor_population": Decimal(0),
            "incidence": Decimal(0),
            "income": Decimal(1),
            "deep_poverty": Decimal(0),
            "performance": Decimal(1),
        },
    ]
    units_ = make(values)
    units_.append(f.FactorInputs("513499", {"poor_population": Decimal(1)}, name="乙县"))
    with pytest.raises(f.FundsRefused) as e:
        f.allocate_by_factors(Decimal("100"), units_)
    missing = [r for r in e.value.refusals if r.code is FundCode.FACTOR_MISSING]
    assert {(r.details["unit"], r.details["factor"]) for r in missing} == {
        ("513400", "incidence"),
        ("513499", "incidence"),
        ("513499", "income"),
        ("513499", "deep_poverty"),
        ("513499", "performance"),
    }
    assert "县0" in missing[0].message and "贫困发生率" in missing[0].message
    assert "空白不按零计算" in missing[0].message


@pytest.mark.parametrize(
    ("total", "code"),
    [
        (Decimal("0"), FundCode.TOTAL_NOT_POSITIVE),
        (Decimal("-5"), FundCode.TOTAL_NOT_POSITIVE),
        (Decimal("1.005"), FundCode.AMOUNT_PRECISION),
    ],
)
def test_bad_totals_are_refused(total: Decimal, code: FundCode) -> None:
    v = {c: Decimal(1) for c in FACTORS}
    with pytest.raises(f.FundsRefused) as e:
        f.allocate_by_factors(total, make([v]))
    assert [r.code for r in e.value.refusals] == [code]


def test_negative_zero_inverse_unknown_and_duplicate_values_are_refused() -> None:
    bad = {c: Decimal(1) for c in FACTORS} | {"poor_population": Decimal(-1), "income": Decimal(0)}
    units_ = [
        f.FactorInputs("A", bad),
        f.FactorInputs("A", {c: Decimal(1) for c in FACTORS} | {"cars": Decimal(1)}),
    ]
    with pytest.raises(f.FundsRefused) as e:
        f.allocate_by_factors(Decimal("10"), units_)
    assert {r.code for r in e.value.refusals} == {
        FundCode.FACTOR_NEGATIVE,
        FundCode.FACTOR_NOT_POSITIVE,
        FundCode.FACTOR_UNKNOWN,
        FundCode.DUPLICATE_UNIT,
    }


def test_weights_must_sum_to_one_and_all_zero_factors_are_refused() -> None:
    p = f.FundParameters(factors=(f.Factor("a", "甲", "人", Fraction(1, 2)),))
    with pytest.raises(f.FundsRefused) as e:
        f.allocate_by_factors(Decimal("10"), [f.FactorInputs("A", {"a": 1})], p)
    assert [r.code for r in e.value.refusals] == [FundCode.WEIGHTS]
    p = f.FundParameters(factors=(f.Factor("a", "甲", "人", Fraction(1)),))
    with pytest.raises(f.FundsRefused) as e:
        f.allocate_by_factors(Decimal("10"), [f.FactorInputs("A", {"a": 0})], p)
    assert [r.code for r in e.value.refusals] == [FundCode.FACTORS_ALL_ZERO]


# -- per-record rules -----------------------------------------------------------------------------

GOOD_PROJECT = f.ProjectFacts(
    project_type="photovoltaic",
    budget=Decimal("2000000"),
    budget_by_source={"central.development": Decimal("1500000"), "integrated": Decimal("500000")},
    villages=("513431100001",),
    performance_target="建成 300 千瓦村级光伏电站，年收益不低于 30 万元",
    benefits=("collective", "wages"),
    start=date(2017, 4, 1),
    end=date(2017, 10, 31),
)


def codes(refusals: list[f.Refusal]) -> set[FundCode]:
    return {r.code for r in refusals}


def test_a_complete_project_may_enter_the_library() -> None:
    assert f.check_project(GOOD_PROJECT) == []


def test_project_refusals() -> None:
    from dataclasses import replace

    bad = replace(
        GOOD_PROJECT,
        project_type="education",
        budget=Decimal("2000000"),
        budget_by_source={"integrated": Decimal("1999999.99"), "lottery": Decimal("1")},
        villages=(),
        performance_target=" ",
        benefits=(),
        end=date(2017, 1, 1),
    )
    assert codes(f.check_project(bad)) == {
        FundCode.BUDGET_MISMATCH,
        FundCode.INTEGRATED_USE,
        FundCode.UNKNOWN_SOURCE,
        FundCode.NO_LOCATION,
        FundCode.NO_PERFORMANCE_TARGET,
        FundCode.NO_BENEFIT_LINK,
        FundCode.DATES,
    }
    msg = {r.code: r.message for r in f.check_project(bad)}
    assert "2,000,000.00" in msg[FundCode.BUDGET_MISMATCH]
    assert "国办发〔2016〕22号" in msg[FundCode.INTEGRATED_USE]


def test_each_step_is_taken_by_its_level() -> None:
    ten = f.NoticeFacts(date(2017, 3, 1), date(2017, 3, 10))
    assert f.check_transition("proposed", "reviewed", level="township", notice=ten) == []
    assert f.check_transition("reviewed", "approved", level="county", notice=ten) == []
    assert codes(f.check_transition("reviewed", "approved", level="township", notice=ten)) == {
        FundCode.WRONG_LEVEL
    }
    assert codes(f.check_transition("proposed", "approved", level="county")) == {
        FundCode.BAD_TRANSITION
    }
    assert codes(f.check_transition("handed_over", "in_progress", level="county")) == {
        FundCode.BAD_TRANSITION
    }


def test_notice_of_ten_days_or_more_passes_nine_is_refused() -> None:
    nine = f.NoticeFacts(date(2017, 3, 1), date(2017, 3, 9))
    ten = f.NoticeFacts(date(2017, 3, 1), date(2017, 3, 10))
    assert nine.days == 9 and ten.days == 10
    r = f.check_transition("proposed", "reviewed", level="township", notice=nine)
    assert codes(r) == {FundCode.NOTICE_TOO_SHORT} and "不满 10 天" in r[0].message
    assert codes(f.check_transition("proposed", "reviewed", level="township")) == {
        FundCode.NOTICE_MISSING
    }
    # still posted on the day of review: not yet over
    r = f.check_transition(
        "proposed", "reviewed", level="township", notice=ten, today=date(2017, 3, 10)
    )
    assert codes(r) == {FundCode.NOTICE_TOO_SHORT}
    assert (
        f.check_transition(
            "proposed", "reviewed", level="township", notice=ten, today=date(2017, 3, 11)
        )
        == []
    )


def test_an_objection_open_or_upheld_holds_the_step() -> None:
    """公示 is the public's check: the step waits until every objection is verified, and an
    upheld one means the project is revised and posted again."""
    day = date(2017, 3, 11)
    open_one = f.NoticeFacts(date(2017, 3, 1), date(2017, 3, 10), open_objections=1)
    upheld = f.NoticeFacts(date(2017, 3, 1), date(2017, 3, 10), upheld_objections=2)
    r = f.check_transition("proposed", "reviewed", level="township", notice=open_one, today=day)
    assert codes(r) == {FundCode.NOTICE_OBJECTION} and "1 条异议尚未核实" in r[0].message
    r = f.check_transition("reviewed", "approved", level="county", notice=upheld, today=day)
    assert codes(r) == {FundCode.NOTICE_OBJECTION} and "重新公示" in r[0].message
    # steps that wait for no notice do not read it
    assert f.check_transition("approved", "in_progress", level="county", notice=upheld) == []


GOOD_PAYMENT = f.PaymentFacts(
    amount=Decimal("1200"),
    source="central.development",
    payee_kind="household",
    paid_on=date(2017, 5, 1),
    project_status="in_progress",
    approved_on=date(2017, 5, 1),
    project_type="photovoltaic",
    household_id=7,
    household_registered=True,
    unspent=Decimal("1200"),
)


def test_a_good_payment_passes_even_on_the_day_of_approval_and_for_the_whole_balance() -> None:
    assert f.check_payment(GOOD_PAYMENT) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"amount": Decimal("-1")}, {FundCode.AMOUNT_NOT_POSITIVE}),
        ({"amount": Decimal("0.001"), "unspent": None}, {FundCode.AMOUNT_PRECISION}),
        ({"project_status": "reviewed", "approved_on": None}, {FundCode.PROJECT_NOT_APPROVED}),
        ({"paid_on": date(2017, 4, 30)}, {FundCode.PAID_BEFORE_APPROVAL}),
        ({"household_registered": False}, {FundCode.PAYEE_NOT_REGISTERED}),
        ({"household_id": None, "household_registered": False}, {FundCode.PAYEE_MISSING}),
        ({"already_paid_item": True}, {FundCode.DUPLICATE_PAYMENT}),
        ({"unspent": Decimal("1199.99")}, {FundCode.PROJECT_OVERSPENT}),
        ({"negative_list": "N02"}, {FundCode.NEGATIVE_LIST}),
        ({"project_type": "industry"}, {FundCode.INDUSTRY_CASH}),
        ({"source": "lottery"}, {FundCode.UNKNOWN_SOURCE}),
        ({"payee_kind": "unit"}, {FundCode.PAYEE_MISSING}),
        ({"payee_kind": "bank"}, {FundCode.UNKNOWN_PAYEE_KIND}),
    ],
)
def test_payment_refusals(changes: dict[str, Any], expected: set[FundCode]) -> None:
    from dataclasses import replace

    assert codes(f.check_payment(replace(GOOD_PAYMENT, **changes))) == expected


def test_allocation_up_to_the_balance_inclusive() -> None:
    assert f.check_allocation(Decimal("100"), Decimal("100")) == []
    r = f.check_allocation(Decimal("100.01"), Decimal("100"))
    assert codes(r) == {FundCode.OVER_ALLOCATED} and "100.01" in r[0].message


def test_code_lists_are_well_formed() -> None:
    for cl in f.ALL_CODE_LISTS:
        assert len(set(cl.codes)) == len(cl.codes), cl.name
        assert all(cl.parse(v) in cl for v in cl.lookup()), cl.name
    assert {s for t in f.TRANSITIONS for s in t} <= set(f.PROJECT_STATUS.codes)
    assert sum(x.weight for x in f.DEFAULT_FACTORS) == 1
    assert {lv for levels in f.TRANSITIONS.values() for lv in levels} <= set(f.FUND_LEVEL.codes)
