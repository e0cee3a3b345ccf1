"""Poverty lines keyed by (year, standard, region), verification marks and overrides."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from fupin.policy.parameters import (
    DEFAULT_PARAMETERS,
    ParameterError,
    ParameterSet,
    PovertyLine,
    StandardType,
    Verification,
)


@pytest.mark.parametrize(
    ("year", "amount"),
    [
        (2011, "2536"),
        (2013, "2736"),
        (2014, "2800"),
        (2015, "2855"),
        (2016, "2952"),
        (2020, "4000"),
    ],
)
def test_verified_national_lines_match_domain_reference(year, amount):
    line = DEFAULT_PARAMETERS.national_line(year)
    assert line.amount == Decimal(amount)
    assert line.verification == Verification.VERIFIED
    assert line.source


@pytest.mark.parametrize("year", [2017, 2018, 2019])
def test_unverified_years_are_marked_and_overridable(year):
    line = DEFAULT_PARAMETERS.national_line(year)
    assert line.verification in {Verification.UNVERIFIED, Verification.WEAK}
    changed = DEFAULT_PARAMETERS.with_lines([PovertyLine(year, Decimal("3000"))])
    assert changed.national_line(year).amount == Decimal("3000")
    # the defaults are untouched
    assert DEFAULT_PARAMETERS.national_line(year).amount == line.amount


def test_verified_line_cannot_be_overridden_with_another_amount():
    with pytest.raises(ParameterError) as err:
        DEFAULT_PARAMETERS.with_lines([PovertyLine(2016, Decimal("3000"))])
    assert err.value.code == "PARAM_VERIFIED_OVERRIDE"


def test_missing_year_is_refused_with_code():
    with pytest.raises(ParameterError) as err:
        DEFAULT_PARAMETERS.national_line(2009)
    assert err.value.code == "PARAM_POVERTY_LINE_MISSING"
    assert "2009" in err.value.message


def test_provincial_standard_applies_to_its_province_only():
    params = DEFAULT_PARAMETERS.with_lines(
        [
            PovertyLine(2016, Decimal("3322"), StandardType.PROVINCIAL, "37"),
            PovertyLine(2016, Decimal("3500"), StandardType.MUNICIPAL, "3701"),
        ]
    )
    assert params.line_for(2016, "provincial", "370102001001").amount == Decimal("3322")
    assert params.line_for(2016, "municipal", "370102001001").amount == Decimal("3500")
    # a provincial household elsewhere falls back to the national line
    assert params.line_for(2016, "provincial", "513431100001").amount == Decimal("2952")
    # a national-standard household in Shandong uses the national line
    assert params.line_for(2016, "national", "370102001001").amount == Decimal("2952")


def test_monitoring_threshold_most_specific_region():
    assert DEFAULT_PARAMETERS.monitoring_threshold(2021, "510000").amount == Decimal("6000")
    assert DEFAULT_PARAMETERS.monitoring_threshold(2022, "210102").amount == Decimal("7260")
    with pytest.raises(ParameterError):
        DEFAULT_PARAMETERS.monitoring_threshold(2022, "510000")


def test_parameter_file_sets_local_lines_and_school_age(tmp_path):
    path = tmp_path / "local.json"
    path.write_text(
        json.dumps(
            {
                "poverty_lines": [
                    {"year": 2018, "amount": "3100"},
                    {"year": 2016, "amount": 3400, "standard": "provincial", "region": "37"},
                ],
                "school_age": [6, 16],
            }
        ),
        encoding="utf-8",
    )
    params = ParameterSet.from_file(path)
    assert params.national_line(2018).amount == Decimal("3100")
    assert params.national_line(2018).verification == Verification.LOCAL
    assert params.line_for(2016, "provincial", "370102").amount == Decimal("3400")
    assert (params.school_age_min, params.school_age_max) == (6, 16)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"poverty_lines": [{"year": 2018}]}),
        json.dumps({"school_age": [9, 3]}),
    ],
)
def test_bad_parameter_file_is_refused(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        ParameterSet.from_file(path)
    assert err.value.code in {"PARAM_FILE_INVALID", "PARAM_SCHOOL_AGE_INVALID"}
