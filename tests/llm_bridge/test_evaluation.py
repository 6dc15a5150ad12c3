"""Evaluation pools: [B, S, m, K] -> per-instance pools, a chain counting once through its best answer."""

import numpy as np
import pytest

from llm_bridge import metrics as M
from llm_bridge.evaluation import chain_best, chain_passes, instance_pools, pool_metrics

NAN = np.nan
# B=1 instance, S=2 chains of m=2 answers, K=2
R = np.array([[[[1.0, 1.0], [0.0, 0.5]], [[0.5, NAN], [0.0, 0.0]]]])


def test_pools_chains_and_passes() -> None:
    assert instance_pools(R).shape == (1, 4, 2)
    np.testing.assert_array_equal(chain_best(R), [[1.0, 0.5]])  # best answer's mean (NaN skipped)
    np.testing.assert_array_equal(chain_passes(R, np.ones(2)), [[True, False]])
    # with success objectives a not-applicable one fails; without, NaN is skipped
    np.testing.assert_array_equal(chain_passes(R[:, 1:, :1], 1.0, [1]), [[False]])
    np.testing.assert_array_equal(chain_passes(np.array([[[[1.0, NAN]]]]), np.ones(2)), [[True]])
    with pytest.raises(ValueError, match=r"\[B, S, m, K\]"):
        instance_pools(np.zeros((2, 3, 4)))


def test_pool_metrics_by_hand() -> None:
    weights = np.array([[1.0, 0.0], [0.0, 1.0]])
    out = pool_metrics(R, np.ones(2), np.full(2, -0.1), weights, [1, 2])
    assert out["eval/best@1"] == pytest.approx(0.75) and out["eval/best@2"] == pytest.approx(1.0)
    assert out["eval/pass@1"] == pytest.approx(0.5) and out["eval/pass@2"] == pytest.approx(1.0)
    assert out["eval/pareto_count"] == 1.0  # (1, 1) dominates every other answer
    assert out["eval/hypervolume"] == pytest.approx(1.1 * 1.1)
    assert out["eval/expected_utility"] == pytest.approx(1.0)
    assert out["eval/diversity"] == pytest.approx(M.diversity(instance_pools(R)[0]))
