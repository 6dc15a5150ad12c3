"""Per-episode Dirichlet weights appended to the observation: one weight-conditioned policy for all trade-offs."""

from __future__ import annotations

from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from vecreward_envs import scalarize
from vecreward_envs.wrappers._common import (
    EpisodeVector,
    as_finite_float,
    as_vector,
    check_nonnegative_weights,
    check_reward_vector,
    reward_box,
)
from vecreward_envs.wrappers.tchebycheff import check_utopia


class DirichletWeightedReward(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Draw weights ``w ~ Dirichlet(alpha * 1_K)`` at each reset, scalarize with them, and show them to the policy.

    Weights. At every ``reset`` the wrapper draws ``w`` from ``env.unwrapped.np_random``, the env's own seeded
    generator (after the env's reset, so ``reset(seed=s)`` reproduces both the env's episode and ``w``; no global
    RNG). ``w`` lies on the simplex (``w_k >= 0``, ``sum_k w_k = 1``; float32). ``alpha = 1`` is uniform over the
    simplex, smaller alpha favours corners (one objective), larger alpha the centre. ``reset(options={"weights":
    w})`` plays an episode with given weights instead (non-negative, positive sum; divided by their sum), for
    evaluation at chosen trade-offs; the option is not passed on to the env.

    Observation. ``observation_space`` becomes ``Box(float32, [D + K])``: the wrapped env's observation (a
    ``Box`` of any shape and dtype) flattened and cast to float32, then ``w``. Bounds are the original bounds
    (cast) followed by ``[0, 1]``. The weights are also in ``info["weights"]`` after reset and at every step.

    Reward, with ``scalarization``:

    - ``"linear"`` (default): ``s_t = sum_{k applicable} w_k r_{t,k}`` per step (linear, so this equals
      ``w . R`` summed over the episode; see ``LinearReward``).
    - ``"tchebycheff"``: ``s(R) = -max_k w_k (z*_k - R_k) + rho * sum_k w_k R_k`` on the episode's summed
      vector ``R``, emitted on the step that ends the episode, 0.0 before (see ``TchebycheffReward``,
      ``mode="episode"``, for why); ``info["episode_vector_reward"]`` holds ``R`` on that step.

    NaN entries (objective not applicable) are left out of the weighted sum, the max and the augmentation sum,
    as in ``LinearReward`` and ``TchebycheffReward``.

    ``info["vector_reward"]`` is a float32 ``[K]`` copy of the raw step vector. The reward is a Python float.

    Args:
        env: a vector-reward env (``env.unwrapped.reward_space`` a ``Box(shape=(K,))``) with a ``Box``
            observation space, not yet scalarized.
        alpha: concentration of the symmetric Dirichlet, finite and > 0.
        scalarization: ``"linear"`` or ``"tchebycheff"``.
        utopia: z* for ``"tchebycheff"`` (default ``reward_space.high``; must be >= it).
        rho: augmentation coefficient for ``"tchebycheff"``, finite and >= 0.

    Raises:
        TypeError: the env has no vector reward space or no Box observation space.
        ValueError: bad alpha, scalarization, utopia or rho (at construction) or bad option weights (at reset).
    """

    def __init__(self, env: gym.Env, alpha: float = 1.0, scalarization: Literal["linear", "tchebycheff"] = "linear",
                 utopia: Any = None, rho: float = 0.01) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, alpha=alpha, scalarization=scalarization, utopia=utopia,
                                                 rho=rho)
        gym.Wrapper.__init__(self, env)
        self.reward_dim = k = reward_box(env).shape[0]
        self.alpha = as_finite_float("alpha", alpha, strict=True)
        if scalarization not in ("linear", "tchebycheff"):
            raise ValueError(f"scalarization must be 'linear' or 'tchebycheff', got {scalarization!r}")
        self.scalarization = scalarization
        self.utopia = check_utopia(utopia, env, k)
        self.rho = as_finite_float("rho", rho)
        inner = env.observation_space
        if not isinstance(inner, spaces.Box):
            raise TypeError(f"DirichletWeightedReward needs a Box observation space, got {inner!r}")
        low = np.concatenate([np.asarray(inner.low, dtype=np.float32).ravel(), np.zeros(k, dtype=np.float32)])
        high = np.concatenate([np.asarray(inner.high, dtype=np.float32).ravel(), np.ones(k, dtype=np.float32)])
        self.observation_space = spaces.Box(low=low, high=high, dtype=np.float32)
        self.weights = np.full(k, 1.0 / k, dtype=np.float32)  # replaced at every reset
        self._episode = EpisodeVector(k)

    def _observe(self, obs: Any) -> np.ndarray:
        return np.concatenate([np.asarray(obs, dtype=np.float32).ravel(), self.weights])

    def _weights_from_option(self, value: Any) -> np.ndarray:
        w = as_vector("options['weights']", value, self.reward_dim)
        check_nonnegative_weights("options['weights']", w)
        return (w / w.sum()).astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env, then draw ``w`` from its seeded generator (or take ``options["weights"]``)."""
        given = None
        if options is not None and "weights" in options:
            given = self._weights_from_option(options["weights"])
            options = {key: value for key, value in options.items() if key != "weights"}
        obs, info = self.env.reset(seed=seed, options=options)
        if given is None:
            draw = self.env.unwrapped.np_random.dirichlet(np.full(self.reward_dim, self.alpha))  # float64 [K]
            given = (draw / draw.sum()).astype(np.float32)
        self.weights = given
        self._episode.clear()
        info["weights"] = self.weights.copy()
        return self._observe(obs), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Step the env; the reward is the episode's weights applied to the reward vector (see the class doc)."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        vector = check_reward_vector(reward, self.reward_dim, type(self).__name__)
        info["vector_reward"] = vector
        info["weights"] = self.weights.copy()
        w = self.weights.astype(np.float64)
        if self.scalarization == "linear":
            scalar = float(scalarize.linear(vector, w, empty=0.0))
        else:
            self._episode.add(vector)
            scalar = 0.0
            if terminated or truncated:
                episode_vector = self._episode.value()
                info["episode_vector_reward"] = episode_vector
                scalar = float(scalarize.tchebycheff(episode_vector, w, self.utopia, self.rho, empty=0.0))
                self._episode.clear()
        return self._observe(obs), scalar, terminated, truncated, info
