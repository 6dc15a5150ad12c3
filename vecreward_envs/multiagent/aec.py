"""Parallel -> AEC conversion for vector-reward envs: PettingZoo's ``parallel_to_aec`` with zero *vectors*.

PettingZoo's ``parallel_to_aec_wrapper`` starts every agent's ``rewards`` and ``_cumulative_rewards`` at the scalar
0 (at ``reset``, for a new agent, and each time it clears the rewards), so an AEC env built from a vector-reward
Parallel env hands out ``0`` on some turns and ``float32[K]`` arrays on others. MOMAland's ``api_test`` adds the
rewards of a step into ``float32[K]`` accumulators and fails on the scalar. ``VectorRewardParallelToAEC`` is the
same wrapper with those zeros as ``float32[K]`` arrays of the agent's ``reward_space`` shape (what MOMAland's own
``mo_parallel_to_aec`` does), without depending on MOMAland.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec_wrapper
from pettingzoo.utils.wrappers import OrderEnforcingWrapper

__all__ = ["VectorRewardParallelToAEC", "vector_parallel_to_aec"]


class VectorRewardParallelToAEC(parallel_to_aec_wrapper):
    """PettingZoo's Parallel -> AEC wrapper for envs whose rewards are ``float32[K]`` per agent.

    The wrapped env must have ``reward_space(agent)`` (a ``Box`` of shape ``(K,)``, MOMAland's convention). Every
    reward the AEC env shows (``rewards``, ``_cumulative_rewards``, the reward of ``last()``) is a ``float32[K]``
    array; agents that got nothing on a step show zeros. ``reward_space(agent)`` and ``reward_spaces`` are
    forwarded, so MOMAland's tools find them on the AEC env as on its ``unwrapped`` Parallel env.

    Args:
        parallel_env: a Parallel env with per-agent vector rewards.

    Raises:
        TypeError: the env has no ``reward_space(agent)`` method.
    """

    def __init__(self, parallel_env: ParallelEnv) -> None:
        if not callable(getattr(parallel_env, "reward_space", None)):
            raise TypeError(f"VectorRewardParallelToAEC needs a Parallel env with reward_space(agent), got "
                            f"{type(parallel_env).__name__}")
        super().__init__(parallel_env)

    def reward_space(self, agent: str) -> Any:
        """The wrapped env's ``reward_space(agent)``."""
        return self.env.reward_space(agent)

    @property
    def reward_spaces(self) -> dict[str, Any]:
        """``{agent: reward_space(agent)}`` over ``possible_agents``."""
        return {agent: self.env.reward_space(agent) for agent in self.possible_agents}

    def _zero(self, agent: str) -> np.ndarray:
        return np.zeros(self.env.reward_space(agent).shape, dtype=np.float32)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Reset the wrapped env; every agent's reward starts at a zero vector."""
        super().reset(seed=seed, options=options)
        self.rewards = {agent: self._zero(agent) for agent in self.agents}
        self._cumulative_rewards = {agent: self._zero(agent) for agent in self.agents}

    def add_new_agent(self, new_agent: str) -> None:
        """An agent that joins mid-game starts at zero vectors."""
        super().add_new_agent(new_agent)
        self.rewards[new_agent] = self._zero(new_agent)
        self._cumulative_rewards[new_agent] = self._zero(new_agent)

    def step(self, action: Any) -> None:
        """One agent's action; the Parallel env steps once every live agent has acted."""
        super().step(action)
        # After a Parallel step, rewards and _cumulative_rewards hold the same array objects: give the cumulative
        # dict its own copies, so that changing one in place never changes the other.
        for agent, reward in self._cumulative_rewards.items():
            if reward is self.rewards.get(agent):
                self._cumulative_rewards[agent] = reward.copy()

    def _clear_rewards(self) -> None:
        for agent in self.rewards:
            self.rewards[agent] = self._zero(agent)


def vector_parallel_to_aec(parallel_env: ParallelEnv) -> AECEnv:
    """``OrderEnforcingWrapper(VectorRewardParallelToAEC(parallel_env))``, as PettingZoo's ``parallel_to_aec``."""
    return OrderEnforcingWrapper(VectorRewardParallelToAEC(parallel_env))
