"""The loader refuses rows that do not form a five-level tree before writing anything."""

from __future__ import annotations

import pyarrow as pa
import pytest

from fupin.common.errors import FupinError
from fupin.divisions.loader import check_levels, load_levels
from fupin.divisions.models import Division
from fupin.divisions.source import SCHEMA, read_subtree_levels


def rows(*records: tuple[str, str, int, str | None]) -> pa.Table:
    code, name, level, parent = zip(*records, strict=True)
    return pa.Table.from_arrays(
        [
            pa.array(code),
            pa.array(name),
            pa.array(level, pa.int16()),
            pa.array(parent, pa.string()),
        ],
        schema=SCHEMA,
    )


def test_the_packaged_data_is_a_tree() -> None:
    check_levels(read_subtree_levels("51"))


@pytest.mark.parametrize(
    ("levels", "bad_level"),
    [
        ({1: rows(("51", "四川省", 1, None)), 2: rows(("5134", "凉山", 2, "52"))}, 2),
        ({1: rows(("51", "四川省", 1, None)), 2: rows(("5234", "错", 2, "51"))}, 2),
        ({1: rows(("51", "四川省", 1, None)), 2: rows(("5134", "凉山", 2, None))}, 2),
        ({1: rows(("51", "四川省", 1, "5"))}, 1),
        ({1: rows(("513", "错", 1, None))}, 1),
        ({1: rows(("51", "四川省", 2, None))}, 1),
    ],
    ids=[
        "unknown-parent",
        "not-under-parent",
        "no-parent",
        "province-with-parent",
        "bad-length",
        "bad-level",
    ],
)
def test_rows_outside_the_hierarchy_are_refused(
    levels: dict[int, pa.Table], bad_level: int
) -> None:
    with pytest.raises(FupinError) as caught:
        check_levels(levels)

    assert caught.value.code == "DIVISION_DATA_INVALID"
    assert caught.value.details["level"] == bad_level


@pytest.mark.django_db
def test_invalid_rows_write_nothing() -> None:
    levels = {1: rows(("51", "四川省", 1, None)), 2: rows(("5134", "凉山", 2, "52"))}

    with pytest.raises(FupinError):
        load_levels(levels)

    assert not Division.objects.exists()
