"""One route walked in plain Python, and the reward vector of the item cells a walk entered.

The reference the rest of the package builds on outside the kernels: the family's directive messages walk a
route with ``simulate_route``, the exact Pareto front and the multi-agent twin score sets of entered cells with
``score_visits``, and ``kernels_py.score_route_py`` (the twin of ``score_routes_kernel``) is the two in a row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vecreward_envs.maze.config import BONUS, END, ITEM0, LAVA, STOP, WALL, MazeConfig
from vecreward_envs.maze.instance import MazeInstance

_OFFSETS = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1)}


def simulate_route(instance: MazeInstance, moves: Sequence[int]) -> dict:
    """Walk ``moves`` (codes 0..3, STOP ends) on the maze; returns the visited items and whether E was reached."""
    grid = instance.cells
    size = instance.config.size
    r, c = instance.start
    visited: set[tuple[int, int]] = set()
    reached = False
    steps = 0
    for move in list(moves)[: instance.budget]:
        if move == STOP:
            break
        dr, dc = _OFFSETS[int(move)]
        if 0 <= r + dr < size and 0 <= c + dc < size and grid[r + dr][c + dc] != WALL:
            r, c = r + dr, c + dc
        steps += 1
        if grid[r][c] == END:
            reached = True
            break
        if grid[r][c] in (LAVA, BONUS) or grid[r][c] >= ITEM0:
            visited.add((r, c))
    return {"visited": visited, "reached_end": reached, "steps": steps, "final": (r, c)}


def score_visits(instance: MazeInstance, visited: set[tuple[int, int]], reached: bool) -> np.ndarray:
    """Reward vector of a walk from the set of item cells it entered before E."""
    config: MazeConfig = instance.config
    k = config.n_objectives
    if not reached:
        return np.zeros(k, dtype=np.float32)
    codes = [int(instance.cells[r][c]) for r, c in visited]
    bonus = BONUS in codes
    mult = config.bonus_multiplier if (config.score_mode == "convex_bonus" and bonus) else 1.0
    fractions = []
    for t, total in enumerate(instance.item_totals):
        fractions.append(codes.count(ITEM0 + t) / total if total > 0 else 0.0)
    lava = codes.count(LAVA)
    fractions.append(1.0 - config.lava_penalty * lava / instance.lava_total if instance.lava_total > 0 else 1.0)
    values = [1.0]
    for frac in fractions:
        frac = min(max(frac, 0.0), 1.0)
        if config.score_mode == "convex_bonus":
            frac = min(max(mult * frac**2, 0.0), 1.0)
        values.append(frac)
    return np.array(values, dtype=np.float32)
