"""Import the submissions of the XLSForms (``fupin.measures.xlsform``) as ODK Central or
KoboToolbox export them to CSV: visits onto ``Visit`` through ``visit_record``, household
surveys onto the living conditions through ``conditions_update`` and onto the members'
observed facts (health, labour capacity, school, migrant work).

The two servers name columns differently, and both are read:

- ODK Central: ``SubmissionDate``, ``KEY`` (the instance id, stable across edits),
  ``meta-instanceID``, ``ReviewState``; groups joined by ``-`` (``visit-household``); a geopoint
  split into ``-Latitude`` / ``-Longitude`` / ``-Altitude`` / ``-Accuracy``; repeats in their
  own CSV (``fupin_household-members.csv``) linked by ``PARENT_KEY``; the zip export holds the
  CSVs and a ``media/`` folder with the photos.
- KoboToolbox: ``_uuid``, ``_submission_time``, ``_validation_status``; groups joined by ``/``
  (or no groups); ``;`` as the field separator by default; repeats in the sheet of the XLS
  export linked by ``_submission__uuid``.

All rows or none: every row is checked (the service's own rules included, inside a
transaction that is rolled back), every bad row is reported with its row number, column and a
stable code, and only a file without errors is written. A submission already imported (its
instance id on a ``Visit``, or the import's audit event for a survey) is skipped, so a file
can be imported again after more submissions came in. Rejected submissions (ODK Central's
review state, Kobo's validation status) are skipped too.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction

from fupin.common.audit import audit_record
from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.measures.models import Cadre, Pairing, Visit
from fupin.measures.services import Actor, may_edit_household, visit_record
from fupin.measures.xlsform import YES_NO, Field, Form, Group, build_form
from fupin.policy import idnumber
from fupin.policy import measures as pm
from fupin.registry.models import Household, Member
from fupin.registry.services import conditions_update, member_update

#: Columns that hold the instance id, in order of preference.
ID_COLUMNS = ("KEY", "_uuid", "meta-instanceID", "meta/instanceID", "instanceID")
#: Columns that link a repeat row to its submission (ODK Central, then Kobo).
PARENT_COLUMNS = ("PARENT_KEY", "_submission__uuid")
#: Metadata columns of the two servers (not form questions; never "unknown").
META_COLUMNS = frozenset(
    {
        "SubmissionDate",
        "KEY",
        "PARENT_KEY",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
        "start",
        "end",
        "instanceID",
        "instanceName",
    }
)
#: Where a submission's audit event marks it as imported.
SUBMISSION_OBJ = "form_submission"
ACTIONS = {"visit": "forms.visit", "household": "forms.household"}

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SPACE = re.compile(r"\s+")

#: The codes of this importer (the services add their own: VISIT_*, MEASURES_*, CONDITIONS_*).
CODES: dict[str, str] = {
    "ODK_FILE_MISSING": "文件不存在",
    "ODK_FILE_UNREADABLE": "文件无法读取",
    "ODK_FILE_EMPTY": "文件没有数据",
    "ODK_MISSING_COLUMN": "缺少必需的列",
    "ODK_DUPLICATE_COLUMN": "列重复",
    "ODK_NO_INSTANCE_ID": "没有提交编号",
    "ODK_DUPLICATE_SUBMISSION": "提交在文件中重复",
    "ODK_REQUIRED": "必填项为空",
    "ODK_UNKNOWN_CHOICE": "选项不在代码表中",
    "ODK_BAD_DATE": "日期无效",
    "ODK_BAD_NUMBER": "数字无效",
    "ODK_BAD_GEOPOINT": "位置无效",
    "ODK_PHOTO_MISSING": "照片文件缺失",
    "ODK_CADRE_AMBIGUOUS": "同名帮扶责任人不止一位",
    "ODK_UNKNOWN_MEMBER": "不是该户成员",
    "ODK_MEMBER_NAME_MISMATCH": "姓名与身份号码不符",
    "ODK_ORPHAN_MEMBER": "成员行找不到所属提交",
    "HOUSEHOLD_NOT_FOUND": "户编号不存在",
}


@dataclass(frozen=True)
class SubmissionError:
    """One bad row or cell: ``row`` counts the header as row 1; ``file`` names the file."""

    row: int
    column: str
    code: str
    message: str
    value: str | None = None
    file: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SubmissionReport:
    """What an import of submissions found and did (``stored`` only when it wrote)."""

    kind: str
    file: str
    server: str = ""
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    members: int = 0
    members_updated: int = 0
    photos: int = 0
    photos_missing: int = 0
    errors: list[SubmissionError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    stored: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# -- reading the file -----------------------------------------------------------------------------


@dataclass
class Table:
    """One CSV: its header and its rows (``row`` numbers count the header as row 1)."""

    name: str
    headers: list[str]
    rows: list[dict[str, str]]

    def server(self) -> str:
        if "SubmissionDate" in self.headers or "KEY" in self.headers:
            return "ODK Central"
        if "_uuid" in self.headers or "_submission_time" in self.headers:
            return "KoboToolbox"
        return "CSV"


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FupinError("ODK_FILE_UNREADABLE", f"{name} 不是 UTF-8 或 GB18030 编码的 CSV 文件")


def read_table(path: Path) -> Table:
    """Read a submissions CSV (``,`` ``;`` or tab separated, UTF-8 or GB18030)."""
    if not path.is_file():
        raise FupinError("ODK_FILE_MISSING", f"文件 {path} 不存在")
    text = _decode(path.read_bytes(), path.name)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise FupinError("ODK_FILE_EMPTY", f"{path.name} 是空文件")
    headers = [h.strip() for h in lines[0]]
    duplicated = [h for h, n in Counter(headers).items() if n > 1 and h]
    if duplicated:
        raise FupinError("ODK_DUPLICATE_COLUMN", f"{path.name} 的列重复：{'、'.join(duplicated)}")
    rows = []
    for i, line in enumerate(lines[1:]):
        values = dict(zip(headers, (cell.strip() for cell in line), strict=False))
        values["__row__"] = str(i + 2)
        rows.append(values)
    return Table(path.name, headers, rows)


@dataclass
class Export:
    """A submissions export: the main table, the members table, the media folder."""

    main: Table
    members: Table | None = None
    media: Path | None = None


@contextmanager
def open_export(
    path: Path, *, form: Form, members: Path | None = None, media: Path | None = None
) -> Iterator[Export]:
    """Open a CSV (with an optional members CSV and media folder) or ODK Central's zip."""
    path = Path(path)
    if path.suffix.lower() != ".zip":
        yield Export(
            read_table(path),
            read_table(Path(members)) if members else None,
            Path(media) if media else None,
        )
        return
    if not path.is_file():
        raise FupinError("ODK_FILE_MISSING", f"文件 {path} 不存在")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    target = (Path(tmp) / info.filename).resolve()
                    if not target.is_relative_to(Path(tmp).resolve()):
                        continue  # a name climbing out of the folder: not ours
                    z.extract(info, tmp)
        except zipfile.BadZipFile as exc:
            raise FupinError("ODK_FILE_UNREADABLE", f"{path.name} 不是有效的 zip 文件") from exc
        csvs = sorted(Path(tmp).rglob("*.csv"))
        main = [p for p in csvs if p.stem == form.form_id] or [p for p in csvs if "-" not in p.stem]
        if not main:
            raise FupinError("ODK_FILE_EMPTY", f"{path.name} 中没有提交数据的 CSV 文件")
        repeat = [p for p in csvs if p.stem.endswith("-members")]
        folder = next((p for p in Path(tmp).rglob("media") if p.is_dir()), None)
        yield Export(
            read_table(main[0]),
            read_table(repeat[0]) if repeat else None,
            folder or (Path(media) if media else None),
        )


# -- columns --------------------------------------------------------------------------------------


def _candidates(group: Group, f: Field) -> tuple[str, ...]:
    return (f"{group.name}-{f.name}", f"{group.name}/{f.name}", f.name)


def column_map(groups: Iterable[Group], headers: Iterable[str]) -> dict[str, str]:
    """Map each question's name to the file's header for it (full group path or bare name)."""
    present = set(headers)
    out: dict[str, str] = {}
    for group in groups:
        for f in group.children:
            for name in _candidates(group, f):
                if name in present:
                    out[f.name] = name
                    break
            if f.type == "geopoint" and f.name not in out:
                for name in _candidates(group, f):
                    if f"{name}-Latitude" in present:
                        out[f.name] = f"{name}-Latitude"
                        break
    return out


def _unknown_columns(headers: Iterable[str], mapped: Iterable[str]) -> list[str]:
    used = {m.removesuffix("-Latitude") for m in mapped} | set(mapped)
    out = []
    for h in headers:
        if h in used or h in META_COLUMNS or h in ID_COLUMNS or h.startswith(("_", "meta")):
            continue
        if any(h.startswith((f"{u}-", f"{u}/", f"{u}_")) for u in used):
            continue  # a geopoint part, a split select_multiple, Kobo's photo _URL
        out.append(h)
    return out


def _instance_id(values: Mapping[str, str]) -> str:
    for name in ID_COLUMNS:
        text = values.get(name, "").strip()
        if text:
            return f"uuid:{text}" if _UUID.match(text) else text
    return ""


def _rejected(values: Mapping[str, str]) -> bool:
    review = values.get("ReviewState", "").strip().lower()
    kobo = values.get("_validation_status", "").strip().lower()
    return review == "rejected" or kobo in ("validation_status_not_approved", "not approved")


# -- values ---------------------------------------------------------------------------------------


@dataclass
class Row:
    """One submission being checked: its values by question name and its errors."""

    number: int
    file: str
    values: Mapping[str, str]
    columns: Mapping[str, str]
    errors: list[SubmissionError] = field(default_factory=list)

    def text(self, name: str) -> str:
        header = self.columns.get(name)
        return self.values.get(header, "").strip() if header else ""

    def error(self, name: str, code: str, message: str, value: str | None = None) -> None:
        column = self.columns.get(name, name)
        self.errors.append(
            SubmissionError(
                self.number, column, code, f"第 {self.number} 行：{message}", value, self.file
            )
        )

    def required(self, f: Field) -> str:
        text = self.text(f.name)
        if not text:
            self.error(f.name, "ODK_REQUIRED", f"请填写{f.zh}")
        return text

    def choice(self, f: Field) -> str:
        text = self.text(f.name)
        if not text:
            return ""
        assert f.code_list is not None
        code = _yes_no(text) if f.code_list is YES_NO else f.code_list.parse(text)
        if code is None:
            self.error(
                f.name,
                "ODK_UNKNOWN_CHOICE",
                f"{f.zh}“{text}”不在代码表“{f.code_list.label}”中（表单版本是否过旧？）",
                text,
            )
            return ""
        return code

    def choices(self, f: Field) -> list[str]:
        text = self.text(f.name)
        assert f.code_list is not None
        out = []
        for part in _SPACE.split(text) if text else ():
            code = f.code_list.parse(part)
            if code is None:
                self.error(
                    f.name,
                    "ODK_UNKNOWN_CHOICE",
                    f"{f.zh}“{part}”不在代码表“{f.code_list.label}”中（表单版本是否过旧？）",
                    part,
                )
            elif code not in out:
                out.append(code)
        return out

    def day(self, f: Field) -> date | None:
        text = self.text(f.name)
        if not text:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            self.error(f.name, "ODK_BAD_DATE", f"{f.zh}“{text}”不是日期（年-月-日）", text)
            return None

    def integer(self, f: Field, lo: int, hi: int) -> int | None:
        text = self.text(f.name)
        if not text:
            return None
        try:
            value = int(Decimal(text))
            if value != Decimal(text) or not lo <= value <= hi:
                raise ValueError(text)
        except (InvalidOperation, ValueError):
            self.error(f.name, "ODK_BAD_NUMBER", f"{f.zh}“{text}”须为 {lo}–{hi} 的整数", text)
            return None
        return value

    def decimal(self, f: Field) -> str:
        text = self.text(f.name)
        if not text:
            return ""
        try:
            value = Decimal(text)
            if not value.is_finite() or value < 0:
                raise InvalidOperation(text)
        except InvalidOperation:
            self.error(f.name, "ODK_BAD_NUMBER", f"{f.zh}“{text}”不是非负数字", text)
            return ""
        return text

    def geopoint(self, f: Field) -> dict[str, float] | None:
        header = self.columns.get(f.name, "")
        if header.endswith("-Latitude"):
            base = header.removesuffix("-Latitude")
            parts = [self.values.get(f"{base}-{p}", "") for p in ("Latitude", "Longitude")]
            text = " ".join(p for p in parts if p)
        else:
            text = self.text(f.name)
        if not text:
            return None
        try:
            lat, lon = (float(x) for x in text.split()[:2])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(text)
        except ValueError:
            self.error(f.name, "ODK_BAD_GEOPOINT", f"{f.zh}“{text}”不是“纬度 经度”", text)
            return None
        return {"lat": lat, "lon": lon}


def _yes_no(text: str) -> str | None:
    from fupin.registry.imports.columns import FALSE_TEXT, TRUE_TEXT

    if text in ("yes", *TRUE_TEXT):
        return "yes"
    if text in ("no", *FALSE_TEXT):
        return "no"
    return YES_NO.parse(text)


def _service_errors(row: Row, exc: FupinError, fields: Mapping[str, str]) -> None:
    """Add a service's refusal to the row, each problem under the question it concerns."""
    problems = exc.details.get("errors") or []
    if not problems:
        row.error(fields.get(exc.code, ""), exc.code, exc.message)
        return
    for p in problems:
        name = fields.get(str(p.get("field", "")), str(p.get("field", "")))
        row.error(
            name, str(p.get("code", exc.code)), str(p.get("message", exc.message)), p.get("value")
        )


class _Rollback(Exception):
    """Raised to roll the checking pass back."""


def _already(kind: str, ids: Iterable[str]) -> set[str]:
    ids = [i for i in ids if i]
    done = set(
        AuditEvent.objects.filter(obj_type=SUBMISSION_OBJ, obj_key__in=ids).values_list(
            "obj_key", flat=True
        )
    )
    if kind == "visit":
        done |= set(Visit.objects.filter(submission__in=ids).values_list("submission", flat=True))
    return done


def _submissions(
    report: SubmissionReport, table: Table, columns: Mapping[str, str], required: Iterable[str]
) -> list[Row]:
    """The rows to import: header checked, rejected / already imported ones counted and left
    out, rows without an instance id or repeated in the file reported."""
    for name in required:
        if name not in columns:
            report.errors.append(
                SubmissionError(
                    1, name, "ODK_MISSING_COLUMN", f"缺少必需的列“{name}”", file=table.name
                )
            )
    if not any(c in table.headers for c in ID_COLUMNS):
        report.errors.append(
            SubmissionError(
                1,
                "KEY",
                "ODK_MISSING_COLUMN",
                "缺少提交编号列（ODK Central 的 KEY / meta-instanceID，Kobo 的 _uuid）",
                file=table.name,
            )
        )
    if report.errors:
        return []
    ids = [_instance_id(v) for v in table.rows]
    done = _already(report.kind, ids)
    seen: dict[str, int] = {}
    rows = []
    for values, instance in zip(table.rows, ids, strict=True):
        row = Row(int(values["__row__"]), table.name, values, columns)
        if _rejected(values):
            report.rejected += 1
            continue
        if not instance:
            row.error("KEY", "ODK_NO_INSTANCE_ID", "没有提交编号（instanceID）")
        elif instance in seen:
            row.error(
                "KEY",
                "ODK_DUPLICATE_SUBMISSION",
                f"提交 {instance} 与第 {seen[instance]} 行重复",
                instance,
            )
        elif instance in done:
            report.skipped += 1
            continue
        seen.setdefault(instance, row.number)
        rows.append(row)
    return rows


def _finish(report: SubmissionReport, rows: Iterable[Row]) -> None:
    for row in rows:
        report.errors += row.errors
    report.errors.sort(key=lambda e: (e.file != report.file, e.row))


# -- visits ---------------------------------------------------------------------------------------


@dataclass
class _Visit:
    row: Row
    instance: str
    household: str
    cadre: str
    day: date | None
    minutes: int | None
    content: str
    next_step: str
    photo: str
    location: dict[str, float] | None


#: Which question a service's refusal concerns.
_VISIT_FIELDS = {
    "MEASURES_UNKNOWN_HOUSEHOLD": "household",
    "MEASURES_UNKNOWN_CADRE": "cadre",
    "MEASURES_CADRE_OUT_OF_COUNTY": "cadre",
    "VISIT_NOT_PAIRED": "cadre",
    "ODK_CADRE_AMBIGUOUS": "cadre",
    "VISIT_DATE_FUTURE": "date",
    "VISIT_BEFORE_PAIRING": "date",
    "PERMISSION_DENIED": "household",
    "OUT_OF_SCOPE": "household",
    "date": "date",
    "content": "content",
    "minutes": "minutes",
}


def _content(text: str, categories: list[str], subtypes: list[str]) -> str:
    """帮扶内容 with the measures taken this visit appended in words."""
    if not categories:
        return text
    parts = []
    for c in categories:
        kinds = [pm.MEASURE_SUBTYPE.label_of(s) for s in subtypes if s.split(".")[0] == c]
        label = pm.MEASURE_CATEGORY.label_of(c)
        parts.append(f"{label}（{'、'.join(kinds)}）" if kinds else label)
    return f"{text}；本次措施：{'、'.join(parts)}"


def _resolve_cadres(visits: list[_Visit]) -> None:
    """Turn cadre names into ids: the cadre of that name paired with the household."""
    named = [v for v in visits if v.cadre and not v.cadre.isdigit()]
    if not named:
        return
    pairs: dict[tuple[str, str], set[int]] = {}
    for code, cadre_id, name in Pairing.objects.filter(
        household__code__in={v.household for v in named}, cadre__name__in={v.cadre for v in named}
    ).values_list("household__code", "cadre_id", "cadre__name"):
        pairs.setdefault((code, name), set()).add(cadre_id)
    known = set(
        Cadre.objects.filter(name__in={v.cadre for v in named}).values_list("name", flat=True)
    )
    for v in named:
        ids = pairs.get((v.household, v.cadre), set())
        if len(ids) == 1:
            v.cadre = str(next(iter(ids)))
        elif len(ids) > 1:
            v.row.error(
                "cadre",
                "ODK_CADRE_AMBIGUOUS",
                f"该户有 {len(ids)} 位名为{v.cadre}的帮扶责任人，请填编号",
            )
        elif v.cadre in known:
            v.row.error("cadre", "VISIT_NOT_PAIRED", f"{v.cadre}不是户 {v.household} 的帮扶责任人")
        else:
            v.row.error("cadre", "MEASURES_UNKNOWN_CADRE", f"帮扶责任人“{v.cadre}”不存在", v.cadre)


def _parse_visit(form: Form, row: Row) -> _Visit:
    f = form.field
    categories = row.choices(f("measures"))
    subtypes = row.choices(f("measure_subtypes"))
    return _Visit(
        row=row,
        instance=_instance_id(row.values),
        household=row.required(f("household")),
        cadre=row.required(f("cadre")),
        day=row.day(f("date")) if row.required(f("date")) else None,
        minutes=row.integer(f("minutes"), 1, 24 * 60),
        content=_content(row.required(f("content")), categories, subtypes),
        next_step=row.text("next_step"),
        photo=row.text("photo"),
        location=row.geopoint(f("location")),
    )


def _record_visit(v: _Visit, *, by: Actor, media: Path | None, write: bool) -> bool:
    """Record one visit; on a refusal add it to the row. Return whether a photo was attached."""
    photo_path = media / v.photo if media is not None and v.photo else None
    with transaction.atomic():
        try:
            with photo_path.open("rb") if (write and photo_path) else _nothing() as fh:
                visit = visit_record(
                    household_code=v.household,
                    cadre=v.cadre,
                    visit_date=v.day or "",
                    content=v.content,
                    next_step=v.next_step,
                    minutes=v.minutes,
                    photo=File(fh, name=v.photo) if fh is not None else None,
                    submission=v.instance,
                    latitude=v.location["lat"] if v.location else None,
                    longitude=v.location["lon"] if v.location else None,
                    by=by,
                    source="import",
                )
        except FupinError as exc:
            _service_errors(v.row, exc, _VISIT_FIELDS)
            return False
        audit_record(
            by=by,
            action=ACTIONS["visit"],
            obj_type=SUBMISSION_OBJ,
            obj_key=v.instance,
            division=visit.household.village_id,
            after={
                "visit": visit.pk,
                "location": v.location,
                "form_version": v.row.values.get("FormVersion") or v.row.values.get("__version__"),
            },
        )
    return photo_path is not None and write


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def visits_import(
    *,
    path: Path,
    media: Path | None = None,
    dry_run: bool = False,
    by: Actor = None,
) -> SubmissionReport:
    """Import the visit-log submissions of a CSV (or ODK Central's zip): all rows or none."""
    form = build_form("visit")
    with open_export(Path(path), form=form, media=media) as export:
        table = export.main
        report = SubmissionReport(kind="visit", file=table.name, server=table.server())
        report.dry_run = dry_run
        columns = column_map(form.groups, table.headers)
        report.unknown_columns = _unknown_columns(table.headers, columns.values())
        rows = _submissions(report, table, columns, ("household", "cadre", "date", "content"))
        report.rows = len(table.rows)
        visits = [_parse_visit(form, row) for row in rows]
        for v in visits:
            if v.photo and export.media is not None and not (export.media / v.photo).is_file():
                v.row.error(
                    "photo", "ODK_PHOTO_MISSING", f"照片 {v.photo} 不在媒体文件夹中", v.photo
                )
        _resolve_cadres([v for v in visits if not v.row.errors])
        # Check every row with the service's rules, then roll back: nothing is written unless
        # every row passes, and photos are only saved on the writing pass.
        good = [v for v in visits if not v.row.errors]
        try:
            with transaction.atomic():
                for v in good:
                    _record_visit(v, by=by, media=export.media, write=False)
                raise _Rollback
        except _Rollback:
            pass
        _finish(report, rows)
        report.imported = len(good)
        if report.errors or dry_run:
            return report
        try:
            with transaction.atomic():
                for v in good:
                    if _record_visit(v, by=by, media=export.media, write=True):
                        report.photos += 1
                    elif v.photo:
                        report.photos_missing += 1
                if any(v.row.errors for v in good):
                    raise _Rollback  # someone changed the pairings since the check
        except _Rollback:
            report.photos = report.photos_missing = 0
            _finish(report, [v.row for v in good])
            return report
        report.stored = True
        return report


# -- household surveys ----------------------------------------------------------------------------

MEMBER_FACTS = ("health", "labour_capacity", "school_status", "migrant_work", "migrant_months")


@dataclass
class _Survey:
    row: Row
    instance: str
    code: str
    conditions: dict[str, str]
    members: list[tuple[Row, dict[str, Any]]] = field(default_factory=list)


def _parse_survey(form: Form, row: Row) -> _Survey:
    group = form.groups[1]
    conditions: dict[str, str] = {}
    for f in group.children:
        if f.type == "select_one":
            code = row.choice(f)
            if code:
                conditions[f.target] = (
                    {"yes": "是", "no": "否"}.get(code, code) if (f.code_list is YES_NO) else code
                )
        elif f.type == "decimal":
            text = row.decimal(f)
            if text:
                conditions[f.target] = text
    return _Survey(row, _instance_id(row.values), row.required(form.field("code")), conditions)


def _parse_member(form: Form, row: Row) -> dict[str, Any]:
    f = form.field
    facts: dict[str, Any] = {
        "name": row.required(f("name")),
        "id_number": idnumber.normalize(row.required(f("id_number"))),
    }
    for name in MEMBER_FACTS[:-1]:
        code = row.choice(f(name))
        if code:
            facts[name] = code
    months = row.integer(f("migrant_months"), 0, 12)
    if months is not None:
        facts["migrant_months"] = months
    elif facts.get("migrant_work") == "none":
        facts["migrant_months"] = 0
    return facts


def _attach_members(
    report: SubmissionReport, form: Form, export: Export, surveys: list[_Survey]
) -> None:
    table = export.members
    if table is None:
        return
    members_group = form.groups[2]
    columns = column_map([members_group], table.headers)
    report.members = len(table.rows)
    by_key: dict[str, _Survey] = {}
    by_index: dict[str, _Survey] = {}
    for s in surveys:
        for name in ("KEY", "_uuid"):
            if s.row.values.get(name):
                by_key[_instance_id({name: s.row.values[name]})] = s
        if s.row.values.get("_index"):
            by_index[s.row.values["_index"]] = s
    parent_column = next((c for c in PARENT_COLUMNS if c in table.headers), None)
    for values in table.rows:
        row = Row(int(values["__row__"]), table.name, values, columns)
        parent = values.get(parent_column, "") if parent_column else ""
        owner = by_key.get(_instance_id({"KEY": parent})) if parent else None
        if owner is None and values.get("_parent_index"):
            owner = by_index.get(values["_parent_index"])
        if owner is None:
            # A member of a submission skipped as already imported or rejected is not an error.
            if parent and parent_column and not _parent_skipped(parent, export.main):
                row.error("KEY", "ODK_ORPHAN_MEMBER", f"成员表的提交 {parent} 不在主表中", parent)
                report.errors += row.errors
            elif not parent:
                row.error("KEY", "ODK_ORPHAN_MEMBER", "成员行没有所属提交（PARENT_KEY）")
                report.errors += row.errors
            continue
        owner.members.append((row, _parse_member(form, row)))


def _parent_skipped(parent: str, main: Table) -> bool:
    key = _instance_id({"KEY": parent})
    return any(_instance_id(v) == key for v in main.rows)


def _load_members(
    surveys: list[_Survey], households: Mapping[str, Household]
) -> dict[tuple[int, str], Member]:
    """The registered members named in the surveys, by (household id, ID number): one query."""
    ids = {facts["id_number"] for s in surveys for _, facts in s.members if facts["id_number"]}
    if not ids:
        return {}
    return {
        (m.household_id, m.id_number): m
        for m in Member.objects.filter(household__in=list(households.values()), id_number__in=ids)
    }


def _check_members(
    surveys: list[_Survey],
    households: Mapping[str, Household],
    stored: Mapping[tuple[int, str], Member],
) -> None:
    """Match each surveyed member to a registered member of the household by ID number."""
    for s in surveys:
        household = households.get(s.code)
        if household is None:
            continue
        for row, facts in s.members:
            if not facts["id_number"]:
                continue
            member = stored.get((household.pk, facts["id_number"]))
            if member is None:
                row.error(
                    "id_number",
                    "ODK_UNKNOWN_MEMBER",
                    f"身份号码 {idnumber.masked(facts['id_number'])} 不是户 {s.code} 的成员"
                    "（新成员请在系统中登记）",
                    idnumber.masked(facts["id_number"]),
                )
            elif facts["name"] and member.name != facts["name"]:
                row.error(
                    "name",
                    "ODK_MEMBER_NAME_MISMATCH",
                    f"姓名“{facts['name']}”与登记的“{member.name}”不符",
                    facts["name"],
                )


def _members_update(
    s: _Survey, household: Household, stored: Mapping[tuple[int, str], Member], by: Actor
) -> int:
    """Set the observed facts of the surveyed members; return how many changed."""
    changed = 0
    for row, facts in s.members:
        member = stored.get((household.pk, facts["id_number"]))
        if member is None:
            continue
        updates = {k: facts[k] for k in MEMBER_FACTS if k in facts}
        try:
            if member_update(
                member=member, data=updates, source="import", by=by, note="入户调查表"
            ):
                changed += 1
        except FupinError as exc:
            _service_errors(row, exc, {})
    return changed


def _store_survey(
    s: _Survey, household: Household, stored: Mapping[tuple[int, str], Member], by: Actor
) -> int:
    with transaction.atomic():
        if by is not None and not may_edit_household(by, household):
            s.row.error("code", "PERMISSION_DENIED", f"您不能修改户 {household.code}")
            return 0
        if s.conditions:
            try:
                conditions_update(household=household, data=s.conditions, source="import", by=by)
            except FupinError as exc:
                _service_errors(s.row, exc, {})
                return 0
        changed = _members_update(s, household, stored, by)
        audit_record(
            by=by,
            action=ACTIONS["household"],
            obj_type=SUBMISSION_OBJ,
            obj_key=s.instance,
            division=household.village_id,
            after={"household": household.code, "conditions": s.conditions, "members": changed},
        )
        return changed


def households_import(
    *,
    path: Path,
    members: Path | None = None,
    dry_run: bool = False,
    by: Actor = None,
) -> SubmissionReport:
    """Import household-survey submissions (and their members table): all rows or none."""
    form = build_form("household")
    with open_export(Path(path), form=form, members=members) as export:
        table = export.main
        report = SubmissionReport(kind="household", file=table.name, server=table.server())
        report.dry_run = dry_run
        columns = column_map(form.groups[:2], table.headers)
        report.unknown_columns = _unknown_columns(table.headers, columns.values())
        rows = _submissions(report, table, columns, ("code",))
        report.rows = len(table.rows)
        surveys = [_parse_survey(form, row) for row in rows]
        if not report.errors:
            _attach_members(report, form, export, surveys)
        households = {
            h.code: h for h in Household.objects.filter(code__in={s.code for s in surveys})
        }
        for s in surveys:
            if s.code and s.code not in households:
                s.row.error("code", "HOUSEHOLD_NOT_FOUND", f"户编号“{s.code}”不存在", s.code)
        stored = _load_members(surveys, households)
        _check_members(surveys, households, stored)
        member_rows = [r for s in surveys for r, _ in s.members]
        good = [s for s in surveys if not s.row.errors and not any(r.errors for r, _ in s.members)]

        def store() -> int:
            return sum(_store_survey(s, households[s.code], stored, by) for s in good)

        try:
            with transaction.atomic():
                store()
                raise _Rollback
        except _Rollback:
            pass
        # The checking pass changed the members in memory: read them again.
        stored = _load_members(surveys, households)
        _finish(report, [*rows, *member_rows])
        report.imported = len(good)
        if report.errors or dry_run:
            return report
        try:
            with transaction.atomic():
                report.members_updated = store()
                if any(s.row.errors or any(r.errors for r, _ in s.members) for s in good):
                    raise _Rollback  # someone changed the household since the check
        except _Rollback:
            report.members_updated = 0
            _finish(report, [s.row for s in good])
            return report
        report.stored = True
        return report


def submissions_import(
    *,
    kind: str,
    path: Path,
    members: Path | None = None,
    media: Path | None = None,
    dry_run: bool = False,
    by: Actor = None,
) -> SubmissionReport:
    """Import a submissions export of the ``kind`` form ("visit" or "household")."""
    if kind == "visit":
        return visits_import(path=path, media=media, dry_run=dry_run, by=by)
    if kind == "household":
        return households_import(path=path, members=members, dry_run=dry_run, by=by)
    raise FupinError("ODK_FORM_UNKNOWN", f"没有“{kind}”表单（可选 visit、household）")


__all__ = [
    "CODES",
    "SubmissionError",
    "SubmissionReport",
    "households_import",
    "submissions_import",
    "visits_import",
]
