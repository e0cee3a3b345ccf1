"""Load first, index after: PostgreSQL bulk loads into tables that are empty or small.

Maintaining secondary indexes and checking foreign keys row by row makes a ``COPY`` into an
indexed table several times slower than into a bare one (ARCHITECTURE.md, "The bulk path":
building indexes after the load is 2.2× faster). When a load is large compared with what a
table already holds, ``indexes_deferred`` drops the table's secondary indexes, unique and
foreign-key constraints, lets the caller load, and creates them again — all inside the
caller's transaction. PostgreSQL's DDL is transactional: if re-creating a unique index or
validating a foreign key fails, the whole load rolls back and nothing is stored.

The primary key stays (new ids arrive in order, so it is cheap to maintain). Dropping takes an
ACCESS EXCLUSIVE lock on the tables until commit, so readers wait for the load; that is the
price of a large load and why small loads into big tables keep their indexes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections
from django.db.backends.utils import CursorWrapper

#: Defer when the rows to load are at least this share of the rows already there.
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class _Saved:
    table: str
    constraints: tuple[tuple[str, str], ...]  # (name, definition), unique before foreign keys
    indexes: tuple[tuple[str, str], ...]  # (name, CREATE INDEX statement)


def _estimated_rows(cursor: CursorWrapper, table: str) -> int:
    cursor.execute(
        "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [table]
    )
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def should_defer(table_rows: dict[str, int], *, using: str = "default") -> bool:
    """True when deferring pays: PostgreSQL, and the load is large for the tables."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        for table, incoming in table_rows.items():
            existing = _estimated_rows(cursor, table)
            if existing and incoming < DEFAULT_THRESHOLD * existing:
                return False
    return True


def _save_and_drop(cursor: CursorWrapper, table: str) -> _Saved:
    run = cursor.execute
    run(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') "
        "ORDER BY contype DESC, conname",  # 'u' before 'f': unique first when re-adding
        [table],
    )
    constraints = tuple((str(n), str(d)) for n, d in cursor.fetchall())
    run(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND c.oid IS NULL "
        "ORDER BY i.relname",
        [table],
    )
    indexes = tuple((str(n), str(d)) for n, d in cursor.fetchall())
    qt = '"' + table.replace('"', '""') + '"'
    for name, _ in reversed(constraints):  # foreign keys first
        run(f'ALTER TABLE {qt} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        run(f'DROP INDEX "{name}"')
    return _Saved(table, constraints, indexes)


def _restore(cursor: CursorWrapper, saved: _Saved) -> None:
    run = cursor.execute
    qt = '"' + saved.table.replace('"', '""') + '"'
    for _, statement in saved.indexes:
        run(statement)
    for name, definition in saved.constraints:
        run(f'ALTER TABLE {qt} ADD CONSTRAINT "{name}" {definition}')


@contextmanager
def indexes_deferred(
    tables: Sequence[str], *, enabled: bool = True, using: str = "default"
) -> Iterator[bool]:
    """Drop the secondary indexes and constraints of ``tables``, yield, then re-create them.

    Must run inside ``transaction.atomic()``. Yields whether indexes were deferred. Tables
    referenced by another table's foreign key keep their primary key, so the referencing
    constraints stay valid throughout.
    """
    conn = connections[using]
    if not enabled or conn.vendor != "postgresql":
        yield False
        return
    if not conn.in_atomic_block:
        raise RuntimeError("indexes_deferred must run inside transaction.atomic()")
    with conn.cursor() as cursor:
        # Rows written earlier in this transaction may still owe their deferred foreign-key
        # checks, and PostgreSQL refuses to ALTER a table with pending trigger events: run
        # those checks now (a failure here is theirs, reported as usual).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        saved = [_save_and_drop(cursor, t) for t in tables]
    yield True
    with conn.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for s in saved:
            _restore(cursor, s)
            cursor.execute(f'ANALYZE "{s.table}"')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back to Django's default
