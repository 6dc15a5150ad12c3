"""Normalizations shared by several schemes (GRPO-style group z-scores, batch whitening, per-objective z-scores)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from llm_bridge._arrays import masked_center_std, safe_divide, split_nan
from llm_bridge.aggregators._kernels import objective_zscores_nb

__all__ = ["GRPO_SCALES", "batch_standardize", "grpo_normalize", "objective_zscores", "objective_zscores_np"]

GRPO_SCALES = ("group", "batch", "none")


def grpo_normalize(
    s: np.ndarray, scale: Literal["group", "batch", "none"], eps: float, ddof: int
) -> np.ndarray:
    """GRPO advantages from per-rollout scalars.

    Args:
        s: ``[B, G]`` scalars; NaN marks an unscorable rollout (advantage 0, left out of the statistics).
        scale: ``"group"``: ``(s - mean_g) / (std_g + eps)``; ``"batch"``: ``(s - mean_g) / (std_B + eps)``
            with ``std_B`` over every scorable rollout of the batch (TRL ``scale_rewards="batch"``);
            ``"none"``: ``s - mean_g`` (Dr. GRPO).
        eps: Added to the standard deviation.
        ddof: Delta degrees of freedom of the standard deviation (1 = sample std, the TRL/torch default).

    Returns:
        ``[B, G]`` advantages, 0 for unscorable rollouts.
    """
    filled, valid = split_nan(s)
    centred, std_g, _ = masked_center_std(filled, axis=1, ddof=ddof, valid=valid)  # [B, G], [B, 1]
    if scale == "none":
        return centred
    if scale == "group":
        return safe_divide(centred, std_g + eps)
    _, std_b, _ = masked_center_std(filled, axis=(0, 1), ddof=ddof, valid=valid)  # [1, 1]
    return safe_divide(centred, std_b + eps)


def batch_standardize(s: np.ndarray, eps: float, ddof: int, *, root_eps: bool = False) -> np.ndarray:
    """Standardize scalars over every scorable rollout of the batch.

    Args:
        s: ``[B, G]`` scalars, NaN = unscorable (advantage 0, left out of the statistics).
        eps: Stabilizer.
        ddof: Delta degrees of freedom.
        root_eps: ``False``: ``(s - mean) / (std + eps)`` (GDPO); ``True``: ``(s - mean) / sqrt(var + eps)``
            (RVPO's whitening).

    Returns:
        ``[B, G]`` standardized values, 0 for unscorable rollouts.
    """
    filled, valid = split_nan(s)
    centred, std, _ = masked_center_std(filled, axis=(0, 1), ddof=ddof, valid=valid)  # [B, G], [1, 1]
    den = np.sqrt(np.square(std) + eps) if root_eps else std + eps
    return safe_divide(centred, den)


def objective_zscores(r: np.ndarray, eps: float, ddof: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-objective group z-scores ``(r_k - mean_g r_k) / (std_g r_k + eps)`` (numba kernel).

    Args:
        r: ``[B, G, K]`` rewards, NaN = not applicable (skipped by the statistics).
        eps: Added to the standard deviation.
        ddof: Delta degrees of freedom.

    Returns:
        ``(z, std, rows)``: ``z`` ``[B, G, K]`` (0 at NaN entries), ``std`` ``[B, 1, K]``, and ``rows`` ``[B, G]``
        the number of applicable objectives of each rollout.
    """
    z, std, _, rows = objective_zscores_nb(np.ascontiguousarray(r), float(eps), int(ddof))
    return z, std[:, None, :], rows


def objective_zscores_np(r: np.ndarray, eps: float, ddof: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain-numpy twin of :func:`objective_zscores` (same outputs), kept for the equivalence tests."""
    filled, valid = split_nan(r)
    centred, std, _ = masked_center_std(filled, axis=1, ddof=ddof, valid=valid)  # [B, G, K], [B, 1, K]
    rows = np.full(r.shape[:2], float(r.shape[2])) if valid is None else valid.sum(axis=-1)
    return safe_divide(centred, std + eps), std, rows
