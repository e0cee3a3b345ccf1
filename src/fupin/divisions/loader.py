"""Write division rows from Arrow into the ``Division`` table, set-based and idempotent.

Per level, the rows are written one of two ways:

* nothing of that level exists yet under the prefix (a fresh database, a new province): the
  rows go straight into the table with ``bulk_insert`` (``COPY`` / ``executemany``);
* some already exist: each batch goes into a temporary staging table, then one ``UPDATE … FROM``
  fixes the rows whose name or parent changed and one ``INSERT … SELECT … WHERE NOT EXISTS``
  adds the missing codes.

Existing rows are never deleted: households and assessment results point at divisions with
real foreign keys, so a delete-and-reinsert would break them mid-transaction on PostgreSQL.
Everything runs in one transaction (a savepoint inside the caller's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connections, transaction
from django.db.backends.utils import CursorWrapper

from fupin.common.bulk import batches_of, bulk_insert, quote_name
from fupin.common.errors import FupinError
from fupin.divisions.models import CODE_LENGTH, Division

#: ``progress(level, done, total)``: called with ``done=0`` for every level before any write,
#: then after every batch.
Progress = Callable[[int, int, int], None]

BATCH_ROWS = 50_000
STAGE_TABLE = "fupin_division_stage"
COLUMNS = ("code", "name", "level", "parent_id")


@dataclass(frozen=True)
class LevelReport:
    """What a load did to one level: rows in the data, rows added, rows corrected."""

    level: int
    rows: int
    inserted: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.updated


@dataclass(frozen=True)
class LoadReport:
    """The outcome of ``divisions_load``: the prefix loaded and the counts per level."""

    prefix: str | None
    levels: tuple[LevelReport, ...]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(level.rows for level in self.levels)

    @property
    def inserted(self) -> int:
        return sum(level.inserted for level in self.levels)

    @property
    def updated(self) -> int:
        return sum(level.updated for level in self.levels)

    def level(self, level: int) -> LevelReport:
        return next(item for item in self.levels if item.level == level)


def check_levels(levels: Mapping[int, pa.Table]) -> None:
    """Refuse rows whose code length, level or parent do not fit the five-level hierarchy.

    The parent foreign key has no database constraint (the table is loaded in bulk), so this
    is where the tree's integrity is enforced: every parent is a row of the level above in the
    same load, and every code starts with its parent's code.
    """
    above: pa.Array | None = None
    for level in sorted(levels):
        table = levels[level]
        codes = table["code"]
        bad_length = pc.not_equal(pc.utf8_length(codes), CODE_LENGTH[level])
        bad_level = pc.not_equal(table["level"], level)
        if level == 1:
            bad_parent = pc.is_valid(table["parent_code"])
        else:
            parents = table["parent_code"]
            known = (
                pc.is_in(parents, value_set=above)
                if above is not None
                else pc.is_valid(parents)  # no level above in this load: nothing to check
            )
            under_parent = pc.equal(
                pc.utf8_slice_codeunits(codes, 0, CODE_LENGTH[level - 1]), parents
            )
            bad_parent = pc.invert(
                pc.and_(pc.fill_null(known, False), pc.fill_null(under_parent, False))
            )
        bad = pc.or_(pc.or_(bad_length, bad_level), bad_parent)
        if pc.any(bad).as_py():
            sample = table.filter(bad).slice(0, 5)["code"].to_pylist()
            raise FupinError(
                "DIVISION_DATA_INVALID",
                f"区划数据不一致：第 {level} 级的代码、级别或上级区划有误"
                f"（如 {', '.join(sample)}）",
                {"level": level, "codes": sample},
            )
        above = codes.combine_chunks()


def load_levels(
    levels: Mapping[int, pa.Table],
    *,
    progress: Progress | None = None,
    using: str = "default",
) -> tuple[LevelReport, ...]:
    """Insert the missing rows and correct the changed ones, level by level from the top.

    ``levels`` maps a level to its rows (``code, name, level, parent_code``), as
    ``source.read_subtree_levels`` gives them. Return what was done per level.
    """
    check_levels(levels)
    conn = connections[using]
    table = quote_name(Division._meta.db_table, using)
    if progress:
        for level in sorted(levels):
            progress(level, 0, levels[level].num_rows)
    reports = []
    staged = False
    with transaction.atomic(using=using), conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # Serialise concurrent loads (two of them would insert the same missing codes);
            # readers are not blocked.
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        for level in sorted(levels):
            rows = _with_parent_id(levels[level])
            total = rows.num_rows
            if total == 0:
                reports.append(LevelReport(level, 0, 0, 0))
                continue
            if not _any_existing(cursor, table, rows, level):
                done = 0
                for batch in batches_of(rows, BATCH_ROWS):
                    done += bulk_insert(Division._meta.db_table, COLUMNS, [batch], using=using)
                    if progress:
                        progress(level, done, total)
                reports.append(LevelReport(level, total, total, 0))
                continue
            if not staged:
                _create_stage(cursor)
                staged = True
            inserted = updated = done = 0
            for batch in batches_of(rows, BATCH_ROWS):
                bulk_insert(STAGE_TABLE, COLUMNS, [batch], using=using)
                updated += _update_changed(cursor, table)
                inserted += _insert_missing(cursor, table)
                cursor.execute(f"DELETE FROM {STAGE_TABLE}")
                done += batch.num_rows
                if progress:
                    progress(level, done, total)
            reports.append(LevelReport(level, total, inserted, updated))
        if staged:
            cursor.execute(f"DROP TABLE {STAGE_TABLE}")
    return tuple(reports)


def _with_parent_id(rows: pa.Table) -> pa.Table:
    return pa.table(
        {
            "code": rows["code"],
            "name": rows["name"],
            "level": rows["level"],
            "parent_id": rows["parent_code"],
        }
    )


def _any_existing(cursor: CursorWrapper, table: str, rows: pa.Table, level: int) -> bool:
    """Tell whether any code in ``rows``' code range already exists (one indexed probe)."""
    low = pc.min(rows["code"]).as_py()
    high = pc.max(rows["code"]).as_py()
    # A range over the indexed code, not LIKE: SQLite uses an index for LIKE only under
    # NOCASE collation. The codes under one prefix are contiguous in code order, so the range
    # holds no code of another subtree.
    cursor.execute(
        f"SELECT 1 FROM {table} WHERE code >= %s AND code <= %s AND level = %s LIMIT 1",
        [low, high, level],
    )
    return cursor.fetchone() is not None


def _create_stage(cursor: CursorWrapper) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGE_TABLE} ("
        "code varchar(12) PRIMARY KEY, name varchar(100) NOT NULL, "
        "level smallint NOT NULL, parent_id varchar(12))"
    )


def _update_changed(cursor: CursorWrapper, table: str) -> int:
    cursor.execute(
        f"UPDATE {table} SET name = s.name, level = s.level, parent_id = s.parent_id "
        f"FROM {STAGE_TABLE} s WHERE {table}.code = s.code AND ("
        f"{table}.name <> s.name OR {table}.level <> s.level "
        f"OR {table}.parent_id <> s.parent_id "
        f"OR ({table}.parent_id IS NULL) <> (s.parent_id IS NULL))"
    )
    return max(int(cursor.rowcount), 0)


def _insert_missing(cursor: CursorWrapper, table: str) -> int:
    cursor.execute(
        f"INSERT INTO {table} (code, name, level, parent_id) "
        f"SELECT s.code, s.name, s.level, s.parent_id FROM {STAGE_TABLE} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} d WHERE d.code = s.code)"
    )
    return max(int(cursor.rowcount), 0)
