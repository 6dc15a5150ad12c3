"""A maze instance (immutable) and the stacked arrays that the batched kernels read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vecreward_envs.maze.config import BONUS, CELL_SYMBOLS, END, ITEM0, ITEM_SYMBOLS, LAVA, START, MazeConfig


@dataclass(frozen=True, eq=False)
class MazeInstance:
    """One generated maze. Arrays are read-only; everything needed to score a route is here."""

    config: MazeConfig
    """The family member that generated it."""
    seed: int
    """The seed that produced this maze (the first accepted seed >= requested_seed)."""
    requested_seed: int
    """The seed that ``generate`` was called with."""
    cells: np.ndarray
    """uint8 [H, W] cell codes (see ``config.py``)."""
    start: tuple[int, int]
    """(row, col) of S."""
    end: tuple[int, int]
    """(row, col) of E."""
    budget: int
    """Step budget: moves past it are ignored."""
    item_totals: tuple[int, ...]
    """Number of items of each type, in ``reward_names`` order."""
    lava_total: int
    """Number of lava cells."""
    anchors: tuple[tuple[int, int], ...]
    """Anchor cell of each item type's zone (the free corners, then edge midpoints)."""
    bonus_cell: tuple[int, int]
    """(row, col) of the bonus cell B (the centre)."""
    shortest_safe: int
    """Shortest S -> E walk that avoids lava (the generator guarantees it fits the budget); -1 if not computed."""

    @property
    def reward_names(self) -> tuple[str, ...]:
        """Names of the K reward entries."""
        return self.config.reward_names

    def symbol_rows(self) -> list[list[str]]:
        """The grid as rows of one-character symbols (S E G D L B # .)."""
        lut = dict(CELL_SYMBOLS)
        for t, symbol in enumerate(ITEM_SYMBOLS):
            lut[ITEM0 + t] = symbol
        return [[lut[int(code)] for code in row] for row in self.cells]

    def grid_text(self) -> str:
        """The grid as space-separated symbols, one row per line (the text view's grid)."""
        return "\n".join(" ".join(row) for row in self.symbol_rows())

    def __repr__(self) -> str:
        return (f"MazeInstance(seed={self.seed}, size={self.config.size}, budget={self.budget}, "
                f"items={self.item_totals}, lava={self.lava_total})")

    @classmethod
    def from_text(cls, text: str, budget: int, config: MazeConfig | None = None) -> MazeInstance:
        """A hand-made maze from its symbol grid (as ``grid_text`` prints it; spaces optional).

        Item totals are counted from the grid; ``seed`` is -1. ``config`` defaults to ``MazeConfig(size=n)``
        with the reference's two item types; its size must match the grid.

        Raises:
            ValueError: not a square grid of known symbols with exactly one S and one E, or a bad budget.
        """
        rows = [row.replace(" ", "") for row in text.strip().splitlines()]
        n = len(rows)
        if n == 0 or any(len(row) != n for row in rows):
            raise ValueError(f"maze text must be a square grid, got {[len(r) for r in rows]} columns in {n} rows")
        config = config if config is not None else MazeConfig(size=n)
        if config.size != n:
            raise ValueError(f"config.size = {config.size} but the grid is {n}x{n}")
        code_of = {symbol: code for code, symbol in CELL_SYMBOLS.items()}
        code_of.update({ITEM_SYMBOLS[t]: ITEM0 + t for t in range(config.n_item_types)})
        unknown = sorted({ch for row in rows for ch in row} - set(code_of))
        if unknown:
            raise ValueError(f"unknown maze symbols {unknown}; known: {sorted(code_of)}")
        cells = np.array([[code_of[ch] for ch in row] for row in rows], dtype=np.uint8)
        starts, ends = np.argwhere(cells == START), np.argwhere(cells == END)
        if len(starts) != 1 or len(ends) != 1:
            raise ValueError(f"a maze needs exactly one S and one E, got {len(starts)} and {len(ends)}")
        if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
            raise ValueError(f"budget must be an int >= 1, got {budget!r}")
        cells.flags.writeable = False
        bonus = np.argwhere(cells == BONUS)
        return cls(
            config=config, seed=-1, requested_seed=-1, cells=cells,
            start=(int(starts[0][0]), int(starts[0][1])), end=(int(ends[0][0]), int(ends[0][1])), budget=int(budget),
            item_totals=tuple(int((cells == ITEM0 + t).sum()) for t in range(config.n_item_types)),
            lava_total=int((cells == LAVA).sum()), anchors=(),
            bonus_cell=(int(bonus[0][0]), int(bonus[0][1])) if len(bonus) else (n // 2, n // 2),
            shortest_safe=-1,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MazeInstance):
            return NotImplemented
        return (self.config == other.config and self.seed == other.seed
                and np.array_equal(self.cells, other.cells) and self.budget == other.budget)

    def __hash__(self) -> int:
        return hash((self.config, self.seed))


@dataclass(frozen=True)
class InstanceBatch:
    """P instances stacked into the flat arrays the numba kernels take."""

    cells: np.ndarray
    """uint8 [P, H*W] cell codes."""
    starts: np.ndarray
    """int32 [P] flat index of S."""
    budgets: np.ndarray
    """int32 [P] step budgets."""
    totals: np.ndarray
    """int32 [P, T+1] item totals per type, then lava total."""
    size: int
    """Grid side."""

    @classmethod
    def stack(cls, instances: Sequence[MazeInstance]) -> InstanceBatch:
        """Stack instances of one config (same size and item types) into kernel arrays."""
        if len(instances) == 0:
            raise ValueError("InstanceBatch.stack needs at least one instance")
        config = instances[0].config
        for inst in instances:
            if not isinstance(inst, MazeInstance):
                raise TypeError(f"expected MazeInstance, got {type(inst).__name__}")
            if (inst.config.size, inst.config.n_item_types) != (config.size, config.n_item_types):
                raise ValueError("all instances of a batch need the same size and n_item_types")
        size = config.size
        cells = np.stack([inst.cells.reshape(-1) for inst in instances]).astype(np.uint8)  # [P, H*W]
        starts = np.array([inst.start[0] * size + inst.start[1] for inst in instances], dtype=np.int32)
        budgets = np.array([inst.budget for inst in instances], dtype=np.int32)
        totals = np.array([(*inst.item_totals, inst.lava_total) for inst in instances], dtype=np.int32)
        return cls(cells=cells, starts=starts, budgets=budgets, totals=totals, size=size)
