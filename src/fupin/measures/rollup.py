"""The assistance counts of a division read from the pre-computed rollups (``fupin.reports``):
what the home page's 帮扶情况 panel shows, at the cost of two lookups whatever the division's
size, instead of the live aggregates of ``selectors.assistance_summary``.

The rollups count, for a division and year: the households of the ``ASSISTED`` statuses
(未脱贫 and 返贫) first identified by the year (``poor_households + returned_households``),
those with a current 帮扶责任人 (``paired_households``) and those with a measure **of the year**
carried out (``measured_households``), and the measures of the year carried out per category
(``MeasureRollup``). Overdue visits depend on today's date, so they stay live: the overdue
selector, counted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fupin.measures import selectors
from fupin.policy import measures as pm
from fupin.reports.models import DivisionRollup, MeasureRollup


def assistance_rollup(
    division_code: str, *, year: int, as_of: date | None = None
) -> selectors.AssistanceSummary:
    """The ``AssistanceSummary`` of a division ("" for the country) for ``year`` from the
    rollups (as fresh as the last ``rollups_refresh_dirty``); ``overdue`` is counted live as
    of ``as_of`` (default today) by ``selectors.overdue_visits``.

    ``poor`` is the rollups' 未脱贫 + 返贫 households identified by the year (the statuses of
    ``selectors.ASSISTED``); ``unpaired`` = poor − paired; ``without_measure`` = poor − the
    households with a measure of ``year`` carried out.

    A year without rollups (no income, result or measure recorded for it, so none of its
    measures exists) reads the households of the latest year rolled up before it, with no
    household measured; a division with no rollup before the year counts zeros.
    """
    row = (
        DivisionRollup.objects.filter(division_code=division_code, year__lte=year)
        .order_by("-year")
        .values(
            "year",
            "poor_households",
            "returned_households",
            "paired_households",
            "measured_households",
        )
        .first()
    )
    poor = paired = measured = 0
    if row is not None:
        poor = int(row["poor_households"]) + int(row["returned_households"])
        paired = int(row["paired_households"])
        measured = int(row["measured_households"]) if row["year"] == year else 0
    return selectors.AssistanceSummary(
        poor=poor,
        unpaired=max(poor - paired, 0),
        without_measure=max(poor - measured, 0),
        overdue=selectors.overdue_visits(division_code, as_of=as_of).count(),
        measures=rolled_measure_counts(division_code, year),
    )


def rolled_measure_counts(division_code: str, year: int) -> list[dict[str, Any]]:
    """The measures of ``year`` carried out under a division by category, from the rollups —
    the rows of ``selectors.measure_counts`` (one lookup whatever the division's size)."""
    return [
        {
            "category": r["category"],
            "n": int(r["measures"]),
            "households": int(r["households"]),
            "amount": r["amount"],
            "label": pm.MEASURE_CATEGORY.label_of(r["category"]),
        }
        for r in MeasureRollup.objects.filter(division_code=division_code, year=year)
        .order_by("-measures", "category")
        .values("category", "measures", "households", "amount")
    ]
