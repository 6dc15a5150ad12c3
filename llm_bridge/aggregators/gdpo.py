"""Decoupled normalization: z-score each objective within the group, then sum (``gdpo``, ``mo_grpo``).

Sources: GDPO (arXiv 2601.05242; NVlabs/GDPO ``trl-GDPO/.../grpo_trainer.py``; TRL
``multi_objective_aggregation="normalize_then_sum"``); MO-GRPO (arXiv 2509.22047, abstract only). Docs:
``docs/aggregators/gdpo.md``, ``mo_grpo.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from llm_bridge.aggregators._common import batch_standardize, objective_zscores
from llm_bridge.aggregators._registry import AggregatorSpec, CommonParams, check_float, check_int, register

__all__ = ["GDPOParams", "MOGRPOParams", "gdpo", "mo_grpo", "decoupled_sum"]


@dataclass(frozen=True)
class MOGRPOParams(CommonParams):
    """Parameters of ``mo_grpo`` (GDPO steps 1-2: per-objective group z-scores, weighted sum).

    Attributes:
        eps: Added to each objective's std (1e-4, as GDPO). Must be >= 0.
        ddof: Delta degrees of freedom of the per-objective std (1, as GDPO/torch).
    """

    SCHEME: ClassVar[str] = "mo_grpo"
    eps: float = 1e-4
    ddof: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_float(self.SCHEME, "eps", self.eps, low=0.0)
        check_int(self.SCHEME, "ddof", self.ddof, low=0)


@dataclass(frozen=True)
class GDPOParams(MOGRPOParams):
    """Parameters of ``gdpo``.

    Attributes:
        eps: Added to each objective's group std and to the batch std (1e-4 in both places, NVlabs/GDPO).
        ddof: Delta degrees of freedom of both stds (1).
        batch_norm: Step 3, standardize the summed z-scores over all rollouts of the batch (True). With False
            this is ``mo_grpo``.
    """

    SCHEME: ClassVar[str] = "gdpo"
    batch_norm: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.batch_norm, bool):
            raise ValueError(f"gdpo: parameter 'batch_norm' must be True or False, got {self.batch_norm!r}")


def decoupled_sum(r: np.ndarray, w: np.ndarray, eps: float, ddof: int) -> np.ndarray:
    """GDPO steps 1-2: ``s = sum_k w_k z_k`` with ``z_k`` the group z-score of objective k.

    Args:
        r: ``[B, G, K]`` rewards, NaN = not applicable (left out of that objective's statistics and of the sum).
        w: ``[K]`` objective weights.
        eps: Added to each objective's std.
        ddof: Delta degrees of freedom.

    Returns:
        ``[B, G]`` pre-normalization scalars, NaN for rollouts whose entries are all NaN.
    """
    z, _, rows = objective_zscores(r, eps, ddof)  # [B, G, K] (0 where r is NaN), [B, G]
    return np.where(rows > 0, z @ w, np.nan)  # [B, G]


def _mo_grpo_kernel(r: np.ndarray, w: np.ndarray, p: MOGRPOParams, rng: object, step: int) -> np.ndarray:
    """``A = sum_k w_k (r_k - mean_g r_k) / (std_g r_k + eps)``; no batch renormalization."""
    s = decoupled_sum(r, w, p.eps, p.ddof)
    return np.nan_to_num(s, nan=0.0)


def _gdpo_kernel(r: np.ndarray, w: np.ndarray, p: GDPOParams, rng: object, step: int) -> np.ndarray:
    """``s = sum_k w_k z_k`` (per-objective group z-scores), then ``A = (s - mean_B s) / (std_B s + eps)``."""
    s = decoupled_sum(r, w, p.eps, p.ddof)
    if not p.batch_norm:
        return np.nan_to_num(s, nan=0.0)
    return batch_standardize(s, p.eps, p.ddof)


gdpo = register(AggregatorSpec(
    name="gdpo", kernel=_gdpo_kernel, params=GDPOParams, kind="per_objective", order=40, batch_level=True,
    summary="GDPO: per-objective group z-scores, weighted sum, then batch standardization.",
))
mo_grpo = register(AggregatorSpec(
    name="mo_grpo", kernel=_mo_grpo_kernel, params=MOGRPOParams, kind="per_objective", order=50,
    summary="MO-GRPO: per-objective group z-scores, weighted sum (GDPO without the batch step).",
))
