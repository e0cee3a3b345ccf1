"""Issue 14, "Clauses": a resident ID of someone born before 1900 is valid under GB 11643.

GB 11643-1999 §6.3 (出生日期码) allows any real calendar date ``YYYYMMDD``; its own worked
example 11010519491231002X is a 1949 date, and nothing in the standard bounds the year from
below. A valid check character + a real date ⇒ a valid number, on the scalar and the columnar
path alike; an implausible age is the record's business (the importer), not the number's.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from fupin.policy.idnumber import IdReason, check, check_array, check_char, make_ids

TODAY = date(2024, 6, 30)


def _valid(first17: str) -> str:
    return first17 + check_char(first17)


def test_born_1899_is_a_valid_number():
    """GB 11643 §6.3: the birth-date code is any real date — 1899-12-31 is one."""
    text = _valid("11010518991231001")
    result = check(text, today=TODAY)
    assert result.valid, result.message
    assert result.birth_date == date(1899, 12, 31)
    assert result.sex == "male"


def test_born_1850_and_leap_day_1896_are_valid_and_1900_02_29_is_not():
    """A real calendar date: 1896 is a leap year, 1900 is not (Gregorian rules)."""
    assert check(_valid("11010518500101002"), today=TODAY).valid
    assert check(_valid("11010518960229002"), today=TODAY).valid
    bad = check(_valid("11010519000229002"), today=TODAY)
    assert bad.reason == IdReason.ID_BAD_BIRTH_DATE


def test_year_zero_is_not_a_date():
    result = check(_valid("11010500000101002"), today=TODAY)
    assert result.reason == IdReason.ID_BAD_BIRTH_DATE
    assert result.message is not None and "不是真实的日历日期" in result.message


def test_columnar_check_agrees_for_dates_before_1900():
    """The import path (check_array) gives the scalar verdict, row for row."""
    values = [
        _valid("11010518991231001"),
        _valid("11010518960229002"),
        _valid("11010519000229002"),
        _valid("51343118800615003"),
        "11010519491231002X",
    ]
    arrays = check_array(values, today=TODAY)
    assert arrays.valid.tolist() == [True, True, False, True, True]
    assert arrays.birth_date[0] == np.datetime64("1899-12-31")
    assert arrays.birth_date[3] == np.datetime64("1880-06-15")
    assert arrays.reason[2] == IdReason.ID_BAD_BIRTH_DATE
    for value, valid in zip(values, arrays.valid.tolist(), strict=True):
        assert check(value, today=TODAY).valid == valid


def test_make_ids_builds_numbers_before_1900():
    ids = make_ids([110105], np.array(["1899-12-31"], dtype="datetime64[D]"), [1])
    assert check(str(ids[0]), today=TODAY).birth_date == date(1899, 12, 31)
