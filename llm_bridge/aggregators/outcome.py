"""Positive / negative sample reinforcement on a binary success (``psr``, ``nsr``, ``w_reinforce``).

Source: "The Surprising Effectiveness of Negative Reinforcement in LLM Reasoning" (arXiv 2506.01347;
TianHongZXY/RLVR-Decomposed). No group mean, no std: the advantage depends on the rollout alone. Docs:
``docs/aggregators/psr.md``, ``nsr.md``, ``w_reinforce.md``.

Success of a rollout, from its reward vector: an objective *passes* when its reward is >= ``threshold`` (1.0 by
default, i.e. "passed" for 0/1 rewards); NaN objectives (not applicable) are skipped. With ``combine="all"``
(default) the rollout succeeds when every applicable objective among ``success_objectives`` (all by default)
passes, giving a 0/1 outcome; with ``combine="mean"`` the outcome is the fraction that pass, and the advantage is
the mean of the per-objective advantages. A rollout with no applicable objective is unscorable: advantage 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from llm_bridge._validate import index_list, indices_in_range
from llm_bridge.aggregators._registry import AggregatorSpec, CommonParams, check_choice, check_float, register

__all__ = ["NSRParams", "PSRParams", "WReinforceParams", "nsr", "psr", "success_rate", "w_reinforce"]


@dataclass(frozen=True)
class PSRParams(CommonParams):
    """Parameters of ``psr`` (and base of ``nsr`` / ``w_reinforce``).

    Attributes:
        threshold: An objective passes when its reward is >= threshold (1.0).
        success_objectives: Indices of the objectives that define success (``None``: all of them).
        combine: ``"all"`` (default): success = every applicable objective passes (0/1); ``"mean"``: the
            fraction of applicable objectives that pass (per-objective reinforcement, averaged).
    """

    SCHEME: ClassVar[str] = "psr"
    threshold: float = 1.0
    success_objectives: Any = None
    combine: Literal["all", "mean"] = "all"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_float(self.SCHEME, "threshold", self.threshold)
        check_choice(self.SCHEME, "combine", self.combine, ("all", "mean"))
        if self.success_objectives is not None:
            object.__setattr__(self, "success_objectives", index_list(
                self.success_objectives, f"{self.SCHEME}: parameter 'success_objectives'"))


@dataclass(frozen=True)
class NSRParams(PSRParams):
    """Parameters of ``nsr``: as ``psr`` (threshold, success_objectives, combine)."""

    SCHEME: ClassVar[str] = "nsr"


@dataclass(frozen=True)
class WReinforceParams(PSRParams):
    """Parameters of ``w_reinforce``.

    Attributes:
        lam: Advantage of a success (0.1, the paper's recommendation); failures get -1. Must be >= 0.
        threshold: As in ``psr``.
        success_objectives: As in ``psr``.
        combine: As in ``psr``.
    """

    SCHEME: ClassVar[str] = "w_reinforce"
    lam: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_float(self.SCHEME, "lam", self.lam, low=0.0)


def success_rate(r: np.ndarray, p: PSRParams) -> tuple[np.ndarray, np.ndarray]:
    """Outcome of every rollout and whether it is scorable.

    Args:
        r: ``[B, G, K]`` rewards.
        p: Success definition.

    Returns:
        ``(outcome, scorable)``, both ``[B, G]``: outcome in {0, 1} (``combine="all"``) or the pass fraction
        (``combine="mean"``).
    """
    if p.success_objectives is not None:
        r = r[..., indices_in_range(p.success_objectives, r.shape[-1], f"{p.SCHEME}: success_objectives")]
    valid = ~np.isnan(r)
    passed = valid & (np.where(valid, r, -np.inf) >= p.threshold)
    n_valid = valid.sum(axis=-1)  # [B, G]
    scorable = n_valid > 0
    if p.combine == "all":
        outcome = (passed.sum(axis=-1) == n_valid).astype(np.float64)
    else:
        outcome = passed.sum(axis=-1) / np.maximum(n_valid, 1)
    return np.where(scorable, outcome, 0.0), scorable


def _psr_kernel(r: np.ndarray, w: np.ndarray, p: PSRParams, rng: object, step: int) -> np.ndarray:
    """``A = 1`` for a success, ``0`` for a failure (only successes are reinforced)."""
    outcome, scorable = success_rate(r, p)
    return np.where(scorable, outcome, 0.0)


def _nsr_kernel(r: np.ndarray, w: np.ndarray, p: NSRParams, rng: object, step: int) -> np.ndarray:
    """``A = r - 1``: ``0`` for a success, ``-1`` for a failure (only failures are penalized)."""
    outcome, scorable = success_rate(r, p)
    return np.where(scorable, outcome - 1.0, 0.0)


def _w_reinforce_kernel(r: np.ndarray, w: np.ndarray, p: WReinforceParams, rng: object, step: int) -> np.ndarray:
    """``A = lam`` for a success, ``-1`` for a failure (``lam * r - (1 - r)`` for a pass fraction r)."""
    outcome, scorable = success_rate(r, p)
    return np.where(scorable, p.lam * outcome - (1.0 - outcome), 0.0)


psr = register(AggregatorSpec(
    name="psr", kernel=_psr_kernel, params=PSRParams, kind="outcome", order=140, needs=("success_objectives",),
    uses_weights=False,
    summary="PSR: advantage 1 for a success, 0 otherwise (no baseline).",
))
nsr = register(AggregatorSpec(
    name="nsr", kernel=_nsr_kernel, params=NSRParams, kind="outcome", order=150, needs=("success_objectives",),
    uses_weights=False,
    summary="NSR: advantage -1 for a failure, 0 otherwise (no baseline).",
))
w_reinforce = register(AggregatorSpec(
    name="w_reinforce", kernel=_w_reinforce_kernel, params=WReinforceParams, kind="outcome", order=160,
    needs=("success_objectives",), uses_weights=False,
    summary="W-REINFORCE: lam for a success, -1 for a failure (no baseline).",
))
