"""Import measures, pairings and visits from Excel or CSV: every row checked, all rows or none.

The steps of an import job (ARCHITECTURE.md, house style 10), as the household import:
read the file (python-calamine for Excel, Arrow for CSV), judge every row with the rules of
the single-record services (:mod:`fupin.measures.services`), report every bad row with its
row number, column, stable code and a Chinese message, and only when no row is bad write
everything in one transaction, in bulk. Re-importing a file changes nothing:

* a measure is keyed by (household, category, sub-type, start, member): a stored measure with
  that key is updated (only the columns the file has), an unchanged one is left alone;
* a pairing by (household, order): the same cadre again is no change; another cadre ends the
  current pairing the day before, as ``pairing_assign`` does; cadres are matched by (county,
  name, unit) and registered when missing; the per-cadre quota gives warnings, not errors;
* a visit by (household, cadre, date).

Measures go through ``services.measure_parse`` (once per distinct combination of the file's
cells) and ``services.measure_problems`` (per row, on household contexts built from a few
set-based queries per 5,000 households). Visits — the largest files, millions of rows — are
checked set-based in DuckDB with the rules of ``services.visit_record``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fupin.common.audit import audit_record_bulk
from fupin.common.bulk import bulk_insert
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.measures import services
from fupin.measures.models import Cadre, Measure, Pairing, Visit
from fupin.policy import measures as pm
from fupin.registry.imports.errors import RowError
from fupin.registry.imports.reader import (
    EXCEL_SUFFIXES,
    as_text,
    cell_text,
    detect_encoding,
    normalize_header,
)
from fupin.registry.imports.writer import _now_literal
from fupin.registry.models import Household, LivingConditions, Member
from fupin.reports.services import rollups_mark_dirty

Kind = Literal["measures", "pairings", "visits"]
KINDS: tuple[Kind, ...] = ("measures", "pairings", "visits")
#: Keys per ``IN (…)`` list (SQLite allows 32766 parameters).
IN_CHUNK = 5000
#: Rows per ``bulk_update`` statement and per Arrow batch written.
BATCH = 2000
WRITE_ROWS = 50_000
#: Errors kept in a report (the count is always complete).
MAX_ERRORS = 100_000
ROW = "_row"


@dataclass(frozen=True)
class Column:
    name: str
    heading: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    #: Formatted as text in the template (codes, ID numbers, phones), so Excel keeps the digits.
    text: bool = False


MEASURE_COLUMNS = (
    Column("household_code", "户编号", ("户码", "household"), required=True, text=True),
    Column("year", "年度", ("年份",)),
    Column("category", "措施类别", ("帮扶措施类别", "类别"), required=True),
    Column("subtype", "措施子类", ("子类",)),
    Column("member", "受益成员身份证号", ("受益成员", "身份证号", "id_number"), text=True),
    Column("amount", "金额", ("金额（元）", "金额(元)")),
    Column("start", "开始日期", ("实施日期",), required=True),
    Column("end", "结束日期", ("完成日期",)),
    Column("status", "状态", ("实施状态",)),
    Column("term_months", "贷款期限（月）", ("贷款期限", "term")),
    Column("purpose", "贷款用途", ()),
    Column("reason", "例外理由", ("理由",)),
    Column("content", "措施内容", ("内容",)),
    Column("unit", "实施单位", ()),
    Column("project", "所属项目", ("项目",)),
    Column("evidence", "佐证材料", ("佐证",)),
)
PAIRING_COLUMNS = (
    Column("county_code", "县代码", ("county",), text=True),
    Column("name", "帮扶责任人姓名", ("帮扶责任人", "姓名", "cadre"), required=True),
    Column("unit", "工作单位", ("单位",), required=True),
    Column("post", "职务", ()),
    Column("phone", "联系电话", ("电话",), text=True),
    Column("household_code", "户编号", ("户码", "household"), required=True, text=True),
    Column("order", "帮扶序位", ("序位",)),
    Column("start", "结对日期", ("开始日期",), required=True),
)
VISIT_COLUMNS = (
    Column("household_code", "户编号", ("户码", "household"), required=True, text=True),
    Column("name", "帮扶责任人姓名", ("帮扶责任人", "姓名", "cadre"), required=True),
    Column("unit", "工作单位", ("单位",), required=True),
    Column("date", "走访日期", ("日期", "visit_date"), required=True),
    Column("content", "帮扶内容", ("走访内容", "内容"), required=True),
    Column("next_step", "下一步", ("下一步打算", "下步打算")),
    Column("minutes", "时长（分钟）", ("时长", "分钟")),
)
COLUMNS: dict[Kind, tuple[Column, ...]] = {
    "measures": MEASURE_COLUMNS,
    "pairings": PAIRING_COLUMNS,
    "visits": VISIT_COLUMNS,
}
TITLES: dict[Kind, str] = {"measures": "帮扶措施", "pairings": "结对帮扶", "visits": "走访记录"}


def heading_of(kind: Kind, column: str) -> str:
    """The Chinese heading of a column of a kind of file (the name itself when unknown)."""
    if column == "rule":
        return "政策规定"
    return next((c.heading for c in COLUMNS[kind] if c.name == column), column)


def _lookup(columns: Sequence[Column]) -> dict[str, str]:
    names: dict[str, str] = {}
    for c in columns:
        for spelling in (c.heading, c.name, *c.aliases):
            names[normalize_header(spelling)] = c.name
    return names


@dataclass
class MeasuresImportReport:
    """What an import found and did; ``stored`` only when no error and not a dry run."""

    kind: Kind
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Pairings: cadres registered and current pairings ended by the file.
    cadres_created: int = 0
    ended: int = 0
    dry_run: bool = False
    stored: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def heading_of(self, column: str) -> str:
        return heading_of(self.kind, column)


class _Errors:
    """The errors of an import: every one counted, the first ``MAX_ERRORS`` kept."""

    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.count = 0

    def add(self, row: int, column: str, code: str, message: str, value: object = None) -> None:
        self.count += 1
        if len(self.items) < MAX_ERRORS:
            shown = None if value is None else str(value)
            self.items.append(RowError(row, column, code, message, shown))

    def finish(self, report: MeasuresImportReport) -> None:
        report.errors = sorted(self.items, key=lambda e: (e.row, e.column, e.code))
        report.error_count = self.count


# --- reading -------------------------------------------------------------------------------


@dataclass
class _Sheet:
    """A file's recognised columns as trimmed text (null when empty) and its row numbers."""

    columns: dict[str, pa.Array]
    rows: np.ndarray
    unknown: list[str]

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def text(self, name: str) -> list[str | None]:
        arr = self.columns.get(name)
        return [None] * len(self) if arr is None else arr.to_pylist()


def _map_header(
    header: Sequence[object], kind: Kind, errors: _Errors
) -> tuple[dict[int, str], list[str]]:
    lookup = _lookup(COLUMNS[kind])
    positions: dict[int, str] = {}
    unknown: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        text = "" if raw is None else str(raw).strip()
        name = lookup.get(normalize_header(text))
        if name is None:
            if text:
                unknown.append(text)
            continue
        if name in seen:
            errors.add(
                1,
                name,
                "FILE_DUPLICATE_COLUMN",
                f"“{heading_of(kind, name)}”列出现了多次，只能保留一列",
            )
            continue
        seen.add(name)
        positions[i] = name
    for c in COLUMNS[kind]:
        if c.required and c.name not in seen:
            errors.add(
                1,
                c.name,
                "FILE_MISSING_COLUMN",
                f"文件缺少必需的列“{c.heading}”（也可写作 {c.name}）",
            )
    return positions, unknown


def _excel_cell(value: object) -> str | None:
    """An Excel cell as text; a whole number typed as a float (a code, a year) loses ``.0``."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return cell_text(value)


def _read(path: Path, kind: Kind, errors: _Errors) -> _Sheet:
    """Read a CSV or Excel file; raise ``FupinError`` when it cannot be read at all."""
    path = Path(path)
    if not path.is_file():
        raise FupinError("FILE_NOT_FOUND", f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, raw, rows = _read_csv(path, kind, errors)
    elif suffix in EXCEL_SUFFIXES:
        header, raw, rows = _read_excel(path, kind, errors)
    else:
        raise FupinError(
            "FILE_UNSUPPORTED",
            f"不支持的文件类型“{suffix or path.name}”：请使用 CSV 或 Excel（xlsx/xls/ods）",
        )
    columns = {name: as_text(arr) for name, arr in raw.items()}
    keep = np.zeros(rows.shape[0], dtype=bool)
    for arr in columns.values():
        keep |= arr.is_valid().to_numpy(zero_copy_only=False)
    if not keep.all():  # blank lines and Excel's formatted empty rows
        take = pa.array(np.flatnonzero(keep))
        columns = {k: v.take(take) for k, v in columns.items()}
        rows = rows[keep]
    return _Sheet(columns, rows, header)


def _read_csv(
    path: Path, kind: Kind, errors: _Errors
) -> tuple[list[str], dict[str, pa.Array], np.ndarray]:
    encoding, text = detect_encoding(path)
    header = next(csv.reader(io.StringIO(text)), [])
    positions, unknown = _map_header(header, kind, errors)
    names = [f"c{i}" for i in range(len(header))]

    def on_invalid(row: Any) -> str:
        number = int(row.number) if row.number is not None else 0
        errors.add(
            number,
            "",
            "FILE_ROW_INVALID",
            f"该行的列数（{row.actual_columns}/{row.expected_columns}）与表头不一致，"
            "请检查是否多了或少了逗号、引号",
        )
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                skip_rows=1, column_names=names, encoding=encoding, block_size=8 << 20
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                include_columns=[names[i] for i in positions],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise FupinError("FILE_UNREADABLE", f"无法读取 CSV 文件：{exc}") from exc
    columns = {name: table.column(names[i]).combine_chunks() for i, name in positions.items()}
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return unknown, columns, rows


def _read_excel(
    path: Path, kind: Kind, errors: _Errors
) -> tuple[list[str], dict[str, pa.Array], np.ndarray]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format
        raise FupinError("FILE_UNREADABLE", f"无法读取 Excel 文件：{exc}") from exc
    lookup = _lookup(COLUMNS[kind])
    for index in range(len(workbook.sheet_names)):
        sheet = workbook.get_sheet_by_index(index)
        it = iter(sheet.iter_rows())
        first = next(it, None)
        if first is None:
            continue
        header = [cell_text(h) or "" for h in first]
        if sum(1 for h in header if normalize_header(h) in lookup) < 2:
            continue
        positions, unknown = _map_header(header, kind, errors)
        data = list(it)
        columns = {
            name: pa.array([_excel_cell(r[i]) if i < len(r) else None for r in data], pa.string())
            for i, name in positions.items()
        }
        start = int(sheet.start[0]) + 2 if sheet.start else 2
        return unknown, columns, np.arange(start, start + len(data), dtype=np.int64)
    raise FupinError(
        "FILE_EMPTY",
        f"Excel 文件中没有可识别的表头：第1行应为列名（如 {COLUMNS[kind][0].heading}）",
    )


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _encode(arr: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """Dictionary-encode a column: per row an index (-1 for null) and the distinct values."""
    encoded = pc.dictionary_encode(arr)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, encoded.dictionary.to_pylist()


def _combinations(
    codes: Sequence[np.ndarray], sizes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Return (first row of each distinct combination of the index columns, row -> combination)."""
    n = codes[0].shape[0] if codes else 0
    if not codes:
        return np.zeros(1 if n else 0, np.int64), np.zeros(n, np.int64)
    span = 1
    for s in sizes:
        span *= s + 1
    if span < 2**62:
        key = np.zeros(n, np.int64)
        mult = 1
        for c, s in zip(codes, sizes, strict=True):
            key += (c + 1) * mult
            mult *= s + 1
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(
            np.stack(codes, axis=1), axis=0, return_index=True, return_inverse=True
        )
    return first, inverse.reshape(-1)


# --- the households of a file ---------------------------------------------------------------


@dataclass(slots=True)
class _HouseholdRow:
    """The household facts the rules read (a stand-in for ``Household`` in a context)."""

    pk: int
    code: str
    village_id: str
    status: str
    attribute: str

    @property
    def id(self) -> int:
        return self.pk


@dataclass(slots=True)
class _MemberRow:
    """The member facts the rules read (a stand-in for ``Member`` in a context)."""

    pk: int
    id_number: str
    birth_date: date
    labour_capacity: str
    health: str
    dibao: bool
    tekun: bool


def _households(codes: Sequence[str]) -> dict[str, _HouseholdRow]:
    """The registered households among ``codes`` (one query per 5,000 codes)."""
    found: dict[str, _HouseholdRow] = {}
    for chunk in _chunks(codes):
        for pk, code, village, status, attribute in Household.objects.filter(
            code__in=list(chunk)
        ).values_list("pk", "code", "village_id", "status", "attribute"):
            found[code] = _HouseholdRow(pk, code, village, status, attribute)
    return found


def _contexts(households: Iterable[_HouseholdRow]) -> dict[int, services.HouseholdContext]:
    """Household contexts of the measure rules, built from two queries per 5,000 households."""
    by_id = {h.pk: h for h in households}
    members: dict[int, dict[str, Member]] = defaultdict(dict)
    grades: dict[int, str] = {}
    ids = sorted(by_id)
    for chunk in _chunks(ids):
        for hid, pk, idn, birth, labour, health, dibao, tekun in Member.objects.filter(
            household_id__in=list(chunk)
        ).values_list(
            "household_id",
            "pk",
            "id_number",
            "birth_date",
            "labour_capacity",
            "health",
            "dibao",
            "tekun",
        ):
            row = _MemberRow(pk, idn, birth, labour, health, dibao, tekun)
            members[hid][idn] = cast(Member, row)
        grades.update(
            LivingConditions.objects.filter(household_id__in=list(chunk)).values_list(
                "household_id", "house_grade"
            )
        )
    return {
        pk: services.HouseholdContext(cast(Household, h), members[pk], grades.get(pk) or "")
        for pk, h in by_id.items()
    }


def _allowed_villages(by: services.Actor, villages: Iterable[str]) -> set[str]:
    """The villages (of the file's households) where ``by`` may record measures and pairings."""
    out = set()
    for v in set(villages):
        probe = cast(Household, _HouseholdRow(0, "", v, "", ""))
        if services.may_edit_household(by, probe):
            out.add(v)
    return out


def _check_households(
    codes: list[str | None], rows: np.ndarray, by: services.Actor, errors: _Errors
) -> tuple[dict[str, _HouseholdRow], set[str]]:
    """Refuse rows without a 户编号, with an unknown one or outside the user's reach."""
    distinct = sorted({c for c in codes if c})
    households = _households(distinct)
    allowed = _allowed_villages(by, (h.village_id for h in households.values()))
    bad: set[str] = set()
    for number, code in zip(rows.tolist(), codes, strict=True):
        if not code:
            errors.add(number, "household_code", "REQUIRED", "户编号不能为空")
            continue
        h = households.get(code)
        if h is None:
            errors.add(
                number,
                "household_code",
                "MEASURES_UNKNOWN_HOUSEHOLD",
                f"户编号“{code}”不存在",
                code,
            )
        elif h.village_id not in allowed:
            bad.add(code)
            errors.add(
                number,
                "household_code",
                "HOUSEHOLD_OUT_OF_SCOPE",
                f"户 {code} 不在您的管辖范围内或您没有权限录入",
                code,
            )
    return households, bad


def _audit(
    *,
    by: services.Actor,
    action: str,
    household_ids: Sequence[int],
    after: dict[str, Any],
    note: str,
) -> None:
    ids = sorted(set(household_ids))
    for chunk in _chunks(ids):
        audit_record_bulk(
            by=by,
            action=action,
            obj_type="household",
            rows=Household.objects.filter(pk__in=list(chunk)),
            key_field="code",
            division_field="village_id",
            after=after,
            note=note,
        )


def _mark_villages(households: Iterable[_HouseholdRow], ids: Iterable[int]) -> None:
    wanted = set(ids)
    rollups_mark_dirty(village_codes={h.village_id for h in households if h.pk in wanted})


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


def _parse_combinations(
    sheet: _Sheet, present: set[str]
) -> tuple[np.ndarray, list[tuple[services.MeasureInput | None, list[services.FieldProblem]]]]:
    """``measure_parse`` once per distinct combination of the parsed columns' cells."""
    names = [n for n in _PARSED if n in present]
    encoded = [_encode(sheet.columns[n]) for n in names]
    first, inverse = _combinations([e[0] for e in encoded], [len(e[1]) for e in encoded])
    parsed = []
    for row in first.tolist():
        data: dict[str, object] = {}
        for name, (idx, values) in zip(names, encoded, strict=True):
            i = int(idx[row])
            if i >= 0:
                data[name] = values[i]
        parsed.append(services.measure_parse(data))
    return inverse, parsed


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
    inverse, combos = _parse_combinations(sheet, present)
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
        if member_raw:
            parsed = replace(parsed, member_id_number=member_raw.strip().upper())
        rules, member = services.measure_problems(parsed, ctx, p)
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
    for chunk in _chunks(household_ids):
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


def _done(report: MeasuresImportReport, errors: _Errors, started: float) -> MeasuresImportReport:
    errors.finish(report)
    if report.error_count:
        report.stored = False
        report.created = report.updated = report.unchanged = 0
    report.seconds = time.perf_counter() - started
    return report


def _conflict(
    report: MeasuresImportReport, errors: _Errors, started: float, exc: Exception
) -> MeasuresImportReport:
    errors.add(0, "", "DB_CONFLICT", f"写入时与已有数据冲突，未导入任何数据，请重新导入：{exc}")
    return _done(report, errors, started)


# --- pairings ------------------------------------------------------------------------------


@dataclass
class _CadreRow:
    pk: int | None
    county: str
    name: str
    unit: str
    post: str
    phone: str
    active: bool = True
    max_households: int | None = None
    load: int = 0


def _field_problem(errors: _Errors, number: int, problems: list[services.FieldProblem]) -> None:
    for fp in problems:
        errors.add(number, fp.field, fp.code, fp.message)
    problems.clear()


def pairings_import_file(
    *,
    path: Path,
    by: services.Actor = None,
    dry_run: bool = False,
    source: str = "import",
    file_name: str = "",
    today: date | None = None,
) -> MeasuresImportReport:
    """Import a file of pairings (帮扶责任人 with the households they help): all rows or none.

    Cadres are matched by (county, name, unit) and registered when missing. A household of
    another county is refused (``MEASURES_CADRE_OUT_OF_COUNTY``); cadres above their quota
    come back as warnings.
    """
    started = time.perf_counter()
    today = today or timezone.localdate()
    report = MeasuresImportReport(kind="pairings", dry_run=dry_run)
    errors = _Errors()
    sheet = _read(Path(path), "pairings", errors)
    report.columns = [c.heading for c in PAIRING_COLUMNS if c.name in sheet.columns]
    report.unknown_columns = sheet.unknown
    report.rows = len(sheet)
    if errors.count and any(e.row == 1 for e in errors.items):
        return _done(report, errors, started)
    if not len(sheet):
        errors.add(2, "", "FILE_EMPTY", "文件中没有数据行")
        return _done(report, errors, started)
    rows = sheet.rows.tolist()
    codes = sheet.text("household_code")
    households, out_of_scope = _check_households(codes, sheet.rows, by, errors)
    given = sheet.text("county_code")
    wanted_counties = {c for c in given if c} | {h.village_id[:6] for h in households.values()}
    counties = set(
        Division.objects.filter(code__in=sorted(wanted_counties), level=3).values_list(
            "code", flat=True
        )
    )
    cadres: dict[tuple[str, str, str], _CadreRow] = {}
    for pk, c_county, c_name, c_unit, c_post, c_phone, active, most in (
        Cadre.objects.filter(county_id__in=sorted(counties))
        .order_by("-pk")
        .values_list("pk", "county_id", "name", "unit", "post", "phone", "active", "max_households")
    ):
        cadres[(c_county, c_name, c_unit)] = _CadreRow(
            pk, c_county, c_name, c_unit, c_post, c_phone, active, most
        )
    ids = sorted(h.pk for c, h in households.items() if c not in out_of_scope)
    current: dict[tuple[int, str], tuple[int, int, date]] = {}
    for chunk in _chunks(ids):
        for pk, hid, p_order, cadre_id, p_start in Pairing.objects.filter(
            household_id__in=list(chunk), end__isnull=True
        ).values_list("pk", "household_id", "order", "cadre_id", "start"):
            current[(hid, p_order)] = (pk, cadre_id, p_start)
    known_ids = [c.pk for c in cadres.values() if c.pk is not None]
    loads: dict[int, int] = defaultdict(int)
    for chunk in _chunks(known_ids):
        for cadre_id in Pairing.objects.filter(
            cadre_id__in=list(chunk), end__isnull=True
        ).values_list("cadre_id", flat=True):
            loads[cadre_id] += 1

    order_memo: dict[str, str | None] = {}
    date_memo: dict[str, tuple[date | None, list[services.FieldProblem]]] = {}
    texts = {name: sheet.text(name) for name in ("name", "unit", "post", "phone", "order", "start")}
    first_row: dict[tuple[int, str], int] = {}
    new_pairings: list[tuple[_HouseholdRow, _CadreRow, str, date]] = []
    ends: list[tuple[int, date, int]] = []  # (pairing, end, cadre)
    unchanged = 0
    changed_cadres: dict[tuple[str, str, str], _CadreRow] = {}
    for i, number in enumerate(rows):
        code = codes[i]
        name = (texts["name"][i] or "")[:50]
        unit = (texts["unit"][i] or "")[:100]
        post = (texts["post"][i] or "")[:50]
        phone = (texts["phone"][i] or "")[:20]
        ok = True
        for column, value, label in (("name", name, "帮扶责任人姓名"), ("unit", unit, "工作单位")):
            if not value:
                errors.add(number, column, "REQUIRED", f"请填写{label}")
                ok = False
        raw_order = texts["order"][i] or ""
        if raw_order not in order_memo:
            order_memo[raw_order] = pm.PAIRING_ORDER.parse(raw_order) if raw_order else "first"
        order = order_memo[raw_order]
        if order is None:
            errors.add(
                number, "order", "PAIRING_BAD_VALUE", f"帮扶序位“{raw_order}”无效", raw_order
            )
            ok = False
        raw_start = texts["start"][i] or ""
        if raw_start not in date_memo:
            found: list[services.FieldProblem] = []
            day = services.parse_date(raw_start, "结对日期", "start", found)
            if day is None and not found:
                found.append(services.FieldProblem("start", "REQUIRED", "请填写结对日期"))
            date_memo[raw_start] = (day, found)
        start, date_problems = date_memo[raw_start]
        if date_problems:
            _field_problem(errors, number, list(date_problems))
            ok = False
        elif start is not None and start > today:
            errors.add(number, "start", "PAIRING_DATE_FUTURE", f"结对日期 {start} 晚于今天")
            ok = False
        h = households.get(code) if code else None
        if h is None or code in out_of_scope:
            continue
        county = given[i] or h.village_id[:6]
        if county not in counties:
            errors.add(
                number,
                "county_code",
                "MEASURES_NOT_COUNTY",
                f"县代码“{county}”不存在或不是县级区划",
                county,
            )
            continue
        if not h.village_id.startswith(county):
            errors.add(
                number,
                "county_code",
                "MEASURES_CADRE_OUT_OF_COUNTY",
                f"帮扶责任人{name}属于 {county}，不能帮扶其他县的户 {h.code}",
                county,
            )
            continue
        if not ok or order is None or start is None:
            continue
        key = (county, name, unit)
        cadre = cadres.get(key)
        if cadre is None:
            cadre = cadres[key] = _CadreRow(None, county, name, unit, post, phone)
        elif not cadre.active:
            errors.add(number, "name", "MEASURES_CADRE_INACTIVE", f"帮扶责任人{name}已不在岗", name)
            continue
        elif cadre.pk is not None and (
            (post and post != cadre.post) or (phone and phone != cadre.phone)
        ):
            cadre.post, cadre.phone = post or cadre.post, phone or cadre.phone
            changed_cadres[key] = cadre
        slot = (h.pk, order)
        seen = first_row.setdefault(slot, number)
        if seen != number:
            errors.add(
                number,
                "household_code",
                "DUPLICATE_IN_FILE",
                f"户 {h.code} 的{pm.PAIRING_ORDER.label_of(order)}与第 {seen} 行重复",
                h.code,
            )
            continue
        now_pairing = current.get(slot)
        if now_pairing is not None:
            pk, cadre_id, since = now_pairing
            if cadre.pk is not None and cadre_id == cadre.pk:
                unchanged += 1
                continue
            if start <= since:
                errors.add(
                    number,
                    "start",
                    "PAIRING_DATES",
                    f"新的结对日期须晚于原结对日期 {since}",
                    start.isoformat(),
                )
                continue
            ends.append((pk, start - timedelta(days=1), cadre_id))
        new_pairings.append((h, cadre, order, start))
    if errors.count:
        return _done(report, errors, started)
    # The quota: a warning, not a refusal (counties set it).
    p = services.parameters()
    for _, _, cadre_id in ends:
        loads[cadre_id] -= 1
    adding: dict[tuple[str, str, str], int] = defaultdict(int)
    for _, cadre, _, _ in new_pairings:
        adding[(cadre.county, cadre.name, cadre.unit)] += 1
    for key, n in sorted(adding.items()):
        cadre = cadres[key]
        load = n + (loads[cadre.pk] if cadre.pk is not None else 0)
        quota = cadre.max_households or p.max_households_per_cadre
        if load > quota:
            report.warnings.append(
                f"{cadre.name}（{cadre.unit}）将帮扶 {load} 户，超过 {quota} 户的上限"
            )
    report.created, report.ended, report.unchanged = len(new_pairings), len(ends), unchanged
    report.updated = len(changed_cadres)
    report.cadres_created = sum(1 for c in cadres.values() if c.pk is None)
    if dry_run or not (new_pairings or changed_cadres):
        report.stored = not dry_run
        return _done(report, errors, started)
    note = file_name or Path(path).name
    try:
        with transaction.atomic():
            _write_pairings(
                cadres, changed_cadres, new_pairings, ends, by=by, source=source, note=note
            )
    except IntegrityError as exc:
        return _conflict(report, errors, started, exc)
    report.stored = True
    return _done(report, errors, started)


def _write_pairings(
    cadres: Mapping[tuple[str, str, str], _CadreRow],
    changed: Mapping[tuple[str, str, str], _CadreRow],
    new_pairings: list[tuple[_HouseholdRow, _CadreRow, str, date]],
    ends: list[tuple[int, date, int]],
    *,
    by: services.Actor,
    source: str,
    note: str,
) -> None:
    now = timezone.now()
    fresh = [c for c in cadres.values() if c.pk is None]
    made = Cadre.objects.bulk_create(
        [
            Cadre(
                county_id=c.county,
                name=c.name,
                unit=c.unit,
                post=c.post,
                phone=c.phone,
                source=source,
            )
            for c in fresh
        ],
        batch_size=BATCH,
    )
    for row, obj in zip(fresh, made, strict=True):
        row.pk = obj.pk
    if changed:
        Cadre.objects.bulk_update(
            [Cadre(pk=c.pk, post=c.post, phone=c.phone, updated_at=now) for c in changed.values()],
            ["post", "phone", "updated_at"],
            batch_size=BATCH,
        )
    Pairing.objects.bulk_update(
        [
            Pairing(pk=pk, end=end, end_reason="调整帮扶责任人（批量导入）", updated_at=now)
            for pk, end, _ in ends
        ],
        ["end", "end_reason", "updated_at"],
        batch_size=BATCH,
    )
    Pairing.objects.bulk_create(
        [
            Pairing(household_id=h.pk, cadre_id=c.pk or 0, order=order, start=start, source=source)
            for h, c, order, start in new_pairings
        ],
        batch_size=BATCH,
    )
    made_ids = [c.pk for c in fresh if c.pk is not None]
    for chunk in _chunks(made_ids):
        audit_record_bulk(
            by=by,
            action="cadre.import",
            obj_type="cadre",
            rows=Cadre.objects.filter(pk__in=list(chunk)),
            key_field="pk",
            division_field="county_id",
            after={"file": note},
            note=note,
        )
    households = [h for h, _, _, _ in new_pairings]
    _mark_villages(households, (h.pk for h in households))
    _audit(
        by=by,
        action="pairing.import",
        household_ids=[h.pk for h in households],
        after={"file": note, "pairings": len(new_pairings), "ended": len(ends)},
        note=note,
    )


# --- visits --------------------------------------------------------------------------------


def _table(
    names: Sequence[str], types: Sequence[pa.DataType], rows: list[tuple[Any, ...]]
) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        [pa.array(list(c), t) for c, t in zip(cols, types, strict=True)], names=list(names)
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
    _audit(
        by=by,
        action="visit.import",
        household_ids=[h for h, _ in touched],
        after={"file": note},
        note=note,
    )


# --- entry points and templates ------------------------------------------------------------

IMPORTERS = {
    "measures": measures_import_file,
    "pairings": pairings_import_file,
    "visits": visits_import_file,
}


def measures_import(
    *,
    kind: Kind,
    path: Path,
    by: services.Actor = None,
    dry_run: bool = False,
    file_name: str = "",
    today: date | None = None,
) -> MeasuresImportReport:
    """Import a file of ``kind`` (measures, pairings or visits): every row, or nothing."""
    if kind not in IMPORTERS:
        raise FupinError("IMPORT_KIND_UNKNOWN", f"导入类型“{kind}”无效：可选 {'、'.join(KINDS)}")
    return IMPORTERS[kind](path=path, by=by, dry_run=dry_run, file_name=file_name, today=today)


def _code_sheet(kind: Kind) -> list[tuple[str, list[str]]]:
    """The accepted values of a template's coded columns (for its second sheet)."""
    if kind == "measures":
        return [
            ("措施类别", [label for _, label in pm.MEASURE_CATEGORY.items]),
            (
                "措施子类",
                [
                    f"{label}（{pm.MEASURE_CATEGORY.label_of(pm.subtype_category(c))}）"
                    for c, label in pm.MEASURE_SUBTYPE.items
                ],
            ),
            ("状态", [label for _, label in pm.MEASURE_STATUS.items]),
            ("贷款用途", [label for _, label in pm.LOAN_PURPOSE.items]),
        ]
    if kind == "pairings":
        return [("帮扶序位", [label for _, label in pm.PAIRING_ORDER.items])]
    return []


def measures_template_workbook(kind: Kind, path: Path) -> Path:
    """Write the import template of ``kind``: the headings, code columns formatted as text, and
    a second sheet with the accepted values of the coded columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    if kind not in COLUMNS:
        raise FupinError("IMPORT_KIND_UNKNOWN", f"导入类型“{kind}”无效：可选 {'、'.join(KINDS)}")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = TITLES[kind]
    fill = PatternFill("solid", fgColor="FFDDEBF7")
    required = PatternFill("solid", fgColor="FFFCE4D6")
    for i, col in enumerate(COLUMNS[kind], start=1):
        cell = ws.cell(row=1, column=i, value=col.heading)
        cell.font = Font(bold=True)
        cell.fill = required if col.required else fill
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(col.heading) * 2 + 4)
        if col.text:
            for row in range(2, 1002):
                ws.cell(row=row, column=i).number_format = "@"
    ws.freeze_panes = "A2"
    codes = _code_sheet(kind)
    notes = wb.create_sheet(gettext("填写说明"))
    notes.cell(
        row=1, column=1, value=gettext("必填列（橙色）不能为空；日期写作 年-月-日，如 2024-03-01。")
    )
    for j, (title, labels) in enumerate(codes, start=1):
        notes.cell(row=3, column=j, value=title).font = Font(bold=True)
        notes.column_dimensions[get_column_letter(j)].width = 28
        for k, label in enumerate(labels, start=4):
            notes.cell(row=k, column=j, value=label)
    path = Path(path)
    wb.save(path)
    return path
