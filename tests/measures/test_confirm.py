"""Department rosters confirm (or record) the measures they show were paid."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin.common.errors import FupinError
from fupin.measures.confirm import measures_confirm_from_dataset
from fupin.measures.models import Measure
from fupin.measures.services import measure_record
from fupin.registry.models import Household, Member
from fupin.sharing.services import dataset_load


def _roster(tmp_path: Path, members: list[Member], feed: str, extra: str, values: str) -> object:
    lines = [f"公民身份号码,姓名,{extra}"] + [f"{m.id_number},{m.name},{values}" for m in members]
    path = tmp_path / f"{feed}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dataset_load(
        path=path, feed=feed, provider="昭觉县民政局", period="2020", legal_basis="县数据共享办法"
    )


def test_a_dibao_roster_confirms_recorded_measures_and_records_the_missing(registry, tmp_path):
    households = list(Household.objects.filter(status="poor").order_by("code")[:3])
    heads = [Member.objects.get(household=h, relation="head") for h in households]
    recorded = measure_record(
        household_code=households[0].code,
        data={
            "category": "safety_net",
            "subtype": "safety_net.dibao",
            "start": "2020-01-01",
            "reason": "核实为低保对象",
        },
        by=None,
    )
    ds = _roster(tmp_path, heads, "civil_dibao", "月保障金额（元）,纳入日期", "400,2020-04-01")
    report = measures_confirm_from_dataset(dataset=ds, year=2020)
    assert (report.matched_households, report.confirmed, report.created) == (3, 1, 2)
    recorded.refresh_from_db()
    assert recorded.confirmed_by == f"dataset:{ds.pk}"
    made = Measure.objects.get(household=households[1], subtype="safety_net.dibao")
    assert (made.source, str(made.amount), str(made.start)) == (
        "department",
        "4800.00",
        "2020-04-01",
    )
    # a second run changes nothing
    again = measures_confirm_from_dataset(dataset=ds, year=2020)
    assert (again.confirmed, again.created) == (0, 0)
    assert Measure.objects.filter(subtype="safety_net.dibao").count() == 3


def test_a_roster_without_payments_confirms_no_measure(registry, tmp_path):
    head = Member.objects.filter(relation="head").first()
    ds = _roster(tmp_path, [head], "police_death", "死亡日期", "2020-05-01")
    with pytest.raises(FupinError) as exc:
        measures_confirm_from_dataset(dataset=ds, year=2020)
    assert exc.value.code == "MEASURES_FEED_NOT_A_MEASURE"
