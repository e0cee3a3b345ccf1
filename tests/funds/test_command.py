"""``fupin funds allocate|balance|monitor|notice``: the services' rules, on the command line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from fupin.cli import build_parser
from fupin.divisions.models import Division
from fupin.funds.models import FundAllocation, Project
from fupin.notices.models import Notice
from fupin.reports.services import rollups_refresh
from tests.funds.conftest import COUNTY, SOURCE, YEAR, propose

pytestmark = pytest.mark.django_db


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


def said(capsys: pytest.CaptureFixture[str]) -> str:
    c = capsys.readouterr()
    return c.out + c.err


def test_allocate_by_factors_dry_run_then_for_real(
    funded_county: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rollups_refresh()
    townships = Division.objects.filter(parent_id=COUNTY).count()
    argv = ["funds", "allocate", "--from", COUNTY, "--source", SOURCE, "--year", str(YEAR)]
    argv += ["--data-year", "2016", "--total", "300000.01", "--on", "2019-04-01"]
    # the performance score is not recorded: blank is not zero, so the default weights refuse
    assert main([*argv, "--dry-run"]) == 1
    assert "FUNDS_FACTOR_MISSING" in said(capsys)
    argv += ["--weight", "performance=0", "--weight", "poor_population=0.55"]
    assert (
        main(
            [
                "funds",
                "allocate",
                "--from",
                COUNTY,
                "--source",
                SOURCE,
                "--year",
                "2019",
                "--total",
                "1",
                "--weight",
                "nope=1",
            ]
        )
        == 1
    )
    assert "FUNDS_WEIGHTS" in said(capsys)
    assert main([*argv, "--dry-run"]) == 0
    out = said(capsys)
    assert "合计 300,000.01 元" in out and "未下达" in out
    assert not FundAllocation.objects.filter(from_division_id=COUNTY).exists()
    assert main(argv) == 0
    made = FundAllocation.objects.filter(from_division_id=COUNTY)
    assert 0 < made.count() <= townships
    assert sum(a.amount for a in made) == Decimal("300000.01")
    # the county has 200,000 left of this source: refused, nothing more written
    argv[argv.index("--total") + 1] = "300000"
    assert main(argv) == 1
    assert "FUNDS_OVER" in said(capsys)
    assert made.count() == FundAllocation.objects.filter(from_division_id=COUNTY).count()


def test_balance_and_monitor(funded_county: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["funds", "balance", "--division", COUNTY, "--year", str(YEAR)]) == 0
    out = said(capsys)
    assert "500,000.00" in out and "100,000.00" in out
    # two years on, the county's unassigned funds are idle
    assert main(["funds", "monitor", "--division", COUNTY, "--as-of", "2021-06-30"]) == 0
    out = said(capsys)
    assert "资金闲置超过规定期限" in out
    assert main(["funds", "monitor", "--division", "999999"]) == 1


def test_notice_of_a_project_and_of_the_allocations(
    funded_county: None, village: Division, capsys: pytest.CaptureFixture[str]
) -> None:
    project: Project = propose(village)
    assert main(["funds", "notice", "--project", project.code, "--level", "village"]) == 0
    notice = Notice.objects.get(kind="project_village")
    assert f"/notices/{notice.pk}/" in said(capsys)
    # the township notice waits for the review
    assert main(["funds", "notice", "--project", project.code, "--level", "township"]) == 1
    assert "FUNDS_NOTICE_STAGE" in said(capsys)
    assert main(["funds", "notice", "--allocations", "5134", "--year", str(YEAR)]) == 0
    assert Notice.objects.get(kind="fund_allocation").items.count() == 1
    assert main(["funds", "notice", "--project", project.code]) == 1


def test_import_payments_from_the_command_line(
    approved_project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.funds.test_imports import good_rows, write

    path = write(tmp_path / "p.csv", *good_rows(approved_project))
    assert main(["funds", "import", str(path), "--dry-run"]) == 0
    assert "校验通过" in said(capsys)
    assert main(["funds", "import", str(path)]) == 0
    assert "新增 3 条" in said(capsys)
    bad = write(tmp_path / "b.csv", f"{approved_project.code},x,2019,2019-05-01,1,实施单位,某,,,,")
    assert main(["funds", "import", str(bad)]) == 1
    out = said(capsys)
    assert "CODE_UNKNOWN" in out and "未导入任何数据" in out
