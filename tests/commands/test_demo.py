"""`fupin demo --no-serve` builds the 昭觉县 demo, and the CLI works on it as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FUPIN = str(Path(sys.executable).with_name("fupin"))


def fupin(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the demo is SQLite
    env.update(FUPIN_HOME=str(home), FUPIN_NO_PROGRESS="1")
    return subprocess.run(
        [FUPIN, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-home")
    done = fupin(home, "demo", "--no-serve", "--persons", "3000")
    assert done.returncode == 0, done.stderr
    return home


def test_demo_builds_database_under_fupin_home(demo_home):
    assert (demo_home / "fupin.sqlite3").exists()


def test_demo_reports_accounts_per_level(demo_home):
    done = fupin(demo_home, "demo", "--no-serve", "--keep")
    assert done.returncode == 0, done.stderr
    for username in ("national", "province", "prefecture", "county", "township", "village"):
        assert username in done.stderr
    assert "昭觉县" in done.stderr
    assert "精准施策" in done.stderr and "cadre" in done.stderr  # the measures step's summary


def test_assess_then_explain_on_the_demo(demo_home):
    done = fupin(demo_home, "assess", "--division", "513431", "--year", "2016", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["households"] > 500
    assert 0 < summary["meets_standard"] < summary["households"]
    assert {f["code"] for f in summary["failures"]} >= {"INCOME_ABOVE_LINE", "HOUSING_SAFE"}


def _a_household_code(home: Path) -> str:
    import sqlite3

    with sqlite3.connect(home / "fupin.sqlite3") as con:
        (code,) = con.execute(
            "SELECT h.code FROM registry_household h JOIN assessment_assessmentresult r "
            "ON r.household_id = h.id WHERE r.meets_standard = 0 ORDER BY h.code LIMIT 1"
        ).fetchone()
    return str(code)


def test_explain_in_plain_chinese_and_json(demo_home):
    code = _a_household_code(demo_home)
    done = fupin(demo_home, "explain", code)
    assert done.returncode == 0, done.stderr
    assert "未达到脱贫标准" in done.stdout and "脱贫前需要" in done.stdout
    data = json.loads(fupin(demo_home, "explain", code, "--json").stdout)
    assert data["household"] == code
    assert data["meets_standard"] is False and data["failed_codes"]
    assert len(data["rules"]) == 7


def test_explain_unknown_household_exits_1_with_code(demo_home):
    done = fupin(demo_home, "explain", "no-such-household")
    assert done.returncode == 1
    assert "HOUSEHOLD_NOT_FOUND" in done.stderr


def test_assess_year_without_line_exits_1_with_code(demo_home):
    done = fupin(demo_home, "assess", "--division", "513431", "--year", "2009")
    assert done.returncode == 1
    assert "PARAM_POVERTY_LINE_MISSING" in done.stderr


def test_generate_import_assess_file_pipeline(demo_home, tmp_path):
    out = tmp_path / "g.csv"
    done = fupin(
        demo_home,
        "generate",
        "--county",
        "513431",
        "--persons",
        "500",
        "--seed",
        "3",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    done = fupin(demo_home, "assess", "--file", str(out), "--year", "2016", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["households"] > 50


def test_demo_matches_department_files_and_confirms_facts_with_their_source(demo_home):
    import sqlite3

    db = sqlite3.connect(demo_home / "fupin.sqlite3")
    flags = dict(db.execute("SELECT status, COUNT(*) FROM sharing_flag GROUP BY status"))
    assert flags.get("open", 0) > 0
    # The demo village confirmed fact updates: they are stored with the department as source.
    department_facts = (
        db.execute(
            "SELECT COUNT(*) FROM registry_member WHERE field_sources LIKE '%department%'"
        ).fetchone()[0]
        + db.execute(
            "SELECT COUNT(*) FROM registry_livingconditions WHERE source = 'department'"
            " OR field_sources LIKE '%department%'"
        ).fetchone()[0]
    )
    assert flags.get("confirmed", 0) > 0 and department_facts > 0
    manifest = json.loads((demo_home / "demo-departments" / "manifest.json").read_text())
    runs = db.execute("SELECT COUNT(*) FROM sharing_matchrun").fetchone()[0]
    assert runs == len(manifest["files"]) > 0


def test_demo_gives_poor_households_plans_measures_cadres_visits_and_teams(demo_home):
    import sqlite3

    db = sqlite3.connect(demo_home / "fupin.sqlite3")

    def one(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0])

    poor = one(
        "SELECT COUNT(*) FROM registry_household WHERE status IN ('poor', 'returned') "
        "AND village_id LIKE '513431%'"  # the demo county (not the two contrasting ones)
    )
    assert poor > 100
    assert one("SELECT COUNT(DISTINCT household_id) FROM measures_plan") == poor
    assert one("SELECT COUNT(*) FROM measures_planitem WHERE suggestion <> ''") > poor
    helped = one("SELECT COUNT(DISTINCT household_id) FROM measures_measure")
    assert 0.7 * poor <= helped < poor
    assert one("SELECT COUNT(DISTINCT household_id) FROM measures_pairing") == poor
    assert (
        one("SELECT MAX(n) FROM (SELECT COUNT(*) n FROM measures_pairing GROUP BY cadre_id)") <= 5
    )
    assert one("SELECT COUNT(*) FROM measures_visit WHERE date > date('now', 'localtime')") == 0
    assert one("SELECT COUNT(*) FROM measures_visit") >= 9 * poor
    assert one("SELECT COUNT(*) FROM measures_attendance WHERE days_present < 20") > 0
    # the 帮扶责任人 who can sign in is a village cadre paired with households of the village
    village = db.execute(
        "SELECT p.division_id FROM accounts_profile p JOIN auth_user u ON u.id = p.user_id "
        "JOIN measures_cadre c ON c.user_id = u.id "
        "WHERE u.username = 'cadre' AND p.role = 'village_cadre'"
    ).fetchone()[0]
    assert (
        one(
            "SELECT COUNT(*) FROM measures_pairing p JOIN measures_cadre c ON c.id = p.cadre_id "
            "JOIN auth_user u ON u.id = c.user_id "
            "JOIN registry_household h ON h.id = p.household_id "
            f"WHERE u.username = 'cadre' AND h.village_id = '{village}'"
        )
        > 0
    )
