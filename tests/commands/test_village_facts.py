"""``fupin village-facts import`` and ``fupin county-stats import``: all rows or none."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin.cli import build_parser
from fupin.registry.village import CountyStatistics, VillageFacts
from tests.registry import flatfiles


@pytest.fixture
def divisions(db: None) -> None:
    flatfiles.create_divisions()


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


def test_village_facts_import_stores_the_file(
    divisions: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(f"村代码,年度,通宽带\n{flatfiles.VILLAGE_1},2019,是\n", encoding="utf-8")

    assert main(["village-facts", "import", str(path), "--dry-run"]) == 0
    assert "校验通过" in capsys.readouterr().out and not VillageFacts.objects.exists()

    assert main(["village-facts", "import", str(path)]) == 0
    assert "新增 1 条" in capsys.readouterr().out
    assert VillageFacts.objects.get().broadband is True


def test_a_bad_row_exits_1_with_the_error_table(
    divisions: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(f"村代码,年度,通宽带\n{flatfiles.VILLAGE_1},2019,大概\n", encoding="utf-8")
    assert main(["village-facts", "import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "BOOL_INVALID" in out and "未导入任何数据" in out
    assert not VillageFacts.objects.exists()


def test_county_stats_import(
    divisions: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("县代码,年度,乡村人口\n513431,2019,260000\n", encoding="utf-8")
    assert main(["county-stats", "import", str(path)]) == 0
    assert CountyStatistics.objects.get().rural_population == 260000


def test_a_missing_file_is_refused(divisions: None, tmp_path: Path) -> None:
    assert main(["village-facts", "import", str(tmp_path / "none.csv")]) == 1
