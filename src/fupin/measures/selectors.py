"""Reads of precise measures: a household's plan, measures, cadres and visits; the suggestion
for one household or a county; overdue visits and households without a cadre or a measure;
work-team presence. The lists are set-based (one query each, whatever the number of rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis.expr.types as ir
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext

from fupin.assessment.adapters import to_sql
from fupin.divisions.selectors import subtree_q
from fupin.measures.models import (
    Attendance,
    Cadre,
    LeaveRequest,
    Measure,
    Pairing,
    Plan,
    TeamMember,
    Visit,
    WorkTeam,
)
from fupin.measures.services import parameters
from fupin.policy import codes
from fupin.policy import measures as pm
from fupin.registry.models import Household, LivingConditions, Member

ASSISTED = pm.ASSISTED

# -- the suggestion -------------------------------------------------------------------------------


def suggestion_inputs(
    division_code: str = "", household_id: int | None = None
) -> pm.SuggestionInputs:
    """The suggestion's inputs over the registry tables, limited to a division or household."""
    base = pm.SuggestionInputs.unbound(
        {
            "household": Household._meta.db_table,
            "member": Member._meta.db_table,
            "conditions": LivingConditions._meta.db_table,
        }
    )
    h, m, c = base.household, base.member, base.conditions
    if household_id is not None:
        h = h.filter(h.id == household_id)
        m = m.filter(m.household_id == household_id)
        c = c.filter(c.household_id == household_id)
    elif division_code:
        # The range beside startswith lets SQLite use the village index (its LIKE cannot).
        h = h.filter(
            h.village_id.startswith(division_code),
            h.village_id >= division_code,
            h.village_id <= division_code.ljust(12, "9"),
        )
    return pm.SuggestionInputs(h, m, c)


def _fetch(expr: ir.Table) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(to_sql(expr))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def household_suggestions(household: Household, year: int) -> list[pm.Suggestion]:
    """The suggested measures of one household (any status), in catalogue order."""
    inputs = suggestion_inputs(household_id=household.pk)
    rows = _fetch(pm.suggestions_wide(inputs, year, statuses=codes.POVERTY_STATUS.codes))
    if not rows:
        return []
    return [pm.SUGGESTION_BY_CODE[c] for c in pm.suggested_codes(rows[0])]


def suggestion_counts(division_code: str, year: int) -> dict[str, int]:
    """How many poor households under a division each suggestion applies to."""
    wide = pm.suggestions_wide(suggestion_inputs(division_code), year)
    agg = wide.aggregate(
        households=wide.count(), **{s.code: wide[s.column].sum() for s in pm.SUGGESTIONS}
    )
    row = _fetch(agg)[0]
    return {k: int(v or 0) for k, v in row.items()}


# -- one household --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssistanceGap:
    """What is missing in a household's assistance: a stable code and the sentence in the
    active language (the page and the 明白卡 show the sentence, the API the code)."""

    code: str  # ASSIST_NO_CADRE, ASSIST_NO_MEASURE, ASSIST_VISIT_OVERDUE
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class HouseholdMeasures:
    """What the household page and the 明白卡 show about assistance."""

    plan: Plan | None
    measures: list[Measure]
    pairings: list[Pairing]
    visits: list[Visit]
    suggestions: list[pm.Suggestion]
    last_visit: date | None
    overdue: bool
    warnings: list[AssistanceGap] = field(default_factory=list)

    @property
    def current_cadres(self) -> list[Cadre]:
        return [p.cadre for p in self.pairings if p.end is None]

    @property
    def carried_out(self) -> list[Measure]:
        return [m for m in self.measures if m.status in pm.CARRIED_OUT]


def household_measures(
    household: Household, year: int, *, today: date | None = None
) -> HouseholdMeasures:
    """The plan of ``year``, every measure with its beneficiaries, the pairings and the latest
    visits (five queries)."""
    today = today or date.today()
    plan = (
        Plan.objects.filter(household=household, year=year)
        .prefetch_related("items__member", "items__cadre")
        .first()
    )
    measures = list(
        Measure.objects.filter(household=household)
        .select_related("member", "cadre")
        .prefetch_related("beneficiaries")
        .order_by("-year", "-start", "-pk")
    )
    pairings = list(
        Pairing.objects.filter(household=household)
        .select_related("cadre")
        .order_by("end", "-start")
    )
    visits = list(
        Visit.objects.filter(household=household)
        .select_related("cadre")
        .order_by("-date", "-pk")[:24]
    )
    last = visits[0].date if visits else None
    current = [p for p in pairings if p.end is None]
    interval = parameters().visit_interval_days
    overdue = bool(current) and pm.visit_overdue(
        last, min(p.start for p in current), today, interval
    )
    warnings = []
    if household.status in ASSISTED and not current:
        warnings.append(AssistanceGap("ASSIST_NO_CADRE", gettext("尚未安排帮扶责任人")))
    if household.status in ASSISTED and not any(m.status in pm.CARRIED_OUT for m in measures):
        warnings.append(AssistanceGap("ASSIST_NO_MEASURE", gettext("尚未落实帮扶措施")))
    if overdue:
        warnings.append(
            AssistanceGap(
                "ASSIST_VISIT_OVERDUE",
                gettext("超过 %(interval)s 天未走访") % {"interval": interval},
            )
        )
    return HouseholdMeasures(
        plan=plan,
        measures=measures,
        pairings=pairings,
        visits=visits,
        suggestions=household_suggestions(household, year),
        last_visit=last,
        overdue=overdue,
        warnings=warnings,
    )


def measures_carried_out(household: Household, *, on: date | None = None) -> int:
    """How many measures have been carried out for a household (in progress or done, begun by
    ``on``): what exit readiness and risk elimination read."""
    qs = Measure.objects.filter(household=household, status__in=pm.CARRIED_OUT)
    if on is not None:
        qs = qs.filter(start__lte=on)
    return qs.count()


# -- lists for the township and county ------------------------------------------------------------


def _under(division_code: str, field_name: str = "village") -> Q:
    """Rows whose division (``field_name``, a division foreign key) lies under the code."""
    if not division_code:
        return Q()
    return subtree_q(division_code, field=f"{field_name}__code")


def overdue_visits(
    division_code: str, *, as_of: date | None = None, interval_days: int | None = None
) -> QuerySet[Pairing]:
    """Current pairings of households under a division with no visit in the interval (counted
    from the pairing's start when never visited); each row has ``last_visit`` (or None)."""
    as_of = as_of or date.today()
    interval = interval_days if interval_days is not None else parameters().visit_interval_days
    cutoff = as_of - timedelta(days=interval)
    # ``last_visit`` is kept on the pairing by every path that writes visits.
    return (
        Pairing.objects.filter(_under(division_code, "household__village"), end__isnull=True)
        .filter(start__lt=cutoff)
        .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=cutoff))
        .exclude(household__status__in=("removed",))
        .select_related("household", "household__village", "cadre")
        .order_by("household__village_id", "household__code")
    )


def unpaired_households(division_code: str) -> QuerySet[Household]:
    """Registered poor households under a division without a current 帮扶责任人."""
    current = Pairing.objects.filter(household_id=OuterRef("pk"), end__isnull=True)
    return (
        Household.objects.filter(_under(division_code), status__in=ASSISTED)
        .exclude(Exists(current))
        .select_related("village")
        .order_by("village_id", "code")
    )


def households_without_measure(division_code: str, year: int | None = None) -> QuerySet[Household]:
    """Registered poor households under a division with no measure carried out (of ``year``
    when given — the count the rollups keep per year)."""
    done = Measure.objects.filter(household_id=OuterRef("pk"), status__in=pm.CARRIED_OUT)
    if year is not None:
        done = done.filter(year=year)
    return (
        Household.objects.filter(_under(division_code), status__in=ASSISTED)
        .exclude(Exists(done))
        .select_related("village")
        .order_by("village_id", "code")
    )


def measure_counts(division_code: str, year: int | None = None) -> list[dict[str, Any]]:
    """Measures carried out under a division by category: count, households, amount."""
    qs = Measure.objects.filter(
        _under(division_code, "household__village"), status__in=pm.CARRIED_OUT
    )
    if year is not None:
        qs = qs.filter(year=year)
    rows = (
        qs.values("category")
        .annotate(
            n=Count("id"), households=Count("household_id", distinct=True), amount=Sum("amount")
        )
        .order_by("-n")
    )
    return [
        {**r, "label": pm.MEASURE_CATEGORY.label_of(r["category"]), "amount": r["amount"] or 0}
        for r in rows
    ]


@dataclass(frozen=True)
class AssistanceSummary:
    poor: int
    unpaired: int
    without_measure: int
    overdue: int
    measures: list[dict[str, Any]]


def assisted_households(division_code: str) -> QuerySet[Household]:
    """The registered poor (and returned) households under a division."""
    return Household.objects.filter(_under(division_code), status__in=ASSISTED)


def assistance_summary(
    division_code: str, *, year: int, as_of: date | None = None
) -> AssistanceSummary:
    """The counts the home page and the county roll-up show (four aggregate queries)."""
    return AssistanceSummary(
        poor=assisted_households(division_code).count(),
        unpaired=unpaired_households(division_code).count(),
        without_measure=households_without_measure(division_code, year).count(),
        overdue=overdue_visits(division_code, as_of=as_of).count(),
        measures=measure_counts(division_code, year),
    )


def cadre_for_user(user: Any) -> Cadre | None:
    """The 帮扶责任人 record linked to a user, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Cadre.objects.filter(user_id=user.pk, active=True).first()


def cadre_households(cadre: Cadre, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """A cadre's current households with the head's name and the last visit (one query)."""
    as_of = as_of or date.today()
    head = Member.objects.filter(household_id=OuterRef("household_id"), relation="head")
    rows = (
        Pairing.objects.filter(cadre=cadre, end__isnull=True)
        .annotate(head_name=head.values("name")[:1])
        .select_related("household", "household__village")
        .order_by("household__village_id", "household__code")
    )
    interval = parameters().visit_interval_days
    return [
        {
            "pairing": p,
            "household": p.household,
            "head_name": p.head_name or "",
            "last_visit": p.last_visit,
            "overdue": pm.visit_overdue(p.last_visit, p.start, as_of, interval),
        }
        for p in rows
    ]


# -- work teams -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberPresence:
    member: TeamMember
    days_present: int
    days_leave: int
    days_official: int
    months: int
    short_months: int  # months recorded below the monthly presence rule
    meets_year: bool
    pending_leave: int


@dataclass(frozen=True)
class TeamPresence:
    team: WorkTeam
    members: list[MemberPresence]

    @property
    def size_ok(self) -> bool:
        return sum(1 for m in self.members if m.member.end is None) >= parameters().team_min_size

    @property
    def below_rule(self) -> list[MemberPresence]:
        return [m for m in self.members if not m.meets_year or m.short_months]

    @property
    def first_secretary(self) -> TeamMember | None:
        return next(
            (
                m.member
                for m in self.members
                if m.member.role == "first_secretary" and m.member.end is None
            ),
            None,
        )


def team_presence(
    division_code: str, year: int, *, as_of: date | None = None
) -> list[TeamPresence]:
    """Presence of every current team under a division in ``year``: days in the village per
    member, months below the monthly rule, whether the yearly rule is met pro rata for the
    months recorded (two queries)."""
    p = parameters()
    teams = list(
        WorkTeam.objects.filter(_under(division_code), end__isnull=True)
        .select_related("village")
        .prefetch_related("members")
        .order_by("village_id")
    )
    stats = (
        Attendance.objects.filter(member__team__in=teams, month__year=year)
        .values("member_id")
        .annotate(
            present=Sum("days_present"),
            leave=Sum("days_leave"),
            official=Sum("days_official"),
            months=Count("id"),
            short=Count("id", filter=Q(days_present__lt=p.presence_days_per_month)),
        )
    )
    by_member: dict[int, dict[str, Any]] = {s["member_id"]: dict(s) for s in stats}
    pending = dict(
        LeaveRequest.objects.filter(member__team__in=teams, status="pending")
        .values_list("member_id")
        .annotate(n=Count("id"))
    )
    out = []
    for team in teams:
        members = []
        for member in team.members.all():
            s = by_member.get(member.pk, {})
            months = int(s.get("months") or 0)
            present = int(s.get("present") or 0)
            # pro rata: the yearly days × months recorded / 12 (a full year = the whole rule);
            # off-site official business counts as in the village ([C13]).
            needed = p.presence_days_per_year * months / 12
            members.append(
                MemberPresence(
                    member=member,
                    days_present=present,
                    days_leave=int(s.get("leave") or 0),
                    days_official=int(s.get("official") or 0),
                    months=months,
                    short_months=int(s.get("short") or 0),
                    meets_year=months > 0 and present + int(s.get("official") or 0) >= needed,
                    pending_leave=int(pending.get(member.pk, 0)),
                )
            )
        out.append(TeamPresence(team, members))
    return out


def county_presence_rollup(division_code: str, year: int) -> list[dict[str, Any]]:
    """Per county under a division: current teams, their members, members below the presence
    rule, teams below the minimum size, and overdue visits. Presence is summed per team from
    ``team_presence`` (two queries; its rows grow with the teams, about one per village, not
    with the households)."""
    teams = team_presence(division_code, year)
    out: dict[str, dict[str, Any]] = {}
    for t in teams:
        county = t.team.village_id[:6]
        row = out.setdefault(
            county, {"county": county, "teams": 0, "members": 0, "below": 0, "small_teams": 0}
        )
        row["teams"] += 1
        row["members"] += len(t.members)
        row["below"] += len(t.below_rule)
        row["small_teams"] += 0 if t.size_ok else 1
    overdue = (
        overdue_visits(division_code)
        .order_by()
        .annotate(county=Substr("household__village_id", 1, 6))
        .values("county")
        .annotate(n=Count("id"))
    )
    for r in overdue:
        row = out.setdefault(
            r["county"],
            {"county": r["county"], "teams": 0, "members": 0, "below": 0, "small_teams": 0},
        )
        row["overdue"] = r["n"]
    for row in out.values():
        row.setdefault("overdue", 0)
    return sorted(out.values(), key=lambda r: r["county"])


def plans_missing(division_code: str, year: int) -> QuerySet[Household]:
    """Poor households under a division without a plan for ``year``."""
    plans = Plan.objects.filter(household_id=OuterRef("pk"), year=year)
    return Household.objects.filter(_under(division_code), status__in=ASSISTED).exclude(
        Exists(plans)
    )
