"""Bulk work of precise measures: plans for a whole division from the suggestion, and the
generator of a year of measures, pairings, visits and work teams for the demo.

``plans_from_suggestions`` is set-based: the suggestion (one Ibis definition in
:mod:`fupin.policy.measures`) is compiled to the database's SQL and written with two
``INSERT … SELECT`` statements, whatever the number of households. The generators read the
division's facts with one ``values()`` query per table, build rows in memory (deterministic
from the seed) and write them with ``bulk_create`` in chunks; every generated measure passes
the rules of :func:`fupin.policy.measures.check`.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import ibis
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from fupin.assessment.adapters import to_sql
from fupin.common.audit import audit_record
from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q
from fupin.measures import selectors
from fupin.measures.models import (
    Attendance,
    Cadre,
    Measure,
    Pairing,
    Plan,
    PlanItem,
    TeamMember,
    Visit,
    WorkTeam,
)
from fupin.measures.services import age_on, pairing_last_visits_refresh, parameters
from fupin.policy import measures as pm
from fupin.registry.models import Household, LivingConditions, Member
from fupin.reports.services import rollups_mark_dirty
from fupin.synth import names

CHUNK = 2000
ASSISTED = selectors.ASSISTED

# -- plans from the suggestion --------------------------------------------------------------------


def _sql(expr: Any) -> str:
    """An Ibis expression as SQL to embed in a statement that also takes ``%s`` parameters."""
    return to_sql(expr).replace("%", "%%")


def _json_empty() -> str:
    """An empty JSON object as a constant of an INSERT … SELECT (PostgreSQL needs the cast)."""
    return "CAST('{}' AS jsonb)" if connection.vendor == "postgresql" else "'{}'"


@transaction.atomic
def plans_from_suggestions(
    *, division_code: str, year: int, replace: bool = False, source: str = "import"
) -> int:
    """Give every poor household under a division without a plan for ``year`` the plan the
    suggestion makes (one item per suggestion: its category, its first sub-type, its code and
    its sentence as the note); return how many plans were created.

    With ``replace``, the plans of ``year`` of these households are deleted first (their
    items with them) and made again from the suggestion. Two ``INSERT … SELECT`` statements
    (plans, then items joined to the new plans), whatever the number of households.
    """
    division_code = Division.objects.get(code=division_code).code
    wide = pm.suggestions_wide(selectors.suggestion_inputs(division_code), year)
    long = pm.suggestions_long(wide)
    first_subtype = {s.code: s.subtypes[0] if s.subtypes else "" for s in pm.SUGGESTIONS}
    items = long.mutate(
        subtype=long.suggestion.substitute(first_subtype, else_=ibis.literal("")),
        note=long.suggestion.substitute(
            {s.code: s.sentence() for s in pm.SUGGESTIONS}, else_=ibis.literal("")
        ),
        sort_key=long.suggestion.substitute(
            {s.code: n for n, s in enumerate(pm.SUGGESTIONS)}, else_=ibis.literal(99)
        ),
    )
    households_sql = _sql(wide.select("household_id"))
    items_sql = _sql(items)
    qn = connection.ops.quote_name
    plan_t, item_t = qn(Plan._meta.db_table), qn(PlanItem._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if replace:
            mine = (
                f"SELECT p.id FROM {plan_t} p WHERE p.year = %s AND p.household_id IN "
                f"(SELECT w.household_id FROM ({households_sql}) w)"
            )
            cursor.execute(f"DELETE FROM {item_t} WHERE plan_id IN ({mine})", [year])
            cursor.execute(f"DELETE FROM {plan_t} WHERE id IN ({mine})", [year])
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {plan_t}")
        (before,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {plan_t} (household_id, year, note, source, field_sources, "
            "confirmed_at, created_at, updated_at) "
            f"SELECT w.household_id, %s, %s, %s, {_json_empty()}, %s, %s, %s "
            f"FROM ({households_sql}) w WHERE NOT EXISTS "
            f"(SELECT 1 FROM {plan_t} o WHERE o.household_id = w.household_id AND o.year = %s) "
            "ORDER BY w.household_id",
            [year, f"按{year}年帮扶建议生成", source, now, now, now, year],
        )
        created = int(cursor.rowcount)
        # The items join the plans this statement made: newer than the highest id before it
        # and stamped with its time (a plan saved by hand meanwhile keeps its own items).
        cursor.execute(
            f"INSERT INTO {item_t} (plan_id, category, subtype, suggestion, note) "
            "SELECT p.id, l.category, l.subtype, l.suggestion, l.note "
            f"FROM ({items_sql}) l JOIN {plan_t} p ON p.household_id = l.household_id "
            "WHERE p.year = %s AND p.id > %s AND p.created_at = %s "
            "ORDER BY p.id, l.sort_key",
            [year, before, now],
        )
    if created:
        audit_record(
            by=None,
            action="plan.suggest_bulk",
            obj_type="division",
            obj_key=division_code,
            division=division_code,
            after={"year": year, "plans": created, "replace": replace},
        )
    return created


# -- shared pieces of the generators --------------------------------------------------------------

#: County units that send cadres and carry out measures (the county's name goes before them).
UNITS = (
    "农业农村局",
    "教育体育局",
    "卫生健康局",
    "民政局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "林业和草原局",
    "财政局",
    "发展和改革局",
    "乡村振兴局",
    "自然资源局",
    "委组织部",
    "人民医院",
    "市场监督管理局",
)
POSTS = ("科员", "副科长", "科长", "副局长", "主任科员", "干部", "副主任", "主任")

#: The unit that carries out a category's measures.
CATEGORY_UNIT = {
    "industry": "农业农村局",
    "employment": "人力资源和社会保障局",
    "relocation": "发展和改革局",
    "ecological": "林业和草原局",
    "education": "教育体育局",
    "health": "卫生健康局",
    "safety_net": "民政局",
    "microcredit": "农村信用合作联社",
    "housing": "住房和城乡建设局",
    "public_post": "乡村振兴局",
    "asset_income": "乡村振兴局",
    "photovoltaic": "发展和改革局",
    "infrastructure": "水利局",
    "other": "乡村振兴局",
}

#: Plausible yearly amounts per category (yuan): low, high, step.
AMOUNTS: dict[str, tuple[int, int, int]] = {
    "industry": (2000, 10000, 500),
    "employment": (500, 3000, 100),
    "relocation": (20000, 60000, 1000),
    "ecological": (6000, 10000, 500),
    "education": (1000, 5000, 100),
    "health": (300, 20000, 100),
    "safety_net": (2000, 8000, 100),
    "microcredit": (10000, 50000, 5000),
    "housing": (5000, 40000, 1000),
    "public_post": (4800, 9600, 100),
    "asset_income": (500, 3000, 100),
    "photovoltaic": (1000, 3000, 100),
    "infrastructure": (1000, 8000, 100),
    "other": (500, 2000, 100),
}

VISIT_CONTENT = (
    "宣讲帮扶政策，了解家庭收入和生产情况",
    "核实“两不愁三保障”落实情况",
    "帮助联系务工岗位，登记外出务工意愿",
    "督促适龄子女按时上学，了解学生资助落实情况",
    "协助办理医疗费用报销和慢病卡",
    "指导种养技术，查看产业发展情况",
    "了解危房改造进度，查看住房安全",
    "帮助申请扶贫小额信贷，讲解户借户用户还",
    "查看饮水安全情况",
    "帮助整理家庭环境卫生，开展感恩教育",
)
NEXT_STEPS = (
    "下次走访核实收入台账",
    "联系乡镇落实就业岗位",
    "跟进医疗报销结果",
    "协调农技员上门指导",
    "跟进住房改造验收",
    "",
)
EVIDENCE = ("签字确认单", "发放台账", "照片与台账", "银行流水", "合同与验收单")


def _county_name(code: str) -> str:
    return str(Division.objects.filter(code=code[:6]).values_list("name", flat=True).first() or "")


def _prefecture_name(code: str) -> str:
    return str(Division.objects.filter(code=code[:4]).values_list("name", flat=True).first() or "")


_HAN_SURNAMES = [s for s, _ in names.HAN_SURNAMES]
_HAN_WEIGHTS = [w for _, w in names.HAN_SURNAMES]


def _person_name(rng: random.Random) -> str:
    """A cadre's name: mostly 汉 style, a third 彝 style (凉山)."""
    if rng.random() < 0.33:
        given = names.YI_MALE if rng.random() < 0.6 else names.YI_FEMALE
        return rng.choice(names.YI_SURNAMES) + rng.choice(given)
    given_chars = names.HAN_MALE if rng.random() < 0.6 else names.HAN_FEMALE
    surname = rng.choices(_HAN_SURNAMES, weights=_HAN_WEIGHTS)[0]
    return surname + "".join(rng.choice(given_chars) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "150", "151", "158", "187", "188")) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def _day(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, max((hi - lo).days, 0)))


def _bulk(model: Any, rows: Sequence[Any]) -> list[Any]:
    """``bulk_create`` in chunks; the rows come back with their primary keys."""
    return list(model.objects.bulk_create(rows, batch_size=CHUNK))


def _assisted(division_code: str) -> Any:
    return Household.objects.filter(
        subtree_q(division_code, field="village__code"), status__in=ASSISTED
    )


# -- measures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    id: int
    birth_date: date
    labour_capacity: str
    health: str
    school_status: str
    dibao: bool
    tekun: bool

    def facts(self, on: date) -> pm.MemberFacts:
        return pm.MemberFacts(
            age=age_on(self.birth_date, on),
            labour_capacity=self.labour_capacity,
            health=self.health,
            dibao=self.dibao,
            tekun=self.tekun,
        )


def _target(category: str, subtype: str, members: Sequence[_Member], on: date) -> _Member | None:
    """The member a measure is for (None = the whole household)."""

    def first(pred: Any) -> _Member | None:
        return next((m for m in members if pred(m)), None)

    def working(m: _Member, lo: int, hi: int) -> bool:
        return m.labour_capacity in pm.FULL_LABOUR and lo <= age_on(m.birth_date, on) <= hi

    if category == "microcredit":
        return first(lambda m: working(m, 18, 65))
    if category == "public_post":
        return first(lambda m: m.labour_capacity == "weak")
    if category in ("employment", "ecological"):
        return first(lambda m: working(m, 16, 59))
    if category == "education":
        return first(lambda m: m.school_status not in ("", "not_in_school"))
    if subtype == "health.serious":
        return first(lambda m: m.health == "serious")
    if subtype in ("health.contract",):
        return first(lambda m: m.health == "chronic")
    if subtype == "safety_net.disability":
        return first(lambda m: m.health == "disabled")
    return None


def _amount(rng: random.Random, category: str, subtype: str) -> Decimal:
    lo, hi, step = AMOUNTS.get(category, AMOUNTS["other"])
    if subtype == "housing.repair":
        lo, hi = 5000, 15000
    elif subtype == "housing.rebuild":
        lo, hi = 20000, 40000
    return Decimal(rng.randrange(lo, hi + 1, step))


@transaction.atomic
def measures_generate(
    *,
    division_code: str,
    year: int,
    seed: int,
    share: float = 0.85,
    today: date | None = None,
    source: str = "import",
) -> int:
    """Record measures carried out in ``year`` for about ``share`` of the poor households under
    a division that have a plan of ``year`` and no measure of that year yet, drawn from one to
    three of their plan items (the county unit of the category carries them out, the paired
    cadre is responsible); return how many measures were recorded.

    Every measure passes :func:`fupin.policy.measures.check`: a plan item the household's
    facts cannot carry (no borrower aged 18–65 for a loan, no weak labour for a public post)
    is left out. Dates lie in ``year`` and not after ``today``.
    """
    today = today or timezone.localdate()
    first_day, last_day = date(year, 1, 1), min(date(year, 12, 31), today)
    if last_day < first_day:
        return 0
    households = _assisted(division_code).exclude(
        Exists(Measure.objects.filter(household_id=OuterRef("pk"), year=year))
    )
    info = {
        h["id"]: h
        for h in households.values("id", "status", "attribute", "village_id").order_by("id")
    }
    items: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for hid, category, subtype in (
        PlanItem.objects.filter(plan__year=year, plan__household__in=households)
        .order_by("plan__household_id", "pk")
        .values_list("plan__household_id", "category", "subtype")
    ):
        items[hid].append((category, subtype))
    members: dict[int, list[_Member]] = defaultdict(list)
    for hid, mid, birth, labour, health, school, dibao, tekun in (
        Member.objects.filter(household__in=households)
        .order_by("household_id", "pk")
        .values_list(
            "household_id",
            "id",
            "birth_date",
            "labour_capacity",
            "health",
            "school_status",
            "dibao",
            "tekun",
        )
    ):
        members[hid].append(_Member(mid, birth, labour, health, school, dibao, tekun))
    grades = dict(
        LivingConditions.objects.filter(household__in=households).values_list(
            "household_id", "house_grade"
        )
    )
    cadres = dict(
        Pairing.objects.filter(household__in=households, end__isnull=True, order="first")
        .order_by("household_id")
        .values_list("household_id", "cadre_id")
    )
    county = _county_name(division_code)
    p = parameters()
    rows: list[Measure] = []
    for hid in sorted(items):
        # One generator per household: a second run draws the same households (which have
        # their measures by then), whatever else changed in the division.
        rng = random.Random(f"{seed}-{hid}")
        if rng.random() >= share:
            continue
        h, mine = info[hid], members.get(hid, [])
        chosen = rng.sample(items[hid], k=rng.randint(1, min(3, len(items[hid]))))
        for category, subtype in chosen:
            if category == "housing":
                subtype = "housing.rebuild" if grades.get(hid) == "D" else "housing.repair"
            subtype = subtype or next(iter(pm.CATALOGUE[category].subtypes), "")
            start = _day(rng, first_day, last_day)
            target = _target(category, subtype, mine, start)
            loan = category == "microcredit"
            done = rng.random() < 0.55 and not loan
            end = _day(rng, start, min(start + timedelta(days=180), last_day)) if done else None
            reason = (
                "持证残疾人，按规定享受残疾人两项补贴" if subtype == "safety_net.disability" else ""
            )
            amount = _amount(rng, category, subtype)
            term = rng.choice((12, 24, 36)) if loan else None
            facts = pm.MeasureFacts(
                category=category,
                subtype=subtype,
                amount=amount,
                start=start,
                end=end,
                term_months=term,
                purpose="production" if loan else "",
                reason=reason,
                household_status=h["status"],
                household_attribute=h["attribute"],
                house_grade=grades.get(hid) or "",
                members=[m.facts(start) for m in mine],
                target=target.facts(start) if target is not None else None,
            )
            if pm.check(facts, p):
                continue  # the household's facts do not carry this item
            label = pm.MEASURE_SUBTYPE.label_of(subtype) if subtype else ""
            rows.append(
                Measure(
                    household_id=hid,
                    year=year,
                    category=category,
                    subtype=subtype,
                    content=("发展种养业（户借户用户还）" if loan else f"落实{label}")[:300],
                    unit=f"{county}{CATEGORY_UNIT[category]}"[:100],
                    amount=amount,
                    start=start,
                    end=end,
                    status="done" if done else "in_progress",
                    member_id=target.id if target is not None else None,
                    cadre_id=cadres.get(hid),
                    term_months=term,
                    purpose="production" if loan else "",
                    reason=reason,
                    evidence=rng.choice(EVIDENCE),
                    source=source,
                )
            )
    _bulk(Measure, rows)
    # The rollups count households with a measure and measures by category.
    rollups_mark_dirty(village_codes={info[m.household_id]["village_id"] for m in rows})
    return len(rows)


# -- cadres and pairings --------------------------------------------------------------------------


@transaction.atomic
def cadres_generate(
    *,
    county_code: str,
    year: int,
    seed: int,
    start: date | None = None,
    max_per_cadre: int | None = None,
    source: str = "import",
) -> int:
    """Register cadres of the county's units and pair each with three to ``max_per_cadre``
    (default the quota, 5) poor households of one village that have no current first
    帮扶责任人, from ``start`` (default 1 January of ``year``); return how many cadres."""
    quota = max_per_cadre or parameters().max_households_per_cadre
    start = start or date(year, 1, 1)
    current = Pairing.objects.filter(household_id=OuterRef("pk"), end__isnull=True, order="first")
    unpaired = (
        _assisted(county_code)
        .exclude(Exists(current))
        .order_by("village_id", "code")
        .values_list("id", "village_id")
    )
    by_village: dict[str, list[int]] = defaultdict(list)
    for hid, village in unpaired:
        by_village[village].append(hid)
    county = Division.objects.get(code=county_code)
    rng = random.Random(seed)
    groups: list[list[int]] = []
    for village in sorted(by_village):
        ids = by_village[village]
        while ids:
            size = min(rng.choice(range(min(3, quota), quota + 1)), len(ids))
            groups.append(ids[:size])
            ids = ids[size:]
    cadres = _bulk(
        Cadre,
        [
            Cadre(
                county=county,
                name=_person_name(rng),
                unit=f"{county.name}{rng.choice(UNITS)}",
                post=rng.choice(POSTS),
                phone=_phone(rng),
                source=source,
            )
            for _ in groups
        ],
    )
    _bulk(
        Pairing,
        [
            Pairing(household_id=hid, cadre_id=c.pk, order="first", start=start, source=source)
            for c, group in zip(cadres, groups, strict=True)
            for hid in group
        ],
    )
    # The rollups count the households with a current 帮扶责任人.
    rollups_mark_dirty(village_codes=[v for v in by_village if v])
    pairing_last_visits_refresh(hid for group in groups for hid in group)
    return len(cadres)


# -- visits ---------------------------------------------------------------------------------------


@transaction.atomic
def visits_generate(
    *,
    county_code: str,
    seed: int,
    today: date | None = None,
    overdue_share: float = 0.10,
    days: int = 365,
    source: str = "import",
) -> int:
    """Record roughly monthly visits by each current pairing's cadre over the ``days`` before
    ``today`` (never before the pairing began, never after today) for pairings without any
    visit yet; about ``overdue_share`` of them (at least one) end more than a visit interval
    before today, so they are overdue. Return how many visits."""
    today = today or timezone.localdate()
    interval = parameters().visit_interval_days
    seen = Visit.objects.filter(
        household_id=OuterRef("household_id"), cadre_id=OuterRef("cadre_id")
    )
    pairings = list(
        Pairing.objects.filter(
            subtree_q(county_code, field="household__village__code"),
            end__isnull=True,
            start__lte=today,
        )
        .exclude(Exists(seen))
        .order_by("household_id", "order")
        .values_list("household_id", "cadre_id", "start")
    )
    rng = random.Random(seed)
    n_overdue = max(1, round(overdue_share * len(pairings))) if pairings else 0
    overdue = set(rng.sample(range(len(pairings)), k=n_overdue))
    rows: list[Visit] = []
    for n, (hid, cadre_id, began) in enumerate(pairings):
        window = max(began, today - timedelta(days=days))
        if n in overdue:
            last = today - timedelta(days=rng.randint(interval + 4, interval + 60))
        else:
            last = today - timedelta(days=rng.randint(0, interval - 4))
        day = last
        while day >= window:
            rows.append(
                Visit(
                    household_id=hid,
                    cadre_id=cadre_id,
                    date=day,
                    minutes=rng.choice((30, 45, 60, 90, 120)),
                    content=rng.choice(VISIT_CONTENT),
                    next_step=rng.choice(NEXT_STEPS),
                    source=source,
                )
            )
            day -= timedelta(days=rng.randint(22, interval - 2))
    _bulk(Visit, rows)
    pairing_last_visits_refresh({v.household_id for v in rows})
    return len(rows)


# -- work teams -----------------------------------------------------------------------------------


def _months_before(today: date, n: int) -> list[date]:
    """The first days of the ``n`` whole months before ``today``'s month, oldest first."""
    out, month = [], today.replace(day=1)
    for _ in range(n):
        month = (month - timedelta(days=1)).replace(day=1)
        out.append(month)
    return out[::-1]


def _month_days(month: date) -> int:
    return ((month + timedelta(days=32)).replace(day=1) - month).days


@dataclass(frozen=True)
class TeamsGenerated:
    teams: int
    members: int
    attendance: int
    #: The village of the one team deliberately below the presence rule ("" = none).
    below_village: str


@transaction.atomic
def teams_generate(
    *,
    county_code: str,
    year: int,
    seed: int,
    today: date | None = None,
    start: date | None = None,
    months: int = 12,
    source: str = "import",
) -> TeamsGenerated:
    """Send a work team of three or four (a first secretary among them) to every village of the
    county that has poor households and no current team, from ``start`` (default 1 January
    of ``year``), with their attendance for each of the ``months`` whole months before
    ``today`` (from the team's start on): at least the monthly presence rule for everyone
    but the first secretary of exactly one team, who is short every month."""
    today = today or timezone.localdate()
    start = start or date(year, 1, 1)
    rule = parameters().presence_days_per_month
    has_team = WorkTeam.objects.filter(village_id=OuterRef("village_id"), end__isnull=True)
    villages = sorted(
        set(
            _assisted(county_code)
            .exclude(Exists(has_team))
            .values_list("village_id", flat=True)
            .distinct()
        )
    )
    if not villages:
        return TeamsGenerated(0, 0, 0, "")
    rng = random.Random(seed)
    county, prefecture = _county_name(county_code), _prefecture_name(county_code)
    senders = [f"{county}{u}" for u in UNITS] + [
        f"{prefecture}{u}" for u in ("财政局", "农业农村局", "教育局", "卫生健康委员会")
    ]
    teams = _bulk(
        WorkTeam,
        [
            WorkTeam(village_id=v, sending_unit=rng.choice(senders), start=start, source=source)
            for v in villages
        ],
    )
    roles_by_size = {
        3: ("first_secretary", "member", "member"),
        4: ("first_secretary", "leader", "member", "member"),
    }
    members = _bulk(
        TeamMember,
        [
            TeamMember(
                team_id=team.pk,
                name=_person_name(rng),
                unit=team.sending_unit if role != "member" else rng.choice(senders),
                post=rng.choice(POSTS),
                role=role,
                phone=_phone(rng),
                start=start,
                source=source,
            )
            for team in teams
            for role in roles_by_size[rng.choice((3, 4))]
        ],
    )
    below = rng.choice(teams)
    recorded = [m for m in _months_before(today, months) if m >= start.replace(day=1)]
    rows: list[Attendance] = []
    for member in members:
        short = member.team_id == below.pk and member.role == "first_secretary"
        for month in recorded:
            length = _month_days(month)
            present = rng.randint(8, rule - 4) if short else rng.randint(rule, min(26, length))
            leave = rng.randint(0, min(3, length - present))
            official = rng.randint(0, min(3, length - present - leave))
            rows.append(
                Attendance(
                    member_id=member.pk,
                    month=month,
                    days_present=present,
                    days_leave=leave,
                    days_official=official,
                    note="多次离岗，已约谈提醒" if short else "",
                    source=source,
                )
            )
    _bulk(Attendance, rows)
    return TeamsGenerated(len(teams), len(members), len(rows), below.village_id)
