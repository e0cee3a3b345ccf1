"""Deep-poverty indicators (两高一低一差三重) and rule sets: the Ibis definition on DuckDB equals a
plain-Python reference on random registries (blanks, removed households, households identified
later, villages without facts); comparisons read as their clauses say; bad rule sets refused."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.policy import deep_poverty as dp

YEAR = 2017
VILLAGES = ("513431100001", "513431100002", "513431101001", "513429100001")

household = st.fixed_dictionaries(
    {
        "village_id": st.sampled_from(VILLAGES),
        "status": st.sampled_from(["poor", "returned", "exited", "exited_with_policy", "removed"]),
        "attribute": st.sampled_from(["general", "dibao", "tekun"]),
        "main_cause": st.sampled_from(["illness", "disability", "lack_skills", "other"]),
        "first_identified_year": st.sampled_from([2014, 2016, 2017, 2018]),
        "births": st.lists(st.integers(1920, 2016), min_size=0, max_size=6),
        "income": st.none() | st.tuples(st.integers(1, 8), st.floats(-500, 40_000)),
        "grade": st.sampled_from(["safe", "C", "D", "", None]),
        "water_safe": st.sampled_from([True, False, None]),
        "road": st.sampled_from(["dirt", "gravel", "concrete", "asphalt", "", None]),
    }
)
village_fact = st.fixed_dictionaries(
    {
        "population": st.none() | st.integers(0, 3000),
        "road_hardened": st.sampled_from([True, False, None]),
        "natural": st.none() | st.integers(0, 9),
        "clinic": st.sampled_from([True, False, None]),
        "water": st.none() | st.floats(0, 100),
        "collective": st.none() | st.floats(0, 1e6),
    }
)


def build(households: list[dict[str, Any]], facts: dict[str, dict[str, Any]], county: Any):
    rows: dict[str, list[Any]] = {k: [] for k in dp.SCHEMAS}
    members, incomes, conditions = [], [], []
    hh = []
    for n, h in enumerate(households, start=1):
        hh.append(
            (
                n,
                h["village_id"],
                h["status"],
                h["attribute"],
                h["main_cause"],
                h["first_identified_year"],
            )
        )
        members += [(n, dt.date(b, 7, 1)) for b in h["births"]]
        if h["income"] is not None:
            incomes.append((n, YEAR, h["income"][0], h["income"][1]))
        incomes.append((n, YEAR - 1, 1, 1.0))  # another year: never counted
        conditions.append((n, h["grade"], h["water_safe"], h["road"]))
    villages = []
    for code, f in facts.items():
        natural = f["natural"]
        villages.append(
            (
                code,
                YEAR,
                f["population"],
                f["road_hardened"],
                natural,
                None if natural is None else natural // 2,
                True,
                None,
                True,
                f["clinic"],
                False,
                f["water"],
                f["collective"],
            )
        )
    counties = [("513431", YEAR, county[0], county[1])] if county else []
    rows = {
        "household": hh,
        "member": members,
        "income": incomes,
        "conditions": conditions,
        "village": villages,
        "county": counties,
    }

    def table(name: str) -> ibis.Table:
        schema = ibis.schema(dp.SCHEMAS[name])
        cols = list(zip(*rows[name], strict=True)) if rows[name] else [[] for _ in schema.names]
        arrow = pa.table(
            {
                c: pa.array(list(v), schema[c].to_pyarrow())
                for c, v in zip(schema.names, cols, strict=True)
            }
        )
        return ibis.memtable(arrow)

    return dp.Inputs(**{k: table(k) for k in dp.SCHEMAS})


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def share(num: float, den: float) -> float | None:
    return num / den if den else None


def reference(households, facts, county, level):
    """The indicators straight from their definitions, in plain Python."""
    digits = dp.LEVEL_DIGITS[level]
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for h in households:
        if h["status"] != "removed" and h["first_identified_year"] <= YEAR:
            by[h["village_id"][:digits]].append(h)
    out = {}
    for area, hs in by.items():
        poor = [h for h in hs if h["status"] in ("poor", "returned")]
        pp = sum(len(h["births"]) for h in poor)
        inc = [h["income"] for h in hs if h["income"] is not None]
        pcs = [net / size for size, net in inc]
        vfs = {c: f for c, f in facts.items() if c.startswith(area)}
        villages_here = {h["village_id"] for h in hs}
        if level == "county":
            pop = county[1] if county and area == "513431" else None
        elif level == "village":
            pop = vfs[area]["population"] if area in vfs else None
        else:
            known = villages_here <= set(vfs) and all(
                f["population"] is not None for f in vfs.values()
            )
            pop = sum(f["population"] for f in vfs.values()) if known else None
        grades = [h["grade"] for h in hs if h["grade"]]
        waters = [h["water_safe"] for h in hs if h["water_safe"] is not None]
        roads = [h["road"] for h in hs if h["road"]]
        rdi = county[0] if county and area.startswith("513431") else None
        income_mean = share(sum(n for _, n in inc), sum(s for s, _ in inc))
        roads_v = [not f["road_hardened"] for f in vfs.values() if f["road_hardened"] is not None]
        naturals = [f["natural"] for f in vfs.values() if f["natural"] is not None]
        out[area] = {
            "households": len(hs),
            "persons": sum(len(h["births"]) for h in hs),
            "poor_households": len(poor),
            "poor_persons": pp,
            "population": pop,
            "incidence": share(pp, pop) if pop is not None else None,
            "income_mean": income_mean,
            "income_median": statistics.median(pcs) if pcs else None,
            "rural_disposable_income": rdi,
            "income_ratio": share(income_mean, rdi) if income_mean is not None and rdi else None,
            "unsafe_housing_share": mean([g in ("C", "D") for g in grades]),
            "no_safe_water_share": mean([not w for w in waters]),
            "no_hardened_road_share": mean([r in ("dirt", "gravel") for r in roads]),
            "villages_no_road": mean(roads_v),
            "natural_villages_no_road": (
                1 - sum(n // 2 for n in naturals) / sum(naturals) if sum(naturals) else None
            ),
            "villages_no_clinic": mean(
                [not f["clinic"] for f in vfs.values() if f["clinic"] is not None]
            ),
            "safe_water_coverage": mean(
                [f["water"] / 100 for f in vfs.values() if f["water"] is not None]
            ),
            "collective_income": mean(
                [f["collective"] for f in vfs.values() if f["collective"] is not None]
            ),
            "dibao_tekun_share": share(
                sum(len(h["births"]) for h in poor if h["attribute"] in ("dibao", "tekun")), pp
            ),
            "illness_disability_share": share(
                sum(len(h["births"]) for h in poor if h["main_cause"] in ("illness", "disability")),
                pp,
            ),
            "elderly_share": share(sum(1 for h in poor for b in h["births"] if YEAR - b >= 60), pp),
            "income_unrecorded": len(hs) - len(inc),
            "housing_unrecorded": len(hs) - len(grades),
            "villages_unrecorded": len(villages_here - set(vfs)),
        }
    return out


def same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return False
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def duck() -> Any:
    return ibis.duckdb.connect()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    households=st.lists(household, min_size=1, max_size=25),
    facts=st.dictionaries(st.sampled_from(VILLAGES), village_fact, max_size=4),
    county=st.none() | st.tuples(st.floats(1000, 20_000), st.integers(1, 100_000)),
    level=st.sampled_from(["county", "township", "village"]),
)
def test_indicators_equal_the_reference_on_random_registries(
    duck, households, facts, county, level
):
    got = duck.execute(dp.indicators(build(households, facts, county), YEAR, level)).to_dict(
        "records"
    )
    want = reference(households, facts, county, level)
    assert sorted(r["area"] for r in got) == sorted(want)
    for row in got:
        expected = want[row["area"]]
        for key, value in expected.items():
            assert same(row[key], value), (row["area"], key, row[key], value)


def test_a_blank_fact_is_not_recorded_never_a_pass(duck) -> None:
    hs = [
        {
            "village_id": VILLAGES[0],
            "status": "poor",
            "attribute": "general",
            "main_cause": "other",
            "first_identified_year": 2015,
            "births": [1980],
            "income": None,
            "grade": "",
            "water_safe": None,
            "road": None,
        }
    ]
    row = duck.execute(dp.indicators(build(hs, {}, None), YEAR, "village")).to_dict("records")[0]
    assert row["population"] is None or math.isnan(row["population"])
    assert math.isnan(row["incidence"]) and math.isnan(row["unsafe_housing_share"])
    assert row["income_unrecorded"] == 1 and row["housing_unrecorded"] == 1
    assert row["water_unrecorded"] == 1 and row["road_unrecorded"] == 1
    assert row["villages_unrecorded"] == 1
    rules = dp.DEFAULT_RULE_SETS["national-village@2017"]
    cand = duck.execute(dp.candidates(dp.indicators(build(hs, {}, None), YEAR, "village"), rules))
    assert not cand["candidate"][0]
    assert math.isnan(cand["score"][0])  # not recorded stays null (LEAST skips NULLs in DuckDB)
    v = dp.verdict(cand.to_dict("records")[0], rules)
    assert not v.candidate and v.reasons[0].holds is None
    assert "贫困发生率未录入" in v.summary


@pytest.mark.parametrize(
    ("op", "value", "holds"),
    [
        ("gt", 0.18, False),  # 超过/高于 18%: 18% itself does not count
        ("gt", 0.1801, True),
        ("ge", 0.18, True),  # 18% 以上: includes 18%
        ("lt", 0.6, False),  # 低于 60%
        ("le", 0.6, True),  # 60% 以下
    ],
)
def test_comparisons_follow_the_chinese_convention(duck, op, value, holds) -> None:
    rules = dp.rule_set(
        code="t",
        version="1",
        name="t",
        level="village",
        criteria=[
            {"indicator": "incidence", "op": op, "threshold": 0.18 if op in ("gt", "ge") else 0.6}
        ],
    )
    assert rules.criteria[0].holds(value) is holds
    t = ibis.memtable(pa.table({"area": ["x"], "incidence": [value]}))
    got = duck.execute(dp.candidates(t, rules))
    assert bool(got["candidate"][0]) is holds


def test_reasons_are_plain_chinese_with_the_figure_and_threshold() -> None:
    rules = dp.DEFAULT_RULE_SETS["national-county@2017"]
    v = dp.verdict({"area": "513431", "incidence": 0.234, "score": 1.2}, rules)
    assert v.candidate
    assert v.summary == "贫困发生率 23.4%，高于 18%"
    guapai = dp.DEFAULT_RULE_SETS["guapai-county@2020"]
    v = dp.verdict({"area": "513431", "incidence": 0.03, "poor_persons": 12_004}, guapai)
    assert v.candidate  # any of the two marks
    assert v.summary == "贫困人口 12,004 人，高于 10,000 人"
    v = dp.verdict({"area": "513431", "incidence": 0.03, "poor_persons": 800}, guapai)
    assert not v.candidate
    assert "贫困发生率 3.0%，不高于 5%" in v.summary


def test_composite_score_is_the_weighted_mean_of_capped_ratios(duck) -> None:
    rules = dp.rule_set(
        code="t",
        version="1",
        name="t",
        level="county",
        criteria=[{"indicator": "incidence", "op": "gt", "threshold": 0.18}],
        score=[
            {"indicator": "incidence", "weight": 3, "reference": 0.2},
            {"indicator": "income_ratio", "weight": 1, "reference": 0.6, "higher_is_deeper": False},
        ],
    )
    assert [p.weight for p in rules.score] == [0.75, 0.25]  # normalised to sum 1
    t = ibis.memtable(
        pa.table({"area": ["a", "b"], "incidence": [0.3, 0.9], "income_ratio": [0.3, 0.5]})
    )
    got = duck.execute(dp.candidates(t, rules)).set_index("area")["score"]
    assert got["a"] == pytest.approx(0.75 * 1.5 + 0.25 * 2.0)
    assert got["b"] == pytest.approx(0.75 * dp.SCORE_CAP + 0.25 * 1.2)  # 4.5 capped at 3


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            {"criteria": [{"indicator": "poverty_depth", "op": "gt", "threshold": 1}]},
            "UNKNOWN_INDICATOR",
        ),
        ({"criteria": [{"indicator": "incidence", "op": ">", "threshold": 0.2}]}, "BAD_RULE"),
        ({"criteria": [{"indicator": "incidence", "op": "gt", "threshold": 18}]}, "BAD_THRESHOLD"),
        (
            {"criteria": [{"indicator": "incidence", "op": "gt", "threshold": "高"}]},
            "BAD_THRESHOLD",
        ),
        ({"criteria": [{"indicator": "incidence", "op": "gt", "threshold": -1}]}, "BAD_THRESHOLD"),
        ({"criteria": []}, "BAD_RULE"),
        ({"level": "province"}, "BAD_LEVEL"),
        ({"score": [{"indicator": "incidence", "weight": 0, "reference": 0.2}]}, "BAD_WEIGHT"),
        ({"score": [{"indicator": "nope", "weight": 1, "reference": 0.2}]}, "UNKNOWN_INDICATOR"),
    ],
)
def test_bad_rule_sets_are_refused_with_a_stable_code(change, code) -> None:
    base: dict[str, Any] = {
        "code": "sc",
        "version": "2018",
        "name": "四川",
        "level": "county",
        "criteria": [{"indicator": "incidence", "op": "gt", "threshold": 0.18}],
    }
    with pytest.raises(dp.DeepPovertyError) as err:
        dp.rule_set(**(base | change))
    assert err.value.code == f"DEEP_POVERTY_{code}"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)


def test_every_default_rule_set_uses_known_indicators_and_cites_its_clause() -> None:
    assert {r.level for r in dp.DEFAULT_RULE_SETS.values()} == {"county", "village"}
    for rules in dp.DEFAULT_RULE_SETS.values():
        assert rules.clause
        assert all(c.indicator in dp.INDICATOR_BY_KEY for c in rules.criteria)
        assert math.isclose(sum(p.weight for p in rules.score), 1.0)
    assert dp.DEFAULT_RULE_SETS["national-county@2017"].criteria[0].threshold == 0.18
    assert dp.DEFAULT_RULE_SETS["national-village@2017"].criteria[0].threshold == 0.20


def test_the_definition_compiles_for_sqlite_and_postgres() -> None:
    inputs = dp.Inputs.unbound({k: k for k in dp.SCHEMAS})
    for level in ("county", "township", "village"):
        expr = dp.candidates(
            dp.indicators(inputs, YEAR, level), dp.DEFAULT_RULE_SETS["national-county@2017"]
        )
        for dialect in ("sqlite", "postgres", "duckdb"):
            assert "SELECT" in str(ibis.to_sql(expr, dialect=dialect))


@pytest.mark.parametrize(
    ("op", "value", "text"),
    [
        ("ge", 0.18, "贫困发生率 18.0%，不低于 18%"),  # 18% 以上: 18 % itself holds
        ("ge", 0.179, "贫困发生率 17.9%，低于 18%"),
        ("le", 0.18, "贫困发生率 18.0%，不高于 18%"),  # 18% 以下
        ("gt", 0.18, "贫困发生率 18.0%，不高于 18%"),  # 超过 18%: 18 % itself does not hold
    ],
)
def test_inclusive_and_exclusive_reasons_read_as_the_clause(
    op: str, value: float, text: str
) -> None:
    rules = dp.rule_set(
        code="t",
        version="1",
        name="t",
        level="county",
        criteria=[{"indicator": "incidence", "op": op, "threshold": 0.18}],
    )
    reason = dp.verdict({"area": "513431", "incidence": value}, rules).reasons[0]
    assert reason.text == text
