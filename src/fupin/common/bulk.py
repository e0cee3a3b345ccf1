"""Set-based bulk writes: PostgreSQL ``COPY`` and SQLite ``executemany`` from Arrow batches.

The ORM's ``bulk_create`` runs at about 18k rows/s; these paths run at 0.25–0.8M rows/s
(ARCHITECTURE.md, "The bulk path"). Callers run them inside ``transaction.atomic()`` so a
failure stores nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TypeAlias

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connections

Batch: TypeAlias = pa.RecordBatch | pa.Table


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
) -> int:
    """Insert the ``columns`` of every batch into ``table``; return the number of rows.

    Batches must have exactly these columns (in any order); nulls become SQL NULL.
    """
    conn = connections[using]
    conn.ensure_connection()
    cols = ", ".join(quote_name(c, using) for c in columns)
    total = 0
    if conn.vendor == "postgresql":
        sql = f"COPY {quote_name(table, using)} ({cols}) FROM STDIN WITH (FORMAT csv)"
        # The COPY runs on the driver's cursor; wrap_database_errors turns psycopg's errors
        # into Django's (IntegrityError …) as every other query path does.
        with conn.cursor() as cursor, conn.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for batch in batches:
                batch = batch.select(list(columns))
                buf = io.BytesIO()
                pacsv.write_csv(
                    batch,
                    buf,
                    write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
                )
                copy.write(buf.getvalue())
                total += batch.num_rows
        return total
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote_name(table, using)} ({cols}) VALUES ({placeholders})"
    with conn.cursor() as cursor:
        for batch in batches:
            batch = batch.select(list(columns))
            values = (_sqlite_values(batch.column(i)) for i in range(len(columns)))
            rows = list(zip(*values, strict=True))
            if rows:
                cursor.executemany(sql, rows)
            total += batch.num_rows
    return total


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
