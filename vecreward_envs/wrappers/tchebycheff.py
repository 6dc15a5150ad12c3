"""Augmented Tchebycheff scalarization with a fixed utopia point (``shared/reference/aggregators.md`` section 9)."""

from __future__ import annotations

from typing import Any, Literal

import gymnasium as gym
import numpy as np

from vecreward_envs import scalarize
from vecreward_envs.wrappers._common import (
    EpisodeVector,
    as_finite_float,
    as_vector,
    check_nonnegative_weights,
    check_reward_vector,
    reward_box,
)


def check_utopia(utopia: Any, env: gym.Env, k: int) -> np.ndarray:
    """The utopia point z*: default ``reward_space.high``; must be finite and >= every finite upper bound.

    Raises:
        ValueError: wrong shape, non-finite, below the reward upper bound, or no finite default exists.
    """
    high = np.asarray(reward_box(env).high, dtype=np.float64)
    if utopia is None:
        if not np.all(np.isfinite(high)):
            raise ValueError(f"reward_space.high {high.tolist()} is not finite: pass an explicit utopia point")
        return high.copy()
    z = as_vector("utopia", utopia, k)
    below = np.isfinite(high) & (z < high)
    if below.any():
        raise ValueError(f"utopia {z.tolist()} must be >= the reward upper bound reward_space.high "
                         f"{high.tolist()} (a fixed utopia point dominates every attainable vector)")
    return z


class TchebycheffReward(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Augmented Tchebycheff scalar of the episode's reward vector, with a fixed utopia point.

    Formula, on a reward vector ``r`` (aggregators.md section 9)::

        s(r) = -max_k w_k (z*_k - r_k) + rho * sum_k w_k r_k

    with ``z*`` fixed (default ``env.unwrapped.reward_space.high``, the reward upper bound; never a max over
    observed rewards) and ``rho = 0.01``. ``s <= rho * sum_k w_k z*_k`` with equality only at ``r = z*``.

    Per-step semantics (``mode``). Tchebycheff is not additive, so scalarizing each step's vector is not the same
    as scalarizing the episode's vector. On ConflictMaze the vector is zero until the last step, and per step
    ``s(0) = -max_k w_k z*_k`` would be a constant per-step penalty unrelated to the objectives: a learner would
    sum T copies of it and prefer short episodes, whatever the weights.

    - ``mode="episode"`` (default): the wrapper sums the step vectors, ``R = sum_t r_t``, emits ``0.0`` on every
      step before the episode ends and ``s(R)`` on the step that ends it (``terminated`` or ``truncated``). The
      undiscounted return is then exactly ``s(R)``, the scalarized episode return, so a learner maximizes the expected
      scalarized return (ESR). For a terminal-only env, ``R`` is the final step's vector. Put this wrapper outside any
      ``TimeLimit`` so that it sees truncations; a ``reset`` mid-episode discards the partial sum.
      ``info["episode_vector_reward"]`` holds ``R`` (float32) on the final step.
    - ``mode="step"``: ``s(r_t)`` on every step, for envs whose per-step vectors are meaningful on their own.

    NaN entries (objective not applicable) are left out of both the max and the sum; an all-NaN vector scores
    0.0. In episode mode an objective reported NaN on any step of the episode is not applicable for the
    episode (for a terminal-only env: NaN on the final step).

    ``info["vector_reward"]`` is always the float32 ``[K]`` copy of the raw step vector; ``info["weights"]`` the
    weights. Observation and action spaces are unchanged; the reward is a Python ``float``.

    Args:
        env: a vector-reward env (``env.unwrapped.reward_space`` a ``Box(shape=(K,))``), not yet scalarized.
        weights: K finite non-negative weights (at least one positive). Default: all ``1/K``.
        utopia: the fixed utopia point z*, K finite entries, each >= the finite ``reward_space.high`` entries.
            Default: ``reward_space.high``.
        rho: augmentation coefficient, finite and >= 0 (0 gives the plain Tchebycheff scalar).
        mode: ``"episode"`` or ``"step"`` (above).

    Raises:
        TypeError: the env has no vector reward space.
        ValueError: bad weights, utopia, rho or mode.
    """

    def __init__(self, env: gym.Env, weights: Any = None, utopia: Any = None, rho: float = 0.01,
                 mode: Literal["episode", "step"] = "episode") -> None:
        gym.utils.RecordConstructorArgs.__init__(self, weights=weights, utopia=utopia, rho=rho, mode=mode)
        gym.Wrapper.__init__(self, env)
        self.reward_dim = k = reward_box(env).shape[0]
        self.weights = np.full(k, 1.0 / k) if weights is None else as_vector("weights", weights, k)
        check_nonnegative_weights("weights", self.weights)
        self.utopia = check_utopia(utopia, env, k)
        self.rho = as_finite_float("rho", rho)
        if mode not in ("episode", "step"):
            raise ValueError(f"mode must be 'episode' or 'step', got {mode!r}")
        self.mode = mode
        self._episode = EpisodeVector(k)

    def scalarize(self, vector: np.ndarray) -> float:
        """``s(r)`` of one vector with this wrapper's weights, utopia and rho (NaN entries left out)."""
        return float(scalarize.tchebycheff(vector, self.weights, self.utopia, self.rho, empty=0.0))

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env and the episode's vector sum."""
        self._episode.clear()
        return self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Step the env; the reward is ``s(R)`` at the episode's end and 0 before (episode mode) or ``s(r_t)``."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        vector = check_reward_vector(reward, self.reward_dim, type(self).__name__)
        info["vector_reward"] = vector
        info["weights"] = self.weights.astype(np.float32)
        if self.mode == "step":
            return obs, self.scalarize(vector), terminated, truncated, info
        self._episode.add(vector)
        scalar = 0.0
        if terminated or truncated:
            episode_vector = self._episode.value()
            info["episode_vector_reward"] = episode_vector
            scalar = self.scalarize(episode_vector)
            self._episode.clear()
        return obs, scalar, terminated, truncated, info
