"""``fupin tables list|render``: lists the catalogue, renders a table to a file, refuses."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fupin.commands import tables
from fupin.registry.models import Household
from fupin.reports.tables import TABLES
from tests.conftest import COUNTY, YEAR


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fupin")
    tables.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_list_as_json_names_every_table(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tables", "list", "--json"]) == 0

    out = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in out] == list(TABLES)
    scale = out[0]
    assert scale["title"] == "贫困人口规模与分布" and scale["columns"][0]["group"] == "建档立卡"


def test_render_to_xlsx_computes_from_the_dirty_villages(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scale.xlsx"

    code = main(["tables", "render", "scale", "--division", COUNTY, "--out", str(out)])

    assert code == 0
    assert "已写入" in capsys.readouterr().out
    ws = load_workbook(out).active
    assert ws is not None
    assert ws["A1"].value == f"昭觉县{YEAR}年贫困人口规模与分布统计表"
    assert ws["A5"].value == "合计"
    assert ws["C5"].value == Household.objects.exclude(status="removed").count() > 0
    assert ws.freeze_panes == "C5"


def test_render_to_csv_of_the_country(registry: Path, tmp_path: Path) -> None:
    out = tmp_path / "attr.csv"

    assert main(["tables", "render", "by_attribute", "--year", str(YEAR), "--out", str(out)]) == 0

    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][0] == "合计" and rows[2][:2] == ["四川省", "51"]
    assert int(rows[1][2]) == Household.objects.exclude(status="removed").count()


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["nope", "--out", "x.xlsx"], "TABLE_UNKNOWN"),
        (["scale", "--division", "519999", "--out", "x.xlsx"], "DIVISION_UNKNOWN"),
        (["scale", "--out", "x.pdf"], "TABLE_BAD_FORMAT"),
    ],
)
def test_render_refuses_unknown_table_division_and_suffix(
    registry: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: str,
) -> None:
    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]

    assert main(["tables", "render", *argv]) == 1

    assert f"错误 [{code}]" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
