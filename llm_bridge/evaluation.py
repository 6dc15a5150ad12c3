"""Evaluation pools: from sampled reward tensors [B, S, m, K] to per-instance pools and their metrics.

Written once, used by the trainer's evaluation, the compare report and the claim reproductions. An instance's
*pool* holds every answer sampled for it: S samples (rollouts), each a chain of m answers. Pool metrics that look
at answers (diversity, fronts, hypervolume, expected utility) see all S * m answers; metrics that count samples
(best@k, pass@k) treat a chain as one sample, through its best answer (VPO's set-level view).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from llm_bridge import metrics as M

__all__ = ["chain_best", "chain_passes", "instance_pools", "pool_metrics"]


def _check(rewards: np.ndarray) -> np.ndarray:
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 4:
        raise ValueError(f"evaluation rewards must be [B, S, m, K], got shape {r.shape}")
    return r


def instance_pools(rewards: np.ndarray) -> np.ndarray:
    """[B, S, m, K] -> [B, S * m, K]: every answer sampled for each instance."""
    r = _check(rewards)
    return r.reshape(r.shape[0], -1, r.shape[-1])


def chain_best(rewards: np.ndarray) -> np.ndarray:
    """[B, S, m, K] -> [B, S]: each sample's scalar (mean of the vector), the best answer of its chain."""
    r = _check(rewards)
    b, s, m, k = r.shape
    return M.scalar(r.reshape(-1, k)).reshape(b, s, m).max(axis=2)


def chain_passes(rewards: np.ndarray, high: np.ndarray, objectives: Sequence[int] | None = None) -> np.ndarray:
    """[B, S, m, K] -> bool [B, S]: some answer of the chain passes.

    Args:
        rewards: sampled rewards (NaN = not applicable).
        high: [K] upper bounds; an objective passes at its bound.
        objectives: None: an answer passes when every applicable objective passes (and one applies; as
            ``metrics.passes``). A list (a family's success objectives): when each listed objective passes, a
            not-applicable one counting as failed.
    """
    r = _check(rewards)
    b, s, m, k = r.shape
    if objectives is None:
        ok = M.passes(r.reshape(-1, k), high).reshape(b, s, m)
    else:
        cols = list(objectives)
        upper = np.asarray(high, dtype=np.float64).reshape(-1)[cols] if np.ndim(high) else np.full(len(cols), high)
        ok = np.all(np.nan_to_num(r[..., cols], nan=-np.inf) >= upper, axis=-1)
    return ok.any(axis=2)


def pool_metrics(rewards: np.ndarray, high: np.ndarray, hv_ref: np.ndarray, eu_weights: np.ndarray,
                 ks: Sequence[int]) -> dict[str, float]:
    """``eval/*`` pool metrics of rewards [B, S, m, K], each computed per instance and averaged over instances.

    ``eval/best@k`` and ``eval/pass@k`` for k in ``ks`` (samples, a chain counting once), ``eval/diversity``,
    ``eval/pareto_count``, ``eval/hypervolume`` (above ``hv_ref``) and ``eval/expected_utility`` (over the weight
    vectors ``eu_weights`` [N, K]) over each instance's answers.
    """
    pools = instance_pools(rewards)  # [B, S * m, K]
    best = chain_best(rewards)  # [B, S]
    passed = chain_passes(rewards, high)  # [B, S]
    per_instance: dict[str, list[float]] = {}
    for b in range(pools.shape[0]):
        row = {f"eval/best@{k}": M.best_at_k(best[b], k) for k in ks}
        row.update({f"eval/pass@{k}": M.pass_at_k(passed.shape[1], int(passed[b].sum()), k) for k in ks})
        row.update({
            "eval/diversity": M.diversity(pools[b]),
            "eval/pareto_count": float(M.pareto_count(pools[b])),
            "eval/hypervolume": M.hypervolume(pools[b], hv_ref),
            "eval/expected_utility": M.expected_utility(pools[b], eu_weights),
        })
        for key, value in row.items():
            per_instance.setdefault(key, []).append(value)
    return {key: float(np.mean(values)) for key, values in per_instance.items()}
