"""``fupin sharing generate`` and ``fupin sharing evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fupin.cli import main


def test_generate_then_evaluate_prints_precision_and_recall(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d"
    assert main(["sharing", "generate", "--registry", str(registry), "--out", str(out)]) == 0
    assert (out / "truth.csv").exists()
    capsys.readouterr()
    assert main(["sharing", "evaluate", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["all"]["recall"] >= 0.95 and data["all"]["precision"] >= 0.95


def test_generate_refuses_a_missing_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "sharing",
                "generate",
                "--registry",
                str(tmp_path / "no.parquet"),
                "--out",
                str(tmp_path),
            ]
        )
        == 1
    )
    assert "FILE_NOT_FOUND" in capsys.readouterr().err
