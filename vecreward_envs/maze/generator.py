"""Seeded maze generator: a randomized Prim's maze, extra openings for cycles, a designed conflict.

Rules (``shared/reference/tasks.md``, VPO's ``vpo_tasks/maze.py``): S and E on one diagonal, item zones around
the other two corners (and edge midpoints for more item types), lava on open interior cells, a bonus cell at the
centre, budget = max over item types of the shortest S -> anchor -> E walk + slack. A maze is rejected when the
conflict rule finds a walk through two anchors within the budget, or when E cannot be reached without lava within
the budget; ``generate(seed)`` then tries ``seed + 1`` and so on, as the reference data-set builder does.

The generator draws from ``random.Random(seed)`` in the same order as the reference builder, so that with the
reference config a seed gives the reference's maze cell for cell (checked once by hand against the reference code;
the regression test pins grids). Generation runs once per instance and is not on a hot path: plain Python.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from vecreward_envs.maze.config import BONUS, EMPTY, END, ITEM0, LAVA, START, WALL, MazeConfig
from vecreward_envs.maze.instance import MazeInstance

_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))
_UNREACHABLE = 10**9


class MazeGenerationError(RuntimeError):
    """No maze was accepted within ``config.max_attempts`` consecutive seeds."""


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"maze seed must be a non-negative int, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"maze seed must be a non-negative int, got {seed}")
    return int(seed)


def _open_neighbours(grid: list[list[int]], r: int, c: int) -> int:
    size = len(grid)
    return sum(
        1 for dr, dc in _NEIGHBOURS
        if 0 <= r + dr < size and 0 <= c + dc < size and grid[r + dr][c + dc] != WALL
    )


def _prims_maze(rng: random.Random, size: int) -> list[list[int]]:
    grid = [[WALL] * size for _ in range(size)]
    sr, sc = rng.randrange(size), rng.randrange(size)
    grid[sr][sc] = EMPTY
    frontier = [(sr + dr, sc + dc) for dr, dc in _NEIGHBOURS if 0 <= sr + dr < size and 0 <= sc + dc < size]
    while frontier:
        r, c = frontier.pop(rng.randrange(len(frontier)))
        if grid[r][c] != WALL or _open_neighbours(grid, r, c) != 1:
            continue
        grid[r][c] = EMPTY
        frontier.extend(
            (r + dr, c + dc) for dr, dc in _NEIGHBOURS
            if 0 <= r + dr < size and 0 <= c + dc < size and grid[r + dr][c + dc] == WALL
        )
    return grid


def _add_cycles(grid: list[list[int]], rng: random.Random, n_cycles: int) -> None:
    size = len(grid)
    candidates = [
        (r, c) for r in range(size) for c in range(size)
        if grid[r][c] == WALL and _open_neighbours(grid, r, c) >= 2
    ]
    rng.shuffle(candidates)
    for r, c in candidates[:n_cycles]:
        grid[r][c] = EMPTY


def bfs_distances(grid: list[list[int]], source: tuple[int, int], blocked: frozenset[int] = frozenset({WALL})
                  ) -> list[list[int]]:
    """Shortest walk length from ``source`` to every cell (``_UNREACHABLE`` where none), 4-connected."""
    size = len(grid)
    dist = [[_UNREACHABLE] * size for _ in range(size)]
    dist[source[0]][source[1]] = 0
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        for dr, dc in _NEIGHBOURS:
            nr, nc = r + dr, c + dc
            if 0 <= nr < size and 0 <= nc < size and grid[nr][nc] not in blocked and dist[nr][nc] == _UNREACHABLE:
                dist[nr][nc] = dist[r][c] + 1
                queue.append((nr, nc))
    return dist


def shortest_route(instance: MazeInstance, *, avoid_lava: bool = True) -> list[int]:
    """Move codes of a shortest S -> E walk (lava-free when ``avoid_lava`` and one exists, else through lava)."""
    grid = instance.cells.tolist()
    blocked = frozenset({WALL, LAVA}) if avoid_lava else frozenset({WALL})
    dist = bfs_distances(grid, instance.end, blocked=blocked)  # from E, so the walk descends the distance field
    if dist[instance.start[0]][instance.start[1]] >= _UNREACHABLE:
        dist = bfs_distances(grid, instance.end)
    moves: list[int] = []
    r, c = instance.start
    while (r, c) != instance.end:
        for move, (dr, dc) in enumerate(_NEIGHBOURS):
            nr, nc = r + dr, c + dc
            if 0 <= nr < len(grid) and 0 <= nc < len(grid) and dist[nr][nc] == dist[r][c] - 1:
                moves.append(move)
                r, c = nr, nc
                break
    return moves


def _zone(anchor: tuple[int, int], size: int, radius: int) -> list[tuple[int, int]]:
    return [(r, c) for r in range(size) for c in range(size) if abs(r - anchor[0]) + abs(c - anchor[1]) <= radius]


def _try_build(seed: int, requested_seed: int, config: MazeConfig) -> MazeInstance | None:
    """Build the maze of one seed, or None when a rule rejects it."""
    rng = random.Random(seed)
    size, n_types = config.size, config.n_item_types
    grid = _prims_maze(rng, size)
    _add_cycles(grid, rng, n_cycles=rng.randint(*config.cycle_count_range))

    last = size - 1
    sr, sc, er, ec = rng.choice([(0, 0, last, last), (0, last, last, 0)])
    start, end = (sr, sc), (er, ec)
    free_corners = [c for c in [(0, 0), (0, last), (last, 0), (last, last)] if c not in (start, end)]
    rng.shuffle(free_corners)
    anchors = list(free_corners)
    if n_types > 2:  # extra item types sit on edge midpoints; no draw at all for the reference's two types
        mid = size // 2
        midpoints = [(0, mid), (last, mid), (mid, 0), (mid, last)]
        rng.shuffle(midpoints)
        anchors += midpoints
    anchors = anchors[:n_types]
    centre = (size // 2, size // 2)
    for r, c in [start, end, *anchors, centre]:
        grid[r][c] = EMPTY

    from_start = bfs_distances(grid, start)
    from_end = bfs_distances(grid, end)
    if from_start[er][ec] >= _UNREACHABLE or from_start[centre[0]][centre[1]] >= _UNREACHABLE:
        return None
    via = [from_start[a[0]][a[1]] + from_end[a[0]][a[1]] for a in anchors]
    if max(via) >= _UNREACHABLE:
        return None
    budget = max(via) + config.slack

    if config.conflict != "off":
        pairs = [(0, 1)] if config.conflict == "gold_then_diamond" else [(0, 1), (1, 0)]
        from_anchor = {i: bfs_distances(grid, anchors[i]) for i in (0, 1)}
        for i, j in pairs:
            (ai, aj) = anchors[i], anchors[j]
            if from_start[ai[0]][ai[1]] + from_anchor[i][aj[0]][aj[1]] + from_end[aj[0]][aj[1]] <= budget:
                return None

    grid[sr][sc], grid[er][ec], grid[centre[0]][centre[1]] = START, END, BONUS

    lo, hi = config.item_count_range
    zones = [[cell for cell in _zone(a, size, config.zone_radius) if grid[cell[0]][cell[1]] == EMPTY]
             for a in anchors]
    if any(len(zone) < lo for zone in zones):
        return None
    counts = [rng.randint(lo, min(hi, len(zone))) for zone in zones]
    for t, (zone, count) in enumerate(zip(zones, counts, strict=True)):
        still_empty = [cell for cell in zone if grid[cell[0]][cell[1]] == EMPTY]  # zones may overlap
        if count > len(still_empty):
            return None
        for r, c in rng.sample(still_empty, count):
            grid[r][c] = ITEM0 + t

    interior = [(r, c) for r in range(2, size - 2) for c in range(2, size - 2) if grid[r][c] == EMPTY]
    n_lava = min(rng.randint(*config.lava_count_range), len(interior))
    for r, c in rng.sample(interior, n_lava):
        grid[r][c] = LAVA

    shortest_safe = bfs_distances(grid, start, blocked=frozenset({WALL, LAVA}))[er][ec]
    if shortest_safe > budget:
        return None

    cells = np.array(grid, dtype=np.uint8)
    cells.flags.writeable = False
    return MazeInstance(
        config=config, seed=seed, requested_seed=requested_seed, cells=cells, start=start, end=end,
        budget=budget, item_totals=tuple(counts), lava_total=n_lava, anchors=tuple(anchors),
        bonus_cell=centre, shortest_safe=shortest_safe,
    )


def generate(seed: int, config: MazeConfig | None = None) -> MazeInstance:
    """The maze of ``seed``: deterministic from the seed and config alone (no global RNG).

    Tries ``seed``, ``seed + 1``, ... (the reference builder's retry rule) and returns the first accepted maze;
    its ``seed`` field says which one.

    Raises:
        TypeError / ValueError: the seed is not a non-negative int.
        MazeGenerationError: no maze accepted within ``config.max_attempts`` seeds (parameters too restrictive).
    """
    requested = _check_seed(seed)
    config = config if config is not None else MazeConfig()
    if not isinstance(config, MazeConfig):
        raise TypeError(f"config must be a MazeConfig, got {type(config).__name__}")
    for candidate in range(requested, requested + config.max_attempts):
        instance = _try_build(candidate, requested, config)
        if instance is not None:
            return instance
    raise MazeGenerationError(
        f"no maze accepted for seeds {requested}..{requested + config.max_attempts - 1} with {config}; the "
        "parameters are too restrictive (try a smaller slack, conflict='gold_then_diamond' or 'off', or a larger size)"
    )


@lru_cache(maxsize=4096)
def generate_cached(seed: int, config: MazeConfig) -> MazeInstance:
    """``generate(seed, config)``, remembered.

    The G rollouts of a group (or the K reward functions of an export) ask for one maze many times. Instances are
    immutable, so sharing them is safe.
    """
    return generate(seed, config)


def iter_instances(first_seed: int, config: MazeConfig | None = None) -> Iterator[MazeInstance]:
    """Distinct consecutive mazes starting at ``first_seed``, the way the reference builds a data split.

    Each search resumes after the last accepted seed, so no maze repeats.
    """
    seed = _check_seed(first_seed)
    while True:
        instance = generate(seed, config)
        yield instance
        seed = instance.seed + 1
