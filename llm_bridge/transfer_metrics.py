"""Backward transfer and forgetting of a schedule, from the matrix of held-out scores after each stage.

``R[s, t]`` is task t's held-out score (a normalized metric, ``eval/best@1`` by default) after stage s, s = 0..S-1;
``last[t]`` is the last stage that trains task t.

- **BWT** (backward transfer; Lopez-Paz and Ranzato, GEM, arXiv 1706.08840, eq. 2, the measure Omni-Thinker,
  arXiv 2507.14783, orders its curriculum by): ``BWT = mean_t (R[S-1, t] - R[last[t], t])`` over the tasks whose
  last training stage is not the final one. Negative: later stages undid what was learned.
- **Forgetting** (Chaudhry et al., arXiv 1801.10112, eq. 5): ``F = mean_t max_{l in [first[t], S-2]} R[l, t] -
  R[S-1, t]`` over the same tasks: the drop from the best score a task reached after it was first trained.
- **Pairwise transfer** (Omni-Thinker's BWT between two tasks): ``T[s, t] = R[s, t] - R[s-1, t]`` for a task t that
  stage s does not train: what training stage s's tasks did to task t.

A schedule whose every task is trained in its final stage (joint training) has no task to measure: BWT and
forgetting are NaN there, as the definitions have no term.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _tasks_left(trained: Sequence[Sequence[bool]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """first[t], last[t] training stage (-1: never) and the mask of tasks measured by BWT/forgetting."""
    m = np.asarray(trained, dtype=bool)  # [S, T]
    s = m.shape[0]
    first = np.where(m.any(0), m.argmax(0), -1)
    last = np.where(m.any(0), s - 1 - m[::-1].argmax(0), -1)
    measured = (last >= 0) & (last < s - 1)
    return first, last, measured


def backward_transfer(scores: np.ndarray, trained: Sequence[Sequence[bool]]) -> float:
    """GEM's BWT of scores R [S, T] given which stages train which task (bool [S, T]); NaN if no task qualifies."""
    r = np.asarray(scores, dtype=np.float64)
    _, last, measured = _tasks_left(trained)
    if not measured.any():
        return float("nan")
    cols = np.flatnonzero(measured)
    return float(np.mean(r[-1, cols] - r[last[cols], cols]))


def forgetting(scores: np.ndarray, trained: Sequence[Sequence[bool]]) -> float:
    """Chaudhry's average forgetting of scores R [S, T]; NaN if no task qualifies."""
    r = np.asarray(scores, dtype=np.float64)
    first, _, measured = _tasks_left(trained)
    if not measured.any():
        return float("nan")
    drops = [np.max(r[first[t]:r.shape[0] - 1, t]) - r[-1, t] for t in np.flatnonzero(measured)]
    return float(np.mean(drops))


def pairwise_transfer(scores: np.ndarray, trained: Sequence[Sequence[bool]]) -> np.ndarray:
    """T [S, T]: each stage's change of each task it does not train (NaN where it trains it, and for stage 0)."""
    r = np.asarray(scores, dtype=np.float64)
    m = np.asarray(trained, dtype=bool)
    out = np.full_like(r, np.nan)
    out[1:] = r[1:] - r[:-1]
    out[m] = np.nan
    return out
