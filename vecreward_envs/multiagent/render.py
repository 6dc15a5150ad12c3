"""The multi-agent maze as an RGB image (numpy only, no pygame): cells as coloured squares, agents as outlined markers.

Each cell is a ``CELL_PX`` x ``CELL_PX`` square with a one-pixel grid line on its top and left edge: walls dark grey,
empty cells light grey, S light blue, E green, lava orange-red, B magenta, items a smaller square in their type's
colour on an empty cell. Agent ``a`` still in the maze is a square with a black outline in quadrant ``a`` of its
cell (top-left, top-right, bottom-left, bottom-right) in its own colour (``AGENT_COLOURS``), so agents that share
a cell are all visible.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from vecreward_envs.maze.config import BONUS, EMPTY, END, ITEM0, LAVA, SPENT_LAVA, START, WALL, MazeConfig

CELL_PX = 16
"""Side of one cell in pixels (an image is ``size * CELL_PX`` pixels square, even, as video encoders want)."""

_GRID = (170, 170, 170)
_CELL_COLOURS = {EMPTY: (235, 235, 235), WALL: (60, 60, 60), START: (150, 200, 255), END: (70, 190, 90),
                 LAVA: (235, 80, 30), BONUS: (225, 90, 225), SPENT_LAVA: (140, 60, 30)}
# gold, diamond, ruby, emerald, sapphire, amber (ITEM_NAMES order)
_ITEM_COLOURS = ((230, 180, 20), (60, 220, 240), (190, 20, 60), (20, 150, 80), (40, 70, 200), (255, 140, 0))
AGENT_COLOURS: tuple[tuple[int, int, int], ...] = ((30, 100, 255), (255, 40, 40), (150, 60, 200), (255, 255, 255))
"""Fill colour of agent 0, 1, 2, 3 (blue, red, purple, white), each drawn with a black outline."""


@lru_cache(maxsize=8)
def _tiles(n_item_types: int) -> np.ndarray:
    """uint8 [n_codes, CELL_PX, CELL_PX, 3]: the picture of each cell code."""
    n_codes = ITEM0 + n_item_types
    tiles = np.empty((n_codes, CELL_PX, CELL_PX, 3), dtype=np.uint8)
    for code in range(n_codes):
        fill = _CELL_COLOURS.get(code, _CELL_COLOURS[EMPTY])
        tiles[code] = fill
        if code >= ITEM0:
            tiles[code, 4:CELL_PX - 3, 4:CELL_PX - 3] = _ITEM_COLOURS[code - ITEM0]
    tiles[:, 0, :] = _GRID
    tiles[:, :, 0] = _GRID
    tiles.flags.writeable = False
    return tiles


def render_rgb(config: MazeConfig, cells: np.ndarray, pos: np.ndarray, active: np.ndarray) -> np.ndarray:
    """One game as an image.

    Args:
        config: the maze configuration.
        cells: [C] shared cell codes of the game.
        pos: [A] agents' flat positions.
        active: [A] whether each agent is still in the maze (agents that left are not drawn).

    Returns:
        uint8 [size * CELL_PX, size * CELL_PX, 3].
    """
    size = config.size
    tiles = _tiles(config.n_item_types)[np.asarray(cells, dtype=np.intp).reshape(size, size)]  # [H, W, px, px, 3]
    image = np.ascontiguousarray(tiles.transpose(0, 2, 1, 3, 4)).reshape(size * CELL_PX, size * CELL_PX, 3)
    half = CELL_PX // 2
    for a in range(len(pos)):
        if not active[a]:
            continue
        row, col = divmod(int(pos[a]), size)
        top = row * CELL_PX + 1 + (a // 2) * half
        left = col * CELL_PX + 1 + (a % 2) * half
        box = image[top:top + half - 1, left:left + half - 1]  # a (half - 1)-pixel square in quadrant a
        box[...] = 0
        box[1:-1, 1:-1] = AGENT_COLOURS[a]
    return image
