"""A team policy: A structured policies (one per agent, or one shared) behind the bridge's ``Policy`` protocol.

The trainer drives it like any policy on a ``JointPlay`` family: ``sample`` asks every agent's policy for its
answers through the family's ``agent_view(a)`` and stacks them into joint answers [B, G, m, A, L]; ``update``
hands agent a its own advantages [B, G] (the trainer's [B, G, A], one pipeline per agent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from agents.small import SmallPolicy, SmallPolicyConfig
from llm_bridge.policy import Policy, Samples
from vecreward_envs.protocols import Instance, JointPlay, TaskFamily, require


def stack_answers(answers: Sequence[np.ndarray], stop: int) -> np.ndarray:
    """Agents' answers [B, G, m, L_a] -> int16 [B, G, m, A, L] (STOP-padded to the longest)."""
    length = max(a.shape[-1] for a in answers)
    b, g, m, _ = answers[0].shape
    out = np.full((b, g, m, len(answers), length), stop, dtype=np.int16)
    for i, a in enumerate(answers):
        out[:, :, :, i, : a.shape[-1]] = a
    return out


class TeamPolicy:
    """One policy per agent of a game (the same object repeated when the agents share one)."""

    view: Literal["structured"] = "structured"

    def __init__(self, policies: Sequence[Policy]) -> None:
        if not policies:
            raise ValueError("a team needs at least one policy")
        self.policies = list(policies)

    @classmethod
    def small(cls, family: TaskFamily, mode: Literal["independent", "shared"], config: SmallPolicyConfig,
              seed: int) -> TeamPolicy:
        """Small policies for every agent of ``family``.

        ``independent``: one learner per agent (agent a seeded ``seed * 100 + a``); ``shared``: one network (seeded
        ``seed``) that sees the agent's index in its observation.
        """
        game = require(family, JointPlay, "a team of small policies")
        sample = family.generate(0)
        if mode == "shared":
            return cls([SmallPolicy(game.agent_view(0), sample, config, seed=seed)] * game.n_agents)
        return cls([SmallPolicy(game.agent_view(a), sample, config, seed=seed * 100 + a)
                    for a in range(game.n_agents)])

    def _game(self, family: TaskFamily) -> JointPlay:
        game = require(family, JointPlay, "a team policy")
        if game.n_agents != len(self.policies):
            raise ValueError(f"the team has {len(self.policies)} policies for {game.n_agents} agents")
        return game

    def sample(self, family: TaskFamily, instances: Sequence[Instance], group_size: int, chain_length: int = 1, *,
               greedy: bool = False) -> Samples:
        """Every agent's G rollouts per instance, as joint answers [B, G, m, A, L]."""
        game = self._game(family)
        per_agent = [p.sample(game.agent_view(a), instances, group_size, chain_length, greedy=greedy)
                     for a, p in enumerate(self.policies)]
        stop = game.agent_view(0).stop_code
        return Samples(answers=stack_answers([s.answers for s in per_agent], stop),
                       logprob=np.sum([s.logprob for s in per_agent], axis=0),
                       n_tokens=np.sum([s.n_tokens for s in per_agent], axis=0), policy_data=per_agent)

    def update(self, samples: Samples, advantages: np.ndarray) -> dict[str, float]:
        """Agent a's policy steps on its own rollouts and advantages ``advantages[..., a]`` ([B, G, A]), in order."""
        adv = np.asarray(advantages)
        if adv.ndim != 3 or adv.shape[-1] != len(self.policies):
            raise ValueError(f"a team of {len(self.policies)} needs advantages [B, G, A], got shape {adv.shape}")
        stats: dict[str, float] = {}
        for a, (policy, mine) in enumerate(zip(self.policies, samples.policy_data, strict=True)):
            for key, value in policy.update(mine, adv[..., a]).items():
                stats[f"train/agent_{a}/{key.removeprefix('train/')}"] = value
        return stats

    def imitate(self, family: TaskFamily, instances: Sequence[Instance], answers: Any) -> dict[str, float]:
        """Every agent imitates the same demonstrations (a shared policy once per agent index)."""
        game = self._game(family)
        stats: dict[str, float] = {}
        for a, policy in enumerate(self.policies):
            for key, value in policy.imitate(game.agent_view(a), instances, answers).items():
                stats[f"{key.split('/')[0]}/agent_{a}/{key.split('/', 1)[-1]}"] = value
        return stats

    def _unique(self) -> list[Policy]:
        seen: dict[int, Policy] = {}
        for p in self.policies:
            seen.setdefault(id(p), p)
        return list(seen.values())

    def state_dict(self) -> dict[str, Any]:
        """Each distinct policy's state (one for a shared policy)."""
        return {"policies": [p.state_dict() for p in self._unique()]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``."""
        unique = self._unique()
        if len(state["policies"]) != len(unique):
            raise ValueError(f"checkpoint holds {len(state['policies'])} policies, this team {len(unique)}")
        for p, s in zip(unique, state["policies"], strict=True):
            p.load_state_dict(s)
