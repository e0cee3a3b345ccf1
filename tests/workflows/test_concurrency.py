"""Two approvers at the same moment: exactly one approval, on SQLite and on PostgreSQL.

The threads use their own database connections, so the test commits for real
(``transaction=True``). On PostgreSQL the second approver waits on the case row's lock and
then finds the case moved on; SQLite serialises the two write transactions; either way the
unique (case, step, round) constraint is the last word.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from fupin.accounts.models import Role
from fupin.common.errors import FupinError
from fupin.workflows.models import Case, Step
from fupin.workflows.services import case_advance, case_open
from tests.conftest import COUNTY, YEAR
from tests.workflows.conftest import MEETING, make_user
from tests.workflows.test_services import ready_to_exit


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvers_approve_exactly_once(cast, elapse):
    second_county = make_user("xian2", Role.COUNTY_OFFICE, COUNTY)
    case = case_open(
        household=ready_to_exit(cast), procedure="exit", by=cast.village_cadre, year=YEAR
    )
    case = case_advance(case=case, step="appraise", by=cast.village_cadre, data=MEETING)
    case = case_advance(case=case, step="agree", by=cast.village_cadre, data={"consent": True})
    case = case_advance(case=case, step="notice", by=cast.village_cadre)
    elapse(case)

    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(user, mine: Case) -> None:
        try:
            barrier.wait(timeout=10)
            case_advance(case=mine, step="announce", by=user, data={"note": "同意"})
            result = "ok"
        except FupinError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    # Each approver loaded the case (and their profile) before either acts, as two open pages.
    approvers = [(u, Case.objects.get(pk=case.pk)) for u in (cast.county, second_county)]
    for u, _ in approvers:
        assert u.profile.division_id == COUNTY
    threads = [threading.Thread(target=approve, args=a) for a in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 2 and outcomes.count("ok") == 1, outcomes
    assert set(outcomes) - {"ok"} <= {"WORKFLOW_CONFLICT", "WORKFLOW_STEP_OUT_OF_ORDER"}
    assert Step.objects.filter(case=case, code="announce").count() == 1
    assert Case.objects.get(pk=case.pk).state == "announced"
