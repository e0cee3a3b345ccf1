"""Set-based bulk writes: PostgreSQL ``COPY`` and SQLite ``executemany`` from Arrow batches.

The ORM's ``bulk_create`` runs at about 18k rows/s; these paths run at 0.25–0.8M rows/s
(ARCHITECTURE.md, "The bulk path"). Callers run them inside ``transaction.atomic()`` so a
failure stores nothing. On PostgreSQL the next batch is read and turned into ``COPY`` text
in a helper thread while the server takes the current one (Arrow, DuckDB and psycopg
release the GIL for their work), at most two batches ahead so memory stays bounded. On
SQLite both sides need the GIL (binding parameters, building Python rows), so it runs in
one thread.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import closing
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
        sql = f"COPY {quote_name(table, using)} ({cols}) FROM STDIN WITH (FORMAT csv)"
        # The COPY runs on the driver's cursor; wrap_database_errors turns psycopg's errors
        # into Django's (IntegrityError …) as every other query path does.
        payloads = prefetched(
            (copy_payload(batch.select(list(columns))), batch.num_rows) for batch in batches
        )
        with (
            closing(payloads),
            conn.cursor() as cursor,
            conn.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            for payload, n in payloads:
                copy.write(payload)
                total += n
                if on_batch:
                    on_batch(n)
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
