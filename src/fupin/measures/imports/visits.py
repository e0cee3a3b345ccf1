"""Import visits: every row checked set-based in DuckDB with the rules of ``visit_record``."""

from __future__ import annotations

import datetime as dt
import time
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fupin.common.bulk import bulk_insert
from fupin.measures import services
from fupin.measures.imports.common import (
    BATCH,
    MAX_ERRORS,
    ROW,
    VISIT_COLUMNS,
    WRITE_ROWS,
    MeasuresImportReport,
    _allowed_villages,
    _audit,
    _chunks,
    _conflict,
    _done,
    _Errors,
    _households,
    _read,
    _Sheet,
    _sql_text,
    _table,
)
from fupin.measures.models import Cadre, Pairing, Visit
from fupin.registry.imports.writer import _now_literal
from fupin.reports.services import rollups_mark_dirty

#: The per-row checks of the visit rules: (column, code, condition, message) over ``v``.
_VISIT_CHECKS = (
    ("household_code", "REQUIRED", "household_code IS NULL", "'户编号不能为空'"),
    (
        "household_code",
        "MEASURES_UNKNOWN_HOUSEHOLD",
        "household_code IS NOT NULL AND household_id IS NULL",
        "'户编号“' || household_code || '”不存在'",
    ),
    ("name", "REQUIRED", "name IS NULL", "'请填写帮扶责任人姓名'"),
    ("unit", "REQUIRED", "unit IS NULL", "'请填写工作单位'"),
    (
        "name",
        "MEASURES_UNKNOWN_CADRE",
        "household_id IS NOT NULL AND name IS NOT NULL AND unit IS NOT NULL AND cadre_id IS NULL",
        "'帮扶责任人“' || name || '（' || unit || '）”不存在'",
    ),
    ("date", "REQUIRED", "date IS NULL", "'请填写走访日期'"),
    (
        "date",
        "DATE_BAD",
        "date IS NOT NULL AND day IS NULL",
        "'走访日期“' || date || '”不是日期（年-月-日）'",
    ),
    ("content", "REQUIRED", "content IS NULL", "'请填写帮扶内容'"),
    (
        "minutes",
        "NUMBER_BAD",
        "minutes IS NOT NULL AND minutes_int IS NULL",
        "'时长（分钟）“' || minutes || '”不是整数'",
    ),
    ("minutes", "NUMBER_NEGATIVE", "minutes_int < 0", "'时长（分钟）不能为负数'"),
    (
        "minutes",
        "NUMBER_BAD",
        "minutes_int = 0 OR minutes_int > 1440",
        "'时长须在 1–1440 分钟之间'",
    ),
    (
        "household_code",
        "PERMISSION_DENIED",
        "household_id IS NOT NULL AND NOT allowed AND user_id IS DISTINCT FROM {by_id}",
        "'只有该户的帮扶责任人或村干部可以录入走访记录（户 ' || household_code || '）'",
    ),
    (
        "date",
        "VISIT_DATE_FUTURE",
        "day > DATE {today}",
        "'走访日期 ' || CAST(day AS VARCHAR) || ' 晚于今天'",
    ),
    (
        "name",
        "VISIT_NOT_PAIRED",
        "cadre_id IS NOT NULL AND day <= DATE {today} AND pairings = 0",
        "name || '不是户 ' || household_code || ' 的帮扶责任人'",
    ),
    (
        "date",
        "VISIT_BEFORE_PAIRING",
        "pairings > 0 AND NOT inside AND day < first_start",
        "'走访日期 ' || CAST(day AS VARCHAR) || ' 不在结对期间（' || CAST(first_start AS VARCHAR)"
        " || ' 起）'",
    ),
    (
        "date",
        "VISIT_NOT_PAIRED",
        "pairings > 0 AND NOT inside AND day >= first_start",
        "'走访日期 ' || CAST(day AS VARCHAR) || ' 不在结对期间（' || CAST(first_start AS VARCHAR)"
        " || ' 起）'",
    ),
    (
        "date",
        "DUPLICATE_IN_FILE",
        "first_row IS NOT NULL AND first_row < _row",
        "'户 ' || household_code || ' 同一帮扶责任人同一天的走访与第 '"
        " || CAST(first_row AS VARCHAR) || ' 行重复'",
    ),
)


def visits_import_file(
    *,
    path: Path,
    by: services.Actor = None,
    dry_run: bool = False,
    source: str = "import",
    file_name: str = "",
    today: date | None = None,
) -> MeasuresImportReport:
    """Import a file of visits: every row checked set-based with the rules of
    ``visit_record`` (a date in the future, before the pairing, a cadre not paired), all
    rows or none. A visit is keyed by (household, cadre, date)."""
    import duckdb

    started = time.perf_counter()
    today = today or timezone.localdate()
    report = MeasuresImportReport(kind="visits", dry_run=dry_run)
    errors = _Errors()
    sheet = _read(Path(path), "visits", errors)
    report.columns = [c.heading for c in VISIT_COLUMNS if c.name in sheet.columns]
    report.unknown_columns = sheet.unknown
    report.rows = len(sheet)
    if errors.count and any(e.row == 1 for e in errors.items):
        return _done(report, errors, started)
    if not len(sheet):
        errors.add(2, "", "FILE_EMPTY", "文件中没有数据行")
        return _done(report, errors, started)
    con = duckdb.connect()
    try:
        _visits_stage(con, sheet, by, today)
        _visits_errors(con, errors, by, today)
        if errors.count:
            return _done(report, errors, started)
        present = set(sheet.columns)
        _visits_plan(con, present)
        new, changed, same = con.execute(
            "SELECT count(*) FILTER (WHERE ex_id IS NULL), count(*) FILTER (WHERE ex_id IS NOT"
            " NULL AND NOT same), count(*) FILTER (WHERE same) FROM plan"
        ).fetchall()[0]
        report.created, report.updated, report.unchanged = int(new), int(changed), int(same)
        if dry_run or not (new or changed):
            report.stored = not dry_run
            return _done(report, errors, started)
        note = file_name or Path(path).name
        try:
            with transaction.atomic():
                _visits_write(con, present, source=source, by=by, note=note)
        except IntegrityError as exc:
            return _conflict(report, errors, started, exc)
    finally:
        con.close()
    report.stored = True
    return _done(report, errors, started)


def _visits_stage(con: Any, sheet: _Sheet, by: services.Actor, today: date) -> None:
    n = len(sheet)
    arrays = {ROW: pa.array(sheet.rows, pa.int64())}
    for c in VISIT_COLUMNS:
        arrays[c.name] = sheet.columns.get(c.name, pa.nulls(n, pa.string()))
    con.register("f_in", pa.table(arrays))
    con.execute("CREATE TEMP TABLE f AS SELECT * FROM f_in")
    con.unregister("f_in")
    codes = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT household_code FROM f WHERE household_code IS NOT NULL"
        ).fetchall()
    ]
    households = _households(codes)
    allowed = _allowed_villages(by, (h.village_id for h in households.values()))
    hh = _table(
        ["code", "id", "village_id", "allowed"],
        [pa.string(), pa.int64(), pa.string(), pa.bool_()],
        [(h.code, h.pk, h.village_id, h.village_id in allowed) for h in households.values()],
    )
    counties = sorted({h.village_id[:6] for h in households.values()})
    cad = _table(
        ["id", "county_id", "name", "unit", "user_id"],
        [pa.int64(), pa.string(), pa.string(), pa.string(), pa.int64()],
        list(
            Cadre.objects.filter(county_id__in=counties).values_list(
                "pk", "county_id", "name", "unit", "user_id"
            )
        ),
    )
    con.register("hh_in", hh)
    con.register("cad_in", cad)
    con.execute("CREATE TEMP TABLE hh AS SELECT * FROM hh_in")
    # Several cadres of the same name and unit: the first registered is the one meant.
    con.execute(
        "CREATE TEMP TABLE cad AS SELECT county_id, name, unit, min(id) AS id,"
        " arg_min(user_id, id) AS user_id FROM cad_in GROUP BY ALL"
    )
    con.unregister("hh_in")
    con.unregister("cad_in")
    cadre_ids = [r[0] for r in con.execute("SELECT id FROM cad").fetchall()]
    pairings: list[tuple[Any, ...]] = []
    for chunk in _chunks(cadre_ids):
        pairings += Pairing.objects.filter(cadre_id__in=list(chunk)).values_list(
            "household_id", "cadre_id", "start", "end"
        )
    pr = _table(
        ["household_id", "cadre_id", "start", "end"],
        [pa.int64(), pa.int64(), pa.date32(), pa.date32()],
        pairings,
    )
    con.register("pr_in", pr)
    con.execute("CREATE TEMP TABLE pr AS SELECT * FROM pr_in")
    con.unregister("pr_in")
    con.execute(
        r"""
        CREATE TEMP TABLE v0 AS
        SELECT f.*, h.id AS household_id, h.village_id, coalesce(h.allowed, FALSE) AS allowed,
               c.id AS cadre_id, c.user_id,
               CASE WHEN regexp_full_match(d10, '\d{4}-\d{2}-\d{2}') THEN TRY_CAST(d10 AS DATE)
                    WHEN regexp_full_match(d10, '\d{8}')
                    THEN CAST(TRY_STRPTIME(d10, '%Y%m%d') AS DATE) END AS day,
               CASE WHEN regexp_full_match(f.minutes, '[+-]?\d+')
                    THEN TRY_CAST(f.minutes AS BIGINT) END AS minutes_int
        FROM (SELECT *, substr(replace(replace(date, '/', '-'), '.', '-'), 1, 10) AS d10
              FROM f) f
        LEFT JOIN hh h ON h.code = f.household_code
        LEFT JOIN cad c
          ON c.county_id = substr(h.village_id, 1, 6) AND c.name = f.name AND c.unit = f.unit
        """
    )
    con.execute(
        f"""
        CREATE TEMP TABLE v AS
        SELECT v0.*, coalesce(p.pairings, 0) AS pairings, coalesce(p.inside, FALSE) AS inside,
               p.first_start, d.first_row
        FROM v0
        LEFT JOIN (
            SELECT v0._row, count(pr.cadre_id) AS pairings,
                   bool_or(pr.start <= v0.day AND (pr."end" IS NULL OR v0.day <= pr."end"))
                     AS inside,
                   min(pr.start) AS first_start
            FROM v0 JOIN pr ON pr.household_id = v0.household_id AND pr.cadre_id = v0.cadre_id
            WHERE v0.day IS NOT NULL AND v0.day <= DATE '{today.isoformat()}'
            GROUP BY v0._row
        ) p USING (_row)
        LEFT JOIN (
            SELECT _row, min(_row) OVER (PARTITION BY household_id, cadre_id, day) AS first_row
            FROM v0 WHERE cadre_id IS NOT NULL AND day IS NOT NULL
        ) d USING (_row)
        """
    )


def _by_id(by: services.Actor) -> str:
    if by is None or not getattr(by, "is_authenticated", False):
        return "NULL"
    return str(int(getattr(by, "pk", 0) or 0))


def _visits_errors(con: Any, errors: _Errors, by: services.Actor, today: date) -> None:
    checks = []
    for column, code, condition, message in _VISIT_CHECKS:
        if code == "PERMISSION_DENIED" and by is None:
            continue
        cond = condition.format(by_id=_by_id(by), today=f"'{today.isoformat()}'")
        value = column if column in {c.name for c in VISIT_COLUMNS} else "NULL"
        checks.append(
            f"SELECT _row, '{column}' AS col, '{code}' AS code, {message} AS message,"
            f" CAST({value} AS VARCHAR) AS value FROM v WHERE {cond}"
        )
    union = " UNION ALL ".join(checks)
    con.execute(f"CREATE TEMP TABLE errs AS {union}")
    total = int(con.execute("SELECT count(*) FROM errs").fetchall()[0][0])
    for row, col, code, message, value in con.execute(
        f"SELECT * FROM errs ORDER BY _row, col, code LIMIT {MAX_ERRORS}"
    ).fetchall():
        errors.add(int(row), col, code, message, value)
    errors.count += max(0, total - min(total, MAX_ERRORS))


def _visits_plan(con: Any, present: set[str]) -> None:
    """Table ``plan``: per file row the values to store and the stored visit it matches."""
    keys = con.execute("SELECT DISTINCT household_id FROM v ORDER BY 1").fetchall()
    ids = [k[0] for k in keys]
    low, high = con.execute("SELECT min(day), max(day) FROM v").fetchall()[0]
    stored: list[tuple[Any, ...]] = []
    for chunk in _chunks(ids):
        stored += Visit.objects.filter(
            household_id__in=list(chunk), date__gte=low, date__lte=high
        ).values_list("pk", "household_id", "cadre_id", "date", "minutes", "content", "next_step")
    ex = _table(
        ["id", "household_id", "cadre_id", "date", "minutes", "content", "next_step"],
        [pa.int64(), pa.int64(), pa.int64(), pa.date32(), pa.int64(), pa.string(), pa.string()],
        stored,
    )
    con.register("ex_in", ex)
    con.execute("CREATE TEMP TABLE ex AS SELECT * FROM ex_in")
    con.unregister("ex_in")
    compared = ["content"] + [c for c in ("next_step", "minutes") if c in present]
    same = " AND ".join(f"e.{c} IS NOT DISTINCT FROM t.{c}" for c in compared)
    con.execute(
        f"""
        CREATE TEMP TABLE plan AS
        WITH t AS (
            SELECT _row, household_id, cadre_id, day, minutes_int AS minutes,
                   left(content, 500) AS content, coalesce(left(next_step, 300), '') AS next_step
            FROM v
        )
        SELECT t.*, m.ex_id, coalesce(m.same, FALSE) AS same
        FROM t LEFT JOIN (
            SELECT t._row, min(e.id) AS ex_id, bool_or({same}) AS same
            FROM t JOIN ex e
              ON e.household_id = t.household_id AND e.cadre_id = t.cadre_id AND e.date = t.day
            GROUP BY t._row
        ) m USING (_row)
        """
    )


_VISIT_DB_COLUMNS = [
    "household_id",
    "cadre_id",
    "date",
    "minutes",
    "content",
    "next_step",
    "photo",
    "submission",
    "source",
    "field_sources",
    "confirmed_at",
    "created_at",
    "updated_at",
]


def _visits_write(
    con: Any, present: set[str], *, source: str, by: services.Actor, note: str
) -> None:
    now = timezone.now()
    if connection.vendor == "sqlite":
        # Text in the form Django's SQLite adapters bind: no Python call per cell.
        stamp = _sql_text(now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" "))
        day = "CAST(day AS VARCHAR)"
    else:
        stamp = _now_literal(now)
        day = "day"
    select = (
        f"SELECT household_id, cadre_id, {day} AS date, minutes, content, next_step,"
        f" '' AS photo, '' AS submission, {_sql_text(source)} AS source,"
        f" '{{}}' AS field_sources, {stamp} AS confirmed_at, {stamp} AS created_at,"
        f" {stamp} AS updated_at FROM plan WHERE ex_id IS NULL ORDER BY _row"
    )
    reader = con.sql(select).to_arrow_reader(WRITE_ROWS)
    bulk_insert(Visit._meta.db_table, _VISIT_DB_COLUMNS, reader)
    fields = ["content"] + [c for c in ("next_step", "minutes") if c in present]
    updates = con.execute(
        f"SELECT ex_id, {', '.join(fields)} FROM plan WHERE ex_id IS NOT NULL AND NOT same"
    ).fetchall()
    if updates:
        Visit.objects.bulk_update(
            [
                Visit(pk=r[0], **dict(zip(fields, r[1:], strict=True)), updated_at=now)
                for r in updates
            ],
            [*fields, "updated_at"],
            batch_size=BATCH,
        )
    touched = con.execute(
        "SELECT v.household_id, any_value(v.village_id) FROM v JOIN plan USING (_row)"
        " WHERE plan.ex_id IS NULL OR NOT plan.same GROUP BY 1"
    ).fetchall()
    rollups_mark_dirty(village_codes={v for _, v in touched})
    services.pairing_last_visits_refresh(h for h, _ in touched)
    _audit(
        by=by,
        action="visit.import",
        household_ids=[h for h, _ in touched],
        after={"file": note},
        note=note,
    )
