"""Classic multi-objective scalarizations, each GRPO-normalized within the group.

Schemes: ``tchebycheff``, ``pareto_rank``, ``hv_contribution``. Docs: ``docs/aggregators/tchebycheff.md``,
``pareto_rank.md``, ``hv_contribution.md``.

``pareto_rank`` and ``hv_contribution`` compare whole vectors, so a NaN entry needs a value: it is imputed with
the group mean of that objective over the rollouts where it applies (the value at which GDPO's z-score would be
0, i.e. neutral). An objective that applies to no rollout of the group is ignored for that group. Objectives with
weight 0 are ignored; positive weights do not change Pareto ranks, and scale every hypervolume contribution of a
group by the same factor, which the normalization removes.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from llm_bridge.aggregators._common import grpo_normalize
from llm_bridge.aggregators._hv import halton, hv_contributions_batch, hv_contributions_mc
from llm_bridge.aggregators._registry import (
    AggregatorSpec,
    check_choice,
    check_float,
    check_int,
    check_vector,
    register,
)
from llm_bridge.aggregators.grpo import GRPOParams
from vecreward_envs import scalarize

__all__ = [
    "HVParams",
    "ParetoRankParams",
    "TchebycheffParams",
    "hv_contribution",
    "pareto_ranks",
    "pareto_rank",
    "tchebycheff",
]


def _as_param_vector(scheme: str, name: str, value: Any) -> float | tuple[float, ...]:
    arr = check_vector(scheme, name, value)
    return float(arr) if arr.ndim == 0 else tuple(arr.tolist())


def _broadcast_param(scheme: str, name: str, value: float | tuple[float, ...], k: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] != k:
        raise ValueError(f"{scheme}: parameter {name!r} has {arr.shape[0]} entries, rewards have K={k}")
    return np.broadcast_to(arr, (k,))


# ---------------------------------------------------------------------------------------------------- Tchebycheff


@dataclass(frozen=True)
class TchebycheffParams(GRPOParams):
    """Parameters of ``tchebycheff``.

    Attributes:
        utopia: The fixed utopia point z* (a number for every objective, or one per objective): the rewards' upper
            bound, never taken from the group (1.0, for rewards in [0, 1]).
        rho: Weight of the augmentation term ``rho * sum_k w_k r_k`` (0.01); 0 gives the plain Tchebycheff
            scalarization. Must be >= 0.
        scale: GRPO scale of the scalar (``"group"``).
        eps: Added to the std (1e-4).
        ddof: Delta degrees of freedom of the std (1).
    """

    SCHEME: ClassVar[str] = "tchebycheff"
    utopia: float | tuple[float, ...] = 1.0
    rho: float = 0.01

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "utopia", _as_param_vector(self.SCHEME, "utopia", self.utopia))
        check_float(self.SCHEME, "rho", self.rho, low=0.0)


def _tchebycheff_kernel(r: np.ndarray, w: np.ndarray, p: TchebycheffParams, rng: object, step: int) -> np.ndarray:
    """``s = -max_k w_k (z*_k - r_k) + rho sum_k w_k r_k`` over the applicable objectives, GRPO-normalized."""
    z = _broadcast_param(p.SCHEME, "utopia", p.utopia, r.shape[-1])
    s = scalarize.tchebycheff(r, w, z, p.rho)  # [B, G]; NaN where no objective applies (unscorable)
    return grpo_normalize(s, p.scale, p.eps, p.ddof)


tchebycheff = register(AggregatorSpec(
    name="tchebycheff", kernel=_tchebycheff_kernel, params=TchebycheffParams, kind="scalarized", order=110,
    nonnegative_weights=True,
    summary="Augmented Tchebycheff distance to a fixed utopia point (negated), GRPO-normalized.",
))


# ---------------------------------------------------------------------------------------------------- shared prep


def _prepare_points(r: np.ndarray, w: np.ndarray, scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Impute NaN with the objective's group mean and keep objectives with positive weight.

    Returns:
        ``(x, scorable, absent)``: points ``[B, G, K']``, scorable mask ``[B, G]``, and ``[B, 1, K']`` mask of
        objectives that apply to no rollout of the group (their imputed value is 0).
    """
    keep = w > 0
    if not keep.any():
        raise ValueError(f"{scheme}: at least one weight must be positive, got {w.tolist()}")
    x = r[..., keep] if not keep.all() else r
    nan = np.isnan(x)
    scorable = ~np.isnan(r).all(axis=-1)  # [B, G]
    if not nan.any():
        return x, scorable, np.zeros((x.shape[0], 1, x.shape[2]), dtype=bool)
    valid = ~nan
    count = valid.sum(axis=1, keepdims=True)  # [B, 1, K']
    mean = np.where(valid, x, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1)
    x = np.where(valid, x, mean)
    return x, scorable, count == 0


# --------------------------------------------------------------------------------------------------- Pareto rank


@dataclass(frozen=True)
class ParetoRankParams(GRPOParams):
    """Parameters of ``pareto_rank``.

    Attributes:
        scale: GRPO scale of ``-rank`` (``"group"``).
        eps: Added to the std (1e-4).
        ddof: Delta degrees of freedom of the std (1).
    """

    SCHEME: ClassVar[str] = "pareto_rank"


def pareto_ranks(x: np.ndarray, scorable: np.ndarray) -> np.ndarray:
    """Non-dominated sorting depth of every rollout within its group (0 = first front).

    Args:
        x: ``[B, G, K]`` points (maximization, no NaN).
        scorable: ``[B, G]``; unscorable rollouts take no part and get rank 0.

    Returns:
        ``[B, G]`` integer ranks (as float).
    """
    a = x[:, :, None, :]  # [B, G, 1, K]
    c = x[:, None, :, :]  # [B, 1, G, K]
    dom = (a >= c).all(axis=-1) & (a > c).any(axis=-1)  # [B, G, G]: i dominates j
    dom &= scorable[:, :, None] & scorable[:, None, :]
    ranks = np.zeros(x.shape[:2])
    remaining = scorable.copy()
    depth = 0
    while remaining.any():
        dominated = (dom & remaining[:, :, None]).any(axis=1)  # [B, G]: j dominated by a remaining i
        front = remaining & ~dominated
        ranks[front] = depth
        remaining &= ~front
        depth += 1
    return ranks


def _pareto_kernel(r: np.ndarray, w: np.ndarray, p: ParetoRankParams, rng: object, step: int) -> np.ndarray:
    """``s = -rank`` (non-dominated sorting depth in the group, 0 = Pareto front), GRPO-normalized.

    Dominance: at least as good on every objective and strictly better on one.
    """
    x, scorable, _ = _prepare_points(r, w, p.SCHEME)
    s = np.where(scorable, -pareto_ranks(x, scorable), np.nan)
    return grpo_normalize(s, p.scale, p.eps, p.ddof)


pareto_rank = register(AggregatorSpec(
    name="pareto_rank", kernel=_pareto_kernel, params=ParetoRankParams, kind="dominance", order=120,
    nonnegative_weights=True,
    summary="Pareto rank: minus the non-dominated sorting depth in the group, GRPO-normalized.",
))


# ------------------------------------------------------------------------------------------ hypervolume contribution


@dataclass(frozen=True)
class HVParams(GRPOParams):
    """Parameters of ``hv_contribution``.

    Attributes:
        ref_point: Fixed reference point (a number, or one per objective), below every reward; coordinates at or
            below it give an empty box. ``None`` (default): per group and objective,
            ``min_g r_k - ref_margin * (max_g r_k - min_g r_k)`` (range 1 when the objective is constant), which
            makes the scheme invariant to per-objective positive affine maps of the rewards.
        ref_margin: Margin of the automatic reference point, as a fraction of the range (0.1). > 0.
        method: ``"auto"`` (default): exact for every group whose sweep is bounded by ``max_exact_cells`` cells,
            a Monte-Carlo estimate (with a ``RuntimeWarning``) for the others; ``"exact"``: always exact (cheap
            with binary or discrete rewards, exponential in K with continuous ones); ``"monte_carlo"``: always
            the estimate.
        max_exact_cells: Budget of the exact sweep per group under ``"auto"`` (5000): an upper bound on the cells
            it visits, ``min(C(n + K - 3, K - 2), sum_d prod_{d' < d} u_d')`` for n points with ``u_d`` distinct
            values per objective, each costing O(n). 5000 keeps continuous rewards exact up to K = 6 at G = 16,
            binary rewards up to K = 13.
        n_samples: Sample points per group for the Monte-Carlo estimate (2048): drawn from ``rng`` when one is
            given, else the first points of the Halton sequence (deterministic). The estimate breaks exact ties
            between rollouts, which the group normalization then magnifies: prefer the exact path.
        scale: GRPO scale of the contributions (``"group"``).
        eps: Added to the std (1e-4).
        ddof: Delta degrees of freedom of the std (1).
    """

    SCHEME: ClassVar[str] = "hv_contribution"
    ref_point: float | tuple[float, ...] | None = None
    ref_margin: float = 0.1
    method: Literal["auto", "exact", "monte_carlo"] = "auto"
    max_exact_cells: int = 5000
    n_samples: int = 2048

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.ref_point is not None:
            object.__setattr__(self, "ref_point", _as_param_vector(self.SCHEME, "ref_point", self.ref_point))
        check_float(self.SCHEME, "ref_margin", self.ref_margin, low=0.0, low_open=True)
        check_choice(self.SCHEME, "method", self.method, ("auto", "exact", "monte_carlo"))
        check_int(self.SCHEME, "max_exact_cells", self.max_exact_cells, low=1)
        check_int(self.SCHEME, "n_samples", self.n_samples, low=1)


def _sweep_plan(x: np.ndarray, scorable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Objective order for the exact sweep and, per group, an upper bound on the cells it visits.

    The sweep branches on all objectives but the last two, so the objectives with the most distinct values go
    last. Bound: ``min(C(n + K - 3, K - 2), sum_{d <= K-2} prod_{d' < d} u_d')`` (n scorable points, ``u_d``
    distinct values of the d-th swept objective).

    Returns:
        ``(dims [K], cells [B])``.
    """
    b, _, k = x.shape
    xs = np.sort(np.where(scorable[..., None], x, np.nan), axis=1)  # [B, G, K], NaN last
    n = scorable.sum(axis=1)  # [B]
    changes = (np.diff(xs, axis=1) != 0) & ~np.isnan(xs[:, 1:])
    distinct = np.where(n[:, None] > 0, 1 + changes.sum(axis=1), 0)  # [B, K]
    dims = np.argsort(distinct.max(axis=0), kind="stable")
    if k <= 2:
        return dims, np.ones(b)
    u = distinct[:, dims].astype(np.float64)  # [B, K]
    prefix = np.cumprod(np.concatenate([np.ones((b, 1)), u[:, : k - 2]], axis=1), axis=1)  # [B, K-1]
    by_values = prefix.sum(axis=1)
    by_size = np.array([math.comb(int(m) + k - 3, k - 2) if m >= 2 else 1 for m in n], dtype=np.float64)
    return dims, np.minimum(by_values, by_size)


def _hv_kernel(r: np.ndarray, w: np.ndarray, p: HVParams, rng: np.random.Generator | None,
               step: int) -> np.ndarray:
    """``s_i = HV(group) - HV(group without i)``, the exclusive hypervolume contribution; GRPO-normalized.

    Maximization, against the reference point. Unscorable rollouts take no part.
    """
    x, scorable, absent = _prepare_points(r, w, p.SCHEME)
    k = x.shape[-1]
    if p.ref_point is None:
        big = np.where(scorable[..., None], x, np.inf).min(axis=1)  # [B, K']
        top = np.where(scorable[..., None], x, -np.inf).max(axis=1)
        big = np.where(np.isfinite(big), big, 0.0)
        top = np.where(np.isfinite(top), top, 0.0)
        span = top - big
        refs = big - p.ref_margin * np.where(span > 0, span, 1.0)  # [B, K']
    else:
        keep = w > 0
        full = _broadcast_param(p.SCHEME, "ref_point", p.ref_point, r.shape[-1])
        refs = np.broadcast_to(full[keep], (x.shape[0], k))
    refs = np.ascontiguousarray(refs, dtype=np.float64)
    # Objectives absent from a group: one unit above the reference for everyone (a common factor of 1).
    x = np.where(absent, refs[:, None, :] + 1.0, x)
    # Unscorable rollouts: an empty box (at the reference point), so they cover nothing.
    x = np.ascontiguousarray(np.where(scorable[..., None], x, refs[:, None, :]))
    dims, cells = _sweep_plan(x, scorable)
    x = np.ascontiguousarray(x[..., dims])
    refs = np.ascontiguousarray(refs[:, dims])
    if p.method == "exact":
        exact = np.ones(x.shape[0], dtype=bool)
    elif p.method == "monte_carlo":
        exact = np.zeros(x.shape[0], dtype=bool)
    else:
        exact = cells <= p.max_exact_cells
        if not exact.all():
            warnings.warn(
                f"hv_contribution: {int((~exact).sum())} group(s) exceed max_exact_cells={p.max_exact_cells} "
                f"(largest bound {int(cells.max())} cells): Monte-Carlo estimate with {p.n_samples} samples, which "
                "breaks exact ties; pass method='exact' to keep them (slow with many continuous objectives)",
                RuntimeWarning, stacklevel=2,
            )
    contrib = np.zeros(x.shape[:2])
    if exact.any():
        contrib[exact] = hv_contributions_batch(np.ascontiguousarray(x[exact]), np.ascontiguousarray(refs[exact]))
    if not exact.all():
        unit = rng.random((p.n_samples, k)) if rng is not None else halton(p.n_samples, k)
        contrib[~exact] = hv_contributions_mc(np.ascontiguousarray(x[~exact]), np.ascontiguousarray(refs[~exact]),
                                              np.ascontiguousarray(unit))
    # Ties in exact arithmetic (symmetric points) can differ by an ulp here, which the group normalization would
    # blow up with a small eps: snap contributions to 1e-12 of the group's bounding-box volume.
    box = np.prod(np.max(x, axis=1) - refs, axis=-1, keepdims=True)  # [B, 1]
    box = np.where(box > 0, box, 1.0)
    contrib = np.round(contrib / box, 12) * box
    s = np.where(scorable, contrib, np.nan)
    return grpo_normalize(s, p.scale, p.eps, p.ddof)


hv_contribution = register(AggregatorSpec(
    name="hv_contribution", kernel=_hv_kernel, params=HVParams, kind="dominance", order=130, nonnegative_weights=True,
    summary="Exclusive hypervolume contribution in the group (exact within a cell budget), GRPO-normalized.",
))
