"""Numba kernels of the maze: the physics (one move, the score) written once, used by every view.

- ``score_routes_kernel``: whole routes -> reward vectors, for the single-turn route view (and the text view,
  after parsing), batched over routes that point into a stacked instance batch.
- ``step_one``: one move of one running episode (the single env calls it directly);
  ``step_kernel`` loops it over N episodes on threads, with NEXT_STEP autoreset from an instance pool, for the
  vector env.

Both go through ``_advance`` and ``_score``, so an episode's summed reward equals its route's score.
Plain-Python twins live in ``kernels_py.py``; ``tests/vecreward_envs/maze`` checks they agree.
Compiled lazily on first call (``cache=True`` keeps the machine code between processes).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit, prange

from vecreward_envs.maze.config import BONUS, END, ITEM0, LAVA, SPENT_LAVA, STOP, WALL, MazeConfig
from vecreward_envs.threading_layer import configure as _configure_threading_layer

_configure_threading_layer()  # before any parallel kernel runs: TBB, fork-safe (threading_layer.py)


@lru_cache(maxsize=64)
def neighbour_table(size: int) -> np.ndarray:
    """int32 [size*size, 4]: the flat cell each move (UP, DOWN, LEFT, RIGHT) leads to, or -1 off the grid.

    A table lookup replaces two integer divisions per move in the hot loop; it is shared by every instance
    of a size (walls are checked against each episode's own cells).
    """
    table = np.full((size * size, 4), -1, dtype=np.int32)
    for r in range(size):
        for c in range(size):
            for move, (dr, dc) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
                if 0 <= r + dr < size and 0 <= c + dc < size:
                    table[r * size + c, move] = (r + dr) * size + c + dc
    table.flags.writeable = False
    return table


def score_params(config: MazeConfig) -> np.ndarray:
    """float64 [3]: the score-mode parameters the kernels take (convex 0/1, bonus multiplier, lava penalty)."""
    return np.array([1.0 if config.score_mode == "convex_bonus" else 0.0, config.bonus_multiplier,
                     config.lava_penalty], dtype=np.float64)


@njit(cache=True, inline="always")
def _advance(cells, n, nbr, pos, move, counts, n_types):  # noqa: ANN001, ANN202
    """Apply one move of episode ``n`` in place.

    Walls and borders block (the step still counts), E ends the walk, items, lava and the bonus are counted the
    first time their cell is entered and then marked spent.

    The episode is addressed by its row index into 2-D arrays rather than passed as row views: in a kernel's hot
    loop every view is an array struct built (and reference counted) per call, which cost about as much as the move
    itself (measured: 1.8x steps/s from indexing instead).

    Args:
        cells: [R, >= H*W] cell codes (row ``n``, first H*W entries, is this episode's), mutated: collected items
            become EMPTY, stepped lava SPENT_LAVA.
        n: the episode's row.
        nbr: int32 [H*W, 4] neighbour table (``neighbour_table``).
        pos: flat index of the agent.
        move: 0..3.
        counts: [R, T+2] collected items per type, lava stepped, bonus visited (row ``n``); mutated.
        n_types: T.

    Returns:
        (new flat position, reached_end)
    """
    target = nbr[pos, move]
    if target >= 0 and cells[n, target] != WALL:
        pos = target
    code = cells[n, pos]
    if code == END:
        return pos, True
    if code == LAVA:
        counts[n, n_types] += 1
        cells[n, pos] = SPENT_LAVA
    elif code == BONUS:
        counts[n, n_types + 1] += 1
        cells[n, pos] = 0
    elif code >= ITEM0:
        counts[n, code - ITEM0] += 1
        cells[n, pos] = 0
    return pos, False


@njit(cache=True, inline="always")
def _score(counts, totals, n_types, reached, params, out):  # noqa: ANN001, ANN202
    """Reward vector [completion, item fractions..., avoid_lava] into ``out`` ([K] float32); zeros unless E.

    ``params`` is ``score_params(config)``: [convex (0/1), bonus multiplier, lava penalty].
    """
    convex = params[0] > 0.0
    bonus_mult = params[1]
    lava_penalty = params[2]
    if not reached:
        for k in range(n_types + 2):
            out[k] = 0.0
        return
    mult = bonus_mult if (convex and counts[n_types + 1] > 0) else 1.0
    out[0] = 1.0
    for t in range(n_types + 1):
        if t < n_types:
            frac = counts[t] / totals[t] if totals[t] > 0 else 0.0
        else:
            frac = 1.0 - lava_penalty * counts[t] / totals[t] if totals[t] > 0 else 1.0
        frac = min(max(frac, 0.0), 1.0)
        if convex:
            frac = min(max(mult * (frac * frac), 0.0), 1.0)
        out[t + 1] = frac


ROUTE_CHUNK = 256
"""Routes per scratch allocation in ``score_routes_kernel`` (allocating per route cost more than scoring it)."""


@njit(cache=True, parallel=True)
def score_routes_kernel(cells, starts, budgets, totals, inst_idx, routes, nbr, params,  # noqa: ANN001, ANN201
                        out_rewards, out_steps, out_reached, out_final):
    """Score N routes, each on the instance ``inst_idx[n]`` of a stacked batch.

    Args:
        cells: uint8 [P, H*W] cell codes of the P instances.
        starts: int32 [P] flat index of S.
        budgets: int32 [P] step budgets.
        totals: int32 [P, T+1] item totals per type, then lava total.
        inst_idx: int64 [N] instance of each route.
        routes: int8 [N, L] move codes 0..3, STOP (4) ends the route; moves past the budget are ignored.
        nbr: int32 [H*W, 4] neighbour table (``neighbour_table``).
        params: float64 [3] ``score_params(config)``.
        out_rewards: float32 [N, K], filled.
        out_steps: int32 [N] moves used, filled.
        out_reached: bool [N] whether E was reached, filled.
        out_final: int32 [N] flat final position, filled.
    """
    n_routes, length = routes.shape
    n_cells = cells.shape[1]
    n_types = totals.shape[1] - 1
    n_chunks = (n_routes + ROUTE_CHUNK - 1) // ROUTE_CHUNK
    for chunk in prange(n_chunks):
        local = np.empty((1, n_cells), dtype=cells.dtype)  # [1, C] scratch copy of the instance, row 0
        counts = np.empty((1, n_types + 2), dtype=np.int64)  # [1, T+2]
        for n in range(chunk * ROUTE_CHUNK, min(n_routes, (chunk + 1) * ROUTE_CHUNK)):
            p = inst_idx[n]
            for i in range(n_cells):
                local[0, i] = cells[p, i]
            counts[0, :] = 0
            pos = np.int64(starts[p])
            reached = False
            steps = 0
            limit = min(length, budgets[p])
            for i in range(limit):
                move = routes[n, i]
                if move == STOP:
                    break
                pos, reached = _advance(local, 0, nbr, pos, move, counts, n_types)
                steps += 1
                if reached:
                    break
            _score(counts[0], totals[p], n_types, reached, params, out_rewards[n])
            out_steps[n] = steps
            out_reached[n] = reached
            out_final[n] = pos


@njit(cache=True, inline="always")
def _xorshift(state):  # noqa: ANN001, ANN202
    """One xorshift64* draw: (new state, 64-bit output). Per-env generator for picking pool instances."""
    x = state
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    return x, x * np.uint64(2685821657736338717)


@njit(cache=True, inline="always")
def _start_episode(n, pool_cells, pool_starts, pool_budgets, pool_totals, rng_state, obs, counts, totals,  # noqa: ANN001, ANN202
                   inst_id, needs_reset):
    """Env ``n`` draws a pool instance with its own generator and starts an episode on it (rows indexed, no views)."""
    rng_state[n], draw = _xorshift(rng_state[n])
    p = np.int64(draw % np.uint64(pool_cells.shape[0]))
    inst_id[n] = p
    n_cells = pool_cells.shape[1]
    for i in range(n_cells):
        obs[n, i] = pool_cells[p, i]
    obs[n, n_cells] = pool_starts[p]
    obs[n, n_cells + 1] = pool_budgets[p]
    obs[n, n_cells + 2] = 0
    for i in range(counts.shape[1]):
        counts[n, i] = 0
    for i in range(totals.shape[1]):
        totals[n, i] = pool_totals[p, i]
    needs_reset[n] = False


@njit(cache=True)
def reset_kernel(pool_cells, pool_starts, pool_budgets, pool_totals, rng_state, mask, obs, counts, totals,  # noqa: ANN001, ANN201
                 inst_id, needs_reset):
    """Start a new episode (a random pool instance) in every env where ``mask`` is set."""
    for n in range(obs.shape[0]):
        if mask[n]:
            _start_episode(n, pool_cells, pool_starts, pool_budgets, pool_totals, rng_state, obs, counts, totals,
                           inst_id, needs_reset)


@njit(cache=True, inline="always")  # inlined into step_kernel's loop; still callable from Python (single env)
def step_one(obs, counts, totals, n, nbr, params, action, out_rewards):  # noqa: ANN001, ANN201
    """One move of episode ``n``: the MDP's physics (the single env calls it, the vector kernel loops it).

    Args:
        obs: int16 [R, C+3] observation/state rows: cells, agent flat position, steps left, bonus visited.
        counts: int64 [R, T+2] collected items per type, lava stepped, bonus visited.
        totals: int32 [R, T+1] item totals of each row's instance, then its lava total.
        n: the row of the episode to move (the single env has one row, 0).
        nbr: int32 [C, 4] neighbour table.
        params: float64 [3] ``score_params(config)``.
        action: a move 0..3 (validated by the caller).
        out_rewards: float32 [R, K], row ``n`` filled: zeros unless this move ends the episode.

    Returns:
        True when the episode ended (E reached or budget spent).
    """
    n_cells = nbr.shape[0]
    n_types = totals.shape[1] - 1
    pos, reached = _advance(obs, n, nbr, np.int64(obs[n, n_cells]), action, counts, n_types)
    obs[n, n_cells] = pos
    obs[n, n_cells + 1] -= 1
    obs[n, n_cells + 2] = 1 if counts[n, n_types + 1] > 0 else 0
    done = reached or obs[n, n_cells + 1] <= 0
    if done:
        _score(counts[n], totals[n], n_types, reached, params, out_rewards[n])  # views: once per episode only
    else:
        for k in range(out_rewards.shape[1]):
            out_rewards[n, k] = 0.0
    return done


@njit(cache=True, parallel=True)
def step_kernel(actions, obs, counts, totals, needs_reset, nbr, params,  # noqa: ANN001, ANN201
                pool_cells, pool_starts, pool_budgets, pool_totals, rng_state, inst_id,
                out_rewards, out_terminated):
    """Advance N episodes by one move each (NEXT_STEP autoreset for envs that ended on the previous call).

    Args:
        actions: int64 [N] moves 0..3 (validated by the caller).
        obs: int16 [N, C+3] state, C = H*W: cell codes, agent flat position, steps left, bonus visited (0/1).
        counts: int64 [N, T+2] collected items per type, lava stepped, bonus visited.
        totals: int32 [N, T+1] item totals of each env's instance, then its lava total.
        needs_reset: bool [N] envs whose episode ended on the previous call.
        nbr: int32 [H*W, 4] neighbour table (``neighbour_table``).
        params: float64 [3] ``score_params(config)``.
        pool_cells: uint8 [P, C] instance pool for autoresets.
        pool_starts: int32 [P] flat index of S.
        pool_budgets: int32 [P] budgets.
        pool_totals: int32 [P, T+1] totals.
        rng_state: uint64 [N] per-env xorshift state that picks pool instances.
        inst_id: int64 [N] pool index of each env's instance.
        out_rewards: float32 [N, K], zeros except on the step that ends an episode.
        out_terminated: bool [N].

    Returns:
        -1, or the index of the first action outside 0..3 (then nothing was changed).
    """
    n_envs = obs.shape[0]
    for n in range(n_envs):  # validate everything before changing anything
        if actions[n] < 0 or actions[n] > 3:
            return n
    for n in prange(n_envs):
        if needs_reset[n]:
            _start_episode(n, pool_cells, pool_starts, pool_budgets, pool_totals, rng_state, obs, counts, totals,
                           inst_id, needs_reset)
            out_rewards[n, :] = 0.0
            out_terminated[n] = False
            continue
        done = step_one(obs, counts, totals, n, nbr, params, actions[n], out_rewards)
        if done:
            needs_reset[n] = True
        out_terminated[n] = done
    return -1

