"""What the imports of measures, pairings and visits share: columns, reading, errors,
chunks, the households of a file and the report."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import connection

from fupin.common.audit import audit_record_bulk
from fupin.common.errors import FupinError
from fupin.measures import services
from fupin.registry.imports.errors import RowError
from fupin.registry.imports.reader import (
    EXCEL_SUFFIXES,
    as_text,
    cell_text,
    detect_encoding,
    normalize_header,
)
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


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: an import makes millions of small objects and few
    cycles, and each collection walks them all (reference counting still frees the rest)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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


def _rows_in(
    model: Any, fields: Sequence[str], key: str, values: Sequence[Any]
) -> Iterator[tuple[Any, ...]]:
    """The rows (``fields`` of ``model``, as tuples) whose ``key`` is among ``values``: a raw
    cursor (no ORM compiling of a 5,000-item ``IN`` list per chunk, no model rows): one
    ``= ANY(%s)`` query on PostgreSQL, one ``IN (…)`` per 5,000 values on SQLite. Values come
    back as the database driver gives them (SQLite's converters parse dates and booleans)."""
    meta = model._meta
    qn = connection.ops.quote_name

    def column(name: str) -> str:
        return qn((meta.pk if name == "pk" else meta.get_field(name)).column)

    cols = ", ".join(column(f) for f in fields)
    where = column(key)
    table = qn(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {where} = ANY(%s)", [list(values)])
            yield from cursor.fetchall()
            return
        for chunk in _chunks(values):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {where} IN ({marks})", list(chunk))
            yield from cursor.fetchall()


def _households(codes: Sequence[str]) -> dict[str, _HouseholdRow]:
    """The registered households among ``codes`` (one query per 5,000 codes)."""
    found: dict[str, _HouseholdRow] = {}
    for pk, code, village, status, attribute in _rows_in(
        Household, ("pk", "code", "village", "status", "attribute"), "code", codes
    ):
        found[code] = _HouseholdRow(pk, code, village, status, attribute)
    return found


def _contexts(households: Iterable[_HouseholdRow]) -> dict[int, services.HouseholdContext]:
    """Household contexts of the measure rules, built from two raw queries (per 5,000
    households on SQLite)."""
    by_id = {h.pk: h for h in households}
    members: dict[int, dict[str, Member]] = defaultdict(dict)
    grades: dict[int, str] = {}
    ids = sorted(by_id)
    fields = ("household", "pk", "id_number", "birth_date", "labour_capacity", "health")
    for hid, pk, idn, birth, labour, health, dibao, tekun in _rows_in(
        Member, (*fields, "dibao", "tekun"), "household", ids
    ):
        row = _MemberRow(pk, idn, birth, labour, health, bool(dibao), bool(tekun))
        members[hid][idn] = cast(Member, row)
    grades.update(_rows_in(LivingConditions, ("household", "house_grade"), "household", ids))
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


def _table(
    names: Sequence[str], types: Sequence[pa.DataType], rows: list[tuple[Any, ...]]
) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        [pa.array(list(c), t) for c, t in zip(cols, types, strict=True)], names=list(names)
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
