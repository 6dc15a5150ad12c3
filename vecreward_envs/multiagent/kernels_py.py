"""Plain-Python twins of the multi-agent kernels: slow, obvious, written from the rules (not from the kernels).

They exist to be compared against ``kernels.py`` (equivalence tests) and as the baseline of the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vecreward_envs.maze.config import BONUS, END, ITEM0, LAVA, STOP, WALL
from vecreward_envs.maze.instance import MazeInstance
from vecreward_envs.maze.simulate import score_visits

_OFFSETS = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1)}


class GamePy:
    """One multi-agent game on a maze, stepped in plain Python (the twin of ``kernels.game_step``)."""

    def __init__(self, instance: MazeInstance, n_agents: int) -> None:
        self.instance = instance
        self.size = instance.config.size
        self.grid = [[int(v) for v in row] for row in instance.cells]  # shared: taken items become 0
        self.where = [instance.start for _ in range(n_agents)]
        self.visited: list[set[tuple[int, int]]] = [set() for _ in range(n_agents)]  # item/lava/B cells entered
        self.active = [True] * n_agents
        self.reached = [False] * n_agents
        self.steps_left = instance.budget

    def _move(self, a: int, move: int) -> bool:
        """Move agent ``a``; True when it is done by this move (E or STOP)."""
        if move == STOP:
            self.active[a] = False
            return True
        r, c = self.where[a]
        dr, dc = _OFFSETS[int(move)]
        if 0 <= r + dr < self.size and 0 <= c + dc < self.size and self.grid[r + dr][c + dc] != WALL:
            r, c = r + dr, c + dc
        self.where[a] = (r, c)
        code = self.grid[r][c]
        if code == END:
            self.active[a] = False
            self.reached[a] = True
            return True
        if code in (LAVA, BONUS):
            self.visited[a].add((r, c))  # a set: each agent counts each cell once
        elif code >= ITEM0:
            self.visited[a].add((r, c))
            self.grid[r][c] = 0  # the item is gone for everyone
        return False

    def step(self, moves: Sequence[int]) -> tuple[np.ndarray, list[bool], bool]:
        """One joint move (agents resolved in index order: the lower index wins a tie on an item).

        Returns:
            (float32 [A, K] rewards: an agent's vector on the step it is done, else zeros; agents done now;
            game over)
        """
        k = self.instance.config.n_objectives
        n_agents = len(self.active)
        done_now = [False] * n_agents
        for a in range(n_agents):
            if self.active[a]:
                done_now[a] = self._move(a, int(moves[a]))
        self.steps_left -= 1
        if self.steps_left <= 0:
            for a in range(n_agents):
                if self.active[a]:
                    self.active[a] = False
                    done_now[a] = True
        rewards = np.zeros((n_agents, k), dtype=np.float32)
        for a in range(n_agents):
            if done_now[a]:
                rewards[a] = self.score(a)
        return rewards, done_now, not any(self.active)

    def score(self, a: int) -> np.ndarray:
        """Agent ``a``'s reward vector from the cells it entered itself (the single maze's scoring rules)."""
        return score_visits(self.instance, self.visited[a], self.reached[a])


def play_routes_py(instance: MazeInstance, routes: Sequence[Sequence[int]]) -> np.ndarray:
    """float32 [A, K]: A routes played jointly on one maze (the twin of ``kernels.joint_routes_kernel``)."""
    n_agents = len(routes)
    game = GamePy(instance, n_agents)
    k = instance.config.n_objectives
    out = np.zeros((n_agents, k), dtype=np.float32)
    length = max((len(r) for r in routes), default=0)
    for t in range(min(length, instance.budget)):
        moves = [int(r[t]) if t < len(r) else STOP for r in routes]
        game.steps_left = instance.budget + 1  # routes: the budget is the loop bound, not a game end
        game.step(moves)
        if not any(game.active):
            break
    for a in range(n_agents):
        out[a] = game.score(a)
    return out
