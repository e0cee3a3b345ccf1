"""``fupin indices mpi``: files in (CSV, Parquet, xlsx), JSON exactly as specified, refusals
with their codes and exit 2, and the registry run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fupin.commands import indices_mpi

#: The worked example of Alkire & Foster (2011) (tests/policy/indices/test_mpi.py), grouped.
ROWS = [
    ("income", "schooling", "health", "malaria", "region", "w"),
    ("13.1", "14", "4", "1", "甲", "1"),
    ("15.2", "7", "5", "0", "甲", "1"),
    ("12.5", "10", "1", "0", "乙", "2"),
    ("20", "11", "3", "1", "乙", "1"),
]
AF = ["income=1@13", "schooling=1@12", "health=1@3", "malaria=1@1"]
KEYS = {"n", "q", "H", "A", "M0", "M1", "M2", "censored_headcount", "contribution"}


def write_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any] | str, str]:
    code = indices_mpi.main(list(argv))
    out, err = capsys.readouterr()
    if code == 0 and "--json" in argv:
        return code, json.loads(out), err
    return code, out, err


def indicators(*specs: str) -> list[str]:
    return [arg for s in specs for arg in ("--indicator", s)]


def test_register_adds_mpi_to_the_given_group() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="index")
    indices_mpi.register(sub)
    args = parser.parse_args(["mpi", "f.csv", "--indicator", "x=1", "--k", "0.5", "--json"])
    assert args.func is indices_mpi.run_mpi
    assert (args.file, args.indicator, args.k, args.json) == ("f.csv", ["x=1"], "0.5", True)
    top = argparse.ArgumentParser().add_subparsers(dest="command")
    indices_mpi.register_group(top)
    assert "indices" in top.choices


def test_csv_gives_the_json_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_csv(tmp_path / "af.csv", ROWS)
    code, data, _ = run(capsys, str(f), *indicators(*AF), "--k", "0.5", "--json")
    assert code == 0 and isinstance(data, dict)
    assert set(data) == KEYS
    assert (data["n"], data["q"], data["H"], data["A"], data["M0"]) == (4, 2, 0.5, 0.75, 0.375)
    assert data["M1"] == pytest.approx(0.2055288, abs=1e-7)
    assert set(data["censored_headcount"]) == {"income", "schooling", "health", "malaria"}
    assert sum(data["contribution"].values()) == pytest.approx(1.0)


def test_by_and_weight_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_csv(tmp_path / "af.csv", ROWS)
    argv = [str(f), *indicators(*AF), "--k", "0.5", "--by", "region", "--weight-column", "w"]
    code, data, _ = run(capsys, *argv, "--json")
    assert code == 0 and isinstance(data, dict)
    assert set(data) == KEYS | {"by"}
    assert set(data["by"]) == {"甲", "乙"} and set(data["by"]["甲"]) == KEYS
    assert data["n"] == 5.0  # weighted: the third person counts twice
    shares = {g: v["n"] / data["n"] for g, v in data["by"].items()}
    assert sum(shares[g] * data["by"][g]["M0"] for g in shares) == pytest.approx(data["M0"])


def test_mixed_flags_give_null_m1_m2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_csv(tmp_path / "af.csv", ROWS)
    code, data, _ = run(
        capsys, str(f), *indicators("income=2@13", "malaria=1"), "--k", "0.5", "--json"
    )
    assert code == 0 and isinstance(data, dict)
    assert data["M1"] is None and data["M2"] is None


def test_parquet_and_xlsx_equal_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = write_csv(tmp_path / "af.csv", ROWS)
    header, *body = ROWS
    numeric = {h: [float(r[i]) for r in body] for i, h in enumerate(header) if h != "region"}
    pq.write_table(pa.table({**numeric, "region": [r[4] for r in body]}), tmp_path / "af.parquet")
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(header))
    for r in body:
        ws.append([float(v) if h != "region" else v for h, v in zip(header, r, strict=True)])
    wb.save(tmp_path / "af.xlsx")
    argv = [*indicators(*AF), "--k", "0.5", "--by", "region", "--json"]
    results = [run(capsys, str(p), *argv)[1] for p in (csv, tmp_path / "af.parquet",
                                                         tmp_path / "af.xlsx")]  # fmt: skip
    assert results[0] == results[1] == results[2]


def test_readable_chinese_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_csv(tmp_path / "af.csv", ROWS)
    code, out, _ = run(capsys, str(f), *indicators(*AF), "--k", "0.5", "--by", "region")
    assert code == 0 and isinstance(out, str)
    for text in (
        "发生率 H",
        "M0",
        "0.3750",
        "分指标",
        "删减后发生率",
        "分组分解",
        "甲",
        "人口比例",
    ):
        assert text in out, text


def test_blank_cells_are_excluded_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write_csv(tmp_path / "blank.csv", [("x", "y"), ("1", "1"), ("", "1"), ("0", "0")])
    code, data, err = run(capsys, str(f), *indicators("x=1", "y=1"), "--k", "1", "--json")
    assert code == 0 and isinstance(data, dict)
    assert data["n"] == 2 and data["q"] == 1
    assert "1 个单位" in err


@pytest.mark.parametrize(
    ("rows", "argv", "code"),
    [
        (ROWS, ["--indicator", "nope=1", "--k", "0.5"], "MPI_COLUMN_UNKNOWN"),
        ([("x",), ("1",), ("abc",)], ["--indicator", "x=1", "--k", "0.5"], "MPI_NOT_NUMERIC"),
        ([("x",), ("1",), ("2",)], ["--indicator", "x=1", "--k", "0.5"], "MPI_FLAG_NOT_BINARY"),
        ([("x",)], ["--indicator", "x=1", "--k", "0.5"], "MPI_EMPTY"),
        (ROWS, ["--indicator", "malaria=0", "--k", "0.5"], "MPI_WEIGHT_INVALID"),
        (ROWS, ["--indicator", "malaria=-1", "--k", "0.5"], "MPI_WEIGHT_INVALID"),
        (ROWS, ["--indicator", "malaria=1", "--k", "0"], "MPI_K_INVALID"),
        (ROWS, ["--indicator", "malaria=1", "--k", "1.5"], "MPI_K_INVALID"),
        (ROWS, ["--indicator", "malaria=1", "--k", "x"], "MPI_K_INVALID"),
        (ROWS, ["--indicator", "malaria=1"], "MPI_K_INVALID"),
        (ROWS, ["--indicator", "malaria", "--k", "1"], "MPI_INDICATOR_INVALID"),
        (ROWS, ["--k", "1"], "MPI_NO_INDICATORS"),
        (
            [("x", "w"), ("1", "1"), ("0", "0")],
            ["--indicator", "x=1", "--k", "1", "--weight-column", "w"],
            "MPI_UNIT_WEIGHT_INVALID",
        ),
    ],
)
def test_bad_input_exits_2_with_its_code(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rows: list[tuple[str, ...]],
    argv: list[str],
    code: str,
) -> None:
    f = write_csv(tmp_path / "in.csv", rows)
    status, _, err = run(capsys, str(f), *argv, "--json")
    assert status == 2
    assert code in err and "错误" in err


def test_empty_and_missing_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    status, _, err = run(capsys, str(empty), "--indicator", "x=1", "--k", "1")
    assert status == 2 and "MPI_EMPTY" in err
    status, _, err = run(capsys, str(tmp_path / "none.csv"), "--indicator", "x=1", "--k", "1")
    assert status == 2 and "FILE_NOT_FOUND" in err
    other = tmp_path / "x.txt"
    other.write_text("x\n1\n")
    status, _, err = run(capsys, str(other), "--indicator", "x=1", "--k", "1")
    assert status == 2 and "FILE_TYPE_UNSUPPORTED" in err


@pytest.mark.django_db
def test_registry_run(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(capsys, "--registry", "--division", "513431", "--year", "2016", "--json")
    assert code == 0 and isinstance(data, dict)
    assert set(data) == KEYS | {"by", "excluded"}
    assert data["by"] and all(len(g) == 9 for g in data["by"])
    assert set(data["censored_headcount"]) == {
        "income_below_line", "unsafe_housing", "no_safe_water", "child_out_of_school",
        "member_uninsured",
    }  # fmt: skip
    code, out, _ = run(capsys, "--registry", "--division", "513431", "--year", "2016")
    assert code == 0 and isinstance(out, str)
    assert "多维贫困指数" in out and "人均纯收入低于扶贫标准" in out


@pytest.mark.django_db
def test_registry_refusals(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--registry", "--division", "999999", "--year", "2016")
    assert status == 2 and "DIVISION_UNKNOWN" in err
    status, _, err = run(capsys, "--registry", "--division", "513431")
    assert status == 2 and "MPI_REGISTRY_ARGS" in err
    status, _, err = run(capsys, "--registry", "--division", "513431", "--year", "1999")
    assert status == 2 and "PARAM_POVERTY_LINE_MISSING" in err
    status, _, err = run(
        capsys, "--registry", "--division", "513431", "--year", "2016", "--line", "abc"
    )
    assert status == 2 and "MPI_LINE_INVALID" in err
