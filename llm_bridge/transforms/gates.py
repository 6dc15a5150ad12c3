"""Rubric gates: some objectives are feasibility constraints, not points.

Sources: DRO arXiv 2506.13351 v3; PAPO arXiv 2603.26535; the conditioned reward of GDPO arXiv 2601.05242.
Abstract-level sources: the exact DRO rule is not confirmed, so the three modes below are this package's
definitions. Docs: ``docs/aggregators/transforms.md``.

A rollout passes the gate when every gate objective that applies to it (non-NaN) is >= ``threshold``.

- ``drop``: a failing rollout becomes unscorable (all its rewards NaN), so every aggregator gives it advantage 0
  and normalizes the passing rollouts among themselves.
- ``penalty``: as ``drop`` for the normalization; after aggregation the pipeline sets a failing rollout's
  advantage to the fixed ``penalty`` (<= 0). Outside a pipeline call :func:`apply_gate_penalty` yourself.
- ``condition``: the ``conditioned`` objectives (default: every non-gate objective) count only when the gate
  passes; a failing rollout has them replaced by ``fill`` (0). Nothing is dropped.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from llm_bridge._arrays import as_float_array
from llm_bridge.transforms._checks import check_indices, check_real, check_rewards
from llm_bridge.transforms._registry import register_transform

__all__ = ["GATE_MODES", "apply_gate_penalty", "gate", "gate_mask"]

GATE_MODES = ("drop", "penalty", "condition")


def gate_mask(rewards: Any, *, objectives: Any, threshold: float = 1.0) -> np.ndarray:
    """Whether each rollout passes the gate.

    Args:
        rewards: ``[B, G, K]`` (or ``[B, G, m, K]``) rewards, NaN = not applicable.
        objectives: Indices of the gate (constraint) objectives.
        threshold: A gate objective passes when it is >= threshold (1.0: "passed" for 0/1 rewards).

    Returns:
        Boolean ``[B, G]`` (``[B, G, m]``) mask, True where every applicable gate objective passes.
    """
    r = check_rewards(rewards, "gate: rewards")
    idx = check_indices("objectives", objectives, r.shape[-1], "gate")
    t = check_real("threshold", threshold, "gate")
    c = r[..., idx]
    return (np.isnan(c) | (c >= t)).all(axis=-1)


def apply_gate_penalty(
    advantages: Any, rewards: Any, *, objectives: Any, threshold: float = 1.0, penalty: float = -1.0
) -> np.ndarray:
    """Set the advantage of every rollout that fails the gate to ``penalty``.

    Args:
        advantages: ``[B, G]`` advantages (computed on gated rewards, where failing rollouts got 0).
        rewards: ``[B, G, K]`` rewards as they were *before* the gate.
        objectives: Gate objectives.
        threshold: Pass threshold.
        penalty: Advantage of a failing rollout (<= 0).

    Returns:
        ``[B, G]`` advantages.
    """
    adv = as_float_array(advantages, "gate: advantages")
    passed = gate_mask(rewards, objectives=objectives, threshold=threshold)
    if passed.shape != adv.shape:
        raise ValueError(
            f"gate: penalty mode needs rewards [B, G, K] matching advantages {adv.shape}, "
            f"got a gate mask of shape {passed.shape}"
        )
    if check_real("penalty", penalty, "gate") > 0:
        raise ValueError(f"gate: 'penalty' must be <= 0, got {penalty!r}")
    return np.where(passed, adv, float(penalty))


def _gate_post(advantages: np.ndarray, before: np.ndarray, **params: Any) -> np.ndarray:
    """Pipeline hook: in ``penalty`` mode, give failing rollouts the penalty advantage."""
    if params.get("mode", "drop") != "penalty":
        return advantages
    return apply_gate_penalty(
        advantages, before, objectives=params["objectives"], threshold=params.get("threshold", 1.0),
        penalty=params.get("penalty", -1.0),
    )


@register_transform("gate", "reward", post=_gate_post)
def gate(
    rewards: Any,
    *,
    objectives: Any,
    mode: Literal["drop", "penalty", "condition"] = "drop",
    threshold: float = 1.0,
    penalty: float = -1.0,
    conditioned: Any = None,
    fill: float = 0.0,
) -> np.ndarray:
    """Apply a rubric gate to the rewards.

    Args:
        rewards: ``[B, G, K]`` (or ``[B, G, m, K]``) rewards, NaN = not applicable.
        objectives: Indices of the gate (constraint) objectives.
        mode: ``"drop"``, ``"penalty"`` or ``"condition"`` (see the module docstring).
        threshold: A gate objective passes when it is >= threshold (1.0).
        penalty: Advantage given to failing rollouts in ``penalty`` mode (-1.0); must be <= 0. Applied after
            aggregation (by the pipeline, or :func:`apply_gate_penalty`).
        conditioned: ``condition`` mode: the objectives that count only when the gate passes (default: all
            non-gate objectives). Only valid in that mode.
        fill: ``condition`` mode: the value a conditioned objective takes when the gate fails (0.0).

    Returns:
        Transformed rewards, same shape; the input is not modified.
    """
    r = check_rewards(rewards, "gate: rewards")
    if mode not in GATE_MODES:
        raise ValueError(f"gate: 'mode' must be one of {list(GATE_MODES)}, got {mode!r}")
    if check_real("penalty", penalty, "gate") > 0:
        raise ValueError(f"gate: 'penalty' is the advantage of a failing rollout and must be <= 0, got {penalty!r}")
    fill = check_real("fill", fill, "gate")
    if conditioned is not None and mode != "condition":
        raise ValueError(f"gate: 'conditioned' only applies to mode='condition', got mode={mode!r}")
    k = r.shape[-1]
    idx = check_indices("objectives", objectives, k, "gate")
    passed = gate_mask(r, objectives=idx, threshold=threshold)  # [B, G] (or [B, G, m])
    out = r.copy()
    if mode in ("drop", "penalty"):
        out[~passed] = np.nan
        return out
    cond = (
        [i for i in range(k) if i not in idx] if conditioned is None
        else check_indices("conditioned", conditioned, k, "gate")
    )
    overlap = sorted(set(cond) & set(idx))
    if overlap:
        raise ValueError(f"gate: objectives {overlap} cannot both gate and be conditioned")
    if cond:
        sub = out[..., cond]
        failing = ~passed[..., None] & ~np.isnan(sub)  # a not-applicable objective stays NaN
        out[..., cond] = np.where(failing, fill, sub)
    return out
