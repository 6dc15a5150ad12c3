"""Multi-agent training through the bridge: A agents, each answering the maze with whole routes, played jointly.

One step:

    B mazes (seeded pool) -> agent a's policy samples G rollouts (chains of m routes) per maze, for every agent a
      -> joint play: rollout g, answer j of every agent go into one game (first come first served, lower index wins
         ties; ``vecreward_envs.multiagent.kernels.joint_routes_kernel``) -> rewards [B, G, m, A, K]
      -> agent a's own pipeline (aggregator, weights = its persona) on its slice [B, G, (m,) K] -> advantages [B, G]
      -> agent a's policy update

``mode="independent"``: one ``SmallPolicy`` per agent (independent learners). ``mode="shared"``: one policy for all
agents; the agent's index is appended to its observation (``AgentView``), so the shared network can still
specialize. Evaluation plays held-out mazes and counts how often the agents *split the corners*: in a game, one
agent finishes with gold and no diamonds while another finishes with diamonds and no gold.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from agents.small import SmallPolicy, SmallPolicyConfig
from llm_bridge import metrics as M
from llm_bridge.aggregators import get_spec
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from vecreward_envs.maze.config import STOP, MazeConfig
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.multiagent.game import check_n_agents, check_personas
from vecreward_envs.multiagent.scoring import score_joint_routes


class AgentView:
    """A maze family as agent ``index`` sees it: the observation gets the agent's index appended.

    Everything else (cursor, vocabulary, scoring) is the wrapped family's, so any structured-view policy works.
    """

    def __init__(self, family: MazeFamily, index: int) -> None:
        self._family = family
        self.index = int(index)

    def observation(self, instance: Any) -> np.ndarray:
        """The family's observation, then the agent's index."""
        obs = np.asarray(self._family.observation(instance))
        return np.concatenate([obs, np.array([self.index], dtype=obs.dtype)])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._family, name)


@dataclass(frozen=True)
class MultiAgentConfig:
    """A multi-agent training run on the maze (the policies' own settings live in ``policy``)."""

    n_agents: int = 2
    """A, agents per game (2-4)."""
    mode: Literal["independent", "shared"] = "independent"
    """One policy per agent, or one shared policy that sees the agent's index."""
    aggregator: str = "grpo"
    """Every agent's aggregator (``llm_bridge.aggregators``); set-level ones (vpo) train on chains."""
    chain_length: int = 1
    """m, routes per rollout (> 1 only with a set-level aggregator). Answer j of every agent's rollout g share a
    game."""
    personas: tuple[tuple[float, ...], ...] | None = None
    """Per-agent objective weights [A][K] for the aggregator (a persona); None: the aggregator's default."""
    maze: MazeConfig = field(default_factory=MazeConfig)
    """The maze family member."""
    steps: int = 60
    """Policy updates (per agent)."""
    batch_size: int = 16
    """B, mazes per step."""
    group_size: int = 8
    """G, rollouts per maze per agent."""
    warm_start_steps: int = 50
    """Imitation steps on shortest lava-free S -> E routes before RL (item-neutral)."""
    train_instances: int = 1024
    """Training pool size (seeds from 0)."""
    eval_instances: int = 32
    """Held-out mazes (seeds from 1_000_000)."""
    eval_samples: int = 8
    """Rollouts sampled per held-out maze and agent at evaluation."""
    policy: SmallPolicyConfig = field(default_factory=SmallPolicyConfig)
    """Settings of each small policy."""
    seed: int = 0
    """Seed of every generator of the run."""

    def __post_init__(self) -> None:
        check_n_agents(self.n_agents)
        if self.mode not in ("independent", "shared"):
            raise ValueError(f"mode must be 'independent' or 'shared', got {self.mode!r}")
        for name in ("steps", "batch_size", "group_size", "chain_length", "train_instances", "eval_instances",
                     "eval_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MultiAgentConfig.{name} must be an int >= 1, got {value!r}")
        for name in ("warm_start_steps", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"MultiAgentConfig.{name} must be an int >= 0, got {value!r}")
        level = get_spec(self.aggregator).level
        if level == "vector" and self.chain_length != 1:
            raise ValueError(f"aggregator {self.aggregator!r} scores single answers: use chain_length=1")
        if self.personas is not None:
            names = [f"agent_{a}" for a in range(self.n_agents)]
            check_personas(self.personas, names, self.maze.n_objectives)
            if not get_spec(self.aggregator).uses_weights:
                raise ValueError(f"aggregator {self.aggregator!r} ignores objective weights: personas need one "
                                 "that uses them (grpo, gdpo, ...)")

    def pipelines(self) -> list[PipelineConfig]:
        """Each agent's pipeline (its persona as the aggregator's weights)."""
        if self.personas is None:
            return [PipelineConfig(aggregator=self.aggregator) for _ in range(self.n_agents)]
        return [PipelineConfig(aggregator=self.aggregator, weights=tuple(w)) for w in self.personas]


@dataclass
class MultiAgentResult:
    """What ``train_multiagent`` returns."""

    last_eval: dict[str, float]
    history: list[dict[str, float]]
    seconds: float


def _pad(answers: Sequence[np.ndarray]) -> np.ndarray:
    """Agents' answers [B, G, m, L_a] -> int8 [B, G, m, A, L] (STOP-padded to the longest)."""
    length = max(a.shape[-1] for a in answers)
    b, g, m, _ = answers[0].shape
    out = np.full((b, g, m, len(answers), length), STOP, dtype=np.int8)
    for i, a in enumerate(answers):
        out[:, :, :, i, : a.shape[-1]] = a
    return out


def play_joint(instances: Sequence[Any], answers: Sequence[np.ndarray]) -> np.ndarray:
    """float32 [B, G, m, A, K]: answer (g, j) of every agent played as one game on maze b."""
    routes = _pad(answers)  # [B, G, m, A, L]
    b, g, m, a, length = routes.shape
    idx = np.repeat(np.arange(b), g * m)
    scores = score_joint_routes(instances, routes.reshape(b * g * m, a, length), idx)
    return scores.rewards.reshape(b, g, m, a, -1)


def corner_labels(rewards: np.ndarray) -> np.ndarray:
    """Per agent and game, int [...]: 0 failed (no E), 1 gold only, 2 diamonds only, 3 both, 4 neither.

    ``rewards`` [..., K] with objectives (completion, gold, diamond, ..., avoid_lava).
    """
    reached = rewards[..., 0] > 0
    gold, diamond = rewards[..., 1] > 0, rewards[..., 2] > 0
    labels = np.full(rewards.shape[:-1], 4, dtype=np.int64)
    labels[gold & ~diamond] = 1
    labels[diamond & ~gold] = 2
    labels[gold & diamond] = 3
    labels[~reached] = 0
    return labels


def split_stats(rewards: np.ndarray) -> dict[str, float]:
    """Corner-split statistics of games ``rewards`` [..., A, K] (every leading index is one game)."""
    labels = corner_labels(rewards).reshape(-1, rewards.shape[-2])  # [games, A]
    has_gold = (labels == 1).any(axis=1)
    has_diamond = (labels == 2).any(axis=1)
    n_agents = labels.shape[1]
    same = np.zeros(labels.shape[0], dtype=np.bool_)
    for c in (1, 2):
        same |= (labels == c).sum(axis=1) >= 2
    out = {
        "eval/split_rate": float((has_gold & has_diamond).mean()),
        "eval/same_corner_rate": float(same.mean()),
        "eval/all_reach_rate": float((labels > 0).all(axis=1).mean()),
    }
    for a in range(n_agents):
        out[f"eval/agent_{a}/gold_only"] = float((labels[:, a] == 1).mean())
        out[f"eval/agent_{a}/diamond_only"] = float((labels[:, a] == 2).mean())
        out[f"eval/agent_{a}/completion"] = float((labels[:, a] > 0).mean())
    return out


class _Agents:
    """The policies of a run and which one each agent uses."""

    def __init__(self, config: MultiAgentConfig, family: MazeFamily) -> None:
        self.views = [AgentView(family, a) for a in range(config.n_agents)]
        sample = family.generate(0)
        if config.mode == "shared":
            shared = SmallPolicy(self.views[0], sample, config.policy, seed=config.seed)
            self.policies = [shared] * config.n_agents
        else:
            self.policies = [SmallPolicy(self.views[a], sample, config.policy, seed=config.seed * 100 + a)
                             for a in range(config.n_agents)]

    def sample(self, instances: Sequence[Any], g: int, m: int) -> list[Any]:
        return [p.sample(v, instances, g, m) for p, v in zip(self.policies, self.views, strict=True)]


def evaluate(agents: _Agents, instances: Sequence[Any], config: MultiAgentConfig) -> dict[str, float]:
    """Sample ``eval_samples`` rollouts per agent on held-out mazes, play them jointly, count corner splits."""
    samples = agents.sample(instances, config.eval_samples, config.chain_length)
    rewards = play_joint(instances, [s.answers for s in samples])  # [B, S, m, A, K]
    out = split_stats(rewards)
    if config.chain_length > 1:
        out.update({f"{k}_first": v for k, v in split_stats(rewards[:, :, :1]).items()
                    if k == "eval/split_rate"})
    names = config.maze.reward_names
    for a in range(config.n_agents):
        out.update(M.per_objective(rewards[..., a, :].reshape(-1, len(names)), names, prefix=f"eval/agent_{a}"))
    return out


def train_multiagent(config: MultiAgentConfig, *, on_step: Any = None) -> MultiAgentResult:
    """Train A agents on the multi-agent maze under ``config``; returns the last evaluation and the history."""
    torch.set_num_threads(1)
    family = MazeFamily(config.maze)
    train_pool = family.instances(0, config.train_instances)
    eval_pool = family.instances(1_000_000, config.eval_instances)
    agents = _Agents(config, family)
    pipelines = config.pipelines()
    set_level = get_spec(config.aggregator).level == "set"
    instance_rng = np.random.default_rng([config.seed, 1])
    aggregator_rng = np.random.default_rng([config.seed, 2])
    started = time.perf_counter()
    if config.warm_start_steps:
        demo_rng = np.random.default_rng([config.seed, 3])
        for _ in range(config.warm_start_steps):
            batch = [train_pool[i] for i in demo_rng.integers(len(train_pool), size=config.batch_size)]
            demos = family.demonstrations(batch)
            for policy, view in zip(agents.policies, agents.views, strict=True):
                policy.imitate(view, batch, demos)  # a shared policy imitates once per agent index
    history: list[dict[str, float]] = []
    last_eval: dict[str, float] = {}
    m = config.chain_length
    for step in range(config.steps):
        instances = [train_pool[i] for i in instance_rng.integers(len(train_pool), size=config.batch_size)]
        samples = agents.sample(instances, config.group_size, m)
        rewards = play_joint(instances, [s.answers for s in samples])  # [B, G, m, A, K]
        row: dict[str, float] = {"step": float(step)}
        for a, (policy, pipeline, smp) in enumerate(zip(agents.policies, pipelines, samples, strict=True)):
            mine = rewards[:, :, :, a, :]  # [B, G, m, K]
            adv = np.asarray(run_pipeline(pipeline, mine if set_level else mine[:, :, 0, :], rng=aggregator_rng,
                                          step=step))
            stats = policy.update(smp, adv)
            row[f"train/agent_{a}/loss"] = stats.get("train/loss", float("nan"))
            row[f"train/agent_{a}/reward_scalar"] = float(M.scalar(mine.reshape(-1, mine.shape[-1])).mean())
        row.update({k.replace("eval/", "train/"): v for k, v in split_stats(rewards).items()
                    if k in ("eval/split_rate", "eval/same_corner_rate", "eval/all_reach_rate")})
        if step == config.steps - 1:
            last_eval = evaluate(agents, eval_pool, config)
            row.update(last_eval)
        history.append(row)
        if on_step is not None:
            on_step(step, row)
    return MultiAgentResult(last_eval=last_eval, history=history, seconds=time.perf_counter() - started)
