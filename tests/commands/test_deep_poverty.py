"""``fupin deep-poverty``: indicators of a flat file (DuckDB) and of the registry agree; the
candidates command prints reasons; bad input is refused with a code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fupin.cli import main


@pytest.mark.django_db
def test_flat_file_and_registry_indicators_agree(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "deep-poverty",
                "indicators",
                "--year",
                "2016",
                "--level",
                "township",
                "--file",
                str(registry),
                "--json",
            ]
        )
        == 0
    )
    flat = json.loads(capsys.readouterr().out)
    assert (
        main(
            [
                "deep-poverty",
                "indicators",
                "--year",
                "2016",
                "--level",
                "township",
                "--division",
                "513431",
                "--json",
            ]
        )
        == 0
    )
    db = json.loads(capsys.readouterr().out)
    assert [r["area"] for r in flat] == [r["area"] for r in db]
    for a, b in zip(flat, db, strict=True):
        assert a["poor_persons"] == b["poor_persons"] and a["households"] == b["households"]
        assert a["income_mean"] == pytest.approx(b["income_mean"])


@pytest.mark.django_db
def test_candidates_lists_reasons(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "deep-poverty",
                "candidates",
                "--year",
                "2016",
                "--division",
                "513431",
                "--rules",
                "guapai-village@2020",
                "--all",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("挂牌督战村（2020）（guapai-village@2020）")
    assert "贫困人口" in out and "未录入" in out  # no 村情: incidence not recorded


@pytest.mark.django_db
def test_bad_input_is_refused(
    registry: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["deep-poverty", "candidates", "--year", "2016", "--rules", "nope@1"]) == 1
    assert "DEEP_POVERTY_UNKNOWN_RULE_SET" in capsys.readouterr().err
    bad = tmp_path / "rules.json"
    bad.write_text(
        json.dumps(
            {
                "code": "x",
                "version": "1",
                "name": "x",
                "level": "county",
                "criteria": [{"indicator": "depth", "op": "gt", "threshold": 1}],
            }
        ),
        encoding="utf-8",
    )
    assert (
        main(["deep-poverty", "rules", "add", str(bad), "--province", "51", "--user", "nobody"])
        == 1
    )
    assert (
        main(
            [
                "deep-poverty",
                "indicators",
                "--year",
                "2016",
                "--file",
                str(tmp_path / "none.parquet"),
            ]
        )
        == 1
    )
