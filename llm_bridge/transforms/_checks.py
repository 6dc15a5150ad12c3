"""Argument checks shared by the transforms."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from llm_bridge._arrays import as_float_array
from llm_bridge._validate import index_list, indices_in_range

__all__ = ["check_indices", "check_real", "check_rewards"]


def check_rewards(rewards: Any, what: str) -> np.ndarray:
    """Rewards ``[..., K]`` with at least 3 dimensions (``[B, G, K]`` or ``[B, G, m, K]``), no infinities."""
    r = as_float_array(rewards, what)
    if r.ndim < 3:
        raise ValueError(f"{what} must be [B, G, K] (or [B, G, m, K]), got shape {r.shape}")
    if np.isinf(r).any():
        raise ValueError(f"{what} contain infinite values; use NaN for 'not applicable'")
    return r


def check_indices(name: str, value: Any, k: int, what: str) -> list[int]:
    """A non-empty list of objective indices in ``[-K, K)``; returned sorted, unique and >= 0."""
    return indices_in_range(index_list(value, f"{what}: {name!r}"), k, f"{what}: {name!r}")


def check_real(name: str, value: Any, what: str) -> float:
    """A finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ValueError(f"{what}: {name!r} must be a finite number, got {value!r}")
    return float(value)
