"""``fupin indices poverty|inequality``: the JSON contract of issue 11, file types, refusals."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fupin.commands import indices

POVERTY_KEYS = {"n", "q", "P0", "P1", "P2", "watts", "sen", "sst", "gap_total", "gini"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fupin")
    indices.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    """Haughton & Khandker's country C (ch. 4, p. 70) plus a weight and a group."""
    path = tmp_path / "c.csv"
    path.write_text("spend,size,area\n100,1,东\n110,2,东\n150,1,西\n160,1,西\n", encoding="utf-8")
    return path


def test_poverty_json_has_exactly_the_issue_keys(csv: Path, capsys) -> None:
    out = run_json(
        capsys, "indices", "poverty", str(csv), "--income-column", "spend", "--line", "125"
    )
    assert set(out) == POVERTY_KEYS
    assert (
        out["P0"] == 0.5 and out["P1"] == pytest.approx(0.08) and out["P2"] == pytest.approx(0.0136)
    )
    assert out["gap_total"] == 40.0


def test_poverty_weighted_by_group(csv: Path, capsys) -> None:
    out = run_json(
        capsys,
        "indices",
        "poverty",
        str(csv),
        "--income-column",
        "spend",
        "--line",
        "125",
        "--weight-column",
        "size",
        "--by",
        "area",
    )
    assert set(out) == POVERTY_KEYS | {"by"}
    assert out["n"] == 5 and out["q"] == 3
    assert set(out["by"]) == {"东", "西"} and out["by"]["西"]["q"] == 0


def test_several_lines_give_the_sweep(csv: Path, capsys) -> None:
    out = run_json(
        capsys, "indices", "poverty", str(csv), "--income-column", "spend", "--line", "100,125,155"
    )
    assert [x["line"] for x in out["lines"]] == [100, 125, 155]
    assert [x["q"] for x in out["lines"]] == [0, 2, 3]
    assert set(out["lines"][0]) == POVERTY_KEYS | {"line"}


def test_inequality_json_and_extra_parameters(csv: Path, capsys) -> None:
    out = run_json(
        capsys,
        "indices",
        "inequality",
        str(csv),
        "--column",
        "spend",
        "--epsilon",
        "3",
        "--epsilon",
        "0.25,1.5",
        "--alpha",
        "0.5",
    )
    assert set(out) == {"n", "mean", "gini", "theil_t", "mld", "hoover", "atkinson", "ge"}
    assert list(out["atkinson"]) == ["0.5", "1", "2", "3", "0.25", "1.5"]
    assert list(out["ge"]) == ["2", "0.5"]
    assert out["mean"] == 130


def test_parquet_and_xlsx_read_like_csv(tmp_path: Path, csv: Path, capsys) -> None:
    pq.write_table(pa.table({"spend": [100.0, 110.0, 150.0, 160.0]}), tmp_path / "c.parquet")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["spend"])
    for v in (100, 110, 150, 160):
        ws.append([v])
    wb.save(tmp_path / "c.xlsx")
    base = run_json(
        capsys, "indices", "poverty", str(csv), "--income-column", "spend", "--line", "125"
    )
    for name in ("c.parquet", "c.xlsx"):
        got = run_json(
            capsys,
            "indices",
            "poverty",
            str(tmp_path / name),
            "--income-column",
            "spend",
            "--line",
            "125",
        )
        assert got == base


@pytest.mark.parametrize(
    ("content", "args", "code"),
    [
        ("spend\n100\n", ["--income-column", "nope", "--line", "125"], "INDICES_UNKNOWN_COLUMN"),
        ("spend\n100\n无\n", ["--income-column", "spend", "--line", "125"], "INDICES_NOT_NUMERIC"),
        ("spend\n", ["--income-column", "spend", "--line", "125"], "INDICES_EMPTY"),
        (
            "spend,w\n100,0\n",
            ["--income-column", "spend", "--line", "125", "--weight-column", "w"],
            "INDICES_BAD_WEIGHT",
        ),
        ("spend\n100\n", ["--income-column", "spend", "--line", "0"], "INDICES_BAD_LINE"),
        (
            "spend\n0\n100\n",
            ["--income-column", "spend", "--line", "125"],
            "INDICES_NONPOSITIVE_INCOME",
        ),
        (
            "spend,x\n,1\n100,2\n",
            ["--income-column", "spend", "--line", "125"],
            "INDICES_MISSING_VALUE",
        ),
    ],
)
def test_bad_input_exits_2_with_a_code(
    tmp_path: Path, capsys, content: str, args: list[str], code: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["indices", "poverty", str(path), *args]) == 2
    err = capsys.readouterr().err
    assert code in err and "错误" in err


def test_floor_lets_zero_incomes_through(tmp_path: Path, capsys) -> None:
    path = tmp_path / "z.csv"
    path.write_text("spend\n0\n100\n", encoding="utf-8")
    out = run_json(capsys, "indices", "inequality", str(path), "--column", "spend", "--floor", "1")
    assert out["gini"] == pytest.approx(0.5)


def test_readable_table_without_json(csv: Path, capsys) -> None:
    assert main(["indices", "poverty", str(csv), "--income-column", "spend", "--line", "125"]) == 0
    out = capsys.readouterr().out
    assert "贫困发生率" in out and "50.00%" in out


@pytest.mark.django_db
def test_registry_poverty_defaults_to_the_national_line(registry: Path, capsys) -> None:
    out = run_json(
        capsys,
        "indices",
        "poverty",
        "--registry",
        "--division",
        "513431",
        "--year",
        "2016",
        "--floor",
        "1",
    )
    assert set(out) >= POVERTY_KEYS and out["missing"] >= 0 and out["division"] == "513431"
