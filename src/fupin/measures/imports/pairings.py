"""Import pairings (帮扶责任人 with their households): all rows or none."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.common.audit import audit_record_bulk
from fupin.divisions.models import Division
from fupin.measures import services
from fupin.measures.imports.common import (
    BATCH,
    PAIRING_COLUMNS,
    MeasuresImportReport,
    _audit,
    _check_households,
    _chunks,
    _conflict,
    _done,
    _Errors,
    _HouseholdRow,
    _mark_villages,
    _read,
)
from fupin.measures.models import Cadre, Pairing
from fupin.policy import measures as pm

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
    services.pairing_last_visits_refresh(h.pk for h in households)
    _audit(
        by=by,
        action="pairing.import",
        household_ids=[h.pk for h in households],
        after={"file": note, "pairings": len(new_pairings), "ended": len(ends)},
        note=note,
    )
