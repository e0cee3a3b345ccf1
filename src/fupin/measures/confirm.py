"""Measures confirmed by department data (部门比对确认帮扶措施).

A department roster that records a payment to a person is evidence that a measure was carried
out: the civil-affairs 低保 and 特困 rosters (兜底), and the medical-cost roster (reimbursed
costs: 健康扶贫 — 基本医保、大病保险和医疗救助 paid the difference between the total and the
out-of-pocket cost). ``measures_confirm_from_dataset`` joins a loaded dataset's normalised
Parquet with the registry by the ID's integer key in DuckDB, then, in a few set-based
statements, marks the household's matching measure of that year as confirmed (``confirmed_by``
= the dataset) or records it (source "department") when the village had not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
from django.db import connection, transaction

from fupin.common.audit import audit_record
from fupin.common.errors import FupinError
from fupin.measures.models import Measure
from fupin.registry.models import Household, Member
from fupin.reports.services import rollups_mark_dirty
from fupin.sharing.models import Dataset


@dataclass(frozen=True)
class FeedMeasure:
    """Which measure a department feed confirms, and how its amount and date are read."""

    category: str
    subtype: str
    content: str
    amount_sql: str  # DuckDB expression over the dataset's columns (yuan), or NULL
    start_sql: str  # DuckDB expression giving the start date, or NULL (1 January of the year)


FEED_MEASURES: dict[str, FeedMeasure] = {
    "civil_dibao": FeedMeasure(
        "safety_net",
        "safety_net.dibao",
        "民政部门低保名册：按月发放低保金",
        "TRY_CAST(d.monthly_amount AS DOUBLE) * 12",
        "TRY_CAST(d.start_date AS DATE)",
    ),
    "civil_tekun": FeedMeasure(
        "safety_net",
        "safety_net.tekun",
        "民政部门特困人员名册：特困供养",
        "NULL",
        "TRY_CAST(d.start_date AS DATE)",
    ),
    "medical_costs": FeedMeasure(
        "health",
        "health.assistance",
        "医保部门结算数据：基本医保、大病保险和医疗救助报销",
        "GREATEST(TRY_CAST(d.total_cost AS DOUBLE) - TRY_CAST(d.out_of_pocket AS DOUBLE), 0)",
        "NULL",
    ),
}


@dataclass(frozen=True)
class ConfirmReport:
    matched_households: int
    confirmed: int
    created: int


def _registry_keys(division_code: str) -> pa.Table:
    """(id_key, household id, village) of the live members under the dataset's division (the
    whole registry when it covers no division): one query, handed to DuckDB as Arrow."""
    qn = connection.ops.quote_name
    m, h = qn(Member._meta.db_table), qn(Household._meta.db_table)
    where, params = "", []
    if division_code:
        where = " AND h.village_id BETWEEN %s AND %s"
        params = [division_code, division_code.ljust(12, "9")]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.id_key, m.household_id, h.village_id FROM {m} m "
            f"JOIN {h} h ON h.id = m.household_id WHERE h.status <> 'removed'{where}",
            params,
        )
        rows = cursor.fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [(), (), ()]
    return pa.table(
        {
            "id_key": pa.array(cols[0], pa.int64()),
            "household_id": pa.array(cols[1], pa.int64()),
            "village_id": pa.array(cols[2], pa.string()),
        }
    )


def _matches(dataset: Dataset, spec: FeedMeasure, year: int) -> list[dict[str, Any]]:
    """One row per matched household: its id, village, summed amount, earliest start."""
    con = duckdb.connect()
    con.register("reg", _registry_keys(dataset.division_code))
    path = str(dataset.file).replace("'", "''")
    rows = con.sql(
        f"""SELECT r.household_id, any_value(r.village_id) AS village_id,
                   sum({spec.amount_sql}) AS amount, min({spec.start_sql}) AS start
            FROM read_parquet('{path}') d JOIN reg r ON r.id_key = d.id_key
            WHERE d.id_key <> 0
            GROUP BY r.household_id ORDER BY r.household_id"""
    ).fetchall()
    out = []
    for household_id, village, amount, start in rows:
        begin = start if isinstance(start, date) and start.year == year else date(year, 1, 1)
        out.append(
            {
                "household_id": int(household_id),
                "village_id": village,
                "amount": None if amount is None else Decimal(str(round(amount, 2))),
                "start": begin,
            }
        )
    return out


@transaction.atomic
def measures_confirm_from_dataset(*, dataset: Dataset, year: int, by: Any = None) -> ConfirmReport:
    """Confirm (or record) the measures a department dataset shows were carried out in
    ``year``; refuse a feed that records no payment with ``MEASURES_FEED_NOT_A_MEASURE``."""
    spec = FEED_MEASURES.get(dataset.feed)
    if spec is None:
        raise FupinError(
            "MEASURES_FEED_NOT_A_MEASURE",
            f"“{dataset.get_feed_display()}”数据不记录帮扶措施，不能用于确认措施",
        )
    matches = _matches(dataset, spec, year)
    ids = [m["household_id"] for m in matches]
    tag = f"dataset:{dataset.pk}"
    existing = Measure.objects.filter(household_id__in=ids, year=year, subtype=spec.subtype)
    had = set(existing.values_list("household_id", flat=True))
    confirmed = existing.exclude(confirmed_by=tag).update(confirmed_by=tag)
    new = [
        Measure(
            household_id=m["household_id"],
            year=year,
            category=spec.category,
            subtype=spec.subtype,
            content=spec.content,
            unit=dataset.provider[:100],
            amount=m["amount"],
            start=m["start"],
            status="in_progress",
            confirmed_by=tag,
            source="department",
        )
        for m in matches
        if m["household_id"] not in had
    ]
    Measure.objects.bulk_create(new, batch_size=2000)
    created_in = {m.household_id for m in new}
    rollups_mark_dirty(
        village_codes=Household.objects.filter(pk__in=created_in).values_list(
            "village_id", flat=True
        )
    )
    audit_record(
        by=by,
        action="measure.department_confirm",
        obj_type="dataset",
        obj_key=str(dataset.pk),
        division=dataset.division_code,
        after={"year": year, "confirmed": confirmed, "created": len(new), "feed": dataset.feed},
    )
    return ConfirmReport(matched_households=len(matches), confirmed=confirmed, created=len(new))
