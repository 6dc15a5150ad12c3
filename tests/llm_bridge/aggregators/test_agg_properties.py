"""Property tests (hypothesis): equivariance, invariances, limits, bounds and edge cases of every scheme."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from llm_bridge.aggregators import AGGREGATORS, SPECS, aggregate
from llm_bridge.aggregators._common import objective_zscores

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALL = list(AGGREGATORS)
# By design the advantage of these ignores the group (no mean subtracted): outcome schemes (psr, nsr, ...).
NO_BASELINE = {name for name, spec in SPECS.items() if not spec.group_baseline}

# Rewards on a coarse grid keep spreads far from round-off, so exact invariances can be checked tightly.
grid = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 3.0])


@st.composite
def reward_batches(draw, nan: bool = True, min_g: int = 1):
    b = draw(st.integers(1, 3))
    g = draw(st.integers(min_g, 6))
    k = draw(st.integers(1, 4))
    r = draw(arrays(np.float64, (b, g, k), elements=grid))
    if nan:
        mask = draw(arrays(np.bool_, (b, g, k), elements=st.booleans()))
        dense = draw(st.booleans())
        r = np.where(mask & ~dense, np.nan, r)
    return r


def call(name: str, r: np.ndarray, **params):
    """Run any scheme on [B, G, K] rewards (set-level ones see each rollout as a chain of m = 1)."""
    x = r[:, :, None, :] if SPECS[name].level == "set" else r
    if name == "vpo":
        params.setdefault("rng", np.random.default_rng(0))
    return aggregate(name, x, **params)


def zscores(r: np.ndarray, eps: float, ddof: int) -> np.ndarray:
    """Per-objective group z-scores of rewards with NaN (0 where NaN)."""
    return objective_zscores(r, eps, ddof)[0]


# ------------------------------------------------------------------------------------------------ equivariance


@pytest.mark.parametrize("name", ALL)
@SETTINGS
@given(r=reward_batches(), seed=st.integers(0, 2**32 - 1))
def test_permutation_equivariance_within_groups(name: str, r: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    perm = np.stack([rng.permutation(r.shape[1]) for _ in range(r.shape[0])])  # [B, G]
    shuffled = np.take_along_axis(r, perm[:, :, None], axis=1)
    a = call(name, r)
    b = call(name, shuffled)
    np.testing.assert_allclose(b, np.take_along_axis(a, perm, axis=1), atol=1e-9)


# ------------------------------------------------------------------------------------------------ invariances


@SETTINGS
@given(r=reward_batches(), scale=st.sampled_from([0.5, 2.0, 7.0]),
       shift=arrays(np.float64, 4, elements=grid), weights=arrays(np.float64, 4, elements=st.sampled_from([0.5, 1, 2])),
       mode=st.sampled_from(["group", "batch", "none"]))
def test_grpo_invariant_to_common_shift_and_positive_scale(r, scale, shift, weights, mode) -> None:
    w = weights[: r.shape[-1]]
    # Positive scale: holds with NaN entries too (eps = 0 makes it exact; scale="none" scales with it).
    a = aggregate("grpo", r, weights=w, eps=0.0, scale=mode)
    b = aggregate("grpo", scale * r, weights=w, eps=0.0, scale=mode)
    np.testing.assert_allclose(b, a * scale if mode == "none" else a, atol=1e-9)
    # Shift c_k of the objectives: every rollout's scalar moves by sum_k w_k c_k, a common shift of the scalar
    # when no entry is NaN (with NaN entries the shift would differ between rollouts).
    dense = np.nan_to_num(r)
    a = aggregate("grpo", dense, weights=w, eps=0.0, scale=mode)
    b = aggregate("grpo", scale * dense + shift[: r.shape[-1]], weights=w, eps=0.0, scale=mode)
    np.testing.assert_allclose(b, a * scale if mode == "none" else a, atol=1e-9)


@SETTINGS
@given(r=reward_batches(), scales=arrays(np.float64, 4, elements=st.sampled_from([0.25, 1.0, 3.0, 10.0])),
       shifts=arrays(np.float64, 4, elements=grid), batch_norm=st.booleans())
def test_gdpo_invariant_to_per_objective_positive_affine_maps(r, scales, shifts, batch_norm) -> None:
    k = r.shape[-1]
    # When the summed per-objective z-scores cancel to round-off (about 1e-16) across the whole batch, batch
    # normalization with eps=0 blows that noise up to +-1; which way it falls depends on the affine map. The
    # invariance is only meaningful where the summed signal is above round-off.
    mapped = r * scales[:k] + shifts[:k]
    if batch_norm:
        assume(all(np.ptp(aggregate("gdpo", x, eps=0.0, batch_norm=False)) > 1e-9 for x in (r, mapped)))
    a = aggregate("gdpo", r, eps=0.0, batch_norm=batch_norm)
    b = aggregate("gdpo", mapped, eps=0.0, batch_norm=batch_norm)
    np.testing.assert_allclose(b, a, atol=1e-9)


@SETTINGS
@given(r=reward_batches(), scales=arrays(np.float64, 4, elements=st.sampled_from([0.25, 1.0, 3.0])),
       shifts=arrays(np.float64, 4, elements=grid))
def test_hv_contribution_invariant_to_per_objective_affine_maps_with_automatic_reference(r, scales, shifts) -> None:
    k = r.shape[-1]
    a = aggregate("hv_contribution", r, eps=0.0)
    b = aggregate("hv_contribution", r * scales[:k] + shifts[:k], eps=0.0)
    np.testing.assert_allclose(b, a, atol=1e-7)


@SETTINGS
@given(r=reward_batches(), scales=arrays(np.float64, 4, elements=st.sampled_from([0.25, 1.0, 3.0])),
       shifts=arrays(np.float64, 4, elements=grid))
def test_pareto_rank_invariant_to_per_objective_increasing_maps(r, scales, shifts) -> None:
    k = r.shape[-1]
    np.testing.assert_allclose(
        aggregate("pareto_rank", r * scales[:k] + shifts[:k]), aggregate("pareto_rank", r), atol=1e-12
    )


# -------------------------------------------------------------------------------------------------- RVPO limits


@SETTINGS
@given(r=reward_batches(min_g=2))
def test_rvpo_tends_to_the_mean_as_tau_goes_to_zero_and_to_the_min_as_tau_grows(r) -> None:
    valid = ~np.isnan(r)
    z = zscores(r, 1e-4, 1)
    counts = valid.sum(-1)
    scorable = counts > 0
    # GDPO's pre-normalized scalar (same eps) divided by the number of applicable objectives = mean of Z.
    mean_z = np.where(scorable, aggregate("mo_grpo", r) / np.maximum(counts, 1), 0.0)
    min_z = np.where(scorable, np.nanmin(np.where(valid, z, np.inf), axis=-1), 0.0)
    small = aggregate("rvpo", r, tau=1e-7, eps=1e-4, whiten=False)
    large = aggregate("rvpo", r, tau=1e7, eps=1e-4, whiten=False)
    np.testing.assert_allclose(small, mean_z, atol=1e-5)
    np.testing.assert_allclose(large, min_z, atol=1e-5)
    np.testing.assert_allclose(aggregate("rvpo", r, tau=0.0, eps=1e-4, whiten=False), mean_z, atol=1e-9)
    np.testing.assert_allclose(aggregate("rvpo", r, tau=np.inf, eps=1e-4, whiten=False), min_z, atol=1e-9)
    # In between: mean >= soft-min(tau) >= min, and the soft-min decreases with tau.
    mid1 = aggregate("rvpo", r, tau=0.5, eps=1e-4, whiten=False)
    mid2 = aggregate("rvpo", r, tau=2.0, eps=1e-4, whiten=False)
    assert np.all(mean_z + 1e-9 >= mid1) and np.all(mid1 + 1e-9 >= mid2) and np.all(mid2 + 1e-9 >= min_z)


@SETTINGS
@given(r=reward_batches(min_g=2), tau=st.sampled_from([0.01, 0.05]))
def test_rvpo_small_tau_taylor_expansion(r, tau) -> None:
    valid = ~np.isnan(r)
    z = zscores(r, 1e-6, 1)
    zm = np.ma.masked_array(z, ~valid)
    approx = (zm.mean(-1) - tau / 2 * zm.var(-1)).filled(0.0)
    got = aggregate("rvpo", r, tau=tau, whiten=False)
    np.testing.assert_allclose(got, approx, atol=5 * tau**2 * np.nanmax(np.abs(z), initial=1.0) ** 3 + 1e-9)


# ------------------------------------------------------------------------------------------------- DVAO bound


@SETTINGS
@given(r=reward_batches(), power=st.sampled_from([0.0, 1.0, 2.0]),
       weights=arrays(np.float64, 4, elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
def test_dvao_is_bounded_by_the_largest_objective_z(r, power, weights) -> None:
    k = r.shape[-1]
    w = weights[:k]
    a = aggregate("dvao", r, power=power, weights=w)
    valid = ~np.isnan(r)
    z = zscores(r, 1e-6, 0)
    bound = np.nanmax(np.abs(np.where(valid, z, 0.0)), axis=-1, initial=0.0)
    assert np.all(np.abs(a) <= bound + 1e-12)


# -------------------------------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("name", ALL)
@SETTINGS
@given(r=reward_batches())
def test_finite_everywhere_and_zero_for_all_nan_rows(name: str, r: np.ndarray) -> None:
    a = call(name, r)
    assert a.shape == r.shape[:2]
    assert np.isfinite(a).all()
    all_nan = np.isnan(r).all(-1)
    assert np.all(a[all_nan] == 0.0)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("shape", [(3, 1, 3), (2, 5, 1), (1, 1, 1)], ids=["G=1", "K=1", "G=K=1"])
def test_g1_and_k1_are_finite(name: str, shape: tuple[int, int, int]) -> None:
    r = np.random.default_rng(0).integers(0, 2, size=shape).astype(float)
    a = call(name, r)
    assert a.shape == shape[:2] and np.isfinite(a).all()
    if shape[1] == 1 and name not in NO_BASELINE:
        assert np.all(a == 0.0)  # a lone rollout has nothing to be compared with


@pytest.mark.parametrize("name", ALL)
@SETTINGS
@given(rows=arrays(np.float64, (3, 1, 3), elements=grid), g=st.integers(1, 6))
def test_constant_groups_give_zero(name: str, rows: np.ndarray, g: int) -> None:
    r = np.repeat(rows, g, axis=1)  # every group constant (a batch of constant groups)
    a = call(name, r)
    if name in NO_BASELINE:
        assert np.all(a == a[:, :1])  # identical rollouts, identical advantages
    else:
        assert np.all(a == 0.0)


@pytest.mark.parametrize("name", [n for n in ALL if not SPECS[n].batch_level and n not in NO_BASELINE])
def test_constant_group_is_zero_inside_a_mixed_batch(name: str) -> None:
    r = np.array([[[1, 0], [1, 0], [1, 0]], [[1, 0], [0, 1], [0.5, 0.5]]], dtype=float)
    assert np.all(call(name, r)[0] == 0.0)


@pytest.mark.parametrize("name", ALL)
def test_infinite_rewards_raise_naming_the_scheme(name: str) -> None:
    r = np.zeros((1, 3, 2))
    r[0, 1, 1] = np.inf
    with pytest.raises(ValueError, match=rf"^{name}: rewards contain infinite values"):
        call(name, r)
    r[0, 1, 1] = -np.inf
    with pytest.raises(ValueError, match="infinite"):
        call(name, r)


# -------------------------------------------------------------------------------------- the advantage collapse


def test_grpo_collapses_distinct_vectors_gdpo_does_not() -> None:
    r = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]], dtype=float)
    grpo = aggregate("grpo", r)
    gdpo = aggregate("gdpo", r)
    assert grpo[0, 0] == grpo[0, 2]  # (1,1,0) and (0,1,1): same sum, same advantage
    assert abs(gdpo[0, 0] - gdpo[0, 2]) > 0.1  # the rarer success on objective 3 is worth more
    assert gdpo[0, 2] > gdpo[0, 0]
