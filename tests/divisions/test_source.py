"""The packaged files hold the five NBS 2023 levels; ``source`` reads them by prefix."""

from __future__ import annotations

from fupin.divisions.source import code_exists, count_subtree, read_level, read_subtree
from tests.divisions.datafiles import count_under


def test_levels_hold_the_published_row_counts(codes_in_files: dict[int, list[str]]) -> None:
    published = {1: 31, 2: 342, 3: 2978, 4: 41352, 5: 620573}  # data/README.md

    assert {level: len(codes) for level, codes in codes_in_files.items()} == published
    assert {level: read_level(level).num_rows for level in published} == published
    assert count_subtree() == published


def test_read_subtree_gives_the_prefix_its_subtree_and_its_ancestors(
    codes_in_files: dict[int, list[str]],
) -> None:
    table = read_subtree("513431")

    assert count_subtree("513431") == dict(count_under(codes_in_files, "513431"))
    assert table.num_rows == 186
    assert table.column_names == ["code", "name", "level", "parent_code"]
    assert table.slice(0, 3)["code"].to_pylist() == ["51", "5134", "513431"]


def test_codes_keep_their_leading_digits_as_text() -> None:
    table = read_level(5, "110101001")

    assert table["code"].to_pylist()[0] == "110101001001"
    assert table["parent_code"].to_pylist()[0] == "110101001"


def test_code_exists_only_for_codes_of_the_data() -> None:
    assert code_exists("51")
    assert code_exists("513431103201")
    assert code_exists("441900")  # 东莞市 has a county-level code ending in 00
    assert not code_exists("99")
    assert not code_exists("513499")
    assert not code_exists("5")
