"""The matching engine on small hand-made tables: ID, 15-digit ID, name+birth fallback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fupin.policy import feeds as fd
from fupin.policy.idnumber import id_key, make_ids
from fupin.sharing import engine

IDS = [
    str(x)
    for x in make_ids(
        [513431] * 4, ["1960-03-01", "1975-07-20", "1990-01-02", "2001-05-06"], [11, 12, 13, 14]
    )
]
VILLAGE = "513431100201"


def registry(names: list[str] | None = None) -> pa.Table:
    names = names or ["甲", "乙", "丙", "丁"]
    births = [date(1960, 3, 1), date(1975, 7, 20), date(1990, 1, 2), date(2001, 5, 6)]
    return pa.table(
        {
            "id_key": [id_key(i) for i in IDS],
            "member_id": [1, 2, 3, 4],
            "household_id": [10, 10, 20, 20],
            "household_code": ["H10", "H10", "H20", "H20"],
            "reg_name": names,
            "reg_birth": births,
            "reg_village": [VILLAGE] * 4,
            "reg_status": ["poor"] * 4,
            "reg_dibao": [False] * 4,
            "reg_tekun": [False] * 4,
            "reg_basic_medical": [False] * 4,
            "reg_school_status": ["not_in_school"] * 4,
            "reg_health": ["healthy"] * 4,
            "reg_house_grade": ["safe"] * 4,
        }
    ).cast(engine.REGISTRY_SCHEMA)


def department(ids: list[str], names: list[str], births: list[str | None]) -> pa.Table:
    raw = pa.table(
        {
            "公民身份号码": ids,
            "姓名": names,
            "出生日期": births,
            "号牌号码": ["川W1"] * len(ids),
            "车辆类型（car/truck/motorcycle/agricultural）": ["car"] * len(ids),
            "使用性质（private/operating）": ["private"] * len(ids),
        }
    )
    feed = fd.feed("vehicle")
    return engine.normalise(raw, engine.default_mapping(raw.column_names, feed), feed)


def flags(dept: pa.Table, reg: pa.Table | None = None) -> list[dict[str, object]]:
    out, _ = engine.match_arrow(
        dept, reg or registry(), fd.feed("vehicle"), fd.FeedContext(), county="513431"
    )
    return sorted(out.to_pylist(), key=lambda r: int(r["row_no"]))


def test_row_with_a_registered_id_matches_by_id() -> None:
    got = flags(department([IDS[1]], ["乙"], [None]))
    assert [(r["member_id"], r["match_method"], r["flag_type"]) for r in got] == [
        (2, "id", "INELIGIBLE_VEHICLE")
    ]


def test_fifteen_digit_id_is_upgraded_and_matches_by_id() -> None:
    old = IDS[0][:6] + IDS[0][8:17]
    dept = department([old], ["甲"], [None])
    assert dept.column("id_number").to_pylist() == [IDS[0]]
    got = flags(dept)
    assert [(r["member_id"], r["match_method"]) for r in got] == [(1, "id")]


def test_damaged_id_falls_back_to_a_unique_name_and_birth_date() -> None:
    bad = IDS[2][:17] + ("0" if IDS[2][17] != "0" else "1")
    got = flags(department([bad], ["丙"], ["1990-01-02"]))
    assert [(r["member_id"], r["match_method"]) for r in got] == [(3, "name_birth")]
    assert got[0]["person_key"] == id_key(IDS[2])


def test_birth_date_comes_from_the_damaged_id_when_the_file_has_none() -> None:
    bad = IDS[2][:17] + ("0" if IDS[2][17] != "0" else "1")
    got = flags(department([bad], ["丙"], [None]))
    assert [r["match_method"] for r in got] == ["name_birth"]


def test_name_and_birth_shared_by_two_registry_persons_match_nobody() -> None:
    reg = registry(["甲", "乙", "丙", "丙"]).set_column(
        5, "reg_birth", pa.array([date(1960, 3, 1), date(1975, 7, 20)] + [date(1990, 1, 2)] * 2)
    )
    bad = IDS[2][:17] + ("0" if IDS[2][17] != "0" else "1")
    assert flags(department([bad], ["丙"], ["1990-01-02"]), reg) == []


def test_name_and_birth_twice_in_the_file_match_nobody() -> None:
    bad = IDS[2][:17] + ("0" if IDS[2][17] != "0" else "1")
    assert flags(department([bad, bad], ["丙", "丙"], ["1990-01-02"] * 2)) == []


def test_person_outside_the_registry_raises_no_matched_flag() -> None:
    outsider = str(make_ids(513431, "1980-01-01", 500)[0])
    assert flags(department([outsider], ["戊"], [None])) == []


def test_motorcycle_of_a_registered_person_raises_no_flag() -> None:
    dept = department([IDS[1]], ["乙"], [None])
    dept = dept.set_column(
        dept.column_names.index("vehicle_type"), "vehicle_type", pa.array(["motorcycle"])
    )
    assert flags(dept) == []


# -- the national path: Parquet in, Parquet out ---------------------------------------------


def match_files(tmp_path: Path, dept: pa.Table) -> pa.Table:
    reg_file, dept_file, out = (tmp_path / n for n in ("reg.parquet", "dept.parquet", "out"))
    pq.write_table(registry(), reg_file)
    pq.write_table(dept, dept_file)
    n = engine.match_parquet(
        registry=reg_file,
        department=dept_file,
        feed=fd.feed("vehicle"),
        out=out,
        county="513431",
        registry_is_snapshot=True,
    )
    flags = pq.read_table(out)
    assert flags.num_rows == n
    return flags


def test_parquet_path_matches_by_id_and_by_name_and_birth(tmp_path: Path) -> None:
    bad = IDS[2][:17] + ("0" if IDS[2][17] != "0" else "1")
    dept = department([IDS[1], bad], ["乙", "丙"], [None, "1990-01-02"])
    got = sorted(match_files(tmp_path, dept).to_pylist(), key=lambda r: int(r["row_no"]))
    assert [(r["member_id"], r["match_method"]) for r in got] == [(2, "id"), (3, "name_birth")]
    assert got == flags(dept)  # the same flags as the in-memory path


def test_parquet_path_without_damaged_ids_skips_the_fallback(tmp_path: Path) -> None:
    got = match_files(tmp_path, department([IDS[0], IDS[3]], ["甲", "丁"], [None, None]))
    assert sorted(got["member_id"].to_pylist()) == [1, 4]


def test_damaged_ids_are_seen_in_the_parquet_footer(tmp_path: Path) -> None:
    bad = IDS[2][:17] + ("0" if IDS[2][17] != "0" else "1")
    con = engine.duckdb_connection()
    clean, damaged, bare = (tmp_path / n for n in ("clean.parquet", "bad.parquet", "bare.parquet"))
    pq.write_table(department([IDS[0]] * 3, ["甲"] * 3, [None] * 3), clean, row_group_size=1)
    mixed = department([IDS[0], IDS[1], bad], ["甲", "乙", "丙"], [None] * 3)
    pq.write_table(mixed, damaged, row_group_size=1)
    pq.write_table(department([IDS[0]], ["甲"], [None]), bare, write_statistics=False)
    assert engine.has_damaged_ids(con, clean) is False
    assert engine.has_damaged_ids(con, damaged) is True
    # No statistics: the fallback runs (and finds nothing if there is nothing to find).
    assert engine.has_damaged_ids(con, bare) is True
