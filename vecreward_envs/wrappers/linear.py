"""Fixed linear scalarization of a vector reward, for single-objective learners (stable-baselines3)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from vecreward_envs import scalarize
from vecreward_envs.wrappers._common import as_vector, check_reward_vector, reward_box


class LinearReward(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Scalar reward ``s_t = sum_k w_k r_{t,k}`` with fixed weights; the raw vector stays in the info.

    Formula (per step, on the step vector ``r_t`` of the wrapped env)::

        s_t = sum over applicable k of  w_k * r_{t,k}

    Because the scalarization is linear, scalarizing each step equals scalarizing the episode's summed vector:
    ``sum_t s_t = w . sum_t r_t``. For a terminal-only env (ConflictMaze emits zeros until the last step) the
    scalar is therefore 0 before the last step and ``w . R`` on it, the same number an episode-level
    scalarization would give.

    NaN entries (objective not applicable) are left out of the sum (they contribute 0, the other weights are not
    renormalized); a step whose entries are all NaN gives 0.0.

    ``info["vector_reward"]`` is a float32 ``[K]`` copy of the wrapped env's raw step vector and
    ``info["weights"]`` the float32 weights. Observation and action spaces are unchanged. The reward is a Python
    ``float`` (what stable-baselines3 expects).

    Args:
        env: a vector-reward env (``env.unwrapped.reward_space`` a ``Box(shape=(K,))``), not yet scalarized.
        weights: K finite weights, one per reward entry in ``env.unwrapped.reward_names`` order; negative entries
            are allowed (they penalize an objective) but not all may be zero. Default: all ones (plain sum).

    Raises:
        TypeError: the env has no vector reward space.
        ValueError: weights of the wrong length, non-finite, or all zero.
    """

    def __init__(self, env: gym.Env, weights: Any = None) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, weights=weights)
        gym.Wrapper.__init__(self, env)
        self.reward_dim = reward_box(env).shape[0]
        w = np.ones(self.reward_dim) if weights is None else as_vector("weights", weights, self.reward_dim)
        if not np.any(w != 0):
            raise ValueError(f"weights must not all be zero, got {w.tolist()}")
        self.weights = w  # float64 [K]

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Step the env and return ``w . r`` (NaN entries left out) as the reward."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        vector = check_reward_vector(reward, self.reward_dim, type(self).__name__)
        info["vector_reward"] = vector
        info["weights"] = self.weights.astype(np.float32)
        return obs, float(scalarize.linear(vector, self.weights, empty=0.0)), terminated, truncated, info
