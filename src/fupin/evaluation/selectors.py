"""Reads of the exit evaluation, limited to the reader's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from fupin.divisions.selectors import subtree_q
from fupin.evaluation.models import CountyEvaluation, EvaluationSample, VillageExitAssessment


def village_exit_rows(
    *, scope: str, division_code: str, year: int
) -> QuerySet[VillageExitAssessment]:
    """The village assessments of a year under ``division_code`` that lie in ``scope``."""
    qs = VillageExitAssessment.objects.filter(
        subtree_q(division_code, field="village__code"), year=year
    )
    if scope:
        qs = qs.filter(subtree_q(scope, field="village__code"))
    return qs.select_related("village").order_by("village_id")


def village_exit_years(*, division_code: str) -> list[int]:
    return sorted(
        set(
            VillageExitAssessment.objects.filter(
                subtree_q(division_code, field="village__code")
            ).values_list("year", flat=True)
        ),
        reverse=True,
    )


def county_evaluations(*, scope: str, county: str | None = None) -> QuerySet[CountyEvaluation]:
    """The county evaluations whose county lies in ``scope`` (the county's own office, its
    inspectors and the levels above), newest first."""
    qs = CountyEvaluation.objects.select_related("county")
    if scope:
        qs = qs.filter(subtree_q(scope, field="county__code"))
    if county:
        qs = qs.filter(county_id=county)
    return qs


def county_evaluation_visible(*, scope: str | None, pk: int) -> CountyEvaluation | None:
    if scope is None:
        return None
    return county_evaluations(scope=scope).filter(pk=pk).first()


def sample_visible(*, scope: str | None, pk: int) -> EvaluationSample | None:
    if scope is None:
        return None
    qs = EvaluationSample.objects.select_related("evaluation", "household", "frame_household")
    if scope:
        qs = qs.filter(subtree_q(scope, field="evaluation__county__code"))
    return qs.filter(pk=pk).first()
