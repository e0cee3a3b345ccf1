"""Import payments (资金支付) and the project library (项目库) from Excel or CSV: all rows or none.

Each row is judged by the rules of the one-at-a-time services (``payment_record``,
``project_propose``: ``fupin.policy.funds.check_payment`` / ``check_project``) with what they
read fetched for the whole file at once (projects, households, villages, funds assigned and
paid: a few statements whatever the number of rows). Rows are also checked against each other
in file order: a file cannot pay a project more than it has unspent, nor one household twice
for one item. Only when no row has an error is everything written, in one transaction.

Re-importing the same file changes nothing: a payment already stored with the same facts is
counted as unchanged (a payment is the same when its project, source, year, day, amount,
payee and item are; a voucher number, when given, names one payment of its project — the same
voucher with other facts is an error). A project code already in the library with other facts
is an error: the import never overwrites the library (changes go through the project page).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from django.db import transaction
from django.db.models import Sum

from fupin.accounts.scoping import in_scope
from fupin.common.audit import audit_record_bulk
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.funds.models import Payment, Project, ProjectFunding
from fupin.funds.services import Actor, is_fund_office
from fupin.policy import funds as pf
from fupin.policy.codes import CodeList
from fupin.registry.imports.errors import RowError
from fupin.registry.imports.reader import normalize_header
from fupin.registry.imports.rows import cells_of, map_header, open_rows
from fupin.registry.models import Household

Kind = Literal["payments", "projects"]
IN_CHUNK = 5000
BATCH = 2000


@dataclass(frozen=True)
class Column:
    name: str
    heading: str
    aliases: tuple[str, ...] = ()
    required: bool = False


PAYMENT_COLUMNS = (
    Column("project", "项目编号", ("项目代码", "project_code"), required=True),
    Column("source", "资金来源", ("来源",), required=True),
    Column("year", "资金年度", ("年度",), required=True),
    Column("paid_on", "支付日期", ("日期",), required=True),
    Column("amount", "金额", ("支付金额", "金额（元）", "金额(元)"), required=True),
    Column("payee_kind", "收款方类型", ("收款方",), required=True),
    Column("payee", "收款单位或姓名", ("收款单位", "收款人")),
    Column("village", "收款村代码", ("村代码",)),
    Column("household", "户编号", ("收款户编号", "household_code")),
    Column("item", "支付内容", ("用途", "内容")),
    Column("voucher", "凭证号", ("凭证编号", "voucher_number")),
)
PROJECT_COLUMNS = (
    Column("code", "项目编号", ("项目代码",), required=True),
    Column("name", "项目名称", (), required=True),
    Column("project_type", "项目类别", ("类别",), required=True),
    Column("division", "项目所在区划代码", ("区划代码", "村代码"), required=True),
    Column("villages", "受益村代码", ("实施地点",)),
    Column("proposed_on", "申报日期", (), required=True),
    Column("budget", "总投资", ("总投资（元）", "资金规模"), required=True),
    *(Column(f"budget:{code}", f"{label}（元）", (label,)) for code, label in pf.FUND_SOURCE.items),
    Column("benefits", "带贫减贫机制", ("利益联结方式",)),
    Column("benefit_link", "利益联结机制", ("带贫机制说明",)),
    Column("performance_target", "绩效目标", (), required=True),
    Column("implementing_unit", "实施单位", ()),
    Column("expected_households", "预计受益户数", ("受益户数",)),
    Column("expected_poor_households", "其中贫困户数", ("受益贫困户数",)),
    Column("start", "计划开工", ("开工日期",)),
    Column("end", "计划完工", ("完工日期",)),
)
COLUMNS: dict[Kind, tuple[Column, ...]] = {"payments": PAYMENT_COLUMNS, "projects": PROJECT_COLUMNS}
TITLES: dict[Kind, str] = {"payments": "资金支付", "projects": "项目库"}


def heading_of(kind: Kind, column: str) -> str:
    return next((c.heading for c in COLUMNS[kind] if c.name == column), column)


def _lookup(kind: Kind) -> dict[str, str]:
    names: dict[str, str] = {}
    for c in COLUMNS[kind]:
        for spelling in (c.heading, c.name, *c.aliases):
            names[normalize_header(spelling)] = c.name
    return names


@dataclass
class FundsImportReport:
    """What an import found and did; ``stored`` only when no error and not a dry run."""

    kind: Kind
    rows: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    unchanged: int = 0
    dry_run: bool = False
    stored: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors)

    def heading_of(self, column: str) -> str:
        return heading_of(self.kind, column)


class _Row:
    """One row's cells, with the errors found in it."""

    def __init__(self, number: int, cells: dict[str, str | None], errors: list[RowError]):
        self.number = number
        self.cells = cells
        self._errors = errors
        self.bad = False

    def error(self, column: str, code: str, message: str) -> None:
        self.bad = True
        self._errors.append(RowError(self.number, column, code, message, self.cells.get(column)))

    def text(self, column: str) -> str:
        return self.cells.get(column) or ""

    def required(self, column: str, heading: str) -> str:
        value = self.text(column)
        if not value:
            self.error(column, "REQUIRED", f"{heading}：不能为空")
        return value

    def day(self, column: str, heading: str, *, required: bool = False) -> date | None:
        value = self.text(column)
        if not value:
            if required:
                self.error(column, "REQUIRED", f"{heading}：不能为空")
            return None
        try:
            return date.fromisoformat(value.replace("/", "-")[:10])
        except ValueError:
            self.error(column, "DATE_INVALID", f"{heading}：“{value}”不是日期（如 2019-03-05）")
            return None

    def money(self, column: str, heading: str, *, required: bool = False) -> Decimal | None:
        value = self.text(column).replace(",", "").replace("，", "")
        if not value:
            if required:
                self.error(column, "REQUIRED", f"{heading}：不能为空")
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            self.error(column, "NUMBER_INVALID", f"{heading}：“{value}”不是金额")
            return None
        if amount < 0:
            self.error(column, pf.FundCode.AMOUNT_NOT_POSITIVE.value, f"{heading}：不能为负数")
            return None
        return amount

    def count(self, column: str, heading: str) -> int:
        value = self.text(column)
        if not value:
            return 0
        if not value.isdigit():
            self.error(column, "NUMBER_INVALID", f"{heading}：“{value}”不是整数")
            return 0
        return int(value)

    def code(self, column: str, heading: str, codes: CodeList, *, required: bool) -> str:
        value = self.text(column)
        if not value:
            if required:
                self.error(column, "REQUIRED", f"{heading}：不能为空")
            return ""
        found = codes.parse(value)
        if found is None:
            shown = "、".join(label for _, label in list(codes.items)[:6])
            self.error(column, "CODE_UNKNOWN", f"{heading}：“{value}”不是可用的值（如 {shown}）")
            return ""
        return found

    def refusals(self, refusals: Iterable[pf.Refusal], column: str = "rule") -> None:
        for r in refusals:
            self.error(column, r.code.value, r.message)


def _read(path: Path, kind: Kind, report: FundsImportReport) -> list[_Row]:
    lookup = _lookup(kind)
    header, raw = open_rows(path, lookup, "、".join(c.heading for c in COLUMNS[kind][:3]))
    required = [c.name for c in COLUMNS[kind] if c.required]
    positions, unknown = map_header(
        header, lookup, required, lambda c: heading_of(kind, c), report.errors
    )
    report.unknown_columns = unknown
    if report.errors:
        return []
    rows = []
    for number, cells in raw:
        values = cells_of(cells, positions)
        if all(v is None for v in values.values()):
            continue  # blank lines and Excel's formatted empty rows
        rows.append(_Row(number, values, report.errors))
    report.rows = len(rows)
    return rows


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _in_chunks(fetch: Callable[[Sequence[Any]], Iterable[Any]], keys: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for part in _chunks(sorted(set(keys))):
        out.extend(fetch(part))
    return out


def _need_office(by: Actor) -> None:
    if by is not None and not is_fund_office(by):
        raise FupinError("PERMISSION_DENIED", "只有县扶贫办可以导入项目库和资金支付")


def _audit(
    by: Actor,
    action: str,
    model: type[Payment] | type[Project],
    pks: Sequence[int],
    to_project: str,
    path: Path,
    report: FundsImportReport,
) -> None:
    """One audit event per row written, keyed by its project (``to_project``: the path from the
    model to the project, "" for a project)."""
    for part in _chunks(list(pks)):
        audit_record_bulk(
            by=by,
            action=action,
            obj_type="project",
            rows=model.objects.filter(pk__in=part),
            key_field=f"{to_project}code",
            division_field=f"{to_project}division_id",
            after={"file": Path(path).name, "rows": report.rows},
        )


def _finish(report: FundsImportReport, started: float) -> FundsImportReport:
    report.errors.sort(key=lambda e: (e.row, e.column, e.code))
    report.seconds = time.perf_counter() - started
    return report


# --- payments ------------------------------------------------------------------------------

#: The facts that make two payments the same (idempotent re-import).
_PAYMENT_KEY = (
    "project_id",
    "source_fund",
    "year",
    "paid_on",
    "amount",
    "payee_kind",
    "payee",
    "village_id",
    "household_id",
    "item",
    "voucher_number",
)


def payments_import(path: Path, *, by: Actor, dry_run: bool = False) -> FundsImportReport:
    """Import a file of payments; see the module's docstring."""
    started = time.perf_counter()
    _need_office(by)
    report = FundsImportReport("payments", dry_run=dry_run)
    rows = _read(Path(path), "payments", report)
    if not rows:
        return _finish(report, started)
    projects = {
        p.code: p
        for p in _in_chunks(
            lambda part: Project.objects.filter(code__in=part), (r.text("project") for r in rows)
        )
    }
    households = {
        h[0]: h
        for h in _in_chunks(
            lambda part: Household.objects.filter(code__in=part).values_list(
                "code", "pk", "status", "village_id"
            ),
            (r.text("household") for r in rows if r.text("household")),
        )
    }
    villages = {
        v[0]: v[1]
        for v in _in_chunks(
            lambda part: Division.objects.filter(code__in=part, level=5).values_list(
                "code", "name"
            ),
            (r.text("village") for r in rows if r.text("village")),
        )
    }
    ids = [p.pk for p in projects.values()]
    assigned: dict[tuple[int, str, int], Decimal] = defaultdict(Decimal)
    paid: dict[tuple[int, str, int], Decimal] = defaultdict(Decimal)
    for part in _chunks(ids):
        for f in (
            ProjectFunding.objects.filter(project_id__in=part)
            .values("project_id", "source_fund", "year")
            .annotate(total=Sum("amount"))
        ):
            assigned[(f["project_id"], f["source_fund"], f["year"])] += f["total"]
        for f in (
            Payment.objects.filter(project_id__in=part)
            .values("project_id", "source_fund", "year")
            .annotate(total=Sum("amount"))
        ):
            paid[(f["project_id"], f["source_fund"], f["year"])] += f["total"]
    stored: set[tuple[Any, ...]] = set()
    vouchers: dict[tuple[int, str], tuple[Any, ...]] = {}
    items_paid: set[tuple[int, int, str]] = set()
    for part in _chunks(ids):
        for values in Payment.objects.filter(project_id__in=part).values_list(*_PAYMENT_KEY):
            stored.add(values)
            if values[-1]:
                vouchers[(values[0], values[-1])] = values
            if values[8] is not None:
                items_paid.add((values[0], values[8], values[9]))

    new: list[Payment] = []
    for r in rows:
        project = projects.get(r.required("project", "项目编号"))
        if r.text("project") and project is None:
            r.error("project", "FUNDS_UNKNOWN_PROJECT", f"项目“{r.text('project')}”不存在")
        elif project is not None and by is not None and not in_scope(by, project.division_id):
            r.error("project", "OUT_OF_SCOPE", f"项目 {project.code} 不在您的管辖范围内")
        source = r.code("source", "资金来源", pf.FUND_SOURCE, required=True)
        year_text = r.required("year", "资金年度")
        year = int(year_text) if year_text.isdigit() else 0
        if year_text and not year:
            r.error("year", "NUMBER_INVALID", f"资金年度：“{year_text}”不是年份")
        paid_on = r.day("paid_on", "支付日期", required=True)
        amount = r.money("amount", "金额", required=True)
        payee_kind = r.code("payee_kind", "收款方类型", pf.PAYEE_KIND, required=True)
        payee = r.text("payee")
        item = r.text("item")
        voucher = r.text("voucher")
        household = None
        village_code = None
        if payee_kind == "household":
            code = r.required("household", "户编号")
            household = households.get(code)
            if code and household is None:
                household = (code, 0, "", "")  # named but unknown: the rule refuses it
        elif payee_kind == "collective":
            village_code = r.text("village") or None
            if (
                village_code is None
                or village_code not in villages
                or (project is not None and not village_code.startswith(project.division_id[:6]))
            ):
                r.error("village", pf.FundCode.PAYEE_MISSING.value, "须填写本县的收款村代码")
            elif not payee:
                payee = f"{villages[village_code]}村集体经济组织"
        if r.bad or project is None or paid_on is None or amount is None:
            continue
        hid = household[1] if household else None
        key = (
            project.pk,
            source,
            year,
            paid_on,
            amount,
            payee_kind,
            payee,
            village_code,
            hid or None,
            item,
            voucher,
        )
        if key in stored:
            report.unchanged += 1
            continue
        if voucher and (project.pk, voucher) in vouchers:
            r.error("voucher", "FUNDS_VOUCHER_TAKEN", f"凭证号“{voucher}”已用于该项目的另一笔支付")
            continue
        bucket = (project.pk, source, year)
        unspent = assigned[bucket] - paid[bucket]
        r.refusals(
            pf.check_payment(
                pf.PaymentFacts(
                    amount=amount,
                    source=source,
                    payee_kind=payee_kind,
                    paid_on=paid_on,
                    project_status=project.status,
                    approved_on=project.approved_on,
                    project_type=project.project_type,
                    payee=payee,
                    household_id=hid,
                    household_registered=bool(hid)
                    and household is not None
                    and household[2] != "removed",
                    already_paid_item=bool(hid) and (project.pk, hid, item) in items_paid,
                    unspent=unspent,
                )
            )
        )
        if r.bad:
            continue
        # later rows see this one: the file cannot overspend, nor pay one item twice
        paid[bucket] += amount
        stored.add(key)
        if voucher:
            vouchers[(project.pk, voucher)] = key
        if hid:
            items_paid.add((project.pk, hid, item))
        new.append(
            Payment(
                project_id=project.pk,
                source_fund=source,
                year=year,
                paid_on=paid_on,
                amount=amount,
                payee_kind=payee_kind,
                payee=payee,
                village_id=village_code,
                household_id=hid or None,
                item=item,
                voucher_number=voucher,
                source="import",
            )
        )
    if report.errors or dry_run:
        return _finish(report, started)
    with transaction.atomic():
        Payment.objects.bulk_create(new, batch_size=BATCH)
        _audit(by, "payment.import", Payment, [p.pk for p in new], "project__", path, report)
    report.created = len(new)
    report.stored = True
    return _finish(report, started)


# --- the project library -------------------------------------------------------------------


def _split(text: str) -> list[str]:
    for sep in ("，", "、", ";", "；", " "):
        text = text.replace(sep, ",")
    return [t.strip() for t in text.split(",") if t.strip()]


def _same_project(p: Project, new: Project, villages: Sequence[str], stored: set[str]) -> bool:
    fields = (
        "name",
        "project_type",
        "division_id",
        "budget",
        "benefit_kinds",
        "benefit_link",
        "performance_target",
        "implementing_unit",
        "expected_households",
        "expected_poor_households",
        "start",
        "end",
        "proposed_on",
    )
    if any(getattr(p, f) != getattr(new, f) for f in fields):
        return False
    budget = {k: Decimal(str(v)) for k, v in p.budget_by_source.items()}
    again = {k: Decimal(str(v)) for k, v in new.budget_by_source.items()}
    return budget == again and set(villages) == stored


def projects_import(path: Path, *, by: Actor, dry_run: bool = False) -> FundsImportReport:
    """Import proposed projects into the library (申报入库); see the module's docstring.

    Each row is a project as ``project_propose`` takes it, refused for what it refuses
    (``check_project``: budget by source adding up to the total, 绩效目标, 带贫减贫机制, a
    location in the county …). Imported projects enter as proposed: their notices and the
    township's and county's decisions follow on the project pages, as for one proposed by hand.
    """
    started = time.perf_counter()
    _need_office(by)
    report = FundsImportReport("projects", dry_run=dry_run)
    rows = _read(Path(path), "projects", report)
    if not rows:
        return _finish(report, started)
    places: set[str] = set()
    for r in rows:
        places.add(r.text("division"))
        places.update(_split(r.text("villages")))
    known = {
        d[0]: d
        for d in _in_chunks(
            lambda part: Division.objects.filter(code__in=part).values_list("code", "level"),
            (p for p in places if p),
        )
    }
    existing = {
        p.code: p
        for p in _in_chunks(
            lambda part: Project.objects.filter(code__in=part), (r.text("code") for r in rows)
        )
    }
    served_of: dict[str, set[str]] = defaultdict(set)
    for part in _chunks([p.pk for p in existing.values()]):
        through = Project.villages.through.objects.filter(project_id__in=part)
        codes_of = {p.pk: p.code for p in existing.values()}
        for pid, vid in through.values_list("project_id", "division_id"):
            served_of[codes_of[pid]].add(vid)
    seen: dict[str, int] = {}
    new: list[tuple[Project, list[str]]] = []
    for r in rows:
        code = r.required("code", "项目编号")
        name = r.required("name", "项目名称")
        project_type = r.code("project_type", "项目类别", pf.PROJECT_TYPE, required=True)
        division = r.required("division", "项目所在区划代码")
        level = known[division][1] if division in known else 0
        if division and division not in known:
            r.error("division", "DIVISION_UNKNOWN", f"区划代码“{division}”不存在")
        elif division and level not in (4, 5):
            r.error(
                "division",
                pf.FundCode.WRONG_LEVEL.value,
                "项目由村或乡镇申报，实施地点须是村或乡镇",
            )
        elif division and by is not None and not in_scope(by, division):
            r.error("division", "OUT_OF_SCOPE", f"{division} 不在您的管辖范围内")
        served = _split(r.text("villages")) or ([division] if level == 5 else [])
        for v in served:
            if v not in known or known[v][1] != 5 or not v.startswith(division):
                r.error(
                    "villages",
                    pf.FundCode.NO_LOCATION.value,
                    f"受益村 {v} 不存在或不在 {division} 内",
                )
        proposed_on = r.day("proposed_on", "申报日期", required=True)
        budget = r.money("budget", "总投资", required=True)
        by_source: dict[str, Decimal] = {}
        for source in pf.FUND_SOURCE.codes:
            amount = r.money(f"budget:{source}", pf.FUND_SOURCE.label_of(source))
            if amount:
                by_source[source] = amount
        benefits = []
        for text in _split(r.text("benefits")):
            found = pf.BENEFIT_KIND.parse(text)
            if found is None:
                r.error("benefits", "CODE_UNKNOWN", f"带贫减贫机制：“{text}”不是可用的值")
            else:
                benefits.append(found)
        target = r.required("performance_target", "绩效目标")
        start = r.day("start", "计划开工")
        end = r.day("end", "计划完工")
        households = r.count("expected_households", "预计受益户数")
        poor = r.count("expected_poor_households", "其中贫困户数")
        if code in seen:
            r.error("code", "DUPLICATE_ROW", f"项目编号“{code}”与第 {seen[code]} 行重复")
        seen.setdefault(code, r.number)
        if r.bad or budget is None or proposed_on is None:
            continue
        r.refusals(
            pf.check_project(
                pf.ProjectFacts(
                    project_type=project_type,
                    budget=budget,
                    budget_by_source=by_source,
                    villages=served,
                    performance_target=target,
                    benefits=benefits,
                    start=start,
                    end=end,
                )
            )
        )
        if r.bad:
            continue
        project = Project(
            code=code,
            name=name,
            project_type=project_type,
            division_id=division,
            proposer_level="village" if level == 5 else "township",
            status="proposed",
            proposed_on=proposed_on,
            budget=budget,
            budget_by_source={k: str(v) for k, v in by_source.items()},
            benefit_kinds=benefits,
            benefit_link=r.text("benefit_link"),
            performance_target=target,
            implementing_unit=r.text("implementing_unit"),
            expected_households=households,
            expected_poor_households=poor,
            start=start,
            end=end,
            source="import",
        )
        if code in existing:
            if _same_project(existing[code], project, served, served_of[code]):
                report.unchanged += 1
            else:
                r.error(
                    "code",
                    "FUNDS_PROJECT_CODE_TAKEN",
                    f"项目编号“{code}”已在项目库中且内容不同：请在项目页面修改",
                )
            continue
        new.append((project, served))
    if report.errors or dry_run:
        return _finish(report, started)
    with transaction.atomic():
        Project.objects.bulk_create([p for p, _ in new], batch_size=BATCH)
        link = Project.villages.through
        link.objects.bulk_create(
            [link(project_id=p.pk, division_id=v) for p, served in new for v in served],
            batch_size=BATCH,
        )
        _audit(by, "project.import", Project, [p.pk for p, _ in new], "", path, report)
    report.created = len(new)
    report.stored = True
    return _finish(report, started)
