"""The "not applicable" convention every registered id shares.

Inside the task families and the bridge, an objective that does not apply to a task (no call requested, no
test of that kind, no format to check for token answers) is NaN, and every aggregation scheme handles it. NaN
does not survive the Gymnasium ecosystem, though: ``check_env`` compares rewards with ``np.allclose`` (NaN never
equals NaN), MO-Gymnasium's ``LinearReward`` turns one NaN entry into a NaN scalar, and episode statistics become
NaN. So the envs fill it:

- ``step`` returns a finite reward by default: a not-applicable entry holds ``na_value`` (default ``0.0``);
- ``info["applicable"]`` (bool [K], [N, K] in a vector env) says which entries apply, on every step;
- ``na_value=float("nan")`` at ``gym.make``/``make_vec`` keeps NaN, for code that handles it (our own checker does).

Which entries apply depends on the task (and, for CodeTests' ``format``, on the view), never on the action, so the
fill is one constant per task: it shifts no preference between two answers to the same task.
"""

from __future__ import annotations

import math

import numpy as np


def check_na_value(na_value: object, low: np.ndarray, high: np.ndarray) -> float:
    """``na_value`` as a float: NaN, or a number inside the reward bounds (so filled rewards stay in the space).

    Raises:
        ValueError: anything else (one line).
    """
    if isinstance(na_value, bool) or not isinstance(na_value, (int, float, np.integer, np.floating)):
        raise ValueError(f"na_value must be a float (NaN keeps NaN), got {na_value!r}")
    value = float(na_value)
    if not math.isnan(value) and not (np.all(low <= value) and np.all(value <= high)):
        raise ValueError(f"na_value must be NaN or inside the reward bounds [{low.min()}, {high.max()}], "
                         f"got {value}")
    return value


def fill_not_applicable(rewards: np.ndarray, na_value: float) -> tuple[np.ndarray, np.ndarray]:
    """float32 rewards [..., K] with NaN replaced by ``na_value``, and the applicable mask bool [..., K]."""
    applicable = ~np.isnan(rewards)
    if math.isnan(na_value) or applicable.all():
        return rewards, applicable
    return np.where(applicable, rewards, np.float32(na_value)).astype(np.float32, copy=False), applicable


def all_applicable(k: int) -> np.ndarray:
    """A new bool [K] of ones: the mask of an env whose objectives always apply.

    New at each call: Gymnasium's checker, rightly, refuses infos that share objects between steps.
    """
    return np.ones(k, dtype=np.bool_)
