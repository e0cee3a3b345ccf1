"""Validate flat registry rows: cell rules per batch (Arrow/numpy), file rules in DuckDB.

Two stages, both set-based:

1. :func:`parse_batch` turns one batch of text cells into typed values (codes, booleans,
   numbers, ID number facts) and error records, with Arrow compute and numpy: no Python loop
   over rows. Cell rules run once per distinct text of a column (a code column of a hundred
   thousand cells holds a few dozen texts) and the verdicts are spread back over the rows.
   The hand-entry services reuse it for single households and members.
2. :class:`Stage` keeps the parsed rows in Parquet files that DuckDB reads (on disk, so
   memory stays bounded) and runs the rules that need several rows or the database: one
   head per household, household columns agreeing on every row, IDs unique in the file and
   in the registry, household codes new, village codes known.

Error records have the columns of :data:`ERROR_SCHEMA`; ``errors.message_for`` words them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction

from fupin.common.bulk import bulk_insert
from fupin.divisions.models import Division, DivisionLevel
from fupin.policy import codes, idnumber
from fupin.registry.imports.columns import (
    CAUSE_SEPARATORS,
    COLUMNS,
    FALSE_TEXT,
    TRUE_TEXT,
    Column,
)
from fupin.registry.imports.errors import (
    ImportReport,
    RowError,
    display_value,
    message_for,
)
from fupin.registry.imports.reader import PLAIN_COLUMNS, ROW, TEXT_DICTIONARY, HeaderIssue
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member

ERROR_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("col", pa.string()),
        ("code", pa.string()),
        ("value", pa.string()),
        ("ref", pa.string()),
        ("ref_num", pa.int64()),
    ]
)

MONEY_TYPE = pa.decimal128(14, 2)
_WIDE_DECIMAL = pa.decimal128(24, 6)

#: Allowed ranges of the integer columns (inclusive). Years follow the database constraints.
INT_RANGES: dict[str, tuple[int, int]] = {
    "first_identified_year": (2013, 2100),
    "exit_year": (2013, 2100),
    "income_year": (2000, 2100),
    "household_size": (1, 99),
    "migrant_months": (0, 12),
}

#: Columns of each level, and the model that stores them.
LEVEL_MODELS: dict[str, type[models.Model]] = {
    "household": Household,
    "conditions": LivingConditions,
    "income": HouseholdIncome,
    "member": Member,
}
#: Columns whose model field is not named like the column.
FIELD_OF_COLUMN = {"household_code": "code"}

#: Parsed fields that replace a column (``other_causes`` -> two fields; the ID adds facts).
CAUSE_FIELDS = ("other_cause_1", "other_cause_2")
ID_FIELDS = ("id_key", "birth_date", "sex")


def _parsed_type(col: Column) -> pa.DataType:
    if col.kind == "bool":
        return pa.bool_()
    if col.kind == "int":
        return pa.int32()
    if col.kind in ("money", "decimal"):
        return MONEY_TYPE
    # Codes and household facts repeat on many rows: a dictionary stores each once.
    return pa.string() if col.name in PLAIN_COLUMNS else TEXT_DICTIONARY


def _parsed_fields() -> list[pa.Field]:
    fields = [pa.field(ROW, pa.int64())]
    for col in COLUMNS:
        if col.kind == "causes":
            fields += [pa.field(name, TEXT_DICTIONARY) for name in CAUSE_FIELDS]
        else:
            fields.append(pa.field(col.name, _parsed_type(col)))
        if col.kind == "id_number":
            fields += [
                pa.field("id_key", pa.int64()),
                pa.field("birth_date", pa.date32()),
                pa.field("sex", TEXT_DICTIONARY),
            ]
    return fields


#: Schema of a parsed batch: ``_row`` and one typed field per column (see module doc). Text
#: fields other than names and ID numbers are dictionary-encoded (``TEXT_DICTIONARY``).
PARSED_SCHEMA = pa.schema(_parsed_fields())
#: Parsed fields stored dictionary-encoded.
DICTIONARY_FIELDS = tuple(f.name for f in PARSED_SCHEMA if pa.types.is_dictionary(f.type))

#: Household-level parsed fields (one value per household, taken from the head's row).
HOUSEHOLD_FIELDS: tuple[str, ...] = tuple(
    name
    for col in COLUMNS
    if col.level != "member" and col.name != "household_code"
    for name in (CAUSE_FIELDS if col.kind == "causes" else (col.name,))
)
MEMBER_FIELDS: tuple[str, ...] = tuple(
    name
    for col in COLUMNS
    if col.level == "member"
    for name in ((col.name, *ID_FIELDS) if col.kind == "id_number" else (col.name,))
)
INCOME_COLUMNS = tuple(c.name for c in COLUMNS if c.level == "income")


def model_field(col: Column) -> models.Field[Any, Any] | None:
    """Return the model field a column fills, or None (``other_causes`` fills two)."""
    model = LEVEL_MODELS[col.level]
    name = FIELD_OF_COLUMN.get(col.name, col.model_field)
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # other_causes fills two fields
        return None
    return field if isinstance(field, models.Field) else None


# --- errors ---------------------------------------------------------------------------------


class ErrorSink:
    """Collect error records for the rows of one batch, selected by boolean masks."""

    def __init__(self, rows: pa.Array) -> None:
        self.rows = rows
        self.parts: list[pa.Table] = []

    def add(
        self,
        mask: pa.Array | pa.ChunkedArray | npt.NDArray[np.bool_],
        column: str,
        code: str,
        value: pa.Array | npt.NDArray[Any] | str | None = None,
        ref: pa.Array | npt.NDArray[Any] | str | None = None,
        ref_num: pa.Array | npt.NDArray[Any] | int | None = None,
    ) -> None:
        idx = np.flatnonzero(as_mask(mask))
        if idx.shape[0] == 0:
            return
        take = pa.array(idx, pa.int64())
        k = idx.shape[0]

        def pick(x: Any, typ: pa.DataType) -> pa.Array:
            if x is None:
                return pa.nulls(k, typ)
            if isinstance(x, (pa.Array, pa.ChunkedArray)):
                return pc.cast(x.take(take), typ)
            if isinstance(x, np.ndarray):
                return pc.cast(pa.array(x[idx]), typ)
            return pa.array([x] * k, typ)

        self.parts.append(
            pa.table(
                [
                    self.rows.take(take),
                    pick(column, pa.string()),
                    pick(code, pa.string()),
                    pick(value, pa.string()),
                    pick(ref, pa.string()),
                    pick(ref_num, pa.int64()),
                ],
                schema=ERROR_SCHEMA,
            )
        )

    def table(self) -> pa.Table:
        if not self.parts:
            return ERROR_SCHEMA.empty_table()
        return pa.concat_tables(self.parts)


def as_mask(mask: pa.Array | pa.ChunkedArray | npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Return a boolean mask as numpy, nulls counting as False."""
    if isinstance(mask, np.ndarray):
        return mask.astype(bool, copy=False)
    filled = pc.fill_null(mask, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    result: npt.NDArray[np.bool_] = filled.to_numpy(zero_copy_only=False)
    return result


class _ExpandingSink:
    """Collect error records of checks run on distinct values into the rows holding them.

    A record for distinct value ``i`` reaches every row whose ``index`` is ``i``, with the
    same value and references; a null index (an empty cell) reaches nothing.
    """

    def __init__(self, sink: ErrorSink | _ExpandingSink, index: pa.Array) -> None:
        self.sink = sink
        self.index = index

    def add(
        self,
        mask: pa.Array | pa.ChunkedArray | npt.NDArray[np.bool_],
        column: str,
        code: str,
        value: pa.Array | npt.NDArray[Any] | str | None = None,
        ref: pa.Array | npt.NDArray[Any] | str | None = None,
        ref_num: pa.Array | npt.NDArray[Any] | int | None = None,
    ) -> None:
        flags = as_mask(mask)
        if not flags.any():  # the common case: no distinct value is bad
            return
        self.sink.add(
            self._rows(pa.array(flags)),
            column,
            code,
            self._rows(value),
            self._rows(ref),
            self._rows(ref_num),
        )

    def _rows(self, x: Any) -> Any:
        if isinstance(x, np.ndarray):
            x = pa.array(x)
        if isinstance(x, (pa.Array, pa.ChunkedArray)):
            return x.take(self.index)
        return x


@dataclass(frozen=True)
class Distinct:
    """A text column as its distinct texts and, per row, an index into them.

    ``values`` holds no null; an empty cell has a null index. Checks run on ``values`` (a few
    hundred codes instead of a hundred thousand cells) and :meth:`rows` spreads a result back.
    """

    values: pa.Array
    index: pa.Array

    @classmethod
    def of(cls, text: pa.Array) -> Distinct:
        if pa.types.is_dictionary(text.type) and not text.dictionary.null_count:
            return cls(text.dictionary, text.indices)
        if pa.types.is_dictionary(text.type):
            text = pc.cast(text, text.type.value_type)
        encoded = pc.dictionary_encode(text)
        return cls(encoded.dictionary, encoded.indices)

    def rows(self, values: pa.Array) -> pa.Array:
        """Return a per-value array spread over the rows (null for empty cells)."""
        return values.take(self.index)

    def flag(
        self,
        sink: ErrorSink | _ExpandingSink,
        bad: pa.Array,
        column: str,
        code: str,
        ref: str | None = None,
    ) -> None:
        """Report every row whose value is ``bad`` (a mask over ``values``), with its text."""
        _ExpandingSink(sink, self.index).add(bad, column, code, self.values, ref)


# --- cell parsers -----------------------------------------------------------------------------

_FOLD_PAIRS = (("（", "("), ("）", ")"), (" ", ""), ("\u3000", ""))


def _fold_text(text: str) -> str:
    for a, b in _FOLD_PAIRS:
        text = text.replace(a, b)
    return text


def _fold(values: pa.Array) -> pa.Array:
    for a, b in _FOLD_PAIRS:
        values = pc.replace_substring(values, a, b)
    return values


_LOOKUPS: dict[str, tuple[pa.Array, pa.Array, int]] = {}


def _lookup_arrays(code_list: codes.CodeList) -> tuple[pa.Array, pa.Array, int]:
    """Return (accepted spellings, their codes, zero-pad width for numeric codes or 0)."""
    cached = _LOOKUPS.get(code_list.name)
    if cached is None:
        cached = _LOOKUPS[code_list.name] = _build_lookup(code_list)
    return cached


def _build_lookup(code_list: codes.CodeList) -> tuple[pa.Array, pa.Array, int]:
    lookup: dict[str, str] = {}
    for text, code in code_list.lookup().items():
        lookup.setdefault(_fold_text(text), code)
    numeric = all(c.isdigit() for c in code_list.codes)
    width = max(len(c) for c in code_list.codes) if numeric else 0
    return pa.array(list(lookup), pa.string()), pa.array(list(lookup.values()), pa.string()), width


def parse_codes(values: pa.Array, code_list: codes.CodeList) -> tuple[pa.Array, pa.Array]:
    """Return (codes, unknown mask) for text that may be a code, a label or an alias."""
    keys, vals, width = _lookup_arrays(code_list)
    folded = _fold(values)
    if width:
        # Excel turns the code "01" into the number 1 ("1.0"): read it back as "01".
        numeric = pc.match_substring_regex(folded, r"^\d+(\.0*)?$")
        digits = pc.replace_substring_regex(folded, r"\.0*$", "")
        folded = pc.if_else(numeric, pc.utf8_lpad(digits, width, "0"), folded)
    idx = pc.index_in(folded, value_set=keys)
    parsed = vals.take(idx)
    unknown = pc.and_(values.is_valid(), idx.is_null())
    return parsed, unknown


_BOOL_KEYS = pa.array(
    [*sorted(t for t in TRUE_TEXT if t), *sorted(f for f in FALSE_TEXT if f), "1.0", "0.0"],
    pa.string(),
)
_BOOL_VALUES = pa.array(
    [True] * len([t for t in TRUE_TEXT if t])
    + [False] * len([f for f in FALSE_TEXT if f])
    + [True, False],
    pa.bool_(),
)


def parse_bools(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Return (booleans, invalid mask) from TRUE_TEXT / FALSE_TEXT spellings."""
    idx = pc.index_in(values, value_set=_BOOL_KEYS)
    return _BOOL_VALUES.take(idx), pc.and_(values.is_valid(), idx.is_null())


def parse_ints(values: pa.Array, lo: int, hi: int) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Return (int32 values, invalid mask, out-of-range mask); "4.0" (Excel) counts as 4."""
    ok = pc.match_substring_regex(values, r"^[+-]?\d{1,9}(\.0*)?$")
    digits = pc.replace_substring_regex(values, r"^\+|\.0*$", "")
    ints = pc.cast(pc.if_else(ok, digits, pa.scalar(None, pa.string())), pa.int64())
    out = pc.or_(pc.less(ints, lo), pc.greater(ints, hi))
    parsed = pc.cast(pc.if_else(out, pa.scalar(None, pa.int64()), ints), pa.int32())
    invalid = pc.and_(values.is_valid(), pc.invert(pc.fill_null(ok, False)))
    return parsed, invalid, pc.fill_null(out, False)


def parse_decimals(
    values: pa.Array, maximum: Decimal
) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """Return (decimal(14,2) values, invalid, negative, too-large masks).

    Thousands separators are dropped; amounts are rounded half up to the fen.
    """
    text = pc.replace_substring(values, ",", "")
    ok = pc.match_substring_regex(text, r"^[+-]?(\d{1,15}(\.\d*)?|\.\d+)$")
    # Six decimals are plenty before rounding to two, and keep the cast below exact.
    trimmed = pc.replace_substring_regex(text, r"^([+-]?\d*\.\d{0,6})\d*$", r"\1")
    wide = pc.cast(pc.if_else(ok, trimmed, pa.scalar(None, pa.string())), _WIDE_DECIMAL)
    wide = pc.round(wide, ndigits=2, round_mode="half_towards_infinity")
    negative = pc.fill_null(pc.less(wide, pa.scalar(Decimal(0), _WIDE_DECIMAL)), False)
    too_large = pc.fill_null(pc.greater(wide, pa.scalar(maximum, _WIDE_DECIMAL)), False)
    bad = pc.or_(negative, too_large)
    parsed = pc.cast(pc.if_else(bad, pa.scalar(None, _WIDE_DECIMAL), wide), MONEY_TYPE)
    invalid = pc.and_(values.is_valid(), pc.invert(pc.fill_null(ok, False)))
    return parsed, invalid, negative, too_large


def decimal_maximum(col: Column) -> Decimal:
    """Return the largest value the column's model field can hold."""
    field = model_field(col)
    if isinstance(field, models.DecimalField) and field.max_digits and field.decimal_places:
        whole = field.max_digits - field.decimal_places
        return Decimal(10) ** whole - Decimal(1).scaleb(-field.decimal_places)
    return Decimal("9999999999.99")


def text_max_length(col: Column) -> int | None:
    field = model_field(col)
    return getattr(field, "max_length", None) if field is not None else None


_CAUSE_PATTERN = "[" + "".join(CAUSE_SEPARATORS) + "/]"


def _parse_causes_rows(
    values: pa.Array, main: pa.Array, sink: ErrorSink | _ExpandingSink
) -> tuple[pa.Array, pa.Array]:
    """Split ``other_causes`` into two codes; report unknown, too many and duplicates."""
    n = len(values)
    parts = pc.split_pattern_regex(values, _CAUSE_PATTERN)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    parent = pc.list_parent_indices(parts).to_numpy()
    keep = as_mask(pc.greater(pc.utf8_length(flat), 0))
    flat_np = flat.filter(pa.array(keep))
    parent = parent[keep]
    codes_arr, unknown = parse_codes(flat_np, codes.CAUSE)
    unknown_np = as_mask(unknown)
    # Report per unknown item (value = the item), on the row it came from.
    bad_rows = parent[unknown_np]
    if bad_rows.shape[0]:
        mask = np.zeros(n, dtype=bool)
        mask[bad_rows] = True
        first_bad = np.full(n, None, dtype=object)
        items = np.asarray(flat_np.filter(pa.array(unknown_np)).to_pylist(), dtype=object)
        first_bad[bad_rows[::-1]] = items[::-1]  # first unknown item of each row
        sink.add(mask, "other_causes", "CODE_UNKNOWN", first_bad)

    counts = np.bincount(parent, minlength=n)
    sink.add(counts > 2, "other_causes", "CAUSE_TOO_MANY", values, counts.astype(str))

    # Position of each item within its row (parents are sorted).
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    position = np.arange(parent.shape[0]) - starts[parent]
    code_np = np.asarray(codes_arr.to_pylist(), dtype=object)
    main_np = np.asarray(main.to_pylist(), dtype=object)
    known = ~unknown_np
    same_as_main = known & (code_np == main_np[parent])
    # A repeated item: the same (row, code) pair seen before.
    pair = np.char.add(parent.astype(str), np.char.add("|", code_np.astype(str)))
    _, first_index = np.unique(pair, return_index=True)
    repeated = np.ones(parent.shape[0], dtype=bool)
    repeated[first_index] = False
    duplicate = same_as_main | (repeated & known)
    if duplicate.any():
        mask = np.zeros(n, dtype=bool)
        mask[parent[duplicate]] = True
        dup_code = np.full(n, None, dtype=object)
        dup_code[parent[duplicate][::-1]] = code_np[duplicate][::-1]
        sink.add(mask, "other_causes", "CAUSE_DUPLICATE", values, dup_code)

    cause1 = np.full(n, None, dtype=object)
    cause2 = np.full(n, None, dtype=object)
    sel1 = known & (position == 0)
    sel2 = known & (position == 1)
    cause1[parent[sel1]] = code_np[sel1]
    cause2[parent[sel2]] = code_np[sel2]
    return pa.array(cause1, pa.string()), pa.array(cause2, pa.string())


def _parse_causes(
    values: pa.Array, main: pa.Array, sink: ErrorSink
) -> tuple[pa.DictionaryArray, pa.DictionaryArray]:
    """Run :func:`_parse_causes_rows` once per distinct (other causes, main cause) pair."""
    n = len(values)
    cells = Distinct.of(values)
    mains = Distinct.of(main)
    width = len(mains.values) + 1  # the last slot stands for "no main cause"
    other = pc.fill_null(cells.index, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    main_at = pc.fill_null(mains.index, width - 1).to_numpy(zero_copy_only=False)
    key = other * width + main_at
    pairs = pc.dictionary_encode(pa.array(key, pa.int64(), mask=other < 0))
    pair_key = pairs.dictionary.to_numpy()
    if not len(pair_key):
        return pa.nulls(n, TEXT_DICTIONARY), pa.nulls(n, TEXT_DICTIONARY)
    pair_main = pair_key % width
    pair_values = cells.values.take(pa.array(pair_key // width))
    pair_mains = mains.values.take(pa.array(pair_main, mask=pair_main == width - 1))
    first, second = _parse_causes_rows(pair_values, pair_mains, _ExpandingSink(sink, pairs.indices))
    causes = _code_array(codes.CAUSE)

    def spread(pair_causes: pa.Array) -> pa.DictionaryArray:
        positions = pc.index_in(pair_causes, value_set=causes)
        return pa.DictionaryArray.from_arrays(positions.take(pairs.indices), causes)

    return spread(first), spread(second)


_CODE_ARRAYS: dict[str, pa.Array] = {}


def _code_array(code_list: codes.CodeList) -> pa.Array:
    """Return the codes of a list as an Arrow array: the dictionary of parsed code columns."""
    cached = _CODE_ARRAYS.get(code_list.name)
    if cached is None:
        cached = _CODE_ARRAYS[code_list.name] = pa.array(list(code_list.codes), pa.string())
    return cached


def _conform(values: pa.Array, typ: pa.DataType) -> pa.Array:
    """Return ``values`` as ``typ``, dictionary-encoding or decoding text as needed."""
    if values.type == typ:
        return values
    if pa.types.is_dictionary(typ) and not pa.types.is_dictionary(values.type):
        cells = Distinct.of(pc.cast(values, typ.value_type))
        return pa.DictionaryArray.from_arrays(cells.index, cells.values)
    return pc.cast(values, typ)


def _clean_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Return a text column as a plain or dictionary array whose nulls are the empty cells."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type) and values.dictionary.null_count:
        values = pc.cast(values, values.type.value_type)
    return values


def parse_batch(
    batch: pa.RecordBatch, *, today: date | None = None
) -> tuple[pa.RecordBatch, pa.Table]:
    """Parse one batch of text cells (reader output) into :data:`PARSED_SCHEMA` and errors.

    Only the columns present in the batch are checked (a column absent from the file is
    reported once, by the caller); absent columns come back as nulls. Text columns may be
    plain or dictionary-encoded; cell rules run once per distinct text.
    """
    today = today or date.today()
    n = batch.num_rows
    rows = batch.column(ROW)
    sink = ErrorSink(rows)
    present = set(batch.schema.names)
    out: dict[str, pa.Array] = {}
    text: dict[str, pa.Array] = {
        name: _clean_text(batch.column(name)) for name in batch.schema.names if name != ROW
    }

    for col in COLUMNS:
        if col.name not in present:
            continue
        values = text[col.name]
        if col.required and values.null_count:
            sink.add(values.is_null(), col.name, "REQUIRED")
        if col.kind == "id_number":
            _parse_ids(values, sink, out, today)
            continue
        if col.kind == "causes":
            main = out.get("main_cause", pa.nulls(n, pa.string()))
            out["other_cause_1"], out["other_cause_2"] = _parse_causes(values, main, sink)
            continue
        if col.kind == "text" and col.name in PLAIN_COLUMNS:
            limit = text_max_length(col)
            if limit:
                values = pc.cast(values, pa.string())
                sink.add(
                    pc.greater(pc.utf8_length(values), limit),
                    col.name,
                    "TEXT_TOO_LONG",
                    values,
                    str(limit),
                )
            out[col.name] = values
            continue
        cells = Distinct.of(values)
        if col.kind == "text":
            limit = text_max_length(col)
            if limit:
                too_long = pc.greater(pc.utf8_length(cells.values), limit)
                cells.flag(sink, too_long, col.name, "TEXT_TOO_LONG", str(limit))
            out[col.name] = pa.DictionaryArray.from_arrays(cells.index, cells.values)
        elif col.kind == "code":
            assert col.code_list is not None
            parsed, unknown = parse_codes(cells.values, col.code_list)
            cells.flag(sink, unknown, col.name, "CODE_UNKNOWN")
            dictionary = _code_array(col.code_list)
            out[col.name] = pa.DictionaryArray.from_arrays(
                cells.rows(pc.index_in(parsed, value_set=dictionary)), dictionary
            )
        elif col.kind == "bool":
            parsed, invalid = parse_bools(cells.values)
            cells.flag(sink, invalid, col.name, "BOOL_INVALID")
            out[col.name] = cells.rows(parsed)
        elif col.kind == "int":
            lo, hi = INT_RANGES.get(col.name, (0, 32767))
            parsed, invalid, out_of_range = parse_ints(cells.values, lo, hi)
            cells.flag(sink, invalid, col.name, "NUMBER_INVALID")
            cells.flag(sink, out_of_range, col.name, "NUMBER_OUT_OF_RANGE", f"{lo} 至 {hi}")
            out[col.name] = cells.rows(parsed)
        elif col.kind in ("money", "decimal"):
            maximum = decimal_maximum(col)
            parsed, invalid, negative, too_large = parse_decimals(cells.values, maximum)
            cells.flag(sink, invalid, col.name, "NUMBER_INVALID")
            if col.kind == "money":
                cells.flag(sink, negative, col.name, "MONEY_NEGATIVE")
            else:
                cells.flag(sink, negative, col.name, "NUMBER_OUT_OF_RANGE", f"0 至 {maximum}")
            cells.flag(sink, too_large, col.name, "NUMBER_OUT_OF_RANGE", f"0 至 {maximum}")
            out[col.name] = cells.rows(parsed)
        elif col.kind == "division":
            digits = pc.replace_substring_regex(cells.values, r"\.0+$", "")
            ok = pc.match_substring_regex(digits, r"^\d{12}$")
            cells.flag(sink, pc.invert(ok), col.name, "DIVISION_UNKNOWN")
            village = Distinct.of(pc.if_else(ok, digits, pa.scalar(None, pa.string())))
            out[col.name] = pa.DictionaryArray.from_arrays(
                cells.rows(village.index), village.values
            )

    _row_rules(text, out, sink, n)

    arrays = [rows]
    for f in PARSED_SCHEMA:
        if f.name == ROW:
            continue
        arr = out.get(f.name)
        arrays.append(pa.nulls(n, f.type) if arr is None else _conform(arr, f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=PARSED_SCHEMA), sink.table()


def _parse_ids(values: pa.Array, sink: ErrorSink, out: dict[str, pa.Array], today: date) -> None:
    if pa.types.is_dictionary(values.type):
        values = pc.cast(values, pa.string())
    result = idnumber.check_array(values.to_numpy(zero_copy_only=False), today=today)
    present = as_mask(values.is_valid())
    bad = present & ~result.valid
    for reason in np.unique(result.reason[bad]).tolist():
        sink.add(bad & (result.reason == reason), "id_number", str(reason), values)
    valid = result.valid & present
    out["id_number"] = pa.array(result.normalized, pa.string(), mask=~valid)
    out["id_key"] = pa.array(result.key, pa.int64(), mask=~valid)
    out["birth_date"] = pa.array(result.birth_date, pa.date32(), mask=~valid)
    out["sex"] = pa.DictionaryArray.from_arrays(
        pa.array(np.where(result.male, 0, 1).astype(np.int32), mask=~valid), _SEXES
    )


_SEXES = pa.array(["male", "female"], pa.string())


def _row_rules(
    text: dict[str, pa.Array], out: dict[str, pa.Array], sink: ErrorSink, n: int
) -> None:
    """Rules between columns of the same row."""
    # An income record needs its year: any filled income column asks for income_year.
    income_given = np.zeros(n, dtype=bool)
    for name in INCOME_COLUMNS:
        if name in text and name != "income_year":
            income_given |= as_mask(text[name].is_valid())
    year_text = text.get("income_year")
    if year_text is not None or income_given.any():
        missing_year = (
            as_mask(year_text.is_null()) if year_text is not None else np.ones(n, dtype=bool)
        )
        sink.add(income_given & missing_year, "income_year", "REQUIRED")

    first = out.get("first_identified_year")
    exit_year = out.get("exit_year")
    if first is not None and exit_year is not None:
        sink.add(
            pc.less(exit_year, first),
            "exit_year",
            "EXIT_BEFORE_IDENTIFICATION",
            exit_year,
            pc.cast(first, pa.string()),
        )

    # An implausible age (born after the record's year, older than 120 in it) is no longer a
    # refusal (issue 14: GB 11643 makes any real date valid): it is a data-quality note on the
    # record (fupin.policy.data_quality, shown on the household page and counted by
    # fupin.registry.quality).


# --- file-wide rules in DuckDB --------------------------------------------------------------


def quote_ident(name: str) -> str:
    """Quote a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Counts:
    rows: int
    households: int
    members: int
    incomes: int


class Stage:
    """Parsed rows and error records of one import, held in DuckDB.

    The parsed rows (the view ``staged``) are Parquet files in a temporary directory, one per
    batch: writing a batch there costs a tenth of inserting it into a DuckDB table (which
    compresses every string column as it goes), and DuckDB scans them in parallel. The
    household tables are DuckDB temporary tables, which spill to that directory past the
    memory limit. ``large`` puts the DuckDB database (the error records) in a file there
    too, for inputs that may not fit in memory. Use as a context manager; the files are
    removed on exit.
    """

    def __init__(self, *, large: bool = False, memory_limit: str = "2GB") -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="fupin-import-")
        root = Path(self._tmp.name)
        path = str(root / "stage.duckdb") if large else ":memory:"
        self._parts = root / "staged"
        self._parts.mkdir()
        self._part_count = 0
        self.con = duckdb.connect(path)
        self.con.execute(f"SET temp_directory = {_sql_text(str(root / 'spill'))}")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")
        # An empty part gives the view its columns until the first rows come.
        self._empty_part: Path | None = self._write_part(PARSED_SCHEMA.empty_table())
        pattern = _sql_text(str(self._parts / "*.parquet"))
        self.con.execute(f"CREATE VIEW staged AS SELECT * FROM read_parquet({pattern})")
        self.con.register("_empty_errors", ERROR_SCHEMA.empty_table())
        self.con.execute("CREATE TABLE errors AS SELECT * FROM _empty_errors")
        self.con.unregister("_empty_errors")
        self.rows = 0
        self._hh_ready = False

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._tmp.cleanup()

    # -- loading --

    def add(self, parsed: pa.RecordBatch, errors: pa.Table) -> None:
        """Stage one batch of :func:`parse_batch` output and its errors."""
        if parsed.num_rows:
            table = pa.Table.from_batches([parsed])
            self._write_part(table if table.schema == PARSED_SCHEMA else table.cast(PARSED_SCHEMA))
            if self._empty_part is not None:
                # DuckDB estimates the rows of the view from its first file: an empty one
                # would make it plan joins the wrong way round.
                self._empty_part.unlink()
                self._empty_part = None
        self.add_errors(errors)
        self.rows += parsed.num_rows

    def _write_part(self, table: pa.Table) -> Path:
        path = self._parts / f"part-{self._part_count:06d}.parquet"
        self._part_count += 1
        pq.write_table(
            table,
            path,
            compression="lz4",
            # Dictionary columns are written with their own dictionaries; hashing the nearly
            # unique ones (names, ID numbers) again would cost more than it saves.
            use_dictionary=list(DICTIONARY_FIELDS),
            write_statistics=False,
        )
        return path

    def add_errors(self, errors: pa.Table) -> None:
        if errors.num_rows:
            self.con.register("_errors", errors)
            self.con.execute("INSERT INTO errors SELECT * FROM _errors")
            self.con.unregister("_errors")

    def add_issues(self, issues: Iterable[HeaderIssue]) -> None:
        items = list(issues)
        if not items:
            return
        self.add_errors(
            pa.table(
                {
                    "row": pa.array([i.row for i in items], pa.int64()),
                    "col": pa.array([i.column for i in items], pa.string()),
                    "code": pa.array([i.code for i in items], pa.string()),
                    "value": pa.nulls(len(items), pa.string()),
                    "ref": pa.array([i.ref for i in items], pa.string()),
                    "ref_num": pa.nulls(len(items), pa.int64()),
                },
                schema=ERROR_SCHEMA,
            )
        )

    # -- rules across rows --

    def build_households(self) -> None:
        """Make ``hh``: one row per household with the head's household-level values.

        The rows are first grouped by household and all household-level values
        (``hh_variants``: one row per distinct set of values in a household, nulls alike),
        which yields the household's values without joining every row back, and tells which
        households disagree between rows (``n_variants > 1``) for :meth:`cross_checks`.
        Temporary tables stay in memory up to the memory limit and spill to disk past it.
        """
        fields = ", ".join(quote_ident(c) for c in HOUSEHOLD_FIELDS)
        v_fields = ", ".join(f"v.{quote_ident(c)}" for c in HOUSEHOLD_FIELDS)
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE hh_variants AS
            SELECT household_code, {fields},
                   min({ROW}) AS first_row,
                   count(*) AS n_rows,
                   count(*) FILTER (WHERE relation = 'head') AS n_heads,
                   min({ROW}) FILTER (WHERE relation = 'head') AS head_row
            FROM staged WHERE household_code IS NOT NULL
            GROUP BY household_code, {fields}
            """
        )
        # The reference row is the first head's, else the household's first row; exactly
        # one variant holds it.
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE hh AS
            WITH g AS (
                SELECT household_code,
                       min(first_row) AS first_row,
                       CAST(sum(n_rows) AS BIGINT) AS n_rows,
                       CAST(sum(n_heads) AS BIGINT) AS n_heads,
                       coalesce(min(head_row), min(first_row)) AS ref_row,
                       count(*) AS n_variants
                FROM hh_variants GROUP BY household_code
            ),
            numbered AS (SELECT row_number() OVER (ORDER BY first_row) AS seq, * FROM g)
            SELECT n.seq, n.household_code, n.first_row, n.n_rows, n.n_heads, n.ref_row,
                   {v_fields}, n.n_variants
            FROM numbered n JOIN hh_variants v
              ON v.household_code = n.household_code
             AND (v.head_row = n.ref_row OR (n.n_heads = 0 AND v.first_row = n.ref_row))
            """
        )
        self.con.execute("DROP TABLE hh_variants")
        self._hh_ready = True

    def cross_checks(self) -> None:
        """Rules between rows: heads, household columns agreeing, IDs unique in the file."""
        if not self._hh_ready:
            self.build_households()
        con = self.con
        con.execute(
            """
            INSERT INTO errors
            SELECT first_row, 'relation', 'HEAD_MISSING', NULL, household_code, NULL
            FROM hh WHERE n_heads = 0
            """
        )
        con.execute(
            f"""
            INSERT INTO errors
            SELECT s.{ROW}, 'relation', 'HEAD_MULTIPLE', NULL, s.household_code, hh.ref_row
            FROM staged s JOIN (SELECT * FROM hh WHERE n_heads > 1) hh USING (household_code)
            WHERE s.relation = 'head' AND s.{ROW} <> hh.ref_row
            """
        )
        # Only repeated IDs need the window (a hash aggregate finds them cheaply).
        con.execute(
            f"""
            INSERT INTO errors
            SELECT {ROW}, 'id_number', 'ID_DUPLICATE_IN_FILE', id_number, NULL, first_row
            FROM (
                SELECT {ROW}, id_number, min({ROW}) OVER (PARTITION BY id_key) AS first_row
                FROM staged WHERE id_key IN (
                    SELECT id_key FROM staged WHERE id_key IS NOT NULL
                    GROUP BY id_key HAVING count(*) > 1
                )
            ) WHERE {ROW} > first_row
            """
        )
        self._inconsistencies()

    def _inconsistencies(self) -> None:
        con = self.con
        fields = HOUSEHOLD_FIELDS
        differs = " OR ".join(
            f"s.{quote_ident(c)} IS DISTINCT FROM hh.{quote_ident(c)}" for c in fields
        )
        q = quote_ident
        pairs = ", ".join(f"s.{q(c)} AS {q('s_' + c)}, hh.{q(c)} AS {q('h_' + c)}" for c in fields)
        # Only households whose rows hold more than one set of values can disagree.
        if not con.execute("SELECT count(*) FROM hh WHERE n_variants > 1").fetchall()[0][0]:
            return
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE diffs AS
            SELECT s.{ROW} AS row, hh.ref_row, {pairs}
            FROM staged s JOIN (SELECT * FROM hh WHERE n_variants > 1) hh USING (household_code)
            WHERE s.{ROW} <> hh.ref_row AND ({differs})
            """
        )
        if not con.execute("SELECT count(*) FROM diffs").fetchall()[0][0]:
            con.execute("DROP TABLE diffs")
            return
        selects = []
        for col in COLUMNS:
            if col.level == "member" or col.name == "household_code":
                continue
            if col.kind == "causes":
                s_val = "concat_ws('、', s_other_cause_1, s_other_cause_2)"
                h_val = "concat_ws('、', h_other_cause_1, h_other_cause_2)"
            else:
                s_val = f"CAST({quote_ident('s_' + col.name)} AS VARCHAR)"
                h_val = f"CAST({quote_ident('h_' + col.name)} AS VARCHAR)"
            selects.append(
                f"SELECT row, '{col.name}', 'HOUSEHOLD_INCONSISTENT', {s_val}, {h_val}, ref_row "
                f"FROM diffs WHERE {s_val} IS DISTINCT FROM {h_val}"
            )
        con.execute("INSERT INTO errors " + " UNION ALL ".join(selects))
        # A cell that failed its own check (on this row or on the head's) is reported once.
        con.execute(
            """
            DELETE FROM errors e WHERE e.code = 'HOUSEHOLD_INCONSISTENT' AND EXISTS (
                SELECT 1 FROM errors x
                WHERE x.code <> 'HOUSEHOLD_INCONSISTENT' AND x.col = e.col
                  AND (x.row = e.row OR x.row = e.ref_num))
            """
        )
        con.execute("DROP TABLE diffs")

    # -- rules against the database --

    def registry_checks(self, *, mode: str = "insert", scope: str | None = None) -> None:
        """Refuse unknown villages, household codes and ID numbers already registered.

        With ``mode="upsert"`` a registered 户编号 is the household to update and an ID number
        registered in that same household is the member to update; an ID number registered
        in another household is still refused. ``scope`` (a division prefix) refuses villages
        outside it, and (upsert) registered households whose stored village lies outside it.
        """
        if not self._hh_ready:
            self.build_households()
        con = self.con
        if scope:
            con.execute(
                f"""
                INSERT INTO errors
                SELECT {ROW}, 'village_code', 'VILLAGE_OUT_OF_SCOPE', village_code, $scope, NULL
                FROM staged
                WHERE village_code IS NOT NULL AND NOT starts_with(village_code, $scope)
                """,
                {"scope": scope},
            )
        division = Division._meta.db_table
        found = probe(
            con,
            "SELECT DISTINCT village_code AS v FROM staged WHERE village_code IS NOT NULL",
            sql_type="varchar(12)",
            join=(
                f"SELECT p.v FROM fupin_import_probe p JOIN {connection.ops.quote_name(division)} d"
                f" ON d.code = p.v AND d.level = {int(DivisionLevel.VILLAGE)}"
            ),
            schema=pa.schema([("v", pa.string())]),
        )
        con.register("_known_villages", found)
        con.execute(
            f"""
            INSERT INTO errors
            SELECT {ROW}, 'village_code', 'DIVISION_UNKNOWN', village_code, NULL, NULL
            FROM staged
            WHERE village_code IS NOT NULL
              AND village_code NOT IN (SELECT v FROM _known_villages)
            """
        )
        con.unregister("_known_villages")

        household = connection.ops.quote_name(Household._meta.db_table)
        if _has_rows(household):
            found = probe(
                con,
                "SELECT household_code AS v FROM hh",
                sql_type="varchar(32)",
                join=(
                    f"SELECT p.v, h.village_id FROM fupin_import_probe p"
                    f" JOIN {household} h ON h.code = p.v"
                ),
                schema=pa.schema([("v", pa.string()), ("village", pa.string())]),
            )
            con.register("_existing", found)
            if mode != "upsert":
                con.execute(
                    """
                    INSERT INTO errors
                    SELECT first_row, 'household_code', 'HOUSEHOLD_EXISTS', household_code,
                           NULL, NULL
                    FROM hh WHERE household_code IN (SELECT v FROM _existing)
                    """
                )
            elif scope:
                con.execute(
                    """
                    INSERT INTO errors
                    SELECT hh.first_row, 'household_code', 'HOUSEHOLD_OUT_OF_SCOPE',
                           hh.household_code, NULL, NULL
                    FROM hh JOIN _existing e ON e.v = hh.household_code
                    WHERE NOT starts_with(e.village, $scope)
                    """,
                    {"scope": scope},
                )
            con.unregister("_existing")

        member = connection.ops.quote_name(Member._meta.db_table)
        if _has_rows(member):
            found = probe(
                con,
                "SELECT DISTINCT id_key AS v FROM staged WHERE id_key IS NOT NULL",
                sql_type="bigint",
                join=(
                    f"SELECT p.v, h.code FROM fupin_import_probe p"
                    f" JOIN {member} m ON m.id_key = p.v"
                    f" JOIN {household} h ON h.id = m.household_id"
                ),
                schema=pa.schema([("v", pa.int64()), ("code", pa.string())]),
            )
            same_household = (
                "WHERE e.code IS DISTINCT FROM s.household_code" if mode == "upsert" else ""
            )
            con.register("_existing", found)
            con.execute(
                f"""
                INSERT INTO errors
                SELECT s.{ROW}, 'id_number', 'ID_EXISTS', s.id_number, e.code, NULL
                FROM staged s JOIN _existing e ON e.v = s.id_key
                {same_household}
                """
            )
            con.unregister("_existing")

    # -- results --

    def counts(self) -> Counts:
        if not self._hh_ready:
            self.build_households()
        row = self.con.execute(
            """
            SELECT (SELECT count(*) FROM staged),
                   (SELECT count(*) FROM hh),
                   (SELECT count(*) FROM staged WHERE household_code IS NOT NULL),
                   (SELECT count(*) FROM hh WHERE income_year IS NOT NULL)
            """
        ).fetchall()[0]
        return Counts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def error_count(self) -> int:
        rows = self.con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT row, col, code FROM errors)"
        ).fetchall()
        return int(rows[0][0])

    def errors(self, limit: int | None = None) -> list[RowError]:
        """Return the errors in file order (row, then column order of the file spec)."""
        order = pa.table(
            {
                "col": [c.name for c in COLUMNS],
                "pos": list(range(len(COLUMNS))),
            }
        )
        self.con.register("_order", order)
        limit_sql = f"LIMIT {int(limit)}" if limit is not None else ""
        result = self.con.execute(
            f"""
            SELECT e.row, e.col, e.code, any_value(e.value), any_value(e.ref),
                   any_value(e.ref_num)
            FROM errors e LEFT JOIN _order o ON o.col = e.col
            GROUP BY e.row, e.col, e.code, o.pos
            ORDER BY e.row, coalesce(o.pos, -1), e.code
            {limit_sql}
            """
        ).fetchall()
        self.con.unregister("_order")
        return [
            RowError(
                row=int(r),
                column=c,
                code=code,
                message=message_for(code, c, value, ref, ref_num),
                value=display_value(c, value) if code == "HOUSEHOLD_INCONSISTENT" else value,
            )
            for r, c, code, value, ref, ref_num in result
        ]

    def report(self, max_errors: int | None) -> ImportReport:
        counts = self.counts()
        return ImportReport(
            rows=counts.rows,
            households=counts.households,
            members=counts.members,
            incomes=counts.incomes,
            conditions=counts.households,
            errors=self.errors(max_errors),
            error_count=self.error_count(),
        )


def _sql_text(text: str) -> str:
    """Quote a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def _has_rows(quoted_table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {quoted_table} LIMIT 1")
        return cursor.fetchone() is not None


def probe(
    con: duckdb.DuckDBPyConnection,
    select: str,
    *,
    sql_type: str,
    join: str,
    schema: pa.Schema,
) -> pa.Table:
    """Send the values of a DuckDB query to the database and return what ``join`` finds.

    The values go into a temporary table ``fupin_import_probe(v)`` (``COPY`` on PostgreSQL,
    ``executemany`` on SQLite) so that millions of keys are matched by one indexed join
    instead of millions of lookups.
    """
    reader = con.sql(select).to_arrow_reader(100_000)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS fupin_import_probe")
        cursor.execute(f"CREATE TEMPORARY TABLE fupin_import_probe (v {sql_type})")
        try:
            bulk_insert("fupin_import_probe", ["v"], reader)
            cursor.execute(join)
            rows = cursor.fetchall()
        finally:
            cursor.execute("DROP TABLE fupin_import_probe")
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.table([list(col) for col in columns], schema=schema)


__all__ = [
    "ERROR_SCHEMA",
    "HOUSEHOLD_FIELDS",
    "MEMBER_FIELDS",
    "PARSED_SCHEMA",
    "ErrorSink",
    "Stage",
    "parse_batch",
    "parse_bools",
    "parse_codes",
    "parse_decimals",
    "parse_ints",
    "row_errors",
]


def row_errors(errors: pa.Table) -> list[RowError]:
    """Word a table of error records (``ERROR_SCHEMA``) as ``RowError`` objects, in row order."""
    records = errors.sort_by([("row", "ascending")]).to_pylist()
    seen: set[tuple[int, str, str]] = set()
    out: list[RowError] = []
    for r in records:
        key = (r["row"], r["col"], r["code"])
        if key in seen:
            continue
        seen.add(key)
        out.append(
            RowError(
                row=int(r["row"]),
                column=r["col"],
                code=r["code"],
                message=message_for(r["code"], r["col"], r["value"], r["ref"], r["ref_num"]),
                value=r["value"],
            )
        )
    return out
