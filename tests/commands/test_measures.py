"""``fupin measures import|template|overdue|suggest``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fupin.cli import build_parser
from fupin.measures.models import Measure, Pairing
from fupin.registry.models import Household


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


def measures_csv(path: Path, code: str, amount: str = "3000") -> Path:
    path.write_text(
        "户编号,措施类别,措施子类,金额,开始日期,状态\n"
        f"{code},产业扶贫,养殖业,{amount},2021-03-01,已完成\n",
        encoding="utf-8",
    )
    return path


def test_import_dry_run_then_import(
    poor_household: Household, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = measures_csv(tmp_path / "m.csv", poor_household.code)
    assert main(["measures", "import", str(path), "--dry-run"]) == 0
    assert "校验通过" in capsys.readouterr().out and not Measure.objects.exists()
    assert main(["measures", "import", str(path)]) == 0
    assert "新增 1 条" in capsys.readouterr().out
    assert main(["measures", "import", str(path), "--kind", "measures"]) == 0
    assert "未变 1 条" in capsys.readouterr().out
    assert Measure.objects.count() == 1


def test_a_bad_row_exits_1_with_the_error_table(
    poor_household: Household, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = measures_csv(tmp_path / "m.csv", poor_household.code, amount="-5")
    assert main(["measures", "import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "MEASURE_AMOUNT_NEGATIVE" in out and "金额" in out and "未导入任何数据" in out
    assert not Measure.objects.exists()


def test_pairings_import_warns_above_the_quota(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = list(Household.objects.filter(status="poor").values_list("code", flat=True)[:6])
    lines = ["帮扶责任人姓名,工作单位,户编号,结对日期"]
    lines += [f"王芳,昭觉县教育局,{c},2020-01-01" for c in codes]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["measures", "import", str(path), "--kind", "pairings"]) == 0
    out = capsys.readouterr().out
    assert "提醒" in out and "超过 5 户" in out and "新登记帮扶责任人 1 人" in out
    assert Pairing.objects.count() == 6


def test_missing_file_is_refused(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["measures", "import", str(tmp_path / "none.csv")]) == 1
    assert "FILE_NOT_FOUND" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["measures", "pairings", "visits"])
def test_template(db: None, tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.xlsx"
    assert main(["measures", "template", "--kind", kind, "--out", str(out)]) == 0
    heads = [c.value for c in load_workbook(out).worksheets[0][1]]
    assert "户编号" in heads


def test_overdue_lists_pairings_without_a_recent_visit(
    pairing: Pairing, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["measures", "overdue", "--division", "513431", "--as-of", "2021-06-30"]) == 0
    out = capsys.readouterr().out
    assert "逾期未走访 1 户" in out and pairing.household.code in out and "从未走访" in out
    assert "无帮扶责任人的贫困户" in out


def test_overdue_unknown_division(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measures", "overdue", "--division", "999999"]) == 1
    assert "DIVISION_UNKNOWN" in capsys.readouterr().err


def test_suggest_counts_and_one_household(
    poor_household: Household, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["measures", "suggest", "--division", "513431", "--year", "2016"]) == 0
    out = capsys.readouterr().out
    assert "各项建议户数" in out and "建议" in out
    argv = ["measures", "suggest", "--division", "513431", "--year", "2016"]
    assert main([*argv, "--household", poor_household.code]) == 0
    out = capsys.readouterr().out
    assert poor_household.code in out and ("建议" in out or "暂无建议" in out)
    assert main([*argv, "--household", "NOPE"]) == 1


def test_bad_as_of_date_is_refused() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["measures", "overdue", "--division", "1", "--as-of", "x"])
    assert date.today()
