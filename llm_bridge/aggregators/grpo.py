"""GRPO family: scalarize the reward vector, then normalize within the group (``grpo``, ``dr_grpo``, ``linear``).

Sources: DeepSeekMath (arXiv 2402.03300); TRL ``GRPOTrainer`` (``multi_objective_aggregation=
"sum_then_normalize"``, ``scale_rewards``); Dr. GRPO (arXiv 2503.20783). Docs: ``docs/aggregators/grpo.md``,
``dr_grpo.md``, ``linear.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from llm_bridge.aggregators._common import GRPO_SCALES, grpo_normalize
from llm_bridge.aggregators._registry import (
    AggregatorSpec,
    CommonParams,
    check_choice,
    check_float,
    check_int,
    register,
)
from vecreward_envs import scalarize

__all__ = ["GRPOParams", "DrGRPOParams", "LinearParams", "grpo", "dr_grpo", "linear"]


@dataclass(frozen=True)
class GRPOParams(CommonParams):
    """Parameters of ``grpo``.

    Attributes:
        scale: ``"group"`` (default, TRL ``scale_rewards="group"``): divide by the group's std;
            ``"batch"``: centre by the group mean, divide by the std of the scalar over the whole batch;
            ``"none"``: centre only (Dr. GRPO).
        eps: Added to the std (TRL: 1e-4). Must be >= 0.
        ddof: Delta degrees of freedom of the std (TRL/torch ``std()``: 1). 0 or 1.
    """

    SCHEME: ClassVar[str] = "grpo"
    scale: Literal["group", "batch", "none"] = "group"
    eps: float = 1e-4
    ddof: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self.SCHEME, "scale", self.scale, GRPO_SCALES)
        check_float(self.SCHEME, "eps", self.eps, low=0.0)
        check_int(self.SCHEME, "ddof", self.ddof, low=0)


@dataclass(frozen=True)
class DrGRPOParams(GRPOParams):
    """Parameters of ``dr_grpo`` (GRPO without the std division).

    Attributes:
        scale: ``"none"`` by default (the Dr. GRPO advantage ``s - mean_g s``); the other GRPO scales are accepted
            so that the three can be compared under one name.
        eps: As in ``grpo`` (unused with ``scale="none"``).
        ddof: As in ``grpo`` (unused with ``scale="none"``).
    """

    SCHEME: ClassVar[str] = "dr_grpo"
    scale: Literal["group", "batch", "none"] = "none"


@dataclass(frozen=True)
class LinearParams(GRPOParams):
    """Parameters of ``linear`` (the classic MORL linear scalarization, GRPO-normalized).

    Attributes:
        scale: As in ``grpo``.
        eps: As in ``grpo``.
        ddof: As in ``grpo``.
    """

    SCHEME: ClassVar[str] = "linear"


def _grpo_kernel(r: np.ndarray, w: np.ndarray, p: GRPOParams, rng: object, step: int) -> np.ndarray:
    """``s = sum_k w_k r_k`` (NaN skipped), then ``A = (s - mean_g s) / (std_g s + eps)`` (or the chosen scale)."""
    s = scalarize.linear(r, w)  # [B, G]; NaN where no objective applies (unscorable)
    return grpo_normalize(s, p.scale, p.eps, p.ddof)


def _linear_kernel(r: np.ndarray, w: np.ndarray, p: LinearParams, rng: object, step: int) -> np.ndarray:
    """``s = w . r`` with the weights normalized to sum to 1 (a point of the simplex), then GRPO-normalized."""
    total = w.sum()
    if total <= 0:
        raise ValueError(f"linear: weights must have a positive sum, got {w.tolist()}")
    return _grpo_kernel(r, w / total, p, rng, step)


grpo = register(AggregatorSpec(
    name="grpo", kernel=_grpo_kernel, params=GRPOParams, kind="scalarized", order=10,
    summary="GRPO: weighted sum of the objectives, then group z-score (sum-then-normalize).",
))
dr_grpo = register(AggregatorSpec(
    name="dr_grpo", kernel=_grpo_kernel, params=DrGRPOParams, kind="scalarized", order=20,
    summary="Dr. GRPO: weighted sum, centred on the group mean, no std division.",
))
linear = register(AggregatorSpec(
    name="linear", kernel=_linear_kernel, params=LinearParams, kind="scalarized", order=30, nonnegative_weights=True,
    summary="Linear scalarization w.r with simplex weights, GRPO-normalized.",
))
