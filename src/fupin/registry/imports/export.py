"""Households as flat registry rows (one per member, household facts repeated), for exports.

The rows have the layout of ``columns.COLUMNS`` with codes as their Chinese labels and
yes/no as 是/否, so an exported file imports again unchanged (upsert: nothing changes).
Households are read in chunks of :data:`CHUNK` with ``values_list`` (one query each for
members with their household and conditions, and for incomes): memory stays bounded and no
model objects are built.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from fupin.registry.imports.columns import COLUMNS, Column
from fupin.registry.models import Household, HouseholdIncome, Member

CHUNK = 2_000


def _path(col: Column) -> str | None:
    """Return the ``values_list`` path of a column, from Member (None: computed here)."""
    if col.kind == "causes":
        return None
    if col.level == "member":
        return col.model_field
    if col.level == "household":
        name = "code" if col.name == "household_code" else col.model_field
        return f"household__{name}"
    if col.level == "conditions":
        return f"household__conditions__{col.model_field}"
    return None  # income: from the latest income record


INCOME_COLUMNS = [c for c in COLUMNS if c.level == "income"]


def _text(col: Column, value: Any) -> str | None:
    if value is None:
        return None
    if col.kind == "bool":
        return "是" if value else "否"
    if col.code_list is not None and col.kind == "code":
        if value == "":
            return None
        try:
            return col.code_list.label_of(value)
        except KeyError:
            return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if value == "":
        return None
    return str(value)


def flat_rows(
    households: QuerySet[Household], *, limit: int | None = None
) -> Iterator[list[str | None]]:
    """Yield one flat row per member of ``households`` (in 户编号 order), at most ``limit``
    households."""
    paths = [(_path(c), c) for c in COLUMNS]
    member_paths = [p for p, _ in paths if p is not None]
    causes_col = next(c for c in COLUMNS if c.kind == "causes")
    ids = households.order_by("code").values_list("id", flat=True)
    if limit is not None:
        ids = ids[:limit]
    chunk: list[int] = []
    for hid in ids.iterator(chunk_size=CHUNK):
        chunk.append(hid)
        if len(chunk) >= CHUNK:
            yield from _chunk_rows(chunk, paths, member_paths, causes_col)
            chunk = []
    if chunk:
        yield from _chunk_rows(chunk, paths, member_paths, causes_col)


def _chunk_rows(
    ids: list[int],
    paths: list[tuple[str | None, Column]],
    member_paths: list[str],
    causes_col: Column,
) -> Iterator[list[str | None]]:
    incomes: dict[int, tuple[Any, ...]] = {}
    income_fields = [
        "household_id",
        *("year" if c.name == "income_year" else c.model_field for c in INCOME_COLUMNS),
    ]
    for rec in (
        HouseholdIncome.objects.filter(household_id__in=ids)
        .order_by("household_id", "year")
        .values_list(*income_fields)
    ):
        incomes[rec[0]] = rec[1:]  # the latest year wins
    # Members in the order they were registered (an imported household: its file order).
    members = Member.objects.filter(household_id__in=ids).order_by("household__code", "id")
    values = members.values_list(
        "household_id",
        "household__other_cause_1",
        "household__other_cause_2",
        *member_paths,
    )
    assert causes_col.code_list is not None
    for rec in values:
        hid, cause1, cause2, *rest = rec
        by_path = dict(zip(member_paths, rest, strict=True))
        income = incomes.get(hid)
        row: list[str | None] = []
        income_i = 0
        for path, col in paths:
            if col.kind == "causes":
                labels = [causes_col.code_list.label_of(c) for c in (cause1, cause2) if c]
                row.append("、".join(labels) or None)
            elif col.level == "income":
                row.append(_text(col, income[income_i]) if income else None)
                income_i += 1
            else:
                row.append(_text(col, by_path[path]))  # type: ignore[index]
        yield row
