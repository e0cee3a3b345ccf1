"""Cell rules of the import, checked column-wise on Arrow arrays (no database needed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy import codes
from fupin.registry.imports.columns import COLUMNS
from fupin.registry.imports.validate import (
    PARSED_SCHEMA,
    Counts,
    Stage,
    parse_batch,
    parse_bools,
    parse_codes,
    parse_decimals,
    parse_ints,
    row_errors,
)
from tests.registry.flatfiles import make_id


def text(*values: str | None) -> pa.Array:
    return pa.array(list(values), pa.string())


def test_codes_accept_codes_labels_aliases_and_fold_parenthesis_width() -> None:
    parsed, unknown = parse_codes(
        text("illness", "因病", "缺劳动力", "其它", "交通条件 落后", "懒", None), codes.CAUSE
    )
    assert parsed.to_pylist() == [
        "illness",
        "illness",
        "lack_labour",
        "other",
        "poor_transport",
        None,
        None,
    ]
    assert unknown.to_pylist() == [False, False, False, False, False, True, False]
    parsed, _ = parse_codes(text("乡（镇）内务工"), codes.MIGRANT_WORK)
    assert parsed.to_pylist() == ["in_township"]


def test_numeric_codes_read_back_from_excel_numbers() -> None:
    parsed, unknown = parse_codes(text("1.0", "1", "01", "97", "汉"), codes.ETHNICITY)
    assert parsed.to_pylist() == ["01", "01", "01", "97", "01"]
    assert not any(unknown.to_pylist())


def test_booleans_accept_the_documented_spellings() -> None:
    values, invalid = parse_bools(
        text("是", "否", "1", "0", "TRUE", "false", "有", "无", "1.0", "也许", None)
    )
    assert values.to_pylist() == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        None,
        None,
    ]
    assert invalid.to_pylist() == [False] * 9 + [True, False]


def test_integers_accept_excel_floats_and_check_the_range() -> None:
    values, invalid, out = parse_ints(text("4", "4.0", "+3", "4.5", "四", "13", None), 0, 12)
    assert values.to_pylist() == [4, 4, 3, None, None, None, None]
    assert invalid.to_pylist() == [False, False, False, True, True, False, False]
    assert out.to_pylist() == [False, False, False, False, False, True, False]


def test_money_rounds_half_up_to_the_fen_and_flags_negatives() -> None:
    values, invalid, negative, too_large = parse_decimals(
        text("1.005", "1,234.5", "0.125", "12.", "-3", "1e3", "99999999999", None),
        Decimal("9999999999.99"),
    )
    assert values.to_pylist() == [
        Decimal("1.01"),
        Decimal("1234.50"),
        Decimal("0.13"),
        Decimal("12.00"),
        None,
        None,
        None,
        None,
    ]
    assert invalid.to_pylist() == [False] * 5 + [True, False, False]
    assert negative.to_pylist() == [False] * 4 + [True, False, False, False]
    assert too_large.to_pylist() == [False] * 6 + [True, False]


def batch(**columns: Sequence[str | None]) -> pa.RecordBatch:
    n = len(next(iter(columns.values())))
    arrays = {"_row": pa.array(range(2, n + 2), pa.int64())}
    arrays |= {k: pa.array(v, pa.string()) for k, v in columns.items()}
    return pa.RecordBatch.from_pydict(arrays)


def test_parse_batch_returns_the_full_schema_with_absent_columns_null() -> None:
    parsed, errors = parse_batch(batch(name=["张三"]))

    assert parsed.schema == PARSED_SCHEMA
    assert parsed.column("name").to_pylist() == ["张三"]
    assert parsed.column("village_code").to_pylist() == [None]
    assert errors.num_rows == 0


def test_id_facts_come_from_the_id_number() -> None:
    ids = [make_id("1970-03-05", 11), make_id("2001-12-31", 22), "123"]

    parsed, errors = parse_batch(batch(id_number=ids), today=date(2024, 1, 1))

    assert parsed.column("birth_date").to_pylist() == [date(1970, 3, 5), date(2001, 12, 31), None]
    assert parsed.column("sex").to_pylist() == ["male", "female", None]
    assert parsed.column("id_key").to_pylist()[2] is None
    assert [(e.row, e.code) for e in row_errors(errors)] == [(4, "ID_BAD_LENGTH")]


def test_other_causes_split_on_every_separator_into_two_fields() -> None:
    parsed, errors = parse_batch(
        batch(
            main_cause=["因病", "因病", "因病", "因病"],
            other_causes=["因残、缺水", "缺水；缺土地", "因残|缺水,缺资金", None],
        )
    )

    assert parsed.column("other_cause_1").to_pylist() == [
        "disability",
        "lack_water",
        "disability",
        None,
    ]
    assert parsed.column("other_cause_2").to_pylist() == [
        "lack_water",
        "lack_land",
        "lack_water",
        None,
    ]
    assert [(e.row, e.code) for e in row_errors(errors)] == [(4, "CAUSE_TOO_MANY")]


def test_exit_before_identification_and_age_rules() -> None:
    _, errors = parse_batch(
        batch(
            first_identified_year=["2016", "2016", "2016"],
            exit_year=["2015", "2016", None],
            income_year=["2018", "2018", "2018"],
            id_number=[
                make_id("1980-01-01", 1),
                make_id("2019-01-01", 1),
                make_id("1990-05-05", 2),
            ],
        ),
        today=date(2024, 1, 1),
    )

    assert {(e.row, e.column, e.code) for e in row_errors(errors)} == {
        (2, "exit_year", "EXIT_BEFORE_IDENTIFICATION"),
        # row 3 (born 2019, income year 2018) is a data-quality note now, not an error
        # (issue 14; tests/registry/test_quality_notes.py)
    }


@pytest.mark.parametrize("value", ["5.13431E+17", "513431197003050110.0"])
def test_excel_damaged_ids_are_flagged(value: str) -> None:
    _, errors = parse_batch(batch(id_number=[value]))
    assert [e.code for e in row_errors(errors)] == ["ID_EXCEL_NUMBER"]


#: Texts that parse (codes, labels, yes/no, numbers), so that valid paths are exercised too.
_codes = sorted(
    {text for c in COLUMNS if c.code_list for text in list(c.code_list.lookup())[:6]}
    | {"是", "否", "4", "2016", "1,234.5", " 因病、缺水 ", make_id("1970-03-05", 11)}
)

_cells = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.from_regex(r"[+\-]?[0-9]{0,20}(\.[0-9]{0,9})?([eE][+\-]?[0-9]{1,3})?", fullmatch=True),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({c.name: _cells for c in COLUMNS}), min_size=1, max_size=5))
def test_any_text_in_any_column_gives_errors_not_exceptions(
    rows: list[dict[str, str | None]],
) -> None:
    columns = {c.name: [r[c.name] for r in rows] for c in COLUMNS}

    parsed, errors = parse_batch(batch(**columns))

    assert parsed.num_rows == len(rows)
    assert set(errors.column("row").to_pylist()) <= set(range(2, len(rows) + 2))


def encoded(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch as the readers hand it over: repeated columns dictionary-encoded."""
    arrays = [
        c if name in ("_row", "name", "id_number") else pc.dictionary_encode(c)
        for name, c in zip(batch.schema.names, batch.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, batch.schema.names)


def decoded(parsed: pa.RecordBatch) -> dict[str, list[object]]:
    return parsed.to_pydict()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {c.name: st.one_of(_cells, st.sampled_from(_codes)) for c in COLUMNS}
        ),
        min_size=1,
        max_size=6,
    )
)
def test_cell_rules_give_the_same_result_for_plain_and_dictionary_encoded_text(
    rows: list[dict[str, str | None]],
) -> None:
    plain = batch(**{c.name: [r[c.name] for r in rows] for c in COLUMNS})

    parsed, errors = parse_batch(plain, today=date(2024, 1, 1))
    parsed_enc, errors_enc = parse_batch(encoded(plain), today=date(2024, 1, 1))

    assert decoded(parsed_enc) == decoded(parsed)
    assert row_errors(errors_enc) == row_errors(errors)


def test_other_causes_are_compared_with_the_main_cause_of_their_own_row() -> None:
    parsed, errors = parse_batch(
        batch(
            main_cause=["因残", "因病", "因残", None],
            other_causes=["因残", "因残", "因残、缺水", "因残"],
        )
    )

    assert [(e.row, e.column, e.code) for e in row_errors(errors)] == [
        (2, "other_causes", "CAUSE_DUPLICATE"),
        (4, "other_causes", "CAUSE_DUPLICATE"),
        (5, "main_cause", "REQUIRED"),
    ]
    assert parsed.column("other_cause_1").to_pylist() == ["disability"] * 4
    assert parsed.column("other_cause_2").to_pylist() == [None, None, "lack_water", None]


def test_parsed_codes_are_stored_once_per_code() -> None:
    parsed, _ = parse_batch(batch(relation=["户主", "之子", "户主", None]))

    relation = parsed.column("relation")
    assert relation.to_pylist() == ["head", "son", "head", None]
    assert relation.dictionary.to_pylist() == list(codes.RELATION.codes)


# --- the stage: rules across rows --------------------------------------------------------------


def staged(stage: Stage, *batches: pa.RecordBatch) -> None:
    for b in batches:
        stage.add(*parse_batch(b, today=date(2024, 1, 1)))


def rows_batch(first_row: int, **columns: Sequence[str | None]) -> pa.RecordBatch:
    b = batch(**columns)
    n = b.num_rows
    return b.set_column(0, "_row", pa.array(range(first_row, first_row + n), pa.int64()))


@pytest.mark.parametrize("large", [False, True])
def test_households_take_the_first_heads_values_across_batches(large: bool) -> None:
    with Stage(large=large) as stage:
        staged(
            stage,
            rows_batch(
                2,
                household_code=["A", "A", "A", "B"],
                relation=["之子", "户主", "户主", "之女"],
                phone=["111", "222", "222", None],
            ),
            rows_batch(
                6,
                household_code=["B", "A", "C"],
                relation=["之子", "之女", "户主"],
                phone=["333", "222", "444"],
            ),
        )
        stage.cross_checks()

        households = stage.con.execute(
            "SELECT seq, household_code, first_row, n_rows, n_heads, ref_row, phone"
            " FROM hh ORDER BY seq"
        ).fetchall()
        found = {(e.row, e.column, e.code, e.value) for e in stage.errors()}
        assert stage.counts().households == 3

    assert households == [
        (1, "A", 2, 4, 2, 3, "222"),
        (2, "B", 5, 2, 0, 5, None),
        (3, "C", 8, 1, 1, 8, "444"),
    ]
    assert found == {
        (2, "phone", "HOUSEHOLD_INCONSISTENT", "111"),
        (4, "relation", "HEAD_MULTIPLE", None),
        (5, "relation", "HEAD_MISSING", None),
        (6, "phone", "HOUSEHOLD_INCONSISTENT", "333"),
    }


def test_a_stage_without_rows_has_its_columns_and_counts_nothing() -> None:
    with Stage() as stage:
        stage.cross_checks()

        assert stage.counts() == Counts(rows=0, households=0, members=0, incomes=0)
        assert stage.errors() == []
        columns = stage.con.sql("SELECT * FROM staged LIMIT 0").to_arrow_table()
        assert columns.schema.names == PARSED_SCHEMA.names


def test_ids_repeated_in_the_file_point_at_their_first_row() -> None:
    first, other = make_id("1970-03-05", 11), make_id("1980-03-05", 12)
    with Stage() as stage:
        staged(
            stage,
            rows_batch(2, id_number=[first, other]),
            rows_batch(4, id_number=[other, first, first]),
        )
        stage.cross_checks()
        found = [(e.row, e.code, e.message) for e in stage.errors()]

    assert found == [
        (4, "ID_DUPLICATE_IN_FILE", f"身份号码 {other} 与第 3 行重复"),
        (5, "ID_DUPLICATE_IN_FILE", f"身份号码 {first} 与第 2 行重复"),
        (6, "ID_DUPLICATE_IN_FILE", f"身份号码 {first} 与第 2 行重复"),
    ]
