"""The numba statistics kernels against their numpy twins (also run without JIT by test_agg_no_jit.py)."""

import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from llm_bridge.aggregators._common import objective_zscores, objective_zscores_np
from llm_bridge.aggregators._kernels import soft_min_nb
from llm_bridge.aggregators.rvpo import soft_min

values = st.one_of(st.sampled_from([np.nan, 0.0, 1.0, 0.5, -2.0]), st.floats(-5, 5, width=32))


# Fewer examples when the kernels run as plain Python (test_agg_no_jit.py).
EXAMPLES = 40 if os.environ.get("NUMBA_DISABLE_JIT") == "1" else 150


@st.composite
def batches(draw):
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 4)))
    return draw(arrays(np.float64, shape, elements=values))


@settings(max_examples=EXAMPLES, deadline=None)
@given(r=batches(), eps=st.sampled_from([0.0, 1e-6, 1e-4]), ddof=st.sampled_from([0, 1]))
def test_objective_zscores_kernel_matches_numpy(r, eps, ddof) -> None:
    z, std, rows = objective_zscores(r, eps, ddof)
    z_np, std_np, rows_np = objective_zscores_np(r, eps, ddof)
    np.testing.assert_allclose(z, z_np, atol=1e-9)
    np.testing.assert_allclose(std, std_np, atol=1e-12)
    np.testing.assert_array_equal(rows, rows_np)
    filled_hi, filled_lo = np.where(np.isnan(r), -np.inf, r), np.where(np.isnan(r), np.inf, r)
    constant = filled_hi.max(axis=1, keepdims=True) == filled_lo.min(axis=1, keepdims=True)
    assert np.all(np.where(constant & ~np.isnan(r), z, 0.0) == 0.0)  # exact zero for constant columns


@settings(max_examples=EXAMPLES, deadline=None)
@given(r=batches(), tau=st.sampled_from([0.0, 1e-6, 0.5, 2.0, 50.0, np.inf]),
       w=arrays(np.float64, 4, elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
def test_soft_min_kernel_matches_numpy(r, tau, w) -> None:
    k = r.shape[-1]
    z, _, _ = objective_zscores(r, 1e-6, 1)
    wv = np.where(np.isnan(r), 0.0, w[:k])
    total = wv.sum(-1, keepdims=True)
    pi = np.divide(wv, total, out=np.zeros_like(wv), where=total > 0)
    got = soft_min_nb(z, r, w[:k], tau)
    counted = (total[..., 0] > 0)
    assert np.array_equal(np.isnan(got), ~counted)  # NaN marks a rollout where no objective counts
    np.testing.assert_allclose(np.nan_to_num(got), soft_min(z, pi, tau), atol=1e-9)
