"""One small policy over several task families: a shared GRU trunk, one encoder and head per family.

A schedule (``llm_bridge.schedule``) trains one policy on several families in turn or mixed. The families'
vocabularies, observations and cursor features differ, so each family keeps its own ``SmallPolicy`` front and back
(observation encoder, token embedding, feature projection, output head), and all of them write through one GRU
(``AnswerNetwork(trunk=...)``). One Adam optimizer holds every parameter: a step on one family moves the shared
trunk, which is how training on one family can help or hurt the others (backward transfer, forgetting).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from agents.small.config import SmallPolicyConfig
from agents.small.policy import SmallPolicy
from llm_bridge.policy import Samples
from vecreward_envs.protocols import Instance, StructuredView, TaskFamily, require


class MultiTaskSmallPolicy:
    """A ``Policy`` over the structured views of several families, sharing one GRU trunk.

    Args:
        families: label -> family (the labels name the heads in checkpoints; the same family objects must be
            passed to ``sample`` and ``imitate``).
        config: the settings every head and the trunk share.
        seed: seeds weight initialization (family i's head from ``seed`` and i) and sampling.
        feedback: every head gets a failed-objective feedback layer and the policy implements
            ``llm_bridge.policy.Refining`` through the heads (critique-guided refinement).
    """

    view = "structured"

    def __init__(self, families: Mapping[str, TaskFamily], config: SmallPolicyConfig | None = None,
                 seed: int = 0, *, feedback: bool = False) -> None:
        if not families:
            raise ValueError("a multi-task policy needs at least one family")
        self.config = config or SmallPolicyConfig()
        torch.manual_seed(seed)
        trunk = torch.nn.GRU(self.config.embed + self.config.hidden // 2, self.config.hidden, batch_first=True)
        self.heads: dict[str, SmallPolicy] = {}
        self._label_of: dict[int, str] = {}
        for i, (label, family) in enumerate(families.items()):
            require(family, StructuredView, "the small policy")
            head = SmallPolicy(family, family.generate(0), self.config, seed=seed * 1000 + i, trunk=trunk,
                               feedback=feedback)
            self.heads[label] = head
            self._label_of[id(family)] = label
        params = {id(p): p for head in self.heads.values() for p in head.trainable_parameters()}
        self.optimizer = torch.optim.Adam(list(params.values()), lr=self.config.lr)
        for head in self.heads.values():  # every head steps the one optimizer (its Adam moments of the trunk too)
            head.optimizer = self.optimizer

    def _head(self, family: TaskFamily) -> tuple[str, SmallPolicy]:
        label = self._label_of.get(id(family))
        if label is None:
            raise ValueError(f"this multi-task policy has no head for family {family.name!r}; it was built for "
                             f"{sorted(self.heads)}")
        return label, self.heads[label]

    def sample(self, family: TaskFamily, instances: Sequence[Instance], group_size: int, chain_length: int = 1, *,
               greedy: bool = False) -> Samples:
        """The family's head samples; the samples remember which head made them (for ``update``)."""
        label, head = self._head(family)
        samples = head.sample(family, instances, group_size, chain_length, greedy=greedy)
        samples.policy_data = (label, samples.policy_data)
        return samples

    def update(self, samples: Samples, advantages: np.ndarray) -> dict[str, float]:
        """PPO-clip through the head that sampled (its encoder, head and the shared trunk move)."""
        label, data = samples.policy_data
        inner = Samples(answers=samples.answers, logprob=samples.logprob, n_tokens=samples.n_tokens,
                        policy_data=data, entropy=samples.entropy)
        return self.heads[label].update(inner, advantages)

    def check_refine(self, family: TaskFamily) -> None:
        """``Refining``: the family's head must be able to refine (built with ``feedback=True``)."""
        self._head(family)[1].check_refine(family)

    def refine(self, family: TaskFamily, instances: Sequence[Instance], samples: Samples, rewards: np.ndarray,
               picks: np.ndarray) -> Samples:
        """``Refining``: the head that sampled refines."""
        label, head = self._head(family)
        refined = head.refine(family, instances, _inner(samples), rewards, picks)
        refined.policy_data = (label, refined.policy_data)
        return refined

    def join(self, initial: Samples, refined: Samples, shaping_gamma: float) -> Samples:
        """``Refining``: the head's mixed group, tagged with the head for ``update``."""
        label = initial.policy_data[0]
        joined = self.heads[label].join(_inner(initial), _inner(refined), shaping_gamma)
        joined.policy_data = (label, joined.policy_data)
        return joined

    def imitate(self, family: TaskFamily, instances: Sequence[Instance], answers: Any) -> dict[str, float]:
        """One supervised step of the family's head (and the trunk)."""
        return self._head(family)[1].imitate(family, instances, answers)

    def state_dict(self) -> dict[str, Any]:
        """Every head's state (the trunk is in each; loading restores the same tensor) and the one optimizer."""
        return {"heads": {label: head.state_dict() for label, head in self.heads.items()},
                "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``."""
        if sorted(state["heads"]) != sorted(self.heads):
            raise ValueError(f"checkpoint heads {sorted(state['heads'])} != this policy's {sorted(self.heads)}")
        for label, head in self.heads.items():
            head.load_state_dict(state["heads"][label])
        self.optimizer.load_state_dict(state["optimizer"])


def _inner(samples: Samples) -> Samples:
    """Samples as their head made them (without the head's label)."""
    return Samples(answers=samples.answers, logprob=samples.logprob, n_tokens=samples.n_tokens,
                   policy_data=samples.policy_data[1], entropy=samples.entropy)


def schedule_small_policy(families: Mapping[str, TaskFamily], config: SmallPolicyConfig | None = None,
                          seed: int = 0, *, feedback: bool = False) -> Any:
    """The small policy a schedule trains: the plain ``SmallPolicy`` for one family, else a multi-task one.

    One place for ``vecreward train --schedule`` and ``vecreward compare --schedule``, so a schedule gives the same
    run from either command.
    """
    if len(families) == 1:
        family = next(iter(families.values()))
        return SmallPolicy(family, family.generate(0), config, seed=seed, feedback=feedback)
    return MultiTaskSmallPolicy(families, config, seed=seed, feedback=feedback)
