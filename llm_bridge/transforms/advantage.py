"""Advantage transforms ``[B, G] -> [B, G]``: keep one sign, clip. Docs: ``docs/aggregators/transforms.md``."""

from __future__ import annotations

from typing import Any

import numpy as np

from llm_bridge._arrays import as_float_array
from llm_bridge.transforms._checks import check_real
from llm_bridge.transforms._registry import register_transform

__all__ = ["clip", "negative_only", "positive_only"]


def _advantages(advantages: Any, what: str) -> np.ndarray:
    a = as_float_array(advantages, f"{what}: advantages")
    if a.ndim != 2:
        raise ValueError(f"{what}: advantages must be [B, G], got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{what}: advantages must be finite")
    return a


@register_transform("negative_only", "advantage")
def negative_only(advantages: Any) -> np.ndarray:
    """Keep only negative advantages, ``min(A, 0)``.

    The policy then learns only from below-baseline rollouts (NSR-style, arXiv 2506.01347), whatever the
    aggregator.
    """
    return np.minimum(_advantages(advantages, "negative_only"), 0.0)


@register_transform("positive_only", "advantage")
def positive_only(advantages: Any) -> np.ndarray:
    """Keep only positive advantages, ``max(A, 0)`` (PSR-style)."""
    return np.maximum(_advantages(advantages, "positive_only"), 0.0)


@register_transform("clip", "advantage")
def clip(advantages: Any, *, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Clip advantages to ``[low, high]``.

    Args:
        advantages: ``[B, G]``.
        low: Lower bound (``None``: none).
        high: Upper bound (``None``: none). At least one bound is required, and ``low <= high``.

    Returns:
        ``[B, G]`` clipped advantages.
    """
    a = _advantages(advantages, "clip")
    if low is None and high is None:
        raise ValueError("clip: give low, high or both")
    lo = -np.inf if low is None else check_real("low", low, "clip")
    hi = np.inf if high is None else check_real("high", high, "clip")
    if lo > hi:
        raise ValueError(f"clip: low ({lo}) must be <= high ({hi})")
    return np.clip(a, lo, hi)
