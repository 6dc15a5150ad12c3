"""Plain-Python twins of the maze kernels: slow, obvious, written from the rules (not from the kernels).

They exist to be compared against ``kernels.py`` (equivalence tests) and as the baseline of the benchmark. The
walk and the reward rules they are made of live in ``simulate.py``, which production code uses too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vecreward_envs.maze.instance import MazeInstance
from vecreward_envs.maze.simulate import score_visits, simulate_route

__all__ = ["score_route_py", "score_visits", "simulate_route"]


def score_route_py(instance: MazeInstance, moves: Sequence[int]) -> np.ndarray:
    """float32 [K] reward vector of one route: the twin of ``score_routes_kernel``."""
    sim = simulate_route(instance, moves)
    return score_visits(instance, sim["visited"], sim["reached_end"])
