"""``fupin divisions load|show`` (fupin.commands.divisions) through its own parser."""

from __future__ import annotations

import argparse

import pytest

from fupin.commands import divisions as command
from fupin.divisions.models import Division


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="fupin")
    command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["divisions", *argv])
    code: int = args.func(args)
    return code


@pytest.mark.django_db
def test_load_county_prints_counts_per_level_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("load", "--county", "513431") == 0

    out = capsys.readouterr().out
    assert "已导入行政区划：四川省 凉山彝族自治州 昭觉县（513431）" in out
    lines = out.splitlines()
    assert any(line.split()[:2] == ["乡级", "20"] for line in lines)
    assert any(line.split()[:2] == ["村级", "163"] for line in lines)
    assert "合计      186 个（新增 186，更新 0）" in out
    assert Division.objects.count() == 186


@pytest.mark.django_db
def test_load_province_and_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("load", "--prefix", "513431103") == 0
    assert run("load", "--province", "11") == 0

    out = capsys.readouterr().out
    assert "已导入行政区划：北京市（11）" in out
    assert Division.objects.filter(pk="513431103").exists()
    assert Division.objects.filter(pk="110101").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["load", "--prefix", "99"], "DIVISION_UNKNOWN"),
        (["load", "--county", "abc"], "DIVISION_UNKNOWN"),
        (["load", "--county", "51"], "DIVISION_WRONG_LEVEL"),
        (["load", "--province", "513431"], "DIVISION_WRONG_LEVEL"),
        (["show", "513431"], "DIVISION_UNKNOWN"),  # nothing loaded yet
        (["show", "5134311"], "DIVISION_UNKNOWN"),
    ],
)
def test_refusals_print_the_code_and_exit_1(
    argv: list[str], code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(*argv) == 1

    assert f"[{code}]" in capsys.readouterr().err
    assert not Division.objects.exists()


def test_province_county_and_prefix_are_mutually_exclusive() -> None:
    with pytest.raises(SystemExit):
        run("load", "--province", "51", "--county", "513431")


@pytest.mark.django_db
def test_show_prints_the_path_and_the_child_count(capsys: pytest.CaptureFixture[str]) -> None:
    run("load", "--county", "513431")
    capsys.readouterr()

    assert run("show", "513431") == 0

    assert capsys.readouterr().out.splitlines() == [
        "四川省 凉山彝族自治州 昭觉县",
        "代码 513431，县级，下级区划 20 个",
    ]
