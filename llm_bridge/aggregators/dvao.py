"""DVAO: variance-adaptive objective weights (arXiv 2605.25604; abstract and a secondary summary only).

Docs: ``docs/aggregators/dvao.md`` (the std-vs-variance weighting is not confirmed: ``power`` is a parameter).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from llm_bridge.aggregators._common import objective_zscores
from llm_bridge.aggregators._registry import AggregatorSpec, CommonParams, check_float, check_int, register

__all__ = ["DVAOParams", "dvao"]


@dataclass(frozen=True)
class DVAOParams(CommonParams):
    """Parameters of ``dvao``.

    Attributes:
        power: Exponent of the spread in the weights ``v_k ∝ b_k sigma_k^power``: 1 = std (default), 2 = variance.
            Which one the paper uses is not confirmed. Must be >= 0 (0 gives the base weights).
        eps: Added to ``sigma_k`` in the z-score, and the threshold below which ``sum_k b_k sigma_k^power`` counts
            as zero spread (1e-6).
        ddof: Delta degrees of freedom of ``sigma_k`` (0: population std, as summarized).
    """

    SCHEME: ClassVar[str] = "dvao"
    power: float = 1.0
    eps: float = 1e-6
    ddof: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_float(self.SCHEME, "power", self.power, low=0.0)
        check_float(self.SCHEME, "eps", self.eps, low=0.0)
        check_int(self.SCHEME, "ddof", self.ddof, low=0)


def _dvao_kernel(r: np.ndarray, w: np.ndarray, p: DVAOParams, rng: object, step: int) -> np.ndarray:
    """``v_k = b_k sigma_k^p / sum_l b_l sigma_l^p``; ``A = sum_k v_k (r_k - mu_k) / (sigma_k + eps)``.

    ``mu_k``, ``sigma_k`` are the group mean and (population) std of objective k over its valid entries; the base
    weights ``b`` are the static weights. A group with fewer than 2 scorable rollouts, or with
    ``sum_k b_k sigma_k^p <= eps``, gets A = 0. A NaN entry contributes 0 to its rollout's sum. No batch
    renormalization, so ``|A| <= max_k |z_k|``.
    """
    z, sigma, rows = objective_zscores(r, p.eps, p.ddof)  # [B, G, K] (0 where r is NaN), [B, 1, K], [B, G]
    spread = w * sigma**p.power  # [B, 1, K]
    total = spread.sum(axis=-1, keepdims=True)  # [B, 1, 1]
    v = np.where(total > p.eps, spread / np.where(total > 0, total, 1.0), 0.0)  # [B, 1, K]
    adv = (z @ v[:, 0, :, None])[..., 0]  # [B, G]
    scorable = rows > 0
    enough = scorable.sum(axis=1, keepdims=True) >= 2  # [B, 1]
    return np.where(scorable & enough, adv, 0.0)


dvao = register(AggregatorSpec(
    name="dvao", kernel=_dvao_kernel, params=DVAOParams, kind="per_objective", order=60, nonnegative_weights=True,
    summary="DVAO: objective weights proportional to each objective's within-group spread, then sum of z-scores.",
))
