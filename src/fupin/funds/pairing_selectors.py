"""Reads of the pairings between regions and units: the pairings of a division, the
fulfilment table (target, achieved, rate per pairing × year × indicator) and who helps a
county and how much has arrived (the home page's panel). Each read is one statement, however
many pairings there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from fupin.divisions.selectors import ancestor_codes, subtree_q
from fupin.funds.models import (
    Partnership,
    PartnershipAchievement,
    PartnershipFund,
    PartnershipTarget,
)
from fupin.policy import funds as pf
from fupin.policy import funds_pairing as pfp

_MONEY = DecimalField(max_digits=16, decimal_places=2)


def figure(value: Decimal | None, money: bool = True) -> str:
    """``12345.6`` → ``"12,345.60"`` for yuan, ``"12,346"`` for a count; "" for None."""
    if value is None:
        return ""
    return pf.money(value) if money else f"{value:,.0f}"


_ORDER = {ind.code: n for n, ind in enumerate(pfp.INDICATORS)}


def _reach(code: str) -> Q:
    """Pairings helping or helped in ``code``'s subtree, or helping one of its ancestors (浙江
    → 四川 is also a pairing of 昭觉县)."""
    if code == "":
        return Q()
    return (
        subtree_q(code, "helped__code")
        | subtree_q(code, "helper__code")
        | Q(helped_id__in=ancestor_codes(code))
    )


def _in_year(year: int) -> Q:
    return Q(from_year__lte=year) & (Q(to_year__isnull=True) | Q(to_year__gte=year))


def _linked_sum(year: int | None) -> Subquery:
    """Sum of the allocations linked to the outer pairing (of ``year`` when given)."""
    qs = PartnershipFund.objects.filter(partnership=OuterRef("pk"))
    if year is not None:
        qs = qs.filter(allocation__year=year)
    return Subquery(
        qs.order_by().values("partnership").annotate(s=Sum("allocation__amount")).values("s")[:1],
        output_field=_MONEY,
    )


def _achieved_sum(year: int, indicator: str) -> Subquery:
    return Subquery(
        PartnershipAchievement.objects.filter(
            partnership=OuterRef("pk"), year=year, indicator=indicator
        )
        .order_by()
        .values("partnership")
        .annotate(s=Sum("value"))
        .values("s")[:1],
        output_field=_MONEY,
    )


def _target_of(year: int, indicator: str) -> Subquery:
    return Subquery(
        PartnershipTarget.objects.filter(
            partnership=OuterRef("pk"), year=year, indicator=indicator
        ).values("target")[:1],
        output_field=_MONEY,
    )


def partnerships_of(code: str, year: int | None = None) -> QuerySet[Partnership]:
    """The pairings of a division (helping, helped, or helping an ancestor), with their helper
    and helped divisions and ``funds_linked``, the allocations linked to each (of ``year``
    when given, else all years), in one query; those active in ``year`` when given."""
    qs = Partnership.objects.filter(_reach(code)).select_related("helped", "helper")
    if year is not None:
        qs = qs.filter(_in_year(year))
    return qs.annotate(
        funds_linked=Coalesce(_linked_sum(year), Decimal(0), output_field=_MONEY)
    ).order_by("kind", "helped_id", "helper_name", "pk")


@dataclass(frozen=True)
class FulfilmentRow:
    partnership_id: int
    year: int
    indicator: str
    name: str
    unit: str
    money: bool
    target: Decimal | None
    achieved: Decimal | None
    rate: Fraction | None
    note: str

    @property
    def percent(self) -> str:
        return pfp.percent(self.rate)

    @property
    def target_text(self) -> str:
        return figure(self.target, self.money)

    @property
    def achieved_text(self) -> str:
        return figure(self.achieved, self.money)

    @property
    def met(self) -> bool:
        return self.rate is not None and self.rate >= 1


def fulfilment_table(
    partnerships: Iterable[int] | QuerySet[Partnership], year: int | None = None
) -> list[FulfilmentRow]:
    """Target, achieved (sum of the records) and 完成率 per pairing × year × indicator, for
    every indicator with a target row (set, or blank beside recorded achievements: the
    services keep one), in one query; ordered by pairing, year, the indicator list's order.
    A blank target or nothing recorded gives no rate (``fulfilment_note`` says why)."""
    achieved = (
        PartnershipAchievement.objects.filter(
            partnership=OuterRef("partnership"),
            year=OuterRef("year"),
            indicator=OuterRef("indicator"),
        )
        .order_by()
        .values("partnership")
        .annotate(s=Sum("value"))
        .values("s")[:1]
    )
    qs = PartnershipTarget.objects.filter(partnership__in=partnerships)
    if year is not None:
        qs = qs.filter(year=year)
    rows = qs.annotate(achieved=Subquery(achieved, output_field=_MONEY)).values_list(
        "partnership_id", "year", "indicator", "target", "achieved"
    )
    out = []
    for pid, y, code, target, got in rows:
        ind = pfp.indicator(code)
        out.append(
            FulfilmentRow(
                partnership_id=pid,
                year=y,
                indicator=code,
                name=ind.name,
                unit=ind.unit,
                money=ind.money,
                target=target,
                achieved=got,
                rate=pfp.fulfilment(target, got),
                note=pfp.fulfilment_note(target, got),
            )
        )
    out.sort(key=lambda r: (r.partnership_id, r.year, _ORDER.get(r.indicator, 99)))
    return out


@dataclass(frozen=True)
class Helper:
    """One pairing helping a county (or its prefecture, province or one of its villages) in a
    year: the funds linked to it (arrived through the fund ledger), and its 财政援助资金
    target and reported achievement."""

    partnership: Partnership
    kind_label: str
    helper_name: str
    helped_name: str
    above: bool  # the pairing helps the county's prefecture or province
    funds_linked: Decimal
    funds_target: Decimal | None
    funds_reported: Decimal | None

    @property
    def rate(self) -> str:
        return pfp.percent(pfp.fulfilment(self.funds_target, self.funds_reported))

    @property
    def linked_text(self) -> str:
        return figure(self.funds_linked)

    @property
    def target_text(self) -> str:
        return figure(self.funds_target)

    @property
    def reported_text(self) -> str:
        return figure(self.funds_reported)


def helpers_of_county(county_code: str, year: int) -> list[Helper]:
    """Who helps the county in ``year`` and how much has arrived: the pairings helping it, its
    prefecture or province (east–west at those levels), or a village or township in it
    (万企帮万村), active that year, with the year's linked allocations and the 财政援助资金
    target and achievement; one query."""
    county = county_code[:6]
    qs = (
        Partnership.objects.filter(
            subtree_q(county, "helped__code") | Q(helped_id__in=ancestor_codes(county)),
            _in_year(year),
        )
        .select_related("helped")
        .annotate(
            funds_linked=Coalesce(_linked_sum(year), Decimal(0), output_field=_MONEY),
            funds_target=_target_of(year, "funds"),
            funds_reported=_achieved_sum(year, "funds"),
        )
        .order_by(F("helped_id").asc(), "kind", "helper_name", "pk")
    )
    return [
        Helper(
            partnership=p,
            kind_label=pf.PAIRING_KIND.label_of(p.kind),
            helper_name=p.helper_name,
            helped_name=p.helped.name,
            above=len(p.helped_id) < 6,
            funds_linked=p.funds_linked,
            funds_target=p.funds_target,
            funds_reported=p.funds_reported,
        )
        for p in qs
    ]


def partnership_funds(partnership: Partnership) -> QuerySet[PartnershipFund]:
    """The allocations linked to a pairing, newest first."""
    return (
        PartnershipFund.objects.filter(partnership=partnership)
        .select_related("allocation", "allocation__to_division")
        .order_by("-allocation__allocated_on", "-pk")
    )


def partnership_achievements(
    partnership: Partnership, year: int
) -> QuerySet[PartnershipAchievement]:
    """A year's achievement records of a pairing, newest first."""
    return PartnershipAchievement.objects.filter(partnership=partnership, year=year).order_by(
        "-recorded_on", "-pk"
    )


def pairing_years(partnership: Partnership) -> list[int]:
    """The years with targets or achievements of a pairing (one query)."""
    return sorted(
        set(
            PartnershipTarget.objects.filter(partnership=partnership)
            .values_list("year", flat=True)
            .distinct()
        )
    )
