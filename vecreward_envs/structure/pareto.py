"""Exact Pareto front of a reward-structure instance: every non-dominated noise-free reward vector.

Each objective's reward is a nondecreasing function of an integer count of *units* it collects over its positions
(matches for binary and levels, h - d credit units for continuous, reserved values for the proxy: the same units
the kernel counts), and each position's value adds to the units of every objective that reads it, independently of
the other positions. So a dynamic programme over positions keeps the achievable unit vectors, dropping any vector
another one dominates (its completions can only be dominated too), with a witness answer each. The monotone
transforms (``kernels.py``'s granularities) then give reward vectors, and a last filter keeps the non-dominated
distinct ones. The front is the same for every instance of a config up to relabelling the values; it is still
computed per instance (the witnesses are that instance's answers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecreward_envs.structure.instance import StructureInstance
from vecreward_envs.structure.layout import BINARY, CONTINUOUS, LEVELS, PROXY, Layout, layout

MAX_STATES = 200_000
"""Most non-dominated unit vectors the programme may hold after a position (a clear error beyond)."""


@dataclass(frozen=True)
class StructureFront:
    """The exact front of one instance."""

    rewards: np.ndarray
    """float32 [P, J] non-dominated distinct noise-free reward vectors, sorted lexicographically (descending)."""
    answers: np.ndarray
    """int64 [P, L + 1] one witness answer per vector (L values, then STOP)."""


def nondominated(points: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated rows of ``points`` [S, J] (maximized; of equal rows, the first)."""
    order = np.lexsort(points.T[::-1])[::-1]  # lexicographically descending: no row is dominated by a later one
    order = order[np.argsort(-points[order].sum(axis=1), kind="stable")]
    kept: list[int] = []
    for i in order:
        row = points[i]
        if kept:
            others = points[kept]
            if np.any(np.all(others >= row, axis=1)):  # dominated, or equal to a kept row
                continue
        kept.append(int(i))
    return np.array(kept, dtype=np.int64)


def _increments(lay: Layout, targets: np.ndarray) -> list[np.ndarray]:
    """Per position q, int64 [V, J]: the units each value adds to each objective."""
    mod = lay.n_values - 1
    half = mod // 2
    values = np.arange(lay.n_values)
    incs = [np.zeros((lay.n_values, lay.n_pos.shape[0]), dtype=np.int64) for _ in range(lay.length)]
    for j in range(lay.n_pos.shape[0]):
        for p in range(int(lay.n_pos[j])):
            q = int(lay.positions[j, p])
            if lay.kind[j] == PROXY:
                incs[q][:, j] += values == mod
            elif lay.kind[j] == CONTINUOUS:
                d = np.abs(values - targets[j, p])
                d = np.minimum(d, mod - d)
                incs[q][:, j] += np.where(values < mod, np.maximum(half - d, 0), 0)
            else:
                incs[q][:, j] += values == targets[j, p]
    return incs


def rewards_of_units(lay: Layout, units: np.ndarray) -> np.ndarray:
    """float32 [S, J] noise-free rewards of unit vectors [S, J] (the kernel's granularity transforms)."""
    n = lay.n_pos.astype(np.float64)
    half = (lay.n_values - 1) // 2
    steps = np.maximum(lay.levels - 1, 1)
    out = np.empty(units.shape, dtype=np.float64)
    for j in range(units.shape[1]):
        u = units[:, j]
        if lay.kind[j] == BINARY:
            out[:, j] = (u == lay.n_pos[j]).astype(np.float64)
        elif lay.kind[j] == LEVELS:
            out[:, j] = (u * steps[j] // lay.n_pos[j]) / steps[j]
        elif lay.kind[j] == CONTINUOUS:
            out[:, j] = u / (half * n[j])
        else:
            out[:, j] = u / n[j]
    return out.astype(np.float32)


def pareto_front(instance: StructureInstance, max_states: int = MAX_STATES) -> StructureFront:
    """The exact noise-free front of ``instance`` with a witness answer per point.

    Raises:
        ValueError: more than ``max_states`` non-dominated partial unit vectors (a very large config).
    """
    lay = layout(instance.config)
    incs = _increments(lay, instance.targets)
    units = np.zeros((1, lay.n_pos.shape[0]), dtype=np.int64)  # [S, J]
    witness = np.zeros((1, 0), dtype=np.int64)  # [S, t]
    for q in range(lay.length):
        _, first = np.unique(incs[q], axis=0, return_index=True)  # values with equal increments: keep one
        values = np.sort(first)
        cand = (units[:, None, :] + incs[q][values][None, :, :]).reshape(-1, units.shape[1])  # [S * V', J]
        cand_w = np.concatenate([np.repeat(witness, len(values), axis=0),
                                 np.tile(values, units.shape[0])[:, None]], axis=1)
        keep = nondominated(cand)
        if len(keep) > max_states:
            raise ValueError(f"pareto_front: more than {max_states} non-dominated partial answers after position "
                             f"{q + 1} of {lay.length}; use a smaller config")
        units, witness = cand[keep], cand_w[keep]
    rewards = rewards_of_units(lay, units)
    keep = nondominated(rewards)
    rewards, witness = rewards[keep], witness[keep]
    order = np.lexsort(rewards.T[::-1])[::-1]
    answers = np.full((len(order), lay.length + 1), lay.n_values, dtype=np.int64)
    answers[:, : lay.length] = witness[order]
    return StructureFront(rewards=rewards[order], answers=answers)
