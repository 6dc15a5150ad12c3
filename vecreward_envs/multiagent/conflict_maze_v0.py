"""conflict_maze_v0: N agents (2-4) share one conflicting-objective maze (PettingZoo Parallel and AEC APIs).

``parallel_env(...)`` is the Parallel env; ``env(...)`` / ``raw_env(...)`` the AEC variant (PettingZoo's Parallel ->
AEC conversion with vector rewards, ``multiagent.aec``; it passes MOMAland's ``api_test``); ``batched_env(num_games,
...)`` steps many games in one numba call (threads over games).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from vecreward_envs.envs.maze_state import check_pool_args, choose_instance, instance_pool
from vecreward_envs.maze.config import MazeConfig
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.maze.instance import InstanceBatch, MazeInstance
from vecreward_envs.maze.kernels import neighbour_table, score_params
from vecreward_envs.multiagent import kernels as K
from vecreward_envs.multiagent.aec import vector_parallel_to_aec
from vecreward_envs.multiagent.game import (
    GameState,
    agent_names,
    check_n_agents,
    check_personas,
    observation_space,
    render_ansi,
    reward_space,
)
from vecreward_envs.multiagent.render import render_rgb

__all__ = ["ConflictMazeBatchEnv", "ConflictMazeParallelEnv", "batched_env", "env", "parallel_env", "raw_env"]


def _check_action(agent: str, action: Any) -> int:
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action.item()
    if isinstance(action, bool) or not isinstance(action, (int, np.integer)) or not 0 <= action < 4:
        raise ValueError(f"action of {agent} must be an int in 0..3 (UP, DOWN, LEFT, RIGHT), got {action!r}")
    return int(action)


class ConflictMazeParallelEnv(ParallelEnv):
    """Several agents walk from S to E in one maze whose item zones pull in different directions.

    ## Description
    The designed-conflict maze of ``vecreward/ConflictMaze-v0`` (VPO's maze: gold and diamond zones in the two
    free corners, lava inside, a bonus cell B at the centre, a budget that fits one corner but not both) with
    ``n_agents`` (2-4) agents that all start on S and move simultaneously. Items are shared: an item is taken by
    the first agent to enter its cell. **Tie rule**: when several agents enter an item cell on the same step, the
    agent with the lowest index takes it. Lava and B are per agent (each agent counts what it stepped on itself);
    agents never block each other. This is where specialization shows: two agents that split the corners (one
    takes the gold, another the diamonds) each get a full corner; two that go to the same corner share it.
    ``reset(seed=s)`` plays the maze of seed ``s``; ``reset()`` a maze drawn by the env's generator from a pool of
    ``instance_pool`` mazes. The physics is ``multiagent.kernels.game_step`` (numba), shared with the batched env
    and the route kernel that training uses.

    ## Observation
    Per agent ``Box(int16, [C + 4 + 2A])``, C = size * size: the cells row-major as this agent sees them (codes of
    ``ConflictMaze-v0``; items taken by anyone are empty, lava this agent stepped on is 6, B is empty once this
    agent visited it), then its own flat position, the game's steps left, its own bonus flag, its index, every
    agent's flat position, and every agent's still-in-the-maze flag (0/1).

    ## Action
    Per agent ``Discrete(4)``: 0 UP, 1 DOWN, 2 LEFT, 3 RIGHT. Every agent still in the maze must act each step.

    ## Reward Space
    Per agent ``float32[K]`` (``reward_space(agent)``, names ``reward_names[agent]``), emitted on the step the
    agent is done (zeros before), computed by the single maze's scoring from what *this agent* collected:

    | Index | Name        | Range  | Meaning (when this agent reached E; all zeros otherwise)                        |
    |-------|-------------|--------|---------------------------------------------------------------------------------|
    | 0     | completion  | {0, 1} | 1 if the agent reached E within the shared budget                               |
    | 1     | gold        | [0, 1] | gold this agent took / gold in the maze (``convex_bonus``: squared, x1.5 if B)  |
    | 2     | diamond     | [0, 1] | diamonds this agent took / diamonds in the maze (same transform)                |
    | ...   | ruby, ...   | [0, 1] | further item types when ``n_item_types > 2``                                   |
    | K-1   | avoid_lava  | [0, 1] | 1 - lava_penalty * lava cells this agent stepped on / lava total (same)         |

    The agents' fractions of one item type sum to at most 1 (items are shared, totals are the maze's).

    ## Episode End
    An agent terminates when it steps on E (it leaves the maze) or when the shared budget is spent (the steps left
    are observed, so this is a termination). The game ends when every agent is done. No truncation.

    ## Arguments
    ``parallel_env(n_agents=2, config=MazeConfig(...) or maze keyword overrides, personas=None,
    instance_pool=1024, pool_first_seed=0, render_mode=None)``. ``personas``: per-agent preference weights over
    the K objectives ({agent: [K]} or [A][K]); they do not change the rewards, they are reported as
    ``infos[agent]["persona"]`` (and ``persona_utility`` = w . r on the agent's last step) and used by trainers.
    ``render_mode``: ``"ansi"`` (``render()`` returns the maze as text, agents as digits), ``"rgb_array"``
    (``render()`` returns a uint8 ``[size*16, size*16, 3]`` image: cells as coloured squares, agent ``a`` an
    outlined square in quadrant ``a`` of its cell, in its own colour; see ``multiagent.render``), ``"human"``
    (``render()`` prints the text and returns None).
    ``reset(options={"instance": maze})`` plays a given ``MazeInstance``.

    ## Version History
    - v0: first version.
    """

    metadata = {"name": "conflict_maze_v0", "render_modes": ["ansi", "rgb_array", "human"], "is_parallelizable": True,
                "render_fps": 4}

    def __init__(self, n_agents: int = 2, config: MazeConfig | None = None, personas: Any = None,
                 instance_pool: int = 1024, pool_first_seed: int = 0, render_mode: str | None = None,
                 **overrides: Any) -> None:
        self.n_agents = check_n_agents(n_agents)
        check_pool_args(instance_pool, pool_first_seed)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.family = MazeFamily(config, **overrides)
        self.config = self.family.config
        self.instance_pool = int(instance_pool)
        self.pool_first_seed = int(pool_first_seed)
        self.possible_agents = list(agent_names(self.n_agents))
        self.agents: list[str] = []
        self._index = {name: a for a, name in enumerate(self.possible_agents)}
        weights = check_personas(personas, self.possible_agents, self.config.n_objectives)
        self.personas: dict[str, np.ndarray] | None = (
            None if weights is None else {name: weights[a] for a, name in enumerate(self.possible_agents)})
        obs_space = observation_space(self.config, self.n_agents)
        self.observation_spaces = {name: obs_space for name in self.possible_agents}
        self.action_spaces = {name: spaces.Discrete(4) for name in self.possible_agents}
        self.reward_spaces = {name: reward_space(self.config) for name in self.possible_agents}
        self.reward_names = {name: self.config.reward_names for name in self.possible_agents}
        self.reward_dim = self.config.n_objectives
        self._state = GameState(self.config, 1, self.n_agents)
        self._nbr = neighbour_table(self.config.size)
        self._params = score_params(self.config)
        self._moves = np.zeros(self.n_agents, dtype=np.int64)
        self._obs = np.zeros((1, self.n_agents, obs_space.shape[0]), dtype=np.int16)  # [1, A, D]
        self.instance: MazeInstance | None = None
        self.np_random, self.np_random_seed = seeding.np_random(None)
        self._bind()

    # PettingZoo asks for the same space object on every call.
    def observation_space(self, agent: str) -> spaces.Box:
        """Observation space of ``agent``."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        """Action space of ``agent``."""
        return self.action_spaces[agent]

    def reward_space(self, agent: str) -> spaces.Box:
        """``float32[K]`` vector reward space of ``agent`` (MOMAland's convention)."""
        return self.reward_spaces[agent]

    def _infos(self, agents: list[str]) -> dict[str, dict[str, Any]]:
        seed = self.instance.seed if self.instance is not None else -1
        if self.personas is None:
            return {name: {"instance_seed": seed} for name in agents}
        return {name: {"instance_seed": seed, "persona": self.personas[name]} for name in agents}

    def _observations(self, agents: list[str]) -> dict[str, np.ndarray]:
        K.observe_one(*self._obs_args)
        obs = self._obs[0].copy()  # [A, D], one copy per step; each agent gets its row
        return {name: obs[self._index[name]] for name in agents}

    def _bind(self) -> None:
        """Kernel arguments as views into the state rows, built once instead of at every step."""
        s = self._state
        self._step_args = (s.cells[0], s.seen[0], s.pos[0], s.counts[0], s.active[0], s.reached[0],
                           s.steps_left[0], s.totals[0], self._nbr, self._params, self._moves, s.rewards[0],
                           s.done[0])
        self._obs_args = (0, s.cells, s.seen, s.pos, s.counts, s.active, s.steps_left, self.config.n_item_types,
                          self._obs)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_step_args"] = state["_obs_args"] = ()  # views would unpickle as copies that no longer alias
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind()

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Start a game on the maze of ``seed`` (or one drawn by the env's generator from the pool)."""
        if seed is not None:
            self.np_random, self.np_random_seed = seeding.np_random(seed)
        opts = {k: v for k, v in (options or {}).items() if k == "instance"}
        self.instance = choose_instance(self.config, seed, opts, self.np_random, self.pool_first_seed,
                                        self.instance_pool)
        self._state.load(0, self.instance)
        self.agents = list(self.possible_agents)
        return self._observations(self.agents), self._infos(self.agents)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """One simultaneous move of every agent still in the maze; rewards float32 [K] per agent."""
        if not self.agents:
            raise RuntimeError("step() called before reset() or after every agent is done")
        if not isinstance(actions, dict):
            raise ValueError(f"actions must be a dict agent -> move, got {type(actions).__name__}")
        stepped = self.agents
        if len(actions) != len(stepped) or not all(name in actions for name in stepped):
            unknown = sorted(set(actions) - set(stepped))
            missing = sorted(set(stepped) - set(actions))
            raise ValueError(f"actions must be given for exactly the agents in the maze {stepped}; missing "
                             f"{missing}, not in the maze {unknown}")
        index, moves = self._index, self._moves
        for name in stepped:
            action = actions[name]
            if type(action) is not int or not 0 <= action < 4:  # fast path for plain ints
                action = _check_action(name, action)
            moves[index[name]] = action
        s = self._state
        K.game_step(*self._step_args)
        obs = self._observations(stepped)
        vectors = s.rewards[0].copy()  # [A, K], one copy per step
        done = s.done[0].tolist()
        rewards = {name: vectors[index[name]] for name in stepped}
        terminations = {name: done[index[name]] for name in stepped}
        truncations = dict.fromkeys(stepped, False)
        infos = self._infos(stepped)
        for name in stepped:
            if terminations[name]:
                infos[name]["reached_end"] = bool(s.reached[0, index[name]])
                if self.personas is not None:
                    infos[name]["persona_utility"] = float(self.personas[name] @ rewards[name])
        self.agents = [name for name in stepped if not terminations[name]]
        return obs, rewards, terminations, truncations, infos

    def render(self) -> str | np.ndarray | None:
        """The maze as text (``"ansi"``), as a uint8 [H, W, 3] image (``"rgb_array"``), or printed (``"human"``).

        None before the first ``reset`` and without a render mode.
        """
        if self.render_mode is None or self.instance is None:
            return None
        s = self._state
        if self.render_mode == "rgb_array":
            return render_rgb(self.config, s.cells[0], s.pos[0], s.active[0])
        text = render_ansi(self.config, s.cells[0], s.pos[0], s.active[0], int(s.steps_left[0, 0]))
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def state(self) -> np.ndarray:
        """Agent 0's observation as a shared-state summary: the cells, every position, the game's flags.

        Not the full global state: lava that only other agents stepped on, and the bonus as other agents saw it,
        are as agent 0 sees them (a centralised critic wanting those needs every agent's observation).
        """
        self._observations([])
        return self._obs[0, 0].copy()

    def close(self) -> None:
        """Nothing to release."""


def parallel_env(**kwargs: Any) -> ConflictMazeParallelEnv:
    """The Parallel API env (see ``ConflictMazeParallelEnv`` for the arguments)."""
    return ConflictMazeParallelEnv(**kwargs)


def raw_env(**kwargs: Any) -> Any:
    """The AEC env: ``multiagent.aec.vector_parallel_to_aec(parallel_env(**kwargs))``.

    PettingZoo's ``parallel_to_aec`` with every reward a ``float32[K]`` array, zeros included (PettingZoo's own
    conversion starts them at the scalar 0). Passes MOMAland's ``api_test``; PettingZoo's AEC ``api_test`` compares
    rewards with ``==`` and so refuses arrays (see ``docs/envs/multiagent.md``). ``reward_space(agent)`` is on the
    AEC env and on ``.unwrapped``; ``reward_names`` on ``.unwrapped``.
    """
    return vector_parallel_to_aec(parallel_env(**kwargs))


def env(**kwargs: Any) -> Any:
    """The AEC env (PettingZoo's ``env()`` entry point).

    The same as ``raw_env``: no extra wrappers, since PettingZoo's standard ones assume scalar rewards.
    """
    return raw_env(**kwargs)


class ConflictMazeBatchEnv:
    """``num_games`` games of ``conflict_maze_v0`` stepped by one numba call (threads over games).

    Not a PettingZoo env (PettingZoo has no batched API): arrays in and out. ``reset(seed)`` draws each game's
    maze from a pool of ``instance_pool`` mazes with per-game generators seeded from ``seed``. ``step(actions)``
    takes int [N, A] moves (ignored for agents that are done) and returns observations int16 [N, A, D], rewards
    float32 [N, A, K] (an agent's vector on the step it is done), ``done`` bool [N, A] (agents done on this step),
    ``over`` bool [N] (games that ended on this step) and an info dict. Autoreset NEXT_STEP: the step after a
    game ends starts a new game (zero rewards, nothing done).
    """

    def __init__(self, num_games: int, n_agents: int = 2, config: MazeConfig | None = None,
                 instance_pool: int = 1024, pool_first_seed: int = 0, copy: bool = True, **overrides: Any) -> None:
        if isinstance(num_games, bool) or not isinstance(num_games, (int, np.integer)) or num_games < 1:
            raise ValueError(f"num_games must be an int >= 1, got {num_games!r}")
        self.num_games = int(num_games)
        self.n_agents = check_n_agents(n_agents)
        check_pool_args(instance_pool, pool_first_seed)
        self.family = MazeFamily(config, **overrides)
        self.config = self.family.config
        self.instance_pool = int(instance_pool)
        self.pool_first_seed = int(pool_first_seed)
        self.copy = copy
        self.agents = agent_names(self.n_agents)
        self.single_observation_space = observation_space(self.config, self.n_agents)
        self.reward_space = reward_space(self.config)
        self.reward_names = self.config.reward_names
        self._state = GameState(self.config, self.num_games, self.n_agents)
        self._nbr = neighbour_table(self.config.size)
        self._params = score_params(self.config)
        self._pool: InstanceBatch | None = None
        self._pool_instances: tuple[MazeInstance, ...] = ()
        self._obs = np.zeros((self.num_games, self.n_agents, self.single_observation_space.shape[0]),
                             dtype=np.int16)  # [N, A, D]

    def _observe(self) -> np.ndarray:
        obs = self._state.observations(self.config, out=self._obs)
        return obs.copy() if self.copy else obs

    def _ensure_pool(self) -> InstanceBatch:
        if self._pool is None:
            self._pool, self._pool_instances = instance_pool(self.config, self.pool_first_seed, self.instance_pool)
        return self._pool

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new game everywhere; returns observations int16 [N, A, D] and the mazes' seeds."""
        pool = self._ensure_pool()
        s = self._state
        rng = np.random.default_rng(seed)
        s.rng_state[:] = rng.integers(1, 2**63 - 1, size=self.num_games, dtype=np.uint64)
        mask = np.ones(self.num_games, dtype=np.bool_)
        K.batch_reset_kernel(pool.cells, pool.starts, pool.budgets, pool.totals, s.rng_state, mask, s.cells,
                             s.seen, s.pos, s.counts, s.active, s.reached, s.steps_left, s.totals, s.inst_id,
                             s.needs_reset)
        return self._observe(), {"instance_seed": self.instance_seeds()}

    def instance_seeds(self) -> np.ndarray:
        """int64 [N]: the seed of the maze each game plays."""
        self._ensure_pool()
        return np.array([self._pool_instances[i].seed for i in self._state.inst_id], dtype=np.int64)

    def step(self, actions: Any, *, observe: bool = True
             ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """One joint move in every game (``observe=False`` skips building observations, for benchmarks)."""
        pool = self._ensure_pool()
        acts = np.asarray(actions)
        if acts.shape != (self.num_games, self.n_agents) or not np.issubdtype(acts.dtype, np.integer):
            raise ValueError(f"actions must be integers of shape ({self.num_games}, {self.n_agents}), got shape "
                             f"{acts.shape} dtype {acts.dtype}")
        acts = acts.astype(np.int64, copy=False)
        s = self._state
        bad = K.batch_step_kernel(acts, s.cells, s.seen, s.pos, s.counts, s.active, s.reached, s.steps_left,
                                  s.totals, s.needs_reset, self._nbr, self._params, pool.cells, pool.starts,
                                  pool.budgets, pool.totals, s.rng_state, s.inst_id, s.rewards, s.done, s.over)
        if bad >= 0:
            n, a = divmod(bad, self.n_agents)
            raise ValueError(f"actions must be in 0..3 (UP, DOWN, LEFT, RIGHT), got actions[{n}, {a}] = {acts[n, a]}")
        obs = self._observe() if observe else None
        if self.copy:
            return obs, s.rewards.copy(), s.done.copy(), s.over.copy(), {}
        return obs, s.rewards, s.done, s.over, {}


def batched_env(num_games: int, **kwargs: Any) -> ConflictMazeBatchEnv:
    """``num_games`` games stepped by one numba call (see ``ConflictMazeBatchEnv``)."""
    return ConflictMazeBatchEnv(num_games, **kwargs)
