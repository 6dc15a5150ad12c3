"""Evaluation metrics of pools of reward vectors: pure numpy functions, one job each.

Conventions (``shared/reference/tasks.md``, "Metrics used by the anchors"): the scalar of a vector is the mean of
its applicable (non-NaN) entries; "pass" means every applicable objective at its upper bound; points are maximized.
"""

from __future__ import annotations

from math import comb

import numpy as np


def _pool(vectors: object) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"a pool of reward vectors must be [n, K], got shape {array.shape}")
    if np.any(np.isinf(array)):
        raise ValueError("reward vectors must not hold infinities")
    return array


def scalar(vectors: object) -> np.ndarray:
    """[n] mean of each vector's applicable entries (0 for an all-NaN row)."""
    pool = _pool(vectors)
    valid = ~np.isnan(pool)
    total = np.where(valid, pool, 0.0).sum(axis=1)
    return np.where(valid.any(axis=1), total / np.maximum(valid.sum(axis=1), 1), 0.0)


def per_objective(vectors: object, names: tuple[str, ...], prefix: str = "rewards") -> dict[str, float]:
    """``{prefix}/<name>/mean`` and ``/std`` (population std) over the applicable entries of each objective."""
    pool = _pool(vectors)
    if pool.shape[1] != len(names):
        raise ValueError(f"{pool.shape[1]} objectives but {len(names)} names")
    out: dict[str, float] = {}
    for k, name in enumerate(names):
        column = pool[:, k][~np.isnan(pool[:, k])]
        out[f"{prefix}/{name}/mean"] = float(column.mean()) if column.size else float("nan")
        out[f"{prefix}/{name}/std"] = float(column.std()) if column.size else float("nan")
    return out


def best_at_k(scores: object, k: int) -> float:
    """Expected maximum of ``k`` scores drawn without replacement from the pool (exact, by order statistics).

    With the pool sorted ascending, the i-th smallest (1-based) is the maximum of a k-subset in C(i-1, k-1) of the
    C(n, k) subsets.
    """
    values = np.sort(np.asarray(scores, dtype=np.float64).reshape(-1))
    n = values.size
    if not 1 <= k <= n:
        raise ValueError(f"best@k needs 1 <= k <= pool size {n}, got k={k}")
    weights = np.array([comb(i - 1, k - 1) for i in range(1, n + 1)], dtype=np.float64) / comb(n, k)
    return float(np.dot(weights, values))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k = 1 - C(n - c, k) / C(n, k) for c passing samples out of n (Chen et al. 2021)."""
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - comb(n - c, k) / comb(n, k))


def passes(vectors: object, high: object) -> np.ndarray:
    """Pass flags [n]: every applicable objective at its upper bound ``high`` (and at least one applicable)."""
    pool = _pool(vectors)
    upper = np.broadcast_to(np.asarray(high, dtype=np.float64), pool.shape)
    valid = ~np.isnan(pool)
    return valid.any(axis=1) & np.all(~valid | (pool >= upper), axis=1)


def diversity(vectors: object) -> float:
    """Mean pairwise L1 distance between the pool's vectors (NaN entries count as 0); 0 for fewer than 2."""
    pool = np.nan_to_num(_pool(vectors))
    n = pool.shape[0]
    if n < 2:
        return 0.0
    dist = np.abs(pool[:, None, :] - pool[None, :, :]).sum(axis=2)  # [n, n]
    return float(dist.sum() / (n * (n - 1)))


def non_dominated(vectors: object) -> np.ndarray:
    """The distinct non-dominated vectors of the pool ([P, K], maximization; NaN entries count as 0)."""
    pool = np.unique(np.nan_to_num(_pool(vectors)), axis=0)
    if pool.shape[0] == 0:
        return pool
    geq = np.all(pool[:, None, :] >= pool[None, :, :], axis=2)
    gt = np.any(pool[:, None, :] > pool[None, :, :], axis=2)
    return pool[~np.any(geq & gt, axis=0)]


def pareto_count(vectors: object) -> int:
    """Number of distinct non-dominated vectors in the pool."""
    return int(non_dominated(vectors).shape[0])


def hypervolume(vectors: object, ref: object) -> float:
    """Exact hypervolume dominated by the pool above the reference point ``ref`` (pymoo's convention, maximized).

    A dimension sweep over the non-dominated points: slice along the first objective and recurse on the rest. Exact
    for any K; its cost grows like P^(K-1) for P front points, which stays small for the fronts of our tasks.
    """
    front = non_dominated(vectors)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if front.size and ref.shape[0] != front.shape[1]:
        raise ValueError(f"reference point has {ref.shape[0]} entries for {front.shape[1]} objectives")
    front = front[np.all(front > ref, axis=1)]
    return _hv_sweep(front, ref)


def _hv_sweep(points: np.ndarray, ref: np.ndarray) -> float:
    if points.shape[0] == 0:
        return 0.0
    if points.shape[1] == 1:
        return float(points[:, 0].max() - ref[0])
    order = np.argsort(-points[:, 0])  # descending in the first objective
    pts = points[order]
    volume = 0.0
    for i in range(pts.shape[0]):
        upper = pts[i, 0]
        lower = pts[i + 1, 0] if i + 1 < pts.shape[0] else ref[0]
        if upper > lower:  # the slab (lower, upper] is covered by the first i+1 points
            volume += (upper - lower) * _hv_sweep(non_dominated(pts[: i + 1, 1:]), ref[1:])
    return float(volume)


def expected_utility(vectors: object, weights: np.ndarray) -> float:
    """Mean over weight vectors ``weights`` [N, K] of the pool's best linear utility (EUM; VPO's set reward)."""
    pool = np.nan_to_num(_pool(vectors))
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != pool.shape[1]:
        raise ValueError(f"weights must be [N, {pool.shape[1]}], got {w.shape}")
    return float((w @ pool.T).max(axis=1).mean())


def dirichlet_weights(k: int, n: int, rng: np.random.Generator, alpha: float = 1.0) -> np.ndarray:
    """[n, k] weight vectors from Dirichlet(alpha * 1_k), for ``expected_utility``."""
    return rng.dirichlet(np.full(k, alpha), size=n)


def bottleneck(vectors: object) -> float:
    """Minimum over objectives of the per-objective mean (constraint neglect shows here)."""
    pool = _pool(vectors)
    applicable = ~np.isnan(pool)
    counts = applicable.sum(axis=0)
    if not counts.any():
        return float("nan")
    means = np.where(applicable, pool, 0.0).sum(axis=0)[counts > 0] / counts[counts > 0]  # objectives never
    return float(means.min())  # applicable in the pool are left out (no empty-slice warning)


def brier(confidence: object, correct: object) -> float:
    """Mean squared error of stated confidences against correctness (0/1)."""
    q = np.asarray(confidence, dtype=np.float64)
    c = np.asarray(correct, dtype=np.float64)
    if q.shape != c.shape or q.size == 0:
        raise ValueError("confidence and correct must be non-empty arrays of one shape")
    return float(np.mean((q - c) ** 2))


def expected_calibration_error(confidence: object, correct: object, bins: int = 10) -> float:
    """ECE over ``bins`` equal-width confidence bins: sum over bins of |accuracy - mean confidence| x bin share."""
    q = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    c = np.asarray(correct, dtype=np.float64)
    if q.shape != c.shape or q.size == 0:
        raise ValueError("confidence and correct must be non-empty arrays of one shape")
    which = np.minimum((q * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            ece += members.mean() * abs(c[members].mean() - q[members].mean())
    return float(ece)


def zero_spread_fraction(rewards: object) -> float:
    """Fraction of groups whose G reward vectors are all identical ([B, G, K] or [B, G, m, K]): no signal."""
    array = np.nan_to_num(np.asarray(rewards, dtype=np.float64), nan=-1.0)
    if array.ndim < 3 or array.shape[0] == 0:
        raise ValueError(f"rewards must be [B, G, ...], got shape {array.shape}")
    flat = array.reshape(array.shape[0], array.shape[1], -1)
    return float(np.mean(np.all(flat == flat[:, :1], axis=(1, 2))))
