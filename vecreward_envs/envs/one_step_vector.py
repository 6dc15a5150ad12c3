"""The batched vector env of a one-step id (ConflictMazeRoute, CodeTests, ToolCall): N episodes, one kernel call.

An episode of these ids is one answer to one task, so N envs are N (task, answer) pairs. ``step`` scores all N
structured answers with the family's batched numba kernel (``StructuredView.score_answers``) in one call; text
answers go through the family's ``TextView.score_completions``, which shares that kernel. The id's single env does
the argument checking, the spaces and instance generation: this shell holds one of it as a template and never
steps it, so the two cannot drift apart (the tests compare them row by row).

Placing tasks (a GRPO group is G envs on one task): ``reset(options={"instances": [task] * N})`` or
``reset(options={"seeds": [s] * N})`` (instance seeds). ``options["reset_mask"]`` (bool [N]) resets only those envs.

Structured answers are scored on the cores free at that moment (``adapt_threads=True``, as in the maze's vector
env; ``vecreward_envs/threading_layer.py``).

Autoreset: NEXT_STEP, Gymnasium's default, per env. A scoring step ends the episodes it scores (``terminated``
true); at the next ``step`` those envs start new ones (tasks drawn from the pool as the single env's unseeded
reset draws them) with zero rewards and ``terminated`` false, their actions ignored, while envs that were reset in
between (``reset_mask``) are scored. Loops that want only scoring steps call ``reset`` (with their own tasks) before
each ``step``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from vecreward_envs.envs.action_checks import ResetNeeded, env_name, int_array_problem
from vecreward_envs.envs.not_applicable import fill_not_applicable
from vecreward_envs.envs.placement import TaskSource, generator_seed, placed_tasks, reset_mask
from vecreward_envs.protocols import StructuredView, TextView, require
from vecreward_envs.threading_layer import FreeThreads


class OneStepEnv(TaskSource, Protocol):
    """What the vector shell uses of an id's single env (its template)."""

    family: Any
    view: str
    observation_space: spaces.Space
    action_space: spaces.Space
    reward_space: spaces.Box
    reward_names: tuple[str, ...]
    reward_dim: int
    na_value: float
    instance_pool: int
    pool_first_seed: int

    def close(self) -> None:
        """Release what the env holds."""


class SeededInstance(Protocol):
    """A task of these ids: it knows the instance seed that generated it."""

    seed: int


class OneStepVectorEnv(VectorEnv):
    """N one-step episodes of an id, scored in one batched call. Subclasses name the id's single env."""

    single_env_class: ClassVar[type[gym.Env]]
    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int, copy: bool = True, adapt_threads: bool = True, **env_kwargs: Any) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
        if env_kwargs.get("render_mode") is not None:
            raise ValueError(f"{type(self).__name__} does not render; make the single env to render a task")
        env_kwargs.pop("render_mode", None)
        self._single: OneStepEnv = self.single_env_class(**env_kwargs)  # validates every argument
        single = self._single
        self.family = single.family
        self.config = self.family.config
        self.view = single.view
        self._scorer = (require(self.family, TextView, "a text vector env") if self.view == "text"
                        else require(self.family, StructuredView, "a structured vector env"))
        self.num_envs = int(num_envs)
        self.copy = copy
        self.render_mode = None
        self.single_observation_space = single.observation_space
        self.single_action_space = single.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.reward_space = single.reward_space
        self.reward_names = single.reward_names
        self.reward_dim = single.reward_dim
        self.na_value = single.na_value
        self._np_random, _ = seeding.np_random(None)
        self._threads = FreeThreads(enabled=adapt_threads)  # score on the cores that are free right now
        self._instances: list[Any] = [None] * self.num_envs
        self._needs_reset = np.zeros(self.num_envs, dtype=np.bool_)
        self._has_reset = False
        if self.view == "structured":
            assert isinstance(self.single_action_space, spaces.MultiDiscrete)
            self._answer_len = int(self.single_action_space.shape[0])
            self._vocab = int(self.single_action_space.nvec[0])

    # ----- tasks -----------------------------------------------------------------------------------------------
    def _draw(self) -> Any:
        """A pool task, as the single env's unseeded reset draws it (every env from the one generator, in order)."""
        return self._single.draw_instance(self._np_random)

    def _observations(self) -> np.ndarray | tuple[str, ...]:
        if self.view == "text":
            return tuple(self._scorer.prompt(task) for task in self._instances)
        obs = np.stack([self._scorer.observation(task) for task in self._instances])  # [N, D]
        return obs.astype(self.single_observation_space.dtype, copy=False)

    def _seeds(self) -> np.ndarray:
        tasks: list[SeededInstance] = self._instances
        return np.array([task.seed for task in tasks], dtype=np.int64)  # [N] (-1: a task built by hand)

    def instance(self, env_index: int) -> Any:
        """The task env ``env_index`` holds."""
        return self._instances[int(env_index)]

    # ----- Gymnasium API ---------------------------------------------------------------------------------------
    def reset(self, *, seed: int | Sequence[int] | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray | tuple[str, ...], dict[str, Any]]:
        """Give every env (or those in ``options["reset_mask"]``) a task: placed by ``options`` or drawn."""
        if seed is not None:
            self._np_random, _ = seeding.np_random(generator_seed(seed))
        options = options or {}
        mask = reset_mask(options, self.num_envs)
        if not self._has_reset and not mask.all():
            raise ValueError("the first reset must reset every env (no reset_mask)")
        placed = placed_tasks(options, mask, self._single.as_instance, self._single.instance_of_seed)
        for n in np.flatnonzero(mask):
            self._instances[n] = placed[n] if placed is not None else self._draw()
        self._needs_reset[mask] = False
        self._has_reset = True
        return self._observations(), {"instance_seed": self._seeds(), "_instance_seed": mask.copy()}

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Score the answer of every env with a running episode, which ends it.

        Envs whose episode ended at the last step start a new one instead, with zero reward (NEXT_STEP, per env).
        """
        if not self._has_reset:
            raise ResetNeeded(f"{type(self).__name__}.step() called before reset()")
        n, k = self.num_envs, self.reward_dim
        actions = self._checked(actions)
        autoreset = self._needs_reset.copy()  # NEXT_STEP: envs whose episode ended start a new one, zero reward
        scored = ~autoreset
        rewards = np.zeros((n, k), dtype=np.float32)  # [N, K]
        if scored.any():
            rewards[scored] = self._score(actions, np.flatnonzero(scored))  # NaN where not applicable
        for i in np.flatnonzero(autoreset):
            self._instances[i] = self._draw()
        info: dict[str, Any] = {"pass": self.family.pass_flags(rewards) & scored[:, None]}
        rewards, info["applicable"] = fill_not_applicable(rewards, self.na_value)
        if autoreset.any():
            info.update(instance_seed=self._seeds(), _instance_seed=autoreset)
        self._needs_reset = scored.copy()
        return self._observations(), rewards, scored.copy(), np.zeros(n, dtype=np.bool_), info

    def _checked(self, actions: Any) -> Any:
        """The N actions, checked before anything changes: one-line ValueErrors naming what is wrong."""
        if self.view == "text":
            if isinstance(actions, (str, bytes)) or not isinstance(actions, (Sequence, np.ndarray)) \
                    or len(actions) != self.num_envs:
                raise ValueError(f"{env_name(self)}: actions must be a sequence of num_envs={self.num_envs} "
                                 f"completions, got {type(actions).__name__}")
            return actions
        tokens, problem = int_array_problem(actions, (self.num_envs, self._answer_len))
        if tokens is None:
            raise self._bad_actions(problem)
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self._vocab):
            row, col = np.argwhere((tokens < 0) | (tokens >= self._vocab))[0]
            raise self._bad_actions(f"out of range: actions[{row}, {col}] = {int(tokens[row, col])}")
        return tokens.astype(np.int64, copy=False)

    def _score(self, actions: Any, rows: np.ndarray) -> np.ndarray:
        """float32 [len(rows), K]: the answers of envs ``rows``, one batched call (text: one call per task).

        Envs that hold the same task object are one group: structured rows are scored against one task row, and
        text completions go through ``score_completions`` together, so a group's answers are its rows (a noisy
        judge gives each its own draw, as in training).
        """
        unique: dict[int, int] = {}
        tasks: list[Any] = []
        inst_idx = np.empty(len(rows), dtype=np.int64)
        for j, i in enumerate(rows):
            key = id(self._instances[i])
            if key not in unique:
                unique[key] = len(tasks)
                tasks.append(self._instances[i])
            inst_idx[j] = unique[key]
        if self.view == "text":
            out = np.zeros((len(rows), self.reward_dim), dtype=np.float32)
            for t, task in enumerate(tasks):
                members = np.flatnonzero(inst_idx == t)
                out[members] = self._scorer.score_completions(task, [actions[rows[j]] for j in members])[0]
            return out
        with self._threads:
            rewards = self._scorer.score_answers(tasks, actions[rows], inst_idx)
        return np.asarray(rewards, dtype=np.float32)

    def _bad_actions(self, problem: str) -> ValueError:
        return ValueError(f"{env_name(self)}: actions not in the action space MultiDiscrete([{self._vocab}] * "
                          f"{self._answer_len}) x {self.num_envs} envs: {problem} (int [{self.num_envs}, "
                          f"{self._answer_len}] in 0..{self._vocab - 1})")

    def close_extras(self, **kwargs: Any) -> None:
        """Close the template env (a CodeTests sandbox pool it created)."""
        self._single.close()
