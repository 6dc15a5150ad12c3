"""Critique-guided refinement (Critique-GRPO, arXiv 2506.03106): a rollout mode of the trainer's one step.

    G first answers per instance -> scored [B, G, K] -> R of them picked per group (failed ones first, seeded)
      -> the policy answers again with the failed objectives' feedback (``Refining.refine``) -> scored [B, R, K]
      -> the mixed group [B, G + R, K] goes through the run's pipeline (one aggregator over all G + R answers)
      -> update: first answers PPO-clip, refined answers off-policy with f(p) = p / (p + gamma) (``ppo_update``)

Which answers are refined, and how this maps Critique-GRPO's own rule, is written in ``docs/refinement.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from llm_bridge import metrics as M
from llm_bridge.policy import Policy, Refining, Samples
from llm_bridge.rollout import score
from vecreward_envs.protocols import Instance, JointPlay, TaskFamily, supports

PICK_STREAM = 11
"""Second word of the seed of each step's pick generator, ``[seed, PICK_STREAM, step]`` (distinct from the
trainer's streams 1, 2, 3 and 7). Derived from the step, so a resumed run picks what an uninterrupted one picks
without saving a generator."""


@dataclass(frozen=True)
class RefineConfig:
    """Critique-guided refinement: R refined answers join each group of G first answers."""

    answers: int = 1
    """R: refined answers per group (each refines one of the group's first answers; Critique-GRPO uses 1)."""
    shaping_gamma: float = 0.1
    """gamma of the off-policy shaping weight f(p) = p / (p + gamma) on refined answers (0.1 in Critique-GRPO)."""

    def __post_init__(self) -> None:
        if isinstance(self.answers, bool) or not isinstance(self.answers, int) or self.answers < 1:
            raise ValueError(f"RefineConfig.answers must be an int >= 1, got {self.answers!r}")
        if isinstance(self.shaping_gamma, bool) or not isinstance(self.shaping_gamma, int | float) \
                or not (math.isfinite(self.shaping_gamma) and self.shaping_gamma > 0):
            raise ValueError(f"RefineConfig.shaping_gamma must be a finite number > 0, got {self.shaping_gamma!r}")

    def to_dict(self) -> dict[str, float | int]:
        """JSON-able form (``RefineConfig(**d)`` reads it back)."""
        return {"answers": self.answers, "shaping_gamma": float(self.shaping_gamma)}


def failed_objectives(family: TaskFamily, rewards: np.ndarray) -> np.ndarray:
    """Bool [..., K]: objectives an answer fails; NaN (not applicable) is never failed."""
    r = np.asarray(rewards, dtype=np.float64)
    return ~np.asarray(family.pass_flags(r), dtype=bool) & ~np.isnan(r)


def pick_answers(failed: np.ndarray, r: int, rng: np.random.Generator) -> np.ndarray:
    """Int [B, R]: which of each group's G first answers to refine.

    Failed answers (any objective failed) first, in a random order; when a group has fewer than R failed answers,
    the rest are its passing answers, in a random order (their feedback is "nothing failed"). R <= G.

    Args:
        failed: bool [B, G, K] failed objectives of the first answers.
        r: answers to pick per group.
        rng: the step's generator.
    """
    b, g = failed.shape[:2]
    if not 1 <= r <= g:
        raise ValueError(f"cannot refine {r} answers of groups of {g}")
    any_failed = failed.any(axis=-1)  # [B, G]
    keys = rng.random((b, g)) + np.where(any_failed, 0.0, 1.0)  # failed answers sort first, random within
    return np.argsort(keys, axis=1, kind="stable")[:, :r].astype(np.int64)


def check_refinement(policy: Policy, family: TaskFamily) -> Refining:
    """The policy as a ``Refining`` one, after checking it can refine ``family``'s answers.

    Raises:
        ValueError: one line: the policy does not implement ``Refining``, the family is a game, or the policy
            cannot give feedback on this family (e.g. a language model on a family without directive messages).
    """
    if not isinstance(policy, Refining):
        raise ValueError(f"refinement needs a policy that implements llm_bridge.policy.Refining; "
                         f"{type(policy).__name__} does not")
    if supports(family, JointPlay):
        raise ValueError(f"refinement is for single-agent families; {family.name!r} is a game (JointPlay)")
    policy.check_refine(family)
    return policy


@dataclass
class Refined:
    """A step's mixed group."""

    samples: Samples
    """[B, G + R] (``Refining.join``)."""
    rewards: np.ndarray
    """float32 [B, G + R, 1, K]: first answers, then refinements."""
    invalid: np.ndarray
    """bool [B, G + R, 1]."""
    metrics: dict[str, float]
    """``refine/*``."""


def refine_group(policy: Policy, family: TaskFamily, instances: Sequence[Instance], samples: Samples,
                 rewards: np.ndarray, invalid: np.ndarray, config: RefineConfig, rng: np.random.Generator
                 ) -> Refined:
    """Refine R picked first answers per group and return the mixed group with its rewards and metrics.

    Args:
        policy: a ``Refining`` policy.
        family: the task family.
        instances: the B instances.
        samples: the G first answers [B, G].
        rewards: float32 [B, G, 1, K] their rewards.
        invalid: bool [B, G, 1] their parse failures.
        config: the refinement settings.
        rng: the step's pick generator.
    """
    refining = check_refinement(policy, family)
    first = rewards[:, :, 0, :]  # [B, G, K]
    failed = failed_objectives(family, first)  # [B, G, K]
    picks = pick_answers(failed, config.answers, rng)  # [B, R]
    refined = refining.refine(family, instances, samples, first, picks)
    scored = score(family, instances, refined, view=policy.view, chain_length=1)
    new = scored.rewards[:, :, 0, :]  # [B, R, K]
    mixed = refining.join(samples, refined, config.shaping_gamma)
    old = np.take_along_axis(first, picks[:, :, None], axis=1)  # [B, R, K] the refined answers' first tries
    old_failed = np.take_along_axis(failed.any(-1), picks, axis=1)  # [B, R]
    new_failed = failed_objectives(family, new).any(-1)  # [B, R]
    gain = M.scalar(new.reshape(-1, new.shape[-1])) - M.scalar(old.reshape(-1, old.shape[-1]))
    metrics = {
        "refine/first_failed_rate": float(failed.any(-1).mean()),
        "refine/picked_failed_rate": float(old_failed.mean()),
        "refine/fixed_rate": float((old_failed & ~new_failed).sum() / max(int(old_failed.sum()), 1)),
        "refine/broken_rate": float((~old_failed & new_failed).sum() / max(int((~old_failed).sum()), 1)),
        "refine/pass_rate": float((~new_failed).mean()),
        "refine/reward_gain": float(gain.mean()),
        "refine/reward_scalar": float(M.scalar(new.reshape(-1, new.shape[-1])).mean()),
        "refine/first_reward_scalar": float(M.scalar(first.reshape(-1, first.shape[-1])).mean()),
        "refine/invalid_rate": float(scored.invalid.mean()),
    }
    return Refined(samples=mixed, rewards=np.concatenate([rewards, scored.rewards], axis=1),
                   invalid=np.concatenate([invalid, scored.invalid], axis=1), metrics=metrics)
