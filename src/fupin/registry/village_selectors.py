"""Read village facts (村情) and county statistics."""

from __future__ import annotations

from django.db.models import QuerySet

from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q, validate_code
from fupin.registry.village import CountyStatistics, VillageFacts


def village_facts_get(village_code: str, year: int) -> VillageFacts | None:
    """Return the facts of one village for a year, or None when nothing is recorded."""
    return VillageFacts.objects.filter(village_id=village_code, year=year).first()


def village_facts_for(division_code: str, year: int) -> QuerySet[VillageFacts]:
    """Return the recorded facts of the villages under a division for a year, by village code."""
    code = validate_code(division_code)
    return (
        VillageFacts.objects.filter(subtree_q(code, field="village__code"), year=year)
        .select_related("village")
        .order_by("village_id")
    )


def villages_under(division_code: str) -> QuerySet[Division]:
    """Return the villages (level 5) under a division, in code order."""
    code = validate_code(division_code)
    return Division.objects.filter(subtree_q(code), level=5).order_by("code")


def county_statistics_get(county_code: str, year: int) -> CountyStatistics | None:
    """Return the statistics of one county for a year, or None."""
    return CountyStatistics.objects.filter(county_id=county_code, year=year).first()


def county_statistics_for(division_code: str, year: int) -> QuerySet[CountyStatistics]:
    """Return the statistics of the counties under a division (or of its county) for a year."""
    code = validate_code(division_code)
    county_q = subtree_q(code[:6], field="county__code") if len(code) > 6 else None
    qs = CountyStatistics.objects.filter(year=year)
    qs = qs.filter(county_q) if county_q is not None else qs.filter(subtree_q(code, "county__code"))
    return qs.order_by("county_id")
