"""Routes for tests: random ones, and ones that reach E (random moves almost never do)."""

from __future__ import annotations

from collections import deque

import numpy as np

from vecreward_envs.maze import MazeInstance
from vecreward_envs.maze.config import STOP, WALL

_MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))


def shortest_moves(instance: MazeInstance, source: tuple[int, int], target: tuple[int, int]) -> list[int] | None:
    """Moves of a shortest walk source -> target that does not pass through E before the target."""
    size = instance.config.size
    parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {source: None}
    queue = deque([source])
    while queue:
        cell = queue.popleft()
        if cell == target:
            moves = []
            while parent[cell] is not None:
                cell, move = parent[cell]  # type: ignore[misc]
                moves.append(move)
            return moves[::-1]
        if cell == instance.end and cell != source:
            continue
        for move, (dr, dc) in enumerate(_MOVES):
            nxt = (cell[0] + dr, cell[1] + dc)
            if 0 <= nxt[0] < size and 0 <= nxt[1] < size and instance.cells[nxt] != WALL and nxt not in parent:
                parent[nxt] = (cell, move)
                queue.append(nxt)
    return None


def waypoint_route(instance: MazeInstance, rng: np.random.Generator, length: int) -> np.ndarray:
    """S -> up to 3 random open cells -> E, with a few random moves mixed in; STOP-padded to ``length``."""
    size = instance.config.size
    open_cells = [tuple(c) for c in np.argwhere(instance.cells != WALL)]
    moves: list[int] = []
    here = instance.start
    for _ in range(int(rng.integers(0, 4))):
        target = open_cells[int(rng.integers(len(open_cells)))]
        leg = shortest_moves(instance, here, target)
        if leg is not None:
            moves += leg
            here = target
        if rng.random() < 0.3:
            moves.append(int(rng.integers(4)))  # may bump a wall: position tracking below stays exact
            here = _walk(instance, instance.start, moves, size)
    leg = shortest_moves(instance, here, instance.end)
    moves += leg or []
    route = np.full(length, STOP, dtype=np.int8)
    route[: min(length, len(moves))] = moves[:length]
    return route


def _walk(instance: MazeInstance, start: tuple[int, int], moves: list[int], size: int) -> tuple[int, int]:
    r, c = start
    for move in moves:
        dr, dc = _MOVES[move]
        if 0 <= r + dr < size and 0 <= c + dc < size and instance.cells[r + dr, c + dc] != WALL:
            r, c = r + dr, c + dc
    return (r, c)


def mixed_routes(instance: MazeInstance, rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """int8 [n, length]: half waypoint routes (most reach E, some overshoot the budget), half random moves."""
    routes = np.empty((n, length), dtype=np.int8)
    for i in range(n):
        if i % 2 == 0:
            routes[i] = waypoint_route(instance, rng, length)
        else:
            routes[i] = rng.integers(0, 5, size=length)
    return routes
