"""Shared pieces of the scalarizing wrappers: argument checks and the episode accumulator.

The scalarizations themselves live in :mod:`vecreward_envs.scalarize` (shared with ``llm_bridge.aggregators``).
NaN in a reward vector means "objective not applicable" (the vecreward env contract): they leave such entries out
explicitly instead of letting NaN poison the scalar, and a vector with no applicable entry scalarizes to 0 here.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


def reward_box(env: gym.Env) -> spaces.Box:
    """``env.unwrapped.reward_space``, checked to be a ``Box(shape=(K,))`` (the MO-Gymnasium convention).

    Raises:
        TypeError: the env does not declare a vector reward space.
    """
    space = getattr(env.unwrapped, "reward_space", None)
    if not isinstance(space, spaces.Box) or len(space.shape) != 1 or space.shape[0] < 1:
        raise TypeError(
            f"{type(env.unwrapped).__name__} must declare env.unwrapped.reward_space as a gymnasium Box of shape "
            f"(K,) (a vector-reward env); got {space!r}"
        )
    return space


def as_vector(name: str, value: Any, k: int) -> np.ndarray:
    """``value`` as a finite float64 vector of length ``k``.

    Raises:
        ValueError: wrong shape, non-numeric or non-finite entries.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of {k} finite numbers, got {value!r}") from exc
    if array.shape != (k,):
        raise ValueError(f"{name} must have length K = {k} (one entry per reward), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array.tolist()}")
    return array


def check_nonnegative_weights(name: str, weights: np.ndarray) -> None:
    """Weights must be >= 0 with at least one > 0.

    Raises:
        ValueError: a negative entry, or all zero.
    """
    if np.any(weights < 0):
        raise ValueError(f"{name} must be non-negative, got {weights.tolist()}")
    if not np.any(weights > 0):
        raise ValueError(f"{name} must have at least one positive entry, got {weights.tolist()}")


def as_finite_float(name: str, value: Any, *, low: float = 0.0, strict: bool = False) -> float:
    """``value`` as a finite float ``>= low`` (``> low`` when ``strict``).

    Raises:
        ValueError: not a real number, not finite, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < low or (strict and value == low):
        raise ValueError(f"{name} must be a finite number {'>' if strict else '>='} {low}, got {value!r}")
    return value


def check_reward_vector(reward: Any, k: int, wrapper: str) -> np.ndarray:
    """The env's step reward as a float32 ``[K]`` copy (the raw vector kept in ``info["vector_reward"]``).

    Raises:
        TypeError: the wrapped env did not return a reward vector of length K (e.g. it is already scalarized).
    """
    vector = np.asarray(reward)
    if vector.shape != (k,):
        raise TypeError(f"{wrapper} needs the wrapped env to return a reward vector of shape ({k},), got "
                        f"{type(reward).__name__} of shape {vector.shape}; put scalarizing wrappers directly "
                        "around the vector-reward env")
    return vector.astype(np.float32, copy=True)


class EpisodeVector:
    """Sum of an episode's step vectors, with NaN marking an objective not applicable for the episode.

    ``R_k = sum_t r_{t,k}``; ``R_k`` is NaN when any step reported NaN for objective k (for a terminal-only env
    such as ConflictMaze, whose earlier steps are zeros, this is exactly "NaN on the final step").
    """

    def __init__(self, k: int) -> None:
        self.total = np.zeros(k, dtype=np.float64)  # [K]

    def clear(self) -> None:
        """Start a new episode."""
        self.total[:] = 0.0

    def add(self, vector: np.ndarray) -> None:
        """Add one step's vector (NaN stays NaN: NaN + x = NaN)."""
        self.total += vector

    def value(self) -> np.ndarray:
        """The episode vector so far as float32 ``[K]``."""
        return self.total.astype(np.float32)
