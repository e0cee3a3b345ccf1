"""Read a flat registry file (CSV, Parquet, xlsx/xls/ods) as a stream of text columns.

Every reader yields Arrow record batches whose columns are the canonical names of
``columns.COLUMNS`` (headers may be the names or the Chinese headings), every cell as trimmed
text (``None`` when empty), plus ``_row``: the row number a spreadsheet user sees (header = 1).
Rows with no text at all (blank lines, Excel's trailing ``,,,,``) are dropped.
Cells stay text on purpose: an ID number that Excel stored as a number must reach the ID
checker as the text Excel shows ("5.13431E+17", "513431199001011234.0") so it can be refused.

Columns whose values repeat (codes, yes/no, numbers, the household facts on every member row)
come dictionary-encoded: each distinct text once, non-null, and per row an index (null for an
empty cell). Typed input (a Parquet number or boolean column) is turned into text once per
distinct value, and the checks downstream run once per distinct value too. ``PLAIN_COLUMNS``
(names and ID numbers, nearly unique per row) stay plain strings.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from fupin.common.errors import FupinError
from fupin.registry.imports.columns import COLUMNS, HEADER_ALIASES

ROW = "_row"
BATCH_ROWS = 100_000
CSV_BLOCK_BYTES = 8 << 20
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
SUFFIXES = frozenset({".csv", ".parquet", ".pq"}) | EXCEL_SUFFIXES

#: Columns read as plain strings: member-level free text and ID numbers barely repeat, so
#: dictionary-encoding them would cost a hash per row and save nothing.
PLAIN_COLUMNS = frozenset(
    c.name for c in COLUMNS if c.level == "member" and c.kind in ("text", "id_number")
)
#: The type of the other text columns of a batch.
TEXT_DICTIONARY = pa.dictionary(pa.int32(), pa.string())

_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "\u3000": "", " ": "", "\ufeff": ""})


def normalize_header(text: str) -> str:
    """Fold a header for matching: no spaces or BOM, ASCII parentheses, lower case."""
    return text.strip().translate(_FULLWIDTH).lower()


#: Folded header spelling -> canonical column name.
HEADER_LOOKUP: dict[str, str] = {normalize_header(k): v for k, v in HEADER_ALIASES.items()}


@dataclass
class HeaderIssue:
    """A problem with the header row or with a whole row: ``(row, column, code, ref)``."""

    row: int
    column: str
    code: str
    ref: str | None = None


@dataclass
class FlatSource:
    """A readable flat file: its recognised columns and a one-pass stream of batches.

    ``issues`` gains entries while ``batches`` is consumed (rows with the wrong number of
    cells); read it after the stream is exhausted.
    """

    columns: list[str]
    batches: Iterator[pa.RecordBatch]
    total_rows: int | None = None
    issues: list[HeaderIssue] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)


def map_headers(names: Iterable[object]) -> tuple[dict[int, str], list[HeaderIssue], list[str]]:
    """Map header positions to canonical names; report duplicated and unknown headers."""
    positions: dict[int, str] = {}
    seen: dict[str, list[str]] = {}
    unknown: list[str] = []
    for i, raw in enumerate(names):
        text = "" if raw is None else str(raw)
        canonical = HEADER_LOOKUP.get(normalize_header(text))
        if canonical is None:
            if text.strip():
                unknown.append(text.strip())
            continue
        seen.setdefault(canonical, []).append(text.strip())
        if len(seen[canonical]) == 1:
            positions[i] = canonical
    issues = [
        HeaderIssue(1, name, "FILE_DUPLICATE_COLUMN", "、".join(spellings))
        for name, spellings in seen.items()
        if len(spellings) > 1
    ]
    return positions, issues, unknown


def open_flat_file(path: Path, *, batch_rows: int = BATCH_ROWS) -> FlatSource:
    """Open a flat registry file by its suffix; raise ``FupinError`` when it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise FupinError("FILE_NOT_FOUND", f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _open_csv(path, batch_rows=batch_rows)
    if suffix in (".parquet", ".pq"):
        return _open_parquet(path, batch_rows=batch_rows)
    if suffix in EXCEL_SUFFIXES:
        return _open_excel(path, batch_rows=batch_rows)
    raise FupinError(
        "FILE_UNSUPPORTED",
        f"不支持的文件类型“{suffix or path.name}”：请使用 CSV、Parquet 或 Excel（xlsx/xls/ods）",
    )


def open_arrow(
    data: pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch], *, batch_rows: int = BATCH_ROWS
) -> FlatSource:
    """Read Arrow data held by the caller: row ``i`` (0-based) is spreadsheet row ``i + 2``."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        names = data.schema.names
        total: int | None = data.num_rows
        stream: Iterable[pa.RecordBatch] = data.to_batches(max_chunksize=batch_rows)
    else:
        iterator = iter(data)
        first = next(iterator, None)
        if first is None:
            return FlatSource([], iter(()), 0)
        names = first.schema.names
        total = None
        stream = _chain(first, iterator)
    positions, issues, unknown = map_headers(names)

    def batches() -> Iterator[pa.RecordBatch]:
        offset = 0
        for batch in stream:
            n = batch.num_rows
            rows = np.arange(offset + 2, offset + 2 + n, dtype=np.int64)
            offset += n
            cols = {positions[i]: batch.column(i) for i in positions}
            out = _finish(cols, rows)
            if out is not None:
                yield out

    return FlatSource(list(positions.values()), batches(), total, issues, unknown)


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


def _finish(cols: dict[str, pa.Array | pa.ChunkedArray], rows: np.ndarray) -> pa.RecordBatch | None:
    """Cast to trimmed text (empty -> null), add ``_row`` and drop rows with no text at all."""
    arrays: dict[str, pa.Array] = {}
    any_text: np.ndarray = np.zeros(rows.shape[0], dtype=bool)
    for name, arr in cols.items():
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        text = as_text(arr) if name in PLAIN_COLUMNS else as_encoded_text(arr)
        arrays[name] = text
        if text.null_count:
            any_text |= text.is_valid().to_numpy(zero_copy_only=False)
        else:
            any_text[:] = True
    if not arrays:
        return None
    keep = np.flatnonzero(any_text)
    if keep.shape[0] == 0:
        return None
    row_array = pa.array(rows, pa.int64())
    if keep.shape[0] < rows.shape[0]:
        take = pa.array(keep)
        arrays = {k: v.take(take) for k, v in arrays.items()}
        row_array = row_array.take(take)
    return pa.RecordBatch.from_arrays([row_array, *arrays.values()], [ROW, *arrays.keys()])


def as_text(arr: pa.Array) -> pa.Array:
    """Return a column as trimmed strings, empty cells as null."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    elif not pa.types.is_string(arr.type):
        if pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type):
            arr = pa.array(
                [None if v is None else v.decode("utf-8", "replace") for v in arr.to_pylist()],
                pa.string(),
            )
        else:
            arr = pc.cast(arr, pa.string())
    text = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(pc.utf8_length(text), 0)
    result: pa.Array = pc.if_else(empty, pa.scalar(None, pa.string()), text)
    return result


def as_encoded_text(arr: pa.Array) -> pa.DictionaryArray:
    """Return a column as :func:`as_text` would, dictionary-encoded with a clean dictionary.

    The dictionary holds each distinct trimmed text once and no null; an empty cell is a null
    index. Only the distinct values are cast and trimmed.
    """
    if pa.types.is_dictionary(arr.type):
        dictionary, indices = arr.dictionary, arr.indices
    else:
        try:
            encoded = pc.dictionary_encode(arr)
        except pa.ArrowNotImplementedError:  # a type Arrow cannot hash: cast every row
            encoded = pc.dictionary_encode(as_text(arr))
        dictionary, indices = encoded.dictionary, encoded.indices
    text = as_text(dictionary)
    # Trimming can merge values (" a" and "a") and empty ones become null: re-map the indices
    # onto the distinct non-null texts.
    distinct = pc.unique(text)
    if distinct.null_count:
        distinct = distinct.drop_null()
    if len(distinct) != len(text):
        indices = pc.index_in(text, value_set=distinct).take(indices)
        text = distinct
    if indices.type != pa.int32():
        indices = indices.cast(pa.int32())
    return pa.DictionaryArray.from_arrays(indices, text)


# --- CSV ---------------------------------------------------------------------------------

_SAMPLE_BYTES = 1 << 20


def detect_encoding(path: Path) -> tuple[str, str]:
    """Return ``(encoding for pyarrow, first text line)``: UTF-8 (with or without BOM) or GB18030.

    Chinese Excel saves "CSV" in the ANSI code page (GBK); GB18030 is its superset.
    """
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    if not sample.strip():
        raise FupinError("FILE_EMPTY", "文件是空的：第1行应为表头")
    if sample.startswith(codecs.BOM_UTF8):
        sample = sample[len(codecs.BOM_UTF8) :]
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(sample, final=False)
        encoding = "utf8"
    except UnicodeDecodeError:
        text = sample.decode("gb18030", errors="replace")
        encoding = "gb18030"
    return encoding, text


def _open_csv(path: Path, *, batch_rows: int) -> FlatSource:
    encoding, text = detect_encoding(path)
    header = next(csv.reader(io.StringIO(text)), [])
    if not any(h.strip() for h in header):
        raise FupinError("FILE_EMPTY", "文件第1行应为表头（列名），但第1行是空的")
    names = [f"c{i}" for i in range(len(header))]
    positions, issues, unknown = map_headers(header)
    source = FlatSource(list(positions.values()), iter(()), None, issues, unknown)
    skipped: list[int] = []

    def on_invalid(row: Any) -> str:
        number = int(row.number) if row.number is not None else 0
        skipped.append(number)
        source.issues.append(
            HeaderIssue(
                number, "", "FILE_ROW_INVALID", f"{row.actual_columns}/{row.expected_columns}"
            )
        )
        return "skip"

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            reader = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(
                    use_threads=False,
                    block_size=CSV_BLOCK_BYTES,
                    skip_rows=1,
                    column_names=names,
                    encoding=encoding,
                ),
                parse_options=pacsv.ParseOptions(
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    include_columns=[names[i] for i in positions],
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            ordinal = 0
            for batch in reader:
                n = batch.num_rows
                ordinals = np.arange(ordinal, ordinal + n, dtype=np.int64)
                ordinal += n
                rows = _rows_after_skips(ordinals, skipped)
                cols = {positions[i]: batch.column(names[i]) for i in positions}
                for start in range(0, n, batch_rows):
                    part = {k: v.slice(start, batch_rows) for k, v in cols.items()}
                    out = _finish(part, rows[start : start + batch_rows])
                    if out is not None:
                        yield out
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc) or "utf8" in str(exc) or "decode" in str(exc):
                raise FupinError(
                    "FILE_ENCODING",
                    "文件编码无法识别：请另存为“CSV UTF-8（逗号分隔）”后重新导入",
                    {"detail": str(exc)},
                ) from exc
            raise FupinError("FILE_UNREADABLE", f"无法读取 CSV 文件：{exc}") from exc

    source.batches = batches()
    return source


def _rows_after_skips(ordinals: np.ndarray, skipped: list[int]) -> np.ndarray:
    """Return the file row of each record, counting the rows the parser skipped.

    ``skipped`` holds the file rows (header = 1) of refused rows in order; the i-th of them
    follows ``skipped[i] - i - 2`` good records, so a record moves down one row per skipped
    row that precedes it.
    """
    base = ordinals + 2
    if not skipped:
        return base
    after = np.asarray(skipped, dtype=np.int64) - np.arange(len(skipped), dtype=np.int64)
    return base + np.searchsorted(after, base, side="right")


# --- Parquet -------------------------------------------------------------------------------


def _open_parquet(path: Path, *, batch_rows: int) -> FlatSource:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise FupinError("FILE_UNREADABLE", f"无法读取 Parquet 文件：{exc}") from exc
    names = pf.schema_arrow.names
    positions, issues, unknown = map_headers(names)

    def batches() -> Iterator[pa.RecordBatch]:
        offset = 0
        wanted = [names[i] for i in positions]
        for batch in pf.iter_batches(batch_size=batch_rows, columns=wanted):
            n = batch.num_rows
            rows = np.arange(offset + 2, offset + 2 + n, dtype=np.int64)
            offset += n
            cols = {positions[i]: batch.column(names[i]) for i in positions}
            out = _finish(cols, rows)
            if out is not None:
                yield out

    return FlatSource(list(positions.values()), batches(), pf.metadata.num_rows, issues, unknown)


# --- Excel ---------------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """Return a cell as the text a user sees; numbers keep a float's form ("4.0", "5.1e+17")."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _open_excel(path: Path, *, batch_rows: int) -> FlatSource:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format
        raise FupinError("FILE_UNREADABLE", f"无法读取 Excel 文件：{exc}") from exc
    sheet: Any = None
    header: list[Any] = []
    rows_iter: Iterator[list[Any]] = iter(())
    for index in range(len(workbook.sheet_names)):
        candidate = workbook.get_sheet_by_index(index)
        it = iter(candidate.iter_rows())
        first = next(it, None)
        if first is None:
            continue
        recognised = sum(1 for h in first if HEADER_LOOKUP.get(normalize_header(str(h))))
        if sheet is None or recognised >= 3:
            sheet, header, rows_iter = candidate, list(first), it
            if recognised >= 3:
                break
    if sheet is None:
        raise FupinError("FILE_EMPTY", "Excel 文件中没有数据：第1行应为表头")
    header_row = int(sheet.start[0]) + 1 if sheet.start else 1
    positions, issues, unknown = map_headers(header)
    issues = [HeaderIssue(header_row, i.column, i.code, i.ref) for i in issues]
    width = len(header)

    def batches() -> Iterator[pa.RecordBatch]:
        offset = header_row + 1
        chunk: list[list[Any]] = []
        for row in rows_iter:
            chunk.append(row)
            if len(chunk) >= batch_rows:
                yield from _excel_batch(chunk, offset, positions, width)
                offset += len(chunk)
                chunk = []
        if chunk:
            yield from _excel_batch(chunk, offset, positions, width)

    return FlatSource(
        list(positions.values()), batches(), max(int(sheet.height) - 1, 0), issues, unknown
    )


def _excel_batch(
    chunk: list[list[Any]], offset: int, positions: dict[int, str], width: int
) -> Iterator[pa.RecordBatch]:
    rows = np.arange(offset, offset + len(chunk), dtype=np.int64)
    cols: dict[str, pa.Array] = {}
    for i, name in positions.items():
        values = [cell_text(r[i]) if i < len(r) else None for r in chunk]
        cols[name] = pa.array(values, pa.string())
    out = _finish(cols, rows)
    if out is not None:
        yield out


def required_missing(columns: Iterable[str]) -> list[str]:
    """Return the required canonical columns that a header lacks, in file-spec order."""
    present = set(columns)
    return [c.name for c in COLUMNS if c.required and c.name not in present]
