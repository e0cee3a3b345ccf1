"""What the authorization matrix needs for the precise-measures API (``fupin.api.measures``):
the bodies of its writes, such as an allowed user could send with success at a place, and a
measure to name by id. Each is made for the place's household or village (``by=None``), so a
request's position is the place's."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta

from django.utils import timezone

from fupin.measures.models import Cadre, Measure, Pairing, TeamMember, WorkTeam
from fupin.measures.services import cadre_create, team_create, team_member_add
from fupin.registry.models import Household

_serial = itertools.count(1)

Body = Callable[[str, str], tuple[dict[str, object], bool]]


def _cadre(county: str) -> Cadre:
    return cadre_create(county_code=county, name="矩阵", unit="矩阵单位", by=None)


def measure_at(household_code: str) -> int:
    """A measure of the household (made once)."""
    household = Household.objects.get(code=household_code)
    measure = Measure.objects.filter(household=household).first()
    if measure is None:
        measure = Measure.objects.create(
            household=household, year=2016, category="education", start=date(2016, 3, 1)
        )
    return measure.pk


def _pairing_body(household: str, village: str) -> tuple[dict[str, object], bool]:
    # Each assignment starts later than the last, so it may replace the current pairing.
    start = date(2019, 1, 1) + timedelta(days=next(_serial))
    return {"cadre": _cadre(village[:6]).pk, "start": start.isoformat()}, False


def _visit_body(household: str, village: str) -> tuple[dict[str, object], bool]:
    current = Pairing.objects.filter(household__code=household, end__isnull=True).first()
    if current is None:
        current = Pairing.objects.create(
            household=Household.objects.get(code=household),
            cadre=_cadre(village[:6]),
            start=date(2016, 1, 1),
        )
    today = timezone.localdate().isoformat()
    return {"cadre": current.cadre_id, "date": today, "content": "矩阵走访"}, False


def _attendance_body(household: str, village: str) -> tuple[dict[str, object], bool]:
    team = WorkTeam.objects.filter(village_id=village, end__isnull=True).first()
    if team is None:
        team = team_create(
            village_code=village, sending_unit="矩阵单位", start=date(2016, 1, 1), by=None
        )
    member: TeamMember = team_member_add(
        team=team, name="矩阵", unit="矩阵单位", role="member", start=date(2016, 1, 1), by=None
    )
    return {"member": member.pk, "month": "2016-01-01", "days_present": 20}, False


#: URL name → body for a place (household code, village code), and whether it names an object.
BODIES: dict[str, Body] = {
    "api-v1:household_measure_record": lambda h, v: (
        {"category": "education", "start": "2016-03-01"},
        False,
    ),
    "api-v1:measure_status": lambda h, v: ({"status": "done"}, False),
    "api-v1:household_plan_save": lambda h, v: ({"items": [{"category": "education"}]}, False),
    "api-v1:household_pairing_assign": _pairing_body,
    "api-v1:household_visit_record": _visit_body,
    # The county is in the body: the request's position is the place's county.
    "api-v1:cadre_create": lambda h, v: (
        {"county_code": v[:6], "name": "矩阵", "unit": "矩阵单位"},
        True,
    ),
    "api-v1:village_team_attendance": _attendance_body,
}
