"""Set-level schemes over chains of m answers per rollout, input ``[B, G, m, K]``.

Schemes: ``vpo``, ``multi_rlvr``, ``max_at_k``.

Sources: VPO (arXiv 2605.22817; ryanboldi/vpo ``vpo/utils/vpo.py``), which also defines the Multi-RLVR and max@k
baselines; the unbiased max@k estimator (arXiv 2510.23393). Docs: ``docs/aggregators/vpo.md``,
``multi_rlvr.md``, ``max_at_k.md``.

Shared conventions: a NaN entry of an answer reads as 0 and an answer that is entirely NaN is a missing answer,
which scores as the zero vector (VPO: "missing routes score zero"); a rollout whose whole chain is NaN is
unscorable (advantage 0, left out of the statistics).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Literal

import numpy as np

from llm_bridge._arrays import as_float_array, axis_sum, masked_center_std, safe_divide, split_nan
from llm_bridge.aggregators._common import GRPO_SCALES, grpo_normalize
from llm_bridge.aggregators._registry import (
    AggregatorSpec,
    CommonParams,
    check_choice,
    check_float,
    check_int,
    register,
)

__all__ = [
    "MaxAtKParams",
    "MultiRLVRParams",
    "VPOParams",
    "max_at_k",
    "max_at_k_transformed",
    "multi_rlvr",
    "vpo",
    "vpo_scores",
]


def _chains(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(filled, scorable)``: rewards with NaN read as 0 ``[B, G, m, K]`` and ``[B, G]`` scorable mask."""
    filled, valid = split_nan(r)
    if valid is None:
        return r, np.ones(r.shape[:2], dtype=bool)
    return filled, axis_sum(valid, (2, 3))[:, :, 0, 0] > 0


# ---------------------------------------------------------------------------------------------------------- VPO


@dataclass(frozen=True)
class VPOParams(CommonParams):
    """Parameters of ``vpo``.

    Attributes:
        alpha: Dirichlet concentration, ``w_n ~ Dirichlet(alpha * 1_K)`` (1.0: uniform on the simplex). > 0.
        n_weights: Number N of scalarizations drawn per prompt group, shared by its G rollouts (100).
        weights_matrix: Explicit scalarizations ``[N, K]`` (non-negative), used for every group instead of
            Dirichlet draws; makes the scheme deterministic and needs no ``rng``. ``None`` (default): draw from
            ``rng``, which is then required.
        eps: Added to the group's population std; a group with std below ``eps`` gets A = 0 (1e-6, reference).
        empty_chain: ``"exclude"`` (default): a rollout whose chain is entirely NaN is unscorable (A = 0, not in
            the statistics). ``"zero"``: it scores 0 and takes part in the normalization, as the reference code
            does with an empty solution list.
    """

    SCHEME: ClassVar[str] = "vpo"
    alpha: float = 1.0
    n_weights: int = 100
    weights_matrix: Any = None
    eps: float = 1e-6
    empty_chain: Literal["exclude", "zero"] = "exclude"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_float(self.SCHEME, "alpha", self.alpha, low=0.0, low_open=True)
        check_int(self.SCHEME, "n_weights", self.n_weights, low=1)
        check_float(self.SCHEME, "eps", self.eps, low=0.0)
        check_choice(self.SCHEME, "empty_chain", self.empty_chain, ("exclude", "zero"))
        if self.weights_matrix is not None:
            wm = as_float_array(self.weights_matrix, "vpo: parameter 'weights_matrix'")
            if wm.ndim != 2 or wm.shape[0] == 0:
                raise ValueError(f"vpo: parameter 'weights_matrix' must be [N, K] with N >= 1, got {wm.shape}")
            if not np.all(np.isfinite(wm)) or np.any(wm < 0):
                raise ValueError("vpo: parameter 'weights_matrix' must be finite and non-negative")
            object.__setattr__(self, "weights_matrix", tuple(map(tuple, wm.tolist())))


def vpo_scores(
    r: np.ndarray, weights_matrix: np.ndarray | None, alpha: float, n_weights: int,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """The VPO set score ``R(S_g) = (1/N) sum_n max_j w_n . S_{g,j}`` for every rollout.

    Args:
        r: ``[B, G, m, K]`` chains, NaN read as 0.
        weights_matrix: ``[N, K]`` explicit scalarizations, or ``None`` to draw ``[B, N, K]`` from ``rng``
            (one draw per prompt group, shared by its rollouts: common random numbers).
        alpha: Dirichlet concentration.
        n_weights: N when drawing.
        rng: Generator for the draws.

    Returns:
        ``[B, G]`` set scores.
    """
    b, g, m, k = r.shape
    flat = r.reshape(b, g * m, k)  # [B, G*m, K]
    if weights_matrix is not None:
        scored = flat @ weights_matrix.T  # [B, G*m, N]
    else:
        if rng is None:
            raise ValueError(
                "vpo: needs rng=np.random.default_rng(seed) to draw Dirichlet weights, "
                "or weights_matrix=[[...], ...] for fixed scalarizations"
            )
        w = _dirichlet(rng, alpha, (b, n_weights, k))  # [B, N, K]
        scored = flat @ np.swapaxes(w, 1, 2)  # [B, G*m, N]
    scored = scored.reshape(b, g, m, -1)  # [B, G, m, N]
    best = scored[:, :, 0].copy()  # [B, G, N]; a loop over the (small) chain is faster than max(axis=2)
    for j in range(1, m):
        np.maximum(best, scored[:, :, j], out=best)
    return best.mean(axis=-1)  # [B, G]


def _dirichlet(rng: np.random.Generator, alpha: float, shape: tuple[int, int, int]) -> np.ndarray:
    """Symmetric Dirichlet(alpha) draws along the last axis: normalized Gamma(alpha) variables.

    ``alpha = 1`` uses exponential variables (the same law, cheaper); ``alpha < 0.1`` uses ``rng.dirichlet``, whose
    small-alpha method avoids Gamma underflow.
    """
    if alpha < 0.1:
        return rng.dirichlet(np.full(shape[-1], alpha), size=shape[:-1])
    x = rng.standard_exponential(shape) if alpha == 1.0 else rng.standard_gamma(alpha, shape)
    return x / x.sum(axis=-1, keepdims=True)


def _vpo_kernel(r: np.ndarray, w: np.ndarray, p: VPOParams, rng: np.random.Generator | None,
                step: int) -> np.ndarray:
    """VPO set score, then a population-std group z-score.

    ``R(S_g) = (1/N) sum_n max_j w_n . S_{g,j}``, ``w_n ~ Dirichlet(alpha 1_K)`` drawn once per group;
    ``A = (R - mean_g R) / (std_p,g R + eps)``, and A = 0 where ``std_p < eps``.
    """
    filled, scorable = _chains(r)
    wm = None
    if p.weights_matrix is not None:
        wm = np.asarray(p.weights_matrix, dtype=np.float64)
        if wm.shape[1] != r.shape[-1]:
            raise ValueError(f"vpo: weights_matrix has {wm.shape[1]} columns, rewards have K={r.shape[-1]}")
    score = vpo_scores(filled, wm, p.alpha, p.n_weights, rng)  # [B, G]
    if p.empty_chain == "exclude" and not scorable.all():
        score = np.where(scorable, score, np.nan)
    filled, valid = split_nan(score)
    centred, std, _ = masked_center_std(filled, axis=1, ddof=0, valid=valid)  # [B, G], [B, 1]
    return np.where(std < p.eps, 0.0, safe_divide(centred, std + p.eps))


vpo = register(AggregatorSpec(
    name="vpo", kernel=_vpo_kernel, params=VPOParams, kind="set_level", order=80, chain_length=3, uses_weights=False,
    summary="VPO: mean over Dirichlet scalarizations of each chain's best answer, group z-score (pop. std).",
))


# --------------------------------------------------------------------------------------------------- Multi-RLVR


@dataclass(frozen=True)
class MultiRLVRParams(CommonParams):
    """Parameters of ``multi_rlvr`` (the chain's summed fixed scalar, GRPO-normalized).

    Attributes:
        scale: GRPO scale: ``"group"`` (default), ``"batch"`` or ``"none"``.
        eps: Added to the std (1e-4, GRPO).
        ddof: Delta degrees of freedom of the std (1, GRPO).
    """

    SCHEME: ClassVar[str] = "multi_rlvr"
    scale: Literal["group", "batch", "none"] = "group"
    eps: float = 1e-4
    ddof: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self.SCHEME, "scale", self.scale, GRPO_SCALES)
        check_float(self.SCHEME, "eps", self.eps, low=0.0)
        check_int(self.SCHEME, "ddof", self.ddof, low=0)


def _multi_rlvr_kernel(r: np.ndarray, w: np.ndarray, p: MultiRLVRParams, rng: object, step: int) -> np.ndarray:
    """``s_g = sum_j w . S_{g,j}`` (missing answers score 0), then GRPO normalization."""
    filled, scorable = _chains(r)
    s = (filled @ w).sum(axis=2)  # [B, G]
    s = np.where(scorable, s, np.nan)
    return grpo_normalize(s, p.scale, p.eps, p.ddof)


multi_rlvr = register(AggregatorSpec(
    name="multi_rlvr", kernel=_multi_rlvr_kernel, params=MultiRLVRParams, kind="set_level", order=90, chain_length=3,
    summary="Multi-RLVR: sum over the chain of the fixed scalar w.r, then GRPO normalization.",
))


# ------------------------------------------------------------------------------------------------------- max@k


@dataclass(frozen=True)
class MaxAtKParams(CommonParams):
    """Parameters of ``max_at_k``.

    Attributes:
        k: The k of max@k (3, matching VPO's default chain length m = 3). Clipped to the number of scorable
            rollouts n of the group; with ``k >= n`` every rollout gets the group maximum, so A = 0.
        baseline: ``"mean"`` (default): subtract the group mean of the transformed rewards, which equals the
            unbiased max@k estimate of the group; ``"none"``: use the transformed rewards as they are.
        scale: ``"none"`` (default) or ``"group"`` (divide by the group's std of the transformed rewards + eps).
        eps: Added to the std when ``scale="group"`` (1e-4).
        ddof: Delta degrees of freedom of that std (1).
    """

    SCHEME: ClassVar[str] = "max_at_k"
    k: int = 3
    baseline: Literal["mean", "none"] = "mean"
    scale: Literal["none", "group"] = "none"
    eps: float = 1e-4
    ddof: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int(self.SCHEME, "k", self.k, low=1)
        check_choice(self.SCHEME, "baseline", self.baseline, ("mean", "none"))
        check_choice(self.SCHEME, "scale", self.scale, ("none", "group"))
        check_float(self.SCHEME, "eps", self.eps, low=0.0)
        check_int(self.SCHEME, "ddof", self.ddof, low=0)


@lru_cache(maxsize=512)
def _max_at_k_coefficients(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of the transformed reward for a group of ``n`` sorted values (ascending), ``k <= n``.

    ``own[i] = C(i, k-1) / C(n-1, k-1)`` and ``above[j] = C(j-1, k-2) / C(n-1, k-1)`` (0 for j = 0 or k = 1).
    """
    total = math.comb(n - 1, k - 1)
    own = np.array([math.comb(i, k - 1) / total for i in range(n)])
    above = np.array([math.comb(j - 1, k - 2) / total if (j >= 1 and k >= 2) else 0.0 for j in range(n)])
    own.flags.writeable = False
    above.flags.writeable = False
    return own, above


def max_at_k_transformed(x: np.ndarray, k: int) -> np.ndarray:
    """Transformed rewards of the unbiased max@k gradient estimator, per group.

    For a group of n scorable values sorted ascending ``x_(0) <= ... <= x_(n-1)``, rollout i gets the mean, over
    all k-subsets of the group that contain it, of the subset's maximum:
    ``t_i = [C(i, k-1) x_(i) + sum_{j>i} C(j-1, k-2) x_(j)] / C(n-1, k-1)``.
    ``sum_i grad log p(y_i) t_i`` is (k/n times) the unbiased gradient estimate of max@k, and ``mean_i t_i`` is the
    unbiased max@k estimate ``sum_S max_S / C(n, k)``. Ties get equal values, so the result does not depend on how
    ties are ordered. ``k`` is clipped to n.

    Args:
        x: ``[B, G]`` scalars, NaN = unscorable.
        k: The k of max@k (>= 1).

    Returns:
        ``[B, G]`` transformed rewards, NaN where ``x`` is NaN.
    """
    order = np.argsort(x, axis=1, kind="stable")  # NaN sorts last
    xs = np.take_along_axis(x, order, axis=1)  # [B, G] ascending
    n_valid = (~np.isnan(xs)).sum(axis=1)  # [B]
    own = np.zeros_like(xs)
    above = np.zeros_like(xs)
    for n in np.unique(n_valid):
        if n == 0:
            continue
        rows = n_valid == n
        o, a = _max_at_k_coefficients(int(n), min(k, int(n)))
        own[rows, :n] = o
        above[rows, :n] = a
    # The coefficients of each position sum to 1, so t(x + c) = t(x) + c: work relative to the group minimum,
    # which makes a constant group exactly constant (no round-off advantages).
    low = np.nan_to_num(xs[:, :1], nan=0.0)  # [B, 1]
    xs0 = np.nan_to_num(xs - low, nan=0.0)
    weighted = above * xs0  # [B, G]
    # Exclusive suffix sum: sum_{j > i} above[j] x[j].
    suffix = np.cumsum(weighted[:, ::-1], axis=1)[:, ::-1] - weighted
    t_sorted = own * xs0 + suffix + low
    t_sorted = np.where(np.isnan(xs), np.nan, t_sorted)
    t = np.empty_like(t_sorted)
    np.put_along_axis(t, order, t_sorted, axis=1)
    return t


def _max_at_k_kernel(r: np.ndarray, w: np.ndarray, p: MaxAtKParams, rng: object, step: int) -> np.ndarray:
    """max@k transformed rewards of each chain's best answer, minus their group mean.

    Each rollout's score is its chain's best answer under the fixed scalar, ``x_g = max_j w . S_{g,j}``
    (for m = 1 the answer's own score); ``t = max_at_k_transformed(x, k)``; ``A = t - mean_g t`` (the unbiased
    max@k estimate as baseline), optionally divided by the group std.
    """
    filled, scorable = _chains(r)
    x = (filled @ w).max(axis=2)  # [B, G]
    x = np.where(scorable, x, np.nan)
    t = max_at_k_transformed(x, p.k)  # [B, G]
    filled, valid = split_nan(t)
    if p.baseline == "none" and p.scale == "none":
        return filled
    centred, std, _ = masked_center_std(filled, axis=1, ddof=p.ddof, valid=valid)  # [B, G], [B, 1]
    out = centred if p.baseline == "mean" else filled
    if p.scale == "group":
        den = std + p.eps
        out = np.where(den > 0, out / np.where(den > 0, den, 1.0), 0.0)
    return out


max_at_k = register(AggregatorSpec(
    name="max_at_k", kernel=_max_at_k_kernel, params=MaxAtKParams, kind="set_level", order=100, chain_length=3,
    summary="max@k: unbiased max@k transformed rewards of each chain's best answer, minus their group mean.",
))
