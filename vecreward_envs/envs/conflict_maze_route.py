"""ConflictMazeRoute-v0: the maze as a single-turn task, one whole route (or one completion) per episode."""

from __future__ import annotations

import string
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from vecreward_envs.envs.action_checks import check_tokens, reset_needed
from vecreward_envs.envs.maze_state import (
    as_maze,
    check_pool_args,
    choose_instance,
    observation_space,
    reward_space,
)
from vecreward_envs.envs.not_applicable import all_applicable, check_na_value
from vecreward_envs.envs.vector_modes import refuse_gymnasium_sync
from vecreward_envs.maze.config import N_ROUTE_CODES, MazeConfig
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.maze.generator import generate_cached
from vecreward_envs.maze.instance import MazeInstance
from vecreward_envs.maze.pareto import discounted_front
from vecreward_envs.maze.text import MAX_COMPLETION_CHARS, format_route

# Characters a prompt uses (grid symbols, ASCII text, the em dash of the reference wording) and that a
# completion space samples from. Completions given to step() may hold any character at all.
_TEXT_CHARSET = frozenset(string.printable + "\N{EM DASH}")
_ROUTE_LEGEND = "move codes 0..4: UP, DOWN, LEFT, RIGHT, STOP; pad a shorter route with STOP"


class ConflictMazeRouteEnv(gym.Env):
    """The designed-conflict maze answered in one go: the observation is the instance, the action a route.

    ## Description
    The same mazes and scoring as ``ConflictMaze-v0`` (see its docstring and docs/envs/conflict_maze.md), as a
    contextual bandit: ``reset(seed=s)`` shows the maze of seed ``s``, ``step(route)`` scores the whole route and
    ends the episode. One episode = one answer, so a GRPO group of G rollouts is G episodes reset with one seed.

    ## Observation
    ``view="structured"`` (default): ``Box(int16, [H*W + 3])``, the cell codes, S's flat position, the budget
    and 0 (exactly the first observation of ``ConflictMaze-v0``). ``view="text"``: ``Text``, the prompt in the
    reference wording ("Output moves in <answer>...</answer> tags").

    ## Action
    ``structured``: ``MultiDiscrete([5] * route_len)``: 0 UP, 1 DOWN, 2 LEFT, 3 RIGHT, 4 STOP (the route ends at
    the first STOP; moves past the budget are ignored). An integer array or sequence of exactly ``route_len``
    codes (pad a shorter route with STOP); any other shape, a float, bool or object dtype, or a code out of 0..4
    raises ``ValueError`` naming the action space. ``text``: a completion string (any object); it is parsed,
    never rejected: an unreadable completion is an empty route, which scores zero, with the reason in
    ``info["parse_reason"]``.

    ## Reward Space
    ``float32[K]`` in [0, 1]: the route score, as in ``ConflictMaze-v0``:

    | Index | Name        | Range  | Meaning (when E is reached; all zeros otherwise)                        |
    |-------|-------------|--------|------------------------------------------------------------------------|
    | 0     | completion  | {0, 1} | 1 if E was reached within the budget                                   |
    | 1     | gold        | [0, 1] | gold collected / gold total (``convex_bonus``: squared, x1.5 if B)     |
    | 2     | diamond     | [0, 1] | diamonds collected / total (same transform)                            |
    | ...   | ruby, ...   | [0, 1] | further item types when ``n_item_types > 2``                           |
    | K-1   | avoid_lava  | [0, 1] | 1 - lava_penalty * lava cells stepped / lava total (same transform)    |

    ``info`` holds ``reached_end``, ``steps``, ``pass`` (bool [K]), ``failures`` (a directive message per failed
    objective) and, in the text view, ``parse_ok`` and ``parse_reason``.

    ## Episode End
    Every episode ends after its one step (``terminated=True``). ``step`` before the first ``reset`` or after
    the episode ended raises ``ResetNeeded`` (a ``RuntimeError`` and Gymnasium's ``ResetNeeded``) until ``reset``.

    ## Arguments
    ``view`` ("structured" | "text"), ``route_len`` (structured action length; default: the config's budget
    bound), ``config`` or ``MazeConfig`` keyword overrides, ``instance_pool`` and ``pool_first_seed`` (mazes of
    unseeded resets, as in ``ConflictMaze-v0``). ``reset(options={"instance": maze})`` shows a given maze.
    ``na_value``: the not-applicable convention every id shares (docs/ecosystem.md, "Not applicable"); every maze
    objective always applies and ``info["applicable"]`` is all true.

    ## Version History
    - v0: first version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        view: Literal["structured", "text"] = "structured",
        route_len: int | None = None,
        render_mode: str | None = None,
        config: MazeConfig | None = None,
        instance_pool: int = 1024,
        pool_first_seed: int = 0,
        na_value: float = 0.0,
        **overrides: Any,
    ) -> None:
        if view not in ("structured", "text"):
            raise ValueError(f"view must be 'structured' or 'text', got {view!r}")
        if render_mode is not None and render_mode != "ansi":
            raise ValueError(f"render_mode must be 'ansi' or None, got {render_mode!r}")
        check_pool_args(instance_pool, pool_first_seed)
        self.family = MazeFamily(config, **overrides)
        self.config = self.family.config
        self.view = view
        self.render_mode = render_mode
        self.instance_pool = int(instance_pool)
        self.pool_first_seed = int(pool_first_seed)
        if route_len is None:
            route_len = self.family.max_route_len
        if isinstance(route_len, bool) or not isinstance(route_len, (int, np.integer)) or route_len < 1:
            raise ValueError(f"route_len must be an int >= 1, got {route_len!r}")
        self.route_len = int(route_len)
        if view == "structured":
            self.observation_space = observation_space(self.config)
            self.action_space = spaces.MultiDiscrete(np.full(self.route_len, N_ROUTE_CODES, dtype=np.int64))
        else:
            prompt_chars = 2 * self.config.n_cells + 4096
            self.observation_space = spaces.Text(max_length=prompt_chars, charset=_TEXT_CHARSET)
            self.action_space = spaces.Text(max_length=MAX_COMPLETION_CHARS, charset=_TEXT_CHARSET)
        self.reward_space = reward_space(self.config)
        self.reward_names = self.config.reward_names
        self.reward_dim = self.config.n_objectives
        self.na_value = check_na_value(na_value, self.reward_space.low, self.reward_space.high)
        self.instance: MazeInstance | None = None
        self._done = True

    def _observe(self) -> np.ndarray | str:
        assert self.instance is not None
        if self.view == "structured":
            return self.family.observation(self.instance)
        return self.family.prompt(self.instance)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray | str, dict[str, Any]]:
        """Show the maze of ``seed`` (or one drawn from the pool by the env's generator)."""
        refuse_gymnasium_sync(self)
        super().reset(seed=seed)
        instance = choose_instance(self.config, seed, options, self.np_random, self.pool_first_seed, self.instance_pool)
        self.instance = instance
        self._done = False
        return self._observe(), {"instance_seed": instance.seed, "budget": instance.budget}

    def draw_instance(self, rng: np.random.Generator) -> MazeInstance:
        """A maze of the pool of unseeded resets (``instance_pool`` distinct mazes from ``pool_first_seed``)."""
        return choose_instance(self.config, None, None, rng, self.pool_first_seed, self.instance_pool)

    def instance_of_seed(self, seed: int) -> MazeInstance:
        """The maze of instance seed ``seed`` (generated once per process)."""
        return generate_cached(int(seed), self.config)

    def as_instance(self, value: object, what: str = "instance") -> MazeInstance:
        """``value`` if it is a maze of this env's config, else a one-line ValueError naming ``what``."""
        return as_maze(self.config, value, what)

    def step(self, action: Any) -> tuple[np.ndarray | str, np.ndarray, bool, bool, dict[str, Any]]:
        """Score one route (structured) or one completion (text); the episode ends."""
        if self._done:
            raise reset_needed(self)
        info: dict[str, Any] = {}
        if self.view == "text":
            parsed = self.family.parse(action)
            route = self.family.routes_from_parsed([parsed], self.instance.budget)  # [1, budget]
            info.update(parse_ok=parsed.ok, parse_reason=parsed.reason)
        else:
            route = check_tokens(self, action, self.route_len, N_ROUTE_CODES, _ROUTE_LEGEND)[None, :]
        scores = self.family.score_routes(self.instance, route)
        reward = scores.rewards[0]
        info.update(
            reached_end=bool(scores.reached_end[0]),
            steps=int(scores.steps[0]),
            moves=format_route(route[0]),
            failures=self.family.explain(self.instance, route[0]),
        )
        info["pass"] = self.family.pass_flags(reward)
        info["applicable"] = all_applicable(self.reward_dim)  # every maze objective always applies
        self._done = True
        return self._observe(), reward, True, False, info

    def pareto_front(self, gamma: float = 1.0) -> list[np.ndarray]:
        """Exact Pareto front of the current maze (one-step episodes: ``gamma`` does not apply).

        In the structured view only routes of at most ``route_len`` moves count. Raises ``ValueError`` before the
        first ``reset``.
        """
        max_steps = self.route_len if self.view == "structured" else None
        return discounted_front(self.instance, gamma, max_steps=max_steps, one_step=True)

    def render(self) -> str | None:
        """The maze as text (``render_mode="ansi"``)."""
        if self.render_mode != "ansi" or self.instance is None:
            return None
        return self.instance.grid_text()
