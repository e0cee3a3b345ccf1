"""``fupin id check``: one verdict line (or JSON object) per ID, exit 0 only when all are valid."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fupin.commands import idcheck

STANDARD_EXAMPLE = "11010519491231002X"
JSON_KEYS = {"input", "valid", "normalized", "birth_date", "sex", "reason", "message"}


def run(argv: list[str]) -> int:
    """Parse with a parser that knows only the ``id`` command, and run it."""
    parser = argparse.ArgumentParser(prog="fupin")
    idcheck.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_valid_id_prints_normalised_form_birth_date_and_sex(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["id", "check", STANDARD_EXAMPLE]) == 0
    out = capsys.readouterr().out
    assert out == f"{STANDARD_EXAMPLE} 有效  出生日期 1949-12-31  性别 女\n"


def test_fifteen_digit_and_full_width_inputs_show_the_eighteen_digit_form(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["id", "check", "130503670401001", "１１０１０５１９４９１２３１００２ｘ"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "130503196704010016 有效（输入 130503670401001）  出生日期 1967-04-01  性别 男"
    )
    assert lines[1].startswith(f"{STANDARD_EXAMPLE} 有效（输入 １１０１０５")


def test_any_invalid_id_exits_1_with_reason_code_and_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["id", "check", STANDARD_EXAMPLE, "110105194912310021", "5.13431E+17"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[1] == (
        "110105194912310021 无效  [ID_BAD_CHECKSUM] 校验码错误：第18位应为 X，实际为 1"
    )
    assert lines[2].startswith("5.13431E+17 无效  [ID_EXCEL_NUMBER] 身份号码疑似被 Excel")


def test_json_prints_one_object_per_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["id", "check", "--json", STANDARD_EXAMPLE, "12345"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [set(obj) for obj in data] == [JSON_KEYS, JSON_KEYS]
    assert data[0] == {
        "input": STANDARD_EXAMPLE,
        "valid": True,
        "normalized": STANDARD_EXAMPLE,
        "birth_date": "1949-12-31",
        "sex": "female",
        "reason": None,
        "message": None,
    }
    assert data[1]["valid"] is False
    assert data[1]["reason"] == "ID_BAD_LENGTH"
    assert data[1]["normalized"] is None
    assert "位" in data[1]["message"]


def test_json_exits_0_when_all_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["id", "check", STANDARD_EXAMPLE, "--json"]) == 0
    assert [obj["valid"] for obj in json.loads(capsys.readouterr().out)] == [True]


def test_check_needs_at_least_one_id(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run(["id", "check"])
    assert exc.value.code == 2


def test_id_without_sub_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["id"]) == 2
    assert "check" in capsys.readouterr().out


def test_fupin_main_dispatches_id_check(capsys: pytest.CaptureFixture[str]) -> None:
    from fupin.cli import main

    assert main(["id", "check", "--json", STANDARD_EXAMPLE]) == 0
    assert json.loads(capsys.readouterr().out)[0]["sex"] == "female"


def test_installed_console_script_checks_ids_without_a_database(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "fupin"
    done = subprocess.run(
        [str(script), "id", "check", "--json", STANDARD_EXAMPLE, "110105194912310021"],
        capture_output=True,
        text=True,
        timeout=60,
        # An unusable database URL proves the command never opens a database.
        env={"PATH": "/usr/bin:/bin", "FUPIN_HOME": str(tmp_path), "DATABASE_URL": "invalid://"},
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert [obj["valid"] for obj in data] == [True, False]
    assert data[1]["reason"] == "ID_BAD_CHECKSUM"
