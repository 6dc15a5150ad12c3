"""Numba kernels of the multi-agent maze: one simultaneous move of A agents, written once, used by every view.

- ``_joint_move``: one simultaneous move of every active agent of one game (the physics).
- ``game_step``: one env step of one game (moves, then the shared budget); the PettingZoo env calls it.
- ``batch_step_kernel``: ``game_step`` over N games on threads, with NEXT_STEP autoreset from an instance pool
  (the batched env and the throughput benchmark).
- ``observe_kernel`` / ``observe_one``: every agent's observation of N games (threads over games) or of one game.
- ``joint_routes_kernel``: A whole routes per game played jointly, over N games on threads (training: every agent
  answers with a route, the routes are played out together).

Rules (also in ``docs/envs/multiagent.md``):

- All agents start on S. Each step every active agent moves (UP, DOWN, LEFT, RIGHT; walls and the border block
  and the step still counts). Agents never block each other: several may stand on one cell.
- Items are shared: an item is taken by the first agent to enter its cell and disappears for everyone. **Tie rule**:
  when several agents enter an item cell on the same step, the agent with the lowest index takes it (agents are
  resolved in index order after all moves are decided; a move never depends on another agent's move).
- Lava and the bonus cell B are per agent: each agent counts each lava cell once, the first time it enters it,
  and B once; cells stay as they are for the others.
- An agent is done the moment it steps on E (it leaves the maze), when it plays STOP (routes only: its vector is
  zero), or when the game's shared step budget is spent (zero vector if it had not reached E).
- Each agent's reward vector is the maze's ``_score`` of its own counts against the maze's totals: gold = gold
  this agent collected / gold in the maze, so the agents' gold fractions sum to at most 1.

Plain-Python twins live in ``kernels_py.py``; ``tests/vecreward_envs/multiagent`` checks that they agree (also with
``NUMBA_DISABLE_JIT=1``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from vecreward_envs.maze.config import BONUS, END, ITEM0, LAVA, SPENT_LAVA, STOP, WALL
from vecreward_envs.maze.kernels import _score, _xorshift
from vecreward_envs.threading_layer import configure as _configure_threading_layer

_configure_threading_layer()  # before any parallel kernel runs: TBB, fork-safe (threading_layer.py)


@njit(cache=True, inline="always")
def _joint_move(cells, seen, nbr, pos, counts, active, reached, moves, n_types):  # noqa: ANN001, ANN202
    """One simultaneous move of every active agent of one game, in place.

    Args:
        cells: uint8 [C] the game's shared cells (taken items become EMPTY; lava and B are never changed).
        seen: bool [A, C] lava / bonus cells each agent has already entered.
        nbr: int32 [C, 4] neighbour table (``maze.kernels.neighbour_table``).
        pos: [A] flat positions, mutated.
        counts: int64 [A, T+2] items per type, lava stepped, bonus visited, per agent; mutated.
        active: bool [A] agents still in the maze; mutated (E or STOP ends an agent).
        reached: bool [A] agents that reached E; mutated.
        moves: [A] move codes 0..3, or STOP (4) to leave without reaching E; ignored for inactive agents.
        n_types: T.

    Returns:
        Number of agents that finished on this move.
    """
    n_agents = pos.shape[0]
    finished = 0
    for a in range(n_agents):  # index order: the lower index takes an item that two agents enter together
        if not active[a]:
            continue
        move = moves[a]
        if move == STOP:
            active[a] = False
            finished += 1
            continue
        target = nbr[pos[a], move]
        if target >= 0 and cells[target] != WALL:
            pos[a] = target
        p = pos[a]
        code = cells[p]
        if code == END:
            active[a] = False
            reached[a] = True
            finished += 1
        elif code == LAVA:
            if not seen[a, p]:
                seen[a, p] = True
                counts[a, n_types] += 1
        elif code == BONUS:
            if not seen[a, p]:
                seen[a, p] = True
                counts[a, n_types + 1] += 1
        elif code >= ITEM0:
            counts[a, code - ITEM0] += 1
            cells[p] = 0
    return finished


@njit(cache=True, inline="always")
def game_step(cells, seen, pos, counts, active, reached, steps_left, totals, nbr, params, moves,  # noqa: ANN001, ANN201
              out_rewards, out_done):
    """One env step of one game: the joint move, then the shared budget.

    Args:
        cells: uint8 [C] shared cells (see ``_joint_move``), mutated.
        seen: bool [A, C] lava / bonus cells entered per agent, mutated.
        pos: [A] flat positions, mutated.
        counts: int64 [A, T+2] per-agent counts, mutated.
        active: bool [A] agents still in the maze, mutated.
        reached: bool [A] agents that reached E, mutated.
        steps_left: int32 [1] the game's remaining budget, mutated.
        totals: int32 [T+1] item totals of the maze, then its lava total.
        nbr: int32 [C, 4] neighbour table.
        params: float64 [3] ``maze.kernels.score_params(config)``.
        moves: [A] moves 0..3 (validated by the caller); ignored for inactive agents.
        out_rewards: float32 [A, K], filled: an agent's vector on the step it is done, zeros otherwise.
        out_done: bool [A], filled: the agents that became done on this step.

    Returns:
        True when every agent is done (the game is over).
    """
    n_agents = pos.shape[0]
    n_types = totals.shape[0] - 1
    for a in range(n_agents):  # remember who was active in out_done (no allocation: this runs on threads)
        out_done[a] = active[a]
    _joint_move(cells, seen, nbr, pos, counts, active, reached, moves, n_types)
    steps_left[0] -= 1
    if steps_left[0] <= 0:
        for a in range(n_agents):
            active[a] = False
    over = True
    for a in range(n_agents):
        done = out_done[a] and not active[a]
        out_done[a] = done
        if done:
            _score(counts[a], totals, n_types, reached[a], params, out_rewards[a])
        else:
            out_rewards[a, :] = 0.0
        if active[a]:
            over = False
    return over


@njit(cache=True, inline="always")
def _load_game(pool_cells, pool_starts, pool_budgets, pool_totals, p, cells, seen, pos, counts, active, reached,  # noqa: ANN001, ANN202
               steps_left, totals):
    """Start a game of pool instance ``p`` in one game's state rows (every agent on S)."""
    cells[:] = pool_cells[p]
    seen[:, :] = False
    pos[:] = pool_starts[p]
    counts[:, :] = 0
    active[:] = True
    reached[:] = False
    steps_left[0] = pool_budgets[p]
    totals[:] = pool_totals[p]


@njit(cache=True)
def batch_reset_kernel(pool_cells, pool_starts, pool_budgets, pool_totals, rng_state, mask, cells, seen, pos,  # noqa: ANN001, ANN201
                       counts, active, reached, steps_left, totals, inst_id, needs_reset):
    """Start a new game (a pool instance drawn by the game's own xorshift generator) where ``mask`` is set."""
    for n in range(cells.shape[0]):
        if mask[n]:
            rng_state[n], draw = _xorshift(rng_state[n])
            p = np.int64(draw % np.uint64(pool_cells.shape[0]))
            inst_id[n] = p
            _load_game(pool_cells, pool_starts, pool_budgets, pool_totals, p, cells[n], seen[n], pos[n], counts[n],
                       active[n], reached[n], steps_left[n], totals[n])
            needs_reset[n] = False


@njit(cache=True, parallel=True)
def batch_step_kernel(actions, cells, seen, pos, counts, active, reached, steps_left, totals, needs_reset,  # noqa: ANN001, ANN201
                      nbr, params, pool_cells, pool_starts, pool_budgets, pool_totals, rng_state, inst_id,
                      out_rewards, out_done, out_over):
    """Advance N games by one joint move each (NEXT_STEP autoreset for games that ended on the previous call).

    Args:
        actions: int64 [N, A] moves 0..3 (validated here first); ignored for agents that are done.
        cells: uint8 [N, C] shared cells of each game.
        seen: bool [N, A, C] lava / bonus cells entered per agent.
        pos: int32 [N, A] flat positions.
        counts: int64 [N, A, T+2] per-agent counts.
        active: bool [N, A] agents still in the maze.
        reached: bool [N, A] agents that reached E.
        steps_left: int32 [N, 1] each game's remaining budget.
        totals: int32 [N, T+1] item totals and lava total of each game's maze.
        needs_reset: bool [N] games that ended on the previous call.
        nbr: int32 [C, 4] neighbour table.
        params: float64 [3] score parameters.
        pool_cells: uint8 [P, C] instance pool (``InstanceBatch`` arrays).
        pool_starts: int32 [P] flat index of S.
        pool_budgets: int32 [P] budgets.
        pool_totals: int32 [P, T+1] totals.
        rng_state: uint64 [N] per-game generator state.
        inst_id: int64 [N] pool index of each game.
        out_rewards: float32 [N, A, K] filled.
        out_done: bool [N, A] agents done on this step, filled.
        out_over: bool [N] games that ended on this step, filled.

    Returns:
        -1, or the flat index n * A + a of the first action outside 0..3 (then nothing was changed).
    """
    n_games, n_agents = actions.shape
    for n in range(n_games):
        for a in range(n_agents):
            if actions[n, a] < 0 or actions[n, a] > 3:
                return n * n_agents + a
    for n in prange(n_games):
        if needs_reset[n]:
            rng_state[n], draw = _xorshift(rng_state[n])
            p = np.int64(draw % np.uint64(pool_cells.shape[0]))
            inst_id[n] = p
            _load_game(pool_cells, pool_starts, pool_budgets, pool_totals, p, cells[n], seen[n], pos[n], counts[n],
                       active[n], reached[n], steps_left[n], totals[n])
            needs_reset[n] = False
            out_rewards[n, :, :] = 0.0
            out_done[n, :] = False
            out_over[n] = False
            continue
        over = game_step(cells[n], seen[n], pos[n], counts[n], active[n], reached[n], steps_left[n], totals[n],
                         nbr, params, actions[n], out_rewards[n], out_done[n])
        out_over[n] = over
        if over:
            needs_reset[n] = True
    return -1


@njit(cache=True, parallel=True)
def joint_routes_kernel(pool_cells, pool_starts, pool_budgets, pool_totals, inst_idx, routes, nbr, params,  # noqa: ANN001, ANN201
                        out_rewards, out_steps, out_reached):
    """Play A routes jointly in each of N games (game n on instance ``inst_idx[n]``) and score every agent.

    Args:
        pool_cells: uint8 [P, C] cells of the P instances.
        pool_starts: int32 [P] flat index of S.
        pool_budgets: int32 [P] budgets.
        pool_totals: int32 [P, T+1] item totals, then lava total.
        inst_idx: int64 [N] instance of each game.
        routes: int8 [N, A, L] move codes 0..3, STOP (4) ends that agent's route (its vector is zero unless it was
            already at E); moves past the budget are ignored.
        nbr: int32 [C, 4] neighbour table.
        params: float64 [3] score parameters.
        out_rewards: float32 [N, A, K], filled.
        out_steps: int32 [N, A] moves each agent made, filled.
        out_reached: bool [N, A] agents that reached E, filled.
    """
    n_games, n_agents, length = routes.shape
    n_types = pool_totals.shape[1] - 1
    n_cells = pool_cells.shape[1]
    for n in prange(n_games):
        p = inst_idx[n]
        cells = pool_cells[p].copy()
        seen = np.zeros((n_agents, n_cells), dtype=np.bool_)
        pos = np.full(n_agents, pool_starts[p], dtype=np.int64)
        counts = np.zeros((n_agents, n_types + 2), dtype=np.int64)
        active = np.ones(n_agents, dtype=np.bool_)
        reached = np.zeros(n_agents, dtype=np.bool_)
        steps = np.zeros(n_agents, dtype=np.int32)
        moves = np.empty(n_agents, dtype=np.int64)
        left = n_agents
        for t in range(min(length, pool_budgets[p])):
            for a in range(n_agents):
                moves[a] = routes[n, a, t]
                if active[a] and moves[a] != STOP:
                    steps[a] += 1
            left -= _joint_move(cells, seen, nbr, pos, counts, active, reached, moves, n_types)
            if left == 0:
                break
        for a in range(n_agents):
            _score(counts[a], pool_totals[p], n_types, reached[a], params, out_rewards[n, a])
            out_steps[n, a] = steps[a]
            out_reached[n, a] = reached[a]


@njit(cache=True, inline="always")
def _observe_game(n, cells, seen, pos, counts, active, steps_left, n_types, out):  # noqa: ANN001, ANN202
    """Fill ``out[n]`` (int16 [A, D]) with every agent's observation of game ``n`` (see ``game.observation_space``)."""
    n_agents, n_cells = seen.shape[1], seen.shape[2]
    for a in range(n_agents):
        for i in range(n_cells):
            code = cells[n, i]
            if seen[n, a, i]:
                if code == LAVA:
                    code = SPENT_LAVA
                elif code == BONUS:
                    code = 0
            out[n, a, i] = code
        out[n, a, n_cells] = pos[n, a]
        out[n, a, n_cells + 1] = steps_left[n, 0]
        out[n, a, n_cells + 2] = 1 if counts[n, a, n_types + 1] > 0 else 0
        out[n, a, n_cells + 3] = a
        for b in range(n_agents):
            out[n, a, n_cells + 4 + b] = pos[n, b]
            out[n, a, n_cells + 4 + n_agents + b] = 1 if active[n, b] else 0


@njit(cache=True, parallel=True)
def observe_kernel(cells, seen, pos, counts, active, steps_left, n_types, out):  # noqa: ANN001, ANN201
    """Every agent's observation of N games into ``out`` (int16 [N, A, D]); arrays as in ``batch_step_kernel``."""
    for n in prange(cells.shape[0]):
        _observe_game(n, cells, seen, pos, counts, active, steps_left, n_types, out)


@njit(cache=True)
def observe_one(n, cells, seen, pos, counts, active, steps_left, n_types, out):  # noqa: ANN001, ANN201
    """``observe_kernel`` for game ``n`` only, on the calling thread (the PettingZoo env's single game)."""
    _observe_game(n, cells, seen, pos, counts, active, steps_left, n_types, out)
