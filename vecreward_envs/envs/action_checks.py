"""Checks every env's ``step`` shares: the episode order, and structured actions that lie in the action space.

Structured actions are checked like ``action_space.contains`` (exact shape, integer values within the space), and
a wrong one raises a one-line ``ValueError`` that names the env id, its action space and what was wrong (wrong
shape, wrong dtype kind, out of range). Text views take any object as a completion (an unreadable completion is
a reward outcome), so they are not checked here. A ``step`` before the first ``reset`` or after the episode ended
raises ``ResetNeeded``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.error import ResetNeeded as GymResetNeeded


class ResetNeeded(RuntimeError, GymResetNeeded):
    """``step`` called before ``reset`` or after the episode ended.

    A ``RuntimeError`` and also Gymnasium's ``ResetNeeded`` (what ``gym.make``'s order-enforcing wrapper raises on a
    ``step`` before the first ``reset``), so one ``except`` clause catches every order error, wrapped or not.
    """


def reset_needed(env: object) -> ResetNeeded:
    """The error of a ``step`` before ``reset`` or after the episode ended (the wording ConflictMaze-v0 uses)."""
    return ResetNeeded(f"{type(env).__name__}.step() called before reset() or after the episode ended")


def env_name(env: object) -> str:
    """The env's registered id (``gym.make`` sets it), else its class name."""
    spec = getattr(env, "spec", None)
    return str(spec.id) if spec is not None else type(env).__name__


def describe(value: Any) -> str:
    """A short one-line description of a rejected value."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} dtype {value.dtype}"
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _reject(env: object, space: str, legend: str, problem: str) -> ValueError:
    return ValueError(f"{env_name(env)}: action not in the action space {space}: {problem} ({legend})")


def bad_discrete(env: object, action: Any, n: int, legend: str) -> ValueError:
    """The error for an action outside ``Discrete(n)`` (callers keep their own fast check of the valid case)."""
    value = action.item() if isinstance(action, np.ndarray) and action.shape == () else action
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return _reject(env, f"Discrete({n})", legend, f"not an int: {describe(action)}")
    return _reject(env, f"Discrete({n})", legend, f"out of range: {int(value)}")


def int_array_problem(action: Any, shape: tuple[int, ...]) -> tuple[np.ndarray | None, str]:
    """``(array, "")`` when ``action`` is an integer array (or sequence of ints) of ``shape``, else ``(None, why)``."""
    if isinstance(action, np.ndarray):
        array = action
    else:
        try:
            array = np.asarray(action)
        except (ValueError, TypeError):  # ragged sequences
            return None, f"not an array of integers: {describe(action)}"
    if array.dtype == object:
        return None, f"not an array of integers: {describe(action)}"
    if array.shape != shape:
        return None, f"wrong shape {array.shape}, expected {shape}"
    if array.dtype.kind not in "iu":
        return None, f"wrong dtype {array.dtype}, expected integers"
    return array, ""


def check_tokens(env: object, action: Any, length: int, n: int, legend: str) -> np.ndarray:
    """``action`` as an integer array in ``MultiDiscrete([n] * length)``, else a one-line ValueError.

    Accepts integer arrays and sequences of ints of shape ``(length,)`` with every value in ``0..n-1``; rejects any
    other shape or length, float, bool or object values, and values out of range.
    """
    tokens, problem = int_array_problem(action, (length,))
    if tokens is None:
        raise _reject(env, f"MultiDiscrete([{n}] * {length})", legend, problem)
    if tokens.min() < 0 or tokens.max() >= n:
        bad = int(np.flatnonzero((tokens < 0) | (tokens >= n))[0])
        raise _reject(env, f"MultiDiscrete([{n}] * {length})", legend,
                      f"out of range: action[{bad}] = {int(tokens[bad])}")
    return tokens
