"""Import a flat registry file: read, validate every row, then store all of it or nothing.

The steps are those of a stateful import job (ARCHITECTURE.md, house style 10): parse and
check each batch as it is read, stage it in DuckDB, run the rules across rows and against
the registry, and only when no row has an error write everything in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.policy.idnumber import masked
from fupin.registry.imports.errors import ImportReport, RowError, display_value, message_for
from fupin.registry.imports.reader import (
    FlatSource,
    HeaderIssue,
    open_arrow,
    open_flat_file,
    required_missing,
)
from fupin.registry.imports.upsert import (
    UpsertPlan,
    new_households_only,
    upsert_apply,
    upsert_plan,
)
from fupin.registry.imports.validate import Stage, parse_batch
from fupin.registry.imports.writer import write_stage
from fupin.reports.services import rollups_mark_dirty

Progress = Callable[[str, int, int], None]
Mode = Literal["insert", "upsert"]
#: Rows of the file shown in a preview.
PREVIEW_ROWS = 20

#: Errors kept in the report (the count is always complete); a wholly wrong file (say, the
#: wrong columns on ten million rows) would otherwise fill memory with error objects.
MAX_ERRORS = 1_000_000
#: Inputs above this size (or row count, when known) stage in a temporary DuckDB file
#: instead of memory: DuckDB keeps in-memory tables uncompressed (~1 kB a row here).
LARGE_FILE_BYTES = 64 << 20
LARGE_TABLE_ROWS = 300_000

STAGE_READ = "读取校验"
STAGE_CHECK = "查重核对"
STAGE_WRITE = "写入"


def registry_import_file(
    *,
    path: Path,
    source: str = "import",
    dry_run: bool = False,
    progress: Progress | None = None,
    max_errors: int | None = MAX_ERRORS,
    today: date | None = None,
    mode: Mode = "insert",
    scope: str | None = None,
) -> ImportReport:
    """Import a flat registry file (.csv, .parquet, .xlsx/.xls/.ods): all rows or none.

    Raise ``FupinError`` when the file cannot be read at all (missing, unsupported, empty,
    unknown encoding); every problem inside the file comes back in the report instead.
    ``mode="insert"`` refuses households and ID numbers already registered; ``"upsert"``
    updates the registered households (by 户编号) and members (by ID number) whose values
    differ and leaves the others untouched. ``scope`` (a division prefix) refuses rows of
    villages outside it.
    """
    path = Path(path)
    flat = open_flat_file(path)
    large = path.stat().st_size > LARGE_FILE_BYTES or (flat.total_rows or 0) > LARGE_TABLE_ROWS
    return _run(
        flat,
        source=source,
        dry_run=dry_run,
        progress=progress,
        max_errors=max_errors,
        large=large,
        today=today,
        mode=mode,
        scope=scope,
    )


def registry_import_table(
    *,
    table_or_batches: pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch],
    source: str = "import",
    dry_run: bool = False,
    progress: Progress | None = None,
    max_errors: int | None = MAX_ERRORS,
    today: date | None = None,
    mode: Mode = "insert",
    scope: str | None = None,
) -> ImportReport:
    """Import flat registry rows held as Arrow data; row ``i`` is reported as row ``i + 2``."""
    flat = open_arrow(table_or_batches)
    large = flat.total_rows is None or flat.total_rows > LARGE_TABLE_ROWS
    return _run(
        flat,
        source=source,
        dry_run=dry_run,
        progress=progress,
        max_errors=max_errors,
        large=large,
        today=today,
        mode=mode,
        scope=scope,
    )


def _run(
    flat: FlatSource,
    *,
    source: str,
    dry_run: bool,
    progress: Progress | None,
    max_errors: int | None,
    large: bool,
    today: date | None,
    mode: Mode = "insert",
    scope: str | None = None,
) -> ImportReport:
    started = time.perf_counter()
    today = today or timezone.localdate()
    total = flat.total_rows or 0
    with Stage(large=large) as stage:
        stage.add_issues(
            HeaderIssue(1, name, "FILE_MISSING_COLUMN") for name in required_missing(flat.columns)
        )
        for batch in flat.batches:
            parsed, errors = parse_batch(batch, today=today)
            stage.add(parsed, errors)
            if progress:
                progress(STAGE_READ, stage.rows, max(total, stage.rows))
        stage.add_issues(flat.issues)
        if progress:
            progress(STAGE_CHECK, 0, 1)
        stage.cross_checks()
        stage.registry_checks(mode=mode, scope=scope)
        report = stage.report(max_errors)
        report.dry_run = dry_run
        report.mode = mode
        report.unknown_columns = list(flat.unknown_headers)
        plan: UpsertPlan | None = None
        if not report.error_count:
            if mode == "upsert":
                plan = upsert_plan(stage, present=set(flat.columns))
                _plan_counts(report, plan)
            else:
                report.households_created = report.households
                report.members_created = report.members
            report.preview = _preview(stage, with_status=plan is not None)
        if progress:
            progress(STAGE_CHECK, 1, 1)
        if report.error_count or dry_run:
            report.seconds = time.perf_counter() - started
            return report
        try:
            with transaction.atomic():
                now = timezone.now()
                # The dashboards' rollups of these villages are recomputed on next read.
                rollups_mark_dirty(village_codes=_touched_villages(stage, plan is not None))
                if plan is not None:
                    upsert_apply(stage, plan, source=source, now=now)
                    new_households_only(stage)
                write_stage(stage, source=source, now=now, progress=progress)
        except IntegrityError as exc:
            # Someone registered the same household or ID between our checks and the write.
            report.errors = [
                RowError(0, "", "DB_CONFLICT", message_for("DB_CONFLICT", "", None, str(exc), None))
            ]
            report.error_count = 1
            report.seconds = time.perf_counter() - started
            return report
        report.stored = True
        report.seconds = time.perf_counter() - started
        return report


def _plan_counts(report: ImportReport, plan: UpsertPlan) -> None:
    report.households_created = plan.households_created
    report.households_updated = plan.households_updated
    report.households_unchanged = plan.households_unchanged
    report.members_created = plan.members_created
    report.members_updated = plan.members_updated
    report.members_unchanged = plan.members_unchanged


def _preview(stage: Stage, *, with_status: bool) -> list[dict[str, Any]]:
    """Return the first rows of the file: row, 户编号, village, name, relation, masked ID."""
    status = "coalesce(r.status, 'new')" if with_status else "'new'"
    join = "LEFT JOIN row_status r ON r.row = s._row" if with_status else ""
    rows = stage.con.execute(
        f"""
        SELECT s._row, s.household_code, s.village_code, s.name, CAST(s.relation AS VARCHAR),
               s.id_number, {status}
        FROM staged s {join}
        ORDER BY s._row LIMIT {PREVIEW_ROWS}
        """
    ).fetchall()
    return [
        {
            "row": int(row),
            "household_code": code,
            "village_code": village,
            "name": name,
            "relation": display_value("relation", relation),
            "id_number": masked(id_number),
            "status": st,
        }
        for row, code, village, name, relation, id_number, st in rows
    ]


def _touched_villages(stage: Stage, upsert: bool) -> list[str]:
    """The villages of the file's households and (upsert) those they were registered in."""
    sql = "SELECT village_code FROM hh"
    if upsert:
        columns = {row[0] for row in stage.con.execute("DESCRIBE ex_hh").fetchall()}
        column = next((c for c in ("village_id", "village") if c in columns), None)
        if column:
            sql += f" UNION SELECT CAST({column} AS VARCHAR) FROM ex_hh"
    return [v for (v,) in stage.con.execute(sql).fetchall() if v]
