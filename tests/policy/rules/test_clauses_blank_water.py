"""Issue 14, "Blank is not safe" and "The 饮水困难 field is ignored by the water rule".

Clauses: 《关于解决“两不愁三保障”突出问题的指导意见》(2019) — 住房安全有保障 (C/D-grade
dangerous houses are renovated), 义务教育有保障 (no school-age child out of school); domain.md
§6 — 饮水安全有保障 (水量、水质、取水便利、供水保证率). A fact never recorded proves nothing: it
fails its guarantee as not recorded (the convention of the two no-worries and of water), never
passes as safe; a household recorded with drinking-water difficulty fails the water guarantee.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.policy.rules.test_household_2016 import ADULT, GOOD_CONDITIONS, child, outcome, run


@pytest.mark.parametrize("blank", ["", None, "  "])
def test_blank_house_grade_fails_housing_as_not_recorded(blank):
    """住房安全有保障: a blank 危房级别 is not recorded — it fails, saying so."""
    e = run(conditions={**GOOD_CONDITIONS, "house_grade": blank})
    o = outcome(e, "HOUSING_SAFE")
    assert not o.passed and not o.recorded
    assert o.text.startswith("未登记")
    assert not e.meets_standard


def test_blank_school_status_of_a_school_age_child_is_not_recorded():
    """义务教育有保障: a school-age child whose 在校生状况 is blank is not known to be in school."""
    e = run(members=(ADULT, child(dt.date(2006, 3, 1), status="")))
    o = outcome(e, "EDUCATION_GUARANTEED")
    assert not o.passed and not o.recorded
    assert "未登记" in o.text and "1 名" in o.text


def test_blank_school_status_of_an_adult_does_not_matter():
    e = run(members=({**ADULT, "school_status": ""},))
    assert outcome(e, "EDUCATION_GUARANTEED").passed


def test_water_difficulty_fails_the_water_guarantee_with_its_reason():
    """饮水安全有保障 (domain.md §6): 饮水困难 = 是 fails, even when 饮水安全 says 是."""
    e = run(conditions={**GOOD_CONDITIONS, "water_difficult": True})
    o = outcome(e, "WATER_SAFE")
    assert not o.passed and o.recorded
    assert "饮水困难" in o.text
    assert "WATER_SAFE" in e.failed_codes


def test_water_difficulty_decides_even_when_safety_is_not_recorded():
    e = run(conditions={**GOOD_CONDITIONS, "water_safe": None, "water_difficult": True})
    o = outcome(e, "WATER_SAFE")
    assert not o.passed and o.recorded and "饮水困难" in o.text


def test_no_water_difficulty_leaves_the_safety_answer():
    e = run(conditions={**GOOD_CONDITIONS, "water_difficult": False})
    assert outcome(e, "WATER_SAFE").passed
    e = run(conditions={**GOOD_CONDITIONS, "water_difficult": None, "water_safe": False})
    o = outcome(e, "WATER_SAFE")
    assert not o.passed and o.recorded and "饮水困难" not in o.text
