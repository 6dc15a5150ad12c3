"""Multi-agent training on the bridge's one loop: A agents, each answering the maze with whole routes, played jointly.

``train_multiagent`` turns a ``MultiAgentConfig`` into a ``TrainConfig`` on the ``multiagent_maze`` family
(``vecreward_envs.multiagent.family.JointMazeFamily``) and a ``TeamPolicy``, and runs ``llm_bridge.trainer.train``,
so a multi-agent run gets the checkpoints, logs, resume and metrics of every other run. One step:

    B mazes (seeded pool) -> agent a's policy samples G rollouts (chains of m routes) per maze, for every agent a
      -> joint play: rollout g, answer j of every agent go into one game -> rewards [B, G, m, A, K]
      -> agent a's own pipeline (aggregator, weights = its persona) on its slice [B, G, (m,) K] -> advantages [B, G]
      -> agent a's policy update

``mode="independent"``: one ``SmallPolicy`` per agent (independent learners). ``mode="shared"``: one policy for all
agents; the agent's index is appended to its observation (``AgentView``), so the shared network can still
specialize. Evaluation plays held-out mazes and counts how often the agents *split the corners*
(``JointMazeFamily.game_metrics``).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from agents.multiagent.team import TeamPolicy, stack_answers
from agents.small import SmallPolicyConfig
from llm_bridge.aggregators import get_spec, run_params
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.trainer import TrainConfig, train
from vecreward_envs.maze.config import STOP, MazeConfig
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.multiagent.family import AgentView, JointMazeFamily, corner_labels, split_stats
from vecreward_envs.multiagent.game import check_n_agents, check_personas
from vecreward_envs.multiagent.scoring import score_joint_routes

__all__ = ["AgentView", "MultiAgentConfig", "MultiAgentResult", "corner_labels", "play_joint", "split_stats",
           "train_config", "train_multiagent"]


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
        """Each agent's pipeline (its persona as the aggregator's weights, the scheme's needs filled in)."""
        params = run_params(self.aggregator, success_objectives=MazeFamily.success_objectives, total_steps=self.steps)
        if self.personas is None:
            return [PipelineConfig(aggregator=self.aggregator, aggregator_params=params) for _ in range(self.n_agents)]
        return [PipelineConfig(aggregator=self.aggregator, aggregator_params=params, weights=tuple(w))
                for w in self.personas]


@dataclass
class MultiAgentResult:
    """What ``train_multiagent`` returns."""

    last_eval: dict[str, float]
    history: list[dict[str, float]]
    seconds: float


def play_joint(instances: Sequence[Any], answers: Sequence[np.ndarray]) -> np.ndarray:
    """float32 [B, G, m, A, K]: answer (g, j) of every agent played as one game on maze b."""
    routes = stack_answers(answers, STOP)  # [B, G, m, A, L]
    b, g, m, a, length = routes.shape
    idx = np.repeat(np.arange(b), g * m)
    scores = score_joint_routes(instances, routes.reshape(b * g * m, a, length), idx)
    return scores.rewards.reshape(b, g, m, a, -1)


def train_config(config: MultiAgentConfig) -> TrainConfig:
    """The trainer's config of a multi-agent run (evaluation and the checkpoint after the last step)."""
    family = JointMazeFamily(config.maze, n_agents=config.n_agents)
    return TrainConfig(
        task=family.name, task_params=family.params(), pipeline=config.pipelines()[0],
        agent_pipelines=tuple(config.pipelines()) if config.personas is not None else (),
        steps=config.steps, batch_size=config.batch_size, group_size=config.group_size,
        chain_length=config.chain_length, train_instances=config.train_instances, train_first_seed=0,
        eval_instances=config.eval_instances, eval_first_seed=1_000_000, eval_samples=config.eval_samples,
        eval_every=config.steps, checkpoint_every=config.steps, warm_start_steps=config.warm_start_steps,
        seed=config.seed,
    )


def train_multiagent(config: MultiAgentConfig, *, run_dir: str | Path | None = None, resume: bool = False,
                     on_step: Callable[[int, dict[str, float]], None] | None = None) -> MultiAgentResult:
    """Train A agents on the multi-agent maze under ``config``; returns the last evaluation and the history.

    Args:
        config: the run.
        run_dir: where the trainer writes config, metrics, TensorBoard events and checkpoints (None: a temporary
            directory, removed afterwards).
        resume: continue ``run_dir``'s run from its checkpoint.
        on_step: called with (step, metrics) after every step.
    """
    torch.set_num_threads(1)
    family = JointMazeFamily(config.maze, n_agents=config.n_agents)
    team = TeamPolicy.small(family, config.mode, config.policy, config.seed)
    keep = run_dir is not None
    with contextlib.ExitStack() as stack:
        path = run_dir if run_dir is not None else stack.enter_context(
            tempfile.TemporaryDirectory(prefix="vecreward-multiagent-"))
        result = train(train_config(config), team, family, path, resume=resume, progress=False, tensorboard=keep,
                       on_step=on_step)
    return MultiAgentResult(last_eval=result.last_eval, history=result.history, seconds=result.seconds)
