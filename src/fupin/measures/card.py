"""The 明白卡 (扶贫明白卡 / 扶贫手册): one household's assistance on one printable A4 page.

The family keeps the card, so it says in plain words who they are in the registry, how the year's
income compares with the poverty line, which of 两不愁三保障 are met, what is planned and done,
who their 帮扶责任人 is and how to reach them, and what still stands between them and exit.

It is private (the household's own paper, never a public page) and still prints no full ID
number, no bank account and no household phone: members' ID numbers are masked like every list
(``fupin.policy.idnumber.masked``), and free text typed by cadres is scrubbed of long digit runs.
The cadre's phone is printed on purpose: it is the household's contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.assessment.services import household_explain
from fupin.common.errors import FupinError
from fupin.common.pdf import template_pdf
from fupin.divisions.selectors import division_path_name
from fupin.measures.selectors import HouseholdMeasures, household_measures
from fupin.policy import codes
from fupin.policy import measures as pm
from fupin.policy.idnumber import masked
from fupin.registry.models import Household
from fupin.registry.selectors import (
    household_assessment_results,
    household_detail,
)

#: The rules of 两不愁三保障 (and income, water) as a farmer says them.
PLAIN_TITLES: dict[str, Any] = {
    "INCOME_ABOVE_LINE": gettext_lazy("收入够不够"),
    "FOOD_SECURE": gettext_lazy("吃饭"),
    "CLOTHING_SECURE": gettext_lazy("穿衣"),
    "EDUCATION_GUARANTEED": gettext_lazy("孩子上学"),
    "MEDICAL_INSURED": gettext_lazy("看病有医保"),
    "HOUSING_SAFE": gettext_lazy("住房安全"),
    "WATER_SAFE": gettext_lazy("喝水安全"),
}

#: At most this many measures are printed (the latest first), so the card stays one page.
MAX_MEASURES = 8

# A run of 11 or more digits (an ID number, a bank card, a mobile number), perhaps with an X at
# the end or spaces and dashes between digit groups: never printed from free text.
_LONG_NUMBER = re.compile(r"\d(?:[ \-]?\d){10,}(?:[ \-]?[Xx])?")


def scrub(text: str) -> str:
    """Return free text with every long digit run (ID, bank card, phone) replaced by stars."""
    return _LONG_NUMBER.sub(lambda m: "*" * len(m.group(0)), text or "")


@dataclass(frozen=True)
class CardMember:
    name: str
    relation: str
    id_masked: str
    age: int
    health: str
    labour: str
    school: str


@dataclass(frozen=True)
class CardCheck:
    """One requirement of the exit standard, passed or not, in plain words."""

    code: str
    title: str
    passed: bool
    recorded: bool
    text: str
    remedy: str


@dataclass(frozen=True)
class CardItem:
    """A planned or carried-out measure as the card prints it."""

    category: str
    subtype: str
    who: str
    amount: Decimal | None
    status: str
    when: str
    cadre: str
    content: str


@dataclass(frozen=True)
class CardCadre:
    name: str
    unit: str
    post: str
    phone: str
    order: str
    since: date


@dataclass(frozen=True)
class Card:
    """Everything the 明白卡 prints, and nothing it must not."""

    year: int
    printed_on: date
    code: str
    place: str
    group_name: str
    head_name: str
    status: str
    attribute: str
    causes: list[str]
    members: list[CardMember]
    income_year: int | None
    net_income: Decimal | None
    household_size: int | None
    per_capita: Decimal | None
    poverty_line: Decimal | None
    income_gap: Decimal | None
    meets_standard: bool | None
    assessment_note: str
    checks: list[CardCheck]
    plan: list[CardItem]
    plan_note: str
    measures: list[CardItem]
    measures_more: int
    cadres: list[CardCadre]
    last_visit: date | None
    next_step: str
    blockers: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.blockers


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _label(code_list: codes.CodeList, code: str) -> str:
    return code_list.label_of(code) if code else ""


def _period(start: date | None, end: date | None) -> str:
    if start is None:
        return ""
    if end is None:
        return _("%(start)s 起") % {"start": start.strftime("%Y-%m")}
    return f"{start:%Y-%m} – {end:%Y-%m}"


def card_context(household: Household, year: int, *, today: date | None = None) -> Card:
    """Gather the 明白卡 of a household for ``year`` (facts, income, assessment, plan, measures,
    帮扶责任人 and what stands between it and exit) with no full ID number, bank account or
    household phone in it."""
    today = today or date.today()
    detail = household_detail(household.pk)
    if detail is None:
        raise FupinError("HOUSEHOLD_UNKNOWN", f"户“{household.code}”不存在")
    h = detail.household
    head = detail.head
    members = [
        CardMember(
            name=m.name,
            relation=m.get_relation_display(),
            id_masked=masked(m.id_number),
            age=_age(m.birth_date, today),
            health=m.get_health_display(),
            labour=m.get_labour_capacity_display() or "—",
            school=(m.get_school_status_display() if m.school_status in codes.IN_SCHOOL else "—")
            + (f"（{_('送教上门')}）" if m.school_exempt_physical else ""),
        )
        for m in detail.members
    ]
    income = next((i for i in detail.incomes if i.year == year), None)

    # The assessment in words (the rules' own explanation, as on the household page); when it
    # cannot run (no parameters for the year …), the stored result of the year says pass/fail.
    checks: list[CardCheck] = []
    meets: bool | None = None
    line: Decimal | None = None
    note = ""
    try:
        explanation = household_explain(household=h, year=year)
    except FupinError as exc:
        explanation = None
        stored = household_assessment_results(h, year=year).first()
        if stored is not None:
            meets, line = stored.meets_standard, stored.poverty_line
        note = exc.message
    if explanation is not None:
        meets, line = explanation.meets_standard, explanation.line.amount
        checks = [
            CardCheck(
                code=o.code,
                title=str(PLAIN_TITLES.get(o.code, o.title)),
                passed=o.passed,
                recorded=o.recorded,
                text=o.text,
                remedy=o.remedy or "",
            )
            for o in explanation.outcomes
        ]
    per_capita = income.per_capita_net_income if income else None
    gap = (
        (line - per_capita)
        if line is not None and per_capita is not None and per_capita <= line
        else None
    )

    assistance: HouseholdMeasures = household_measures(h, year, today=today)
    plan_items = (
        [
            CardItem(
                category=_label(pm.MEASURE_CATEGORY, i.category),
                subtype=_label(pm.MEASURE_SUBTYPE, i.subtype),
                who=i.member.name if i.member else _("全家"),
                amount=i.amount,
                status="",
                when="",
                cadre=i.cadre.name if i.cadre else "",
                content=scrub(i.note),
            )
            for i in assistance.plan.items.all()
        ]
        if assistance.plan
        else []
    )
    shown = [m for m in assistance.measures if m.status != "cancelled"]
    measures = [
        CardItem(
            category=m.get_category_display(),
            subtype=m.get_subtype_display() if m.subtype else "",
            who=m.beneficiary_names or _("全家"),
            amount=m.amount,
            status=m.get_status_display(),
            when=_period(m.start, m.end),
            cadre=m.cadre.name if m.cadre else "",
            content=scrub(m.content),
        )
        for m in shown[:MAX_MEASURES]
    ]
    current = [p for p in assistance.pairings if p.end is None]
    cadres = [
        CardCadre(
            name=p.cadre.name,
            unit=p.cadre.unit,
            post=p.cadre.post,
            phone=p.cadre.phone,
            order=p.get_order_display(),
            since=p.start,
        )
        for p in sorted(current, key=lambda p: p.order != "first")
    ]
    latest_visit = assistance.visits[0] if assistance.visits else None

    blockers: list[str] = []
    if h.status in ("poor", "returned"):
        for c in checks:
            if c.passed:
                continue
            if c.code == "INCOME_ABOVE_LINE" and gap is not None and line is not None:
                blockers.append(
                    _("%(title)s：每人一年还差约 %(gap)s 元，才能超过扶贫标准 %(line)s 元")
                    % {"title": c.title, "gap": f"{gap:,.0f}", "line": f"{line:,.0f}"}
                )
            else:
                blockers.append(f"{c.title}：{c.remedy or c.text}")
        if not checks and meets is False:
            blockers.append(_("%(year)s 年评估未达到脱贫标准") % {"year": year})
    # What is missing in the assistance (no cadre, no measure, visits overdue).
    blockers += [w.message for w in assistance.warnings]

    causes = [_label(codes.CAUSE, c) for c in (h.main_cause, *h.other_causes) if c]
    return Card(
        year=year,
        printed_on=today,
        code=h.code,
        place=division_path_name(h.village_id),
        group_name=h.group_name,
        head_name=head.name if head else "",
        status=h.get_status_display(),
        attribute=h.get_attribute_display(),
        causes=causes,
        members=members,
        income_year=income.year if income else None,
        net_income=Decimal(income.net_income) if income else None,
        household_size=income.household_size if income else None,
        per_capita=per_capita,
        poverty_line=line,
        income_gap=gap,
        meets_standard=meets,
        assessment_note=note,
        checks=checks,
        plan=plan_items,
        plan_note=scrub(assistance.plan.note) if assistance.plan else "",
        measures=measures,
        measures_more=max(0, len(shown) - MAX_MEASURES),
        cadres=cadres,
        last_visit=assistance.last_visit,
        next_step=scrub(latest_visit.next_step) if latest_visit else "",
        blockers=blockers,
    )


def card_year(household: Household, *, today: date | None = None) -> int:
    """The year a card shows by default: the household's latest income year, else this year."""
    latest = household.incomes.order_by("-year").values_list("year", flat=True).first()
    return int(latest) if latest else (today or date.today()).year


def card_pdf(household: Household, year: int, *, today: date | None = None) -> bytes:
    """Return the household's 明白卡 for ``year`` as a one-page A4 PDF."""
    return template_pdf("measures/card.html", {"card": card_context(household, year, today=today)})
