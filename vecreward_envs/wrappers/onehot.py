"""One-hot planes of the maze observation, for multilayer perceptrons (stable-baselines3's ``MlpPolicy``)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class MazeOneHotObservation(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """ConflictMaze's integer observation as float32 one-hot planes.

    The maze observation packs categorical values into integers (cell codes 0..n_codes-1, the agent's flat
    position 0..H*W-1): an MLP reads "position 40" as a magnitude. This wrapper rewrites it as::

        [ one_hot(cell code)  for each cell   ]   H*W*n_codes   (cell-major: cell 0's n_codes entries first)
        [ one_hot(agent cell)                 ]   H*W
        [ steps_left / config.max_budget      ]   1
        [ bonus visited (0/1)                 ]   1
        [ any entries after the maze part     ]   E, cast to float32 (e.g. DirichletWeightedReward's weights)

    ``observation_space`` is ``Box(float32, [H*W*(n_codes+1) + 2 + E])`` with bounds [0, 1] for the planes and
    the inner bounds for the trailing entries. Rewards and infos pass through unchanged. Apply it outermost
    (outside ``MazeDistanceShaping``, which reads the agent's cell from the maze observation).

    Args:
        env: ConflictMaze, possibly wrapped by wrappers that keep the maze observation as a prefix
            (``LinearReward``, ``TchebycheffReward``, ``DirichletWeightedReward``, ``MazeDistanceShaping``).

    Raises:
        TypeError: not a ConflictMaze env, or the observation does not start with the maze observation.
    """

    def __init__(self, env: gym.Env) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.ObservationWrapper.__init__(self, env)
        config = getattr(env.unwrapped, "config", None)
        if not all(hasattr(config, name) for name in ("n_cells", "n_cell_codes", "max_budget")):
            raise TypeError(f"MazeOneHotObservation needs a ConflictMaze env, got {type(env.unwrapped).__name__}")
        inner = env.observation_space
        n_cells = config.n_cells
        if not isinstance(inner, spaces.Box) or len(inner.shape) != 1 or inner.shape[0] < n_cells + 3:
            raise TypeError(f"MazeOneHotObservation needs the maze observation (or a wrapper keeping it as a "
                            f"prefix), got {inner!r}")
        self._n_cells, self._n_codes, self._max_budget = n_cells, config.n_cell_codes, float(config.max_budget)
        n_extra = inner.shape[0] - (n_cells + 3)
        n_planes = n_cells * (self._n_codes + 1) + 2
        low = np.concatenate([np.zeros(n_planes, np.float32), np.asarray(inner.low[n_cells + 3:], np.float32)])
        high = np.concatenate([np.ones(n_planes, np.float32), np.asarray(inner.high[n_cells + 3:], np.float32)])
        self.observation_space = spaces.Box(low=low, high=high, dtype=np.float32)
        self._cell_index = np.arange(n_cells) * self._n_codes  # where each cell's one-hot block starts
        self._n_extra = n_extra

    def observation(self, observation: Any) -> np.ndarray:
        """The one-hot layout described in the class docstring."""
        obs = np.asarray(observation)
        n_cells, n_codes = self._n_cells, self._n_codes
        out = np.zeros(self.observation_space.shape[0], dtype=np.float32)
        codes = obs[:n_cells].astype(np.int64)  # [C]
        out[self._cell_index + codes] = 1.0
        planes = n_cells * n_codes
        out[planes + int(obs[n_cells])] = 1.0
        out[planes + n_cells] = float(obs[n_cells + 1]) / self._max_budget
        out[planes + n_cells + 1] = float(obs[n_cells + 2])
        out[planes + n_cells + 2:] = obs[n_cells + 3:]
        return out
