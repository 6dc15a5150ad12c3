"""Episode state of N maze MDPs in flat arrays, shared by the single env (N=1) and the vector env."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from gymnasium import spaces

from vecreward_envs.envs.placement import checked_task
from vecreward_envs.maze.config import CELL_SYMBOLS, ITEM0, ITEM_SYMBOLS, MazeConfig
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.maze.generator import generate_cached
from vecreward_envs.maze.instance import InstanceBatch, MazeInstance
from vecreward_envs.maze.kernels import neighbour_table, score_params


@lru_cache(maxsize=8)
def instance_pool(config: MazeConfig, first_seed: int, size: int) -> tuple[InstanceBatch, tuple[MazeInstance, ...]]:
    """``size`` distinct mazes from ``first_seed``, stacked for the kernels (generated once per process)."""
    instances = tuple(MazeFamily(config).instances(first_seed, size))
    return InstanceBatch.stack(instances), instances


def choose_instance(config: MazeConfig, seed: int | None, options: dict | None, np_random: np.random.Generator,
                    pool_first_seed: int, pool_size: int) -> MazeInstance:
    """The maze a single env's ``reset`` plays.

    ``options["instance"]``, else the maze of ``seed``, else one drawn by the env's generator from the pool
    (generated once per process).
    """
    instance = (options or {}).get("instance")
    if instance is not None:
        return as_maze(config, instance, "options['instance']")
    if seed is not None:
        return generate_cached(seed, config)
    _, pool = instance_pool(config, pool_first_seed, pool_size)
    return pool[int(np_random.integers(len(pool)))]


def as_maze(config: MazeConfig, value: object, what: str = "instance") -> MazeInstance:
    """``value`` if it is a maze of ``config``, else a one-line ValueError naming ``what``."""
    return checked_task(value, MazeInstance, config, what)


def check_pool_args(instance_pool: object, pool_first_seed: object) -> None:
    """Clear errors for bad pool arguments, at construction."""
    if isinstance(instance_pool, bool) or not isinstance(instance_pool, (int, np.integer)) or instance_pool < 1:
        raise ValueError(f"instance_pool must be an int >= 1, got {instance_pool!r}")
    if (isinstance(pool_first_seed, bool) or not isinstance(pool_first_seed, (int, np.integer))
            or pool_first_seed < 0):
        raise ValueError(f"pool_first_seed must be a non-negative int, got {pool_first_seed!r}")


def observation_space(config: MazeConfig) -> spaces.Box:
    """int16 [H*W + 3]: cell codes, agent flat position, steps left, bonus visited (0/1)."""
    n_cells = config.n_cells
    high = np.empty(n_cells + 3, dtype=np.int16)
    high[:n_cells] = config.n_cell_codes - 1
    high[n_cells] = n_cells - 1
    high[n_cells + 1] = config.max_budget
    high[n_cells + 2] = 1
    return spaces.Box(low=np.zeros_like(high), high=high, dtype=np.int16)


def reward_space(config: MazeConfig) -> spaces.Box:
    """float32 [K] in [0, 1]."""
    return spaces.Box(low=0.0, high=1.0, shape=(config.n_objectives,), dtype=np.float32)


class MazeState:
    """Mutable arrays of N running episodes, allocated once and filled in place by the kernels."""

    def __init__(self, config: MazeConfig, n_envs: int) -> None:
        n_cells, n_types = config.n_cells, config.n_item_types
        self.obs = np.zeros((n_envs, n_cells + 3), dtype=np.int16)  # [N, C+3]
        self.counts = np.zeros((n_envs, n_types + 2), dtype=np.int64)  # [N, T+2]
        self.totals = np.zeros((n_envs, n_types + 1), dtype=np.int32)  # [N, T+1]
        self.needs_reset = np.zeros(n_envs, dtype=np.bool_)
        self.rng_state = np.ones(n_envs, dtype=np.uint64)
        self.inst_id = np.zeros(n_envs, dtype=np.int64)
        self.rewards = np.zeros((n_envs, config.n_objectives), dtype=np.float32)  # [N, K]
        self.terminated = np.zeros(n_envs, dtype=np.bool_)
        self.actions = np.zeros(n_envs, dtype=np.int64)  # the single env writes its action here


def kernel_args(config: MazeConfig, state: MazeState, pool: InstanceBatch, actions: np.ndarray) -> tuple:
    """Positional arguments of ``step_kernel`` in order."""
    return (
        actions, state.obs, state.counts, state.totals, state.needs_reset, neighbour_table(config.size),
        score_params(config),
        pool.cells, pool.starts, pool.budgets, pool.totals, state.rng_state, state.inst_id,
        state.rewards, state.terminated,
    )


def render_ansi(config: MazeConfig, obs_row: np.ndarray) -> str:
    """One env's observation as text, the agent shown as ``@``."""
    lut = dict(CELL_SYMBOLS)
    lut.update({ITEM0 + t: s for t, s in enumerate(ITEM_SYMBOLS)})
    n_cells = config.n_cells
    symbols = [lut[int(code)] for code in obs_row[:n_cells]]
    symbols[int(obs_row[n_cells])] = "@"
    rows = [" ".join(symbols[r * config.size:(r + 1) * config.size]) for r in range(config.size)]
    status = f"steps left: {int(obs_row[n_cells + 1])}  bonus visited: {bool(obs_row[n_cells + 2])}"
    return "\n".join([*rows, status])
