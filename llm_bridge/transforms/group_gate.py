"""Group-level rubric gate: accept or reject a whole group of rollouts on a rubric, before the aggregator.

Source: DRO (arXiv 2506.13351 v3, "Direct Reasoning Optimization: Token-Level Reasoning Reflectivity Meets Rubric
Gates for Unverifiable Tasks"): "enforces rubric-gating as feasibility constraints at the rollout group level" and
"operationalizing principled task criteria as hard accept/reject checks on final answers". Only the abstract and
introduction could be read (no public code was found), so the acceptance rule below is this package's reading of "a
feasibility constraint at the group level", not a confirmed copy of DRO's. Docs: ``docs/aggregators/transforms.md``.

Rule. An answer (a rollout; every answer of a chain for ``[B, G, m, K]``) is *judged* when at least one rubric
objective applies to it (non-NaN), and *passes* when every applicable rubric objective is >= ``threshold``. A
group's pass share is ``s_b = (passing answers) / (judged answers)``; the group is *accepted* when
``min_pass <= s_b <= max_pass``, and also when none of its answers is judged (the rubric says nothing about it).
Answers the rubric does not apply to (e.g. rollouts an earlier per-rollout ``gate`` dropped) do not count. ``s_b``
is the group's estimate of the policy's probability of satisfying the rubric on that instance, so ``s_b >=
min_pass`` is the constraint ``P(pass) >= min_pass`` checked per group; ``max_pass < 1`` also rejects groups that
pass too uniformly (a filter, off by default).

- A rejected group gets all-NaN rewards: no objective applies, so every aggregator gives each of its rollouts
  advantage 0 and the group contributes no gradient.
- An accepted group keeps its rewards, except that the rubric objectives are set to NaN (not applicable), so no
  aggregator adds them as points: the rubric decides *which* groups learn, never *which rollout* of a group wins.
  That is why it cannot be hacked the way rubric points can (a rollout earns nothing for satisfying it).
  ``keep_rubric=True`` keeps them as ordinary objectives too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from llm_bridge.transforms._checks import check_indices, check_real, check_rewards
from llm_bridge.transforms._registry import register_transform

__all__ = ["group_accept", "group_gate", "group_pass_share"]


def _check_share(name: str, value: Any) -> float:
    """A share in [0, 1]."""
    v = check_real(name, value, "group_gate")
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"group_gate: {name!r} is a share of a group and must lie in [0, 1], got {value!r}")
    return v


def group_pass_share(rewards: Any, *, objectives: Any, threshold: float = 1.0) -> np.ndarray:
    """The share of each group's judged answers that pass the rubric.

    Args:
        rewards: ``[B, G, K]`` (or ``[B, G, m, K]``) rewards, NaN = not applicable.
        objectives: Indices of the rubric objectives.
        threshold: A rubric objective passes when it is >= threshold.

    Returns:
        Float ``[B]``: per group, passing answers / answers with at least one applicable rubric objective; NaN for a
        group with no such answer.
    """
    r = check_rewards(rewards, "group_gate: rewards")
    idx = check_indices("objectives", objectives, r.shape[-1], "group_gate")
    t = check_real("threshold", threshold, "group_gate")
    c = r[..., idx].reshape(r.shape[0], -1, len(idx))  # [B, N, R]: every answer of the group, rubric columns
    judged = ~np.isnan(c).all(axis=-1)  # [B, N]
    passed = judged & (np.isnan(c) | (c >= t)).all(axis=-1)
    n = judged.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, passed.sum(axis=1) / np.maximum(n, 1), np.nan)


def group_accept(
    rewards: Any, *, objectives: Any, threshold: float = 1.0, min_pass: float = 0.5, max_pass: float = 1.0
) -> np.ndarray:
    """Whether each group is accepted: ``min_pass <= pass share <= max_pass`` (or no answer is judged).

    Returns:
        Boolean ``[B]``.
    """
    lo, hi = _check_share("min_pass", min_pass), _check_share("max_pass", max_pass)
    if lo > hi:
        raise ValueError(f"group_gate: 'min_pass' ({min_pass!r}) must be <= 'max_pass' ({max_pass!r})")
    share = group_pass_share(rewards, objectives=objectives, threshold=threshold)
    eps = 1e-12  # shares are k/N: compare with a tolerance so that min_pass=1/3 accepts 1 of 3
    return np.isnan(share) | ((share >= lo - eps) & (share <= hi + eps))


@register_transform("group_gate", "reward")
def group_gate(
    rewards: Any,
    *,
    objectives: Any,
    threshold: float = 1.0,
    min_pass: float = 0.5,
    max_pass: float = 1.0,
    keep_rubric: bool = False,
) -> np.ndarray:
    """Accept or reject whole groups on a rubric (see the module docstring for the rule and its source).

    Args:
        rewards: ``[B, G, K]`` (or ``[B, G, m, K]``) rewards, NaN = not applicable.
        objectives: Indices of the rubric objective(s).
        threshold: A judged rollout passes the rubric when each applicable rubric objective is >= threshold (1.0:
            "passed" for 0/1 rubrics; a fraction for graded ones).
        min_pass: A group is accepted only if at least this share of its judged rollouts passes (0.5: a half).
        max_pass: ... and at most this share (1.0: no upper limit).
        keep_rubric: Keep the rubric objectives in accepted groups as ordinary reward entries (default: set them to
            NaN, so that the rubric only gates and is never added as points).

    Returns:
        Transformed rewards, same shape; rejected groups all NaN. The input is not modified.
    """
    r = check_rewards(rewards, "group_gate: rewards")
    idx = check_indices("objectives", objectives, r.shape[-1], "group_gate")
    check_real("threshold", threshold, "group_gate")
    if not isinstance(keep_rubric, (bool, np.bool_)):
        raise ValueError(f"group_gate: 'keep_rubric' must be true or false, got {keep_rubric!r}")
    accept = group_accept(r, objectives=idx, threshold=threshold, min_pass=min_pass, max_pass=max_pass)  # [B]
    out = r.copy()
    if not keep_rubric:
        out[..., idx] = np.nan
    out[~accept] = np.nan
    return out
