"""Inequality indices on DuckDB equal the reference; conventions and closed forms."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy import indices as ix
from tests.policy.indices import reference as ref
from tests.policy.indices.conftest import close, incomes


@st.composite
def samples(draw: st.DrawFn) -> tuple[list[float], list[float] | None]:
    y = draw(incomes)
    w = draw(
        st.none()
        | st.lists(
            st.integers(1, 5).map(float) | st.floats(0.1, 9.0), min_size=len(y), max_size=len(y)
        )
    )
    return y, w


@settings(max_examples=40, deadline=None)
@given(samples())
def test_gini_theil_mld_hoover_equal_the_reference(run, sample) -> None:
    y, w = sample
    assert close(run(ix.gini, y, w)[""], ref.gini(y, w))
    assert close(run(ix.theil_t, y, w)[""], ref.ge(y, 1, w))
    assert close(run(ix.mld, y, w)[""], ref.ge(y, 0, w))
    assert close(run(ix.hoover, y, w)[""], ref.hoover(y, w))


@settings(max_examples=40, deadline=None)
@given(
    samples(),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]),
    st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0]),
)
def test_atkinson_and_ge_equal_the_reference(run, sample, epsilon, alpha) -> None:
    y, w = sample
    assert close(run(ix.atkinson, y, w, epsilon=epsilon)[""], ref.atkinson(y, epsilon, w))
    assert close(run(ix.generalised_entropy, y, w, alpha=alpha)[""], ref.ge(y, alpha, w))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_by_group_equals_each_group_alone(run, data) -> None:
    y = data.draw(incomes)
    g = data.draw(st.lists(st.sampled_from("xyz"), min_size=len(y), max_size=len(y)))
    got = run(ix.gini, y, None, g)
    for key in set(g):
        assert close(got[key], ref.gini([v for v, k in zip(y, g, strict=True) if k == key]))


def test_gini_of_one_to_four_is_a_quarter(run) -> None:
    """Uncorrected: Σ (2i − n − 1)·y_i / (n²μ) = (−3 − 2 + 3 + 12)/(16·2.5) = 0.25."""
    assert run(ix.gini, [3.0, 1.0, 4.0, 2.0])[""] == pytest.approx(0.25)
    assert run(ix.gini, [3.0, 1.0, 4.0, 2.0], corrected=True)[""] == pytest.approx(0.25 * 4 / 3)


def test_equal_incomes_are_perfect_equality(run) -> None:
    y = [7.25] * 6
    for builder in (ix.gini, ix.theil_t, ix.mld, ix.hoover):
        assert abs(run(builder, y)[""]) < 1e-12
    assert abs(run(ix.atkinson, y, epsilon=2.0)[""]) < 1e-12


def test_two_person_closed_forms(run) -> None:
    """Incomes 1 and 3 (μ = 2): Gini = |1−3|·2/(2·4·2) = 0.25; Theil T = ½(½ ln ½ + 1.5 ln 1.5);
    MLD = ½(ln 2 + ln(2/3)); A(1) = 1 − √3/2; A(2) = 1 − (harmonic mean 1.5)/2 = 0.25;
    GE(2) = ½·CV² = ½·(1/2)² = 0.125; Hoover = (1 + 1)/(2·4) = 0.25
    (Cowell, Measuring Inequality, 3rd ed., technical appendix A.5, table A.3 forms)."""
    y = [1.0, 3.0]
    assert run(ix.gini, y)[""] == pytest.approx(0.25)
    assert run(ix.theil_t, y)[""] == pytest.approx(
        0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5))
    )
    assert run(ix.mld, y)[""] == pytest.approx(0.5 * (math.log(2) + math.log(2 / 3)))
    assert run(ix.atkinson, y, epsilon=1.0)[""] == pytest.approx(1 - math.sqrt(3) / 2)
    assert run(ix.atkinson, y, epsilon=2.0)[""] == pytest.approx(0.25)
    assert run(ix.generalised_entropy, y, alpha=2.0)[""] == pytest.approx(0.125)
    assert run(ix.hoover, y)[""] == pytest.approx(0.25)


def test_ge_limits_are_mld_and_theil(run) -> None:
    y = [1.0, 2.0, 5.0, 9.0]
    assert run(ix.generalised_entropy, y, alpha=1e-7)[""] == pytest.approx(
        run(ix.mld, y)[""], rel=1e-5
    )
    assert run(ix.generalised_entropy, y, alpha=1 + 1e-7)[""] == pytest.approx(
        run(ix.theil_t, y)[""], rel=1e-5
    )


def test_needs_positive() -> None:
    assert ix.needs_positive(epsilons=(1.0,)) and ix.needs_positive(alphas=(0.0,))
    assert ix.needs_positive(alphas=(-1.0,)) and ix.needs_positive(alphas=(1.0,))
    assert not ix.needs_positive(epsilons=(0.5,), alphas=(2.0,))


def test_negative_epsilon_is_refused(run) -> None:
    with pytest.raises(ix.IndicesError) as e:
        run(ix.atkinson, [1.0], epsilon=-1.0)
    assert e.value.code == ix.IndicesErrorCode.BAD_PARAMETER


def test_profile_has_every_key(duck) -> None:
    from tests.policy.indices.conftest import table

    t = table([1.0, 2.0, 3.0, 4.0])
    row = duck.to_pyarrow(
        ix.inequality_profile(t, income="y", epsilons=(0.5,), alphas=(2.0, 3.0))
    ).to_pylist()[0]
    assert set(row) == {
        "g",
        "n",
        "mean",
        "gini",
        "theil_t",
        "mld",
        "hoover",
        "atkinson_0",
        "ge_0",
        "ge_1",
    }
    assert row["gini"] == pytest.approx(0.25) and row["mean"] == 2.5


@settings(max_examples=25, deadline=None)
@given(samples())
def test_inequality_profile_equals_the_reference(duck, sample) -> None:
    from tests.policy.indices.conftest import table

    y, w = sample
    expr = ix.inequality_profile(
        table(y, w),
        income="y",
        weight="w" if w else None,
        epsilons=(0.5, 1.0, 2.0),
        alphas=(-1.0, 2.0),
    )
    row = duck.to_pyarrow(expr).to_pylist()[0]
    assert close(row["mean"], ref.mean(y, w))
    assert close(row["gini"], ref.gini(y, w))
    assert close(row["theil_t"], ref.ge(y, 1, w))
    assert close(row["mld"], ref.ge(y, 0, w))
    assert close(row["hoover"], ref.hoover(y, w))
    for i, e in enumerate((0.5, 1.0, 2.0)):
        assert close(row[f"atkinson_{i}"], ref.atkinson(y, e, w))
    for i, a in enumerate((-1.0, 2.0)):
        assert close(row[f"ge_{i}"], ref.ge(y, a, w))
