"""``fupin generate``: a file without a database, or straight into the database."""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from fupin.commands import generate
from fupin.synth.generator import SCHEMA


def main(argv: list[str]) -> int:
    """Run ``fupin generate`` as the ``fupin`` entry point does (parser, then ``func``)."""
    parser = argparse.ArgumentParser(prog="fupin")
    generate.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_writes_a_csv_with_exactly_the_persons_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "zhaojue.csv"
    argv = ["generate", "--county", "513431", "--persons", "500", "--seed", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 501
    assert lines[0].replace('"', "").split(",") == SCHEMA.names
    assert "500 人" in capsys.readouterr().out


def test_parquet_is_reproducible_and_follows_the_year(tmp_path: Path) -> None:
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    for path in paths:
        argv = ["generate", "--county", "513431", "--persons", "800", "--seed", "7"]
        assert main([*argv, "--year", "2019", "--out", str(path)]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()
    table = pq.read_table(paths[0])
    assert table.num_rows == 800
    assert set(table["income_year"].to_pylist()) == {2019}


def test_a_prefix_division(tmp_path: Path) -> None:
    out = tmp_path / "liangshan.parquet"
    argv = ["generate", "--division", "5134", "--persons", "300", "--seed", "2"]
    assert main([*argv, "--out", str(out)]) == 0
    villages = pq.read_table(out)["village_code"].to_pylist()
    assert all(v.startswith("5134") for v in villages)


@pytest.mark.parametrize("county", ["999999", "5134", "51343x"])
def test_unknown_county_exits_1_with_a_chinese_message(
    county: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.csv"
    argv = ["generate", "--county", county, "--persons", "10", "--seed", "1"]
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "DIVISION_UNKNOWN" in err and "行政区划代码" in err
    assert not out.exists()


@pytest.mark.parametrize("persons", ["0", "-3"])
def test_non_positive_persons_are_refused(
    persons: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["generate", "--county", "513431", "--persons", persons, "--seed", "1"]
    assert main([*argv, "--out", str(tmp_path / "x.csv")]) == 1
    assert "SYNTH_PERSONS_INVALID" in capsys.readouterr().err


def test_unsupported_output_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--county", "513431", "--persons", "5", "--seed", "1"]
    assert main([*argv, "--out", str(tmp_path / "x.xlsx")]) == 1
    assert "SYNTH_FORMAT_UNSUPPORTED" in capsys.readouterr().err


def test_county_and_division_are_exclusive() -> None:
    with pytest.raises(SystemExit):
        main(
            ["generate", "--county", "513431", "--division", "51", "--persons", "5", "--seed", "1"]
        )


@pytest.mark.django_db(transaction=True)
def test_without_out_the_registry_is_imported(capsys: pytest.CaptureFixture[str]) -> None:
    from fupin.divisions.services import divisions_load
    from fupin.registry.models import Household, Member

    divisions_load(prefix="513431")
    assert main(["generate", "--county", "513431", "--persons", "400", "--seed", "3"]) == 0
    assert Member.objects.count() == 400
    households = Household.objects.count()
    assert households > 50
    assert Household.objects.filter(village__code__startswith="513431").count() == households
    assert "已导入" in capsys.readouterr().out
