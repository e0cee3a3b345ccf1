"""Import measures carried out: every row checked with the rules of the services, all or none."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fupin.common.bulk import bulk_insert
from fupin.measures import services
from fupin.measures.imports.common import (
    BATCH,
    MEASURE_COLUMNS,
    WRITE_ROWS,
    MeasuresImportReport,
    _audit,
    _check_households,
    _chunks,
    _combinations,
    _conflict,
    _contexts,
    _done,
    _encode,
    _Errors,
    _gc_paused,
    _mark_villages,
    _read,
    _rows_in,
    _Sheet,
)
from fupin.measures.imports.rules import MeasureRules
from fupin.measures.models import Measure
from fupin.policy import measures as pm

# --- measures ------------------------------------------------------------------------------

#: The file column each measure rule is about (for the error report).
_RULE_COLUMN = {
    pm.MeasureCode.UNKNOWN_CATEGORY: "category",
    pm.MeasureCode.UNKNOWN_SUBTYPE: "subtype",
    pm.MeasureCode.SUBTYPE_MISMATCH: "subtype",
    pm.MeasureCode.AMOUNT_NEGATIVE: "amount",
    pm.MeasureCode.AMOUNT_ABOVE_CAP: "amount",
    pm.MeasureCode.DATES: "end",
    pm.MeasureCode.LOAN_TERM: "term_months",
    pm.MeasureCode.LOAN_AGE: "member",
    pm.MeasureCode.LOAN_BORROWER: "member",
    pm.MeasureCode.LOAN_NOT_REGISTERED: "household_code",
    pm.MeasureCode.LOAN_PURPOSE: "purpose",
    pm.MeasureCode.SAFETY_NET_LABOUR: "reason",
    pm.MeasureCode.PUBLIC_POST_MEMBER: "member",
    pm.MeasureCode.PUBLIC_POST_LABOUR: "member",
    pm.MeasureCode.HOUSING_GRADE: "category",
    pm.MeasureCode.HOUSING_PRIORITY: "category",
}
_CODE_COLUMN = {c.value: col for c, col in _RULE_COLUMN.items()}
#: Columns of the file passed to ``measure_parse`` (the member is looked up per row).
_PARSED = tuple(c.name for c in MEASURE_COLUMNS if c.name not in ("household_code", "member"))
#: Stored fields an import compares and updates, with the file column each comes from.
_UPDATABLE = (
    "year",
    "content",
    "project",
    "unit",
    "amount",
    "end",
    "status",
    "term_months",
    "purpose",
    "reason",
    "evidence",
)
_INSERT_FIELDS = (
    "household_id",
    "year",
    "category",
    "subtype",
    "content",
    "project",
    "unit",
    "amount",
    "start",
    "end",
    "status",
    "member_id",
    "term_months",
    "purpose",
    "reason",
    "evidence",
)


def _problem_column(p: services.FieldProblem) -> str:
    if p.field == "rule":
        return _CODE_COLUMN.get(p.code, "rule")
    return p.field


#: The groups of columns ``measure_parse`` reads together (a sub-type is looked up within its
#: category; the year defaults to the start's); every other column is parsed on its own.
_GROUPS: tuple[tuple[str, ...], ...] = (
    ("category", "subtype"),
    ("start", "year"),
    *((c,) for c in _PARSED if c not in ("category", "subtype", "start", "year")),
)
assert sorted(c for g in _GROUPS for c in g) == sorted(_PARSED)
#: Valid cells given for the required columns outside a group, so that the parse of a group
#: reports only the group's own problems.
_FILLER: dict[str, object] = {"category": pm.MEASURE_CATEGORY.codes[0], "start": "2020-01-01"}

_Parsed = tuple[services.MeasureInput | None, list[services.FieldProblem]]


def _parse_groups(sheet: _Sheet, present: set[str]) -> tuple[np.ndarray, list[_Parsed]]:
    """``measure_parse`` per distinct cells of each *group* of columns (a few hundred calls
    where one per distinct combination of all the cells made tens of thousands), the results
    put together per distinct combination: the same input and the same problems as a
    ``measure_parse`` of the whole row (``tests/measures/test_imports_speed.py``)."""
    baseline, none = services.measure_parse(_FILLER)
    assert baseline is not None and not none
    codes: list[np.ndarray] = []
    sizes: list[int] = []
    results: list[tuple[tuple[str, ...], list[tuple[dict[str, Any] | None, list[Any]]]]] = []
    for group in _GROUPS:
        names = [c for c in group if c in present]
        if not names:
            continue
        encoded = [_encode(sheet.columns[n]) for n in names]
        first, inverse = _combinations([e[0] for e in encoded], [len(e[1]) for e in encoded])
        parsed: list[tuple[dict[str, Any] | None, list[Any]]] = []
        for row in first.tolist():
            data = {k: v for k, v in _FILLER.items() if k not in group}
            for name, (idx, values) in zip(names, encoded, strict=True):
                i = int(idx[row])
                if i >= 0:
                    data[name] = values[i]
            one, issues = services.measure_parse(data)
            got = None if one is None else {f: getattr(one, f) for f in group}
            parsed.append((got, issues))
        codes.append(inverse)
        sizes.append(len(parsed))
        results.append((group, parsed))
    first, inverse = _combinations(codes, sizes)
    out: list[_Parsed] = []
    for row in first.tolist():
        problems: list[services.FieldProblem] = []
        fields: dict[str, Any] = {}
        for k, (_, of_group) in enumerate(results):
            cells, found = of_group[int(codes[k][row])]
            problems += found
            if cells is not None:
                fields.update(cells)
        out.append((None, problems) if problems else (replace(baseline, **fields), []))
    return inverse, out


def measures_import_file(
    *,
    path: Path,
    by: services.Actor = None,
    dry_run: bool = False,
    source: str = "import",
    file_name: str = "",
    today: date | None = None,
) -> MeasuresImportReport:
    """Import a file of measures carried out: every row, or nothing.

    Raise ``FupinError`` when the file cannot be read; every problem inside the file comes
    back in the report. ``by=None`` is the system (the CLI) and reaches every household.
    """
    with _gc_paused():
        return _measures_import(
            path=path, by=by, dry_run=dry_run, source=source, file_name=file_name
        )


def _measures_import(
    *, path: Path, by: services.Actor, dry_run: bool, source: str, file_name: str
) -> MeasuresImportReport:
    started = time.perf_counter()
    report = MeasuresImportReport(kind="measures", dry_run=dry_run)
    errors = _Errors()
    sheet = _read(Path(path), "measures", errors)
    present = set(sheet.columns)
    report.columns = [c.heading for c in MEASURE_COLUMNS if c.name in present]
    report.unknown_columns = sheet.unknown
    report.rows = len(sheet)
    if errors.count and any(e.row == 1 for e in errors.items):
        return _done(report, errors, started)
    if not len(sheet):
        errors.add(2, "", "FILE_EMPTY", "文件中没有数据行")
        return _done(report, errors, started)
    p = services.parameters()
    rows = sheet.rows
    codes = sheet.text("household_code")
    households, out_of_scope = _check_households(codes, rows, by, errors)
    contexts = _contexts(h for c, h in households.items() if c not in out_of_scope)
    inverse, combos = _parse_groups(sheet, present)
    check_rules = MeasureRules(p).problems
    members = sheet.text("member")
    compared = [f for f in _UPDATABLE if f in present or f == "year"]
    existing = _existing_measures(sorted(contexts), compared)

    first_row: dict[tuple[Any, ...], int] = {}
    new: list[tuple[Any, ...]] = []
    updates: list[tuple[int, dict[str, Any], list[str]]] = []
    unchanged = 0
    for number, code, combo, member_raw in zip(
        rows.tolist(), codes, inverse.tolist(), members, strict=True
    ):
        parsed, problems = combos[combo]
        for fp in problems:
            errors.add(number, _problem_column(fp), fp.code, fp.message)
        h = households.get(code) if code else None
        ctx = contexts.get(h.pk) if h is not None else None
        if parsed is None or ctx is None:
            continue
        target = member_raw.strip().upper() if member_raw else ""
        rules, member = check_rules(parsed, ctx, target)
        if rules:
            for fp in rules:
                errors.add(number, _problem_column(fp), fp.code, fp.message)
            continue
        member_id = member.pk if member is not None else None
        key = (ctx.household.pk, parsed.category, parsed.subtype, parsed.start, member_id)
        seen = first_row.setdefault(key, number)
        if seen != number:
            errors.add(
                number,
                "household_code",
                "DUPLICATE_IN_FILE",
                f"户 {code} 的同一措施（类别、子类、开始日期、受益成员相同）与第 {seen} 行重复",
                code,
            )
            continue
        stored = existing.get(key)
        if stored is None:
            new.append(
                (
                    ctx.household.pk,
                    parsed.year,
                    parsed.category,
                    parsed.subtype,
                    parsed.content,
                    parsed.project,
                    parsed.unit,
                    parsed.amount,
                    parsed.start,
                    parsed.end,
                    parsed.status,
                    member_id,
                    parsed.term_months,
                    parsed.purpose,
                    parsed.reason,
                    parsed.evidence,
                )
            )
            continue
        pk, values, sources = stored
        wanted = {f: getattr(parsed, f) for f in compared}
        changed = [f for f in compared if wanted[f] != values[f]]
        if changed:
            updates.append((pk, {**wanted, "field_sources": sources}, changed))
        else:
            unchanged += 1
    if errors.count:
        return _done(report, errors, started)
    report.created, report.updated, report.unchanged = len(new), len(updates), unchanged
    if dry_run or not (new or updates):
        report.stored = not dry_run
        return _done(report, errors, started)
    note = file_name or Path(path).name
    household_of = {pk: key[0] for key, (pk, _, _) in existing.items()}
    touched = [r[0] for r in new] + [household_of[pk] for pk, _, _ in updates]
    try:
        with transaction.atomic():
            _mark_villages(households.values(), touched)
            _insert_measures(new, source=source)
            _update_measures(updates, compared, source=source)
            _audit(
                by=by,
                action="measure.import",
                household_ids=touched,
                after={"file": note, "created": len(new), "updated": len(updates)},
                note=note,
            )
    except IntegrityError as exc:
        return _conflict(report, errors, started, exc)
    report.stored = True
    return _done(report, errors, started)


def _existing_measures(
    household_ids: Sequence[int], compared: Sequence[str]
) -> dict[tuple[Any, ...], tuple[int, dict[str, Any], dict[str, Any]]]:
    """The stored measures of the households, by the import's key."""
    found: dict[tuple[Any, ...], tuple[int, dict[str, Any], dict[str, Any]]] = {}
    names = ["pk", "household_id", "category", "subtype", "start", "member_id", "field_sources"]
    # Only the households with a stored measure (none at a first import) go through the ORM.
    with_measures = sorted(
        {r[0] for r in _rows_in(Measure, ("household",), "household", household_ids)}
    )
    for chunk in _chunks(with_measures):
        for rec in Measure.objects.filter(household_id__in=list(chunk)).values(*names, *compared):
            key = (
                rec["household_id"],
                rec["category"],
                rec["subtype"],
                rec["start"],
                rec["member_id"],
            )
            if key not in found or rec["pk"] < found[key][0]:
                found[key] = (rec["pk"], {f: rec[f] for f in compared}, rec["field_sources"] or {})
    return found


def _now_array(now: dt.datetime, n: int) -> pa.Array:
    if connection.vendor == "sqlite":
        # The text Django's SQLite adapter binds (naive UTC): no Python call per cell.
        text = now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        return pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, np.int32)), pa.array([text])
        ).cast(pa.string())
    micros = int(now.timestamp() * 1_000_000)
    return pa.array(np.full(n, micros, np.int64), pa.timestamp("us", tz="UTC"))


def _sqlite_text(arr: pa.Array) -> pa.Array:
    """Decimals and dates as the text Django's SQLite adapters bind, cast by Arrow at once."""
    if connection.vendor == "sqlite" and (
        pa.types.is_decimal(arr.type) or pa.types.is_date(arr.type)
    ):
        return arr.cast(pa.string())
    return arr


def _insert_measures(rows: list[tuple[Any, ...]], *, source: str) -> None:
    if not rows:
        return
    now = timezone.now()
    types = {
        "household_id": pa.int64(),
        "year": pa.int32(),
        "amount": pa.decimal128(12, 2),
        "start": pa.date32(),
        "end": pa.date32(),
        "member_id": pa.int64(),
        "term_months": pa.int32(),
    }

    def batches() -> Iterator[pa.RecordBatch]:
        for start in range(0, len(rows), WRITE_ROWS):
            part = rows[start : start + WRITE_ROWS]
            cols = list(zip(*part, strict=True))
            n = len(part)
            arrays = [
                _sqlite_text(pa.array(col, types.get(name, pa.string())))
                for name, col in zip(_INSERT_FIELDS, cols, strict=True)
            ]
            arrays += [
                pa.array([source] * n, pa.string()),
                pa.array(["{}"] * n, pa.string()),
                pa.array([""] * n, pa.string()),
                _now_array(now, n),
                _now_array(now, n),
                _now_array(now, n),
            ]
            yield pa.RecordBatch.from_arrays(arrays, names=_MEASURE_DB_COLUMNS)

    bulk_insert(Measure._meta.db_table, _MEASURE_DB_COLUMNS, batches())


_MEASURE_DB_COLUMNS = [
    *_INSERT_FIELDS,  # the database columns have the fields' attribute names
    "source",
    "field_sources",
    "confirmed_by",
    "confirmed_at",
    "created_at",
    "updated_at",
]


def _update_measures(
    updates: list[tuple[int, dict[str, Any], list[str]]], compared: Sequence[str], *, source: str
) -> None:
    if not updates:
        return
    now = timezone.now()
    objs = []
    for pk, values, changed in updates:
        sources = dict(values.pop("field_sources"))
        sources.update(dict.fromkeys(changed, source))
        objs.append(
            Measure(pk=pk, **values, field_sources=sources, confirmed_at=now, updated_at=now)
        )
    fields = [*compared, "field_sources", "confirmed_at", "updated_at"]
    Measure.objects.bulk_update(objs, fields, batch_size=BATCH)
