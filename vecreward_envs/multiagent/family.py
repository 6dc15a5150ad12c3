"""The multi-agent maze as a task family: A agents answer one maze with whole routes, played as one game.

``JointMazeFamily`` implements the ``JointPlay`` ability of ``vecreward_envs.protocols``, so the bridge's one
training loop drives it (checkpoints, logs, resume and metrics included): a team policy samples every agent's
answers through ``agent_view(a)``, ``score_joint`` plays answer (g, j) of every agent in one game (first come first
served, lower index wins ties; ``kernels.joint_routes_kernel``), and every agent trains on its own reward slice.

Game metrics count how often the agents *split the corners*: in a game, one agent finishes with gold and no
diamonds while another finishes with diamonds and no gold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vecreward_envs.maze.config import MazeConfig
from vecreward_envs.maze.cursor import MazeCursor
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.maze.instance import MazeInstance
from vecreward_envs.multiagent.game import check_n_agents
from vecreward_envs.multiagent.scoring import score_joint_routes
from vecreward_envs.protocols import Demonstrations, JointPlay, StructuredView, SuccessObjectives

__all__ = ["AgentView", "JointMazeFamily", "corner_labels", "split_stats"]


class AgentView:
    """The maze as agent ``index`` sees it: the maze's structured view, the agent's index appended to the observation.

    One shared network can then still specialize. Scoring is the single-agent maze's.
    """

    abilities = (StructuredView,)

    def __init__(self, family: MazeFamily, index: int) -> None:
        self.family = family
        self.index = int(index)
        self.name = family.name
        self.answer_vocab = family.answer_vocab
        self.stop_code = family.stop_code

    # ----- core (the maze's) ----------------------------------------------------------------------------------
    @property
    def reward_names(self) -> tuple[str, ...]:
        """The maze's objectives."""
        return self.family.reward_names

    @property
    def reward_low(self) -> np.ndarray:
        """The maze's lower bounds."""
        return self.family.reward_low

    @property
    def reward_high(self) -> np.ndarray:
        """The maze's upper bounds."""
        return self.family.reward_high

    def generate(self, seed: int) -> MazeInstance:
        """The maze of ``seed``."""
        return self.family.generate(seed)

    def instances(self, first_seed: int, n: int) -> list[MazeInstance]:
        """The maze family's split."""
        return self.family.instances(first_seed, n)

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """The maze's pass flags."""
        return self.family.pass_flags(rewards)

    def task_row(self, instance: MazeInstance) -> dict[str, object]:
        """The maze's row."""
        return self.family.task_row(instance)

    def instance_from_row(self, row: Mapping[str, object]) -> MazeInstance:
        """The maze a maze row describes."""
        return self.family.instance_from_row(row)

    # ----- structured view ------------------------------------------------------------------------------------
    @property
    def observation_vocab(self) -> int:
        """The maze's bound, which already covers every agent index (at most 4 agents, at least 49 cells)."""
        return max(self.family.observation_vocab, self.index + 1)

    def observation(self, instance: MazeInstance) -> np.ndarray:
        """The maze's observation, then the agent's index."""
        obs = np.asarray(self.family.observation(instance))
        return np.concatenate([obs, np.array([self.index], dtype=obs.dtype)])

    def max_answer_len(self, instances: Sequence[MazeInstance]) -> int:
        """The maze's longest route."""
        return self.family.max_answer_len(instances)

    def new_cursor(self, instances: Sequence[MazeInstance], inst_idx: np.ndarray) -> MazeCursor:
        """The maze's cursor (an agent plans its route alone; the game is played when scored)."""
        return self.family.new_cursor(instances, inst_idx)

    def score_answers(self, instances: Sequence[MazeInstance], answers: np.ndarray, inst_idx: np.ndarray
                      ) -> np.ndarray:
        """The route scored as if alone in the maze (training scores games through ``JointMazeFamily``)."""
        return self.family.score_answers(instances, answers, inst_idx)


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


def split_stats(rewards: np.ndarray, prefix: str = "eval") -> dict[str, float]:
    """Corner-split statistics of games ``rewards`` [..., A, K] (every leading index is one game)."""
    labels = corner_labels(rewards).reshape(-1, rewards.shape[-2])  # [games, A]
    has_gold = (labels == 1).any(axis=1)
    has_diamond = (labels == 2).any(axis=1)
    n_agents = labels.shape[1]
    same = np.zeros(labels.shape[0], dtype=np.bool_)
    for c in (1, 2):
        same |= (labels == c).sum(axis=1) >= 2
    out = {
        f"{prefix}/split_rate": float((has_gold & has_diamond).mean()),
        f"{prefix}/same_corner_rate": float(same.mean()),
        f"{prefix}/all_reach_rate": float((labels > 0).all(axis=1).mean()),
    }
    for a in range(n_agents):
        out[f"{prefix}/agent_{a}/gold_only"] = float((labels[:, a] == 1).mean())
        out[f"{prefix}/agent_{a}/diamond_only"] = float((labels[:, a] == 2).mean())
        out[f"{prefix}/agent_{a}/completion"] = float((labels[:, a] > 0).mean())
    return out


class JointMazeFamily:
    """``n_agents`` agents sharing one maze of ``config`` (items first come first served).

    Args:
        config: the maze (or pass its fields as keyword overrides).
        n_agents: A, agents per game (2-4).
    """

    name = "multiagent_maze"
    abilities = (JointPlay, Demonstrations, SuccessObjectives)

    def __init__(self, config: MazeConfig | None = None, n_agents: int = 2, **overrides: object) -> None:
        check_n_agents(n_agents)
        self.maze = MazeFamily(config, **overrides)
        self.config = self.maze.config
        self._n_agents = int(n_agents)

    # ----- core -------------------------------------------------------------------------------------------
    @property
    def reward_names(self) -> tuple[str, ...]:
        """Every agent's K objectives (the maze's)."""
        return self.maze.reward_names

    @property
    def reward_low(self) -> np.ndarray:
        """float32 [K] lower bounds (the maze's)."""
        return self.maze.reward_low

    @property
    def reward_high(self) -> np.ndarray:
        """float32 [K] upper bounds (the maze's)."""
        return self.maze.reward_high

    @property
    def success_objectives(self) -> tuple[int, ...]:
        """Reaching E, for each agent."""
        return self.maze.success_objectives

    def generate(self, seed: int) -> MazeInstance:
        """The maze of ``seed``."""
        return self.maze.generate(seed)

    def instances(self, first_seed: int, n: int) -> list[MazeInstance]:
        """``n`` mazes from ``first_seed`` on."""
        return self.maze.instances(first_seed, n)

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Bool flags [..., K] (any leading agent axes): objective at its upper bound."""
        return self.maze.pass_flags(rewards)

    def task_row(self, instance: MazeInstance) -> dict[str, object]:
        """The maze's row, with this family's name and the number of agents."""
        return {**self.maze.task_row(instance), "family": self.name, "n_agents": self._n_agents}

    def instance_from_row(self, row: Mapping[str, object]) -> MazeInstance:
        """The maze a ``task_row`` describes.

        Raises:
            ValueError: not a row of this family.
        """
        if row.get("family") != self.name:
            raise ValueError(f"not a {self.name} task row: {dict(row)!r}"[:300])
        return self.maze.instance_from_row({**row, "family": self.maze.name})

    # ----- the game -----------------------------------------------------------------------------------------
    @property
    def n_agents(self) -> int:
        """A, agents per game."""
        return self._n_agents

    def agent_view(self, agent: int) -> AgentView:
        """The maze as agent ``agent`` sees it (its index appended to the observation)."""
        if not 0 <= agent < self._n_agents:
            raise ValueError(f"agent must be in 0..{self._n_agents - 1}, got {agent}")
        return AgentView(self.maze, agent)

    def score_joint(self, instances: Sequence[MazeInstance], answers: np.ndarray, inst_idx: np.ndarray
                    ) -> np.ndarray:
        """float32 [N, A, K]: routes [N, A, L] of every agent played jointly on ``instances[inst_idx[n]]``."""
        return score_joint_routes(instances, np.asarray(answers), inst_idx).rewards

    def game_metrics(self, rewards: np.ndarray, prefix: str) -> dict[str, float]:
        """Corner splits and per-agent objective means of games [B, S, m, A, K].

        In chains (m > 1) ``<prefix>/split_rate_first`` also counts the games of every chain's first answers.
        """
        rewards = np.asarray(rewards)
        out = split_stats(rewards, prefix)
        if rewards.ndim == 5 and rewards.shape[2] > 1:
            out[f"{prefix}/split_rate_first"] = split_stats(rewards[:, :, :1], prefix)[f"{prefix}/split_rate"]
        names = self.reward_names
        for a in range(rewards.shape[-2]):
            pool = rewards[..., a, :].reshape(-1, len(names)).astype(np.float64)  # [games, K]
            for k, name in enumerate(names):
                column = pool[:, k][~np.isnan(pool[:, k])]
                out[f"{prefix}/agent_{a}/{name}/mean"] = float(column.mean()) if column.size else float("nan")
                out[f"{prefix}/agent_{a}/{name}/std"] = float(column.std()) if column.size else float("nan")
        return out

    # ----- demonstrations -----------------------------------------------------------------------------------
    def demonstrations(self, instances: Sequence[MazeInstance]) -> np.ndarray:
        """The maze solver's item-neutral routes (every agent imitates the same ones)."""
        return self.maze.demonstrations(instances)

    def demonstration_texts(self, instances: Sequence[MazeInstance]) -> list[str]:
        """The solver routes as completions."""
        return self.maze.demonstration_texts(instances)

    def params(self) -> dict[str, Any]:
        """JSON-able parameters that rebuild this family (``JointMazeFamily(**params)``)."""
        row = self.maze.task_row(self.generate(0))["config"]
        return {"n_agents": self._n_agents, **dict(row)}  # type: ignore[arg-type]
