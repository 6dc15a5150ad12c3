"""The hypervolume-contribution kernels against their plain-Python twin (grid enumeration)."""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from llm_bridge.aggregators._hv import (
    halton,
    hv_contributions,
    hv_contributions_batch,
    hv_contributions_mc,
    hv_contributions_py,
)

# Fewer examples when the kernels run as plain Python (test_agg_no_jit.py).
EXAMPLES = 40 if os.environ.get("NUMBA_DISABLE_JIT") == "1" else 300


@st.composite
def point_sets(draw):
    n = draw(st.integers(0, 7))
    k = draw(st.integers(1, 4))
    discrete = draw(st.booleans())
    elements = st.sampled_from([0.0, 0.5, 1.0, 2.0]) if discrete else st.floats(-1, 3, allow_nan=False, width=32)
    points = draw(arrays(np.float64, (n, k), elements=elements))
    ref = draw(arrays(np.float64, k, elements=st.sampled_from([-1.0, -0.25, 0.0, 0.5])))
    return points, ref


@settings(max_examples=EXAMPLES, deadline=None)
@given(case=point_sets())
def test_kernel_matches_the_twin(case) -> None:
    points, ref = case
    expected = hv_contributions_py(points.tolist(), ref.tolist())
    np.testing.assert_allclose(hv_contributions(points, ref), expected, atol=1e-9)


def test_kernel_matches_the_twin_on_larger_sets() -> None:
    rng = np.random.default_rng(0)
    for n, k in [(12, 3), (10, 4), (16, 2), (9, 5)]:
        for _ in range(5):
            points = rng.random((n, k)) if _ % 2 else rng.integers(0, 3, (n, k)).astype(float)
            ref = np.full(k, -0.1)
            np.testing.assert_allclose(hv_contributions(points, ref), hv_contributions_py(points.tolist(),
                                                                                         ref.tolist()), atol=1e-9)


def test_contributions_are_hypervolume_differences() -> None:
    # HV(P) - HV(P minus i), with HV itself from the twin's grid (sum over covered cells).
    import itertools

    def hv(points, ref):
        if not points:
            return 0.0
        axes = [sorted({ref[d], *(p[d] for p in points)}) for d in range(len(ref))]
        total = 0.0
        for cell in itertools.product(*(range(1, len(a)) for a in axes)):
            upper = [axes[d][c] for d, c in enumerate(cell)]
            if any(all(p[d] >= upper[d] for d in range(len(ref))) for p in points):
                total += np.prod([axes[d][c] - axes[d][c - 1] for d, c in enumerate(cell)])
        return total

    rng = np.random.default_rng(1)
    points = rng.random((6, 3)).tolist()
    ref = [0.0, 0.0, 0.0]
    full = hv(points, ref)
    got = hv_contributions(np.array(points), np.array(ref))
    for i in range(6):
        assert got[i] == pytest.approx(full - hv(points[:i] + points[i + 1:], ref))


def test_batch_kernel_and_more_than_64_points() -> None:
    rng = np.random.default_rng(2)
    points = rng.integers(0, 4, (3, 70, 3)).astype(float)
    refs = np.full((3, 3), -0.5)
    got = hv_contributions_batch(points, refs)
    for b in range(3):
        np.testing.assert_allclose(got[b], hv_contributions_py(points[b].tolist(), refs[b].tolist()), atol=1e-9)


def test_monte_carlo_estimate_converges() -> None:
    rng = np.random.default_rng(3)
    points = rng.random((5, 6, 3))
    refs = points.min(axis=1) - 0.1
    exact = hv_contributions_batch(points, refs)
    estimate = hv_contributions_mc(points, refs, halton(40000, 3))
    np.testing.assert_allclose(estimate, exact, atol=3e-3)
    estimate = hv_contributions_mc(points, refs, rng.random((40000, 3)))
    np.testing.assert_allclose(estimate, exact, atol=1e-2)


def test_halton_points_are_in_the_unit_cube_and_distinct() -> None:
    h = halton(1000, 5)
    assert h.shape == (1000, 5) and np.all((h > 0) & (h < 1))
    assert len({tuple(row) for row in h}) == 1000
    np.testing.assert_allclose(h[:4, 0], [0.5, 0.25, 0.75, 0.125])
    np.testing.assert_allclose(h[:3, 1], [1 / 3, 2 / 3, 1 / 9])
