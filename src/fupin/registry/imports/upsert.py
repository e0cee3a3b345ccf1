"""Upsert a validated import: update registered households and members, add the new ones.

Set-based, like the insert path (``writer.py``): the stored rows of the households named in
the file are read once (one query per few thousand 户编号) into DuckDB beside the staged
file, the values the file would store are computed with the same SELECT the insert path
uses (so model defaults apply alike), and one ``IS DISTINCT FROM`` comparison per table
finds the rows that differ. Only those are written: through a temporary table and one
``UPDATE … FROM`` per table. Unchanged rows are not touched (their ``updated_at`` stays).
Members registered in a household but absent from the file are left as they are.

Only the columns present in the file are compared and updated, so a file without, say,
the bank account column does not blank the stored accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from django.db import connection, models

from fupin.common.bulk import bulk_insert
from fupin.registry.imports.columns import COLUMNS
from fupin.registry.imports.reader import ROW
from fupin.registry.imports.validate import CAUSE_FIELDS, ID_FIELDS, Stage, quote_ident
from fupin.registry.imports.writer import BATCH_ROWS, _literal, _now_literal, _select
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member

#: 户编号 per query when reading the stored rows.
CHUNK = 5_000
#: Columns the import never compares (bookkeeping, keys, derived values).
BOOKKEEPING = frozenset({"source", "field_sources", "confirmed_at", "created_at", "updated_at"})


@dataclass
class UpsertPlan:
    """What storing the file changes; the DuckDB tables ``up_*`` hold the rows to write."""

    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    members_created: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    compared: dict[str, list[str]] = field(default_factory=dict)


def _file_fields(present: set[str]) -> dict[type[models.Model], list[str]]:
    """Return, per model, the fields (by name) that the file's columns fill."""
    out: dict[type[models.Model], list[str]] = {
        Household: [],
        LivingConditions: [],
        HouseholdIncome: ["household_size"],
        Member: [],
    }
    models_of = {
        "household": Household,
        "conditions": LivingConditions,
        "income": HouseholdIncome,
        "member": Member,
    }
    for col in COLUMNS:
        if col.name not in present or col.name in ("household_code", "income_year"):
            continue
        model = models_of[col.level]
        if col.kind == "causes":
            names: tuple[str, ...] = CAUSE_FIELDS
        elif col.kind == "id_number":
            names = ("id_number", *ID_FIELDS)
        elif col.name == "village_code":
            names = ("village",)
        else:
            names = (col.model_field,)
        for name in names:
            if name not in out[model]:
                out[model].append(name)
    return out


def _arrow_type(f: models.Field[Any, Any]) -> pa.DataType:
    if isinstance(f, models.BooleanField):
        return pa.bool_()
    if isinstance(f, models.DecimalField):
        return pa.decimal128(int(f.max_digits or 14), int(f.decimal_places or 2))
    if isinstance(f, models.DateTimeField):
        return pa.timestamp("us", tz="UTC")
    if isinstance(f, models.DateField):
        return pa.date32()
    if isinstance(f, (models.IntegerField, models.AutoField, models.BigAutoField)):
        return pa.int64()
    if isinstance(f, models.ForeignKey):
        return _arrow_type(f.target_field)
    return pa.string()


def _column(model: type[models.Model], name: str) -> str:
    column = model._meta.get_field(name).column  # type: ignore[union-attr]
    assert column is not None
    return str(column)


def _stored(
    model: type[models.Model], lookup: str, keys: Sequence[Any], names: Sequence[str]
) -> pa.Table:
    """Return the stored ``names`` (by database column) of the rows whose ``lookup`` is a key."""
    fields = [model._meta.get_field(n) for n in names]
    columns = [_column(model, n) for n in names]
    attnames = [f.attname for f in fields]  # type: ignore[union-attr]
    schema = pa.schema([(c, _arrow_type(f)) for c, f in zip(columns, fields, strict=True)])  # type: ignore[arg-type]
    parts = []
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        rows = list(model._default_manager.filter(**{lookup: chunk}).values_list(*attnames))
        if rows:
            cols = list(zip(*rows, strict=True))
            parts.append(
                pa.table([pa.array(c, t.type) for c, t in zip(cols, schema, strict=True)], schema)
            )
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _picked(names: Sequence[str]) -> str:
    return ", ".join("t." + quote_ident(n) for n in names) or "NULL AS _none"


def _differs(names: Sequence[str]) -> str:
    if not names:
        return "FALSE"
    return " OR ".join(f"t.{quote_ident(n)} IS DISTINCT FROM e.{quote_ident(n)}" for n in names)


def _target(
    model: type[models.Model],
    mapping: dict[str, str],
    available: set[str],
    from_sql: str,
) -> str:
    """Return SQL for the rows the file would store in ``model`` (by database column)."""
    _, select = _select(model, mapping, available, "src")
    return f"SELECT {select} FROM {from_sql}"


def upsert_plan(stage: Stage, *, present: set[str]) -> UpsertPlan:
    """Compare the staged file with the stored rows; leave the rows to write in DuckDB.

    Tables made: ``ex_hh`` (registered households of the file: id, code), ``up_hh``,
    ``up_lc``, ``up_inc``, ``up_m`` (rows to update, keyed by their database id) and
    ``new_lc``, ``new_inc``, ``new_m`` (rows to add to registered households), and
    ``row_status`` (per file row: new / changed / unchanged).
    """
    con = stage.con
    if not stage._hh_ready:
        stage.build_households()
    fields = _file_fields(present)
    hh_cols = {f.name for f in _schema(stage, "hh")}
    staged_cols = {f.name for f in _schema(stage, "staged")}
    codes = [r[0] for r in con.execute("SELECT household_code FROM hh").fetchall()]

    hh_names = ["id", "code", *fields[Household]]
    ex_hh = _stored(Household, "code__in", codes, hh_names)
    con.register("_ex_hh", ex_hh)
    con.execute("CREATE OR REPLACE TEMP TABLE ex_hh AS SELECT * FROM _ex_hh")
    con.unregister("_ex_hh")
    ids = [r[0] for r in con.execute("SELECT id FROM ex_hh").fetchall()]

    plan = UpsertPlan()
    hh_compare = [_column(Household, n) for n in fields[Household]]
    plan.compared["household"] = hh_compare
    target_hh = _target(
        Household,
        {"code": "src.household_code", "village": "src.village_code"},
        hh_cols,
        "hh src",
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE up_hh AS
        SELECT e.id, {_picked(hh_compare)}
        FROM ({target_hh}) t JOIN ex_hh e ON e.code = t.code
        WHERE {_differs(hh_compare)}
        """
    )

    # Living conditions: one per household, keyed by the household id.
    lc_names = fields[LivingConditions]
    lc_compare = [_column(LivingConditions, n) for n in lc_names]
    ex_lc = _stored(LivingConditions, "household_id__in", ids, ["household", *lc_names])
    con.register("_ex_lc", ex_lc)
    con.execute("CREATE OR REPLACE TEMP TABLE ex_lc AS SELECT * FROM _ex_lc")
    con.unregister("_ex_lc")
    target_lc = _target(
        LivingConditions,
        {"household": "x.id"},
        hh_cols,
        "hh src JOIN ex_hh x ON x.code = src.household_code",
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE t_lc AS {target_lc}")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE up_lc AS
        SELECT t.household_id, {_picked(lc_compare)}
        FROM t_lc t JOIN ex_lc e USING (household_id)
        WHERE {_differs(lc_compare)}
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE new_lc AS SELECT t.household_id FROM t_lc t"
        " WHERE t.household_id NOT IN (SELECT household_id FROM ex_lc)"
    )

    # Incomes: one per household and year.
    inc_names = fields[HouseholdIncome]
    inc_compare = [_column(HouseholdIncome, n) for n in inc_names]
    ex_inc = _stored(
        HouseholdIncome, "household_id__in", ids, ["id", "household", "year", *inc_names]
    )
    con.register("_ex_inc", ex_inc)
    con.execute("CREATE OR REPLACE TEMP TABLE ex_inc AS SELECT * FROM _ex_inc")
    con.unregister("_ex_inc")
    target_inc = _target(
        HouseholdIncome,
        {
            "household": "x.id",
            "year": "src.income_year",
            "period_start": "make_date(src.income_year, 1, 1)",
            "period_end": "make_date(src.income_year, 12, 31)",
            "household_size": "coalesce(src.household_size, src.n_rows)",
        },
        hh_cols,
        "hh src JOIN ex_hh x ON x.code = src.household_code WHERE src.income_year IS NOT NULL",
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE t_inc AS {target_inc}")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE up_inc AS
        SELECT e.id, {", ".join("t." + quote_ident(c) for c in inc_compare)}
        FROM t_inc t JOIN ex_inc e ON e.household_id = t.household_id AND e.year = t.year
        WHERE {_differs(inc_compare)}
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE new_inc AS
        SELECT t.household_id, t.year FROM t_inc t
        WHERE NOT EXISTS (
            SELECT 1 FROM ex_inc e WHERE e.household_id = t.household_id AND e.year = t.year)
        """
    )

    # Members, keyed by the ID number's integer key within a registered household.
    m_names = fields[Member]
    m_compare = [_column(Member, n) for n in m_names if n != "id_key"]
    ex_m = _stored(Member, "household_id__in", ids, ["id", "household", "id_key", *m_names])
    con.register("_ex_m", ex_m)
    con.execute("CREATE OR REPLACE TEMP TABLE ex_m AS SELECT * FROM _ex_m")
    con.unregister("_ex_m")
    _, m_select = _select(Member, {"household": "x.id"}, staged_cols, "src")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE t_m AS
        SELECT src.{ROW} AS src_row, {m_select}
        FROM staged src JOIN ex_hh x ON x.code = src.household_code
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE up_m AS
        SELECT e.id, t.src_row, {", ".join("t." + quote_ident(c) for c in m_compare)}
        FROM t_m t JOIN ex_m e ON e.id_key = t.id_key AND e.household_id = t.household_id
        WHERE {_differs(m_compare)}
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE new_m AS
        SELECT t.src_row FROM t_m t
        WHERE NOT EXISTS (
            SELECT 1 FROM ex_m e WHERE e.id_key = t.id_key AND e.household_id = t.household_id)
        """
    )

    counts = con.execute(
        """
        SELECT
          (SELECT count(*) FROM hh WHERE household_code NOT IN (SELECT code FROM ex_hh)),
          (SELECT count(*) FROM (
              SELECT id FROM up_hh UNION SELECT household_id FROM up_lc
              UNION SELECT household_id FROM new_lc
              UNION SELECT household_id FROM up_inc JOIN ex_inc USING (id)
              UNION SELECT household_id FROM new_inc)),
          (SELECT count(*) FROM ex_hh),
          (SELECT count(*) FROM staged s
             WHERE s.household_code IS NOT NULL
               AND s.household_code NOT IN (SELECT code FROM ex_hh)),
          (SELECT count(*) FROM new_m),
          (SELECT count(*) FROM up_m),
          (SELECT count(*) FROM t_m)
        """
    ).fetchall()[0]
    new_hh, changed_hh, registered, new_in_new, new_in_old, changed_m, file_m_old = (
        int(v) for v in counts
    )
    plan.households_created = new_hh
    plan.households_updated = changed_hh
    plan.households_unchanged = registered - changed_hh
    plan.members_created = new_in_new + new_in_old
    plan.members_updated = changed_m
    plan.members_unchanged = file_m_old - new_in_old - changed_m
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE row_status AS
        SELECT s.{ROW} AS row,
               CASE WHEN s.household_code NOT IN (SELECT code FROM ex_hh) THEN 'new'
                    WHEN s.{ROW} IN (SELECT src_row FROM new_m) THEN 'new'
                    WHEN s.{ROW} IN (SELECT src_row FROM up_m) THEN 'changed'
                    ELSE 'unchanged' END AS status
        FROM staged s
        """
    )
    return plan


def upsert_apply(stage: Stage, plan: UpsertPlan, *, source: str, now: datetime) -> None:
    """Write the plan's rows: updates of registered rows, additions to registered households.

    The caller runs this inside ``transaction.atomic()``, then inserts the new households
    (:func:`new_households_only` and ``writer.write_stage``).
    """
    con = stage.con
    hh_cols = {f.name for f in _schema(stage, "hh")}
    staged_cols = {f.name for f in _schema(stage, "staged")}
    sqlite = connection.vendor == "sqlite"
    _update(stage, Household, "up_hh", "id", plan.compared["household"], now, sqlite)
    _update(
        stage,
        LivingConditions,
        "up_lc",
        "household_id",
        _table_cols(stage, "up_lc", "household_id"),
        now,
        sqlite,
    )
    _update(stage, HouseholdIncome, "up_inc", "id", _table_cols(stage, "up_inc", "id"), now, sqlite)
    _update(stage, Member, "up_m", "id", _table_cols(stage, "up_m", "id", "src_row"), now, sqlite)

    now_sql = _now_literal(now)
    common = {
        "source": _literal(source),
        "field_sources": "'{}'",
        "confirmed_at": now_sql,
        "created_at": now_sql,
        "updated_at": now_sql,
    }
    _insert(
        con,
        LivingConditions,
        {**common, "household": "x.id"},
        hh_cols,
        "hh src JOIN ex_hh x ON x.code = src.household_code"
        " WHERE x.id IN (SELECT household_id FROM new_lc)",
        sqlite,
    )
    _insert(
        con,
        HouseholdIncome,
        {
            **common,
            "household": "x.id",
            "year": "src.income_year",
            "period_start": "make_date(src.income_year, 1, 1)",
            "period_end": "make_date(src.income_year, 12, 31)",
            "household_size": "coalesce(src.household_size, src.n_rows)",
        },
        hh_cols,
        "hh src JOIN ex_hh x ON x.code = src.household_code"
        " WHERE src.income_year IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM new_inc n WHERE n.household_id = x.id AND n.year = src.income_year)",
        sqlite,
    )
    _insert(
        con,
        Member,
        {**common, "household": "x.id"},
        staged_cols,
        f"staged src JOIN ex_hh x ON x.code = src.household_code"
        f" WHERE src.{ROW} IN (SELECT src_row FROM new_m) ORDER BY src.{ROW}",
        sqlite,
    )


def new_households_only(stage: Stage) -> None:
    """Narrow the stage's ``hh`` to the households not yet registered (for ``write_stage``)."""
    stage.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE hh AS
        SELECT row_number() OVER (ORDER BY seq) AS seq, * EXCLUDE (seq)
        FROM hh WHERE household_code NOT IN (SELECT code FROM ex_hh)
        """
    )


def _table_cols(stage: Stage, table: str, *skip: str) -> list[str]:
    return [f.name for f in _schema(stage, table) if f.name not in skip]


def _insert(
    con: Any,
    model: type[models.Model],
    mapping: dict[str, str],
    available: set[str],
    from_sql: str,
    sqlite: bool,
) -> int:
    columns, select = _select(model, mapping, available, "src", text_values=sqlite)
    reader = con.sql(f"SELECT {select} FROM {from_sql}").to_arrow_reader(BATCH_ROWS)
    return bulk_insert(model._meta.db_table, columns, reader)


def _update(
    stage: Stage,
    model: type[models.Model],
    table: str,
    key: str,
    columns: list[str],
    now: datetime,
    sqlite: bool,
) -> int:
    """Write the rows of DuckDB ``table`` over ``model``'s rows with the same ``key``."""
    con = stage.con
    if not columns or not con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]:
        return 0
    db_table = connection.ops.quote_name(model._meta.db_table)
    qn = connection.ops.quote_name
    by_column = {f.column: f for f in model._meta.concrete_fields}
    exprs = []
    for c in [key, *columns]:
        f = by_column.get(c)
        if sqlite and isinstance(f, (models.DecimalField, models.DateField)):
            exprs.append(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}")
        else:
            exprs.append(quote_ident(c))
    reader = con.sql(f"SELECT {', '.join(exprs)} FROM {table}").to_arrow_reader(BATCH_ROWS)
    tmp = "fupin_import_update"
    cols_sql = ", ".join(qn(c) for c in [key, *columns])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {tmp} AS SELECT {cols_sql} FROM {db_table} WHERE 1 = 0"
        )
        try:
            bulk_insert(tmp, [key, *columns], reader)
            sets = ", ".join(f"{qn(c)} = {tmp}.{qn(c)}" for c in columns)
            cursor.execute(
                f"UPDATE {db_table} SET {sets}, {qn('updated_at')} = %s"
                f" FROM {tmp} WHERE {db_table}.{qn(key)} = {tmp}.{qn(key)}",
                [connection.ops.adapt_datetimefield_value(now)],
            )
            count = int(cursor.rowcount)
        finally:
            cursor.execute(f"DROP TABLE {tmp}")
    return count


def _schema(stage: Stage, table: str) -> pa.Schema:
    schema: pa.Schema = stage.con.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
    return schema
