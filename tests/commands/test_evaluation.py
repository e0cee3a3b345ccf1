"""``fupin evaluate``: villages and the simulated county evaluation, from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from fupin.assessment.services import assessment_run
from fupin.commands import evaluation
from fupin.evaluation.models import CountyEvaluation, VillageExitAssessment


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fupin")
    evaluation.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.fixture
def assessed(registry: Path) -> None:
    assessment_run(division_code="513431", year=2016)


def test_evaluate_villages_prints_each_village_decision(
    assessed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "villages", "--county", "513431", "--year", "2016"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2016 年共评估")
    assert "贫困发生率" in out
    assert VillageExitAssessment.objects.count() > 0


def test_evaluate_county_simulate_prints_the_decision_and_is_reproducible(
    assessed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", "county", "--county", "513431", "--year", "2016", "--sample", "200"]
    assert main([*args, "--seed", "4", "--simulate", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["decision"] in ("exit", "no_exit")
    assert {c["code"] for c in first["criteria"]} == {
        "combined_incidence",
        "wrong_exit",
        "missed",
        "recognition",
    }
    assert main([*args, "--seed", "4", "--simulate"]) == 0
    out = capsys.readouterr().out
    assert "结论：" in out and first["explanation"] in out
    assert CountyEvaluation.objects.count() == 2


def test_evaluate_county_without_frame_or_simulation_fails_with_its_code(
    assessed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["evaluate", "county", "--county", "513431", "--year", "2016", "--seed", "1"])
    assert code == 1
    assert "EVALUATION_NO_FRAME" in capsys.readouterr().err
