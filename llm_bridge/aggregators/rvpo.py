"""RVPO: LogSumExp soft-min over per-objective z-scores (arXiv 2605.05750; abstract and a secondary summary).

Docs: ``docs/aggregators/rvpo.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from llm_bridge.aggregators._common import batch_standardize, objective_zscores
from llm_bridge.aggregators._kernels import soft_min_nb
from llm_bridge.aggregators._registry import AggregatorSpec, CommonParams, check_float, check_int, register

__all__ = ["RVPOParams", "rvpo", "rvpo_tau", "soft_min"]


@dataclass(frozen=True)
class RVPOParams(CommonParams):
    """Parameters of ``rvpo``.

    Attributes:
        tau: Soft-min temperature (>= 0; 0 gives the mean of the z-scores, ``math.inf`` their minimum). ``None``
            (default) uses the linear schedule below, driven by ``step``.
        tau_start: Schedule value at step 0 (0.5, the reported curriculum).
        tau_end: Schedule value from ``total_steps`` on (2.0, the reported curriculum).
        total_steps: Length of the linear ramp in steps (1000; set it to your run's length).
        eps: Added to each objective's group std (1e-6).
        ddof: Delta degrees of freedom of the per-objective std (1).
        whiten: Whiten the soft-min over the batch, ``(A - mean_B) / sqrt(var_B + whiten_eps)`` (True).
        whiten_eps: Added to the batch variance (1e-8).
    """

    SCHEME: ClassVar[str] = "rvpo"
    tau: float | None = None
    tau_start: float = 0.5
    tau_end: float = 2.0
    total_steps: int = 1000
    eps: float = 1e-6
    ddof: int = 1
    whiten: bool = True
    whiten_eps: float = 1e-8

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tau is not None:
            check_float(self.SCHEME, "tau", self.tau, low=0.0, allow_inf=True)
        check_float(self.SCHEME, "tau_start", self.tau_start, low=0.0)
        check_float(self.SCHEME, "tau_end", self.tau_end, low=0.0)
        check_int(self.SCHEME, "total_steps", self.total_steps, low=1)
        check_float(self.SCHEME, "eps", self.eps, low=0.0)
        check_int(self.SCHEME, "ddof", self.ddof, low=0)
        check_float(self.SCHEME, "whiten_eps", self.whiten_eps, low=0.0)
        if not isinstance(self.whiten, bool):
            raise ValueError(f"rvpo: parameter 'whiten' must be True or False, got {self.whiten!r}")


def rvpo_tau(params: RVPOParams, step: int) -> float:
    """The temperature at ``step``: ``params.tau`` if set, else the linear ramp ``tau_start -> tau_end``."""
    if params.tau is not None:
        return float(params.tau)
    frac = min(step / params.total_steps, 1.0)
    return params.tau_start + (params.tau_end - params.tau_start) * frac


def soft_min(z: np.ndarray, pi: np.ndarray, tau: float) -> np.ndarray:
    """``-(1/tau) log sum_k pi_k exp(-tau z_k)`` over the last axis, computed stably (numpy twin of the kernel).

    Args:
        z: ``[..., K]`` values; entries with ``pi_k = 0`` are ignored (their ``z`` may be NaN).
        pi: ``[..., K]`` mixture weights summing to 1 over the entries that count (0 elsewhere).
        tau: Temperature >= 0; 0 gives ``sum_k pi_k z_k``, ``inf`` the minimum over entries with ``pi_k > 0``.

    Returns:
        ``[...]`` soft-minima (0 where no entry counts).
    """
    used = pi > 0
    zf = np.where(used, z, 0.0)
    if tau == 0.0:
        return (pi * zf).sum(axis=-1)
    if math.isinf(tau):
        return np.where(used.any(axis=-1), np.where(used, zf, np.inf).min(axis=-1), 0.0)
    x = np.where(used, -tau * zf, -np.inf)  # [..., K]
    m = x.max(axis=-1, keepdims=True)  # [..., 1]
    m = np.where(np.isfinite(m), m, 0.0)
    # log sum pi e^x = m + log1p(sum pi expm1(x - m)): accurate for small tau too (sum pi = 1).
    inner = (pi * np.where(used, np.expm1(np.minimum(x - m, 0.0)), 0.0)).sum(axis=-1)
    lse = m[..., 0] + np.log1p(inner)  # inner > -1: the largest counted term contributes expm1(0) = 0
    return np.where(used.any(axis=-1), -lse / tau, 0.0)


def _rvpo_kernel(r: np.ndarray, w: np.ndarray, p: RVPOParams, rng: object, step: int) -> np.ndarray:
    """``A_pre = -(1/tau) log( sum_k pi_k exp(-tau Z_k) )``, then whitened over the batch.

    ``Z_k`` are the per-objective group z-scores and ``pi_k = w_k / sum w`` over the rollout's valid objectives
    (uniform ``1/K`` by default).
    tau -> 0 gives the (weighted) mean of Z, tau -> inf its minimum; ``A_pre ≈ mean(Z) - (tau/2) var(Z)``.
    """
    z, _, _ = objective_zscores(r, p.eps, p.ddof)  # [B, G, K]
    a_pre = soft_min_nb(z, np.ascontiguousarray(r), w, rvpo_tau(p, step))  # [B, G], NaN if nothing counts
    if not p.whiten:
        return np.nan_to_num(a_pre, nan=0.0)
    return batch_standardize(a_pre, p.whiten_eps, p.ddof, root_eps=True)


rvpo = register(AggregatorSpec(
    name="rvpo", kernel=_rvpo_kernel, params=RVPOParams, kind="per_objective", order=70, needs=("total_steps",),
    nonnegative_weights=True, batch_level=True,
    summary="RVPO: LogSumExp soft-min of per-objective z-scores (tau or a step schedule), batch-whitened.",
))
