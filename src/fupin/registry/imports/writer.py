"""Write a validated import from its DuckDB stage into the registry tables, set-based.

Households get their ids here, all at once: ``max(id) + seq`` with the table locked (on
PostgreSQL ``LOCK TABLE`` and ``setval`` afterwards so ORM inserts keep working; SQLite's
``BEGIN IMMEDIATE`` already holds the write lock). Rows travel from DuckDB as Arrow batches
into ``fupin.common.bulk.bulk_insert`` (``COPY`` / ``executemany``). The SELECT for each table
is built from the model's fields, so model defaults apply to columns the file leaves empty.
The caller runs :func:`write_stage` inside ``transaction.atomic()``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
from django.db import connection, models

from fupin.common.bulk import bulk_insert
from fupin.common.deferred_indexes import indexes_deferred, should_defer
from fupin.registry.imports.reader import ROW
from fupin.registry.imports.validate import Stage, quote_ident
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member

BATCH_ROWS = 50_000
Progress = Callable[[str, int, int], None]


def _literal(value: object) -> str:
    """Return a DuckDB SQL literal for a model default."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, Decimal)):
        return f"CAST('{value}' AS DECIMAL(14, 2))" if isinstance(value, Decimal) else str(value)
    text = str(value).replace("'", "''")
    return f"'{text}'"


def _select(
    model: type[models.Model],
    mapping: dict[str, str],
    available: set[str],
    alias: str,
    *,
    text_values: bool = False,
) -> tuple[list[str], str]:
    """Return (database columns, SELECT list) for every stored field of ``model``.

    A field takes its expression from ``mapping``, else the staged column of the same name,
    else NULL; a NOT NULL field with a default falls back to that default. Auto ids and
    database-generated fields are left to the database. ``text_values`` sends decimals,
    dates and datetimes as text (for SQLite).
    """
    columns: list[str] = []
    exprs: list[str] = []
    for field in model._meta.concrete_fields:
        if getattr(field, "generated", False):
            continue  # e.g. HouseholdIncome.net_income: computed by the database
        if field.name in mapping:
            expr = mapping[field.name]
        elif isinstance(field, models.AutoField):
            continue
        elif field.name in available:
            expr = f"{alias}.{quote_ident(field.name)}"
        else:
            expr = "NULL"
        if not field.null and field.has_default() and not callable(field.default):
            expr = f"coalesce({expr}, {_literal(field.get_default())})"
        elif not field.null and field.empty_strings_allowed and field.blank:
            expr = f"coalesce({expr}, '')"
        if text_values and isinstance(field, (models.DecimalField, models.DateField)):
            # DateTimeField is a DateField. Text in the form Django's SQLite adapters bind
            # (str(Decimal), isoformat) stores the same values without a Python call per cell.
            expr = f"CAST({expr} AS VARCHAR)"
        assert field.column is not None
        columns.append(field.column)
        exprs.append(f"{expr} AS {quote_ident(field.column)}")
    return columns, ", ".join(exprs)


def _now_literal(now: datetime) -> str:
    # SQLite stores aware datetimes as naive UTC text; PostgreSQL takes the zone.
    if connection.vendor == "postgresql":
        return f"TIMESTAMPTZ '{now.isoformat()}'"
    naive = now.astimezone(UTC).replace(tzinfo=None)
    return f"TIMESTAMP '{naive.isoformat(sep=' ')}'"


def reserve_household_ids() -> int:
    """Lock the household table against other inserts and return its largest id."""
    table = connection.ops.quote_name(Household._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def reset_household_sequence() -> None:
    """Move PostgreSQL's id sequence past the ids assigned here (no-op on SQLite)."""
    if connection.vendor != "postgresql":
        return
    table = Household._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(table)}))",
            [table],
        )


def write_stage(
    stage: Stage,
    *,
    source: str,
    now: datetime,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Insert the staged households, conditions, incomes and members; return row counts."""
    con = stage.con
    staged_cols = {f.name for f in _schema(stage, "staged")}
    hh_cols = {f.name for f in _schema(stage, "hh")}
    base = reserve_household_ids()
    new_id = f"(hh.seq + {int(base)})"
    now_sql = _now_literal(now)
    common = {
        "source": _literal(source),
        "field_sources": "'{}'",
        "confirmed_at": now_sql,
        "created_at": now_sql,
        "updated_at": now_sql,
    }
    planned = stage.counts()
    total = 2 * planned.households + planned.incomes + planned.members
    done = 0

    def run(
        model: type[models.Model], mapping: dict[str, str], available: set[str], sql: str
    ) -> int:
        nonlocal done
        columns, select = _select(
            model,
            {**common, **mapping},
            available,
            "src",
            text_values=connection.vendor == "sqlite",
        )
        reader = con.sql(sql.format(select=select)).to_arrow_reader(BATCH_ROWS)

        def written(rows: int) -> None:
            nonlocal done
            done += rows
            if progress:
                progress("写入", done, total)

        return bulk_insert(model._meta.db_table, columns, reader, on_batch=written)

    tables = [m._meta.db_table for m in (Household, LivingConditions, HouseholdIncome, Member)]
    large = should_defer(
        {
            Household._meta.db_table: planned.households,
            Member._meta.db_table: planned.members,
        }
    )
    counts: dict[str, int] = {}
    with indexes_deferred(tables, enabled=large):
        _write_all(run, counts, base, hh_cols, staged_cols, new_id)
    if connection.vendor == "postgresql":
        # Fresh statistics: without them the planner picked nested loops for the next
        # assessment and took > 120 s instead of 6 s on 1M persons (bench/RESULTS.md).
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return counts


def _write_all(
    run: Callable[[type[models.Model], dict[str, str], set[str], str], int],
    counts: dict[str, int],
    base: int,
    hh_cols: set[str],
    staged_cols: set[str],
    new_id: str,
) -> None:
    counts["households"] = run(
        Household,
        {
            "id": f"src.seq + {int(base)}",
            "code": "src.household_code",
            "village": "src.village_code",
            "cause_note": "''",
            "status_changed_at": "NULL",
        },
        hh_cols,
        "SELECT {select} FROM hh src ORDER BY src.seq",
    )
    reset_household_sequence()
    counts["conditions"] = run(
        LivingConditions,
        {"household": f"src.seq + {int(base)}"},
        hh_cols,
        "SELECT {select} FROM hh src ORDER BY src.seq",
    )
    counts["incomes"] = run(
        HouseholdIncome,
        {
            "household": f"src.seq + {int(base)}",
            "year": "src.income_year",
            "period_start": "make_date(src.income_year, 1, 1)",
            "period_end": "make_date(src.income_year, 12, 31)",
            "household_size": "coalesce(src.household_size, src.n_rows)",
        },
        hh_cols,
        "SELECT {select} FROM hh src WHERE src.income_year IS NOT NULL ORDER BY src.seq",
    )
    counts["members"] = run(
        Member,
        {"household": new_id},
        staged_cols,
        "SELECT {select} FROM staged src JOIN hh USING (household_code) ORDER BY src." + ROW,
    )


def _schema(stage: Stage, table: str) -> pa.Schema:
    schema: pa.Schema = stage.con.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
    return schema
