"""The Policy protocol: what the trainer loop needs from any policy, small network or LLM.

The loop never knows which kind it drives. A policy (a) samples G answers per instance, or G chains of m answers
where each answer is conditioned on the earlier ones of its chain, returning what it needs to score them and to
update later; (b) takes a policy-gradient step from one advantage per rollout; (c) imitates demonstrations (the
warm start). A policy answers in one view of the family (``vecreward_envs.protocols``): a structured policy needs
``StructuredView``, a text policy ``TextView``; a team policy plays a ``JointPlay`` game, one answer per agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from vecreward_envs.protocols import Instance, TaskFamily


@dataclass
class Samples:
    """G rollouts for each of B instances, as a policy produced them."""

    answers: Any
    """Structured view: int array [B, G, m, L] of answer tokens (STOP-padded); a team's joint answers
    [B, G, m, A, L]. Text view: nested lists [B][G] of completion strings (a chain's m answers live in one
    completion, in the family's ``<route_i>``-style tags)."""
    logprob: np.ndarray
    """float32 [B, G]: log-probability of each rollout (all tokens of all m answers)."""
    n_tokens: np.ndarray
    """int [B, G]: tokens each rollout generated (for length statistics)."""
    policy_data: Any
    """Whatever the policy needs for its update (token ids, masks, old log-probs, features); opaque to the loop."""
    entropy: np.ndarray | None = None
    """float32 [B, G]: mean per-token entropy of the sampling distribution along each rollout (nats; ``None`` when
    the policy does not measure it). Schedules log it per family: structured tasks are said to lower it."""


@runtime_checkable
class Policy(Protocol):
    """A policy the trainer can drive (``agents.small.SmallPolicy``, ``agents.llm.HFPolicy``, ...)."""

    view: Literal["structured", "text"]
    """Which view of the task family it answers in."""

    def sample(self, family: TaskFamily, instances: Sequence[Instance], group_size: int, chain_length: int = 1, *,
               greedy: bool = False) -> Samples:
        """Sample ``group_size`` rollouts (chains of ``chain_length`` answers) for every instance."""

    def update(self, samples: Samples, advantages: np.ndarray) -> dict[str, float]:
        """One policy-gradient update from advantages [B, G] ([B, G, A] for a team); returns ``train/*`` statistics."""

    def imitate(self, family: TaskFamily, instances: Sequence[Instance], answers: Any) -> dict[str, float]:
        """One supervised step towards one demonstration per instance; returns ``imitation/*`` statistics.

        A structured policy gets structured answers int [N, L], a text policy completions.
        """

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly (weights, optimizer, sampling generator state)."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``."""


@runtime_checkable
class Refining(Protocol):
    """A policy that can answer again after feedback on its answer (critique-guided refinement, Critique-GRPO).

    The trainer (``llm_bridge.refinement``) picks R of each group's G first answers, asks ``refine`` for one new
    answer to each, scores them, and trains on ``join``'s group of G + R answers. What the feedback is belongs to
    the policy: a small network gets a structured code of the failed objectives, a language model the family's
    directive messages (``DirectiveMessages``). The refined answers are trained as answers to the original prompt,
    off-policy: ``join`` marks them so that the update gives their tokens the shaping weight
    f(p) = p / (p + gamma) (``llm_bridge.update.ppo_update``) instead of the PPO ratio.
    """

    def check_refine(self, family: TaskFamily) -> None:
        """Raise a one-line ``ValueError`` when this policy cannot refine answers of ``family`` (before training)."""

    def refine(self, family: TaskFamily, instances: Sequence[Instance], samples: Samples, rewards: np.ndarray,
               picks: np.ndarray) -> Samples:
        """One refined answer per picked first answer: samples [B, R] (single answers, m = 1).

        Args:
            family: the task family (scores and feedback).
            instances: the B instances.
            samples: the first answers [B, G] (from ``sample``).
            rewards: float [B, G, K] their rewards (NaN: objective not applicable).
            picks: int [B, R] which first answers of each group to refine (indices into G).
        """

    def join(self, initial: Samples, refined: Samples, shaping_gamma: float) -> Samples:
        """The mixed group [B, G + R]: the G first answers (on-policy), then the R refinements.

        Refinements are off-policy rows, trained with the shaping weight of ``shaping_gamma``; ``update`` takes
        advantages [B, G + R] for the mixed group.
        """
