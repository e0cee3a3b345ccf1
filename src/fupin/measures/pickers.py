"""What the phone pages offer to pick: the current pairings a user may record a visit for.

A 帮扶责任人 picks from their own households (``selectors.cadre_households``); a village cadre
recording for a cadre picks a household and cadre among the current pairings under their
division. Both lists put the household longest without a visit first, and each is one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from fupin.divisions.selectors import subtree_q
from fupin.measures.models import Cadre, Pairing
from fupin.measures.selectors import cadre_households
from fupin.measures.services import parameters
from fupin.policy import measures as pm
from fupin.registry.models import Member

#: A village cadre's list shows at most this many pairings; beyond, they search.
PICK_LIMIT = 200


@dataclass(frozen=True)
class VisitPick:
    """One pairing to record a visit for: the household, its head, the cadre, the last visit."""

    pairing: Pairing
    head_name: str
    last_visit: date | None
    overdue: bool

    @property
    def household_code(self) -> str:
        return self.pairing.household.code

    @property
    def cadre(self) -> Cadre:
        return self.pairing.cadre


def _sorted(picks: list[VisitPick]) -> list[VisitPick]:
    """Overdue first, then the longest without a visit, then by household code."""
    return sorted(
        picks,
        key=lambda p: (
            not p.overdue,
            p.last_visit or p.pairing.start,
            p.household_code,
        ),
    )


def cadre_picks(cadre: Cadre, *, as_of: date | None = None) -> list[VisitPick]:
    """The cadre's own current households, overdue first."""
    return _sorted(
        [
            VisitPick(r["pairing"], r["head_name"], r["last_visit"], r["overdue"])
            for r in cadre_households(cadre, as_of=as_of)
        ]
    )


def scope_picks(
    scope: str,
    *,
    q: str = "",
    household_code: str = "",
    limit: int = PICK_LIMIT,
    as_of: date | None = None,
) -> tuple[list[VisitPick], bool]:
    """Current pairings of households under ``scope`` ("" = everywhere), the longest without
    a visit first, optionally matching ``q`` (a 户编号 or part of it, or the head's name) or
    one household; return them and whether more than ``limit`` matched."""
    as_of = as_of or date.today()
    head = Member.objects.filter(household_id=OuterRef("household_id"), relation="head")
    qs = Pairing.objects.filter(end__isnull=True, cadre__active=True).exclude(
        household__status="removed"
    )
    if scope:
        qs = qs.filter(subtree_q(scope, field="household__village__code"))
    if household_code:
        qs = qs.filter(household__code=household_code)
    q = q.strip()
    if q:
        qs = qs.annotate(head_name=Subquery(head.values("name")[:1])).filter(
            Q(household__code__contains=q) | Q(head_name__contains=q)
        )
    else:
        qs = qs.annotate(head_name=Subquery(head.values("name")[:1]))
    rows = list(
        qs.annotate(anchor=Coalesce(F("last_visit"), F("start")))
        .select_related("household", "cadre")
        .order_by("anchor", "household__code", "order")[: limit + 1]
    )
    interval = parameters().visit_interval_days
    picks = [
        VisitPick(
            p,
            p.head_name or "",
            p.last_visit,
            pm.visit_overdue(p.last_visit, p.start, as_of, interval),
        )
        for p in rows[:limit]
    ]
    return picks, len(rows) > limit
