"""The fast measures import (parse per group of columns, batched rules, raw reads) refuses
exactly what the row-by-row services refuse: for a generated file of good and bad rows (every
rule category, edge amounts and terms, borrowers 18/65 on the start day, unknown members and
codes, bad dates, blanks), the report lists, row for row, the same (column, code, message) as
``services.measure_parse`` + ``services.measure_problems`` called on each row, stores nothing,
and the good rows alone import and re-import unchanged."""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from fupin.measures import services
from fupin.measures.imports import MEASURE_COLUMNS, measures_import_file
from fupin.measures.imports.measures import _problem_column
from fupin.measures.models import Measure
from fupin.registry.models import Household, Member

pytestmark = pytest.mark.django_db

HEAD = [c.heading for c in MEASURE_COLUMNS]
NAME_OF = {c.heading: c.name for c in MEASURE_COLUMNS}

#: Per column: cells that parse, then cells that do not (picked for about one cell in 25).
CELLS: dict[str, tuple[list[str], list[str]]] = {
    "年度": (["", "2021"], ["2012", "二〇二一", "2101"]),
    "措施类别": (
        ["产业扶贫", "小额信贷", "小额信贷", "兜底保障", "公益岗位", "危房改造", "就业扶贫"],
        ["", "不存在的类别"],
    ),
    "措施子类": ([""] * 6 + ["养殖业", "技能培训", "护林员"], ["不存在的子类"]),
    "金额": (["", "0", "3000", "50000", "50000.00", "50000.01", "-1", "-1.0"], ["abc"]),
    "开始日期": (["2021-03-01", "2021/05/10", "20210601"], ["", "2021-13-01", "昨天"]),
    "结束日期": (["", "", "2021-12-31", "2020-01-01"], ["bad"]),
    "状态": (["", "已完成", "实施中"], ["未知状态"]),
    "贷款期限（月）": (["", "12", "36", "37"], ["-3", "x"]),
    "贷款用途": (["", "生产经营", "生产经营", "建房"], ["无此用途"]),
    "例外理由": (["", "", " ", "因灾临时困难"], []),
    "措施内容": (["", "发放能繁母牛"], ["x" * 301]),
    "实施单位": (["", "昭觉县农业农村局"], []),
}


def _cell(rng: random.Random, good: list[str], bad: list[str]) -> str:
    return rng.choice(bad) if bad and rng.random() < 0.04 else rng.choice(good)


def _birthday(born: date, years: int) -> str:
    try:
        return born.replace(year=born.year + years).isoformat()
    except ValueError:
        return date(born.year + years, 3, 1).isoformat()


def _rows(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    households = list(Household.objects.order_by("code")[:50])
    people: dict[int, list[Member]] = {}
    for m in Member.objects.filter(household__in=households):
        people.setdefault(m.household_id, []).append(m)
    rows = []
    for _ in range(n):
        h = rng.choice(households)
        row = {k: _cell(rng, *v) for k, v in CELLS.items()}
        row["户编号"] = rng.choice([h.code] * 12 + ["", "9999999999"])
        members = people.get(h.pk, [])
        pick = rng.random()
        if members and pick < 0.6:
            person = rng.choice(members)
            row["受益成员身份证号"] = person.id_number.lower() if pick < 0.05 else person.id_number
            if person.birth_date and rng.random() < 0.5:
                # a borrower 18 or 65 on the start day exactly, or a day too old / young
                row["开始日期"] = _birthday(person.birth_date, rng.choice([18, 65, 66]))
        elif pick < 0.7:
            row["受益成员身份证号"] = "513431190001010000"
        rows.append(row)
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for r in rows:
            w.writerow([r.get(h, "") for h in HEAD])
    return path


def _reference(rows: list[dict[str, str]]) -> set[tuple[int, str, str, str]]:
    """The refusals of each row by the services, one row at a time (the import's old way)."""
    p = services.parameters()
    out: set[tuple[int, str, str, str]] = set()
    contexts: dict[str, services.HouseholdContext] = {}
    for number, row in enumerate(rows, start=2):
        code = row.get("户编号") or ""
        data = {
            NAME_OF[k]: v.strip()
            for k, v in row.items()
            if v.strip() and NAME_OF[k] not in ("household_code", "member")
        }
        parsed, problems = services.measure_parse(data)
        out |= {(number, _problem_column(fp), fp.code, fp.message) for fp in problems}
        if not code:
            out.add((number, "household_code", "REQUIRED", "户编号不能为空"))
            continue
        household = Household.objects.filter(code=code).first()
        if household is None:
            out.add(
                (number, "household_code", "MEASURES_UNKNOWN_HOUSEHOLD", f"户编号“{code}”不存在")
            )
            continue
        if parsed is None:
            continue
        if code not in contexts:
            contexts[code] = services.household_context(household)
        member = (row.get("受益成员身份证号") or "").strip().upper()
        if member:
            parsed = replace(parsed, member_id_number=member)
        rules, _ = services.measure_problems(parsed, contexts[code], p)
        out |= {(number, _problem_column(fp), fp.code, fp.message) for fp in rules}
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_import_refuses_exactly_what_the_services_refuse(
    registry: Path, tmp_path: Path, seed: int
) -> None:
    rows = _rows(600, seed)
    report = measures_import_file(path=_write(tmp_path / "m.csv", rows))
    got = {
        (e.row, e.column, e.code, e.message) for e in report.errors if e.code != "DUPLICATE_IN_FILE"
    }
    want = _reference(rows)
    assert got == want
    assert len(want) > 300  # many rows are refused, for many reasons
    assert {c for _, _, c, _ in want} >= {
        "MEASURE_LOAN_AGE",
        "MEASURE_LOAN_TERM",
        "MEASURE_AMOUNT_ABOVE_CAP",
        "MEASURE_AMOUNT_NEGATIVE",
        "MEASURE_LOAN_PURPOSE",
        "MEASURES_UNKNOWN_MEMBER",
        "MEASURES_UNKNOWN_HOUSEHOLD",
        "REQUIRED",
    }
    assert not report.ok and not report.stored
    assert Measure.objects.count() == 0


def test_the_good_rows_alone_import_and_reimport_unchanged(registry: Path, tmp_path: Path) -> None:
    rows = _rows(600, 4)
    bad_rows = {e.row for e in measures_import_file(path=_write(tmp_path / "all.csv", rows)).errors}
    good = [r for number, r in enumerate(rows, start=2) if number not in bad_rows]
    assert len(good) > 20
    path = _write(tmp_path / "good.csv", good)
    first = measures_import_file(path=path)
    assert first.ok and first.stored and first.created == len(good)
    assert Measure.objects.count() == len(good)
    again = measures_import_file(path=path)
    assert again.ok and again.created == 0 and again.updated == 0
    assert again.unchanged == len(good)
