import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_bridge import metrics as M


def test_best_at_k_matches_enumeration() -> None:
    scores = [0.1, 0.7, 0.3, 0.9, 0.5]
    for k in range(1, 6):
        subsets = list(itertools.combinations(scores, k))
        assert M.best_at_k(scores, k) == pytest.approx(np.mean([max(s) for s in subsets]))
    with pytest.raises(ValueError):
        M.best_at_k(scores, 6)


def test_pass_at_k_matches_enumeration() -> None:
    flags = [1, 0, 0, 1, 0, 0]
    for k in range(1, 7):
        subsets = list(itertools.combinations(flags, k))
        assert M.pass_at_k(6, 2, k) == pytest.approx(np.mean([any(s) for s in subsets]))
    assert M.pass_at_k(5, 0, 3) == 0.0 and M.pass_at_k(5, 5, 1) == 1.0


def test_hypervolume_hand_values() -> None:
    assert M.hypervolume([[1, 0], [0, 1], [0.5, 0.5]], [0, 0]) == pytest.approx(0.25)
    assert M.hypervolume([[2, 1], [1, 2]], [0, 0]) == pytest.approx(3.0)
    assert M.hypervolume([[1, 1, 1], [0.5, 0.5, 0.5]], [0, 0, 0]) == pytest.approx(1.0)
    # two boxes in 3-D overlapping in a 1 x 1 x 1 corner: 2 + 2 - 1
    assert M.hypervolume([[2, 1, 1], [1, 2, 1]], [0, 0, 0]) == pytest.approx(3.0)
    assert M.hypervolume([[0.5, 0.5]], [1, 1]) == 0.0  # below the reference point


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.floats(0, 1)] * 3), min_size=1, max_size=6))
def test_hypervolume_matches_grid_count(points: list) -> None:
    # Monte-Carlo-free check: exact volume by inclusion over the grid of all coordinates
    pts = np.array(points)
    coords = [np.unique(np.concatenate([[0.0], pts[:, d]])) for d in range(3)]
    volume = 0.0
    for cell in itertools.product(*[range(len(c) - 1) for c in coords]):
        upper = np.array([coords[d][cell[d] + 1] for d in range(3)])
        lower = np.array([coords[d][cell[d]] for d in range(3)])
        if np.any(np.all(pts >= upper, axis=1)):
            volume += float(np.prod(upper - lower))
    assert M.hypervolume(pts, [0, 0, 0]) == pytest.approx(volume, abs=1e-9)


def test_pool_metrics() -> None:
    pool = np.array([[1, 0], [0, 1], [1, 0], [0.5, 0.5], [0.2, 0.2]])
    assert M.pareto_count(pool) == 3
    assert M.diversity([[0, 0], [1, 1]]) == 2.0 and M.diversity([[1, 1]]) == 0.0
    assert M.bottleneck([[1, 0.2], [1, 0.4]]) == pytest.approx(0.3)
    assert M.expected_utility(pool, np.array([[1, 0], [0, 1]])) == 1.0
    np.testing.assert_array_equal(M.passes([[1, 1], [1, np.nan], [1, 0.9], [np.nan, np.nan]], 1.0),
                                  [True, True, False, False])
    np.testing.assert_allclose(M.scalar([[1, np.nan, 0], [np.nan, np.nan, np.nan]]), [0.5, 0.0])
    stats = M.per_objective([[1, np.nan], [0, 1]], ("a", "b"))
    assert stats == {"rewards/a/mean": 0.5, "rewards/a/std": 0.5, "rewards/b/mean": 1.0, "rewards/b/std": 0.0}


def test_calibration_metrics() -> None:
    assert M.brier([1.0, 0.0], [1, 0]) == 0.0
    assert M.expected_calibration_error([0.9] * 10, [1] * 9 + [0]) == pytest.approx(0.0)
    assert M.expected_calibration_error([0.95, 0.95], [0, 0]) == pytest.approx(0.95)


def test_zero_spread_fraction() -> None:
    r = np.zeros((2, 3, 2))
    r[1, 0, 0] = 1
    assert M.zero_spread_fraction(r) == 0.5


def test_bad_inputs() -> None:
    with pytest.raises(ValueError):
        M.diversity([[np.inf, 0]])
    with pytest.raises(ValueError):
        M.scalar([1, 2, 3])
    with pytest.raises(ValueError):
        M.hypervolume([[1, 1]], [0, 0, 0])
