"""Partial answers of the structured view, as running MDP episodes: what a small network conditions each token on.

A ``MazeCursor`` holds N routes being written (one per rollout) as the same state rows the MDP env uses, and
advances them with the same physics (``kernels.step_one``). Its ``features()`` describe where each route stands
now: an egocentric window of the maze, the direction to E, steps left, what was collected. A small policy reads
them before choosing each move, so it can learn navigation in minutes; an LLM gets only the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from vecreward_envs.maze.config import BONUS, END, ITEM0, LAVA, STOP, WALL, MazeConfig
from vecreward_envs.maze.instance import MazeInstance
from vecreward_envs.maze.kernels import neighbour_table, score_params, step_one

WINDOW_RADIUS = 2
"""The egocentric window is (2r+1) x (2r+1) cells around the route's head."""


@njit(cache=True)  # serial: N is a training batch, and worker threads would compete with torch's
def _cursor_kernel(moves, obs, counts, totals, nbr, params, rewards, done):  # noqa: ANN001, ANN201
    """Advance every unfinished route by its move (STOP finishes a route with the zero vector)."""
    n_cells = nbr.shape[0]
    for n in range(obs.shape[0]):
        if done[n]:
            continue
        if moves[n] == STOP:
            done[n] = True
            rewards[n, :] = 0.0
            continue
        done[n] = step_one(obs, counts, totals, n, nbr, params, moves[n], rewards)
        if not done[n] and obs[n, n_cells + 1] <= 0:
            done[n] = True


class MazeCursor:
    """N routes being written on their instances, advanced one move at a time."""

    def __init__(self, config: MazeConfig, instances: Sequence[MazeInstance], inst_idx: np.ndarray) -> None:
        self.config = config
        size, n_cells, n_types = config.size, config.n_cells, config.n_item_types
        idx = np.asarray(inst_idx, dtype=np.int64)
        n = idx.shape[0]
        base = np.zeros((len(instances), n_cells + 3), dtype=np.int16)
        totals = np.zeros((len(instances), n_types + 1), dtype=np.int32)
        ends = np.zeros(len(instances), dtype=np.int64)
        for p, inst in enumerate(instances):
            base[p, :n_cells] = inst.cells.reshape(-1)
            base[p, n_cells] = inst.start[0] * size + inst.start[1]
            base[p, n_cells + 1] = inst.budget
            totals[p] = (*inst.item_totals, inst.lava_total)
            ends[p] = inst.end[0] * size + inst.end[1]
        self.obs = base[idx].copy()  # [N, C+3] state rows, as in the MDP
        self.counts = np.zeros((n, n_types + 2), dtype=np.int64)
        self.totals = totals[idx]
        self.budget = self.obs[:, n_cells + 1].astype(np.float32).copy()  # [N]
        self.end_rc = np.stack([ends[idx] // size, ends[idx] % size], axis=1)  # [N, 2]
        self.rewards = np.zeros((n, config.n_objectives), dtype=np.float32)  # [N, K] final vectors
        self.done = np.zeros(n, dtype=np.bool_)
        self._nbr = neighbour_table(size)
        self._params = score_params(config)
        r = WINDOW_RADIUS
        self._offsets = np.array([(dr, dc) for dr in range(-r, r + 1) for dc in range(-r, r + 1)])  # [W, 2]

    @property
    def n_features(self) -> int:
        """Length F of ``features()`` rows."""
        return self._offsets.shape[0] * (4 + self.config.n_item_types) + 4 + self.config.n_item_types + 2

    def valid_moves(self) -> np.ndarray:
        """Moves worth taking now, bool [N, 5].

        A move into a wall or off the grid only wastes a step, and STOP before E guarantees the zero vector, so
        neither can improve a route: masking them loses nothing. A finished route (E reached or budget spent) may
        only STOP.
        """
        n_cells = self.config.n_cells
        pos = self.obs[:, n_cells].astype(np.int64)
        target = self._nbr[pos]  # [N, 4]
        open_cell = (target >= 0) & (np.take_along_axis(self.obs[:, :n_cells], np.maximum(target, 0), 1) != WALL)
        valid = np.zeros((self.done.shape[0], 5), dtype=np.bool_)
        valid[:, :4] = open_cell & ~self.done[:, None]
        valid[:, STOP] = self.done
        return valid

    def advance(self, moves: np.ndarray) -> None:
        """Apply move codes [N] (0..3, or STOP) to the unfinished routes."""
        moves = np.ascontiguousarray(moves, dtype=np.int64)
        _cursor_kernel(moves, self.obs, self.counts, self.totals, self._nbr, self._params, self.rewards, self.done)

    def features(self) -> np.ndarray:
        """float32 [N, F]: egocentric window one-hot, direction to E, steps left, collected fractions, done."""
        config = self.config
        size, n_cells, n_types = config.size, config.n_cells, config.n_item_types
        pos = self.obs[:, n_cells].astype(np.int64)
        rc = np.stack([pos // size, pos % size], axis=1)  # [N, 2]
        cells_rc = rc[:, None, :] + self._offsets[None, :, :]  # [N, W, 2]
        inside = np.all((cells_rc >= 0) & (cells_rc < size), axis=2)  # [N, W]
        flat = np.where(inside, cells_rc[..., 0] * size + cells_rc[..., 1], 0)
        codes = np.take_along_axis(self.obs[:, :n_cells], flat, axis=1)  # [N, W]
        codes = np.where(inside, codes, WALL)
        planes = [codes == WALL, codes == LAVA, codes == END, codes == BONUS]
        planes += [codes == ITEM0 + t for t in range(n_types)]
        window = np.stack(planes, axis=2).reshape(len(pos), -1)  # [N, W * (4 + T)]
        to_end = (self.end_rc - rc) / float(size)  # [N, 2]
        steps_left = (self.obs[:, n_cells + 1] / np.maximum(self.budget, 1.0))[:, None]
        collected = self.counts[:, : n_types + 1] / np.maximum(self.totals, 1)  # [N, T+1]
        extra = np.concatenate([to_end, steps_left, collected, self.counts[:, n_types + 1:n_types + 2] > 0,
                                self.done[:, None]], axis=1)
        return np.concatenate([window, extra], axis=1).astype(np.float32)
