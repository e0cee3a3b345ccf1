"""Generate plausible village facts (村情) and county statistics for a demo county.

Every village of the county that has registered households gets one ``VillageFacts`` row for
the year, and the county one ``CountyStatistics`` row. The figures follow the registry: a
village's rural population is its poor persons divided by an incidence drawn around
``depth`` (0.3 for a deep-poverty county, 0.05 for a shallow one), and the infrastructure and
services are more often missing the deeper the county. A few facts are left blank (not
recorded), as in real surveys. Deterministic by seed; written set-based (one grouped count,
one bulk upsert per table).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import numpy as np
from django.db import transaction
from django.db.models import Count, Q

from fupin.common.errors import FupinError
from fupin.divisions.selectors import division_get, subtree_q
from fupin.registry.models import Member
from fupin.registry.village import CountyStatistics, VillageFacts

#: Share of the facts left blank (not recorded).
BLANK_SHARE = 0.05
#: Persons per household in the villages (rural China, 2010s: about 3.5–4.5).
HOUSEHOLD_SIZE = (3.4, 4.6)
BATCH = 2000
T = TypeVar("T")

#: How much each yes/no fact suffers from depth: P(yes) = 1 − weight × depth × noise.
BOOL_WEIGHTS = {
    "road_hardened": 1.2,
    "power_grid": 0.5,
    "broadband": 2.0,
    "mobile_signal": 1.0,
    "clinic_qualified_doctor": 1.4,
    "cultural_room": 1.6,
    "industry": 1.5,
}
#: The facts that may be left blank (the status and population always come from the list).
BLANKABLE = (
    *BOOL_WEIGHTS,
    "natural_villages",
    "safe_water_share",
    "collective_income",
    "township_distance_km",
    "households_total",
)


@dataclass(frozen=True)
class GeneratedFacts:
    villages: int
    population: int
    rural_disposable_income: Decimal


def _registered_persons(county_code: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Per village with registered households: its code, registered persons, poor persons
    (未脱贫 or 返贫: the persons the incidence counts)."""
    rows = (
        Member.objects.filter(subtree_q(county_code, field="household__village__code"))
        .exclude(household__status="removed")
        .values("household__village_id")
        .annotate(
            n=Count("pk"),
            poor=Count("pk", filter=Q(household__status__in=["poor", "returned"])),
        )
        .order_by("household__village_id")
        .values_list("household__village_id", "n", "poor")
    )
    rows_ = list(rows)
    return (
        [v for v, _, _ in rows_],
        np.array([n for _, n, _ in rows_], dtype=np.int64),
        np.array([p for _, _, p in rows_], dtype=np.int64),
    )


def village_facts_generate(
    *, county_code: str, year: int, seed: int, depth: float
) -> GeneratedFacts:
    """Write the facts of every village of the county with registered households, and the
    county's statistics, for ``year``; replace what the generator wrote before. Return counts.
    """
    county = division_get(county_code)
    if county.level != 3:
        raise FupinError(
            "COUNTY_STATISTICS_NOT_COUNTY", f"{county.name}（{county.code}）不是县级区划"
        )
    if not 0 < depth < 1:
        raise FupinError("SYNTH_DEPTH_INVALID", "depth（贫困深度）应在 0 与 1 之间，如 0.3 或 0.05")
    codes, registered, poor = _registered_persons(county.code)
    rng = np.random.default_rng([seed, year, int(county.code)])
    n = len(codes)
    # Incidence around depth: a beta distribution with mean = depth, fairly concentrated.
    concentration = 12.0
    incidence = rng.beta(depth * concentration, (1 - depth) * concentration, n)
    incidence = np.clip(incidence, 0.01, 0.9)
    # The poor persons over the population give the drawn incidence (as the indicators count).
    population = np.maximum(registered, np.ceil(poor / incidence)).astype(np.int64)
    size = rng.uniform(*HOUSEHOLD_SIZE, n)
    households = np.maximum(1, np.round(population / size)).astype(np.int64)
    # A village's own hardship: villages poorer than the county's average lack more.
    hardship = np.clip(incidence / depth, 0.3, 3.0) * depth
    flags = {
        name: rng.random(n) >= np.clip(weight * hardship, 0.0, 0.97)
        for name, weight in BOOL_WEIGHTS.items()
    }
    natural = rng.integers(2, 16, n)
    road_share = np.clip(1 - 1.3 * hardship + rng.normal(0, 0.1, n), 0, 1)
    natural_road = rng.binomial(natural, road_share)
    water = np.clip(100 - 100 * hardship * rng.uniform(0.3, 1.3, n), 20, 100).round(2)
    no_income = rng.random(n) < np.clip(1.5 * hardship, 0, 0.9)
    income = np.where(no_income, 0.0, rng.lognormal(np.log(30000), 0.8, n)).round(2)
    distance = (rng.gamma(2.0, 3 + 25 * depth, n) + 0.5).round(1)
    blank = {name: rng.random(n) < BLANK_SHARE for name in BLANKABLE}
    status = np.where(
        incidence >= 0.2, "deep_poor", np.where(incidence >= 0.03, "poor", "non_poor")
    )

    def maybe(name: str, i: int, value: T) -> T | None:
        return None if blank[name][i] else value

    rows = []
    for i, code in enumerate(codes):  # building new rows from arrays, not reading ORM rows
        rows.append(
            VillageFacts(
                village_id=code,
                year=year,
                source="import",
                poverty_status=str(status[i]),
                poverty_status_since=2014 if status[i] != "non_poor" else None,
                population=int(population[i]),
                households_total=maybe("households_total", i, int(households[i])),
                natural_villages=maybe("natural_villages", i, int(natural[i])),
                natural_villages_road=(
                    None if blank["natural_villages"][i] else int(natural_road[i])
                ),
                safe_water_share=maybe("safe_water_share", i, Decimal(str(water[i]))),
                collective_income=maybe("collective_income", i, Decimal(f"{income[i]:.2f}")),
                township_distance_km=maybe(
                    "township_distance_km", i, Decimal(f"{distance[i]:.1f}")
                ),
                **{name: maybe(name, i, bool(flags[name][i])) for name in BOOL_WEIGHTS},
            )
        )
    total = int(population.sum())
    base = 12000 - (4000 * min(depth, 0.4) / 0.4)
    disposable = Decimal(f"{float(np.clip(base + rng.normal(0, 300), 8000, 12000)):.2f}")
    fields = [
        f.name
        for f in VillageFacts._meta.concrete_fields
        if f.name not in ("id", "village", "year", "created_at", "field_sources")
    ]
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            VillageFacts.objects.bulk_create(
                rows[start : start + BATCH],
                update_conflicts=True,
                unique_fields=["village", "year"],
                update_fields=fields,
            )
        CountyStatistics.objects.bulk_create(
            [
                CountyStatistics(
                    county_id=county.code,
                    year=year,
                    source="import",
                    rural_disposable_income=disposable,
                    rural_population=total,
                )
            ],
            update_conflicts=True,
            unique_fields=["county", "year"],
            update_fields=["rural_disposable_income", "rural_population", "source", "updated_at"],
        )
    return GeneratedFacts(villages=n, population=total, rural_disposable_income=disposable)
