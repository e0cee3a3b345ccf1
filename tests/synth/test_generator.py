"""The generator's contract: reproducible, exact, valid for the importer, consistent."""

from __future__ import annotations

import io
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pytest

from fupin.common.errors import FupinError
from fupin.divisions.source import read_level
from fupin.policy import codes
from fupin.policy.idnumber import check_array
from fupin.registry.imports.columns import COLUMNS, columns_of
from fupin.synth import generator
from fupin.synth.generator import SCHEMA, generate
from tests.synth.registries import ZHAOJUE, registry


def one(con: duckdb.DuckDBPyConnection, table: pa.Table, query: str) -> Any:
    con.register("t", table)
    rows = con.execute(query).fetchall()
    assert len(rows) == 1
    row = rows[0]
    return row[0] if len(row) == 1 else row


# Age on 1 September 2016 (the assessment's reference day), from the ID's birth date.
AGE = (
    "(2016 - year(strptime(id_number[7:14], '%Y%m%d'))"
    " - case when strftime(strptime(id_number[7:14], '%Y%m%d'), '%m%d') > '0901'"
    " then 1 else 0 end)"
)


def ipc_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


# -- reproducibility and size ------------------------------------------------------------------


def test_same_arguments_give_identical_bytes() -> None:
    a = registry(ZHAOJUE, 3_000, seed=5, batch_households=200)
    b = registry(ZHAOJUE, 3_000, seed=5, batch_households=200)
    assert ipc_bytes(a) == ipc_bytes(b)


def test_another_seed_gives_another_registry() -> None:
    a = registry(ZHAOJUE, 3_000, seed=5)
    b = registry(ZHAOJUE, 3_000, seed=6)
    assert a.num_rows == b.num_rows
    assert a["id_number"].to_pylist() != b["id_number"].to_pylist()
    assert a["name"].to_pylist() != b["name"].to_pylist()


@pytest.mark.parametrize("persons", [1, 2, 7, 999, 12_345])
def test_persons_count_is_exact(persons: int) -> None:
    assert registry(ZHAOJUE, persons, batch_households=300).num_rows == persons


def test_batches_follow_the_schema_and_batch_size() -> None:
    batches = list(generate(division=ZHAOJUE, persons=5_000, seed=1, batch_households=400))
    assert len(batches) > 1
    assert all(b.schema == SCHEMA for b in batches)
    households = [len(set(b["household_code"].to_pylist())) for b in batches]
    assert all(h == 400 for h in households[:-1])
    assert SCHEMA.names == [c.name for c in COLUMNS]


# -- what the importer validates ---------------------------------------------------------------


def test_every_id_is_valid_and_unique(zhaojue: pa.Table) -> None:
    ids = zhaojue["id_number"].to_numpy(zero_copy_only=False)
    checked = check_array(ids)
    assert checked.valid.all()
    assert len(set(ids.tolist())) == len(ids)


def test_id_address_is_the_household_county_and_sex_matches_relation(
    zhaojue: pa.Table, sql: duckdb.DuckDBPyConnection
) -> None:
    assert (
        one(sql, zhaojue, "select count(*) from t where id_number[1:6] <> village_code[1:6]") == 0
    )
    male = check_array(zhaojue["id_number"].to_numpy(zero_copy_only=False)).male
    relation = np.array(zhaojue["relation"].to_pylist())
    male_relations = ["son", "grandson", "father", "son_in_law", "daughters_son"]
    female_relations = ["daughter", "granddaughter", "mother", "daughter_in_law"]
    assert male[np.isin(relation, male_relations)].all()
    assert not male[np.isin(relation, female_relations)].any()


def test_villages_are_real_villages_of_the_county(zhaojue: pa.Table) -> None:
    county_villages = set(read_level(5, ZHAOJUE)["code"].to_pylist())
    assert set(zhaojue["village_code"].to_pylist()) <= county_villages


def test_households_are_spread_unevenly_over_villages(zhaojue: pa.Table) -> None:
    per_village = np.array(
        list(
            pc.value_counts(zhaojue["village_code"]).field("counts").to_numpy(),
        )
    )
    assert per_village.max() > 5 * np.median(per_village)


def test_household_invariants(zhaojue: pa.Table, sql: duckdb.DuckDBPyConnection) -> None:
    heads = one(
        sql,
        zhaojue,
        "select count(*) from (select household_code, count(*) filter (where relation = 'head')"
        " as heads, count(*) as n, min(household_size) as lo, max(household_size) as hi"
        " from t group by 1) where heads <> 1 or n <> lo or lo <> hi",
    )
    assert heads == 0
    household_columns = [c.name for c in COLUMNS if c.level != "member"]
    distinct = ", ".join(f"count(distinct coalesce({c}::varchar, '∅'))" for c in household_columns)
    worst = one(
        sql,
        zhaojue,
        f"select max(g) from (select greatest({distinct}) as g from t group by household_code)",
    )
    assert worst == 1
    assert (
        one(sql, zhaojue, "select count(*) from t where group_name not similar to '第[0-9]+组'")
        == 0
    )


def test_causes_are_distinct_at_most_two_and_not_the_main_cause(zhaojue: pa.Table) -> None:
    main = zhaojue["main_cause"].to_pylist()
    for m, other in zip(main, zhaojue["other_causes"].to_pylist(), strict=True):
        others = other.split("、") if other else []
        assert len(others) <= 2
        assert len(set(others)) == len(others)
        assert m not in others
        assert set(others) <= set(codes.CAUSE.codes)


def test_codes_money_and_ranges(zhaojue: pa.Table, sql: duckdb.DuckDBPyConnection) -> None:
    for c in COLUMNS:
        if c.kind == "code" and c.code_list is not None:
            assert set(zhaojue[c.name].to_pylist()) <= set(c.code_list.codes), c.name
        if c.kind == "money":
            assert pc.min(zhaojue[c.name]).as_py() >= 0, c.name
        if c.required:
            assert zhaojue[c.name].null_count == 0, c.name
    assert one(sql, zhaojue, "select min(migrant_months), max(migrant_months) from t") == (0, 12)
    assert (
        one(
            sql,
            zhaojue,
            "select count(*) from t where (migrant_work = 'none') <> (migrant_months = 0)",
        )
        == 0
    )


def test_years_and_statuses(zhaojue: pa.Table, sql: duckdb.DuckDBPyConnection) -> None:
    assert one(
        sql, zhaojue, "select min(first_identified_year), max(first_identified_year) from t"
    ) == (
        2014,
        2016,
    )
    bad = one(
        sql,
        zhaojue,
        "select count(*) from t where (exit_year is not null)"
        " <> (status in ('exited', 'exited_with_policy'))"
        " or exit_year < first_identified_year or exit_year > 2016",
    )
    assert bad == 0


def test_phone_and_bank_account_are_well_formed(zhaojue: pa.Table) -> None:
    for phone in set(zhaojue["phone"].to_pylist()):
        assert phone == "" or (len(phone) == 11 and phone.isdigit() and phone[0] == "1")
    for account in set(zhaojue["bank_account"].to_pylist()):
        digits = [int(d) for d in account]
        # Luhn: double every second digit from the right, the check digit excluded.
        total = sum(
            d if i % 2 == 0 else (2 * d - 9 if d > 4 else 2 * d)
            for i, d in enumerate(reversed(digits))
        )
        assert len(account) == 19 and total % 10 == 0


# -- consistency between facts -----------------------------------------------------------------


def test_causes_match_the_members(zhaojue: pa.Table, sql: duckdb.DuckDBPyConnection) -> None:
    per_household = (
        "select household_code, any_value(main_cause) as cause,"
        " count(*) filter (where health in ('chronic', 'serious')) as sick,"
        " count(*) filter (where health = 'disabled') as disabled,"
        " count(*) filter (where school_status <> 'not_in_school') as students"
        " from t group by 1"
    )
    bad = one(
        sql,
        zhaojue,
        f"select count(*) from ({per_household}) where (cause = 'illness' and sick = 0)"
        " or (cause = 'disability' and disabled = 0) or (cause = 'schooling' and students = 0)",
    )
    assert bad == 0


def test_attribute_matches_member_benefits(
    zhaojue: pa.Table, sql: duckdb.DuckDBPyConnection
) -> None:
    per_household = (
        "select household_code, any_value(attribute) as attribute,"
        " count(*) filter (where dibao) as dibao, count(*) filter (where tekun) as tekun,"
        " count(*) filter (where labour_capacity in ('ordinary', 'skilled', 'weak')"
        f"   and {AGE} between 16 and 65) as able_working_age,"
        " any_value(transfer_dibao) as dibao_money, any_value(transfer_tekun) as tekun_money"
        " from t group by 1"
    )
    bad = one(
        sql,
        zhaojue,
        f"select count(*) from ({per_household}) where"
        " (attribute = 'dibao' and (dibao = 0 or dibao_money = 0))"
        " or (attribute = 'general' and dibao + tekun > 0)"
        " or (attribute = 'tekun' and (able_working_age > 0 or tekun_money = 0 or dibao > 0))"
        " or (attribute <> 'dibao' and dibao_money > 0)",
    )
    assert bad == 0


def test_exited_households_meet_two_assurances_three_guarantees(
    zhaojue: pa.Table, sql: duckdb.DuckDBPyConnection
) -> None:
    exited = "status in ('exited', 'exited_with_policy')"
    age = AGE
    assert (
        one(sql, zhaojue, f"select count(*) from t where {exited} and house_grade <> 'safe'") == 0
    )
    assert one(sql, zhaojue, f"select count(*) from t where {exited} and not basic_medical") == 0
    assert (
        one(
            sql,
            zhaojue,
            f"select count(*) from t where {exited} and not (water_safe and food_secure"
            " and clothing_secure)",
        )
        == 0
    )
    dropouts = one(
        sql,
        zhaojue,
        f"select count(*) from t where {exited} and school_status = 'not_in_school'"
        f" and not school_exempt_physical and {age} between 6 and 15",
    )
    assert dropouts == 0


def test_school_status_follows_age(zhaojue: pa.Table, sql: duckdb.DuckDBPyConnection) -> None:
    age = AGE
    in_school_6_15 = one(
        sql,
        zhaojue,
        f"select avg((school_status <> 'not_in_school')::int) from t where {age} between 6 and 15",
    )
    assert 0.95 < in_school_6_15 < 1.0
    higher = "('senior', 'vocational_secondary', 'vocational_higher', 'college')"
    checks = [
        f"{age} <= 14 and school_status in {higher}",
        f"{age} >= 20 and school_status in ('preschool', 'primary')",
        f"{age} < 6 and education <> 'preschool_child'",
    ]
    for check in checks:
        assert one(sql, zhaojue, f"select count(*) from t where {check}") == 0, check


def test_zhaojue_is_yi_with_yi_names(zhaojue: pa.Table) -> None:
    ethnicity = np.array(zhaojue["ethnicity"].to_pylist())
    assert (ethnicity == "07").mean() > 0.95
    from fupin.synth.names import YI_SURNAMES

    yi_names = [n for n, e in zip(zhaojue["name"].to_pylist(), ethnicity, strict=True) if e == "07"]
    assert np.mean([n[:2] in YI_SURNAMES for n in yi_names]) > 0.99


# -- divisions and refusals --------------------------------------------------------------------


@pytest.mark.parametrize("division", ["5134", "513431100"])
def test_a_prefix_spreads_over_its_villages(division: str) -> None:
    table = registry(division, 3_000)
    assert table.num_rows == 3_000
    villages = set(read_level(5, division)["code"].to_pylist())
    assert set(table["village_code"].to_pylist()) <= villages
    assert check_array(table["id_number"].to_numpy(zero_copy_only=False)).valid.all()


def test_all_of_china() -> None:
    table = registry("", 4_000, batch_households=500)
    counties = {c[:6] for c in table["village_code"].to_pylist()}
    assert len(counties) > 100
    ids = table["id_number"].to_numpy(zero_copy_only=False)
    assert check_array(ids).valid.all() and len(set(ids.tolist())) == len(ids)


@pytest.mark.parametrize("division", ["999999", "51343", "abcdef", "0"])
def test_unknown_division_is_refused(division: str) -> None:
    with pytest.raises(FupinError) as err:
        generate(division=division, persons=10, seed=1)
    assert err.value.code == "DIVISION_UNKNOWN"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"persons": 0}, "SYNTH_PERSONS_INVALID"),
        ({"persons": -5}, "SYNTH_PERSONS_INVALID"),
        ({"seed": -1}, "SYNTH_SEED_INVALID"),
        ({"year": 2013}, "SYNTH_YEAR_INVALID"),
        ({"year": 2021}, "SYNTH_YEAR_INVALID"),
    ],
)
def test_bad_arguments_are_refused_at_once(kwargs: dict[str, int], code: str) -> None:
    args: dict[str, Any] = {"division": ZHAOJUE, "persons": 10, "seed": 1, **kwargs}
    with pytest.raises(FupinError) as err:
        generate(**args)
    assert err.value.code == code


def test_full_birth_days_move_within_the_same_age_year(monkeypatch: pytest.MonkeyPatch) -> None:
    # With 3 sequence slots per (county, day, sex), most persons must move to another day.
    monkeypatch.setattr(generator, "_SEQ_SLOTS", 3)
    small = registry(ZHAOJUE, 8_000, seed=2, batch_households=700)
    ids = small["id_number"].to_numpy(zero_copy_only=False)
    checked = check_array(ids)
    assert checked.valid.all() and len(set(ids.tolist())) == len(ids)
    sequences = np.array([int(i[14:17]) for i in ids.tolist()])
    assert sequences.max() <= 6
    assert ((sequences % 2 == 1) == checked.male).all()


def test_member_columns_are_all_produced() -> None:
    assert {c.name for c in columns_of("member")} <= set(SCHEMA.names)
