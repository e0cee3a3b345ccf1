"""`fupin workflow`: exit proposals, a bulk step and the list, as a county office would run
them, through the same services and rules as the pages."""

from __future__ import annotations

import argparse
import json

import pytest
from django.contrib.auth import get_user_model

from fupin.accounts.models import Profile, Role
from fupin.assessment.services import assessment_run
from fupin.commands import workflow
from fupin.registry.models import Household
from fupin.workflows.models import Case
from tests.conftest import COUNTY, YEAR


@pytest.fixture
def setup(registry: object, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(workflow, "setup_django", lambda **kw: None)  # pytest-django did it
    monkeypatch.setenv("FUPIN_NO_PROGRESS", "1")
    assessment_run(division_code=COUNTY, year=YEAR)
    village = (
        Household.objects.filter(status="poor", assessments__meets_standard=True)
        .values_list("village_id", flat=True)
        .first()
    )
    assert village is not None
    for name, role, division in (
        ("xian", Role.COUNTY_OFFICE, COUNTY),
        ("cun", Role.VILLAGE_CADRE, village),
        ("xiang", Role.TOWNSHIP_REVIEWER, village[:9]),
    ):
        user = get_user_model().objects.create_user(username=name)
        Profile.objects.create(user=user, role=role, division_id=division)
    return village


def ns(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**kw)


def test_exit_proposals_for_a_village_then_list(setup: str, capsys) -> None:  # type: ignore[no-untyped-def]
    village = setup
    ready = Household.objects.filter(
        village_id=village, status="poor", assessments__year=YEAR, assessments__meets_standard=True
    ).count()

    code = workflow.run_exit_proposals(ns(division=village, year=YEAR, by="cun"))
    out = capsys.readouterr()
    assert code == 0 and out.out.strip() == str(ready)
    assert "提出退出" in out.err

    assert workflow.run_list(ns(division=village, state="", json=True)) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {"procedure": "exit", "state": "proposed", "label": "已提出退出", "n": ready, "overdue": 0}
    ]
    assert workflow.run_list(ns(division=village, state="", json=False)) == 0
    assert "已提出退出" in capsys.readouterr().out


def test_advance_a_step_for_named_households_with_the_meeting(setup: str, capsys) -> None:  # type: ignore[no-untyped-def]
    village = setup
    workflow.run_exit_proposals(ns(division=village, year=YEAR, by="xian"))
    first = Case.objects.filter(division_code=village).select_related("household").first()
    assert first is not None
    capsys.readouterr()
    args = ns(
        division=village,
        procedure="exit",
        step="appraise",
        by="cun",
        household=[first.household.code],
        note="",
        meeting_date="2016-11-01",
        attendance=30,
        votes_for=25,
        votes_against=1,
        consent=False,
    )

    assert workflow.run_advance(args) == 0
    assert capsys.readouterr().out.strip() == "1"
    first.refresh_from_db()
    assert first.state == "appraised"


def test_refusals_exit_1_with_their_code(setup: str, capsys) -> None:  # type: ignore[no-untyped-def]
    village = setup
    assert workflow.run_exit_proposals(ns(division=village, year=YEAR, by="xiang")) == 1
    assert "WORKFLOW_ROLE_NOT_ALLOWED" in capsys.readouterr().err
    assert workflow.run_exit_proposals(ns(division=village, year=YEAR, by="nobody")) == 1
    assert "USER_NOT_FOUND" in capsys.readouterr().err
    args = ns(
        division=village,
        procedure="exit",
        step="appraise",
        by="cun",
        household=None,
        note="",
        meeting_date=None,
        attendance=None,
        votes_for=None,
        votes_against=None,
        consent=False,
    )
    assert workflow.run_advance(args) == 1
    assert "WORKFLOW_EVIDENCE_MISSING" in capsys.readouterr().err
    assert not Case.objects.exists()
