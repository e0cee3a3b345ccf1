"""The canonical feeds and their flag rules."""

from __future__ import annotations

import ibis
import pytest

from fupin.policy import feeds as fd


def test_every_flag_type_has_a_label_kind_and_clause() -> None:
    assert set(fd.FLAG_TYPES) == set(fd.FlagType)
    for code, d in fd.FLAG_TYPES.items():
        assert d.code == code and code.value == code.name
        assert d.label and d.clause and d.kind in fd.KIND_LABELS


def test_every_flag_type_but_the_income_warning_comes_from_a_feed() -> None:
    from_feeds = {r.flag_type for f in fd.FEEDS.values() for r in f.rules}
    assert set(fd.FlagType) - from_feeds == {fd.FlagType.EARLY_WARNING_INCOME}


@pytest.mark.parametrize("code", list(fd.FEEDS))
def test_feed_carries_the_person_and_unique_fields(code: str) -> None:
    feed = fd.feed(code)
    names = feed.field_names
    assert len(set(names)) == len(names)
    assert feed.field("id_number").required and feed.field("name").required
    assert "id_number" not in feed.evidence_fields and "name" not in feed.evidence_fields


def test_fact_updates_name_the_registry_fact_they_set() -> None:
    for d in fd.FLAG_TYPES.values():
        assert bool(d.sets) == (d.kind == "fact")
        for target, _column, _constant in d.sets:
            assert target.split(".")[0] in ("member", "conditions")


def _table(feed: fd.Feed) -> ibis.Table:
    types = {"date": "date", "int": "int64", "money": "float64", "bool": "boolean"}
    schema = {f.name: types.get(f.type, "string") for f in feed.fields}
    return ibis.table({**schema, **fd.REGISTRY_FACTS}, name="t")


@pytest.mark.parametrize("code", list(fd.FEEDS))
# Spark needs pyspark installed to compile (ibis reads its options); these stand for "any engine".
@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "trino"])
def test_rules_compile_for_several_engines(code: str, dialect: str) -> None:
    feed = fd.feed(code)
    t = _table(feed)
    for rule in feed.rules:
        sql = ibis.to_sql(t.filter(rule.when(t, fd.FeedContext())), dialect=dialect)
        assert "WHERE" in sql


def test_vehicle_rule_flags_private_cars_of_live_households_only() -> None:
    con = ibis.duckdb.connect()
    rows = {
        "vehicle_type": ["car", "car", "motorcycle", "car"],
        "vehicle_use": ["private", "operating", "private", "private"],
        "reg_status": ["poor", "poor", "poor", "removed"],
    }
    t = ibis.memtable(rows)
    rule = fd.feed("vehicle").rules[0]
    got = con.to_pyarrow(t.filter(rule.when(t, fd.FeedContext()))).to_pylist()
    assert got == [{"vehicle_type": "car", "vehicle_use": "private", "reg_status": "poor"}]


def test_large_medical_cost_threshold_is_a_parameter() -> None:
    con = ibis.duckdb.connect()
    t = ibis.memtable({"out_of_pocket": [9999.0, 10000.0, 25000.0], "reg_status": ["poor"] * 3})
    rule = next(r for r in fd.feed("medical_costs").rules if r.on == "matched")
    n = con.to_pyarrow(t.filter(rule.when(t, fd.FeedContext())).count()).as_py()
    assert n == 2
    ctx = fd.FeedContext(large_medical_cost=fd.Decimal("20000"))
    assert con.to_pyarrow(t.filter(rule.when(t, ctx)).count()).as_py() == 1
