"""``fupin forms xlsform visit|household --out F.xlsx`` and ``fupin forms import …``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from fupin.cli import build_parser
from fupin.measures.models import Pairing, Visit
from fupin.measures.services import cadre_create, pairing_assign
from fupin.registry.models import Household


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.mark.parametrize("kind", ["visit", "household"])
def test_xlsform_writes_a_form_pyxform_converts(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"{kind}.xlsx"
    assert main(["forms", "xlsform", kind, "--out", str(out)]) == 0
    assert f"fupin_{kind}" in capsys.readouterr().out
    assert f'id="fupin_{kind}"' in convert(str(out)).xform


@pytest.fixture
def pairing(registry: Path) -> Pairing:
    household = Household.objects.filter(status="poor").order_by("code").first()
    assert household is not None
    cadre = cadre_create(county_code="513431", name="李明", unit="昭觉县农业农村局", by=None)
    return pairing_assign(
        household_code=household.code, cadre=cadre, start=date(2020, 1, 1), by=None
    ).pairing


def csv_file(path: Path, pairing: Pairing, day: str) -> Path:
    path.write_text(
        "SubmissionDate,visit-household,visit-cadre,visit-date,visit-content,KEY\n"
        f"2024-05-03T08:00:00Z,{pairing.household.code},{pairing.cadre_id},{day},走访,"
        "uuid:11111111-2222-4333-8444-555555555555\n",
        encoding="utf-8",
    )
    return path


def test_import_dry_run_then_store_then_skip(
    pairing: Pairing, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(tmp_path / "v.csv", pairing, "2024-05-03")
    assert main(["forms", "import", "visit", str(path), "--dry-run"]) == 0
    assert "校验通过" in capsys.readouterr().out and not Visit.objects.exists()

    assert main(["forms", "import", "visit", str(path)]) == 0
    assert "导入完成" in capsys.readouterr().out and Visit.objects.count() == 1

    assert main(["forms", "import", "visit", str(path)]) == 0
    assert "已导入过 1 条" in capsys.readouterr().out and Visit.objects.count() == 1


def test_a_bad_row_exits_1_with_the_error_table(
    pairing: Pairing, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(tmp_path / "v.csv", pairing, "2019-06-01")
    assert main(["forms", "import", "visit", str(path)]) == 1
    out = capsys.readouterr().out
    assert "VISIT_BEFORE_PAIRING" in out and "未导入任何数据" in out
    assert not Visit.objects.exists()


def test_a_missing_file_is_refused(db: None, tmp_path: Path) -> None:
    assert main(["forms", "import", "household", str(tmp_path / "none.csv")]) == 1
