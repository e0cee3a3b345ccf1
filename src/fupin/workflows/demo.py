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
from django.db.models import Q
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
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


def _helper(village: str) -> User:
    """A village cadre account without a password for a village other than the demo one."""
    user, created = get_user_model().objects.get_or_create(username=f"demo-cun-{village}")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Profile.objects.update_or_create(
        user=user, defaults={"role": Role.VILLAGE_CADRE, "division_id": village}
    )
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
        self.township_user = township
        self.county_user = county_user
        self.township = str(township.profile.division_id)  # type: ignore[attr-defined]
        self.villages = list(
            Division.objects.filter(subtree_q(self.township), level=5)
            .order_by("code")
            .values_list("code", flat=True)
        )
        demo_village = str(village_user.profile.division_id)  # type: ignore[attr-defined]
        self.cadres = {v: _helper(v) for v in self.villages if v != demo_village}
        self.cadres[demo_village] = village_user
        self.today = timezone.localdate().isoformat()

    def actor(self, step: wf.StepDef) -> User | None:
        if wf.COUNTY in step.roles and wf.VILLAGE not in step.roles:
            return self.county_user
        if wf.TOWNSHIP in step.roles:
            return self.township_user
        return None  # a village step: each village's cadre

    def advance(self, proc: wf.ProcedureDef, step: wf.StepDef, ids: list[int]) -> int:
        """Take ``step`` for the cases of these households, set-based, by the right actor."""
        if not ids:
            return 0
        if step.from_state in proc.notice_states():
            _elapse(proc.procedure.value, step.from_state, ids)
        data = _data(step, self.today)
        actor = self.actor(step)
        if actor is not None:
            return workflow_bulk_advance(
                division_code=self.township,
                procedure=proc.procedure.value,
                step=step.code,
                by=actor,
                household_ids=ids,
                data=data,
            )
        moved = 0
        by_village: dict[str, list[int]] = defaultdict(list)
        for pk, village in Household.objects.filter(pk__in=ids).values_list("pk", "village_id"):
            by_village[village].append(pk)
        for village, vids in by_village.items():
            moved += workflow_bulk_advance(
                division_code=village,
                procedure=proc.procedure.value,
                step=step.code,
                by=self.cadres[village],
                household_ids=vids,
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
            by=self.cadres[household.village_id],
            data=data,
            year=int(data.pop("year")),
        )


def demo_cases_create(
    *, county: str, year: int, village_user: User, township: User, county_user: User
) -> DemoCases:
    """Put households of the demo township at every stage of every procedure."""
    run = _Runner(
        county=county, village_user=village_user, township=township, county_user=county_user
    )
    in_township = Household.objects.filter(subtree_q(run.township, field="village__code"))
    ready = Q(assessments__year=year, assessments__meets_standard=True)
    result = DemoCases(township=run.township)
    if Case.objects.filter(division_code__in=run.villages).exists():  # --keep: built before
        return _counted(result, run.villages)

    # Exit: every household of the township that meets the standard is proposed, village by
    # village, then the groups move on one step fewer each.
    for village, cadre in run.cadres.items():
        exit_proposals_create(division_code=village, year=year, by=cadre)
    exit_ids = list(
        Case.objects.filter(procedure="exit", division_code__in=run.villages)
        .order_by("division_code", "household__code")
        .values_list("household_id", flat=True)
    )
    exit_groups = _groups(exit_ids, len(wf.EXIT.steps))
    run.staircase(wf.EXIT, exit_groups)

    # Identification of households that do not meet the standard (8 stages).
    not_ready = list(
        in_township.filter(status="poor")
        .exclude(ready)
        .exclude(cases__isnull=False)
        .order_by("village_id", "code")
        .values_list("pk", flat=True)[: 3 * len(wf.IDENTIFICATION.steps)]
    )
    households = {h.pk: h for h in Household.objects.filter(pk__in=not_ready)}
    id_groups = _groups(not_ready, len(wf.IDENTIFICATION.steps))
    for pk in not_ready:
        run.open_one(households[pk], "identification", {"consent": True, "year": year})
    run.staircase(wf.IDENTIFICATION, id_groups)

    # Natural decrease and corrections: a death, a move, a 清退 (wrong registration).
    spare = list(
        in_township.filter(status="poor")
        .exclude(cases__isnull=False)
        .order_by("village_id", "code")[:8]
    )
    plan = [
        ("death", 2, "户主及家庭成员均已死亡（死亡证明）"),
        ("moved_away", 1, "全户迁往外县（户口迁移证明）"),
        ("wrongly_registered", 2, "经核查家中有商品房和车辆，属错评，予以清退"),
        ("death", 0, "户主已死亡，待乡镇审核"),
    ]
    decrease_groups: list[list[int]] = [[], [], []]
    for household, (reason, stage, note) in zip(spare[: len(plan)], plan, strict=False):
        data = {
            "reason": reason,
            "note": note,
            "year": year,
            "attachment": ContentFile(b"demo", name="proof.txt"),
        }
        run.open_one(household, "decrease", data)
        decrease_groups[stage].append(household.pk)
    run.staircase(wf.DECREASE, decrease_groups)

    # Return to poverty of households that exited (one returned, one under notice, one
    # proposed).
    exited = list(
        in_township.filter(status="exited_with_policy")
        .exclude(cases__isnull=False)
        .order_by("village_id", "code")
        .values_list("pk", flat=True)[:3]
    )
    for household in Household.objects.filter(pk__in=exited):
        run.open_one(
            household, "return", {"note": "因病返贫：家中主要劳动力重病，医疗支出大", "year": year}
        )
    run.staircase(wf.RETURN, [exited[2:3], [], exited[1:2], [], exited[:1]])

    # Monitoring (防止返贫监测): sudden hardship of poor households, unstable exited ones.
    candidates = list(
        in_township.filter(status__in=("poor", "exited_with_policy"))
        .exclude(cases__procedure="monitoring")
        .exclude(cases__procedure="decrease")
        .exclude(cases__procedure="return")
        .order_by("village_id", "code")[: 2 * len(wf.MONITORING.steps)]
    )
    opened = []
    for household in candidates:
        # Monitoring began after 2020: its income range is set from 2021 on (domain.md §9).
        data = {"category": "sudden", "note": "突发严重困难：房屋受灾", "year": MONITORING_YEAR}
        if household.status == "exited_with_policy":
            data["category"] = "unstable"
        try:
            run.open_one(household, "monitoring", data)
        except FupinError:
            data.update(category="sudden", year=MONITORING_YEAR)
            run.open_one(household, "monitoring", data)
        opened.append(household.pk)
    run.staircase(wf.MONITORING, _groups(opened, len(wf.MONITORING.steps)))

    # The county's yearly adjustment elsewhere: every other household of the county that
    # meets the standard is proposed for exit by the county office, in two statements.
    exit_proposals_create(division_code=county, year=year, by=county_user)

    # A few cases overdue, and one public objection to an exit notice.
    stale = Case.objects.filter(
        procedure__in=("exit", "identification"),
        state__in=("proposed", "applied"),
        division_code__in=run.villages,
    ).order_by("pk")[:4]
    Case.objects.filter(pk__in=[c.pk for c in stale]).update(
        deadline=timezone.now() - timedelta(days=5)
    )
    result.objection_case = _public_objection(exit_groups[3])

    return _counted(result, run.villages)


def _counted(result: DemoCases, villages: list[str]) -> DemoCases:
    for procedure, state in Case.objects.filter(division_code__in=villages).values_list(
        "procedure", "state"
    ):
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
