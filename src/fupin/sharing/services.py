"""Write services of department data sharing: load a dataset, match it, resolve its flags.

"不能搞花拳绣腿……把各方面信息集中起来，建立信息库，实现信息资源共享" (seed speech, part 三):
a department's roster is loaded once, matched to the registry set-based (``engine``), and
every hit becomes a verification task for its village. A confirmed fact update is written into
the registry with "department" as its source — the cadre confirms, never retypes.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from fupin.accounts.permissions import Action, can, user_role
from fupin.accounts.scoping import in_scope
from fupin.common.audit import audit_record
from fupin.common.bulk import batches_of, bulk_insert
from fupin.common.errors import FupinError
from fupin.policy import feeds as fd
from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterError
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.registry.services import conditions_update
from fupin.reports.services import rollups_mark_dirty
from fupin.sharing import engine
from fupin.sharing.models import Dataset, Flag, MatchRun

FORMATS = (".csv", ".parquet", ".xlsx", ".xls")
FLAG_COLUMNS = (
    "run_id",
    "flag_type",
    "household_id",
    "member_id",
    "id_number",
    "name",
    "village_code",
    "evidence",
    "match_method",
    "status",
    "outcome_note",
    "applied",
    "created_at",
)


def datasets_dir() -> Path:
    path = Path(settings.FUPIN_HOME) / "sharing" / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def can_upload(user: AbstractBaseUser | Any) -> bool:
    """Department providers and administrators upload datasets."""
    return user_role(user) in ("department_provider", "administrator")


def _feed(code: str) -> fd.Feed:
    try:
        return fd.feed(code)
    except KeyError:
        known = "、".join(fd.FEEDS)
        raise FupinError(
            "SHARING_FEED_UNKNOWN", f"没有名为 {code} 的数据类型（可选：{known}）"
        ) from None


def _check_mapping(mapping: Mapping[str, str], columns: list[str], feed: fd.Feed) -> None:
    unknown = sorted(set(mapping.values()) - set(feed.field_names))
    if unknown:
        raise FupinError(
            "SHARING_MAPPING_UNKNOWN_FIELD",
            f"列对应关系中有未知的规范字段：{'、'.join(unknown)}",
            {"fields": unknown, "allowed": list(feed.field_names)},
        )
    absent = sorted(set(mapping) - set(columns))
    if absent:
        raise FupinError(
            "SHARING_MAPPING_COLUMN_MISSING",
            f"文件中没有这些列：{'、'.join(absent)}",
            {"columns": absent, "file_columns": columns},
        )
    missing = [f.label for f in feed.fields if f.required and f.name not in mapping.values()]
    if missing:
        raise FupinError(
            "SHARING_MAPPING_INCOMPLETE",
            f"文件缺少必需的列：{'、'.join(missing)}（文件中的列：{'、'.join(columns)}）",
            {"missing": missing, "file_columns": columns},
        )


def _file_columns(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        return list(pq.read_schema(path).names)
    return list(engine.read_table(path).column_names)


def dataset_load(
    *,
    path: Path,
    feed: str,
    provider: str,
    period: str,
    legal_basis: str,
    by: AbstractBaseUser | None = None,
    mapping: Mapping[str, str] | None = None,
    division_code: str = "",
    original_name: str = "",
) -> Dataset:
    """Register a department file: check it, normalise its columns and ID numbers, store it.

    ``mapping`` maps the file's columns to the feed's canonical fields; without one, columns
    named by a canonical field or its Chinese label are taken. The file is kept as a
    normalised Parquet under ``FUPIN_HOME/sharing/datasets``.
    """
    the_feed = _feed(feed)
    path = Path(path)
    if not path.exists():
        raise FupinError("FILE_NOT_FOUND", f"找不到文件 {path}")
    if path.suffix.lower() not in FORMATS:
        raise FupinError(
            "SHARING_FORMAT_UNSUPPORTED",
            f"不支持的文件类型“{path.suffix}”：请使用 CSV、Excel（xlsx/xls）或 Parquet",
        )
    if not provider.strip() or not period.strip():
        raise FupinError("SHARING_PROVIDER_MISSING", "请填写提供部门和数据期别")
    if not legal_basis.strip():
        raise FupinError(
            "SHARING_LEGAL_BASIS_MISSING",
            "请填写数据共享的法律依据或当事人授权说明（如监测对象的承诺授权书）",
        )
    columns = _file_columns(path)
    used = dict(mapping) if mapping else engine.default_mapping(columns, the_feed)
    _check_mapping(used, columns, the_feed)
    target = datasets_dir() / f"{uuid.uuid4().hex}.parquet"
    try:
        rows, invalid, used = engine.normalise_file(path, used, the_feed, target)
    except (pa.ArrowInvalid, ValueError, OSError) as exc:
        target.unlink(missing_ok=True)
        raise FupinError("SHARING_FILE_UNREADABLE", f"文件无法读取：{exc}") from None
    if not division_code:
        division_code = _modal_county(target)
    return Dataset.objects.create(
        feed=the_feed.code,
        provider=provider.strip(),
        period=period.strip(),
        legal_basis=legal_basis.strip(),
        division_code=division_code,
        uploaded_by=by,  # type: ignore[misc]
        original_name=original_name or path.name,
        file=str(target),
        row_count=rows,
        invalid_ids=invalid,
        column_mapping=used,
    )


def _modal_county(normalised: Path) -> str:
    """The county most rows' address codes (else ID numbers) lie in."""
    table = pq.read_table(normalised, columns=["address_code", "id_number"])
    prefix = pc.utf8_slice_codeunits(
        pc.coalesce(table.column("address_code"), table.column("id_number")), 0, 6
    )
    counts = Counter(p for p in prefix.to_pylist() if p and p.isdigit() and len(p) == 6)
    return counts.most_common(1)[0][0] if counts else ""


# -- matching -------------------------------------------------------------------------------


def registry_arrow() -> pa.Table:
    """Export the registry's persons with the facts the rules read, once per run, as Arrow."""
    qn = connection.ops.quote_name
    m, h, c = (
        qn(Member._meta.db_table),
        qn(Household._meta.db_table),
        qn(LivingConditions._meta.db_table),
    )
    sql = (
        f"SELECT m.id_key, m.id, m.household_id, h.code, m.name, m.birth_date, h.village_id, "
        f"h.status, m.dibao, m.tekun, m.basic_medical, m.school_status, m.health, "
        f"COALESCE(c.house_grade, 'safe') FROM {m} m JOIN {h} h ON h.id = m.household_id "
        f"LEFT JOIN {c} c ON c.household_id = h.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    names = engine.REGISTRY_SCHEMA.names
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = []
    for name, values in zip(names, cols, strict=True):
        typ = engine.REGISTRY_SCHEMA.field(name).type
        if pa.types.is_date(typ):
            arrays.append(pc.cast(pa.array([str(v) for v in values], pa.string()), pa.date32()))
        elif pa.types.is_boolean(typ):
            arrays.append(pa.array([bool(v) for v in values], pa.bool_()))
        else:
            arrays.append(pa.array(values, typ))
    return pa.Table.from_arrays(arrays, schema=engine.REGISTRY_SCHEMA)


def _flag_table(flags: pa.Table, feed: fd.Feed, run_id: int) -> pa.Table:
    """The flags as rows of ``Flag``: evidence as JSON text, built by DuckDB in one pass."""
    ev = ", ".join(f"{n} := ev_{n}" for n in feed.evidence_fields)
    con = duckdb.connect()
    con.register("f", flags)
    table = con.sql(
        f"""SELECT {int(run_id)}::BIGINT AS run_id, flag_type, household_id, member_id,
                   coalesce(id_number, '') AS id_number, coalesce(name, '') AS name,
                   village_code, CAST(to_json(struct_pack({ev})) AS VARCHAR) AS evidence,
                   match_method, 'open' AS status, '' AS outcome_note, '{{}}' AS applied
            FROM f ORDER BY village_code, flag_type, row_no"""
    ).to_arrow_table()
    now = pa.array([timezone.now()] * table.num_rows, pa.timestamp("us", tz="UTC"))
    return table.append_column("created_at", now)


def match_run(*, dataset: Dataset, ctx: fd.FeedContext | None = None) -> MatchRun:
    """Match a loaded dataset against the whole registry and store its flags (one run)."""
    feed = _feed(dataset.feed)
    started = timezone.now()
    registry = registry_arrow()
    dept = pq.read_table(dataset.file)
    flags, counts = engine.match_arrow(
        dept, registry, feed, ctx or fd.FeedContext(), county=dataset.division_code[:6]
    )
    per_type = Counter(flags.column("flag_type").to_pylist())
    with transaction.atomic():
        run = MatchRun.objects.create(
            dataset=dataset,
            started_at=started,
            engine="duckdb",
            rows=counts.rows,
            matched_by_id=counts.by_id,
            matched_by_name_birth=counts.by_name_birth,
            counts=dict(per_type),
        )
        table = _flag_table(flags, feed, run.pk)
        bulk_insert(Flag._meta.db_table, FLAG_COLUMNS, batches_of(table))
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        dataset.status = Dataset.Status.MATCHED
        dataset.save(update_fields=["status"])
    return run


def income_warnings_run(*, division_code: str = "", year: int) -> MatchRun:
    """Flag exited households whose per-capita net income in ``year`` is below the monitoring
    threshold of their province (EARLY_WARNING_INCOME), set-based, one statement per province.
    """
    qn = connection.ops.quote_name
    h, i = qn(Household._meta.db_table), qn(HouseholdIncome._meta.db_table)
    provinces = (
        Household.objects.filter(village__code__startswith=division_code)
        .values_list("village_id", flat=True)
        .distinct()
    )
    codes = sorted({str(v)[:2] for v in provinces})
    started = timezone.now()
    with transaction.atomic():
        run = MatchRun.objects.create(
            dataset=None, started_at=started, engine=connection.vendor, note=f"{year} 年收入监测"
        )
        total = 0
        for prov in codes:
            try:
                threshold = DEFAULT_PARAMETERS.monitoring_threshold(year, prov).amount
            except ParameterError as exc:
                raise FupinError(exc.code, exc.message) from None
            prefix = (division_code if division_code.startswith(prov) else prov) + "%"
            evidence = _json_object_sql(
                {
                    "year": "i.year",
                    "per_capita_net_income": "ROUND(i.net_income * 1.0 / i.household_size, 2)",
                    "threshold": "%s",
                }
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {qn(Flag._meta.db_table)} (run_id, flag_type, household_id, "
                    f"member_id, id_number, name, village_code, evidence, match_method, status, "
                    f"outcome_note, applied, created_at) "
                    f"SELECT %s, %s, h.id, NULL, '', '', h.village_id, {evidence}, 'registry', "
                    f"'open', '', '{{}}', %s FROM {h} h JOIN {i} i ON i.household_id = h.id "
                    f"WHERE i.year = %s AND h.village_id LIKE %s "
                    f"AND h.status IN ('exited', 'exited_with_policy') "
                    f"AND i.net_income < %s * i.household_size",
                    [
                        run.pk,
                        fd.FlagType.EARLY_WARNING_INCOME.value,
                        float(threshold),
                        started,
                        year,
                        prefix,
                        threshold,
                    ],
                )
                total += cursor.rowcount
        run.counts = {fd.FlagType.EARLY_WARNING_INCOME.value: total} if total else {}
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "finished_at"])
    return run


def _json_object_sql(items: Mapping[str, str]) -> str:
    if connection.vendor == "postgresql":
        pairs = ", ".join(f"'{k}', {v}" for k, v in items.items())
        return f"jsonb_build_object({pairs})"
    pairs = ", ".join(f"'{k}', {v}" for k, v in items.items())
    return f"json_object({pairs})"


# -- resolving a flag -----------------------------------------------------------------------

_GRADE = {"A": "safe", "B": "safe", "C": "C", "D": "D", "safe": "safe"}
#: Procedure a confirmed flag opens (``fupin.workflows``), with the opening data.
_WORKFLOW: dict[str, tuple[str, dict[str, Any]]] = {
    "STATUS_DEATH": ("decrease", {"reason": "death"}),
    "STATUS_MOVED": ("decrease", {"reason": "moved_away"}),
    "INELIGIBLE_VEHICLE": ("decrease", {"reason": "wrongly_registered"}),
    "INELIGIBLE_BUSINESS": ("decrease", {"reason": "wrongly_registered"}),
    "INELIGIBLE_PROPERTY": ("decrease", {"reason": "wrongly_registered"}),
    "INELIGIBLE_PAYROLL": ("decrease", {"reason": "wrongly_registered"}),
    "EARLY_WARNING_MEDICAL": ("monitoring", {"category": "sudden"}),
    "EARLY_WARNING_DISASTER": ("monitoring", {"category": "sudden"}),
    "EARLY_WARNING_DROPOUT": ("monitoring", {"category": "sudden"}),
    "EARLY_WARNING_INCOME": ("monitoring", {"category": "unstable"}),
}


def _member_facts(member: Member, values: Mapping[str, Any], by: Any) -> dict[str, Any]:
    """Set member facts from a department, noting "department" as each field's source."""
    before = {k: getattr(member, k) for k in values}
    for k, v in values.items():
        setattr(member, k, v)
    if member.source != "department":
        member.field_sources = {**member.field_sources, **dict.fromkeys(values, "department")}
    member.confirmed_at = timezone.now()
    member.full_clean(exclude=["household", "id_key", "id_number"], validate_unique=False)
    member.save(update_fields=[*values, "field_sources", "confirmed_at", "updated_at"])
    audit_record(
        by=by,
        action="member.department_update",
        obj_type="household",
        obj_key=member.household.code,
        division=member.household.village_id,
        before=before,
        after=dict(values),
        note=f"部门比对：{member.name}",
    )
    rollups_mark_dirty(village_codes=[member.household.village_id])
    return dict(values)


def _apply_fact(flag: Flag, by: Any) -> dict[str, Any]:
    spec = fd.FLAG_TYPES[fd.FlagType(flag.flag_type)]
    applied: dict[str, Any] = {}
    member_values: dict[str, Any] = {}
    for target, column, constant in spec.sets:
        value = constant if column is None else flag.evidence.get(column)
        level, name = target.split(".")
        if level == "conditions":
            assert flag.household is not None
            grade = _GRADE.get(str(value))
            if grade is None:
                raise FupinError("SHARING_EVIDENCE_INVALID", f"部门数据中的危房等级“{value}”无效")
            conditions_update(
                household=flag.household, data={name: grade}, source="department", by=by
            )
            applied[target] = grade
        else:
            member_values[name] = value
    if member_values:
        if flag.member is None:
            raise FupinError("SHARING_MEMBER_GONE", "该成员已不在登记信息中，无法写入")
        _member_facts(flag.member, member_values, by)
        applied.update({f"member.{k}": v for k, v in member_values.items()})
    return applied


def _case_year(flag: Flag, village: str) -> int:
    """The monitoring year: the department row's year when the province has a threshold for
    it, else the latest year that has one (monitoring began in 2021, domain.md §9)."""
    wanted = int(flag.evidence.get("year") or timezone.now().year)
    years = sorted(
        t.year for t in DEFAULT_PARAMETERS.monitoring_thresholds if village.startswith(t.region)
    )
    if not years or wanted in years:
        return wanted
    earlier = [y for y in years if y <= wanted]
    return earlier[-1] if earlier else years[0]


def _open_case(flag: Flag, by: Any) -> tuple[Any, str]:
    """Open the matching procedure's case if the workflows app allows it; else say why not."""
    procedure, data = _WORKFLOW[flag.flag_type]
    household = flag.household
    if household is None:
        return None, ""
    single = household.members.count() <= 1
    if procedure == "decrease" and flag.flag_type.startswith("STATUS_") and not single:
        return None, "户内还有其他成员：请在户信息中核减该成员，不办理整户减少"
    try:
        from fupin.workflows.services import case_open
    except ImportError:  # the workflows app is not installed here
        return None, "未安装识别与退出程序，已记录在提示上"
    label = fd.flag_label(flag.flag_type)
    year = _case_year(flag, household.village_id) if procedure == "monitoring" else None
    try:
        case = case_open(
            household=household,
            procedure=procedure,
            by=by,
            data={**data, "note": f"部门比对：{label}", "attachment": f"比对提示 {flag.pk}"},
            year=year,
        )
    except FupinError as exc:
        return None, f"未能发起程序：{exc.message}"
    return case, ""


@transaction.atomic
def flag_resolve(*, flag: Flag, outcome: str, note: str, by: AbstractBaseUser) -> Flag:
    """Confirm or dismiss a flag after the village's verification.

    A confirmed fact update writes the department's fact into the registry with source
    "department"; a confirmed status change, ineligibility or early warning opens the
    matching procedure (decrease, monitoring) when the user may, and notes why not otherwise.
    """
    if not can(by, Action.EDIT_REGISTRY):
        raise FupinError("SHARING_FORBIDDEN", "您没有核实比对提示的权限")
    if not in_scope(by, flag.village_code):
        raise FupinError("SHARING_OUT_OF_SCOPE", f"区划 {flag.village_code} 不在您的管辖范围内")
    if outcome not in (Flag.Status.CONFIRMED, Flag.Status.DISMISSED):
        raise FupinError("SHARING_OUTCOME_INVALID", "核实结果只能是“已确认”或“已排除”")
    note = note.strip()
    if outcome == Flag.Status.DISMISSED and not note:
        raise FupinError("SHARING_NOTE_REQUIRED", "排除提示须写明核实情况")
    locked = (
        Flag.objects.select_for_update(of=("self",))
        .select_related("household", "member")
        .get(pk=flag.pk)
    )
    if locked.status != Flag.Status.OPEN:
        raise FupinError("SHARING_FLAG_RESOLVED", "该提示已核实，不能重复处理")
    applied: dict[str, Any] = {}
    if outcome == Flag.Status.CONFIRMED:
        kind = fd.flag_kind(locked.flag_type)
        if kind == "fact":
            applied = _apply_fact(locked, by)
        elif locked.flag_type in _WORKFLOW:
            case, why = _open_case(locked, by)
            if case is not None:
                locked.case = case
                applied["case"] = case.pk
            if why:
                applied["workflow_note"] = why
    locked.status = outcome
    locked.outcome_note = note
    locked.applied = applied
    locked.resolved_by = by  # type: ignore[assignment]
    locked.resolved_at = timezone.now()
    locked.save(
        update_fields=["status", "outcome_note", "applied", "case", "resolved_by", "resolved_at"]
    )
    audit_record(
        by=by,
        action=f"sharing.flag.{outcome}",
        obj_type="household" if locked.household_id else "flag",
        obj_key=locked.household.code if locked.household else str(locked.pk),
        division=locked.village_code,
        after={"flag_type": locked.flag_type, "note": note, **applied},
    )
    return locked
