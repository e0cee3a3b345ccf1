"""Write services of precise measures: cadres, pairings, visits, plans, measures, work teams.

Each service checks the actor's right and scope, runs the pure rules of
:mod:`fupin.policy.measures`, writes in one transaction and audits the change. A refusal is a
``FupinError`` with a stable code and a Chinese message (``details["errors"]`` lists every bad
field or broken rule), and nothing is written.

Who may write: measures, plans and pairings need the right to edit the registry in the
household's village (the village cadre, the county office). A visit is recorded by the paired
cadre themselves (a user linked to the 帮扶责任人) or by someone who may edit the registry
there. Cadres and work teams are the county office's; attendance is recorded by the team
member, the township or the county; leave is approved by the level the days call for.
``by=None`` is the system (CLI, demo, imports already checked) and is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import connection, transaction
from django.utils import timezone

from fupin.accounts.models import Role
from fupin.accounts.permissions import Action, can, user_role
from fupin.accounts.scoping import in_scope
from fupin.common.audit import audit_record
from fupin.common.errors import FupinError
from fupin.divisions.selectors import division_get
from fupin.measures.models import (
    Attendance,
    Cadre,
    LeaveRequest,
    Measure,
    Pairing,
    Plan,
    PlanItem,
    TeamMember,
    Visit,
    WorkTeam,
)
from fupin.policy import codes
from fupin.policy import measures as pm
from fupin.policy.idnumber import masked
from fupin.registry.models import Household, LivingConditions, Member
from fupin.reports.services import rollups_mark_dirty

Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None


def parameters() -> pm.MeasureParameters:
    """The measure parameters in force (national defaults; a province overrides them here)."""
    return pm.DEFAULT_PARAMETERS


# -- checks ---------------------------------------------------------------------------------------


def _active(by: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(by, "is_authenticated", False) and getattr(by, "is_active", False))


def _require(by: Actor, division_code: str, allowed: bool, refusal: str) -> None:
    if by is None:
        return
    if not _active(by):
        raise FupinError("PERMISSION_DENIED", "请先登录")
    if not in_scope(by, division_code):
        raise FupinError("OUT_OF_SCOPE", f"{division_code} 不在您的管辖范围内")
    if not allowed:
        raise FupinError("PERMISSION_DENIED", refusal)


def may_edit_household(by: Actor, household: Household) -> bool:
    """Whether ``by`` may record plans, measures and pairings of this household."""
    if by is None:
        return True
    return _active(by) and in_scope(by, household.village_id) and can(by, Action.EDIT_REGISTRY)


def _is_county_office(by: Actor) -> bool:
    return by is None or user_role(by) in (Role.COUNTY_OFFICE.value, Role.ADMINISTRATOR.value)


def _household(code: str) -> Household:
    household = Household.objects.filter(code=str(code).strip()).first()
    if household is None:
        raise FupinError("MEASURES_UNKNOWN_HOUSEHOLD", f"户编号“{code}”不存在", {"code": code})
    return household


def _cadre(cadre: Cadre | int | str) -> Cadre:
    if isinstance(cadre, Cadre):
        return cadre
    found = Cadre.objects.filter(pk=int(cadre)).first() if str(cadre).isdigit() else None
    if found is None:
        raise FupinError("MEASURES_UNKNOWN_CADRE", f"帮扶责任人“{cadre}”不存在", {"cadre": cadre})
    return found


def _cadre_in_county(cadre: Cadre, household: Household) -> None:
    if not household.village_id.startswith(cadre.county_id):
        raise FupinError(
            "MEASURES_CADRE_OUT_OF_COUNTY",
            f"帮扶责任人{cadre.name}属于 {cadre.county_id}，不能帮扶其他县的户 {household.code}",
        )


def _source(source: str) -> str:
    if source not in codes.FACT_SOURCE:
        raise FupinError("SOURCE_UNKNOWN", f"数据来源“{source}”无效")
    return source


# -- parsing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


def _refuse(code: str, summary: str, problems: Sequence[FieldProblem]) -> FupinError:
    more = f"（共 {len(problems)} 处问题）" if len(problems) > 1 else ""
    return FupinError(
        code,
        f"{summary}：{problems[0].message}{more}",
        {"errors": [p.as_dict() for p in problems]},
    )


def parse_date(raw: object, label: str, name: str, problems: list[FieldProblem]) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        problems.append(FieldProblem(name, "DATE_BAD", f"{label}“{raw}”不是日期（年-月-日）"))
        return None


def parse_amount(
    raw: object, label: str, name: str, problems: list[FieldProblem]
) -> Decimal | None:
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(FieldProblem(name, "NUMBER_BAD", f"{label}“{raw}”不是数字"))
        return None
    if not value.is_finite():
        problems.append(FieldProblem(name, "NUMBER_BAD", f"{label}“{raw}”不是数字"))
        return None
    return value.quantize(Decimal("0.01"))


def parse_int(raw: object, label: str, name: str, problems: list[FieldProblem]) -> int | None:
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        problems.append(FieldProblem(name, "NUMBER_BAD", f"{label}“{raw}”不是整数"))
        return None
    if value < 0:
        problems.append(FieldProblem(name, "NUMBER_NEGATIVE", f"{label}不能为负数"))
        return None
    return value


def parse_code(
    raw: object, code_list: codes.CodeList, name: str, problems: list[FieldProblem]
) -> str:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return ""
    code = code_list.parse(text)
    if code is None:
        problems.append(
            FieldProblem(name, "CODE_UNKNOWN", f"{code_list.label}“{text}”不在代码表中")
        )
        return ""
    return code


def age_on(birth: date, on: date) -> int:
    """Full years of age on a day."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _member_facts(member: Member, on: date) -> pm.MemberFacts:
    return pm.MemberFacts(
        age=age_on(member.birth_date, on),
        labour_capacity=member.labour_capacity,
        health=member.health,
        dibao=member.dibao,
        tekun=member.tekun,
    )


MEASURE_FIELDS = (
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
    "member",
    "beneficiaries",
    "cadre",
    "term_months",
    "purpose",
    "reason",
    "evidence",
)


@dataclass(frozen=True)
class MeasureInput:
    """A measure parsed from a form, a file row or the API; ``member`` is an ID number."""

    year: int
    category: str
    subtype: str
    content: str
    project: str
    unit: str
    amount: Decimal | None
    start: date
    end: date | None
    status: str
    member_id_number: str
    cadre_id: int | None
    term_months: int | None
    purpose: str
    reason: str
    evidence: str
    #: ID numbers of the members it benefits besides the target member (neither = the household).
    beneficiary_id_numbers: tuple[str, ...] = ()


#: What separates ID numbers in one cell or field ("、", ",", ";", spaces).
_ID_LIST = re.compile(r"[、,，;；\s]+")


def _id_numbers(value: object) -> tuple[str, ...]:
    """ID numbers from a list or a cell, upper-cased, in order, each once."""
    items = value if isinstance(value, (list, tuple)) else _ID_LIST.split(str(value or ""))
    out = [str(x).strip().upper() for x in items]
    return tuple(dict.fromkeys(x for x in out if x))


def measure_parse(data: Mapping[str, object]) -> tuple[MeasureInput | None, list[FieldProblem]]:
    """Parse a measure's fields (codes or Chinese labels) and return every problem found."""
    unknown = sorted(set(data) - set(MEASURE_FIELDS))
    problems: list[FieldProblem] = [
        FieldProblem(k, "FIELD_UNKNOWN", f"帮扶措施没有“{k}”这一项") for k in unknown
    ]
    category = parse_code(data.get("category"), pm.MEASURE_CATEGORY, "category", problems)
    if not category and not any(p.field == "category" for p in problems):
        problems.append(FieldProblem("category", "REQUIRED", "请选择帮扶措施类别"))
    raw_sub = str(data.get("subtype") or "").strip()
    subtype = ""
    if raw_sub:
        subtype = pm.MEASURE_SUBTYPE.parse(raw_sub) or ""
        if not subtype and category:
            # a sub-type label is unique only within its category ("护林员" vs "生态护林员")
            subtype = next(
                (
                    c
                    for c, label in pm.MEASURE_SUBTYPE.items
                    if label == raw_sub and pm.subtype_category(c) == category
                ),
                "",
            )
        if not subtype:
            problems.append(FieldProblem("subtype", "CODE_UNKNOWN", f"措施子类“{raw_sub}”不存在"))
    start = parse_date(data.get("start"), "开始日期", "start", problems)
    if start is None and not any(p.field == "start" for p in problems):
        problems.append(FieldProblem("start", "REQUIRED", "请填写开始日期"))
    end = parse_date(data.get("end"), "结束日期", "end", problems)
    year = parse_int(data.get("year"), "年度", "year", problems)
    if year is None and start is not None:
        year = start.year
    if year is not None and not 2013 <= year <= 2100:
        problems.append(FieldProblem("year", "YEAR_RANGE", f"年度 {year} 不在 2013–2100 之间"))
    status = parse_code(data.get("status"), pm.MEASURE_STATUS, "status", problems) or (
        "in_progress"
    )
    cadre_raw = parse_int(data.get("cadre"), "责任人", "cadre", problems)
    amount = parse_amount(data.get("amount"), "金额", "amount", problems)
    term = parse_int(data.get("term_months"), "贷款期限", "term_months", problems)
    purpose = parse_code(data.get("purpose"), pm.LOAN_PURPOSE, "purpose", problems)

    def text(name: str, limit: int) -> str:
        value = str(data.get(name) or "").strip()
        if len(value) > limit:
            problems.append(FieldProblem(name, "TOO_LONG", f"“{name}”超过 {limit} 字"))
        return value[:limit]

    parsed = MeasureInput(
        year=year or 0,
        category=category,
        subtype=subtype,
        content=text("content", 300),
        project=text("project", 64),
        unit=text("unit", 100),
        amount=amount,
        start=start or date.min,
        end=end,
        status=status,
        member_id_number=str(data.get("member") or "").strip().upper(),
        cadre_id=cadre_raw,
        term_months=term,
        purpose=purpose,
        reason=text("reason", 300),
        evidence=text("evidence", 300),
        beneficiary_id_numbers=_id_numbers(data.get("beneficiaries")),
    )
    return (None if problems else parsed), problems


@dataclass(frozen=True)
class HouseholdContext:
    """The household facts the measure rules read, loaded once per household."""

    household: Household
    members: dict[str, Member]  # by ID number
    house_grade: str


def household_context(household: Household) -> HouseholdContext:
    members = {m.id_number: m for m in Member.objects.filter(household=household)}
    grade = (
        LivingConditions.objects.filter(household=household)
        .values_list("house_grade", flat=True)
        .first()
    )
    return HouseholdContext(household, members, grade or "")


def measure_problems(
    m: MeasureInput, ctx: HouseholdContext, p: pm.MeasureParameters
) -> tuple[list[FieldProblem], Member | None]:
    """The rule refusals of a parsed measure for its household (and the target member)."""
    problems: list[FieldProblem] = []
    member = None
    if m.member_id_number:
        member = ctx.members.get(m.member_id_number)
        if member is None:
            problems.append(
                FieldProblem("member", "MEASURES_UNKNOWN_MEMBER", "对象成员不是该户的家庭成员")
            )
    strangers = [x for x in m.beneficiary_id_numbers if x not in ctx.members]
    if strangers:
        problems.append(
            FieldProblem(
                "beneficiaries",
                "MEASURES_UNKNOWN_MEMBER",
                f"受益成员 {'、'.join(masked(x) for x in strangers)} 不是该户的家庭成员",
            )
        )
    facts = pm.MeasureFacts(
        category=m.category,
        subtype=m.subtype,
        amount=m.amount,
        start=m.start,
        end=m.end,
        term_months=m.term_months,
        purpose=m.purpose,
        reason=m.reason,
        household_status=ctx.household.status,
        household_attribute=ctx.household.attribute,
        house_grade=ctx.house_grade,
        members=[_member_facts(x, m.start) for x in ctx.members.values()],
        target=_member_facts(member, m.start) if member is not None else None,
    )
    problems += [FieldProblem("rule", r.code.value, r.message) for r in pm.check(facts, p)]
    return problems, member


@transaction.atomic
def measure_record(
    *, household_code: str, data: Mapping[str, object], by: Actor, source: str = "manual"
) -> Measure:
    """Record a measure carried out for a household.

    Refuse bad fields with ``MEASURE_BAD_VALUE`` and a measure whose rules are not met with
    the rule's own code (``MEASURE_LOAN_AGE``, ``MEASURE_SAFETY_NET_LABOUR`` …), every problem
    listed in ``details["errors"]``.
    """
    household = _household(household_code)
    _require(by, household.village_id, may_edit_household(by, household), "您没有权限录入帮扶措施")
    source = _source(source)
    parsed, problems = measure_parse(data)
    if parsed is None:
        raise _refuse("MEASURE_BAD_VALUE", "帮扶措施有误，未保存", problems)
    ctx = household_context(household)
    rules, member = measure_problems(parsed, ctx, parameters())
    cadre = None
    if parsed.cadre_id is not None:
        cadre = _cadre(parsed.cadre_id)
        _cadre_in_county(cadre, household)
    if rules:
        code = next((p.code for p in rules if p.field == "rule"), "MEASURE_BAD_VALUE")
        raise _refuse(code, "不符合政策规定，未保存", rules)
    measure = Measure.objects.create(
        household=household,
        year=parsed.year,
        category=parsed.category,
        subtype=parsed.subtype,
        content=parsed.content,
        project=parsed.project,
        unit=parsed.unit,
        amount=parsed.amount,
        start=parsed.start,
        end=parsed.end,
        status=parsed.status,
        member=member,
        cadre=cadre,
        term_months=parsed.term_months,
        purpose=parsed.purpose,
        reason=parsed.reason,
        evidence=parsed.evidence,
        source=source,
    )
    beneficiaries = measure_beneficiaries(parsed, ctx, member)
    if beneficiaries:
        measure.beneficiaries.set(beneficiaries)
    rollups_mark_dirty(village_codes=[household.village_id])
    audit_record(
        by=by,
        action="measure.record",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        after={
            "measure": measure.pk,
            "category": measure.category,
            "subtype": measure.subtype,
            "amount": measure.amount,
            "start": measure.start,
            "status": measure.status,
            "member": masked(member.id_number) if member is not None else None,
            "beneficiaries": [masked(b.id_number) for b in beneficiaries],
        },
    )
    return measure


def measure_beneficiaries(
    m: MeasureInput, ctx: HouseholdContext, member: Member | None
) -> list[Member]:
    """The members a checked measure benefits besides its target member (who always does)."""
    target = member.pk if member is not None else None
    return [
        ctx.members[x]
        for x in m.beneficiary_id_numbers
        if x in ctx.members and ctx.members[x].pk != target
    ]


@transaction.atomic
def measure_set_status(
    *, measure_id: int, status: str, end: date | None = None, by: Actor
) -> Measure:
    """Move a measure to another status (done: with its end date, default today)."""
    measure = Measure.objects.select_for_update().select_related("household").get(pk=measure_id)
    household = measure.household
    _require(by, household.village_id, may_edit_household(by, household), "您没有权限修改帮扶措施")
    if status not in pm.MEASURE_STATUS:
        raise FupinError("MEASURE_BAD_VALUE", f"措施状态“{status}”无效")
    before = {"status": measure.status, "end": measure.end}
    measure.status = status
    if status == "done":
        measure.end = end or measure.end or timezone.localdate()
        if measure.end < measure.start:
            raise FupinError(
                "MEASURE_DATES", f"结束日期 {measure.end} 早于开始日期 {measure.start}"
            )
    measure.save(update_fields=["status", "end", "updated_at"])
    rollups_mark_dirty(village_codes=[household.village_id])
    audit_record(
        by=by,
        action="measure.status",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        before={"measure": measure.pk, **before},
        after={"measure": measure.pk, "status": measure.status, "end": measure.end},
    )
    return measure


# -- plans ----------------------------------------------------------------------------------------


@transaction.atomic
def plan_save(
    *,
    household_code: str,
    year: int,
    items: Sequence[Mapping[str, object]],
    note: str = "",
    by: Actor,
    source: str = "manual",
) -> Plan:
    """Replace a household's plan for a year with ``items`` (category, subtype, member ID
    number, amount, cadre id, suggestion, note)."""
    household = _household(household_code)
    _require(by, household.village_id, may_edit_household(by, household), "您没有权限制定帮扶计划")
    ctx = household_context(household)
    problems: list[FieldProblem] = []
    rows: list[PlanItem] = []
    for n, item in enumerate(items, start=1):
        where = f"第 {n} 项"
        local: list[FieldProblem] = []
        category = parse_code(item.get("category"), pm.MEASURE_CATEGORY, f"{n}.category", local)
        if not category and not local:
            local.append(FieldProblem(f"{n}.category", "REQUIRED", f"{where}：请选择措施类别"))
        subtype = parse_code(item.get("subtype"), pm.MEASURE_SUBTYPE, f"{n}.subtype", local)
        if subtype and category and pm.subtype_category(subtype) != category:
            local.append(
                FieldProblem(
                    f"{n}.subtype", "MEASURE_SUBTYPE_MISMATCH", f"{where}：子类不属于该类别"
                )
            )
        amount = parse_amount(item.get("amount"), "计划金额", f"{n}.amount", local)
        if amount is not None and amount < 0:
            local.append(
                FieldProblem(f"{n}.amount", "MEASURE_AMOUNT_NEGATIVE", f"{where}：金额不能为负数")
            )
        id_number = str(item.get("member") or "").strip().upper()
        member = ctx.members.get(id_number) if id_number else None
        if id_number and member is None:
            local.append(
                FieldProblem(f"{n}.member", "MEASURES_UNKNOWN_MEMBER", f"{where}：对象不是该户成员")
            )
        cadre = None
        if item.get("cadre"):
            cadre = _cadre(str(item["cadre"]))
            _cadre_in_county(cadre, household)
        suggestion = str(item.get("suggestion") or "")
        if suggestion and suggestion not in pm.SUGGESTION_BY_CODE:
            local.append(FieldProblem(f"{n}.suggestion", "CODE_UNKNOWN", f"{where}：建议代码无效"))
        problems += local
        rows.append(
            PlanItem(
                category=category,
                subtype=subtype,
                member=member,
                amount=amount,
                cadre=cadre,
                suggestion=suggestion,
                note=str(item.get("note") or "")[:300],
            )
        )
    if problems:
        raise _refuse("PLAN_BAD_VALUE", "帮扶计划有误，未保存", problems)
    plan, _ = Plan.objects.update_or_create(
        household=household,
        year=int(year),
        defaults={"note": note[:300], "source": _source(source)},
    )
    plan.items.all().delete()
    for row in rows:
        row.plan = plan
    PlanItem.objects.bulk_create(rows)
    audit_record(
        by=by,
        action="plan.save",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        after={"year": int(year), "items": [r.category for r in rows]},
    )
    return plan


# -- cadres and pairing ---------------------------------------------------------------------------


@transaction.atomic
def cadre_create(
    *,
    county_code: str,
    name: str,
    unit: str,
    post: str = "",
    phone: str = "",
    max_households: int | None = None,
    user: User | None = None,
    by: Actor,
    source: str = "manual",
) -> Cadre:
    """Register a 帮扶责任人 of a county (the county office)."""
    county = division_get(str(county_code))
    if county.level != 3:
        raise FupinError("MEASURES_NOT_COUNTY", f"{county.name}（{county.code}）不是县级区划")
    _require(by, county.code, _is_county_office(by), "只有县扶贫办可以登记帮扶责任人")
    problems = [
        FieldProblem(k, "REQUIRED", f"请填写{label}")
        for k, label, v in (("name", "姓名", name), ("unit", "工作单位", unit))
        if not v.strip()
    ]
    if max_households is not None and max_households < 1:
        problems.append(FieldProblem("max_households", "NUMBER_BAD", "最多帮扶户数须为正整数"))
    if problems:
        raise _refuse("CADRE_BAD_VALUE", "帮扶责任人信息有误", problems)
    cadre = Cadre.objects.create(
        county=county,
        name=name.strip()[:50],
        unit=unit.strip()[:100],
        post=post.strip()[:50],
        phone=phone.strip()[:20],
        max_households=max_households,
        user=user,
        source=_source(source),
    )
    audit_record(
        by=by,
        action="cadre.create",
        obj_type="cadre",
        obj_key=str(cadre.pk),
        division=county.code,
        after={"name": cadre.name, "unit": cadre.unit, "post": cadre.post},
    )
    return cadre


def cadre_load(cadre: Cadre) -> int:
    """How many households the cadre helps now."""
    return Pairing.objects.filter(cadre=cadre, end__isnull=True).count()


@dataclass(frozen=True)
class PairingResult:
    pairing: Pairing
    warnings: list[str]


@transaction.atomic
def pairing_assign(
    *,
    household_code: str,
    cadre: Cadre | int | str,
    start: date,
    order: str = "first",
    reason: str = "",
    by: Actor,
    source: str = "manual",
) -> PairingResult:
    """Pair a cadre with a household from ``start``; a current pairing of the same order ends
    the day before (调整, with ``reason``). Warn when the cadre helps more households than the
    quota (a warning, not a refusal: counties set the quota)."""
    household = _household(household_code)
    _require(by, household.village_id, may_edit_household(by, household), "您没有权限安排结对帮扶")
    c = _cadre(cadre)
    _cadre_in_county(c, household)
    if not c.active:
        raise FupinError("MEASURES_CADRE_INACTIVE", f"帮扶责任人{c.name}已不在岗")
    if order not in pm.PAIRING_ORDER:
        raise FupinError("PAIRING_BAD_VALUE", f"帮扶序位“{order}”无效")
    if start > timezone.localdate():
        raise FupinError("PAIRING_DATE_FUTURE", f"结对日期 {start} 晚于今天")
    current = (
        Pairing.objects.select_for_update()
        .filter(household=household, order=order, end__isnull=True)
        .first()
    )
    if current is not None:
        if current.cadre_id == c.pk:
            raise FupinError(
                "PAIRING_EXISTS", f"{c.name}已是该户的{pm.PAIRING_ORDER.label_of(order)}"
            )
        if start <= current.start:
            raise FupinError("PAIRING_DATES", f"新的结对日期须晚于原结对日期 {current.start}")
        current.end = date.fromordinal(start.toordinal() - 1)
        current.end_reason = reason[:200] or "调整帮扶责任人"
        current.save(update_fields=["end", "end_reason", "updated_at"])
    pairing = Pairing.objects.create(
        household=household,
        cadre=c,
        order=order,
        start=start,
        source=_source(source),
    )
    rollups_mark_dirty(village_codes=[household.village_id])  # the ended pairing's too
    pairing.refresh_from_db(fields=["last_visit"])  # set by the signal from earlier visits
    warnings = []
    quota = c.max_households or parameters().max_households_per_cadre
    load = cadre_load(c)
    if load > quota:
        warnings.append(f"{c.name}现帮扶 {load} 户，超过 {quota} 户的上限")
    audit_record(
        by=by,
        action="pairing.assign",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        before={"cadre": current.cadre_id} if current is not None else None,
        after={"cadre": c.pk, "name": c.name, "order": order, "start": start},
        note=reason[:500],
    )
    return PairingResult(pairing, warnings)


# -- visits ---------------------------------------------------------------------------------------


def may_record_visit(by: Actor, household: Household, cadre: Cadre) -> bool:
    if by is None:
        return True
    if not _active(by):
        return False
    if cadre.user_id is not None and cadre.user_id == getattr(by, "pk", None):
        return True
    return may_edit_household(by, household)


@transaction.atomic
def visit_record(
    *,
    household_code: str,
    cadre: Cadre | int | str,
    visit_date: date | str,
    content: str,
    next_step: str = "",
    minutes: int | None = None,
    photo: Any = None,
    submission: str = "",
    latitude: float | Decimal | None = None,
    longitude: float | Decimal | None = None,
    by: Actor,
    source: str = "manual",
) -> Visit:
    """Record a visit of a paired cadre to a household.

    Refuse a date in the future (``VISIT_DATE_FUTURE``), a cadre not paired with the household
    (``VISIT_NOT_PAIRED``) or a date before the pairing began (``VISIT_BEFORE_PAIRING``).
    """
    household = _household(household_code)
    c = _cadre(cadre)
    problems: list[FieldProblem] = []
    day = parse_date(visit_date, "走访日期", "date", problems)
    if day is None and not problems:
        problems.append(FieldProblem("date", "REQUIRED", "请填写走访日期"))
    if not content.strip():
        problems.append(FieldProblem("content", "REQUIRED", "请填写帮扶内容"))
    if minutes is not None and not 0 < minutes <= 24 * 60:
        problems.append(FieldProblem("minutes", "NUMBER_BAD", "时长须在 1–1440 分钟之间"))
    lat, lon = _location(latitude, longitude, problems)
    if problems:
        raise _refuse("VISIT_BAD_VALUE", "走访记录有误，未保存", problems)
    assert day is not None
    if not may_record_visit(by, household, c):
        _require(by, household.village_id, False, "只有该户的帮扶责任人或村干部可以录入走访记录")
    if day > timezone.localdate():
        raise FupinError("VISIT_DATE_FUTURE", f"走访日期 {day} 晚于今天")
    pairings = list(Pairing.objects.filter(household=household, cadre=c))
    if not pairings:
        raise FupinError("VISIT_NOT_PAIRED", f"{c.name}不是户 {household.code} 的帮扶责任人")
    if not any(p.start <= day and (p.end is None or day <= p.end) for p in pairings):
        first = min(p.start for p in pairings)
        code = "VISIT_BEFORE_PAIRING" if day < first else "VISIT_NOT_PAIRED"
        raise FupinError(code, f"走访日期 {day} 不在结对期间（{first} 起）")
    visit = Visit.objects.create(
        household=household,
        cadre=c,
        date=day,
        minutes=minutes,
        content=content.strip()[:500],
        next_step=next_step.strip()[:300],
        submission=submission[:64],
        latitude=lat,
        longitude=lon,
        source=_source(source),
    )
    if photo:
        visit.photo.save(getattr(photo, "name", "photo.jpg"), photo, save=True)
    audit_record(
        by=by,
        action="visit.record",
        obj_type="household",
        obj_key=household.code,
        division=household.village_id,
        after={"visit": visit.pk, "cadre": c.pk, "date": day},
    )
    return visit


def _location(
    latitude: float | Decimal | None,
    longitude: float | Decimal | None,
    problems: list[FieldProblem],
) -> tuple[Decimal | None, Decimal | None]:
    """A visit's place as stored (6 decimals), or a problem: both or neither, in range."""
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None:
        problems.append(FieldProblem("location", "LOCATION_BAD", "位置须同时有纬度和经度"))
        return None, None
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
        lon = Decimal(str(longitude)).quantize(Decimal("0.000001"))
        inside = -90 <= lat <= 90 and -180 <= lon <= 180
    except InvalidOperation:  # not a number, NaN or infinite
        lat, lon, inside = Decimal(0), Decimal(0), False
    if not inside:
        problems.append(
            FieldProblem(
                "location", "LOCATION_BAD", f"位置（{latitude}, {longitude}）不是有效的纬度和经度"
            )
        )
        return None, None
    return lat, lon


def pairing_last_visits_refresh(household_ids: Iterable[int] | None = None) -> int:
    """Set ``Pairing.last_visit`` from the visits — of these households, or of all — in
    set-based UPDATEs (5,000 households a statement); return the pairings updated.

    Every path that writes visits or pairings in bulk calls it (imports, generators); a
    visit or a pairing saved or deleted one at a time sets it by a signal (``apps.py``)."""
    p, v = Pairing._meta.db_table, Visit._meta.db_table
    qn = connection.ops.quote_name
    latest = (
        f"(SELECT MAX(v.{qn('date')}) FROM {qn(v)} v WHERE v.{qn('household_id')} ="
        f" {qn(p)}.{qn('household_id')} AND v.{qn('cadre_id')} = {qn(p)}.{qn('cadre_id')})"
    )
    sql = f"UPDATE {qn(p)} SET {qn('last_visit')} = {latest}"
    updated = 0
    with connection.cursor() as cursor:
        if household_ids is None:
            cursor.execute(sql)
            return int(cursor.rowcount)
        ids = sorted(set(household_ids))
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"{sql} WHERE {qn('household_id')} IN ({marks})", chunk)
            updated += int(cursor.rowcount)
    return updated


# -- work teams -----------------------------------------------------------------------------------


@transaction.atomic
def team_create(
    *, village_code: str, sending_unit: str, start: date, by: Actor, source: str = "manual"
) -> WorkTeam:
    """Send a work team to a village (one current team per village, 一村一队)."""
    village = division_get(str(village_code))
    if village.level != 5:
        raise FupinError("TEAM_NOT_VILLAGE", f"{village.name}（{village.code}）不是村级区划")
    _require(by, village.code, _is_county_office(by), "只有县扶贫办可以派驻工作队")
    if not sending_unit.strip():
        raise FupinError("TEAM_BAD_VALUE", "请填写派出单位")
    if WorkTeam.objects.filter(village=village, end__isnull=True).exists():
        raise FupinError("TEAM_EXISTS", f"{village.name}已有在驻的工作队")
    team = WorkTeam.objects.create(
        village=village, sending_unit=sending_unit.strip()[:100], start=start, source=source
    )
    audit_record(
        by=by,
        action="team.create",
        obj_type="team",
        obj_key=str(team.pk),
        division=village.code,
        after={"sending_unit": team.sending_unit, "start": start},
    )
    return team


@transaction.atomic
def team_member_add(
    *,
    team: WorkTeam,
    name: str,
    unit: str,
    role: str,
    start: date,
    post: str = "",
    phone: str = "",
    end: date | None = None,
    user: User | None = None,
    by: Actor,
) -> TeamMember:
    """Add a member to a work team (a team has one current first secretary)."""
    _require(by, team.village_id, _is_county_office(by), "只有县扶贫办可以调整工作队成员")
    if role not in pm.TEAM_ROLE:
        raise FupinError("TEAM_BAD_VALUE", f"驻村职务“{role}”无效")
    if not name.strip() or not unit.strip():
        raise FupinError("TEAM_BAD_VALUE", "请填写姓名和派出单位")
    if end is not None and end < start:
        raise FupinError("TEAM_BAD_VALUE", f"驻村结束 {end} 早于开始 {start}")
    if (
        role == "first_secretary"
        and TeamMember.objects.filter(team=team, role=role, end__isnull=True).exists()
    ):
        raise FupinError("TEAM_SECRETARY_EXISTS", "该村已有在任的第一书记")
    member = TeamMember.objects.create(
        team=team,
        name=name.strip()[:50],
        unit=unit.strip()[:100],
        post=post.strip()[:50],
        role=role,
        phone=phone.strip()[:20],
        start=start,
        end=end,
        user=user,
    )
    audit_record(
        by=by,
        action="team.member_add",
        obj_type="team",
        obj_key=str(team.pk),
        division=team.village_id,
        after={"name": member.name, "role": role, "start": start},
    )
    return member


def may_record_attendance(by: Actor, member: TeamMember) -> bool:
    """The member themself, the township, the county (or the system) record attendance and
    ask for leave."""
    if by is None:
        return True
    if member.user_id is not None and member.user_id == getattr(by, "pk", None):
        return True
    return user_role(by) in (
        Role.TOWNSHIP_REVIEWER.value,
        Role.COUNTY_OFFICE.value,
        Role.ADMINISTRATOR.value,
    )


@transaction.atomic
def attendance_record(
    *,
    member: TeamMember,
    month: date,
    days_present: int,
    days_leave: int = 0,
    days_official: int = 0,
    note: str = "",
    by: Actor,
    source: str = "manual",
) -> Attendance:
    """Record a member's days in the village for a month (replacing that month's record)."""
    village = member.team.village_id
    _require(by, village, may_record_attendance(by, member), "您没有权限录入驻村考勤")
    first = month.replace(day=1)
    if first > timezone.localdate():
        raise FupinError("ATTENDANCE_FUTURE", f"{first:%Y-%m} 尚未到来")
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    days_in_month = (nxt - first).days
    total = days_present + days_leave + days_official
    if min(days_present, days_leave, days_official) < 0 or total > days_in_month:
        raise FupinError(
            "ATTENDANCE_DAYS",
            f"{first:%Y-%m} 在村、请假、公出天数合计 {total} 天，不能超过当月 {days_in_month} 天",
        )
    record, _ = Attendance.objects.update_or_create(
        member=member,
        month=first,
        defaults={
            "days_present": days_present,
            "days_leave": days_leave,
            "days_official": days_official,
            "note": note[:200],
            "source": source,
        },
    )
    audit_record(
        by=by,
        action="attendance.record",
        obj_type="team",
        obj_key=str(member.team_id),
        division=village,
        after={"member": member.pk, "month": first, "present": days_present},
    )
    return record


@transaction.atomic
def leave_request(
    *, member: TeamMember, start: date, end: date, reason: str, by: Actor
) -> LeaveRequest:
    """Ask for leave; the level that approves it follows the number of days."""
    _require(by, member.team.village_id, may_record_attendance(by, member), "您没有权限申请请假")
    if end < start:
        raise FupinError("LEAVE_DATES", f"结束日期 {end} 早于开始日期 {start}")
    if not reason.strip():
        raise FupinError("LEAVE_BAD_VALUE", "请填写请假事由")
    days = (end - start).days + 1
    return LeaveRequest.objects.create(
        member=member,
        start=start,
        end=end,
        days=days,
        reason=reason.strip()[:200],
        level=pm.leave_level(days, parameters()),
    )


def may_decide_leave(by: Actor, level: str | None = None) -> bool:
    """Whether ``by`` decides a leave of ``level`` ("township" or "county"; None: any leave
    at all): the township up to its limit, the county (and the administrator) beyond it. The
    division scope is checked separately."""
    if by is None:
        return True
    role = user_role(by)
    if role in (Role.COUNTY_OFFICE.value, Role.ADMINISTRATOR.value):
        return True
    return role == Role.TOWNSHIP_REVIEWER.value and level in (None, "township")


@transaction.atomic
def leave_decide(*, leave_id: int, approve: bool, by: Actor) -> LeaveRequest:
    """Approve or refuse a leave: the township up to the limit, the county beyond it."""
    leave = LeaveRequest.objects.select_for_update().select_related("member__team").get(pk=leave_id)
    village = leave.member.team.village_id
    _require(
        by,
        village,
        may_decide_leave(by, leave.level),
        "超过乡镇审批权限的请假须由县委组织部（县扶贫办）审批",
    )
    if leave.status != "pending":
        raise FupinError("LEAVE_DECIDED", "该请假已审批")
    leave.status = "approved" if approve else "refused"
    leave.decided_by = by if isinstance(by, User) else None
    leave.decided_at = timezone.now()
    leave.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        by=by,
        action="leave.decide",
        obj_type="team",
        obj_key=str(leave.member.team_id),
        division=village,
        after={"leave": leave.pk, "status": leave.status},
    )
    return leave
