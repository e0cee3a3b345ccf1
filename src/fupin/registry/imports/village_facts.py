"""Import village facts (村情) and county statistics from Excel or CSV: all rows or none.

The steps of an import job (ARCHITECTURE.md, house style 10): read the file (python-calamine
for Excel), judge every cell of every row with the rules of ``fupin.registry.village_fields``
(each distinct text of a column once), check the rows against each other and against the
registry (the village exists, lies in the user's scope, one row per village and year), and
only when no row has an error write everything in one transaction with a bulk upsert
(``INSERT … ON CONFLICT (village, year) DO UPDATE``). Columns missing from the file are left
as they are; a blank cell of a column that is there means "not recorded" and is stored as null.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from fupin.accounts.scoping import user_scope
from fupin.common.audit import audit_record_bulk
from fupin.divisions.models import Division
from fupin.registry.imports.errors import RowError
from fupin.registry.imports.reader import normalize_header
from fupin.registry.imports.rows import map_header, open_rows
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.registry.village_fields import (
    COUNTY_FIELDS,
    VILLAGE_FIELDS,
    BadValue,
    FactField,
    Value,
    cross_errors,
    display,
    parse_fact,
    parse_year,
)
from fupin.registry.village_services import (
    Actor,
    county_statistics_may_edit,
    village_facts_may_edit,
)

Target = Literal["village", "county"]
PREVIEW_ROWS = 20
BATCH = 2000
#: Keys per ``IN (…)`` list (SQLite allows 32766 parameters).
IN_CHUNK = 5000


@dataclass(frozen=True)
class Spec:
    """What one kind of facts file holds and where its rows go."""

    target: Target
    model: type[models.Model]
    key: str  # the division column of the file: village_code / county_code
    key_heading: str
    key_field: str  # the model's foreign key: village / county
    level: int
    level_label: str
    fields: tuple[FactField, ...]
    may_edit: Callable[[Actor, str], bool]
    action: str
    obj_type: str

    @property
    def headings(self) -> list[str]:
        return [self.key_heading, "年度", *(f.heading for f in self.fields)]

    def heading_of(self, column: str) -> str:
        if column == self.key:
            return self.key_heading
        if column == "year":
            return "年度"
        return next((f.heading for f in self.fields if f.name == column), column)

    def lookup(self) -> dict[str, str]:
        """Folded header spelling -> column name (headings, aliases and the English names)."""
        names: dict[str, str] = {
            self.key_heading: self.key,
            self.key: self.key,
            "年度": "year",
            "year": "year",
            "年份": "year",
        }
        for f in self.fields:
            for spelling in (f.heading, f.name, *f.aliases):
                names[spelling] = f.name
        return {normalize_header(k): v for k, v in names.items()}


VILLAGE_SPEC = Spec(
    target="village",
    model=VillageFacts,
    key="village_code",
    key_heading="村代码",
    key_field="village",
    level=5,
    level_label="村",
    fields=VILLAGE_FIELDS,
    may_edit=village_facts_may_edit,
    action="village_facts.import",
    obj_type="village_facts",
)
COUNTY_SPEC = Spec(
    target="county",
    model=CountyStatistics,
    key="county_code",
    key_heading="县代码",
    key_field="county",
    level=3,
    level_label="县",
    fields=COUNTY_FIELDS,
    may_edit=county_statistics_may_edit,
    action="county_statistics.import",
    obj_type="county_statistics",
)
SPECS: dict[Target, Spec] = {"village": VILLAGE_SPEC, "county": COUNTY_SPEC}


@dataclass
class FactsImportReport:
    """What an import of facts found and did; ``stored`` only when no error and not a dry run."""

    target: Target
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    stored: bool = False
    seconds: float = 0.0
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors)


# --- reading -------------------------------------------------------------------------------


def _open(path: Path, spec: Spec) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    return open_rows(path, spec.lookup(), "村代码、年度")


# --- validating ----------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    code: str
    year: int
    values: dict[str, Value]
    refused: bool = False


def _map_header(
    header: Sequence[str], spec: Spec, errors: list[RowError]
) -> tuple[dict[int, str], list[str]]:
    return map_header(header, spec.lookup(), (spec.key, "year"), spec.heading_of, errors)


def _parse_rows(
    rows: Iterator[tuple[int, list[Any]]],
    positions: Mapping[int, str],
    spec: Spec,
    errors: list[RowError],
) -> list[_Row]:
    """Judge every cell; each distinct text of a column is parsed once."""
    by_name = {f.name: f for f in spec.fields}
    memo: dict[tuple[str, str | None], tuple[Value, BadValue | None]] = {}
    parsed: list[_Row] = []
    for number, cells in rows:
        texts = {
            name: (cells[i].strip() or None if isinstance(cells[i], str) else cells[i])
            if i < len(cells)
            else None
            for i, name in positions.items()
        }
        if all(v is None for v in texts.values()):
            continue  # blank lines and Excel's formatted empty rows
        ok = True
        code = str(texts.get(spec.key) or "").strip()
        if not code:
            errors.append(
                RowError(number, spec.key, "REQUIRED", f"{spec.key_heading}：不能为空", None)
            )
            ok = False
        year = 0
        try:
            year = parse_year(texts.get("year"))
        except BadValue as exc:
            errors.append(
                RowError(number, "year", exc.code, f"年度：{exc.message}", texts.get("year"))
            )
            ok = False
        values: dict[str, Value] = {}
        for name, text in texts.items():
            if name in (spec.key, "year"):
                continue
            key = (name, text)
            if key not in memo:
                try:
                    memo[key] = (parse_fact(by_name[name], text), None)
                except BadValue as exc:
                    memo[key] = (None, exc)
            value, problem = memo[key]
            if problem is not None:
                errors.append(
                    RowError(
                        number,
                        name,
                        problem.code,
                        f"{by_name[name].heading}：{problem.message}",
                        text,
                    )
                )
                ok = False
            else:
                values[name] = value
        parsed.append(_Row(number, code, year, values, refused=not ok))
    return parsed


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _existing(
    spec: Spec, codes: Sequence[str], years: set[int]
) -> dict[tuple[str, int], dict[str, Any]]:
    """The stored records of the file's divisions and years, keyed by (code, year)."""
    key_id = f"{spec.key_field}_id"
    names = [key_id, "year", "pk", "field_sources", *(f.name for f in spec.fields)]
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for chunk in _chunks(codes):
        for rec in spec.model._default_manager.filter(
            **{f"{key_id}__in": list(chunk), "year__in": sorted(years)}
        ).values(*names):
            found[(rec[key_id], rec["year"])] = rec
    return found


def _registry_checks(
    parsed: list[_Row], spec: Spec, by: Actor, errors: list[RowError]
) -> dict[tuple[str, int], dict[str, Any]]:
    codes = sorted({r.code for r in parsed if r.code})
    known: dict[str, int] = {}
    for chunk in _chunks(codes):
        known.update(Division.objects.filter(code__in=list(chunk)).values_list("code", "level"))
    scope = user_scope(by) if by is not None else ""
    years = {r.year for r in parsed if r.year}
    existing = _existing(spec, [c for c in codes if known.get(c) == spec.level], years)
    first_row: dict[tuple[str, int], int] = {}
    allowed: dict[str, bool] = {}
    for r in parsed:
        number = r.number
        if r.code:
            level = known.get(r.code)
            if level is None:
                errors.append(
                    RowError(
                        number,
                        spec.key,
                        "DIVISION_UNKNOWN",
                        f"{spec.key_heading}：未找到区划代码“{r.code}”",
                        r.code,
                    )
                )
                continue
            if level != spec.level:
                errors.append(
                    RowError(
                        number,
                        spec.key,
                        "DIVISION_LEVEL",
                        f"{spec.key_heading}：“{r.code}”不是{spec.level_label}级区划",
                        r.code,
                    )
                )
                continue
            if scope is None or not r.code.startswith(scope):
                errors.append(
                    RowError(
                        number,
                        spec.key,
                        "VILLAGE_OUT_OF_SCOPE" if spec.target == "village" else "OUT_OF_SCOPE",
                        f"{spec.key_heading}：{r.code} 不在您的管辖范围内",
                        r.code,
                    )
                )
                continue
            if r.code not in allowed:
                allowed[r.code] = spec.may_edit(by, r.code)
            if not allowed[r.code]:
                errors.append(
                    RowError(
                        number,
                        spec.key,
                        "PERMISSION_DENIED",
                        f"{spec.key_heading}：您没有权限录入 {r.code} 的数据",
                        r.code,
                    )
                )
                continue
        if not r.code or not r.year:
            continue
        key = (r.code, r.year)
        if key in first_row:
            errors.append(
                RowError(
                    number,
                    spec.key,
                    "DUPLICATE_IN_FILE",
                    f"{spec.key_heading} {r.code} 的 {r.year} 年度与第 {first_row[key]} 行重复",
                    r.code,
                )
            )
            continue
        first_row[key] = number
        if spec.target == "village":
            stored = existing.get(key) or {}
            merged = stored | r.values
            for e in cross_errors(merged, r.year):
                errors.append(RowError(number, e.field, e.code, e.message, e.value))
    return existing


# --- writing -------------------------------------------------------------------------------


def _plan(
    parsed: list[_Row], spec: Spec, present: list[str], existing: Mapping[tuple[str, int], Any]
) -> tuple[list[tuple[_Row, list[str]]], int, int, int]:
    """Return the rows to write with their changed columns, and the created/updated/unchanged
    counts."""
    todo: list[tuple[_Row, list[str]]] = []
    created = updated = unchanged = 0
    for r in parsed:
        stored = existing.get((r.code, r.year))
        if stored is None:
            created += 1
            todo.append((r, [k for k in present if r.values.get(k) not in (None, "")]))
            continue
        changed = [k for k in present if r.values.get(k) != stored.get(k)]
        if changed:
            updated += 1
            todo.append((r, changed))
        else:
            unchanged += 1
    return todo, created, updated, unchanged


def _write(
    todo: list[tuple[_Row, list[str]]],
    spec: Spec,
    present: list[str],
    existing: Mapping[tuple[str, int], Any],
    *,
    source: str,
    by: Actor,
    note: str,
) -> None:
    now = timezone.now()
    key_id = f"{spec.key_field}_id"
    objs = []
    for r, changed in todo:
        stored = existing.get((r.code, r.year))
        sources = dict(stored["field_sources"] or {}) if stored else {}
        sources.update(dict.fromkeys(changed, source))
        objs.append(
            spec.model(
                **{key_id: r.code, "year": r.year},
                **{k: r.values.get(k) for k in present},
                source=source,
                field_sources=sources,
                confirmed_at=now,
            )
        )
    with transaction.atomic():
        for start in range(0, len(objs), BATCH):
            spec.model._default_manager.bulk_create(
                objs[start : start + BATCH],
                update_conflicts=True,
                unique_fields=[spec.key_field, "year"],
                update_fields=[*present, "field_sources", "confirmed_at", "updated_at"],
            )
        for year in sorted({r.year for r, _ in todo}):
            codes = [r.code for r, _ in todo if r.year == year]
            for chunk in _chunks(codes):
                audit_record_bulk(
                    by=by,
                    action=spec.action,
                    obj_type=spec.obj_type,
                    rows=spec.model._default_manager.filter(
                        **{f"{key_id}__in": list(chunk), "year": year}
                    ),
                    key_field=key_id,
                    division_field=key_id,
                    after={"year": year, "file": note, "rows": len(codes)},
                    note=note,
                )


def _preview(parsed: list[_Row], spec: Spec, present: list[str]) -> list[dict[str, Any]]:
    by_name = {f.name: f for f in spec.fields}
    return [
        {
            "row": r.number,
            "code": r.code,
            "year": r.year,
            "values": [display(by_name[k], r.values.get(k)) for k in present],
        }
        for r in parsed[:PREVIEW_ROWS]
    ]


def facts_import_file(
    *,
    target: Target,
    path: Path,
    by: Actor = None,
    dry_run: bool = False,
    source: str = "import",
    file_name: str = "",
) -> FactsImportReport:
    """Import a file of village facts or county statistics: every row, or nothing.

    Raise ``FupinError`` when the file cannot be read or the user may not import at all;
    every problem inside the file comes back in the report, with its row, column and a
    Chinese message. ``by=None`` is the system (the CLI) and reaches every division.
    """
    spec = SPECS[target]
    started = time.perf_counter()
    report = FactsImportReport(target=target, dry_run=dry_run)
    header, rows = _open(Path(path), spec)
    errors: list[RowError] = []
    positions, report.unknown_columns = _map_header(header, spec, errors)
    present = [n for n in positions.values() if n not in (spec.key, "year")]
    report.columns = [spec.heading_of(n) for n in present]
    if errors:  # without the key columns no row can be judged
        report.errors = errors
        report.seconds = time.perf_counter() - started
        return report
    parsed = _parse_rows(rows, positions, spec, errors)
    report.rows = len(parsed)
    if not parsed:
        errors.append(RowError(2, "", "FILE_EMPTY", "文件中没有数据行"))
    existing = _registry_checks(parsed, spec, by, errors)
    report.errors = sorted(errors, key=lambda e: (e.row, e.column))
    if report.errors:
        report.seconds = time.perf_counter() - started
        return report
    todo, report.created, report.updated, report.unchanged = _plan(parsed, spec, present, existing)
    report.preview = _preview(parsed, spec, present)
    if not dry_run and todo:
        try:
            _write(
                todo,
                spec,
                present,
                existing,
                source=source,
                by=by,
                note=file_name or Path(path).name,
            )
        except IntegrityError as exc:
            report.errors = [RowError(0, "", "DB_CONFLICT", f"写入时与已有数据冲突：{exc}")]
            report.seconds = time.perf_counter() - started
            return report
    report.stored = not dry_run
    report.seconds = time.perf_counter() - started
    return report


def village_facts_import_file(
    *, path: Path, by: Actor = None, dry_run: bool = False, file_name: str = ""
) -> FactsImportReport:
    """Import a file of village facts (村代码, 年度, the facts)."""
    return facts_import_file(
        target="village", path=path, by=by, dry_run=dry_run, file_name=file_name
    )


def county_statistics_import_file(
    *, path: Path, by: Actor = None, dry_run: bool = False, file_name: str = ""
) -> FactsImportReport:
    """Import a file of county statistics (县代码, 年度, income, rural population)."""
    return facts_import_file(
        target="county", path=path, by=by, dry_run=dry_run, file_name=file_name
    )


# --- the template --------------------------------------------------------------------------


def facts_template_workbook(target: Target, path: Path) -> Path:
    """Write the import template: the headings only, codes formatted as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    spec = SPECS[target]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "村情" if target == "village" else "县统计数据"
    fill = PatternFill("solid", fgColor="FFDDEBF7")
    for i, heading in enumerate(spec.headings, start=1):
        cell = ws.cell(row=1, column=i, value=heading)
        cell.font = Font(bold=True)
        cell.fill = fill
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(heading) * 2 + 2)
    # Division codes as text, so Excel keeps every digit.
    for row in range(2, 502):
        ws.cell(row=row, column=1).number_format = "@"
    ws.freeze_panes = "A2"
    path = Path(path)
    wb.save(path)
    return path
