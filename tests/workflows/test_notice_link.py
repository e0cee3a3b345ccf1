"""A public objection to a notice posted by a procedure step holds the cases it names, and its
outcome is recorded on both sides whichever side resolves it (ADR 0007)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fupin.common.errors import FupinError
from fupin.notices.models import Notice, NoticeObjection
from fupin.notices.services import objection_resolve as notice_objection_resolve
from fupin.notices.services import objection_submit
from fupin.registry.models import Household
from fupin.workflows.models import Case, Objection
from fupin.workflows.services import (
    case_advance,
    case_open,
    objection_resolve,
    workflow_bulk_advance,
)
from tests.conftest import YEAR
from tests.workflows.conftest import MEETING, Cast


def _in_notice(cast: Cast, n: int = 2) -> list[Case]:
    """``n`` exit cases of the village, all on one village notice (a bulk notice step)."""
    households = list(
        Household.objects.filter(
            village_id=cast.village,
            status="poor",
            assessments__year=YEAR,
            assessments__meets_standard=True,
        ).order_by("code")[:n]
    )
    for h in households:
        case_open(household=h, procedure="exit", by=cast.county, year=YEAR)
    ids = [h.pk for h in households]
    for step, data in (("appraise", MEETING), ("agree", {"consent": True}), ("notice", {})):
        moved = workflow_bulk_advance(
            division_code=cast.village,
            procedure="exit",
            step=step,
            by=cast.village_cadre,
            household_ids=ids,
            data=data,
        )
        assert moved == n
    return list(Case.objects.filter(household_id__in=ids).order_by("household__code"))


def _notice_of(case: Case) -> Notice:
    return next(n for n in Notice.objects.all() if case.pk in n.case_ids)


def _public(notice: Notice, case: Case | None = None) -> NoticeObjection:
    entry = None
    if case is not None:
        entry = notice.entries.get(household_code=case.household.code).pk
    return objection_submit(
        notice=notice, text="该户家里新盖了楼房，不应算贫困户", address="10.0.0.9", entry_id=entry
    )


def test_a_public_objection_on_one_household_holds_that_case_only(cast: Cast) -> None:
    first, second = _in_notice(cast)
    public = _public(_notice_of(first), first)

    hold = Objection.objects.get(notice_objection=public)
    assert hold.case == first and hold.outcome == "" and hold.state == "noticed"
    assert hold.recorded_by == cast.village_cadre  # the office that posted the notice
    assert not Objection.objects.filter(case=second).exists()


def test_an_open_hold_stops_the_next_step(cast: Cast, elapse: Callable[[Case], None]) -> None:
    (case,) = _in_notice(cast, 1)
    _public(_notice_of(case), case)
    elapse(case)

    with pytest.raises(FupinError) as refused:
        case_advance(case=case, step="announce", by=_second_county(cast), data={"note": "审定"})
    assert refused.value.code == "WORKFLOW_OBJECTION_OPEN"


def _second_county(cast: Cast):  # type: ignore[no-untyped-def]
    from fupin.accounts.models import Role
    from tests.workflows.conftest import make_user

    return make_user("xian-2", Role.COUNTY_OFFICE, cast.village[:6])


def test_an_objection_to_the_whole_notice_holds_every_case_on_it(cast: Cast) -> None:
    cases = _in_notice(cast)
    public = _public(_notice_of(cases[0]))

    assert set(
        Objection.objects.filter(notice_objection=public).values_list("case", flat=True)
    ) == {c.pk for c in cases}


def test_resolving_on_the_notice_side_records_the_outcome_on_the_case(cast: Cast) -> None:
    (case,) = _in_notice(cast, 1)
    public = _public(_notice_of(case), case)

    notice_objection_resolve(
        objection=public, outcome="upheld", note="入户核实，情况属实", by=cast.township
    )

    hold = Objection.objects.get(notice_objection=public)
    assert hold.outcome == "upheld" and hold.resolved_by == cast.township
    case.refresh_from_db()
    assert case.state == "proposed" and case.round == 2  # back to re-verification


def test_resolving_on_the_case_side_records_the_outcome_on_the_public_objection(
    cast: Cast, elapse: Callable[[Case], None]
) -> None:
    (case,) = _in_notice(cast, 1)
    public = _public(_notice_of(case), case)
    hold = Objection.objects.get(notice_objection=public)

    objection_resolve(objection=hold, outcome="dismissed", note="经核实不属实", by=cast.county)

    public.refresh_from_db()
    assert public.status == "dismissed" and public.outcome_note == "经核实不属实"
    assert public.resolved_by == cast.county
    elapse(case)
    moved = case_advance(case=case, step="announce", by=_second_county(cast), data={"note": "审定"})
    assert moved.state == "announced"


def test_the_public_objection_closes_only_when_every_hold_is_resolved(cast: Cast) -> None:
    first, _ = _in_notice(cast)
    public = _public(_notice_of(first))
    hold_1, hold_2 = Objection.objects.filter(notice_objection=public).order_by("case_id")

    objection_resolve(objection=hold_1, outcome="dismissed", note="不属实", by=cast.township)
    public.refresh_from_db()
    assert public.status == "open"
    objection_resolve(objection=hold_2, outcome="dismissed", note="不属实", by=cast.township)
    public.refresh_from_db()
    assert public.status == "dismissed"


def test_a_village_cadre_cannot_resolve_a_linked_objection_and_nothing_is_written(
    cast: Cast,
) -> None:
    (case,) = _in_notice(cast, 1)
    public = _public(_notice_of(case), case)

    with pytest.raises(FupinError) as refused:
        notice_objection_resolve(
            objection=public, outcome="dismissed", note="不属实", by=cast.village_cadre
        )
    assert refused.value.code == "WORKFLOW_ROLE_NOT_ALLOWED"
    public.refresh_from_db()
    assert public.status == "open"
    assert Objection.objects.get(notice_objection=public).outcome == ""


def test_a_notice_without_cases_keeps_its_own_objections(cast: Cast) -> None:
    from fupin.notices.services import notice_publish

    household = Household.objects.filter(village_id=cast.village).first()
    assert household is not None
    notice = notice_publish(
        village_code=cast.village,
        kind="exit",
        title="手工公示",
        entries=[household.code],
        by=cast.village_cadre,
    )
    public = _public(notice)
    assert not Objection.objects.exists()
    notice_objection_resolve(
        objection=public, outcome="dismissed", note="不属实", by=cast.village_cadre
    )
    public.refresh_from_db()
    assert public.status == "dismissed"
