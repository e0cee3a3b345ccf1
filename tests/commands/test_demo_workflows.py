"""`fupin demo` puts households at every stage of every procedure, with their notices, the
demo village's households at several stages, and an open public objection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fupin.policy import workflows as wf
from tests.commands.test_demo import fupin


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-workflows")
    done = fupin(home, "demo", "--no-serve", "--persons", "3000")
    assert done.returncode == 0, done.stderr
    assert "识别与退出案件" in done.stderr
    return home / "fupin.sqlite3"


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as con:
        return list(con.execute(sql).fetchall())


def test_every_stage_of_every_procedure_is_present(demo_db: Path) -> None:
    present = set(_rows(demo_db, "SELECT DISTINCT procedure, state FROM workflows_case"))
    for code in ("identification", "exit", "decrease", "monitoring"):
        for state in wf.PROCEDURES[code].states:
            assert (code, state) in present, (code, state)
    assert {("return", "proposed"), ("return", "noticed"), ("return", "returned")} <= present


def test_a_death_a_move_and_a_clearance(demo_db: Path) -> None:
    reasons = {r for (r,) in _rows(demo_db, "SELECT reason FROM workflows_case WHERE reason<>''")}
    assert reasons == {"death", "moved_away", "wrongly_registered"}
    removed = _rows(
        demo_db,
        "SELECT h.status FROM workflows_case c JOIN registry_household h ON h.id=c.household_id "
        "WHERE c.procedure='decrease' AND c.state='removed'",
    )
    assert removed and {s for (s,) in removed} == {"removed"}


def test_cases_under_notice_have_their_notice_published(demo_db: Path) -> None:
    notice_states = {
        (code, state) for code, p in wf.PROCEDURES.items() for state in p.notice_states()
    }
    cases = _rows(demo_db, "SELECT id, procedure, state FROM workflows_case")
    noticed = {pk for pk, proc, state in cases if (proc, state) in notice_states}
    import json

    on_notices = {
        int(i)
        for (ids,) in _rows(demo_db, "SELECT case_ids FROM notices_notice WHERE status='posted'")
        for i in json.loads(ids)
    }
    assert noticed and noticed <= on_notices


def test_the_demo_township_has_households_at_several_stages(demo_db: Path) -> None:
    # At 3,000 persons the demo village may hold no household; its township always does
    # (at the default 30,000 persons the village has cases at eight stages).
    states = _rows(
        demo_db,
        "SELECT DISTINCT c.procedure, c.state FROM workflows_case c "
        "JOIN accounts_profile p ON substr(c.division_code, 1, 9) = p.division_id "
        "JOIN auth_user u ON u.id = p.user_id WHERE u.username = 'township'",
    )
    assert len(states) >= 4


def test_one_public_objection_holds_its_case(demo_db: Path) -> None:
    rows = _rows(
        demo_db,
        "SELECT o.outcome, c.state, n.status FROM workflows_objection o "
        "JOIN workflows_case c ON c.id = o.case_id "
        "JOIN notices_noticeobjection n ON n.id = o.notice_objection_id",
    )
    assert rows == [("", "noticed", "open")]


def test_overdue_cases_exist(demo_db: Path) -> None:
    (n,) = _rows(
        demo_db,
        "SELECT COUNT(*) FROM workflows_case WHERE closed_at IS NULL "
        "AND deadline < datetime('now')",
    )[0]
    assert n >= 1
