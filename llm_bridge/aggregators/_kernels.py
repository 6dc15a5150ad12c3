"""Numba kernels for the per-objective group statistics that GDPO, MO-GRPO, DVAO and RVPO share.

One fused pass per (group, objective) column replaces a dozen numpy passes over ``[B, G, K]`` with NaN masks
(numpy reductions over the short G and K axes are slow). The numpy implementations they replace stay as the
plain twins (:func:`llm_bridge.aggregators._common.objective_zscores_np` and
:func:`llm_bridge.aggregators.rvpo.soft_min`); the tests check that both agree, with and without JIT.

Same conventions as the twin: NaN entries are skipped, statistics are taken around the first valid entry (so a
constant column gives exactly 0), the std is 0 when fewer than ``ddof + 1`` entries are valid, and outputs are 0
at NaN entries.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["objective_zscores_nb", "soft_min_nb"]


@numba.njit(cache=True)
def objective_zscores_nb(
    r: np.ndarray, eps: float, ddof: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-objective group z-scores ``(r - mean_g) / (std_g + eps)`` of ``r [B, G, K]`` (NaN = not applicable).

    Returns:
        ``(z [B, G, K], std [B, K], count [B, K], rows [B, G])``: z is 0 at NaN entries and where ``std + eps``
        is 0; count = valid entries per objective and group; rows = valid entries per rollout.
    """
    b, g, k = r.shape
    z = np.zeros((b, g, k))
    std = np.zeros((b, k))
    count = np.zeros((b, k))
    rows = np.zeros((b, g))
    for i in range(b):
        for c in range(k):
            n = 0
            first = 0.0
            total = 0.0
            for j in range(g):
                v = r[i, j, c]
                if not math.isnan(v):
                    if n == 0:
                        first = v
                    total += v - first
                    n += 1
                    rows[i, j] += 1.0
            count[i, c] = n
            if n == 0:
                continue
            mean_d = total / n
            ss = 0.0
            for j in range(g):
                v = r[i, j, c]
                if not math.isnan(v):
                    d = (v - first) - mean_d
                    ss += d * d
            s = math.sqrt(ss / (n - ddof)) if n > ddof else 0.0
            std[i, c] = s
            den = s + eps
            if den > 0.0:
                for j in range(g):
                    v = r[i, j, c]
                    if not math.isnan(v):
                        z[i, j, c] = ((v - first) - mean_d) / den
    return z, std, count, rows


@numba.njit(cache=True)
def soft_min_nb(z: np.ndarray, r: np.ndarray, w: np.ndarray, tau: float) -> np.ndarray:
    """Weighted soft-min over the objectives of each rollout: ``-(1/tau) log sum_k pi_k exp(-tau z_k)``.

    Args:
        z: ``[B, G, K]`` values.
        r: ``[B, G, K]`` rewards: an objective counts for a rollout where ``r`` is not NaN and ``w_k > 0``.
        w: ``[K]`` non-negative weights; ``pi_k = w_k / sum`` of the counted weights of the rollout.
        tau: Temperature >= 0; 0 gives ``sum_k pi_k z_k``, inf the minimum over the counted objectives.

    Returns:
        ``[B, G]``; NaN where no objective counts (an unscorable rollout).
    """
    b, g, k = z.shape
    out = np.full((b, g), np.nan)
    for i in range(b):
        for j in range(g):
            total = 0.0
            lo = np.inf
            hi = -np.inf
            for c in range(k):
                if w[c] > 0.0 and not math.isnan(r[i, j, c]):
                    total += w[c]
                    lo = min(lo, z[i, j, c])
                    hi = max(hi, z[i, j, c])
            if total <= 0.0:
                continue
            if math.isinf(tau):
                out[i, j] = lo
                continue
            m = -tau * lo  # the largest exponent
            # log sum pi e^x = m + log(sum pi e^(x - m)); when tau * spread is tiny, log1p(sum pi expm1(x - m))
            # keeps the precision that log(1 - tiny) would lose (and tau = 0 is the weighted mean).
            precise = tau * (hi - lo) < 1e-3
            acc = 0.0
            for c in range(k):
                if w[c] > 0.0 and not math.isnan(r[i, j, c]):
                    if tau == 0.0:
                        acc += w[c] * z[i, j, c]
                    elif precise:
                        acc += w[c] * math.expm1(-tau * z[i, j, c] - m)
                    else:
                        acc += w[c] * math.exp(-tau * z[i, j, c] - m)
            acc /= total
            if tau == 0.0:
                out[i, j] = acc
            elif precise:
                out[i, j] = -(m + math.log1p(acc)) / tau
            else:
                out[i, j] = -(m + math.log(acc)) / tau
    return out
