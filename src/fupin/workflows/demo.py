"""Demo cases: households of one township at every stage of every procedure.

Used by ``fupin demo`` after the demo accounts exist. The village steps are taken by a cadre
of each village (the demo ``village`` account for its own village, a helper account without
password for the others), the township and county steps by the demo ``township`` and
``county`` accounts — through the same services as the pages, set-based where many
households move (``exit_proposals_create``, ``workflow_bulk_advance``). Time does not pass in
a demo: before a step that waits for a notice period, the period is marked as run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db.models import Case as DbCase
from django.db.models import Q, QuerySet, Value, When
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.common.errors import FupinError
from fupin.divisions.selectors import subtree_q
from fupin.policy import workflows as wf
from fupin.registry.models import Household
from fupin.workflows.models import Case
from fupin.workflows.services import (
    case_open,
    exit_proposals_create,
    workflow_bulk_advance,
)

MEETING = {"attendance": 36, "votes_for": 31, "votes_against": 2}
MONITORING_YEAR = 2021


@dataclass
class DemoCases:
    township: str
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    objection_case: int | None = None


def _helper(username: str, role: Role, division: str) -> User:
    """A cadre account without a password, for a division other than the demo accounts'."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Profile.objects.update_or_create(user=user, defaults={"role": role, "division_id": division})
    return user


def _elapse(procedure: str, state: str, ids: Sequence[int]) -> None:
    """Let the notice of these cases run its period (a demo does not wait a week)."""
    Case.objects.filter(
        procedure=procedure, state=state, household_id__in=ids, closed_at__isnull=True
    ).update(notice_until=timezone.now() - timedelta(seconds=1))


def _groups(items: Sequence[int], n: int) -> list[list[int]]:
    """Deal ``items`` into ``n`` groups, round robin (every village gets every stage)."""
    out: list[list[int]] = [[] for _ in range(n)]
    for i, item in enumerate(items):
        out[i % n].append(item)
    return out


def _data(step: wf.StepDef, today: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if wf.Evidence.MEETING in step.evidence:
        data.update(MEETING, meeting_date=today)
    if wf.Evidence.CONSENT in step.evidence:
        data["consent"] = True
    if wf.Evidence.NOTE in step.evidence or step.approval:
        data["note"] = f"经{wf.ROLE_LABELS[sorted(step.roles)[0]]}审核，同意"
    return data


class _Runner:
    def __init__(self, *, county: str, village_user: User, township: User, county_user: User):
        self.county = county
        self.county_user = county_user
        self.township = str(township.profile.division_id)
        self.village = str(village_user.profile.division_id)
        self.users: dict[str, User] = {self.village: village_user, self.township: township}
        self.today = timezone.localdate().isoformat()

    def cadre(self, division: str) -> User:
        """The demo account of this village or township, or a helper account for it."""
        if division not in self.users:
            if len(division) == 12:
                self.users[division] = _helper(f"demo-cun-{division}", Role.VILLAGE_CADRE, division)
            else:
                self.users[division] = _helper(
                    f"demo-xiang-{division}", Role.TOWNSHIP_REVIEWER, division
                )
        return self.users[division]

    def advance(self, proc: wf.ProcedureDef, step: wf.StepDef, ids: list[int]) -> int:
        """Take ``step`` for the cases of these households, set-based, by the right actors:
        one statement per village for a village step, per township for a township step, one
        for the county."""
        if not ids:
            return 0
        if step.from_state in proc.notice_states():
            _elapse(proc.procedure.value, step.from_state, ids)
        data = _data(step, self.today)
        if wf.COUNTY in step.roles and wf.VILLAGE not in step.roles:
            length = 6
        elif wf.TOWNSHIP in step.roles:
            length = 9
        else:
            length = 12
        groups: dict[str, list[int]] = defaultdict(list)
        for pk, village in Household.objects.filter(pk__in=ids).values_list("pk", "village_id"):
            groups[village[:length]].append(pk)
        moved = 0
        for division, gids in sorted(groups.items()):
            moved += workflow_bulk_advance(
                division_code=division,
                procedure=proc.procedure.value,
                step=step.code,
                by=self.county_user if length == 6 else self.cadre(division),
                household_ids=gids,
                data=data,
            )
        return moved

    def staircase(self, proc: wf.ProcedureDef, groups: list[list[int]]) -> None:
        """Group i stops after step i (group 0 after opening, the last at the final state)."""
        for k, step in enumerate(proc.steps[1:], start=1):
            ids = [pk for g in groups[k:] for pk in g]
            self.advance(proc, step, ids)

    def open_one(self, household: Household, procedure: str, data: dict[str, Any]) -> Case:
        return case_open(
            household=household,
            procedure=procedure,
            by=self.cadre(household.village_id),
            data=data,
            year=int(data.pop("year")),
        )

    def pick(self, qs: QuerySet[Household], n: int) -> list[Household]:
        """``n`` households of ``qs`` without a case, the demo village and township first."""
        ordered = qs.exclude(cases__isnull=False).annotate(
            demo_first=DbCase(
                When(village__code=self.village, then=Value(0)),
                When(village__code__startswith=self.township, then=Value(1)),
                default=Value(2),
            )
        )
        return list(ordered.order_by("demo_first", "village_id", "code")[:n])


def demo_cases_create(
    *, county: str, year: int, village_user: User, township: User, county_user: User
) -> DemoCases:
    """Put households at every stage of every procedure — of the demo village and township
    first, of the rest of the county when they have too few — and propose every other
    household of the county that meets the standard for exit."""
    run = _Runner(
        county=county, village_user=village_user, township=township, county_user=county_user
    )
    in_county = Household.objects.filter(subtree_q(county, field="village__code"))
    ready = Q(assessments__year=year, assessments__meets_standard=True)
    result = DemoCases(township=run.township)
    if Case.objects.filter(subtree_q(county, field="division_code")).exists():  # --keep
        return _counted(result, county)

    # Exit: two households per stage, the last ones exited (销号).
    exits = run.pick(in_county.filter(ready, status__in=wf.EXIT.open_statuses), 12)
    for h in exits:
        run.open_one(h, "exit", {"year": year, "note": f"{year} 年评估达到脱贫标准"})
    exit_groups = _groups([h.pk for h in exits], len(wf.EXIT.steps))
    run.staircase(wf.EXIT, exit_groups)

    # Identification (两公示一公告) of households that do not meet the standard: 8 stages.
    idents = run.pick(
        in_county.filter(status="poor").exclude(ready), 2 * len(wf.IDENTIFICATION.steps)
    )
    for h in idents:
        run.open_one(h, "identification", {"consent": True, "year": year, "note": "农户申请"})
    run.staircase(wf.IDENTIFICATION, _groups([h.pk for h in idents], len(wf.IDENTIFICATION.steps)))

    # Natural decrease and corrections: a death, a move, a 清退 (wrong registration).
    plan = [
        ("death", 2, "户主及家庭成员均已死亡（死亡证明）"),
        ("moved_away", 1, "全户迁往外县（户口迁移证明）"),
        ("wrongly_registered", 2, "经核查家中有商品房和车辆，属错评，予以清退"),
        ("death", 0, "户主已死亡，待乡镇审核"),
    ]
    decrease_groups: list[list[int]] = [[], [], []]
    for h, (reason, stage, note) in zip(
        run.pick(in_county.filter(status="poor"), len(plan)), plan, strict=False
    ):
        data = {
            "reason": reason,
            "note": note,
            "year": year,
            "attachment": ContentFile(b"demo", name="proof.txt"),
        }
        run.open_one(h, "decrease", data)
        decrease_groups[stage].append(h.pk)
    run.staircase(wf.DECREASE, decrease_groups)

    # Return to poverty of exited households: one returned, one under notice, one proposed.
    returns = [h.pk for h in run.pick(in_county.filter(status="exited_with_policy"), 3)]
    for h in Household.objects.filter(pk__in=returns):
        run.open_one(
            h, "return", {"note": "因病返贫：家中主要劳动力重病，医疗支出大", "year": year}
        )
    run.staircase(wf.RETURN, [returns[2:3], [], returns[1:2], [], returns[:1]])

    # Monitoring (防止返贫监测): unstable exited households, sudden hardship of others.
    opened = []
    for h in run.pick(in_county.filter(status__in=("poor", "exited_with_policy")), 12):
        # Monitoring began after 2020: its income range is set from 2021 on (domain.md §9).
        data = {"category": "sudden", "note": "突发严重困难：房屋受灾", "year": MONITORING_YEAR}
        if h.status == "exited_with_policy":
            data["category"] = "unstable"
        try:
            run.open_one(h, "monitoring", dict(data))
        except FupinError:
            run.open_one(h, "monitoring", dict(data, category="sudden"))
        opened.append(h.pk)
    run.staircase(wf.MONITORING, _groups(opened, len(wf.MONITORING.steps)))

    # The county's yearly adjustment: every other household of the county that meets the
    # standard is proposed for exit by the county office, in two statements.
    exit_proposals_create(division_code=county, year=year, by=county_user)

    # A few cases overdue, and one public objection to an exit notice.
    stale = Case.objects.filter(
        procedure__in=("exit", "identification"), state__in=("proposed", "applied")
    ).order_by("pk")[:4]
    Case.objects.filter(pk__in=[c.pk for c in stale]).update(
        deadline=timezone.now() - timedelta(days=5)
    )
    result.objection_case = _public_objection(exit_groups[3])
    return _counted(result, county)


def _counted(result: DemoCases, county: str) -> DemoCases:
    cases = Case.objects.filter(subtree_q(county, field="division_code"))
    for procedure, state in cases.values_list("procedure", "state"):
        result.counts[(procedure, state)] += 1
    return result


def _public_objection(noticed: list[int]) -> int | None:
    """A villager's objection, from the public notice page, to one household under notice."""
    from fupin.notices.models import Notice, NoticeEntry
    from fupin.notices.services import objection_submit

    case = (
        Case.objects.filter(procedure="exit", state="noticed", household_id__in=noticed)
        .select_related("household")
        .order_by("pk")
        .first()
    )
    if case is None:
        return None
    for notice in Notice.objects.filter(division_id=case.division_code, kind="exit"):
        if case.pk not in (notice.case_ids or []):
            continue
        entry = NoticeEntry.objects.filter(
            notice=notice, household_code=case.household.code
        ).first()
        objection_submit(
            notice=notice,
            text="该户去年外出务工收入不稳定，今年已回乡，是否达到脱贫标准请再核实。",
            address="demo",
            entry_id=entry.pk if entry else None,
            name="村民",
        )
        return case.pk
    return None
