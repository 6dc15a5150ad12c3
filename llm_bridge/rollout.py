"""Scoring of group rollouts: answers of any view -> reward tensors [B, G, m, K] through the family's scorer.

A game family (``JointPlay``) scores A agents' answers together: [B, G, m, A, L] answers -> [B, G, m, A, K].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from llm_bridge.policy import Samples
from vecreward_envs.protocols import (
    JointPlay,
    NoisyJudge,
    StructuredView,
    TaskFamily,
    TextChains,
    TextView,
    require,
    supports,
)


@dataclass(frozen=True)
class ScoredRollouts:
    """Rewards of B groups of G chains of m answers."""

    rewards: np.ndarray
    """float32 [B, G, m, K] (NaN = not applicable), [B, G, m, A, K] for a game family; repeated answers of a chain
    score zero (see ``score``)."""
    invalid: np.ndarray
    """bool [B, G, m]: the answer could not be read (text view parse failure; never in the structured view)."""


def _dedup_chains(answers: np.ndarray, stop: int) -> np.ndarray:
    """Flags [B, G, m]: answer j repeats an earlier answer of its chain, or is empty (VPO's reference rule)."""
    b, g, m, length = answers.shape
    repeated = np.zeros((b, g, m), dtype=np.bool_)
    if m == 1:
        return repeated
    # Canonical form: everything after the first STOP becomes STOP, so padding differences do not matter.
    after_stop = np.cumsum(answers == stop, axis=3) > 0
    canon = np.where(after_stop, stop, answers)
    empty = canon[..., 0] == stop
    for j in range(1, m):
        same = np.all(canon[:, :, :j, :] == canon[:, :, j:j + 1, :], axis=3)  # [B, G, j]
        repeated[:, :, j] = same.any(axis=2)
    return repeated | (empty & (np.arange(m) > 0)[None, None, :])


def score(family: TaskFamily, instances: Sequence[Any], samples: Samples, *,
          view: Literal["structured", "text"], chain_length: int = 1, dedup: bool = True,
          truth: bool = False) -> ScoredRollouts:
    """Score every answer of ``samples`` on its instance with the family's batched scorer.

    Args:
        family: the task family (``StructuredView.score_answers`` for structured answers, ``TextView`` /
            ``TextChains`` for text, ``JointPlay.score_joint`` for a game's joint answers).
        instances: the B instances; group b's rollouts all answer ``instances[b]``.
        samples: the policy's answers.
        view: "structured" or "text".
        chain_length: m, answers per rollout (text view: one completion holds the m ``<route_i>`` answers).
        dedup: in chains (m > 1), an empty answer or one that repeats an earlier answer of its chain scores the zero
            vector (VPO's reference rule), so a chain cannot earn set-level credit twice for one answer. Games are
            scored as played (the multi-agent reference has no such rule).
        truth: score with the family's true rewards where it has a noisy judge (``NoisyJudge``; held-out
            evaluation), else with the judge itself, as training does.
    """
    b = len(instances)
    if view == "structured" and supports(family, JointPlay):
        game = require(family, JointPlay, "joint scoring")
        answers = np.asarray(samples.answers)
        if answers.ndim != 5 or answers.shape[0] != b:
            raise ValueError(f"joint answers must be [B={b}, G, m, A, L], got shape {answers.shape}")
        _, g, m, a, length = answers.shape
        idx = np.repeat(np.arange(b), g * m)
        vectors = np.asarray(game.score_joint(instances, answers.reshape(b * g * m, a, length), idx), np.float32)
        return ScoredRollouts(rewards=vectors.reshape(b, g, m, a, -1), invalid=np.zeros((b, g, m), dtype=np.bool_))
    if view == "structured":
        structured = require(family, StructuredView, "a structured-view policy")
        answers = np.asarray(samples.answers)
        if answers.ndim != 4 or answers.shape[0] != b:
            raise ValueError(f"structured answers must be [B={b}, G, m, L], got shape {answers.shape}")
        _, g, m, length = answers.shape
        flat = answers.reshape(b * g * m, length)
        idx = np.repeat(np.arange(b), g * m)
        scorer = structured.score_answers
        if truth and supports(family, NoisyJudge):  # held-out metrics: the true rewards, not the judge's draw
            scorer = require(family, NoisyJudge, "true rewards").true_answer_scores
        vectors = np.asarray(scorer(instances, flat, idx), dtype=np.float32)  # [B*G*m, K]
        rewards = vectors.reshape(b, g, m, -1)
        invalid = np.zeros((b, g, m), dtype=np.bool_)
        if dedup and m > 1:
            rewards[_dedup_chains(answers, structured.stop_code)] = 0.0
        return ScoredRollouts(rewards=rewards, invalid=invalid)
    if view == "text":
        texts = samples.answers
        if len(texts) != b:
            raise ValueError(f"text answers must be nested [B={b}][G] completions, got {len(texts)} groups")
        m = chain_length
        text = require(family, TextView, "a text-view policy")
        chains = require(family, TextChains, f"chains of m={m} text answers") if m > 1 else None
        per_group = []
        invalid_groups = []
        for inst, group in zip(instances, texts, strict=True):
            if m == 1:
                judge = text.score_completions
                if truth and supports(family, NoisyJudge):
                    judge = require(family, NoisyJudge, "true rewards").true_completion_scores
                vectors, parsed = judge(inst, list(group))
                per_group.append(np.asarray(vectors, np.float32)[:, None, :])  # [G, 1, K]
                invalid_groups.append(np.array([[not p.ok] for p in parsed], dtype=np.bool_))
            else:
                assert chains is not None
                vectors, parsed_chains = chains.score_chains(inst, list(group), m, dedup=dedup)  # [G, m, K]
                per_group.append(np.asarray(vectors, np.float32))
                invalid_groups.append(np.array([[not r.ok for r in chain] for chain in parsed_chains], dtype=np.bool_))
        return ScoredRollouts(rewards=np.stack(per_group), invalid=np.stack(invalid_groups))
    raise ValueError(f"view must be 'structured' or 'text', got {view!r}")
