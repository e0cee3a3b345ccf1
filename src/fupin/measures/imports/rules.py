"""The measure rules of ``services.measure_problems`` for the many rows of an import.

Per row ``measure_problems`` builds the facts of every member of the household (an age each)
and runs ``pm.check``. What ``pm.check`` reads is much less: of the household's members only
what is the same on every day (labour capacity, health, 低保, 特困) and only whether *some*
member has it; of the dates only whether the end is before the start; of the household
nothing at all outside the categories with household rules (``HOUSEHOLD_RULES``: 小额信贷,
兜底, 公益岗位, 危房改造). So an import checks each row with ``pm.check`` itself, memoised on
a key of exactly those facts — a file of a million rows needs a few thousand checks.
``tests/measures/test_imports_rules.py`` proves on generated facts (edge values included)
that ``pm.check`` refuses the reduced facts exactly as the full ones, code and message, and
that ``MeasureRules`` answers as ``services.measure_problems`` on the registry's households.

Anything unusual (a member not of the household, beneficiaries listed) goes to
``services.measure_problems`` unchanged, so its messages stay the services' own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from fupin.measures import services
from fupin.policy import measures as pm
from fupin.registry.models import Member

#: Distinct facts kept in the memo at most (a file of a million different rows stays small).
MEMO_MAX = 200_000


def reduced_members(members: Iterable[pm.MemberFacts]) -> tuple[pm.MemberFacts, ...]:
    """The distinct day-independent facts of a household's members, in a fixed order."""
    distinct = {
        pm.MemberFacts(
            age=None,
            labour_capacity=m.labour_capacity,
            health=m.health,
            dibao=m.dibao,
            tekun=m.tekun,
        )
        for m in members
    }
    return tuple(sorted(distinct, key=lambda f: (f.labour_capacity, f.health, f.dibao, f.tekun)))


HOUSEHOLD_RULES = pm.HOUSEHOLD_RULE_CATEGORIES


def _member(m: Member, on: date) -> pm.MemberFacts:
    return services._member_facts(m, on)


class MeasureRules:
    """``services.measure_problems`` for many rows of one import (same problems, same order).

    ``pm.check`` runs once per distinct *key* of what it reads: the measure's cells, with the
    start and end left out unless the end is before the start (the only rule on dates), and —
    for the categories of ``HOUSEHOLD_RULES`` only — the household's status, attribute, house
    grade, reduced members and the target member's facts on the start day.
    """

    def __init__(self, p: pm.MeasureParameters) -> None:
        self.p = p
        self._members: dict[int, tuple[pm.MemberFacts, ...]] = {}
        self._memo: dict[tuple[Any, ...], tuple[services.FieldProblem, ...]] = {}

    def _household_members(self, ctx: services.HouseholdContext) -> tuple[pm.MemberFacts, ...]:
        key = ctx.household.pk
        found = self._members.get(key)
        if found is None:
            found = self._members[key] = reduced_members(
                pm.MemberFacts(
                    age=None,
                    labour_capacity=m.labour_capacity,
                    health=m.health,
                    dibao=m.dibao,
                    tekun=m.tekun,
                )
                for m in ctx.members.values()
            )
        return found

    def problems(
        self, m: services.MeasureInput, ctx: services.HouseholdContext, member_id_number: str = ""
    ) -> tuple[list[services.FieldProblem], Member | None]:
        """The problems of ``m`` (whose target member is ``member_id_number`` when given)."""
        wanted = member_id_number or m.member_id_number
        member = None
        if wanted:
            member = ctx.members.get(wanted)
            if member is None:
                return self._services(m, ctx, wanted)
        if m.beneficiary_id_numbers:
            return self._services(m, ctx, wanted)
        start: date | None = m.start
        end: date | None = m.end
        if not (start and end and end < start):
            start = end = None
        household: tuple[Any, ...] | None = None
        target = None
        if m.category in HOUSEHOLD_RULES:
            h = ctx.household
            target = _member(member, m.start) if member is not None else None
            household = (
                h.status,
                h.attribute,
                ctx.house_grade,
                self._household_members(ctx),
                target,
            )
        key = (
            m.category,
            m.subtype,
            None if m.amount is None else str(m.amount),  # 1.0 == 1.00, but messages show it
            start,
            end,
            m.term_months,
            m.purpose,
            m.reason,
            household,
        )
        found = self._memo.get(key)
        if found is None:
            facts = pm.MeasureFacts(
                category=m.category,
                subtype=m.subtype,
                amount=m.amount,
                start=start,
                end=end,
                term_months=m.term_months,
                purpose=m.purpose,
                reason=m.reason,
            )
            if household is not None:
                facts = replace(
                    facts,
                    household_status=household[0],
                    household_attribute=household[1],
                    house_grade=household[2],
                    members=household[3],
                    target=target,
                )
            found = tuple(
                services.FieldProblem("rule", r.code.value, r.message)
                for r in pm.check(facts, self.p)
            )
            if len(self._memo) < MEMO_MAX:
                self._memo[key] = found
        return list(found), member

    def _services(
        self, m: services.MeasureInput, ctx: services.HouseholdContext, wanted: str
    ) -> tuple[list[services.FieldProblem], Member | None]:
        if wanted != m.member_id_number:
            m = replace(m, member_id_number=wanted)
        return services.measure_problems(m, ctx, self.p)


def blank_household(f: pm.MeasureFacts) -> pm.MeasureFacts:
    """The facts the import checks for ``f``: the dates left out unless the end is before the
    start, and the household left out for a category outside ``HOUSEHOLD_RULES``."""
    if not (f.start and f.end and f.end < f.start):
        f = replace(f, start=None, end=None)
    if f.category in HOUSEHOLD_RULES:
        return replace(f, members=reduced_members(f.members))
    return pm.MeasureFacts(
        category=f.category,
        subtype=f.subtype,
        amount=f.amount,
        start=f.start,
        end=f.end,
        term_months=f.term_months,
        purpose=f.purpose,
        reason=f.reason,
    )
