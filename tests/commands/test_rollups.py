"""``fupin rollups refresh``: recomputes the rollups, says how many rows, refuses bad input."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from fupin.commands import rollups
from fupin.registry.models import Household
from fupin.reports.models import DirtyVillage, DivisionRollup
from tests.conftest import COUNTY, YEAR


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fupin")
    rollups.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_refresh_builds_every_level_and_reports_in_chinese(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rollups", "refresh"])

    assert code == 0
    assert "汇总完成" in capsys.readouterr().out
    national = DivisionRollup.objects.get(division_code="", year=YEAR)
    assert national.households == Household.objects.count()
    assert DivisionRollup.objects.filter(division_code=COUNTY).exists()
    assert not DirtyVillage.objects.exists()


def test_refresh_of_one_division_and_year_as_json(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    township = Household.objects.values_list("village_id", flat=True).first()
    assert township
    code = main(["rollups", "refresh", "--division", township[:9], "--year", str(YEAR), "--json"])

    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["years"] == [YEAR]
    assert out["villages"] == len(
        set(
            Household.objects.filter(village__code__startswith=township[:9]).values_list(
                "village_id", flat=True
            )
        )
    )
    assert (
        not DivisionRollup.objects.filter(division_code__startswith=township[:6])
        .exclude(division_code__startswith=township[:9])
        .exclude(division_code=township[:6])
        .exists()
    )


def test_refresh_dirty_recomputes_only_the_marked_villages(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marked = DirtyVillage.objects.values("village_code").distinct().count()

    code = main(["rollups", "refresh", "--dirty", "--json"])

    assert code == 0
    assert json.loads(capsys.readouterr().out)["villages"] == marked
    assert not DirtyVillage.objects.exists()


def test_unknown_division_is_refused_with_its_code(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rollups", "refresh", "--division", "999999"])

    assert code == 1
    assert "DIVISION_UNKNOWN" in capsys.readouterr().err
