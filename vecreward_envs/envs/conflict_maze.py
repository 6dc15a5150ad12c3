"""ConflictMaze-v0: the designed-conflict maze as a multi-step MDP with a vector reward."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from vecreward_envs.envs.action_checks import bad_discrete, reset_needed
from vecreward_envs.envs.maze_state import (
    MazeState,
    check_pool_args,
    choose_instance,
    observation_space,
    render_ansi,
    reward_space,
)
from vecreward_envs.envs.not_applicable import all_applicable, check_na_value
from vecreward_envs.envs.vector_modes import refuse_gymnasium_sync
from vecreward_envs.maze.config import MazeConfig
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.maze.instance import MazeInstance
from vecreward_envs.maze.kernels import neighbour_table, score_params, step_one
from vecreward_envs.maze.pareto import discounted_front

_ACTION_LEGEND = "an int in 0..3: UP, DOWN, LEFT, RIGHT"


class ConflictMazeEnv(gym.Env):
    """Walk from S to E in a maze whose item zones pull in different directions.

    ## Description
    The VPO designed-conflict maze (``shared/reference/tasks.md``): a 9x9 Prim's maze with cycles, S and E on
    one diagonal, gold and diamond zones around the other two corners, lava in the interior and a bonus cell B
    at the centre. The step budget lets a walk visit one corner zone but not both, so the objectives conflict.
    ``reset(seed=s)`` plays the maze of seed ``s``, so all rollouts of a group that reset with one seed share
    the maze; ``reset()`` without a seed plays a maze drawn by the env's generator from a pool of
    ``instance_pool`` distinct mazes starting at seed ``pool_first_seed`` (generated once per process, as in
    the vector env). Built on the same numba step kernel as the vector env.

    ## Observation
    ``Box(int16, [H*W + 3])``: the cell codes row-major (0 empty, 1 wall, 2 S, 3 E, 4 lava, 5 bonus,
    6 lava already stepped on, 7 + t item of type t; collected items become empty), then the agent's flat
    position ``row * size + col``, the steps left, and whether B was visited (0/1).

    ## Action
    ``Discrete(4)``: 0 UP, 1 DOWN, 2 LEFT, 3 RIGHT. Walls and borders block; a blocked move still costs a step.
    An int, numpy integer or 0-d integer array; anything else (out of range, float, bool) raises ``ValueError``.

    ## Reward Space
    ``float32[K]``, K = n_item_types + 2, emitted on the step that ends the episode (zeros before), so the
    sum of an episode's rewards equals the route score of its moves:

    | Index | Name        | Range  | Meaning (when E is reached; all zeros otherwise)                        |
    |-------|-------------|--------|------------------------------------------------------------------------|
    | 0     | completion  | {0, 1} | 1 if E was reached within the budget                                   |
    | 1     | gold        | [0, 1] | gold collected / gold total (``convex_bonus``: squared, x1.5 if B)     |
    | 2     | diamond     | [0, 1] | diamonds collected / total (same transform)                            |
    | ...   | ruby, ...   | [0, 1] | further item types when ``n_item_types > 2``                           |
    | K-1   | avoid_lava  | [0, 1] | 1 - lava_penalty * lava cells stepped / lava total (same transform)    |

    ## Episode End
    Terminates when the agent steps on E, or when the budget is spent (the steps left are part of the
    observation, so this is a termination, not a truncation). ``step`` before the first ``reset`` or after the
    episode ended raises ``ResetNeeded`` (a ``RuntimeError`` and Gymnasium's ``ResetNeeded``) until ``reset``.

    ## Arguments
    ``gym.make("vecreward/ConflictMaze-v0", config=MazeConfig(...))`` or keyword overrides of ``MazeConfig``
    (``size``, ``n_item_types``, ``slack``, ``score_mode``, ``lava_penalty``, ...). ``render_mode="ansi"``.
    ``instance_pool`` (1024) and ``pool_first_seed`` (0) choose the mazes of unseeded resets.
    ``reset(options={"instance": maze})`` plays a given ``MazeInstance``. ``na_value`` is accepted for the
    convention every id shares (docs/ecosystem.md, "Not applicable"); every maze objective always applies, and
    ``info["applicable"]`` (bool [K], all true) is on every step.

    ## Version History
    - v0: first version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        render_mode: str | None = None,
        config: MazeConfig | None = None,
        instance_pool: int = 1024,
        pool_first_seed: int = 0,
        na_value: float = 0.0,
        **overrides: Any,
    ) -> None:
        check_pool_args(instance_pool, pool_first_seed)
        self.instance_pool = int(instance_pool)
        self.pool_first_seed = int(pool_first_seed)
        self.family = MazeFamily(config, **overrides)
        self.config = self.family.config
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = observation_space(self.config)
        self.action_space = spaces.Discrete(4)
        self.reward_space = reward_space(self.config)
        self.reward_names = self.config.reward_names
        self.reward_dim = self.config.n_objectives
        self.na_value = check_na_value(na_value, self.reward_space.low, self.reward_space.high)
        self._state = MazeState(self.config, 1)
        self._step_args: tuple = ()
        self.instance: MazeInstance | None = None
        self._done = True

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode on the maze of ``seed`` (or of a seed drawn from the env's generator)."""
        refuse_gymnasium_sync(self)
        super().reset(seed=seed)
        instance = choose_instance(self.config, seed, options, self.np_random, self.pool_first_seed, self.instance_pool)
        self.instance = instance
        state = self._state
        state.obs[0] = self.family.observation(instance)
        state.counts[:] = 0
        state.totals[0] = (*instance.item_totals, instance.lava_total)
        self._bind_step_args()
        self._done = False
        return state.obs[0].copy(), {"instance_seed": instance.seed, "budget": instance.budget}

    def _bind_step_args(self) -> None:
        """The state arrays (one row) that ``step_one`` fills in place, bound once instead of at every step."""
        state = self._state
        self._step_args = (state.obs, state.counts, state.totals, 0, neighbour_table(self.config.size),
                           score_params(self.config))

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_step_args"] = ()  # rebound after unpickling, so the tuple always aliases the live state arrays
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind_step_args()

    def step(self, action: Any) -> tuple[np.ndarray, np.ndarray, bool, bool, dict[str, Any]]:
        """One move; the reward vector is non-zero only on the step that reaches E."""
        if self._done:
            raise reset_needed(self)
        if type(action) is not int:  # fast path for plain ints; numpy scalars and 0-d arrays are fine too
            if isinstance(action, np.ndarray) and action.shape == ():
                action = action.item()
            if isinstance(action, bool) or not isinstance(action, (int, np.integer)):
                raise bad_discrete(self, action, 4, _ACTION_LEGEND)
        if not 0 <= action < 4:
            raise bad_discrete(self, action, 4, _ACTION_LEGEND)
        state = self._state
        if step_one(*self._step_args, action, state.rewards):
            self._done = True
            info = {"reached_end": bool(state.rewards[0, 0] > 0), "instance_seed": self.instance.seed,
                    "applicable": all_applicable(self.reward_dim)}
            return state.obs[0].copy(), state.rewards[0].copy(), True, False, info
        info = {"applicable": all_applicable(self.reward_dim)}
        return state.obs[0].copy(), state.rewards[0].copy(), False, False, info

    def pareto_front(self, gamma: float = 1.0) -> list[np.ndarray]:
        """Exact Pareto front of the current maze's discounted returns (MO-Gymnasium's convention).

        The reward is paid on the step that reaches E, so a T-move route returns ``gamma**(T-1) * v``; each front
        vector is taken at its fewest moves. Raises ``ValueError`` before the first ``reset``.
        """
        return discounted_front(self.instance, gamma)

    def render(self) -> str | None:
        """The maze as text with the agent as ``@`` (``render_mode="ansi"``)."""
        if self.render_mode != "ansi" or self.instance is None:
            return None
        return render_ansi(self.config, self._state.obs[0])
