"""The precise-measures step of ``fupin demo``: every poor household of the demo county gets a
plan from the suggestion, most of them measures carried out, a 帮扶责任人 (≤ 5 households
each) with a year of visits (some overdue), and every village a work team with its attendance
(one team below the presence rule). One demo account ``cadre`` is a 帮扶责任人 who can sign in.

Plans and measures belong to the demo's registry year (the facts they are drawn from);
pairings and work teams start on 1 January of that year, and visits and attendance cover the
year before the day the demo is built, so the overdue lists and presence pages, which look at
today, show a live picture.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.accounts.services import DEMO_PASSWORD
from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q
from fupin.measures import bulk, selectors
from fupin.measures.models import Cadre, Measure, Pairing, Plan, PlanItem, Visit, WorkTeam
from fupin.registry.models import Household

CADRE_USERNAME = "cadre"


@dataclass(frozen=True)
class MeasuresDemo:
    poor: int
    plans: int
    plan_items: int
    measures: int
    without_measure: int
    cadres: int
    pairings: int
    visits: int
    overdue: int
    teams: int
    teams_below: int
    cadre_username: str
    cadre_name: str
    cadre_village: str


def _cadre_account(*, county: str, village: str, today: date) -> tuple[Cadre | None, str]:
    """The demo account of a 帮扶责任人: a village cadre linked to a cadre paired with households
    of ``village`` (one with an overdue household when there is one), or of the county's first
    village with pairings when ``village`` has no poor household. Return the cadre and village."""
    user, _ = get_user_model().objects.get_or_create(username=CADRE_USERNAME)
    user.set_password(DEMO_PASSWORD)
    user.save()
    linked = Cadre.objects.filter(user=user).first()
    current = Pairing.objects.filter(end__isnull=True, order="first")
    if linked is not None:
        village = str(
            current.filter(cadre=linked).values_list("household__village_id", flat=True).first()
            or village
        )
    else:
        if not current.filter(household__village_id=village).exists():
            village = str(
                current.filter(subtree_q(county, field="household__village__code"))
                .order_by("household__village_id")
                .values_list("household__village_id", flat=True)
                .first()
                or village
            )
        here = current.filter(household__village_id=village).order_by("cadre_id")
        overdue = selectors.overdue_visits(village, as_of=today).values_list("cadre_id", flat=True)
        cadre_id = (
            here.filter(cadre_id__in=list(overdue)).values_list("cadre_id", flat=True).first()
            or here.values_list("cadre_id", flat=True).first()
        )
        if cadre_id is not None:
            Cadre.objects.filter(pk=cadre_id).update(user=user)
            linked = Cadre.objects.get(pk=cadre_id)
    Profile.objects.update_or_create(
        user=user, defaults={"division_id": village or None, "role": Role.VILLAGE_CADRE}
    )
    return linked, village


@transaction.atomic
def measures_demo_create(
    *, county: str, year: int, seed: int, village: str, today: date | None = None
) -> MeasuresDemo:
    """Build (or complete, when some of it exists) the precise-measures demo of a county."""
    today = today or timezone.localdate()
    start = date(year, 1, 1)
    bulk.plans_from_suggestions(division_code=county, year=year)
    bulk.cadres_generate(county_code=county, year=year, seed=seed + 30, start=start)
    bulk.measures_generate(division_code=county, year=year, seed=seed + 31, today=today)
    bulk.visits_generate(county_code=county, seed=seed + 32, today=today)
    bulk.teams_generate(county_code=county, year=year, seed=seed + 33, today=today, start=start)
    cadre, village = _cadre_account(county=county, village=village, today=today)
    under = subtree_q(county, field="household__village__code")
    last_month = today.replace(day=1) - timedelta(days=1)
    teams = selectors.team_presence(county, last_month.year)
    return MeasuresDemo(
        poor=Household.objects.filter(
            subtree_q(county, field="village__code"), status__in=selectors.ASSISTED
        ).count(),
        plans=Plan.objects.filter(under, year=year).count(),
        plan_items=PlanItem.objects.filter(
            subtree_q(county, field="plan__household__village__code"), plan__year=year
        ).count(),
        measures=Measure.objects.filter(under, year=year).count(),
        without_measure=selectors.households_without_measure(county, year).count(),
        cadres=Cadre.objects.filter(county_id=county).count(),
        pairings=Pairing.objects.filter(under, end__isnull=True).count(),
        visits=Visit.objects.filter(under).count(),
        overdue=selectors.overdue_visits(county, as_of=today).count(),
        teams=WorkTeam.objects.filter(
            subtree_q(county, field="village__code"), end__isnull=True
        ).count(),
        teams_below=sum(1 for t in teams if t.below_rule),
        cadre_username=CADRE_USERNAME,
        cadre_name=cadre.name if cadre is not None else "",
        cadre_village=str(
            Division.objects.filter(code=village).values_list("name", flat=True).first() or village
        ),
    )


def _measures_demo(args: argparse.Namespace) -> MeasuresDemo:
    """The demo step: build the measures demo of ``args.county`` and print one summary line."""
    from fupin.commands.base import console

    village = (
        Profile.objects.filter(user__username="village")
        .values_list("division_id", flat=True)
        .first()
    )
    with console.status("    精准施策：帮扶计划、措施、结对走访、驻村工作队…"):
        d = measures_demo_create(
            county=args.county, year=args.year, seed=args.seed, village=str(village or "")
        )
    share = (d.poor - d.without_measure) / d.poor if d.poor else 0.0
    console.print(
        f"    精准施策：帮扶计划 {d.plans:,} 户（{d.plan_items:,} 项），帮扶措施 {d.measures:,} 条"
        f"（已落实 {share:.0%} 的贫困户）；帮扶责任人 {d.cadres:,} 人结对 {d.pairings:,} 户，"
        f"走访 {d.visits:,} 次（超期未走访 {d.overdue:,} 户）；驻村工作队 {d.teams:,} 支"
        f"（在村天数不足 {d.teams_below} 支）"
    )
    console.print(
        f"    帮扶责任人账户 {d.cadre_username:<11} {DEMO_PASSWORD}  {d.cadre_name}"
        f"（{d.cadre_village}）"
    )
    return d
