"""The national household standard, rule by rule, through the explanation of one household."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pytest

from fupin.policy.parameters import DEFAULT_PARAMETERS
from fupin.policy.rules import DEFAULT_RULE_SET, Context, Inputs, explain, get_rule_set

CTX = Context(2016)
HOUSEHOLD = {"id": 1, "village_id": "513431100001", "standard": "national", "status": "poor"}
ADULT = {
    "birth_date": dt.date(1970, 5, 1),
    "school_status": "not_in_school",
    "school_exempt_physical": False,
    "basic_medical": True,
}
GOOD_CONDITIONS = {
    "house_grade": "safe",
    "food_secure": True,
    "clothing_secure": True,
    "water_safe": True,
}


def run(members=(ADULT,), income=None, conditions=GOOD_CONDITIONS, ctx=CTX, household=HOUSEHOLD):
    if income is None:
        income = {"year": 2016, "household_size": len(members), "net_income": 4000.0 * len(members)}
    return explain(
        DEFAULT_RULE_SET,
        ctx,
        household=household,
        members=list(members),
        income=income,
        conditions=conditions,
    )


def outcome(explanation, code):
    return next(o for o in explanation.outcomes if o.code == code)


def test_household_meeting_every_rule_meets_the_standard():
    e = run()
    assert e.meets_standard
    assert e.failed_codes == ()
    assert "达到脱贫标准" in e.summary


def test_income_below_line_fails_with_the_gap_in_words():
    e = run(income={"year": 2016, "household_size": 2, "net_income": 5000.0})
    o = outcome(e, "INCOME_ABOVE_LINE")
    assert not o.passed
    assert "2,500.00" in o.text and "2,952.00" in o.text and "452.00" in o.text
    assert e.failed_codes == ("INCOME_ABOVE_LINE",)


def test_income_exactly_on_the_line_is_not_above_it():
    e = run(income={"year": 2016, "household_size": 1, "net_income": 2952.0})
    assert not outcome(e, "INCOME_ABOVE_LINE").passed
    e = run(income={"year": 2016, "household_size": 1, "net_income": 2952.01})
    assert outcome(e, "INCOME_ABOVE_LINE").passed


def test_missing_income_fails_and_says_it_was_not_recorded():
    e = explain(
        DEFAULT_RULE_SET,
        CTX,
        household=HOUSEHOLD,
        members=[ADULT],
        income=None,
        conditions=GOOD_CONDITIONS,
    )
    o = outcome(e, "INCOME_ABOVE_LINE")
    assert not o.passed and not o.recorded
    assert "没有登记 2016 年" in o.text


def child(born, status="not_in_school", exempt=False):
    return {**ADULT, "birth_date": born, "school_status": status, "school_exempt_physical": exempt}


def test_school_age_child_out_of_school_fails_education():
    e = run(members=(ADULT, child(dt.date(2006, 3, 1))))
    o = outcome(e, "EDUCATION_GUARANTEED")
    assert not o.passed
    assert "1 名" in o.text


def test_child_out_of_school_for_physical_reasons_is_excused():
    e = run(members=(ADULT, child(dt.date(2006, 3, 1), exempt=True)))
    assert outcome(e, "EDUCATION_GUARANTEED").passed


@pytest.mark.parametrize(
    ("born", "school_age"),
    [
        (dt.date(2010, 9, 1), True),  # turns 6 on the reference day
        (dt.date(2010, 9, 2), False),  # still 5
        (dt.date(2000, 9, 2), True),  # still 15
        (dt.date(2000, 9, 1), False),  # turns 16
    ],
)
def test_school_age_band_edges_on_first_of_september(born, school_age):
    e = run(members=(ADULT, child(born)))
    assert outcome(e, "EDUCATION_GUARANTEED").passed is not school_age


def test_school_age_band_is_configurable():
    params = DEFAULT_PARAMETERS.with_school_age(6, 16)
    e = run(members=(ADULT, child(dt.date(2000, 9, 1))), ctx=Context(2016, params))
    assert not outcome(e, "EDUCATION_GUARANTEED").passed


def test_uninsured_member_fails_medical():
    e = run(members=(ADULT, {**ADULT, "basic_medical": False}))
    o = outcome(e, "MEDICAL_INSURED")
    assert not o.passed and "1 人未参加" in o.text


@pytest.mark.parametrize("grade", ["C", "D"])
def test_dangerous_house_fails_housing(grade):
    e = run(conditions={**GOOD_CONDITIONS, "house_grade": grade})
    o = outcome(e, "HOUSING_SAFE")
    assert not o.passed and f"{grade} 级危房" in o.text


@pytest.mark.parametrize("code", ["FOOD_SECURE", "CLOTHING_SECURE", "WATER_SAFE"])
def test_unrecorded_guarantee_fails_as_not_recorded(code):
    field = {
        "FOOD_SECURE": "food_secure",
        "CLOTHING_SECURE": "clothing_secure",
        "WATER_SAFE": "water_safe",
    }[code]
    e = run(conditions={**GOOD_CONDITIONS, field: None})
    o = outcome(e, code)
    assert not o.passed and not o.recorded and o.text.startswith("未核实")


def test_no_conditions_row_fails_housing_and_the_two_no_worries():
    e = run(conditions=None)
    assert {"FOOD_SECURE", "CLOTHING_SECURE", "HOUSING_SAFE", "WATER_SAFE"} <= set(e.failed_codes)


def test_every_rule_cites_its_clause_and_has_chinese_texts():
    for rule in DEFAULT_RULE_SET.rules:
        assert "《" in rule.clause
        assert rule.code.isupper()
        for text in (rule.passed, rule.failed, rule.remedy):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_rule_set_lookup_by_key_and_code():
    assert get_rule_set("household-standard@2016.1") is DEFAULT_RULE_SET
    assert get_rule_set("household-standard") is DEFAULT_RULE_SET
    with pytest.raises(KeyError):
        get_rule_set("nope")


def test_explanation_as_dict_is_json_ready():
    import json

    data = run(conditions={**GOOD_CONDITIONS, "house_grade": "D"}).as_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert data["failed_codes"] == ["HOUSING_SAFE"]
    assert data["poverty_line"]["amount"] == "2952"
    assert "住房" in text


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "duckdb"])
def test_rule_set_compiles_for_every_engine(dialect):
    names = {k: f"t_{k}" for k in ("household", "member", "income", "conditions")}
    sql = ibis.to_sql(DEFAULT_RULE_SET.evaluate(Inputs.unbound(names), CTX), dialect=dialect)
    assert "t_member" in sql and "failed_codes" in sql


def test_remedies_list_what_stands_between_household_and_exit():
    e = run(
        members=(ADULT, {**ADULT, "basic_medical": False}),
        income={"year": 2016, "household_size": 2, "net_income": 1000.0},
    )
    assert e.failed_codes == ("INCOME_ABOVE_LINE", "MEDICAL_INSURED")
    assert "脱贫前需要" in e.summary and "2,952.00" in e.summary
    assert Decimal(str(e.facts["per_capita_net_income"])) == Decimal("500.0")
