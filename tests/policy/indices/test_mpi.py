"""The Alkire–Foster MPI (fupin.policy.indices.mpi): a numpy reference, the published worked
example, decomposition, and refusals with their codes."""

from __future__ import annotations

import math
import sqlite3
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.policy.indices import mpi
from fupin.policy.indices.mpi import Indicator, MpiError, MpiErrorCode, MpiSpec


def reference(
    x: np.ndarray,
    cutoffs: list[float | None],
    weights: list[float],
    k: float,
    v: np.ndarray | None = None,
) -> dict[str, Any]:
    """Alkire–Foster straight from the definitions, on a complete (n × d) matrix."""
    n_units, d = x.shape
    v = np.ones(n_units) if v is None else v
    w = np.asarray(weights, dtype=float) / sum(weights)
    g0 = np.zeros_like(x, dtype=float)
    gap = np.zeros_like(x, dtype=float)
    for j, z in enumerate(cutoffs):
        if z is None:
            g0[:, j] = x[:, j] == 1
        else:
            g0[:, j] = x[:, j] < z
            gap[:, j] = np.where(x[:, j] < z, (z - x[:, j]) / z, 0.0)
    c = g0 @ w
    poor = c >= k - 1e-9
    n = v.sum()
    q = v[poor].sum()
    m0 = (v * c * poor).sum() / n
    ch = (v[:, None] * g0 * poor[:, None]).sum(axis=0) / n
    cardinal = all(z is not None for z in cutoffs)
    return {
        "n": n,
        "q": q,
        "H": q / n,
        "A": (v * c * poor).sum() / q if q else None,
        "M0": m0,
        "M1": (v * (gap @ w) * poor).sum() / n if cardinal else None,
        "M2": (v * ((gap**2) @ w) * poor).sum() / n if cardinal else None,
        "ch": list(ch),
        "ct": [w[j] * ch[j] / m0 if m0 else None for j in range(d)],
    }


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def table(columns: dict[str, list[Any]]) -> ibis.Table:
    return ibis.memtable(pa.table(columns))


# -- the published example -----------------------------------------------------------------

#: Alkire & Foster (2011), J. Public Economics 95(7–8), §2 and §4: four persons, four
#: dimensions (income, years of schooling, self-rated health, malaria), cutoffs z.
AF_MATRIX = {
    "income": [13.1, 15.2, 12.5, 20.0],
    "schooling": [14.0, 7.0, 10.0, 11.0],
    "health": [4.0, 5.0, 1.0, 3.0],
    "malaria": [1.0, 0.0, 0.0, 1.0],
}
AF_CUTOFFS = {"income": 13.0, "schooling": 12.0, "health": 3.0, "malaria": 1.0}


def af_spec(k: float = 0.5) -> MpiSpec:
    return MpiSpec(tuple(Indicator(c, 1.0, z) for c, z in AF_CUTOFFS.items()), k=k)


def test_alkire_foster_worked_example() -> None:
    """The achievement matrix and cutoffs of Alkire & Foster (2011) with k = 2 of 4 dimensions.

    The matrix and z = (13, 12, 3, 1) are the paper's (checked here against independent public
    copies of the example; the paper's own page was not readable from this machine, so the
    figures below are derived by hand, not quoted). Deprivation matrix g⁰ rows: (0,0,0,0),
    (0,1,0,1), (1,1,1,1), (0,1,0,0); counts c = (0, 2, 4, 1). With k = 2 persons 2 and 3
    are poor: H = 2/4, A = (2 + 4)/(2·4) = 3/4, M0 = H·A = 6/16 = 3/8. Normalised gaps of the
    poor: person 2 (12−7)/12 = 5/12 and (1−0)/1 = 1; person 3 0.5/13, 2/12, 2/3 and 1, so
    M1 = (5/12 + 1 + 1/26 + 1/6 + 2/3 + 1)/16 and M2 the same with the gaps squared.
    Censored headcounts: income 1/4, schooling 2/4, health 1/4, malaria 2/4.
    """
    r = mpi.compute(table(AF_MATRIX), af_spec())
    t = r.total
    assert (t.n, t.q) == (4, 2)
    assert close(t.H, 0.5) and close(t.A, 0.75) and close(t.M0, 0.375)
    m1 = (5 / 12 + 1 + 1 / 26 + 1 / 6 + 2 / 3 + 1) / 16
    m2 = ((5 / 12) ** 2 + 1 + (1 / 26) ** 2 + (1 / 6) ** 2 + (2 / 3) ** 2 + 1) / 16
    assert close(t.M1, m1) and close(t.M2, m2)
    assert math.isclose(t.M1 or 0, 0.2055, abs_tol=5e-5)
    assert t.censored_headcount == pytest.approx(
        {"income": 0.25, "schooling": 0.5, "health": 0.25, "malaria": 0.5}
    )
    # M0 = Σ_j w_j·CH_j, so each contribution is w_j·CH_j / M0: 1/6, 1/3, 1/6, 1/3.
    assert t.contribution == pytest.approx(
        {"income": 1 / 6, "schooling": 1 / 3, "health": 1 / 6, "malaria": 1 / 3}
    )


def test_union_and_intersection_are_the_extremes_of_k() -> None:
    union = mpi.compute(table(AF_MATRIX), af_spec(k=0.25)).total
    intersection = mpi.compute(table(AF_MATRIX), af_spec(k=1.0)).total
    assert union.q == 3  # anyone deprived in at least one dimension
    assert intersection.q == 1  # person 3, deprived in all four


def test_poor_at_exactly_k_within_tolerance() -> None:
    """Five equal weights 0.2 and k = 0.4: deprived in two counts (0.2 + 0.2 ≥ 0.4)."""
    cols = {f"f{j}": [1.0 if j < 2 else 0.0] for j in range(5)}
    spec = MpiSpec(tuple(Indicator(c, 1.0) for c in cols), k=0.4)
    assert mpi.compute(table(cols), spec).total.q == 1
    spec = MpiSpec(tuple(Indicator(c, 1.0) for c in cols), k=0.4000001)
    assert mpi.compute(table(cols), spec).total.q == 0


def test_flags_are_one_for_deprived_and_cutoffs_strict() -> None:
    """A flag of 1 is a deprivation; a cardinal value equal to its cutoff is not (< z)."""
    data = {"flag": [1.0, 0.0], "income": [2300.0, 2299.99]}
    spec = MpiSpec((Indicator("flag", 1.0), Indicator("income", 1.0, 2300.0)), k=1.0)
    t = mpi.compute(table(data), spec).total
    assert t.censored_headcount == {"flag": 0.0, "income": 0.0}  # nobody deprived in both
    spec = MpiSpec((Indicator("flag", 1.0), Indicator("income", 1.0, 2300.0)), k=0.5)
    t = mpi.compute(table(data), spec).total
    assert t.q == 2 and t.censored_headcount == {"flag": 0.5, "income": 0.5}


def test_mixed_indicators_give_no_m1_m2() -> None:
    data = {"flag": [1.0, 0.0], "income": [100.0, 5000.0]}
    spec = MpiSpec((Indicator("flag", 2.0), Indicator("income", 1.0, 2300.0)), k=0.5)
    t = mpi.compute(table(data), spec).total
    assert t.M1 is None and t.M2 is None
    assert close(t.M0, 0.5)  # unit 1 is deprived in both: c = 1


def test_weights_are_normalised() -> None:
    a = MpiSpec((Indicator("x", 2.0), Indicator("y", 6.0)), k=0.25)
    assert a.weights == (0.25, 0.75)
    data = {"x": [1.0, 0.0, 1.0], "y": [0.0, 1.0, 1.0]}
    b = MpiSpec((Indicator("x", 0.5), Indicator("y", 1.5)), k=0.25)
    assert mpi.compute(table(data), a).total == mpi.compute(table(data), b).total


def test_survey_weights_count_as_persons() -> None:
    """A unit of weight 3 counts as three identical units."""
    spec = MpiSpec((Indicator("x", 1.0), Indicator("y", 1.0)), k=0.5)
    weighted = mpi.compute(
        table({"x": [1.0, 0.0], "y": [1.0, 0.0], "w": [3.0, 1.0]}), spec, weight="w"
    ).total
    repeated = mpi.compute(table({"x": [1.0] * 3 + [0.0], "y": [1.0] * 3 + [0.0]}), spec).total
    assert weighted.n == 4.0 and weighted.q == 3.0
    assert close(weighted.M0, repeated.M0) and close(weighted.H, repeated.H)


def test_blank_indicator_excludes_the_unit_never_counts_it_not_deprived() -> None:
    data = {"x": [1.0, None, 0.0], "y": [1.0, 0.0, 0.0]}
    spec = MpiSpec((Indicator("x", 1.0), Indicator("y", 1.0)), k=0.5)
    r = mpi.compute(table(data), spec)
    assert r.excluded == 1
    assert r.total.n == 2 and r.total.q == 1


def test_text_columns_are_read_as_numbers() -> None:
    """Files are read as text: " 1 " is 1, a blank cell is not recorded."""
    data = {"x": [" 1 ", "0", ""], "z": ["1000", "3000.5", "100"], "w": ["2", "1", "1"]}
    spec = MpiSpec((Indicator("x", 1.0), Indicator("z", 1.0, 2300.0)), k=1.0)
    r = mpi.compute(table(data), spec, weight="w")
    assert r.excluded == 1
    assert r.total.n == 3.0 and r.total.q == 2.0


def test_no_one_poor_gives_zero_m0_and_no_intensity() -> None:
    spec = MpiSpec((Indicator("x", 1.0),), k=1.0)
    t = mpi.compute(table({"x": [0.0, 0.0]}), spec).total
    assert t.q == 0 and t.H == 0.0 and t.M0 == 0.0
    assert t.A is None and t.contribution == {"x": None}


# -- decomposition --------------------------------------------------------------------------


def test_decomposition_by_group_adds_up() -> None:
    data = {**AF_MATRIX, "village": ["甲", "甲", "乙", "丙"]}
    r = mpi.compute(table(data), af_spec(), by="village")
    assert r.by is not None and set(r.by) == {"甲", "乙", "丙"}
    assert sum(g.share or 0 for g in r.by.values()) == pytest.approx(1.0)
    assert sum((g.share or 0) * (g.M0 or 0) for g in r.by.values()) == pytest.approx(r.total.M0)
    assert r.by["乙"].M0 == 1.0 and r.by["丙"].M0 == 0.0
    assert set(r.as_dict()) == {
        "n", "q", "H", "A", "M0", "M1", "M2", "censored_headcount", "contribution", "by"
    }  # fmt: skip
    assert set(r.as_dict()["by"]["甲"]) == set(r.as_dict()) - {"by"}


# -- property tests against the reference ---------------------------------------------------


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 25))
    d = draw(st.integers(1, 5))
    cardinal = draw(st.lists(st.booleans(), min_size=d, max_size=d))
    cols: dict[str, list[float]] = {}
    cutoffs: list[float | None] = []
    for j, card in enumerate(cardinal):
        if card:
            z = draw(st.sampled_from([1.0, 3.0, 12.0, 2300.0]))
            # Ties with the cutoff on purpose: the value equal to z is not deprived.
            values = st.one_of(st.just(z), st.floats(0, 2 * z, allow_nan=False))
            cols[f"c{j}"] = draw(st.lists(values, min_size=n, max_size=n))
            cutoffs.append(z)
        else:
            cols[f"c{j}"] = draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n))
            cutoffs.append(None)
    weights = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=d, max_size=d))
    k = draw(st.sampled_from([0.2, 1 / 3, 0.4, 0.5, 2 / 3, 1.0]))
    v = draw(
        st.one_of(
            st.none(),
            st.lists(st.floats(0.1, 10, allow_nan=False), min_size=n, max_size=n),
        )
    )
    groups = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return {"cols": cols, "cutoffs": cutoffs, "weights": weights, "k": k, "v": v, "g": groups}


def _spec(p: dict[str, Any]) -> MpiSpec:
    return MpiSpec(
        tuple(
            Indicator(c, w, z)
            for c, w, z in zip(p["cols"], p["weights"], p["cutoffs"], strict=True)
        ),
        k=p["k"],
    )


def _check(fig: mpi.MpiFigures, ref: dict[str, Any], cols: list[str]) -> None:
    assert close(float(fig.n), ref["n"]) and close(float(fig.q), ref["q"])
    for key in ("H", "A", "M0", "M1", "M2"):
        assert close(getattr(fig, key), ref[key]), key
    for j, c in enumerate(cols):
        assert close(fig.censored_headcount[c], ref["ch"][j]), c
        assert close(fig.contribution[c], ref["ct"][j]), c


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_duckdb_equals_the_reference(p: dict[str, Any]) -> None:
    spec = _spec(p)
    data: dict[str, list[Any]] = {**p["cols"], "g": p["g"]}
    if p["v"] is not None:
        data["v"] = p["v"]
    r = mpi.compute(table(data), spec, weight="v" if p["v"] else None, by="g")
    x = np.column_stack([p["cols"][c] for c in p["cols"]])
    v = np.asarray(p["v"]) if p["v"] is not None else None
    cols = list(p["cols"])
    _check(r.total, reference(x, p["cutoffs"], p["weights"], p["k"], v), cols)
    assert r.by is not None
    groups = np.asarray(p["g"])
    for g, fig in r.by.items():
        mask = groups == g
        ref = reference(x[mask], p["cutoffs"], p["weights"], p["k"], None if v is None else v[mask])
        _check(fig, ref, cols)
    # Subgroup decomposability, and the contributions of the indicators sum to 1.
    total_m0 = sum((f.share or 0) * (f.M0 or 0) for f in r.by.values())
    assert math.isclose(total_m0, r.total.M0 or 0, rel_tol=1e-9, abs_tol=1e-12)
    if r.total.M0:
        assert math.isclose(sum(v or 0 for v in r.total.contribution.values()), 1.0)


@settings(max_examples=40, deadline=None)
@given(problems(), st.data())
def test_blank_cells_give_the_figures_of_the_recorded_units(
    p: dict[str, Any], data: st.DataObject
) -> None:
    """Blanking cells removes exactly those units: the rest give the reference's figures."""
    spec = _spec(p)
    cols = list(p["cols"])
    n = len(p["g"])
    blank = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    column = data.draw(st.sampled_from(cols))
    values = {c: list(v) for c, v in p["cols"].items()}
    values[column] = [None if b else x for b, x in zip(blank, values[column], strict=True)]
    if all(blank):
        with pytest.raises(MpiError):
            mpi.compute(table(values), spec)
        return
    r = mpi.compute(table(values), spec)
    assert r.excluded == sum(blank)
    keep = ~np.asarray(blank)
    x = np.column_stack([p["cols"][c] for c in cols])[keep]
    _check(r.total, reference(x, p["cutoffs"], p["weights"], p["k"]), cols)


@settings(max_examples=25, deadline=None)
@given(problems())
def test_sql_on_sqlite_equals_duckdb(p: dict[str, Any]) -> None:
    """The same definition compiled to SQLite SQL (as over the registry) gives the same."""
    spec = _spec(p)
    data: dict[str, list[Any]] = {**p["cols"], "g": p["g"]}
    if p["v"] is not None:
        data["v"] = p["v"]
    weight = "v" if p["v"] else None
    expected = mpi.compute(table(data), spec, weight=weight, by="g")
    con = sqlite3.connect(":memory:")
    con.execute(f"CREATE TABLE units ({', '.join(f'{c} REAL' for c in p['cols'])}, g TEXT"
                f"{', v REAL' if weight else ''})")  # fmt: skip
    names = [*p["cols"], "g", *(["v"] if weight else [])]
    con.executemany(
        f"INSERT INTO units VALUES ({', '.join('?' * len(names))})",
        list(zip(*(data[c] for c in names), strict=True)),
    )
    schema = {**dict.fromkeys(p["cols"], "float64"), "g": "string"} | (
        {"v": "float64"} if weight else {}
    )
    unbound = ibis.table(schema, name="units")

    def run(expr: ibis.Table) -> list[dict[str, Any]]:
        cur = con.execute(str(ibis.to_sql(expr, dialect="sqlite")))
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    total = run(mpi.mpi_table(unbound, spec, weight=weight))[0]
    groups = run(mpi.mpi_table(unbound, spec, weight=weight, by="g"))
    got = mpi.result_from_rows(spec, total, groups, weighted=weight is not None)
    assert set(got.by or {}) == set(expected.by or {})
    for a, b in [(got.total, expected.total)] + [
        (got.by[g], expected.by[g]) for g in (expected.by or {}) if got.by
    ]:
        for key in ("n", "q", "H", "A", "M0", "M1", "M2"):
            assert close(getattr(a, key), getattr(b, key)), key
        for c in p["cols"]:
            assert close(a.censored_headcount[c], b.censored_headcount[c])


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicators", "k", "code"),
    [
        ((), 0.5, MpiErrorCode.NO_INDICATORS),
        ((Indicator("x", 0.0),), 0.5, MpiErrorCode.WEIGHT_INVALID),
        ((Indicator("x", -1.0),), 0.5, MpiErrorCode.WEIGHT_INVALID),
        ((Indicator("x", 1.0, 0.0),), 0.5, MpiErrorCode.CUTOFF_INVALID),
        ((Indicator("x", 1.0), Indicator("x", 2.0)), 0.5, MpiErrorCode.INDICATOR_DUPLICATE),
        ((Indicator("x", 1.0),), 0.0, MpiErrorCode.K_INVALID),
        ((Indicator("x", 1.0),), 1.01, MpiErrorCode.K_INVALID),
        ((Indicator("x", 1.0),), float("nan"), MpiErrorCode.K_INVALID),
    ],
)
def test_bad_specification_is_refused(
    indicators: tuple[Indicator, ...], k: float, code: MpiErrorCode
) -> None:
    with pytest.raises(MpiError) as exc:
        MpiSpec(indicators, k=k)
    assert exc.value.code == code
    assert exc.value.message  # Chinese text for the user


def test_k_of_one_is_allowed() -> None:
    assert MpiSpec((Indicator("x", 1.0),), k=1.0).k == 1.0


@pytest.mark.parametrize(
    ("data", "weight", "code"),
    [
        ({"x": ["1", "abc"]}, None, MpiErrorCode.NOT_NUMERIC),
        ({"x": ["1", "nan"]}, None, MpiErrorCode.NOT_NUMERIC),
        ({"x": [1.0, 2.0]}, None, MpiErrorCode.FLAG_NOT_BINARY),
        ({"x": ["1", "0.5"]}, None, MpiErrorCode.FLAG_NOT_BINARY),
        ({"x": [1.0, 0.0], "w": [1.0, 0.0]}, "w", MpiErrorCode.UNIT_WEIGHT_INVALID),
        ({"x": [1.0, 0.0], "w": ["1", "-2"]}, "w", MpiErrorCode.UNIT_WEIGHT_INVALID),
        ({"x": [1.0, 0.0], "w": ["1", "二"]}, "w", MpiErrorCode.NOT_NUMERIC),
        ({"y": [1.0]}, None, MpiErrorCode.COLUMN_UNKNOWN),
        ({"x": [1.0], "w": [1.0]}, "weight", MpiErrorCode.COLUMN_UNKNOWN),
    ],
)
def test_bad_input_is_refused(data: dict[str, list[Any]], weight: str | None, code: str) -> None:
    spec = MpiSpec((Indicator("x", 1.0),), k=1.0)
    with pytest.raises(MpiError) as exc:
        mpi.compute(table(data), spec, weight=weight)
    assert exc.value.code == code


def test_empty_input_is_refused() -> None:
    spec = MpiSpec((Indicator("x", 1.0),), k=1.0)
    empty = ibis.memtable(pa.table({"x": pa.array([], pa.float64())}))
    with pytest.raises(MpiError) as exc:
        mpi.compute(empty, spec)
    assert exc.value.code == MpiErrorCode.EMPTY


def test_input_with_every_unit_blank_is_refused_as_empty() -> None:
    spec = MpiSpec((Indicator("x", 1.0),), k=1.0)
    with pytest.raises(MpiError) as exc:
        mpi.compute(table({"x": ["", None]}), spec)
    assert exc.value.code == MpiErrorCode.EMPTY
    assert "2 个单位" in exc.value.message


def test_a_date_column_is_not_numeric() -> None:
    import datetime as dtm

    spec = MpiSpec((Indicator("x", 1.0),), k=1.0)
    with pytest.raises(MpiError) as exc:
        mpi.compute(table({"x": [dtm.date(2020, 1, 1)]}), spec)
    assert exc.value.code == MpiErrorCode.NOT_NUMERIC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("income=1@2300", Indicator("income", 1.0, 2300.0)),
        ("water=0.5", Indicator("water", 0.5)),
        ("人均收入=2@4000.5", Indicator("人均收入", 2.0, 4000.5)),
    ],
)
def test_parse_indicator(text: str, expected: Indicator) -> None:
    assert mpi.parse_indicator(text) == expected


@pytest.mark.parametrize("text", ["income", "=1", "income=x", "income=1@z"])
def test_parse_indicator_refuses_bad_text(text: str) -> None:
    with pytest.raises(MpiError) as exc:
        mpi.parse_indicator(text)
    assert exc.value.code == MpiErrorCode.INDICATOR_INVALID
