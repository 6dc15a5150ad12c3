"""Per-agent linear scalarization of a vector-reward Parallel env (MOMAland's ``LinearizeReward`` idea).

Scalar rewards are what PettingZoo's own tools (the AEC ``api_test``, most MARL libraries) expect; the raw vector
stays in ``infos[agent]["vector_reward"]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pettingzoo import ParallelEnv

from vecreward_envs.multiagent.game import check_personas


class LinearizedParallelEnv(ParallelEnv):
    """Wraps a vector-reward Parallel env: each agent's reward becomes ``float(w_agent . r_agent)``.

    ``weights``: {agent: [K]} or [A][K] (finite, >= 0, positive sum); ``None`` uses the env's personas, else
    equal weights 1/K.
    """

    def __init__(self, env: ParallelEnv, weights: Mapping[str, Sequence[float]] | Sequence[Sequence[float]] | None
                 = None) -> None:
        self.env = env
        self.possible_agents = list(env.possible_agents)
        self.metadata = dict(env.metadata)
        k = env.reward_space(self.possible_agents[0]).shape[0]
        if weights is None:
            weights = getattr(env, "personas", None)
        if weights is None:
            weights = [[1.0 / k] * k for _ in self.possible_agents]
        w = check_personas(weights, self.possible_agents, k)
        self.weights = {agent: w[a].astype(np.float64) for a, agent in enumerate(self.possible_agents)}
        self.render_mode = getattr(env, "render_mode", None)

    @property
    def agents(self) -> list[str]:  # type: ignore[override]
        """Agents still in the game (the wrapped env's)."""
        return self.env.agents

    @agents.setter
    def agents(self, value: list[str]) -> None:
        self.env.agents = value

    def observation_space(self, agent: str) -> Any:
        """The wrapped env's space."""
        return self.env.observation_space(agent)

    def action_space(self, agent: str) -> Any:
        """The wrapped env's space."""
        return self.env.action_space(agent)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        """Reset the wrapped env."""
        return self.env.reset(seed=seed, options=options)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Step the wrapped env; rewards become floats, vectors move to ``infos[agent]["vector_reward"]``."""
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        scalar = {}
        for agent, vector in rewards.items():
            infos.setdefault(agent, {})["vector_reward"] = vector
            scalar[agent] = float(self.weights[agent] @ np.asarray(vector, dtype=np.float64))
        return obs, scalar, terms, truncs, infos

    def render(self) -> Any:
        """The wrapped env's rendering."""
        return self.env.render()

    def state(self) -> np.ndarray:
        """The wrapped env's global state."""
        return self.env.state()

    def close(self) -> None:
        """Close the wrapped env."""
        self.env.close()

    @property
    def unwrapped(self) -> ParallelEnv:
        """The wrapped env (its ``reward_space`` and ``reward_names`` describe the vectors)."""
        return self.env.unwrapped
