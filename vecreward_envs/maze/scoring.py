"""Batched route scoring: validation in Python, the work in ``score_routes_kernel``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vecreward_envs.maze.config import N_ROUTE_CODES, STOP
from vecreward_envs.maze.instance import InstanceBatch, MazeInstance
from vecreward_envs.maze.kernels import neighbour_table, score_params, score_routes_kernel
from vecreward_envs.token_arrays import as_code_array


@dataclass(frozen=True)
class RouteScores:
    """Scores of N routes."""

    rewards: np.ndarray
    """float32 [N, K] reward vectors."""
    steps: np.ndarray
    """int32 [N] moves taken (a route stops at E, at STOP, or at the budget)."""
    reached_end: np.ndarray
    """bool [N] whether E was reached."""
    final_pos: np.ndarray
    """int32 [N, 2] final (row, col)."""


def as_route_array(routes: object, name: str = "routes") -> np.ndarray:
    """Validate routes and return them as int8 [N, L]; a clear error for anything that is not move codes."""
    return as_code_array(routes, name, N_ROUTE_CODES, "move codes", f"STOP={STOP}",
                         f"a move code: 0=UP 1=DOWN 2=LEFT 3=RIGHT {STOP}=STOP")


def score_routes(
    instances: MazeInstance | Sequence[MazeInstance] | InstanceBatch,
    routes: object,
    inst_idx: Sequence[int] | np.ndarray | None = None,
) -> RouteScores:
    """Score N routes in one kernel call.

    Args:
        instances: one instance (every route is scored on it, e.g. a group of G rollouts), a list of instances
            of one config, or a pre-stacked ``InstanceBatch``.
        routes: [N, L] move codes (0=UP 1=DOWN 2=LEFT 3=RIGHT 4=STOP/padding).
        inst_idx: [N] index of each route's instance; default: all 0 for one instance, else route n on
            instance n (then N must equal the number of instances).

    Returns:
        ``RouteScores`` with float32 [N, K] rewards.
    """
    if isinstance(instances, MazeInstance):
        config = instances.config
        batch = InstanceBatch.stack([instances])
    elif isinstance(instances, InstanceBatch):
        batch, config = instances, None
    else:
        instances = list(instances)
        batch = InstanceBatch.stack(instances)
        config = instances[0].config
    if config is None:
        raise TypeError("score_routes with an InstanceBatch needs the family's config; use MazeFamily.score_routes")
    return _score_stacked(batch, config, routes, inst_idx)


def _score_stacked(batch: InstanceBatch, config: object, routes: object, inst_idx: object) -> RouteScores:
    array = as_route_array(routes)  # [N, L]
    n_routes = array.shape[0]
    n_inst = batch.cells.shape[0]
    if inst_idx is None:
        if n_inst == 1:
            idx = np.zeros(n_routes, dtype=np.int64)
        elif n_inst == n_routes:
            idx = np.arange(n_routes, dtype=np.int64)
        else:
            raise ValueError(f"{n_routes} routes for {n_inst} instances: pass inst_idx to say which is which")
    else:
        idx = np.asarray(inst_idx)
        if idx.shape != (n_routes,) or (idx.size and not np.issubdtype(idx.dtype, np.integer)):
            raise ValueError(f"inst_idx must be {n_routes} integers, got shape {idx.shape} dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= n_inst):
            raise ValueError(f"inst_idx must be in [0, {n_inst}), got range [{idx.min()}, {idx.max()}]")
        idx = idx.astype(np.int64)
    k = config.n_objectives  # type: ignore[attr-defined]
    rewards = np.zeros((n_routes, k), dtype=np.float32)
    steps = np.zeros(n_routes, dtype=np.int32)
    reached = np.zeros(n_routes, dtype=np.bool_)
    final = np.zeros(n_routes, dtype=np.int32)
    if n_routes:
        score_routes_kernel(
            batch.cells, batch.starts, batch.budgets, batch.totals, idx, array, neighbour_table(batch.size),
            score_params(config), rewards, steps, reached, final,  # type: ignore[arg-type]
        )
    final_pos = np.stack([final // batch.size, final % batch.size], axis=1).astype(np.int32)
    return RouteScores(rewards=rewards, steps=steps, reached_end=reached, final_pos=final_pos)
