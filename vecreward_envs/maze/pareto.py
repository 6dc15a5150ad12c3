"""Exact Pareto front of a maze instance: every non-dominated reward vector reachable within the budget.

The reward of a walk depends only on which item cells (items, lava, the bonus) it entered before E. So a
breadth-first search over states (position, set of entered item cells) finds, for each set, the fewest steps
that reach E with exactly that set; the sets that fit the budget give every reachable reward vector, and a
witness route for each. The state space is 2^(item cells) x cells in the worst case; the search visits only
reachable states (typically 1e4-1e6 on the reference 9x9 maze) and refuses instances with more than
``MAX_ITEM_CELLS`` item cells or more than ``max_states`` visited states, with a clear error.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numba import njit, types
from numba.typed import Dict

from vecreward_envs.maze.config import BONUS, END, ITEM0, LAVA, STOP, WALL
from vecreward_envs.maze.instance import MazeInstance
from vecreward_envs.maze.simulate import score_visits

MAX_ITEM_CELLS = 40
"""Item cells are bits of a 64-bit state key together with the position (12 bits): 40 leaves room to spare."""

_DR = np.array([-1, 1, 0, 0], dtype=np.int64)
_DC = np.array([0, 0, -1, 1], dtype=np.int64)


@dataclass(frozen=True)
class ParetoFront:
    """The exact front of one instance."""

    rewards: np.ndarray
    """float32 [P, K] non-dominated distinct reward vectors, sorted lexicographically (descending)."""
    routes: np.ndarray
    """int8 [P, budget] one shortest witness route per vector (STOP-padded)."""
    n_reachable: int
    """Distinct reachable reward vectors (dominated ones included)."""
    n_states: int
    """States the search visited."""


def _item_bits(instance: MazeInstance) -> tuple[np.ndarray, list[tuple[int, int]]]:
    size = instance.config.size
    bit_of = np.full(size * size, -1, dtype=np.int64)
    cells: list[tuple[int, int]] = []
    for r in range(size):
        for c in range(size):
            code = int(instance.cells[r, c])
            if code in (LAVA, BONUS) or code >= ITEM0:
                bit_of[r * size + c] = len(cells)
                cells.append((r, c))
    if len(cells) > MAX_ITEM_CELLS:
        raise ValueError(f"pareto_front supports at most {MAX_ITEM_CELLS} item/lava/bonus cells, the instance has "
                         f"{len(cells)}")
    return bit_of, cells


@njit(cache=True)
def _front_search(walls, bit_of, size, start, end, budget, max_states):  # noqa: ANN001, ANN201
    """BFS over (pos, entered-item mask).

    Returns (terminal masks [M], routes [M, budget], n_states), or n_states = -1 when the state cap was hit.
    """
    n_cells = size * size
    parent = Dict.empty(key_type=types.int64, value_type=types.int64)  # state -> parent_state * 4 + move
    start_key = np.int64(start)
    parent[start_key] = -1
    frontier = [start_key]
    end_masks = []
    end_keys = []
    for _ in range(budget):
        nxt = []
        for key in frontier:
            mask = key // n_cells
            pos = key - mask * n_cells
            r = pos // size
            c = pos - r * size
            for move in range(4):
                nr = r + _DR[move]
                nc = c + _DC[move]
                if not (0 <= nr < size and 0 <= nc < size) or walls[nr * size + nc]:
                    continue  # a blocked move wastes a step and reaches a state already seen: never useful
                npos = nr * size + nc
                nmask = mask
                if bit_of[npos] >= 0:
                    nmask = mask | (np.int64(1) << bit_of[npos])
                nkey = nmask * n_cells + npos
                if nkey in parent:
                    continue
                parent[nkey] = key * 4 + move
                if npos == end:
                    end_masks.append(nmask)
                    end_keys.append(nkey)
                else:
                    nxt.append(nkey)
        if len(parent) > max_states:
            return np.zeros(0, np.int64), np.zeros((0, budget), np.int8), -1
        frontier = nxt
        if len(frontier) == 0:
            break
    masks = np.array(end_masks, dtype=np.int64) if len(end_masks) else np.zeros(0, np.int64)
    routes = np.full((len(end_keys), budget), STOP, dtype=np.int8)
    for i in range(len(end_keys)):
        path = []
        key = end_keys[i]
        while parent[key] >= 0:
            packed = parent[key]
            path.append(np.int8(packed % 4))
            key = packed // 4
        for j in range(len(path)):
            routes[i, j] = path[len(path) - 1 - j]
    return masks, routes, len(parent)


def _front_search_py(walls: np.ndarray, bit_of: np.ndarray, size: int, start: int, end: int, budget: int
                     ) -> tuple[dict[int, list[int]], int]:
    """Plain-Python twin of ``_front_search``: a BFS over (pos, mask) with dicts; mask -> one shortest route."""
    parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {(start, 0): None}
    queue = deque([((start, 0), 0)])
    found: dict[int, list[int]] = {}
    while queue:
        (pos, mask), depth = queue.popleft()
        if depth == budget:
            continue
        r, c = divmod(pos, size)
        for move, (dr, dc) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
            nr, nc = r + dr, c + dc
            if not (0 <= nr < size and 0 <= nc < size) or walls[nr * size + nc]:
                continue
            npos = nr * size + nc
            nmask = mask | (1 << int(bit_of[npos])) if bit_of[npos] >= 0 else mask
            if (npos, nmask) in parent:
                continue
            parent[(npos, nmask)] = ((pos, mask), move)
            if npos == end:
                route, state = [], (npos, nmask)
                while parent[state] is not None:
                    state, mv = parent[state]  # type: ignore[misc]
                    route.append(mv)
                found[nmask] = route[::-1]
            else:
                queue.append(((npos, nmask), depth + 1))
    return found, len(parent)


def _non_dominated(vectors: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``vectors`` [P, K] that no other row dominates (maximization)."""
    geq = np.all(vectors[:, None, :] >= vectors[None, :, :], axis=2)  # [P, P]: row i >= row j everywhere
    gt = np.any(vectors[:, None, :] > vectors[None, :, :], axis=2)
    dominated = np.any(geq & gt, axis=0)  # j dominated by some i
    return ~dominated


def _reachable(instance: MazeInstance, max_states: int, use_numba: bool
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Every distinct reachable reward vector with its fewest steps and one witness route of that length.

    Returns ``(vectors float32 [R, K], routes int8 [R, budget], steps int64 [R], n_states)``; R = 0 when E cannot
    be reached within the budget.
    """
    if not isinstance(instance, MazeInstance):
        raise TypeError(f"pareto_front takes a MazeInstance, got {type(instance).__name__}")
    size = instance.config.size
    bit_of, item_cells = _item_bits(instance)
    walls = (instance.cells.reshape(-1) == WALL)
    start = instance.start[0] * size + instance.start[1]
    end = instance.end[0] * size + instance.end[1]
    assert instance.cells[instance.end] == END
    if use_numba:
        masks, routes, n_states = _front_search(walls, bit_of, size, start, end, instance.budget, max_states)
        if n_states < 0:
            raise ValueError(f"pareto_front: more than max_states={max_states} states; raise max_states")
        pairs = list(zip(masks.tolist(), routes, strict=True))
    else:
        found, n_states = _front_search_py(walls, bit_of, size, start, end, instance.budget)
        pairs = []
        for mask, moves in found.items():
            route = np.full(instance.budget, STOP, dtype=np.int8)
            route[: len(moves)] = moves
            pairs.append((mask, route))
    k = instance.config.n_objectives
    if not pairs:  # cannot happen for generated mazes (E is reachable within the budget by construction)
        return np.zeros((0, k), np.float32), np.zeros((0, instance.budget), np.int8), np.zeros(0, np.int64), n_states
    # vector -> (vector, route, steps): the shortest route per vector (a blocked move never helps, so every witness
    # is a route without blocked moves and its length is its number of moves)
    by_vector: dict[bytes, tuple[np.ndarray, np.ndarray, int]] = {}
    for mask, route in pairs:
        visited = {item_cells[b] for b in range(len(item_cells)) if (mask >> b) & 1}
        vector = score_visits(instance, visited, True)
        steps = int(np.count_nonzero(route != STOP))
        key = vector.tobytes()
        if key not in by_vector or steps < by_vector[key][2]:
            by_vector[key] = (vector, route, steps)
    vectors = np.stack([v for v, _, _ in by_vector.values()])  # [R, K]
    witness = np.stack([w for _, w, _ in by_vector.values()])  # [R, budget]
    steps = np.array([t for _, _, t in by_vector.values()], dtype=np.int64)  # [R]
    return vectors, witness, steps, n_states


def pareto_front(instance: MazeInstance, *, max_states: int = 5_000_000, use_numba: bool = True) -> ParetoFront:
    """The exact Pareto front of ``instance`` (see module docstring).

    Args:
        instance: a maze.
        max_states: refuse (ValueError) instances whose search would visit more states.
        use_numba: False runs the plain-Python twin (for tests; much slower).
    """
    vectors, witness, _, n_states = _reachable(instance, max_states, use_numba)
    if len(vectors) == 0:
        return ParetoFront(vectors, witness, 0, n_states)
    keep = _non_dominated(vectors)
    front, routes = vectors[keep], witness[keep]
    order = np.lexsort(front.T[::-1])[::-1]  # descending, first objective most significant
    return ParetoFront(rewards=front[order], routes=routes[order], n_reachable=len(vectors), n_states=n_states)


def discounted_front(instance: MazeInstance | None, gamma: float = 1.0, *, max_steps: int | None = None,
                     one_step: bool = False, max_states: int = 5_000_000) -> list[np.ndarray]:
    """The exact Pareto front of an env's discounted vector returns, as MO-Gymnasium's ``pareto_front(gamma)``.

    What the maze envs' ``env.unwrapped.pareto_front(gamma)`` returns: the front of the maze the env plays *now*
    (the instance of the last ``reset``; an env with many mazes has one front per maze), as a list of float64
    [K] arrays sorted lexicographically, descending (first objective most significant).

    Discounting is exact. ``ConflictMaze-v0`` pays the whole reward vector ``v`` on the step that reaches E, so a
    route of T moves returns ``gamma**(T - 1) * v`` (MO-Gymnasium's convention: the first reward is not
    discounted). Rewards are >= 0, so for each reachable vector the shortest route that scores it dominates the
    longer ones; the front is the non-dominated set of ``gamma**(T_v - 1) * v`` over every reachable vector ``v``
    with its fewest moves ``T_v`` (the exact search already finds both). A vector that is dominated undiscounted
    can be on the discounted front when its route is shorter. ``gamma=1`` gives ``pareto_front(instance).rewards``.
    ``ConflictMazeRoute-v0`` has one-step episodes (``one_step=True``): the return is the reward, ``gamma`` does
    not apply, and the front is the undiscounted one for every ``gamma``.

    Args:
        instance: the env's current maze; None (the env was not reset yet) raises ``ValueError``.
        gamma: discount in [0, 1].
        max_steps: only routes of at most this many moves (the route env's ``route_len``); None: the budget.
        one_step: the env's episodes have one step (the route env): no discounting.
        max_states: refuse (ValueError) instances whose search would visit more states.

    Returns:
        The front as a list of float64 [K] arrays; ``[zeros(K)]`` when no route within the limits reaches E.

    Raises:
        ValueError: no instance yet, a gamma outside [0, 1], a bad ``max_steps``, or a too large search.
    """
    if instance is None:
        raise ValueError("pareto_front() needs the env's current maze: call reset() first")
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.integer, np.floating)) or not (
            0.0 <= float(gamma) <= 1.0):
        raise ValueError(f"pareto_front: gamma must be a number in [0, 1], got {gamma!r}")
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer))
                                  or max_steps < 1):
        raise ValueError(f"pareto_front: max_steps must be an int >= 1 or None, got {max_steps!r}")
    vectors, _, steps, _ = _reachable(instance, max_states, True)
    if max_steps is not None:
        vectors, steps = vectors[steps <= max_steps], steps[steps <= max_steps]
    if len(vectors) == 0:
        return [np.zeros(instance.config.n_objectives, dtype=np.float64)]
    returns = vectors.astype(np.float64)  # [R, K]
    if not one_step:
        returns = returns * float(gamma) ** (steps - 1).astype(np.float64)[:, None]
    # distinct vectors can coincide once discounted (e.g. gamma = 0): keep one of each
    returns = np.unique(returns[_non_dominated(returns)], axis=0)
    order = np.lexsort(returns.T[::-1])[::-1]
    return [row.copy() for row in returns[order]]
