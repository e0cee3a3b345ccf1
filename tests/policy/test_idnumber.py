"""GB 11643-1999 resident ID numbers: scalar and columnar checks, keys and generation."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy.idnumber import (
    LABELS,
    MESSAGES,
    PROVINCE_CODES,
    IdCheck,
    IdReason,
    check,
    check_array,
    check_char,
    id_from_key,
    id_key,
    make_ids,
    normalize,
    upgrade15,
)

TODAY = date(2024, 6, 30)
STANDARD_EXAMPLE = "11010519491231002X"  # GB 11643-1999 Appendix: 北京市朝阳区, 1949-12-31, 女


# --- building blocks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),  # the standard's own example
        ("44030519900307123", "6"),
        ("51343119850615002", "9"),
        ("65010220000229001", "X"),
        ("31011519700101000", "3"),
        ("11010019900101000", "0"),
    ],
)
def test_check_char_is_iso7064_mod11_2(first17: str, expected: str) -> None:
    assert check_char(first17) == expected


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310021", "1101051949123100X"])
def test_check_char_refuses_anything_but_17_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_char(bad)


def test_upgrade15_inserts_19_and_appends_the_check_char() -> None:
    assert upgrade15("110105491231002") == STANDARD_EXAMPLE
    assert upgrade15("130503670401001") == "130503196704010016"


@pytest.mark.parametrize(
    "bad", ["11010549123100", "11010549123100X", "１１０１０５４９１２３１００２"]
)
def test_upgrade15_refuses_anything_but_15_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        upgrade15(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１１０１０５１９４９１２３１００２Ｘ", STANDARD_EXAMPLE),
        ("11010519491231002ｘ", STANDARD_EXAMPLE),
        ("11010519491231002x", STANDARD_EXAMPLE),
        (" 110105 19491231 002X\t", STANDARD_EXAMPLE),
        ("\u3000110105\u300019491231002X\u00a0", STANDARD_EXAMPLE),
        ("\ufeff11010519491231002X\u200b", STANDARD_EXAMPLE),
        ("", ""),
    ],
)
def test_normalize_strips_spaces_and_folds_full_width(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_id_key_is_first17_times_11_plus_check_value_with_x_as_10() -> None:
    assert id_key(STANDARD_EXAMPLE) == 11010519491231002 * 11 + 10
    assert id_key("440305199003071236") == 44030519900307123 * 11 + 6
    assert id_from_key(id_key(STANDARD_EXAMPLE)) == STANDARD_EXAMPLE


@pytest.mark.parametrize("bad", ["110105491231002", "11010519491231002x", "X10105194912310021"])
def test_id_key_refuses_values_not_in_18_character_form(bad: str) -> None:
    with pytest.raises(ValueError):
        id_key(bad)


def test_largest_possible_key_fits_in_int64() -> None:
    assert id_key("99999999999999999X") < 2**63 - 1


# --- check(): valid inputs ---------------------------------------------------------------


def test_standard_example_is_a_valid_woman_born_1949_12_31() -> None:
    result = check(STANDARD_EXAMPLE, today=TODAY)
    assert result == IdCheck(
        input=STANDARD_EXAMPLE,
        valid=True,
        normalized=STANDARD_EXAMPLE,
        birth_date=date(1949, 12, 31),
        sex="female",
        reason=None,
        message=None,
    )


@pytest.mark.parametrize(
    ("text", "birth", "sex"),
    [
        ("440305199003071236", date(1990, 3, 7), "male"),  # 17th digit 3: odd
        ("513431198506150029", date(1985, 6, 15), "female"),
        ("65010220000229001X", date(2000, 2, 29), "male"),
        ("310115197001010003", date(1970, 1, 1), "female"),  # 17th digit 0: even
        ("820000201212120009", date(2012, 12, 12), "female"),  # 澳门
    ],
)
def test_real_format_ids_are_valid_with_birth_date_and_sex(
    text: str, birth: date, sex: str
) -> None:
    result = check(text, today=TODAY)
    assert result.valid, result.message
    assert (result.normalized, result.birth_date, result.sex) == (text, birth, sex)


def test_full_width_and_spaced_input_is_normalised() -> None:
    result = check(" １１０１０５ １９４９１２３１ ００２ｘ\u3000", today=TODAY)
    assert result.valid
    assert result.normalized == STANDARD_EXAMPLE


def test_fifteen_digit_id_is_upgraded_to_eighteen() -> None:
    result = check("130503670401001", today=TODAY)
    assert result.valid
    assert result.input == "130503670401001"
    assert result.normalized == "130503196704010016"
    assert result.birth_date == date(1967, 4, 1)
    assert result.sex == "male"  # the 15th digit of an old ID is the sex digit


def test_fifteen_digit_id_from_1920_stays_an_old_id() -> None:
    # digits 7–14 "20051203" would also read as a 2005 date, but yymmdd 200512 is a real
    # 1920 date: a genuine old ID must not be flagged as an Excel truncation.
    result = check("110105200512031", today=TODAY)
    assert result.valid
    assert result.normalized == upgrade15("110105200512031")
    assert result.birth_date == date(1920, 5, 12)


def test_eighteen_digits_ending_000_with_a_correct_check_char_are_valid() -> None:
    assert check("110100199001010000", today=TODAY).valid


def test_birth_date_today_is_allowed() -> None:
    first17 = f"110105{TODAY:%Y%m%d}001"
    assert check(first17 + check_char(first17), today=TODAY).valid


# --- check(): each reason ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason", "message"),
    [
        ("", IdReason.ID_EMPTY, "身份号码为空"),
        (" \u3000 ", IdReason.ID_EMPTY, "身份号码为空"),
        ("5.13431E+17", IdReason.ID_EXCEL_NUMBER, "科学计数法 5.13431E+17"),
        ("5.13431e17", IdReason.ID_EXCEL_NUMBER, "科学计数法"),
        ("5,13431E+17", IdReason.ID_EXCEL_NUMBER, "科学计数法"),
        ("5.13431199001011E+17", IdReason.ID_EXCEL_NUMBER, "科学计数法"),
        ("440305199003071236.0", IdReason.ID_EXCEL_NUMBER, "小数"),
        ("513431199001011000", IdReason.ID_EXCEL_NUMBER, "000"),
        ("513431199001011", IdReason.ID_EXCEL_NUMBER, "截去"),
        ("12345", IdReason.ID_BAD_LENGTH, "实际为 5 位"),
        ("11010519491231002X1", IdReason.ID_BAD_LENGTH, "实际为 19 位"),
        ("张三", IdReason.ID_BAD_LENGTH, "实际为 2 位"),
        ("1101051949123100XX", IdReason.ID_BAD_CHARS, "第17位“X”"),
        ("11010519491231O02X", IdReason.ID_BAD_CHARS, "第15位“O”"),
        ("11010549123100X", IdReason.ID_BAD_CHARS, "第15位“X”"),
        ("'11010519491231002", IdReason.ID_BAD_CHARS, "第1位“'”"),
        ("00010519491231002X", IdReason.ID_BAD_PROVINCE, "前两位 00"),
        ("99010519491231002X", IdReason.ID_BAD_PROVINCE, "前两位 99"),
        ("160105491231002", IdReason.ID_BAD_PROVINCE, "前两位 16"),
        ("110105199002300011", IdReason.ID_BAD_BIRTH_DATE, "19900230 无效：不是真实的日历日期"),
        ("110105199013010011", IdReason.ID_BAD_BIRTH_DATE, "不是真实的日历日期"),
        ("110105190002290011", IdReason.ID_BAD_BIRTH_DATE, "19000229"),  # 1900: not leap
        ("110105000012310011", IdReason.ID_BAD_BIRTH_DATE, "不是真实的日历日期"),  # year 0
        ("110105491331002", IdReason.ID_BAD_BIRTH_DATE, "19491331"),
        ("110105203001010011", IdReason.ID_FUTURE_BIRTH_DATE, "2030-01-01 晚于今天（2024-06-30）"),
        ("110105194912310021", IdReason.ID_BAD_CHECKSUM, "第18位应为 X，实际为 1"),
        ("440305199003071235", IdReason.ID_BAD_CHECKSUM, "第18位应为 6，实际为 5"),
    ],
)
def test_invalid_input_gets_reason_code_and_chinese_message(
    text: str, reason: IdReason, message: str
) -> None:
    result = check(text, today=TODAY)
    assert not result.valid
    assert result.reason == reason
    assert result.message is not None and message in result.message
    assert (result.normalized, result.birth_date, result.sex) == (None, None, None)


def test_leap_day_2000_is_valid_and_1900_is_not() -> None:
    first17 = "11010520000229001"
    assert check(first17 + check_char(first17), today=TODAY).valid
    first17 = "11010519000229001"
    assert check(first17 + check_char(first17), today=TODAY).reason == IdReason.ID_BAD_BIRTH_DATE


def test_future_birth_date_depends_on_today() -> None:
    first17 = "11010520240701001"
    text = first17 + check_char(first17)
    assert check(text, today=TODAY).reason == IdReason.ID_FUTURE_BIRTH_DATE
    assert check(text, today=TODAY + timedelta(days=1)).valid


def test_every_reason_has_a_message_and_a_label() -> None:
    assert set(MESSAGES) == set(IdReason) == set(LABELS)
    assert all(r.value == r.name for r in IdReason)


def test_as_dict_has_exactly_the_json_keys() -> None:
    valid = check(STANDARD_EXAMPLE, today=TODAY).as_dict()
    assert valid == {
        "input": STANDARD_EXAMPLE,
        "valid": True,
        "normalized": STANDARD_EXAMPLE,
        "birth_date": "1949-12-31",
        "sex": "female",
        "reason": None,
        "message": None,
    }
    invalid = check("12345", today=TODAY).as_dict()
    assert invalid["reason"] == "ID_BAD_LENGTH"
    assert isinstance(invalid["reason"], str)
    assert invalid["birth_date"] is None


# --- check_array ---------------------------------------------------------------------------


def assert_agrees(values: list[str | None], today: date = TODAY) -> None:
    """check_array must give, row for row, what check() gives."""
    arrays = check_array(values, today=today)
    assert len(arrays) == len(values)
    for i, value in enumerate(values):
        one = check(value or "", today=today)
        assert arrays.valid[i] == one.valid, value
        assert arrays.normalized[i] == one.normalized, value
        assert arrays.reason[i] == (one.reason or ""), value
        if one.valid:
            assert one.normalized is not None
            assert arrays.birth_date[i] == np.datetime64(one.birth_date, "D")
            assert arrays.male[i] == (one.sex == "male")
            assert arrays.key[i] == id_key(one.normalized)
        else:
            assert np.isnat(arrays.birth_date[i])
            assert not arrays.male[i]
            assert arrays.key[i] == 0


def test_check_array_output_types() -> None:
    arrays = check_array([STANDARD_EXAMPLE, "12345"], today=TODAY)
    assert arrays.normalized.dtype == object
    assert arrays.normalized.tolist() == [STANDARD_EXAMPLE, None]
    assert arrays.valid.dtype == bool
    assert arrays.reason.dtype.kind == "U"
    assert arrays.reason.tolist() == ["", "ID_BAD_LENGTH"]
    assert arrays.birth_date.dtype == np.dtype("datetime64[D]")
    assert arrays.key.dtype == np.int64


def test_check_array_of_nothing() -> None:
    arrays = check_array([], today=TODAY)
    assert len(arrays) == 0
    assert arrays.key.dtype == np.int64


EXAMPLES: list[str | None] = [
    STANDARD_EXAMPLE,
    "11010519491231002x",
    "440305199003071236",
    "130503670401001",
    "110105200512031",
    "110105491331002",
    "160105491231002",
    "513431199001011",
    "513431199001011000",
    "110100199001010000",
    "110105190002290011",
    "11010520000229001X",
    "110105203001010011",
    "110105194912310021",
    "99010519491231002X",
    "1101051949123100XX",
    "11010519491231002X1",
    "11010519491231002X" + "9" * 40,
    " 11010519491231002X",
    "１１０１０５１９４９１２３１００２Ｘ",
    "5.13431E+17",
    "440305199003071236.0",
    "",
    None,
    "张三",
]


def test_check_array_agrees_with_check_on_examples() -> None:
    assert_agrees(EXAMPLES)


@pytest.mark.parametrize("dtype", [None, "U", "S", object])
def test_check_array_accepts_lists_and_numpy_arrays(dtype: str | type | None) -> None:
    ascii_values = [v for v in EXAMPLES if v is not None and v.isascii()]
    values = ascii_values if dtype is None else np.array(ascii_values, dtype=dtype)
    expected = check_array(ascii_values, today=TODAY)
    arrays = check_array(values, today=TODAY)
    assert arrays.valid.tolist() == expected.valid.tolist()
    assert arrays.reason.tolist() == expected.reason.tolist()
    assert arrays.normalized.tolist() == expected.normalized.tolist()
    assert arrays.key.tolist() == expected.key.tolist()


def test_check_array_keeps_row_order_when_15_and_18_digit_ids_mix() -> None:
    values = ["130503670401001", STANDARD_EXAMPLE, "110105491231002", "440305199003071236"]
    arrays = check_array(values, today=TODAY)
    assert arrays.normalized.tolist() == [
        "130503196704010016",
        STANDARD_EXAMPLE,
        STANDARD_EXAMPLE,
        "440305199003071236",
    ]
    assert arrays.male.tolist() == [True, False, False, True]
    assert arrays.birth_date.astype(str).tolist() == [
        "1967-04-01",
        "1949-12-31",
        "1949-12-31",
        "1990-03-07",
    ]
    assert_agrees(list(values))


def test_check_array_treats_none_in_an_object_array_as_empty() -> None:
    arrays = check_array(np.array([None, STANDARD_EXAMPLE], dtype=object), today=TODAY)
    assert arrays.reason.tolist() == ["ID_EMPTY", ""]


def test_check_array_treats_nan_from_a_float_column_as_empty() -> None:
    arrays = check_array(np.array([float("nan"), STANDARD_EXAMPLE], dtype=object), today=TODAY)
    assert arrays.reason.tolist() == ["ID_EMPTY", ""]


def test_check_array_reads_a_pyarrow_column_by_position() -> None:
    column = pa.array([None, " 130503670401001", STANDARD_EXAMPLE])
    arrays = check_array(column, today=TODAY)
    assert arrays.normalized.tolist() == [None, "130503196704010016", STANDARD_EXAMPLE]
    assert arrays.reason.tolist() == ["ID_EMPTY", "", ""]


def test_check_array_decodes_utf8_bytes() -> None:
    values = np.array(["１１０１０５１９４９１２３１００２Ｘ".encode(), b"11010519491231002X"])
    arrays = check_array(values, today=TODAY)
    assert arrays.normalized.tolist() == [STANDARD_EXAMPLE, STANDARD_EXAMPLE]
    mixed = check_array(["１１０１０５１９４９１２３１００２Ｘ".encode(), "１"], today=TODAY)
    assert mixed.normalized.tolist() == [STANDARD_EXAMPLE, None]
    assert mixed.reason.tolist() == ["", "ID_BAD_LENGTH"]


def test_check_array_flags_numbers_read_from_excel_cells() -> None:
    # What a spreadsheet reader hands back for a numeric cell holding an 18-digit ID.
    arrays = check_array(np.array([5.13431199001011e17, 513431199001011000], dtype=object))
    assert arrays.reason.tolist() == ["ID_EXCEL_NUMBER", "ID_EXCEL_NUMBER"]


ID_ALPHABET = [*"0123456789Xx .E+,-", "０", "９", "Ｘ", "ｘ", "\u3000", "中"]


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    rest = draw(st.integers(0, 9999))
    birth = draw(st.dates(date(1900, 1, 1), TODAY))
    seq = draw(st.integers(0, 999))
    first17 = f"{province:02d}{rest:04d}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


@st.composite
def mangled_ids(draw: st.DrawFn) -> str:
    """A valid ID (or its 15-digit form) with one character replaced, dropped or added."""
    text: str = draw(valid_ids())
    if draw(st.booleans()):
        text = text[:6] + text[8:17]
    i = draw(st.integers(0, len(text)))
    char: str = draw(st.sampled_from(ID_ALPHABET))
    how = draw(st.sampled_from(["replace", "drop", "insert"]))
    if how == "replace":
        return text[:i] + char + text[i + 1 :]
    if how == "drop":
        return text[:i] + text[i + 1 :]
    return text[:i] + char + text[i:]


any_value = st.one_of(
    st.none(),
    st.text(st.sampled_from(ID_ALPHABET), max_size=22),
    st.text(max_size=20),
    valid_ids(),
    mangled_ids(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(any_value, max_size=30))
def test_check_array_agrees_with_check_on_random_strings(values: list[str | None]) -> None:
    assert_agrees(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(valid_ids(), min_size=1, max_size=30))
def test_check_array_accepts_random_valid_ids(values: list[str]) -> None:
    assert_agrees(list(values))
    assert check_array(values, today=TODAY).valid.all()


@given(valid_ids())
def test_check_accepts_random_valid_ids_and_their_15_digit_form(text: str) -> None:
    result = check(text, today=TODAY)
    assert result.valid and result.normalized == text
    if text[6:8] == "19":
        old = text[:6] + text[8:17]
        assert check(old, today=TODAY).normalized == text


@given(valid_ids(), valid_ids())
def test_id_key_is_injective_and_round_trips(a: str, b: str) -> None:
    assert id_from_key(id_key(a)) == a
    assert (id_key(a) == id_key(b)) == (a == b)
    assert 0 < id_key(a) < 2**63


# --- make_ids ------------------------------------------------------------------------------


def test_make_ids_reproduces_the_standard_example() -> None:
    ids = make_ids(np.array([110105]), np.array(["1949-12-31"], dtype="datetime64[D]"), [2])
    assert ids.tolist() == [STANDARD_EXAMPLE]


def test_make_ids_broadcasts_one_address_over_many_people() -> None:
    births = np.array(["2000-02-29", "1990-03-07"], dtype="datetime64[D]")
    ids = make_ids("440305", births, np.array([1, 123]))
    assert ids.tolist() == ["44030520000229001" + check_char("44030520000229001"),
                            "440305199003071236"]  # fmt: skip


@pytest.mark.parametrize(
    ("address", "birth", "seq"),
    [
        (99999, "1990-01-01", 1),
        (990105, "1990-01-01", 1),
        (110105, "NaT", 1),
        (110105, "1990-01-01", 1000),
        (110105, "1990-01-01", -1),
    ],
)
def test_make_ids_refuses_inputs_that_cannot_make_a_valid_id(
    address: int, birth: str, seq: int
) -> None:
    with pytest.raises(ValueError):
        make_ids(np.array([address]), np.array([birth], dtype="datetime64[D]"), np.array([seq]))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(PROVINCE_CODES)),
            st.integers(0, 9999),
            st.dates(date(1900, 1, 1), TODAY),
            st.integers(0, 999),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_make_ids_always_produces_valid_ids(rows: list[tuple[int, int, date, int]]) -> None:
    address = np.array([p * 10000 + r for p, r, _, _ in rows])
    births = np.array([b for _, _, b, _ in rows], dtype="datetime64[D]")
    seqs = np.array([s for _, _, _, s in rows])
    ids = make_ids(address, births, seqs)
    arrays = check_array(ids, today=TODAY)
    assert arrays.valid.all()
    assert (arrays.birth_date == births).all()
    assert [i[:6] for i in ids.tolist()] == [f"{a:06d}" for a in address.tolist()]
    assert [int(i[14:17]) for i in ids.tolist()] == seqs.tolist()


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("51343119870422002X", "513431********002X"),
        ("513431870422002", "513431********2002"),
        ("1234567", "*******"),
        ("", ""),
        (None, ""),
    ],
)
def test_masked_keeps_only_the_first_six_and_last_four(given, shown):
    from fupin.policy.idnumber import masked

    assert masked(given) == shown
