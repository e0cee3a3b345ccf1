"""``bulk_insert`` stores Arrow batches exactly as the ORM would, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from django.db import IntegrityError, connection, models, transaction

from fupin.common.bulk import (
    batches_of,
    binary_copy_rows,
    bulk_insert,
    copy_payload,
    prefetched,
    quote_name,
)

TABLE = "test_bulk_target"

#: Columns of the scratch table, typed as Django types them on the current database.
FIELDS: dict[str, models.Field[Any, Any]] = {
    "id": models.IntegerField(),
    "label": models.CharField(max_length=50, null=True),
    "flag": models.BooleanField(null=True),
    "day": models.DateField(null=True),
    "amount": models.DecimalField(max_digits=12, decimal_places=2, null=True),
    "at": models.DateTimeField(null=True),
}
COLUMNS = list(FIELDS)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def target() -> Iterator[str]:
    """Create the scratch table inside the test's transaction (rolled back afterwards)."""
    columns = ", ".join(
        f"{quote_name(name)} {field.db_type(connection)}"
        + (" PRIMARY KEY" if name == "id" else "")
        + ("" if field.null or name == "id" else " NOT NULL")
        for name, field in FIELDS.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {quote_name(TABLE)} ({columns})")
    yield TABLE


def sample() -> pa.Table:
    return pa.table(
        {
            "id": pa.array([1, 2, 3, 4], pa.int64()),
            "label": pa.array(["扶贫", "", None, 'a, "quoted"\nline'], pa.string()),
            "flag": pa.array([True, False, None, True]),
            "day": pa.array(
                [dt.date(2020, 1, 2), None, dt.date(1999, 12, 31), dt.date(2024, 2, 29)]
            ),
            "amount": pa.array(
                [Decimal("1.50"), None, Decimal("-0.01"), Decimal("1234567890.12")],
                pa.decimal128(12, 2),
            ),
            "at": pa.array(
                [dt.datetime(2020, 1, 1, 8, 30, tzinfo=SHANGHAI), None, None, None],
                pa.timestamp("us", tz="Asia/Shanghai"),
            ),
        }
    )


def rows() -> dict[int, dict[str, object]]:
    """Read the scratch table back through the ORM's converters, keyed by id."""
    qn = quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(qn(c) for c in COLUMNS)} FROM {qn(TABLE)} ORDER BY 1")
        fetched = cursor.fetchall()
    out: dict[int, dict[str, object]] = {}
    for row in fetched:
        record: dict[str, object] = {}
        for name, value in zip(COLUMNS, row, strict=True):
            field = FIELDS[name]
            if value is not None and isinstance(field, models.DecimalField):
                # SQLite hands decimals back as floats; the ORM rounds them to the field.
                value = Decimal(str(value)).quantize(Decimal("0.01"))
            record[name] = value
        out[int(row[0])] = record
    return out


def count(where: str = "1=1", params: list[object] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {quote_name(TABLE)} WHERE {where}", params or [])
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_bulk_insert_returns_the_number_of_rows(target: str) -> None:
    assert bulk_insert(target, COLUMNS, batches_of(sample(), 3)) == 4
    assert count() == 4


@pytest.mark.django_db
def test_nulls_stay_null_and_empty_strings_stay_empty(target: str) -> None:
    bulk_insert(target, COLUMNS, [sample()])

    stored = rows()
    assert stored[1]["label"] == "扶贫"
    assert stored[2]["label"] == ""
    assert stored[3]["label"] is None
    assert stored[4]["label"] == 'a, "quoted"\nline'
    assert count(f"{quote_name('label')} IS NULL") == 1
    assert count(f"{quote_name('label')} = %s", [""]) == 1
    assert [stored[i]["amount"] for i in (2,)] == [None]


@pytest.mark.django_db
def test_booleans_dates_and_decimals_round_trip(target: str) -> None:
    bulk_insert(target, COLUMNS, [sample()])

    stored = rows()
    assert [stored[i]["flag"] for i in (1, 2, 3, 4)] == [True, False, None, True]
    assert [stored[i]["day"] for i in (1, 2, 3, 4)] == [
        dt.date(2020, 1, 2),
        None,
        dt.date(1999, 12, 31),
        dt.date(2024, 2, 29),
    ]
    assert [stored[i]["amount"] for i in (1, 2, 3, 4)] == [
        Decimal("1.50"),
        None,
        Decimal("-0.01"),
        Decimal("1234567890.12"),
    ]
    # Compared the way the ORM's lookups compare them.
    flag = FIELDS["flag"].get_db_prep_value(True, connection)
    day = FIELDS["day"].get_db_prep_value(dt.date(2020, 1, 2), connection)
    assert count(f"{quote_name('flag')} = %s", [flag]) == 2
    assert count(f"{quote_name('day')} = %s", [day]) == 1


@pytest.mark.django_db
def test_aware_timestamps_are_stored_as_the_orm_stores_them(target: str) -> None:
    bulk_insert(target, COLUMNS, [sample()])

    moment = dt.datetime(2020, 1, 1, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
    param = FIELDS["at"].get_db_prep_value(moment, connection)
    assert count(f"{quote_name('at')} = %s", [param]) == 1


@pytest.mark.django_db
def test_batch_columns_may_come_in_any_order(target: str) -> None:
    shuffled = sample().select(list(reversed(COLUMNS)))

    bulk_insert(target, COLUMNS, [shuffled])

    assert rows()[1]["label"] == "扶贫"


@pytest.mark.django_db
def test_empty_batches_insert_nothing(target: str) -> None:
    assert bulk_insert(target, COLUMNS, [sample().slice(0, 0)]) == 0
    assert bulk_insert(target, COLUMNS, []) == 0
    assert count() == 0


@pytest.mark.django_db
def test_rollback_inside_atomic_stores_nothing(target: str) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        bulk_insert(target, COLUMNS, [sample()])
        assert count() == 4
        raise Abort

    assert count() == 0


@pytest.mark.django_db
def test_a_failing_batch_rolls_back_the_earlier_ones(target: str) -> None:
    duplicate = sample().slice(0, 1)  # id 1 again: primary key violation in the second batch

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(target, COLUMNS, [sample(), duplicate])

    assert count() == 0


@pytest.mark.django_db
def test_one_instant_throughout_a_column_is_stored_as_that_instant(target: str) -> None:
    moment = dt.datetime(2020, 1, 1, 8, 30, 15, 250000, tzinfo=SHANGHAI)
    table = sample().set_column(
        5, "at", pa.array([moment] * 4, pa.timestamp("us", tz="Asia/Shanghai"))
    )

    bulk_insert(target, COLUMNS, [table])

    param = FIELDS["at"].get_db_prep_value(moment, connection)
    assert count(f"{quote_name('at')} = %s", [param]) == 4


def test_copy_payload_writes_aware_timestamps_as_utc_text() -> None:
    at = pa.timestamp("us", tz="Asia/Shanghai")
    moment = dt.datetime(2020, 1, 1, 8, 30, tzinfo=SHANGHAI)
    batch = pa.table(
        {
            "same": pa.array([moment, moment], at),
            "varied": pa.array([moment, None], at),
            "label": ["", None],
        }
    )

    text = copy_payload(batch).decode()

    assert text.splitlines() == [
        '"2020-01-01 00:30:00.000000+00","2020-01-01 00:30:00.000000+00",""',
        '"2020-01-01 00:30:00.000000+00",,',
    ]


def test_prefetched_yields_every_item_in_order() -> None:
    assert list(prefetched(iter(range(10)))) == list(range(10))
    assert list(prefetched(iter(()))) == []


def test_prefetched_raises_a_producers_error_at_its_item() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise ValueError("bad batch")

    received = []
    with pytest.raises(ValueError, match="bad batch"):
        for item in prefetched(items()):
            received.append(item)
    assert received == [1]


def test_prefetched_runs_at_most_depth_items_ahead_and_stops_with_the_consumer() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(100):
            made.append(i)
            yield i

    stream = prefetched(items(), depth=2)
    assert next(stream) == 0
    time.sleep(0.2)
    # One handed out, two waiting in the queue, one made and waiting for room.
    assert len(made) <= 4
    stream.close()
    time.sleep(0.1)
    assert len(made) <= 5


@pytest.mark.django_db
def test_batches_that_binary_copy_cannot_take_go_as_csv_in_the_same_load(target: str) -> None:
    # The second batch's amounts are floats, which PostgreSQL's binary numeric does not take.
    floats = (
        sample()
        .set_column(4, "amount", pa.array([2.5, None, -0.25, 99.0], pa.float64()))
        .set_column(0, "id", pa.array([5, 6, 7, 8], pa.int64()))
    )

    assert bulk_insert(target, COLUMNS, [sample(), floats, sample().slice(0, 0)]) == 8

    stored = rows()
    assert [stored[i]["amount"] for i in (1, 3, 5, 6, 7, 8)] == [
        Decimal("1.50"),
        Decimal("-0.01"),
        Decimal("2.50"),
        None,
        Decimal("-0.25"),
        Decimal("99.00"),
    ]
    assert stored[8]["label"] == 'a, "quoted"\nline'


def test_binary_rows_use_the_column_types_of_the_table() -> None:
    batch = pa.table(
        {
            "n": pa.array([1, None], pa.int32()),
            "money": pa.array([Decimal("-1234567.89"), Decimal("0.05")], pa.decimal128(14, 2)),
            "note": ["是", None],
        }
    )

    data = binary_copy_rows(batch, ["smallint", "numeric", "jsonb"])

    assert data is not None
    first = (
        b"\x00\x03"  # three fields
        + b"\x00\x00\x00\x02\x00\x01"  # smallint 1
        # numeric: 4 base-10000 digits, weight 2, negative, scale 2: 0 123 4567 8900
        + b"\x00\x00\x00\x10\x00\x04\x00\x02\x40\x00\x00\x02"
        + b"\x00\x00\x00\x7b\x11\xd7\x22\xc4"
        + b"\x00\x00\x00\x04\x01"
        + "是".encode()  # jsonb: version 1, then the text
    )
    second = (
        b"\x00\x03"
        + b"\xff\xff\xff\xff"  # NULL
        + b"\x00\x00\x00\x10\x00\x04\x00\x02\x00\x00\x00\x02"
        + b"\x00\x00\x00\x00\x00\x00\x01\xf4"
        + b"\xff\xff\xff\xff"
    )
    assert data == first + second


def test_binary_rows_are_refused_when_a_type_or_value_does_not_fit() -> None:
    assert binary_copy_rows(pa.table({"n": pa.array([1], pa.int64())}), ["text"]) is None
    assert binary_copy_rows(pa.table({"n": pa.array([40000], pa.int32())}), ["smallint"]) is None
    assert binary_copy_rows(pa.table({"n": pa.array([1.5])}), ["numeric"]) is None
    assert binary_copy_rows(pa.table({"n": pa.array([1])}), ["smallint"]) is not None
