"""The numba-batched vector version of ConflictMaze-v0 (``gymnasium.make_vec(..., "vector_entry_point")``)."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from vecreward_envs.envs.action_checks import ResetNeeded, env_name, int_array_problem
from vecreward_envs.envs.maze_state import (
    MazeState,
    as_maze,
    check_pool_args,
    instance_pool,
    kernel_args,
    observation_space,
    render_ansi,
    reward_space,
)
from vecreward_envs.envs.not_applicable import check_na_value
from vecreward_envs.envs.placement import generator_seed, placed_tasks, reset_mask
from vecreward_envs.maze.config import MazeConfig
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.maze.generator import generate_cached
from vecreward_envs.maze.instance import InstanceBatch, MazeInstance
from vecreward_envs.maze.kernels import reset_kernel, step_kernel
from vecreward_envs.threading_layer import FreeThreads


class ConflictMazeVectorEnv(VectorEnv):
    """N ConflictMaze MDPs stepped by one numba kernel call (threads over envs).

    Mazes come from a pool of ``instance_pool`` distinct generated instances starting at ``pool_first_seed``
    (generation is plain Python, ~1 ms a maze: far too slow to run at every autoreset of thousands of envs). At
    each reset an env draws a pool instance with its own seeded generator. Use a different ``pool_first_seed``
    for held-out evaluation mazes. Autoreset: NEXT_STEP (the step after an episode ends returns the first
    observation of the next one, with zero reward and ``terminated=False``), so episodes never need a manual
    ``reset``; ``step`` before the first ``reset`` raises ``ResetNeeded`` (a ``RuntimeError`` and Gymnasium's).
    Actions: ``MultiDiscrete([4] * num_envs)``, an integer array of shape ``(num_envs,)`` with values in 0..3;
    anything else raises a one-line ``ValueError`` naming the action space and what was wrong.

    Observations, actions and the reward vector are those of ``ConflictMazeEnv``; rewards are float32 [N, K].
    Each step runs on the cores free at that moment (never more threads than ``numba.get_num_threads()``;
    ``adapt_threads=False`` uses that count as is): on a busy machine a thread that shares its core stalls the whole
    step (``vecreward_envs/threading_layer.py``).
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        num_envs: int,
        config: MazeConfig | None = None,
        instance_pool: int = 1024,
        pool_first_seed: int = 0,
        copy: bool = True,
        render_mode: str | None = None,
        na_value: float = 0.0,
        adapt_threads: bool = True,
        **overrides: Any,
    ) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
        check_pool_args(instance_pool, pool_first_seed)
        if render_mode is not None and render_mode != "ansi":
            raise ValueError(f"render_mode must be 'ansi' or None, got {render_mode!r}")
        self.family = MazeFamily(config, **overrides)
        self.config = self.family.config
        self.num_envs = int(num_envs)
        self.render_mode = render_mode
        self.instance_pool = int(instance_pool)
        self.pool_first_seed = int(pool_first_seed)
        self.copy = copy
        self.single_observation_space = observation_space(self.config)
        self.single_action_space = spaces.Discrete(4)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.reward_space = reward_space(self.config)
        self.reward_names = self.config.reward_names
        self.reward_dim = self.config.n_objectives
        self.na_value = check_na_value(na_value, self.reward_space.low, self.reward_space.high)
        self._applicable = np.ones((self.num_envs, self.reward_dim), dtype=np.bool_)  # maze objectives always apply
        self._state = MazeState(self.config, self.num_envs)
        self._threads = FreeThreads(enabled=adapt_threads)  # step on the cores that are free right now
        self._placed: list[MazeInstance | None] = [None] * self.num_envs  # mazes put in by reset options
        self._any_placed = False
        self._truncated = np.zeros(self.num_envs, dtype=np.bool_)
        self._pool: InstanceBatch | None = None
        self._pool_instances: tuple[MazeInstance, ...] = ()
        self._np_random, _ = seeding.np_random(None)
        self._has_reset = False

    def _ensure_pool(self) -> InstanceBatch:
        if self._pool is None:
            self._pool, self._pool_instances = instance_pool(self.config, self.pool_first_seed, self.instance_pool)
        return self._pool

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every env (or those in ``options["reset_mask"]``): a pool maze drawn by its generator.

        ``options["instances"]`` (N ``MazeInstance``) or ``options["seeds"]`` (N instance seeds) place chosen mazes
        instead (``vecreward_envs/envs/placement.py``); a placed maze plays one episode, then autoreset draws.
        """
        if seed is not None:
            self._np_random, _ = seeding.np_random(generator_seed(seed))
        pool = self._ensure_pool()
        state = self._state
        options = options or {}
        mask = reset_mask(options, self.num_envs)
        if seed is not None or not state.rng_state.any():
            fresh = self._np_random.integers(1, 2**63 - 1, size=self.num_envs, dtype=np.uint64)
            state.rng_state[mask] = fresh[mask]
        placed = placed_tasks(options, mask, partial(as_maze, self.config),
                              partial(generate_cached, config=self.config))
        reset_kernel(pool.cells, pool.starts, pool.budgets, pool.totals, state.rng_state, mask, state.obs,
                     state.counts, state.totals, state.inst_id, state.needs_reset)
        for n in np.flatnonzero(mask):
            self._placed[n] = placed[n] if placed is not None else None
            if placed is not None:  # the kernel's draw is overwritten: same state as a single env's reset
                instance = placed[n]
                state.obs[n] = self.family.observation(instance)
                state.counts[n] = 0
                state.totals[n] = (*instance.item_totals, instance.lava_total)
        self._any_placed = any(p is not None for p in self._placed)
        seeds = np.array([self.instance(n).seed for n in range(self.num_envs)], dtype=np.int64)
        info = {"instance_seed": seeds, "_instance_seed": mask.copy()}
        self._has_reset = True
        return (state.obs.copy() if self.copy else state.obs), info

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Advance every env by its move; rewards float32 [N, K]."""
        if not self._has_reset:
            raise ResetNeeded(f"{type(self).__name__}.step() called before reset()")
        pool = self._ensure_pool()
        acts, problem = int_array_problem(actions, (self.num_envs,))
        if acts is None:
            raise self._bad_actions(problem)
        state = self._state
        autoreset = state.needs_reset.copy() if self._any_placed else None
        with self._threads:
            bad = step_kernel(*kernel_args(self.config, state, pool, acts))  # checks 0..3 before changing anything
        if bad >= 0:
            raise self._bad_actions(f"out of range: actions[{bad}] = {acts[bad]}")
        if autoreset is not None:  # these drew a pool maze: a placed maze plays one episode
            for n in np.flatnonzero(autoreset):
                self._placed[n] = None
            self._any_placed = any(p is not None for p in self._placed)
        info = {"applicable": self._applicable.copy() if self.copy else self._applicable}
        if self.copy:
            return state.obs.copy(), state.rewards.copy(), state.terminated.copy(), self._truncated.copy(), info
        return state.obs, state.rewards, state.terminated, self._truncated, info

    def _bad_actions(self, problem: str) -> ValueError:
        return ValueError(f"{env_name(self)}: actions not in the action space MultiDiscrete([4] * {self.num_envs}): "
                          f"{problem} ({self.num_envs} integers in 0..3: UP, DOWN, LEFT, RIGHT)")

    def instance(self, env_index: int) -> MazeInstance:
        """The maze env ``env_index`` is playing."""
        self._ensure_pool()
        placed = self._placed[int(env_index)]
        return placed if placed is not None else self._pool_instances[int(self._state.inst_id[env_index])]

    def render(self) -> tuple[str, ...] | None:
        """Text of every env (``render_mode="ansi"``)."""
        if self.render_mode != "ansi":
            return None
        return tuple(render_ansi(self.config, row) for row in self._state.obs)
