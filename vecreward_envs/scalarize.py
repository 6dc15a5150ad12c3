"""The two classic scalarizations of a reward vector, written once (pure numpy).

Used by the scalarizing gym wrappers (``vecreward_envs.wrappers``: one vector per step or episode) and by the
aggregation schemes of ``llm_bridge.aggregators`` (``grpo`` / ``dr_grpo`` / ``linear`` and ``tchebycheff``: a
``[B, G, K]`` batch). Both work over the last axis of an array of any rank.

NaN in a reward vector means "objective not applicable" (the vecreward contract): it is left out of the sum and
of the maximum. A vector with no applicable entry has no scalar; it gets ``empty`` (NaN by default, which the
aggregators read as "unscorable"; the wrappers pass 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["linear", "tchebycheff"]

_DMAX = np.finfo(np.float64).max


def linear(rewards: Any, weights: Any, *, empty: float = np.nan) -> np.ndarray:
    """``s = sum_{k applicable} w_k r_k`` over the last axis.

    Args:
        rewards: ``[..., K]`` rewards, NaN = not applicable (cast to float64).
        weights: ``[K]`` weights (any finite values; the callers check their own constraints).
        empty: The value of ``s`` where no entry applies.

    Returns:
        ``[...]`` float64 scalars (a 0-d array for one vector).
    """
    r = np.asarray(rewards, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    nan = np.isnan(r)
    if not nan.any():
        return np.asarray(r @ w)
    valid = 1.0 - nan
    filled = np.fmax(r, -_DMAX) * valid  # fmax maps NaN to a finite number, the mask then zeroes it
    return np.where((~nan).any(axis=-1), filled @ w, empty)


def tchebycheff(rewards: Any, weights: Any, utopia: Any, rho: float, *, empty: float = np.nan) -> np.ndarray:
    """``s = -max_k w_k (z*_k - r_k) + rho * sum_k w_k r_k`` over the applicable entries of the last axis.

    The augmented Tchebycheff scalarization, negated so that larger is better (``s <= 0`` when ``r <= z*`` and
    ``rho = 0``).

    Args:
        rewards: ``[..., K]`` rewards, NaN = not applicable (cast to float64).
        weights: ``[K]`` non-negative weights.
        utopia: The utopia point z*, a number or ``[K]``.
        rho: Weight of the augmentation term (>= 0; 0 gives the plain Tchebycheff scalarization).
        empty: The value of ``s`` where no entry applies.

    Returns:
        ``[...]`` float64 scalars (a 0-d array for one vector).
    """
    r = np.asarray(rewards, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    z = np.asarray(utopia, dtype=np.float64)
    nan = np.isnan(r)
    gap = np.where(nan, -np.inf, w * (z - r))  # [..., K]
    worst = gap.max(axis=-1)  # [...]; -inf where no entry applies
    s = -worst + rho * (np.where(nan, 0.0, r) @ w)
    return np.where(np.isfinite(worst), s, empty)
