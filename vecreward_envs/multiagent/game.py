"""State of N multi-agent maze games in flat arrays (shared by the PettingZoo env, N = 1, and the batched env)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from gymnasium import spaces

from vecreward_envs.maze.config import BONUS, CELL_SYMBOLS, ITEM0, ITEM_SYMBOLS, LAVA, SPENT_LAVA, MazeConfig
from vecreward_envs.maze.instance import InstanceBatch, MazeInstance
from vecreward_envs.multiagent.kernels import observe_kernel

MIN_AGENTS, MAX_AGENTS = 2, 4


def check_n_agents(n_agents: object) -> int:
    """``n_agents`` as an int in [2, 4], or a clear error."""
    if isinstance(n_agents, bool) or not isinstance(n_agents, (int, np.integer)) or not (
            MIN_AGENTS <= n_agents <= MAX_AGENTS):
        raise ValueError(f"n_agents must be an int in [{MIN_AGENTS}, {MAX_AGENTS}], got {n_agents!r}")
    return int(n_agents)


def agent_names(n_agents: int) -> tuple[str, ...]:
    """PettingZoo agent ids: ``agent_0`` ... ``agent_{A-1}`` (the index is the tie-rule order)."""
    return tuple(f"agent_{a}" for a in range(n_agents))


def check_personas(personas: object, names: Sequence[str], k: int) -> np.ndarray | None:
    """Per-agent preference weights as float32 [A, K] (or None).

    Accepts a mapping agent id -> K weights (every agent), or a sequence of A weight vectors in agent order.
    Weights must be finite and >= 0 with a positive sum.
    """
    if personas is None:
        return None
    if isinstance(personas, Mapping):
        missing = sorted(set(names) - set(personas))
        extra = sorted(set(personas) - set(names))
        if missing or extra:
            raise ValueError(f"personas must give weights for exactly the agents {list(names)}; missing {missing}, "
                             f"unknown {extra}")
        rows = [personas[name] for name in names]
    else:
        rows = list(personas)  # type: ignore[call-overload]
        if len(rows) != len(names):
            raise ValueError(f"personas must have one weight vector per agent ({len(names)}), got {len(rows)}")
    try:
        weights = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"personas must be numbers, shape [{len(names)}, {k}]: {exc}") from exc
    if weights.shape != (len(names), k):
        raise ValueError(f"personas must have shape [{len(names)}, {k}] (one weight per objective), got "
                         f"{weights.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any() or (weights.sum(axis=1) <= 0).any():
        raise ValueError(f"persona weights must be finite, >= 0, with a positive sum per agent, got {rows!r}")
    out = weights.astype(np.float32)
    out.flags.writeable = False
    return out


def obs_len(config: MazeConfig, n_agents: int) -> int:
    """D = C + 4 + 2A (see ``observation_space``)."""
    return config.n_cells + 4 + 2 * n_agents


def observation_space(config: MazeConfig, n_agents: int) -> spaces.Box:
    """Per-agent observation space, int16 [C + 4 + 2A].

    Cells (this agent's view), own position, steps left, own bonus visited, own index, every agent's position,
    every agent's still-in-the-maze flag.
    """
    c = config.n_cells
    high = np.empty(obs_len(config, n_agents), dtype=np.int16)
    high[:c] = config.n_cell_codes - 1
    high[c] = c - 1
    high[c + 1] = config.max_budget
    high[c + 2] = 1
    high[c + 3] = n_agents - 1
    high[c + 4:c + 4 + n_agents] = c - 1
    high[c + 4 + n_agents:] = 1
    return spaces.Box(low=np.zeros_like(high), high=high, dtype=np.int16)


def reward_space(config: MazeConfig) -> spaces.Box:
    """float32 [K] in [0, 1] (each agent's)."""
    return spaces.Box(low=0.0, high=1.0, shape=(config.n_objectives,), dtype=np.float32)


class GameState:
    """Mutable arrays of N games of A agents, allocated once and filled in place by the kernels."""

    def __init__(self, config: MazeConfig, n_games: int, n_agents: int) -> None:
        c, t, k = config.n_cells, config.n_item_types, config.n_objectives
        self.cells = np.zeros((n_games, c), dtype=np.uint8)  # [N, C] shared cells
        self.seen = np.zeros((n_games, n_agents, c), dtype=np.bool_)  # [N, A, C] lava / B entered per agent
        self.pos = np.zeros((n_games, n_agents), dtype=np.int32)  # [N, A]
        self.counts = np.zeros((n_games, n_agents, t + 2), dtype=np.int64)  # [N, A, T+2]
        self.active = np.zeros((n_games, n_agents), dtype=np.bool_)  # [N, A]
        self.reached = np.zeros((n_games, n_agents), dtype=np.bool_)  # [N, A]
        self.steps_left = np.zeros((n_games, 1), dtype=np.int32)  # [N, 1]
        self.totals = np.zeros((n_games, t + 1), dtype=np.int32)  # [N, T+1]
        self.needs_reset = np.zeros(n_games, dtype=np.bool_)
        self.rng_state = np.ones(n_games, dtype=np.uint64)
        self.inst_id = np.zeros(n_games, dtype=np.int64)
        self.rewards = np.zeros((n_games, n_agents, k), dtype=np.float32)  # [N, A, K]
        self.done = np.zeros((n_games, n_agents), dtype=np.bool_)  # [N, A] agents done on the last step
        self.over = np.zeros(n_games, dtype=np.bool_)  # [N]

    def load(self, n: int, instance: MazeInstance) -> None:
        """Start game ``n`` on ``instance`` (Python side; the batched env's autoreset does this in the kernel)."""
        size = instance.config.size
        self.cells[n] = instance.cells.reshape(-1)
        self.seen[n] = False
        self.pos[n] = instance.start[0] * size + instance.start[1]
        self.counts[n] = 0
        self.active[n] = True
        self.reached[n] = False
        self.steps_left[n] = instance.budget
        self.totals[n] = (*instance.item_totals, instance.lava_total)
        self.needs_reset[n] = False
        self.rewards[n] = 0.0
        self.done[n] = False
        self.over[n] = False

    def observations(self, config: MazeConfig, out: np.ndarray | None = None) -> np.ndarray:
        """int16 [N, A, D]: every agent's observation (``observation_space``), by ``kernels.observe_kernel``."""
        n, a = self.pos.shape
        if out is None:
            out = np.empty((n, a, obs_len(config, a)), dtype=np.int16)
        observe_kernel(self.cells, self.seen, self.pos, self.counts, self.active, self.steps_left,
                       config.n_item_types, out)
        return out

    def observations_py(self, config: MazeConfig) -> np.ndarray:
        """The numpy twin of ``observations`` (tests compare them)."""
        n, a = self.pos.shape
        c = config.n_cells
        cells = np.broadcast_to(self.cells[:, None, :], (n, a, c))  # [N, A, C]
        own = np.where(self.seen & (cells == LAVA), SPENT_LAVA, cells)
        own = np.where(self.seen & (cells == BONUS), 0, own)
        obs = np.empty((n, a, obs_len(config, a)), dtype=np.int16)
        obs[:, :, :c] = own
        obs[:, :, c] = self.pos
        obs[:, :, c + 1] = self.steps_left  # [N, 1] broadcast over agents
        obs[:, :, c + 2] = self.counts[:, :, config.n_item_types + 1] > 0
        obs[:, :, c + 3] = np.arange(a)[None, :]
        obs[:, :, c + 4:c + 4 + a] = self.pos[:, None, :]
        obs[:, :, c + 4 + a:] = self.active[:, None, :]
        return obs


def stack_pool(instances: Sequence[MazeInstance]) -> InstanceBatch:
    """The kernels' instance arrays (``InstanceBatch.stack``)."""
    return InstanceBatch.stack(instances)


def render_ansi(config: MazeConfig, cells: np.ndarray, pos: np.ndarray, active: np.ndarray, steps_left: int) -> str:
    """One game as text: agents still in the maze as their index digit (the lowest index on a shared cell)."""
    lut = dict(CELL_SYMBOLS)
    lut.update({ITEM0 + t: s for t, s in enumerate(ITEM_SYMBOLS)})
    symbols = [lut[int(code)] for code in cells]
    for a in range(len(pos) - 1, -1, -1):
        if active[a]:
            symbols[int(pos[a])] = str(a)
    rows = [" ".join(symbols[r * config.size:(r + 1) * config.size]) for r in range(config.size)]
    return "\n".join([*rows, f"steps left: {steps_left}  in the maze: {[int(a) for a in np.flatnonzero(active)]}"])
