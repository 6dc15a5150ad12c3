"""Opt-in potential-based reward shaping (Ng, Harada and Russell 1999), and the maze's distance-to-E potential."""

from __future__ import annotations

from collections import deque
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from vecreward_envs.wrappers._common import as_finite_float
from vecreward_envs.wrappers.onehot import MazeOneHotObservation


class PotentialShaping(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Add ``F = gamma * Phi(s') - Phi(s)`` to an already scalar reward; subclasses define ``Phi``.

    Ng et al. (1999): adding a potential-based term leaves the optimal policies of the discounted MDP unchanged,
    because the discounted sum of ``F`` over an episode telescopes to ``gamma^T Phi(s_T) - Phi(s_0)``. To keep
    this in an episodic task the potential of a terminal state is 0 (``Phi(s') = 0`` when ``terminated``); on a
    truncation ``s'`` is not terminal (the learner bootstraps from it) and keeps its potential. Use the
    learner's own discount ``gamma``, or the invariance holds only approximately.

    The wrapped env must already return a scalar reward (put a scalarizing wrapper such as ``LinearReward``
    inside). ``info["vector_reward"]`` set by that wrapper is left untouched; ``info["unshaped_reward"]`` is the
    scalar before shaping and ``info["shaping"]`` is ``F``. Evaluate success and returns on those (or on the
    raw vector), never on the shaped reward.

    Args:
        env: an env with a scalar reward.
        gamma: discount in (0, 1], the learner's.
    """

    def __init__(self, env: gym.Env, gamma: float = 0.99) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, gamma=gamma)  # a subclass that recorded first wins
        gym.Wrapper.__init__(self, env)
        self.gamma = as_finite_float("gamma", gamma, strict=True)
        if self.gamma > 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {gamma!r}")
        self._phi = 0.0

    def potential(self, obs: Any) -> float:
        """``Phi(s)`` of a non-terminal state (subclasses implement it)."""
        raise NotImplementedError

    def reset_potential(self, obs: Any, info: dict[str, Any]) -> None:
        """Hook called after every reset, before ``Phi(s_0)`` is computed (e.g. to read the new instance)."""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env and compute ``Phi(s_0)``."""
        obs, info = self.env.reset(seed=seed, options=options)
        self.reset_potential(obs, info)
        self._phi = self.potential(obs)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Step the env and return ``reward + gamma * Phi(s') - Phi(s)`` (``Phi(s') = 0`` if terminated)."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        if np.ndim(reward) != 0:
            raise TypeError(f"{type(self).__name__} needs a scalar reward; wrap the vector-reward env in a "
                            f"scalarizing wrapper (LinearReward, ...) first, got shape {np.shape(reward)}")
        phi_next = 0.0 if terminated else self.potential(obs)
        shaping = self.gamma * phi_next - self._phi
        self._phi = phi_next
        info["unshaped_reward"] = float(reward)
        info["shaping"] = shaping
        return obs, float(reward) + shaping, terminated, truncated, info


def distance_map(cells: np.ndarray, target: tuple[int, int], wall: int) -> np.ndarray:
    """Fewest moves from every cell to ``target`` (breadth-first search over non-wall cells, 4-neighbour).

    Args:
        cells: [H, W] cell codes.
        target: (row, col).
        wall: the code of a blocking cell.

    Returns:
        int32 [H*W] distances; walls and cells that cannot reach ``target`` get (largest finite distance + 1).
    """
    height, width = cells.shape
    dist = np.full(height * width, -1, dtype=np.int32)
    start = target[0] * width + target[1]
    dist[start] = 0
    queue = deque([target])
    while queue:
        r, c = queue.popleft()
        d = dist[r * width + c] + 1
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= nr < height and 0 <= nc < width and cells[nr, nc] != wall and dist[nr * width + nc] < 0:
                dist[nr * width + nc] = d
                queue.append((nr, nc))
    dist[dist < 0] = dist.max() + 1
    return dist


def _wrapper_chain(env: gym.Env) -> list[gym.Env]:
    chain = [env]
    while isinstance(chain[-1], gym.Wrapper):
        chain.append(chain[-1].env)
    return chain


class MazeDistanceShaping(PotentialShaping):
    """Potential-based shaping toward E on ConflictMaze: ``Phi(s) = -scale * d(s) / d(S)``.

    ``d(s)`` is the fewest moves from the agent's cell to E (breadth-first search over the instance's non-wall
    cells; lava counts as walkable, so the potential says nothing about lava, items or the bonus), and ``d(S)``
    the same from the start, so ``Phi`` runs from ``-scale`` at S to 0 at E on every maze. Per step
    ``F = gamma * Phi(s') - Phi(s)`` (0 potential at a terminal state, see ``PotentialShaping``): about
    ``+scale / d(S)`` for a move toward E, ``-scale / d(S)`` for one away from it. The distances come from
    ``env.unwrapped.instance`` (recomputed when the instance changes) and the agent's cell from the observation's
    entry ``H*W`` (the maze observation or a wrapper that keeps it as a prefix, like
    ``DirichletWeightedReward``; put ``MazeOneHotObservation`` outside this wrapper).

    This is an explicit opt-in: the maze pays only at E, which a random walk almost never reaches within the
    budget, so policy-gradient learners get no signal without it. Optimal policies are unchanged (Ng et al.
    1999), and the raw vector stays in ``info["vector_reward"]``.

    Args:
        env: ConflictMaze (``vecreward/ConflictMaze-v0``) wrapped in a scalarizing wrapper.
        gamma: the learner's discount, in (0, 1].
        scale: size of the potential, finite and > 0.

    Raises:
        TypeError: not a ConflictMaze env, or the observation does not start with the maze observation.
        ValueError: bad gamma or scale.
    """

    def __init__(self, env: gym.Env, gamma: float = 0.99, scale: float = 1.0) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, gamma=gamma, scale=scale)
        super().__init__(env, gamma)
        self.scale = as_finite_float("scale", scale, strict=True)
        base = env.unwrapped
        config = getattr(base, "config", None)
        if not hasattr(base, "instance") or not hasattr(config, "n_cells") or not hasattr(config, "size"):
            raise TypeError(f"MazeDistanceShaping needs a ConflictMaze env, got {type(base).__name__}")
        if any(isinstance(e, MazeOneHotObservation) for e in _wrapper_chain(env)):
            raise TypeError("put MazeOneHotObservation outside MazeDistanceShaping (it reads the agent's cell "
                            "from the maze observation)")
        space = env.observation_space
        if not isinstance(space, spaces.Box) or len(space.shape) != 1 or space.shape[0] < config.n_cells + 3:
            raise TypeError(f"MazeDistanceShaping needs the maze observation (or a wrapper keeping it as a prefix), "
                            f"got {space!r}")
        self._pos_index = config.n_cells
        self._instance: Any = None
        self._dist = np.zeros(config.n_cells, dtype=np.int32)
        self._start_dist = 1

    def reset_potential(self, obs: Any, info: dict[str, Any]) -> None:
        """Recompute the distance map when the env plays a new instance."""
        instance = self.env.unwrapped.instance
        if instance is not self._instance:
            from vecreward_envs.maze.config import WALL  # lazy: keeps this package's import light

            self._dist = distance_map(np.asarray(instance.cells), instance.end, WALL)
            self._instance = instance
        self._start_dist = max(1, int(self._dist[int(obs[self._pos_index])]))

    def potential(self, obs: Any) -> float:
        """``-scale * d(agent cell) / d(S)``."""
        return -self.scale * float(self._dist[int(obs[self._pos_index])]) / self._start_dist
