"""Poverty indices on DuckDB equal the reference; conventions and published examples."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy import indices as ix
from tests.policy.indices import reference as ref
from tests.policy.indices.conftest import close, incomes, table

lines = st.sampled_from([2.0, 2.5, 3.0, 10.0, 1000.0])
int_weights = st.integers(1, 5)


@st.composite
def samples(draw: st.DrawFn) -> tuple[list[float], list[int] | None, float]:
    y = draw(incomes)
    w = draw(st.none() | st.lists(int_weights, min_size=len(y), max_size=len(y)))
    return y, w, draw(lines)


@settings(max_examples=40, deadline=None)
@given(samples(), st.sampled_from([0, 1, 2, 0.5, 3]))
def test_fgt_equals_the_reference(run, sample, alpha) -> None:
    y, w, z = sample
    got = run(ix.fgt, y, w, line=z, alpha=alpha)[""]
    assert close(got, ref.fgt(y, z, alpha, w))


@settings(max_examples=40, deadline=None)
@given(samples())
def test_watts_sen_sst_gap_total_equal_the_reference(run, sample) -> None:
    y, w, z = sample
    assert close(run(ix.watts, y, w, line=z)[""], ref.watts(y, z, w))
    assert close(run(ix.sen, y, w, line=z)[""], ref.sen(y, z, w))
    assert close(run(ix.sst, y, w, line=z)[""], ref.sst(y, z, w))
    assert close(run(ix.gap_total, y, w, line=z)[""], ref.gap_total(y, z, w))


@settings(max_examples=25, deadline=None)
@given(samples())
def test_weights_are_copies(run, sample) -> None:
    """An integer weight counts like that many copies of the person (n and q are weight sums)."""
    y, w, z = sample
    copies = ref.expand(y, w)
    for builder in (ix.sen, ix.sst, ix.watts):
        assert close(run(builder, y, w, line=z)[""], run(builder, copies, line=z)[""])


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_by_group_equals_each_group_alone(run, data) -> None:
    y = data.draw(incomes)
    g = data.draw(st.lists(st.sampled_from("ab"), min_size=len(y), max_size=len(y)))
    z = data.draw(lines)
    got = run(ix.sen, y, None, g, line=z)
    for key in set(g):
        part = [v for v, k in zip(y, g, strict=True) if k == key]
        assert close(got[key], ref.sen(part, z))


def test_tie_order_does_not_change_rank_based_values(run) -> None:
    y = [1.0, 1.0, 2.0, 1.0, 5.0, 2.0]
    w = [1, 3, 2, 2, 1, 1]
    ys, ws = zip(*sorted(zip(y, w, strict=True), key=lambda p: (p[0], -p[1])), strict=True)
    for builder in (ix.sen, ix.sst):
        assert close(
            run(builder, y, w, line=3.0)[""], run(builder, list(ys), list(ws), line=3.0)[""]
        )


def test_poor_means_strictly_below_the_line(run) -> None:
    """y = z is not poor: 以下 would include it, the index convention (y < z) does not."""
    assert run(ix.fgt, [100.0, 125.0, 150.0], line=125.0)[""] == pytest.approx(1 / 3)
    assert run(ix.gap_total, [125.0], line=125.0)[""] == 0


def test_haughton_khandker_country_c() -> None:
    """Haughton & Khandker, Handbook on Poverty and Inequality (World Bank 2009), ch. 4 p. 70
    and p. 72: expenditures 100, 110, 150, 160 and z = 125 give P0 = 0.5, P1 = 0.08 [= 0.32/4],
    P2 = 0.0136 [= 0.0544/4]."""
    import ibis

    con = ibis.duckdb.connect()
    t = table([100.0, 110.0, 150.0, 160.0])
    row = con.to_pyarrow(ix.poverty_profile(t, income="y", line=125.0)).to_pylist()[0]
    assert row["P0"] == pytest.approx(0.5)
    assert row["P1"] == pytest.approx(0.08)
    assert row["P2"] == pytest.approx(0.0136)
    assert row["gap_total"] == pytest.approx(40.0)
    assert row["n"] == 4 and row["q"] == 2


def test_sen_and_sst_closed_forms(run) -> None:
    """[1, 2, 3, 4], z = 2.5: H = ½, I = 0.4, G_p = 1/6 → S = ½·(0.4 + 0.6/6) = 0.25;
    SST = (7·0.6 + 5·0.2)/16 = 0.325."""
    assert run(ix.sen, [1.0, 2.0, 3.0, 4.0], line=2.5)[""] == pytest.approx(0.25)
    assert run(ix.sst, [4.0, 3.0, 2.0, 1.0], line=2.5)[""] == pytest.approx(0.325)
    assert run(ix.sen, [5.0, 6.0], line=2.5)[""] == 0


@pytest.mark.parametrize("line", [0, -1.0])
def test_a_line_not_above_zero_is_refused(line) -> None:
    with pytest.raises(ix.IndicesError) as e:
        ix.fgt(table([1.0]), income="y", line=line)
    assert e.value.code == ix.IndicesErrorCode.BAD_LINE
    assert "贫困线" in e.value.message


def counts(y, w=None):
    import ibis

    t = table(y, w)
    f = ix.frame(t, income="y", weight="w" if w is not None else None)
    return ibis.duckdb.connect().to_pyarrow(ix.checks(f)).to_pylist()[0]


def test_checks_refuse_bad_input() -> None:
    with pytest.raises(ix.IndicesError) as e:
        ix.raise_for(counts([1.0], [0.0]), logs=False)
    assert e.value.code == ix.IndicesErrorCode.BAD_WEIGHT
    with pytest.raises(ix.IndicesError) as e:
        ix.raise_for(counts([0.0, 1.0]), logs=True)
    assert e.value.code == ix.IndicesErrorCode.NONPOSITIVE_INCOME
    ix.raise_for(counts([0.0, 1.0]), logs=False)
    with pytest.raises(ix.IndicesError) as e:
        ix.raise_for(counts([None, 1.0]), logs=False)
    assert e.value.code == ix.IndicesErrorCode.MISSING_VALUE
    with pytest.raises(ix.IndicesError) as e:
        ix.raise_for({"rows": 0}, logs=False)
    assert e.value.code == ix.IndicesErrorCode.EMPTY


def test_floor_lets_watts_run_on_zero_incomes(run) -> None:
    got = run(ix.watts, [0.0, 2.0], line=4.0, floor=1.0)[""]
    assert got == pytest.approx(ref.watts([1.0, 2.0], 4.0))
    with pytest.raises(ix.IndicesError) as e:
        run(ix.watts, [0.0], line=4.0, floor=0.0)
    assert e.value.code == ix.IndicesErrorCode.BAD_PARAMETER


@settings(max_examples=25, deadline=None)
@given(samples())
def test_profile_equals_the_reference(duck, sample) -> None:
    y, w, z = sample
    t = table(y, w)
    expr = ix.poverty_profile(t, income="y", line=z, weight="w" if w else None)
    row = duck.to_pyarrow(expr).to_pylist()[0]
    assert close(row["n"], float(sum(w) if w else len(y)))
    assert close(row["q"], ref.headcount(y, z, w))
    for key, alpha in (("P0", 0), ("P1", 1), ("P2", 2)):
        assert close(row[key], ref.fgt(y, z, alpha, w))
    assert close(row["watts"], ref.watts(y, z, w))
    assert close(row["sen"], ref.sen(y, z, w))
    assert close(row["sst"], ref.sst(y, z, w))
    assert close(row["gap_total"], ref.gap_total(y, z, w))
    assert close(row["gini"], ref.gini(y, w))
