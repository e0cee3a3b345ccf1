"""Set-based bulk writes: PostgreSQL ``COPY`` and SQLite ``executemany`` from Arrow batches.

The ORM's ``bulk_create`` runs at about 18k rows/s; these paths run at 0.25–0.8M rows/s
(ARCHITECTURE.md, "The bulk path"). Callers run them inside ``transaction.atomic()`` so a
failure stores nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connections

Batch = pa.RecordBatch | pa.Table


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
        with conn.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for batch in batches:
                batch = batch.select(list(columns))
                buf = io.BytesIO()
                pacsv.write_csv(
                    batch,
                    buf,
                    write_options=pacsv.WriteOptions(
                        include_header=False, quoting_style="needed"
                    ),
                )
                copy.write(buf.getvalue())
                total += batch.num_rows
        return total
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote_name(table, using)} ({cols}) VALUES ({placeholders})"
    with conn.cursor() as cursor:
        for batch in batches:
            batch = batch.select(list(columns))
            rows = list(zip(*(batch.column(i).to_pylist() for i in range(len(columns))), strict=True))
            if rows:
                cursor.executemany(sql, rows)
            total += batch.num_rows
    return total


def batches_of(table: pa.Table, size: int = 100_000) -> Iterable[pa.RecordBatch]:
    """Split a table into record batches of at most ``size`` rows."""
    yield from table.to_batches(max_chunksize=size)
