"""Set-based bulk writes: PostgreSQL ``COPY`` and SQLite ``executemany`` from Arrow batches.

The ORM's ``bulk_create`` runs at about 18k rows/s; these paths run at 0.25–0.8M rows/s
(ARCHITECTURE.md, "The bulk path"). Callers run them inside ``transaction.atomic()`` so a
failure stores nothing.

On PostgreSQL the rows go in ``COPY``'s binary format whenever every column's Arrow type
maps exactly onto the column's type (integers, booleans, dates, timestamps, decimals,
floats, text, JSON): the server then parses nothing, which halves its share of a load
(5.0 s -> 2.4 s for the 1.67M rows of a 1M-person import). A batch that cannot be sent so
(another type, a value out of the column type's range) goes as CSV, in a ``COPY`` of its
own, and the server judges it as before. The next batch is read and encoded in a helper
thread while the server takes the current one (Arrow, DuckDB and psycopg release the GIL
for their work), at most two batches ahead so memory stays bounded. On SQLite both sides
need the GIL (binding parameters, building Python rows), so it runs in one thread.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import ExitStack, closing
from typing import Any, TypeAlias, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import connections

Batch: TypeAlias = pa.RecordBatch | pa.Table
T = TypeVar("T")
#: Converted batches waiting for the database, at most.
PREFETCH = 2


def vendor(using: str = "default") -> str:
    return connections[using].vendor


def quote_name(name: str, using: str = "default") -> str:
    return connections[using].ops.quote_name(name)


def bulk_insert(
    table: str,
    columns: Sequence[str],
    batches: Iterable[Batch],
    *,
    using: str = "default",
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Insert the ``columns`` of every batch into ``table``; return the number of rows.

    Batches must have exactly these columns (in any order); nulls become SQL NULL.
    ``on_batch(rows)`` is called, in the caller's thread, after each batch is sent. On
    PostgreSQL ``batches`` is consumed in a helper thread: it must not use Django's database
    connections (they belong to a thread).
    """
    conn = connections[using]
    conn.ensure_connection()
    cols = ", ".join(quote_name(c, using) for c in columns)
    total = 0
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor, conn.wrap_database_errors:
            # wrap_database_errors turns psycopg's errors into Django's (IntegrityError …)
            # as every other query path does.
            types = _column_types(cursor, quote_name(table, using), columns)
            payloads = prefetched(
                _copy_data(batch.select(list(columns)), types) for batch in batches
            )
            sql = f"COPY {quote_name(table, using)} ({cols}) FROM STDIN WITH (FORMAT {{}})"
            with closing(payloads), ExitStack() as copies:
                copy: Any = None
                current = ""
                for kind, payload, n in payloads:
                    if kind != current:  # one COPY per run of batches in the same format
                        if current == "binary":
                            copy.write(_BINARY_TRAILER)
                        copies.close()
                        copy = copies.enter_context(cursor.cursor.copy(sql.format(kind)))
                        if kind == "binary":
                            copy.write(_BINARY_SIGNATURE)
                        current = kind
                    if payload:
                        copy.write(payload)
                    total += n
                    if on_batch:
                        on_batch(n)
                if current == "binary":
                    copy.write(_BINARY_TRAILER)
        return total
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote_name(table, using)} ({cols}) VALUES ({placeholders})"
    row_lists = (_sqlite_rows(batch.select(list(columns))) for batch in batches)
    with conn.cursor() as cursor:
        for rows in row_lists:
            if rows:
                cursor.executemany(sql, rows)
            total += len(rows)
            if on_batch:
                on_batch(len(rows))
    return total


def prefetched(items: Iterable[T], depth: int = PREFETCH) -> Generator[T, None, None]:
    """Yield ``items``, computed by a helper thread at most ``depth`` ahead of the consumer.

    An exception raised while computing an item is raised here, at that item. When the
    consumer stops early (or fails), the helper stops after the item it is working on.
    """
    ready: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: object) -> bool:
        while not stop.is_set():
            try:
                ready.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put("error", exc)
            return
        put("done", None)

    helper = threading.Thread(target=produce, name="bulk-insert-prefetch", daemon=True)
    helper.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        helper.join()


def _sqlite_rows(batch: Batch) -> list[tuple[Any, ...]]:
    values = (_sqlite_values(batch.column(i)) for i in range(batch.num_columns))
    return list(zip(*values, strict=True))


_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def _column_types(cursor: Any, quoted_table: str, columns: Sequence[str]) -> list[str]:
    """Return the PostgreSQL type of each column (``format_type`` spelling, no modifier)."""
    cursor.execute(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [quoted_table],
    )
    types = dict(cursor.fetchall())
    return [types.get(c, "") for c in columns]


def _copy_data(batch: Batch, types: Sequence[str]) -> tuple[str, bytes, int]:
    """Return ``(COPY format, data, rows)`` for a batch: binary when it can be, else CSV."""
    rows = binary_copy_rows(batch, types)
    if rows is not None:
        return "binary", rows, batch.num_rows
    return "csv", copy_payload(batch), batch.num_rows


# --- COPY's binary format ------------------------------------------------------------------
# Each row: the field count (int16), then per field its byte length (int32, -1 for NULL) and
# the bytes of the type's binary form, all integers big-endian. The rows are assembled by
# Arrow: every field becomes one or two binary columns (length, value), and
# binary_join_element_wise concatenates them row by row, skipping the values of NULLs.

_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no extension
_BINARY_TRAILER = b"\xff\xff"
_PG_EPOCH_DAYS = 10_957  # 2000-01-01, PostgreSQL's epoch, in days since 1970-01-01
_PG_EPOCH_US = _PG_EPOCH_DAYS * 86_400_000_000
_INT_WIDTHS = {"smallint": 2, "integer": 4, "bigint": 8}
_FLOAT_WIDTHS = {"real": 4, "double precision": 8}
_TEXT_TYPES = frozenset({"character varying", "text", "character", "json", "jsonb"})
_NUMERIC_GROUP = 10_000  # numeric's digits are base 10000


def binary_copy_rows(batch: Batch, types: Sequence[str]) -> bytes | None:
    """Return a batch's rows in ``COPY``'s binary format (no header), or None if it can't be.

    ``types`` are the PostgreSQL types of the batch's columns. None means a column's Arrow
    type does not map exactly onto its PostgreSQL type, or a value is out of that type's
    range: such a batch goes as CSV and the server judges it.
    """
    n = batch.num_rows
    count = len(types).to_bytes(2, "big")
    parts = [_fixed_binary(np.frombuffer(count, np.uint8).reshape(1, 2).repeat(n, axis=0))]
    for column, pg_type in zip(batch.columns, types, strict=True):
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        field = _binary_field(column, pg_type)
        if field is None:
            return None
        parts += field
    joined = pc.binary_join_element_wise(
        *parts, pa.scalar(b"", pa.large_binary()), null_handling="skip"
    )
    offsets = np.frombuffer(joined.buffers()[1], np.int64)
    start, end = int(offsets[joined.offset]), int(offsets[joined.offset + n])
    data = joined.buffers()[2]
    return data[start:end].to_pybytes() if data is not None and end > start else b""


def _binary_field(column: pa.Array, pg_type: str) -> list[pa.Array] | None:
    """Return the pieces of one field per row: its length, then its bytes (none if NULL)."""
    typ = column.type
    n = len(column)
    if pa.types.is_null(typ):
        return [_lengths(np.zeros(n, np.int64), np.zeros(n, dtype=bool))]
    valid = None if column.null_count == 0 else column.is_valid().to_numpy(zero_copy_only=False)
    body: np.ndarray | None = None
    if pg_type in _INT_WIDTHS and pa.types.is_integer(typ) and typ != pa.uint64():
        width = _INT_WIDTHS[pg_type]
        values = pc.fill_null(column, 0).to_numpy().astype(np.int64)
        limit = 1 << (8 * width - 1)
        if values.size and (values.min() < -limit or values.max() >= limit):
            return None
        body = _big_endian(values, width)
    elif pg_type in _FLOAT_WIDTHS and pa.types.is_floating(typ):
        width = _FLOAT_WIDTHS[pg_type]
        if typ.bit_width != 8 * width:
            return None
        values = pc.fill_null(column, 0).to_numpy()
        body = values.astype(f">f{width}").view(np.uint8).reshape(n, width)
    elif pg_type == "boolean" and pa.types.is_boolean(typ):
        values = pc.fill_null(column, False).to_numpy(zero_copy_only=False)
        body = values.astype(np.uint8).reshape(n, 1)
    elif pg_type == "date" and pa.types.is_date32(typ):
        days = pc.fill_null(column.cast(pa.int32()), 0).to_numpy().astype(np.int64)
        body = _big_endian(days - _PG_EPOCH_DAYS, 4)
    elif _timestamp_fits(typ, pg_type):
        micros = column.cast(pa.timestamp("us", typ.tz)).cast(pa.int64())
        body = _big_endian(pc.fill_null(micros, 0).to_numpy() - _PG_EPOCH_US, 8)
    elif pg_type == "numeric" and pa.types.is_decimal128(typ):
        body = _numeric(column)
        if body is None:
            return None
    elif pg_type in _TEXT_TYPES and (
        pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_dictionary(typ)
    ):
        if pa.types.is_dictionary(typ):
            if not pa.types.is_string(typ.value_type):
                return None
            column = column.cast(typ.value_type)
        text = column.cast(pa.large_binary())
        sizes = pc.fill_null(pc.binary_length(text), 0).to_numpy().astype(np.int64)
        if pg_type == "jsonb":  # jsonb's binary form: a version byte, then the JSON text
            version = pc.if_else(
                column.is_valid(),
                pa.scalar(b"\x01", pa.large_binary()),
                pa.scalar(None, pa.large_binary()),
            )
            return [_lengths(sizes + 1, valid), version, text]
        return [_lengths(sizes, valid), text]
    else:
        return None
    return [_lengths(np.full(n, body.shape[1], np.int64), valid), _fixed_binary(body, valid)]


def _timestamp_fits(typ: pa.DataType, pg_type: str) -> bool:
    if not pa.types.is_timestamp(typ) or typ.unit == "ns":  # µs is PostgreSQL's resolution
        return False
    zoned = typ.tz is not None
    return pg_type == ("timestamp with time zone" if zoned else "timestamp without time zone")


def _numeric(column: pa.Array) -> np.ndarray | None:
    """Return decimals in numeric's binary form, or None beyond 18 digits or scale 8.

    Form: digit count, weight (the power of 10000 of the first digit), sign, display scale,
    then base-10000 digits. Every value gets the same digit count (leading and trailing
    zero digits are allowed; the server strips them).
    """
    typ = column.type
    scale = typ.scale
    if typ.precision > 18 or not 0 <= scale <= 8:
        return None
    n = len(column)
    words = np.frombuffer(column.buffers()[1], np.int64)[
        2 * column.offset : 2 * (column.offset + n)
    ]
    low, high = words[0::2], words[1::2]
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    if not ((high == (low >> 63)) | ~valid).all():  # an unscaled value beyond int64
        return None
    low = np.where(valid, low, 0)
    whole, fraction = np.divmod(np.abs(low), 10**scale)
    fraction_groups = (scale + 3) // 4
    whole_groups = max(1, (typ.precision - scale + 3) // 4)
    fraction = fraction * 10 ** (4 * fraction_groups - scale)
    form = np.empty((n, 4 + whole_groups + fraction_groups), np.int64)
    form[:, 0] = whole_groups + fraction_groups
    form[:, 1] = whole_groups - 1
    form[:, 2] = np.where(low < 0, 0x4000, 0)
    form[:, 3] = scale
    for k in range(whole_groups):
        whole, form[:, 3 + whole_groups - k] = np.divmod(whole, _NUMERIC_GROUP)
    for k in range(fraction_groups):
        fraction, form[:, 3 + whole_groups + fraction_groups - k] = np.divmod(
            fraction, _NUMERIC_GROUP
        )
    return form.astype(">i2").view(np.uint8).reshape(n, 2 * form.shape[1])


def _big_endian(values: np.ndarray, width: int) -> np.ndarray:
    return values.astype(f">i{width}").view(np.uint8).reshape(len(values), width)


def _lengths(sizes: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """Return each field's length word (-1 for NULL) as 4-byte binary values."""
    if valid is not None:
        sizes = np.where(valid, sizes, -1)
    return _fixed_binary(_big_endian(sizes, 4))


def _fixed_binary(matrix: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Return the rows of a (rows, width) byte matrix as binary values (NULL where invalid)."""
    rows, width = matrix.shape
    buffer = pa.py_buffer(np.ascontiguousarray(matrix))
    values = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), rows, [None, buffer])
    if valid is not None:
        values = pc.if_else(pa.array(valid), values, pa.scalar(None, pa.binary(width)))
    return values.cast(pa.large_binary())


def copy_payload(batch: Batch) -> bytes:
    """Return a batch as the CSV text PostgreSQL's ``COPY … (FORMAT csv)`` reads.

    Strings are quoted, so an empty string stays empty and an unquoted empty field is NULL.
    """
    if any(_is_zoned(f.type) for f in batch.schema):
        batch = _with_utc_text(batch)
    buf = io.BytesIO()
    pacsv.write_csv(batch, buf, write_options=_CSV_OPTIONS)
    return buf.getvalue()


def _is_zoned(typ: pa.DataType) -> bool:
    return pa.types.is_timestamp(typ) and typ.tz is not None


def _with_utc_text(batch: Batch) -> Batch:
    """Replace zone-aware timestamp columns by UTC text with an explicit offset.

    Arrow's CSV writer converts every zone-aware value through the zone database (about 1 µs
    a value: seconds per million rows and column); the wall time in UTC is the stored integer,
    so naive formatting plus "+00" says the same instant at a thirtieth of the cost. A column
    holding one instant throughout (``created_at`` of a bulk load) is formatted once.
    """
    arrays: list[pa.Array | pa.ChunkedArray] = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if _is_zoned(field.type):
            column = _utc_text(column.cast(pa.timestamp(field.type.unit)))
        arrays.append(column)
    if isinstance(batch, pa.Table):
        return pa.table(arrays, names=batch.schema.names)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _utc_text(naive: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    n = len(naive)
    if n and naive.null_count == 0:
        bounds = pc.min_max(naive)
        low, high = bounds["min"], bounds["max"]
        if low == high:
            text = pc.cast(pa.array([low.value], naive.type), pa.string())[0].as_py() + "+00"
            zeros = pa.array(np.zeros(n, dtype=np.int32))
            return pa.DictionaryArray.from_arrays(zeros, pa.array([text], pa.string()))
    return pc.binary_join_element_wise(pc.cast(naive, pa.string()), "+00", "")


def _sqlite_values(column: pa.Array | pa.ChunkedArray) -> list[object]:
    """Return a column as Python values bound the way Django's SQLite backend binds them."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        # With USE_TZ the ORM stores aware datetimes as naive UTC text ("2020-01-01 00:30:00");
        # binding the aware value would store "…08:30:00+08:00", which SQL compares as text
        # and so no longer matches the ORM's lookups. Arrow keeps UTC inside, so dropping the
        # zone gives the UTC wall time.
        column = column.cast(pa.timestamp(column.type.unit))
    values: list[object] = column.to_pylist()
    return values


def batches_of(table: pa.Table, size: int = 100_000) -> Iterable[pa.RecordBatch]:
    """Split a table into record batches of at most ``size`` rows."""
    yield from table.to_batches(max_chunksize=size)
