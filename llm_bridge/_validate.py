"""Argument checks shared by aggregators and transforms (clear messages naming the caller)."""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["index_list", "indices_in_range"]


def index_list(value: Any, what: str) -> tuple[int, ...]:
    """A non-empty list of objective indices (an int counts as a list of one), as a tuple of ints.

    Args:
        value: The user's value.
        what: Prefix of the error message, e.g. ``"psr: parameter 'success_objectives'"``.

    Raises:
        ValueError: Empty, not a list of integers (bools and strings rejected).
    """
    items = [value] if isinstance(value, numbers.Integral) else value
    try:
        items = list(items)
    except TypeError:
        items = []
    if (
        isinstance(value, (str, bytes))
        or not items
        or any(isinstance(i, bool) or not isinstance(i, numbers.Integral) for i in items)
    ):
        raise ValueError(f"{what} must be a non-empty list of objective indices, got {value!r}")
    return tuple(int(i) for i in items)


def indices_in_range(indices: tuple[int, ...], k: int, what: str) -> list[int]:
    """Check indices against K (negative ones count from the end); returns them sorted, unique, >= 0."""
    bad = [i for i in indices if not -k <= i < k]
    if bad:
        raise ValueError(f"{what} has indices {bad} out of range for K={k}")
    return sorted({i % k for i in indices})
