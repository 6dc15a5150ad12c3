"""Batched scoring of joint routes: A agents' whole routes played together in one maze, N games per call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vecreward_envs.maze.config import STOP
from vecreward_envs.maze.instance import InstanceBatch, MazeInstance
from vecreward_envs.maze.kernels import neighbour_table, score_params
from vecreward_envs.multiagent.kernels import joint_routes_kernel


@dataclass(frozen=True)
class JointScores:
    """What ``score_joint_routes`` returns."""

    rewards: np.ndarray
    """float32 [N, A, K] each agent's vector in each game."""
    reached: np.ndarray
    """bool [N, A] agents that reached E."""
    steps: np.ndarray
    """int32 [N, A] moves each agent made."""


def score_joint_routes(instances: Sequence[MazeInstance] | InstanceBatch, routes: np.ndarray,
                       inst_idx: Sequence[int] | np.ndarray) -> JointScores:
    """Play ``routes[n]`` (A routes, one per agent) jointly on ``instances[inst_idx[n]]`` for every game n.

    Args:
        instances: P mazes of one config (or their stacked ``InstanceBatch``).
        routes: int [N, A, L] move codes 0..3, STOP (4) ends that agent's route.
        inst_idx: [N] instance of each game.

    Raises:
        ValueError: bad shapes, move codes outside 0..4 or instance indices out of range.
    """
    if isinstance(instances, InstanceBatch):
        batch = instances
        config = None
    else:
        instances = list(instances)
        batch = InstanceBatch.stack(instances)
        config = instances[0].config
    arr = np.asarray(routes)
    if arr.ndim != 3 or arr.shape[1] < 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"routes must be integers of shape [N, A, L], got shape {arr.shape} dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > STOP):
        raise ValueError("route move codes must be in 0..4 (UP, DOWN, LEFT, RIGHT, STOP)")
    idx = np.asarray(inst_idx, dtype=np.int64)
    if idx.shape != (arr.shape[0],) or (idx.size and (idx.min() < 0 or idx.max() >= batch.cells.shape[0])):
        raise ValueError(f"inst_idx must be [N={arr.shape[0]}] indices into {batch.cells.shape[0]} instances")
    n, a, _ = arr.shape
    k = batch.totals.shape[1] + 1
    rewards = np.zeros((n, a, k), dtype=np.float32)
    steps = np.zeros((n, a), dtype=np.int32)
    reached = np.zeros((n, a), dtype=np.bool_)
    params = score_params(config) if config is not None else _params_of(batch)
    joint_routes_kernel(batch.cells, batch.starts, batch.budgets, batch.totals, idx,
                        np.ascontiguousarray(arr, dtype=np.int8), neighbour_table(batch.size), params,
                        rewards, steps, reached)
    return JointScores(rewards=rewards, reached=reached, steps=steps)


def _params_of(batch: InstanceBatch) -> np.ndarray:
    raise ValueError("score_joint_routes needs the MazeInstance list (the config's score mode is not in a batch)")
