"""The plan suggestion (``suggestions_wide``): the Ibis definition equals a plain-Python reference
household by household and column by column — on DuckDB, and on SQLite through the compiled
SQL — over random households with blanks everywhere a registry has them; and the real path
(the selectors over the registry tables) gives the same answer.

The reference is written from the suggestion table's reasons (``Suggestion.because``), the
docstring of ``suggestions_wide`` and domain.md §7, not from the Ibis code. Where those texts
are silent it reads a blank as "not recorded" (it proves nothing), except a blank school status,
which the registry stores as 非在校生 (its default), and a missing insurance flag, which does not
prove the member is insured.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections import Counter
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.policy import codes
from fupin.policy import measures as pm

YEAR = 2016
VILLAGES = ("513431100001", "513431100002", "513431101001")
COLUMNS = [s.column for s in pm.SUGGESTIONS]

# -- the reference --------------------------------------------------------------------------------

FULL = ("ordinary", "skilled")  # 普通劳动力, 技能劳动力: "劳动力" in the reasons
NO_CAPACITY = ("lost", "none")  # 丧失劳动力, 无劳动力
SCHOOL_AGE = (6, 15)  # 义务教育 6–15 (domain.md §6, the docstring's default)


def _causes(h: dict[str, Any]) -> set[str]:
    return {c for c in (h["main_cause"], h["other_cause_1"], h["other_cause_2"]) if c}


def _age(m: dict[str, Any]) -> int | None:
    """The docstring: ``year`` minus the year of birth."""
    return None if m["birth_date"] is None else YEAR - m["birth_date"].year


def _capacity(m: dict[str, Any]) -> str | None:
    """A blank labour capacity is not recorded."""
    return (m["labour_capacity"] or "").strip() or None


def _in_school(m: dict[str, Any]) -> bool:
    """在校生: any school status but 非在校生 (blank = the registry's default, 非在校生)."""
    return m["school_status"] in codes.IN_SCHOOL


def _between(age: int | None, lo: int, hi: int) -> bool:
    return age is not None and lo <= age <= hi


def reference(h: dict[str, Any]) -> dict[str, int] | None:
    """One household's suggestions from their reasons, or None when it is not poor/returned."""
    if h["status"] not in ("poor", "returned"):
        return None
    causes = _causes(h)
    ms = h["members"]
    cond = h["conditions"]
    caps = [c for c in (_capacity(m) for m in ms) if c is not None]
    labour = [m for m in ms if _capacity(m) in FULL]  # "有劳动力"
    lo, hi = SCHOOL_AGE
    out = {
        # 有成员患大病
        "health_serious": any(m["health"] == "serious" for m in ms),
        # 因病或有成员患长期慢性病
        "health_chronic": "illness" in causes or any(m["health"] == "chronic" for m in ms),
        # 有成员未参加基本医疗保险 (unknown is not insured)
        "health_insurance": any(m["basic_medical"] is not True for m in ms),
        # 因残或有残疾成员
        "disability": "disability" in causes or any(m["health"] == "disabled" for m in ms),
        # 家中无劳动力: some capacity recorded and none of the recorded ones is a labour force
        # (弱劳动力 is one); blanks prove nothing (the docstring)
        "safety_net": bool(caps) and all(c in NO_CAPACITY for c in caps),
        # 因学或有在校生
        "education": "schooling" in causes or any(_in_school(m) for m in ms),
        # 有成员就读中职或高职
        "yulu": any(
            m["school_status"] in ("vocational_secondary", "vocational_higher") for m in ms
        ),
        # 有义务教育阶段适龄儿童未在校 (except for physical reasons, domain.md §6)
        "dropout": any(
            _between(_age(m), lo, hi)
            and not _in_school(m)
            and m["school_exempt_physical"] is not True
            for m in ms
        ),
        # 住房为 C、D 级危房
        "housing": cond is not None and cond["house_grade"] in ("C", "D"),
        # 因缺水或饮水不安全 (unknown is not unsafe)
        "water": "lack_water" in causes or (cond is not None and cond["water_safe"] is False),
        # 缺资金且有 18–65 周岁的劳动力
        "microcredit": "lack_capital" in causes and any(_between(_age(m), 18, 65) for m in labour),
        # 缺资金、缺土地或缺技术且有劳动力
        "industry": bool(causes & {"lack_capital", "lack_land", "lack_skills"}) and bool(labour),
        # 缺技术
        "training": "lack_skills" in causes,
        # 有未外出务工的劳动力 (未务工, of working age 16–59)
        "employment": any(
            m["migrant_work"] == "none" and _between(_age(m), 16, 59) for m in labour
        ),
        # 自身发展动力不足
        "motivation": "lack_motivation" in causes,
        # 有弱劳动力或半劳动力
        "public_post": "weak" in caps,
        # 缺劳力
        "asset_income": "lack_labour" in causes,
        # 交通条件落后或缺土地，且尚未搬迁
        "relocation": bool(causes & {"poor_transport", "lack_land"}) and h["relocated"] is not True,
        # 缺土地且有劳动力
        "ranger": "lack_land" in causes and bool(labour),
        # 因灾
        "disaster": "disaster" in causes,
    }
    assert set(out) == set(pm.SUGGESTION_BY_CODE)
    row = {f"s_{k}": int(v) for k, v in out.items()}
    row["suggested"] = sum(row.values())
    return row


# -- random households ----------------------------------------------------------------------------

BLANK = st.sampled_from(["", None])
cause = st.sampled_from(codes.CAUSE.codes) | BLANK
# Ages at the edges of every band (school 6–15, working 16–59, borrower 18–65) and anywhere.
age = st.sampled_from([5, 6, 15, 16, 17, 18, 59, 60, 65, 66]) | st.integers(0, 95)
dated = st.builds(
    lambda a, m, d: dt.date(YEAR - a, m, d),
    age,
    st.integers(1, 12),
    st.integers(1, 28),
)
birth = st.one_of(st.none(), *[dated] * 7)  # unknown one time in eight
# Weighted towards the values the rules single out, so their combinations turn up often.
capacity = st.sampled_from(["ordinary", "skilled", "ordinary", "skilled", "weak", "lost", "none"])
member = st.fixed_dictionaries(
    {
        "birth_date": birth,
        "labour_capacity": st.one_of(capacity, capacity, st.sampled_from(["", " "]), st.none()),
        "school_status": st.sampled_from(codes.SCHOOL_STATUS.codes) | BLANK,
        "school_exempt_physical": st.sampled_from([True, False, None]),
        "health": st.sampled_from(codes.HEALTH.codes) | st.none(),
        "migrant_work": st.one_of(
            st.just("none"), st.sampled_from(codes.MIGRANT_WORK.codes), BLANK
        ),
        "basic_medical": st.sampled_from([True, False, None]),
    }
)
conditions = st.none() | st.fixed_dictionaries(
    {
        "house_grade": st.sampled_from(["C", "D", "safe", "", None]),
        "water_safe": st.sampled_from([True, False, None]),
    }
)
household = st.fixed_dictionaries(
    {
        "village_id": st.sampled_from(VILLAGES),
        "status": st.sampled_from(["poor", "poor", "returned", "exited_with_policy", "exited"]),
        "main_cause": cause,
        "other_cause_1": cause,
        "other_cause_2": cause,
        "relocated": st.sampled_from([True, False, None]),
        "members": st.lists(member, max_size=6),
        "conditions": conditions,
    }
)
households = st.lists(household, min_size=1, max_size=25)


def rows_of(hs: list[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """The three tables' rows in ``pm.SCHEMAS`` column order (household ids from 1)."""
    out: dict[str, list[tuple[Any, ...]]] = {"household": [], "member": [], "conditions": []}
    for n, h in enumerate(hs, start=1):
        out["household"].append(
            (n, *(h[k] for k in list(pm.SCHEMAS["household"])[1:]))  # id, then the facts
        )
        for m in h["members"]:
            out["member"].append((n, *(m[k] for k in list(pm.SCHEMAS["member"])[1:])))
        if h["conditions"] is not None:
            c = h["conditions"]
            out["conditions"].append((n, c["house_grade"], c["water_safe"]))
    return out


def expected(hs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    out = {}
    for n, h in enumerate(hs, start=1):
        row = reference(h)
        if row is not None:
            out[n] = {"village_id": h["village_id"], **row}
    return out


def by_household(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        hid = int(r.pop("household_id"))
        assert hid not in out, f"household {hid} twice"
        out[hid] = {k: (v if k == "village_id" else int(v)) for k, v in r.items()}
    return out


def assert_same(got: dict[int, dict[str, Any]], want: dict[int, dict[str, Any]]) -> None:
    assert set(got) == set(want)
    diffs = [
        (hid, col, got[hid][col], want[hid][col])
        for hid in sorted(want)
        for col in want[hid]
        if got[hid][col] != want[hid][col]
    ]
    assert not diffs, f"(household, column, Ibis, reference): {diffs[:10]}"


# -- the engines ----------------------------------------------------------------------------------


def duckdb_inputs(hs: list[dict[str, Any]]) -> pm.SuggestionInputs:
    rows = rows_of(hs)

    def table(name: str) -> ibis.Table:
        schema = ibis.schema(pm.SCHEMAS[name])
        cols: list[Any] = (
            list(zip(*rows[name], strict=True)) if rows[name] else [[] for _ in schema.names]
        )
        return ibis.memtable(
            pa.table(
                {
                    c: pa.array(list(v), schema[c].to_pyarrow())
                    for c, v in zip(schema.names, cols, strict=True)
                }
            )
        )

    return pm.SuggestionInputs(**{k: table(k) for k in pm.SCHEMAS})


def run_duckdb(hs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    con = ibis.duckdb.connect()
    wide = pm.suggestions_wide(duckdb_inputs(hs), YEAR)
    return by_household(con.execute(wide).to_dict("records"))


#: The registry tables as Django creates them on SQLite (booleans 0/1, dates ISO text).
SQLITE_DDL = {
    "registry_household": "id integer PRIMARY KEY, village_id varchar(12) NOT NULL, "
    "status varchar(20), main_cause varchar(20), other_cause_1 varchar(20), "
    "other_cause_2 varchar(20), relocated bool",
    "registry_member": "household_id bigint NOT NULL, birth_date date, "
    "labour_capacity varchar(10), school_status varchar(24), school_exempt_physical bool, "
    "health varchar(10), migrant_work varchar(16), basic_medical bool",
    "registry_livingconditions": "household_id integer PRIMARY KEY, house_grade varchar(6), "
    "water_safe bool",
}
NAMES = {
    "household": "registry_household",
    "member": "registry_member",
    "conditions": "registry_livingconditions",
}


def sqlite_db(hs: list[dict[str, Any]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    rows = rows_of(hs)
    for key, table in NAMES.items():
        db.execute(f"CREATE TABLE {table} ({SQLITE_DDL[table]})")
        marks = ", ".join("?" * len(pm.SCHEMAS[key]))
        # sqlite3 stores bool as 0/1 and (with its default adapter) dates as ISO text.
        db.executemany(
            f"INSERT INTO {table} ({', '.join(pm.SCHEMAS[key])}) VALUES ({marks})",
            [tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r) for r in rows[key]],
        )
    return db


@functools.cache
def sqlite_sql(form: str) -> str:
    """The compiled SQLite statement of the wide or long form (compiled once)."""
    wide = pm.suggestions_wide(pm.SuggestionInputs.unbound(NAMES), YEAR)
    expr = wide if form == "wide" else pm.suggestions_long(wide)
    return str(ibis.to_sql(expr, dialect="sqlite"))


def run_sqlite(hs: list[dict[str, Any]], form: str = "wide") -> list[dict[str, Any]]:
    db = sqlite_db(hs)
    cur = db.execute(sqlite_sql(form))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# -- the properties -------------------------------------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households)
def test_duckdb_equals_the_reference_household_by_household(hs: list[dict[str, Any]]) -> None:
    assert_same(run_duckdb(hs), expected(hs))


@SETTINGS
@given(households)
def test_sqlite_compiled_sql_equals_the_reference(hs: list[dict[str, Any]]) -> None:
    assert_same(by_household(run_sqlite(hs)), expected(hs))


@settings(max_examples=100, deadline=None)
@given(households)
def test_long_form_is_the_wide_form_unpivoted(hs: list[dict[str, Any]]) -> None:
    rows = run_sqlite(hs, "long")
    got = Counter((r["household_id"], r["suggestion"], r["category"]) for r in rows)
    want = Counter(
        (hid, code, pm.SUGGESTION_BY_CODE[code].category)
        for hid, row in expected(hs).items()
        for code in pm.suggested_codes(row)
    )
    assert got == want


# -- fixed cases: each reason at its edge ---------------------------------------------------------


def one(**over: Any) -> dict[str, Any]:
    h: dict[str, Any] = {
        "village_id": VILLAGES[0],
        "status": "poor",
        "main_cause": "other",
        "other_cause_1": "",
        "other_cause_2": "",
        "relocated": False,
        "members": [],
        "conditions": {"house_grade": "safe", "water_safe": True},
    }
    return {**h, **over}


def person(age: int | None = 40, **over: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "birth_date": None if age is None else dt.date(YEAR - age, 6, 1),
        "labour_capacity": "ordinary",
        "school_status": "not_in_school",
        "school_exempt_physical": False,
        "health": "healthy",
        "migrant_work": "in_county",
        "basic_medical": True,
    }
    return {**m, **over}


CASES = [
    # (household, suggestion codes expected)
    (one(), set()),
    (one(members=[person()]), set()),
    (one(main_cause="illness"), {"health_chronic"}),
    (one(other_cause_2="illness"), {"health_chronic"}),
    (one(members=[person(health="serious")]), {"health_serious"}),
    (one(members=[person(basic_medical=None)]), {"health_insurance"}),
    (one(members=[person(labour_capacity="lost")]), {"safety_net"}),
    (
        one(members=[person(labour_capacity="none"), person(labour_capacity="")]),
        {"safety_net"},
    ),
    (one(members=[person(labour_capacity=""), person(labour_capacity=None)]), set()),
    (one(members=[person(labour_capacity="weak")]), {"public_post"}),
    (one(members=[person(age=6)]), {"dropout"}),
    (one(members=[person(age=15)]), {"dropout"}),
    (one(members=[person(age=5)]), set()),
    (one(members=[person(age=16)]), set()),
    (one(members=[person(age=10, school_exempt_physical=True)]), set()),
    (one(members=[person(age=10, school_status="primary")]), {"education"}),
    (one(members=[person(school_status="vocational_higher")]), {"education", "yulu"}),
    (one(conditions={"house_grade": "D", "water_safe": None}), {"housing"}),
    (one(conditions={"house_grade": None, "water_safe": False}), {"water"}),
    (one(conditions=None, main_cause="lack_water"), {"water"}),
    (one(main_cause="lack_capital", members=[person(age=65)]), {"microcredit", "industry"}),
    (one(main_cause="lack_capital", members=[person(age=66)]), {"industry"}),
    (one(main_cause="lack_capital", members=[person(age=17)]), {"industry"}),
    (one(main_cause="lack_capital", members=[person(labour_capacity="weak")]), {"public_post"}),
    (one(main_cause="lack_skills", members=[person()]), {"industry", "training"}),
    (one(members=[person(age=59, migrant_work="none")]), {"employment"}),
    (one(members=[person(age=60, migrant_work="none")]), set()),
    (one(main_cause="lack_motivation"), {"motivation"}),
    (one(main_cause="lack_labour"), {"asset_income"}),
    (one(main_cause="poor_transport"), {"relocation"}),
    (one(main_cause="poor_transport", relocated=True), set()),
    (one(main_cause="lack_land", members=[person()]), {"industry", "relocation", "ranger"}),
    (one(main_cause="disaster"), {"disaster"}),
    (one(status="exited"), None),
]


@pytest.mark.parametrize(("h", "codes_"), CASES)
def test_each_reason_at_its_edge(h: dict[str, Any], codes_: set[str] | None) -> None:
    ref = reference(h)
    if codes_ is None:
        assert ref is None
        assert run_duckdb([h]) == {} and run_sqlite([h]) == []
        return
    assert ref is not None and set(pm.suggested_codes(ref)) == codes_
    assert_same(run_duckdb([h]), expected([h]))
    assert_same(by_household(run_sqlite([h])), expected([h]))


def test_explain_says_each_suggestion_in_chinese() -> None:
    row = dict.fromkeys(COLUMNS, 0) | {"s_health_chronic": 1, "s_microcredit": 1}
    assert pm.explain(row) == [
        "因病或有成员患长期慢性病：建议健康扶贫（家庭医生签约服务、慢病管理）",
        "缺资金且有 18–65 周岁的劳动力：建议扶贫小额信贷（5 万元以下、3 年以内，用于生产经营）",
    ]
    assert pm.explain(dict.fromkeys(COLUMNS, 0)) == []
    # True (a boolean engine) counts like 1; other values do not
    assert pm.suggested_codes({"s_disaster": True, "s_water": 2}) == ["disaster"]


# -- the real path: the selectors over the registry tables ----------------------------------------


@pytest.mark.django_db
def test_selectors_give_the_reference_answer_on_the_registry(registry: Any) -> None:
    from fupin.measures.selectors import household_suggestions, suggestion_counts
    from fupin.registry.models import Household, LivingConditions, Member

    fields = list(pm.SCHEMAS["member"])[1:]
    members: dict[int, list[dict[str, Any]]] = {}
    for m in Member.objects.values("household_id", *fields):
        members.setdefault(m.pop("household_id"), []).append(m)
    conds = {
        c["household_id"]: c
        for c in LivingConditions.objects.values("household_id", "house_grade", "water_safe")
    }
    hs = {
        h["id"]: {**h, "members": members.get(h["id"], []), "conditions": conds.get(h["id"])}
        for h in Household.objects.values(*pm.SCHEMAS["household"])
    }
    refs = {pk: reference(h) for pk, h in hs.items()}
    counts = suggestion_counts("513431", YEAR)
    poor = [r for r in refs.values() if r is not None]
    assert counts["households"] == len(poor) > 50
    for s in pm.SUGGESTIONS:
        assert counts[s.code] == sum(r[s.column] for r in poor), s.code
    assert sum(counts[s.code] > 0 for s in pm.SUGGESTIONS) >= 12  # the data exercise most rules
    # One household at a time (any status: the household page), a sample of each status.
    sample = sorted(hs)[:: max(1, len(hs) // 40)]
    for pk in sample:
        h = hs[pk]
        got = [s.code for s in household_suggestions(Household.objects.get(pk=pk), YEAR)]
        want = reference({**h, "status": "poor"})
        assert want is not None
        assert got == pm.suggested_codes(want), pk
