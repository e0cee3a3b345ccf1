"""``fupin import FILE``: counts in Chinese; on error a table, exit status 1, nothing stored."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest

from fupin.commands import importer
from fupin.registry.models import Household, Member
from tests.registry import flatfiles

pytestmark = pytest.mark.usefixtures("divisions")


def main(argv: list[str]) -> int:
    """Run ``fupin import`` as the ``fupin`` entry point does (parser, then ``func``)."""
    parser = argparse.ArgumentParser(prog="fupin")
    importer.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.fixture
def divisions(db: None) -> None:
    flatfiles.create_divisions()


def test_import_prints_counts_and_stores_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = flatfiles.write_csv(flatfiles.valid_rows(), tmp_path / "registry.csv")

    code = main(["import", str(path)])

    out = capsys.readouterr().out
    assert code == 0
    assert "9 行，3 户，9 人" in out and "收支记录 2 条" in out and "导入完成" in out
    assert Household.objects.count() == 3 and Member.objects.count() == 9


def test_dry_run_stores_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = flatfiles.write_csv(flatfiles.valid_rows(), tmp_path / "registry.csv")

    assert main(["import", str(path), "--dry-run"]) == 0

    assert "校验通过" in capsys.readouterr().out
    assert Household.objects.count() == 0


def test_errors_are_listed_with_the_total_and_exit_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = flatfiles.valid_rows()
    for r in rows:
        r["ethnicity"] = "火星族"
    path = flatfiles.write_csv(rows, tmp_path / "registry.csv")

    code = main(["import", str(path)])

    out = capsys.readouterr().out
    assert code == 1
    for heading in ("行", "列", "代码", "说明"):
        assert heading in out
    assert "CODE_UNKNOWN" in out and "民族" in out
    assert "共 9 处错误" in out and "未导入任何数据" in out
    assert Household.objects.count() == 0


def test_only_the_first_30_errors_are_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = flatfiles.valid_rows() * 4  # 36 rows: every ID repeats, every household code too
    path = flatfiles.write_csv(rows, tmp_path / "registry.csv")

    assert main(["import", str(path)]) == 1

    out = capsys.readouterr().out
    assert out.count("ID_DUPLICATE_IN_FILE") <= 30
    assert "仅显示前 30 处" in out


def test_errors_out_writes_every_error_as_excel_friendly_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = flatfiles.valid_rows()
    rows[0]["basic_medical"] = "也许"
    rows[3]["id_number"] = "5.13431E+17"
    path = flatfiles.write_csv(rows, tmp_path / "registry.csv")
    errors_csv = tmp_path / "errors.csv"

    assert main(["import", str(path), "--errors-out", str(errors_csv)]) == 1

    raw = errors_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with errors_csv.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["行", "列", "列名", "代码", "说明", "值"]
    assert [(r[0], r[2], r[3]) for r in lines[1:]] == [
        ("2", "basic_medical", "BOOL_INVALID"),
        ("5", "id_number", "ID_EXCEL_NUMBER"),
    ]
    assert lines[2][1] == "公民身份号码" and lines[2][5] == "5.13431E+17"


def test_an_unreadable_file_is_a_coded_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "missing.csv")]) == 1
    assert "FILE_NOT_FOUND" in capsys.readouterr().err
