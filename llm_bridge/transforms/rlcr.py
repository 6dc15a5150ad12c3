"""RLCR calibration term: a reward transform that adds a ``calibration`` objective.

Source: arXiv 2507.16806; damanimehul/RLCR ``reward_fns.py``. The objective is computed from correctness and the
stated confidence. Docs: ``docs/aggregators/transforms.md``.

The answer carries a confidence q in [0, 1] and is correct or not, c in {0, 1}. The calibration objective is the
Brier score turned into a reward: ``1 - (q - c)^2`` (``form="one_minus_brier"``, the reference code's term,
which it weights by 0.5 next to ``0.5 * format + 0.5 * c``), or ``-(q - c)^2`` (``form="neg_brier"``: summed
with c this is the paper's ``c - (q - c)^2``). The two differ by a constant, so where the objective applies to every
rollout of a group, any group-centred aggregator gives the same advantages with either. Expected reward is
maximized at q = p(correct), and increasing in p. The reference trains with Dr. GRPO advantages (no std
division): ``dr_grpo`` in this package.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from llm_bridge._arrays import as_float_array
from llm_bridge.transforms._checks import check_indices, check_rewards
from llm_bridge.transforms._registry import register_transform

__all__ = ["CALIBRATION_FORMS", "rlcr_calibration"]

CALIBRATION_FORMS = ("one_minus_brier", "neg_brier")


def _unit_interval(x: np.ndarray, name: str) -> None:
    ok = np.isnan(x) | ((x >= 0.0) & (x <= 1.0))
    if not ok.all():
        bad = x[~ok][0]
        raise ValueError(f"rlcr: {name} must lie in [0, 1] (NaN = not applicable), found {bad!r}")


@register_transform("rlcr", "reward")
def rlcr_calibration(
    rewards: Any,
    *,
    correctness_index: int,
    confidence_index: int | None = None,
    confidence: Any = None,
    form: Literal["one_minus_brier", "neg_brier"] = "one_minus_brier",
    keep_confidence: bool = False,
) -> np.ndarray:
    """Add the RLCR ``calibration`` objective.

    Give the confidence either as a column of the rewards (``confidence_index``) or as an array (``confidence``).

    Args:
        rewards: ``[B, G, K]`` (or ``[B, G, m, K]``) rewards, NaN = not applicable.
        correctness_index: Column of the correctness c (values in [0, 1], normally 0/1).
        confidence_index: Column holding the stated confidence q in [0, 1]. By default that column is *replaced*
            by the calibration objective (a confidence is not something to maximize), so K and every other
            column index stay the same.
        confidence: Alternatively, the confidences ``[B, G]`` (``[B, G, m]``); the calibration objective is then
            appended as a new last column (K + 1).
        form: ``"one_minus_brier"`` (default, ``1 - (q - c)^2``) or ``"neg_brier"`` (``-(q - c)^2``).
        keep_confidence: With ``confidence_index``: keep the confidence column and append the calibration
            objective at the end instead (K + 1).

    Returns:
        Rewards with the calibration objective (NaN where c or q is NaN: a missing confidence is not applicable;
        score a missing or unparsable confidence in a format objective).
    """
    r = check_rewards(rewards, "rlcr: rewards")
    k = r.shape[-1]
    if form not in CALIBRATION_FORMS:
        raise ValueError(f"rlcr: 'form' must be one of {list(CALIBRATION_FORMS)}, got {form!r}")
    if (confidence_index is None) == (confidence is None):
        raise ValueError("rlcr: give exactly one of confidence_index (a column) or confidence (an array)")
    (ci,) = check_indices("correctness_index", correctness_index, k, "rlcr")
    if confidence_index is not None:
        (qi,) = check_indices("confidence_index", confidence_index, k, "rlcr")
        if qi == ci:
            raise ValueError("rlcr: correctness_index and confidence_index must differ")
        q = r[..., qi]
    else:
        q = as_float_array(confidence, "rlcr: confidence")
        if q.shape != r.shape[:-1]:
            raise ValueError(f"rlcr: confidence must have shape {r.shape[:-1]}, got {q.shape}")
    c = r[..., ci]
    _unit_interval(c, "correctness")
    _unit_interval(q, "confidence")
    brier = np.square(q - c)
    cal = 1.0 - brier if form == "one_minus_brier" else -brier
    if confidence_index is not None and not keep_confidence:
        out = r.copy()
        out[..., qi] = cal
        return out
    return np.concatenate([r, cal[..., None]], axis=-1)
