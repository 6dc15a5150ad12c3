"""Parameters of the conflicting-objective maze family, and the cell/move codes shared by every kernel."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

# Cell codes (uint8). Item type t is stored as ITEM0 + t so the code space grows with the number of types.
EMPTY, WALL, START, END, LAVA, BONUS, SPENT_LAVA = 0, 1, 2, 3, 4, 5, 6
ITEM0 = 7
CELL_SYMBOLS: dict[int, str] = {EMPTY: ".", WALL: "#", START: "S", END: "E", LAVA: "L", BONUS: "B", SPENT_LAVA: "l"}

# Move codes of a route. STOP ends a route early; everything after it is ignored (it is also the padding).
UP, DOWN, LEFT, RIGHT, STOP = 0, 1, 2, 3, 4
MOVE_NAMES: tuple[str, ...] = ("UP", "DOWN", "LEFT", "RIGHT")
N_ROUTE_CODES = 5

# Item types in order of their anchors: the two free corners first (the reference's gold and diamond), then
# the edge midpoints, so K = n_item_types + 2 can grow up to 8.
ITEM_NAMES: tuple[str, ...] = ("gold", "diamond", "ruby", "emerald", "sapphire", "amber")
ITEM_SYMBOLS: tuple[str, ...] = ("G", "D", "R", "M", "P", "A")
ITEM_TITLES: tuple[str, ...] = ("Gold", "Diamond", "Ruby", "Emerald", "Sapphire", "Amber")
MAX_ITEM_TYPES = len(ITEM_NAMES)

ScoreMode = Literal["linear", "convex_bonus"]
ConflictRule = Literal["gold_then_diamond", "corners", "off"]
PromptStyle = Literal["reference", "compact"]


@dataclass(frozen=True)
class MazeConfig:
    """One member of the maze family. The defaults are the reference designed-conflict maze (VPO, 9x9)."""

    size: int = 9
    """Side of the square grid (cells). At least 7 so that corner zones and the interior exist."""
    n_item_types: int = 2
    """Collectable item types (gold, diamond, then ruby, emerald, ... on edge midpoints). K = n_item_types + 2."""
    item_count_range: tuple[int, int] = (3, 5)
    """Inclusive range of items of each type placed in its zone."""
    lava_count_range: tuple[int, int] = (3, 5)
    """Inclusive range of lava cells placed on open interior cells (rows/cols 2..size-3)."""
    cycle_count_range: tuple[int, int] = (18, 28)
    """Inclusive range of extra wall cells opened after Prim's maze, to create cycles."""
    zone_radius: int = 2
    """Manhattan radius of each item type's zone around its anchor cell."""
    slack: int = 7
    """Step budget = max over item types of the shortest S -> anchor -> E walk, plus this slack."""
    conflict: ConflictRule = "gold_then_diamond"
    """Rejection rule that makes the two corner zones conflict. ``gold_then_diamond``: reject when
    S->gold->diamond->E fits the budget (the reference rule: one order only, so S->diamond->gold->E may fit
    on a few mazes); ``corners``: reject when either order fits; ``off``: no rejection. Extra item types (edge
    midpoints) are never part of the rule: they combine with one corner or the other."""
    score_mode: ScoreMode = "convex_bonus"
    """``linear``: item fractions. ``convex_bonus``: fractions squared, times ``bonus_multiplier`` if the bonus
    cell B was visited, clipped to 1 (the mode the reference data set uses)."""
    bonus_multiplier: float = 1.5
    """Multiplier of the convex_bonus mode when B was visited."""
    lava_penalty: float = 1.0
    """avoid_lava = clip(1 - lava_penalty * lava_stepped / lava_total, 0, 1). 1.0 is the reference."""
    max_attempts: int = 2000
    """Consecutive seeds tried by ``generate(seed)`` before it gives up with an error."""
    prompt_style: PromptStyle = "reference"
    """Text view only. ``reference``: the reference data set's wording (303 SmolLM2 chat tokens at size 7).
    ``compact``: the grid, one legend line, the budget and the answer format (about half the tokens), for small
    language models and transformers trained from scratch. Rewards and the structured view do not change."""

    def __post_init__(self) -> None:
        def _range(name: str, value: tuple[int, int], low: int) -> None:
            if (
                not isinstance(value, tuple)
                or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                or not low <= value[0] <= value[1]
            ):
                raise ValueError(f"MazeConfig.{name} must be a tuple (lo, hi) of ints with {low} <= lo <= hi, "
                                 f"got {value!r}")

        for name in ("size", "n_item_types", "zone_radius", "slack", "max_attempts"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"MazeConfig.{name} must be an int, got {value!r}")
        if not 7 <= self.size <= 63:
            raise ValueError(f"MazeConfig.size must be in [7, 63], got {self.size}")
        if not 1 <= self.n_item_types <= MAX_ITEM_TYPES:
            raise ValueError(f"MazeConfig.n_item_types must be in [1, {MAX_ITEM_TYPES}], got {self.n_item_types}")
        _range("item_count_range", self.item_count_range, 1)
        _range("lava_count_range", self.lava_count_range, 0)
        _range("cycle_count_range", self.cycle_count_range, 0)
        if not 0 <= self.zone_radius < self.size // 2:
            raise ValueError(f"MazeConfig.zone_radius must be in [0, size // 2), got {self.zone_radius}")
        if self.slack < 0:
            raise ValueError(f"MazeConfig.slack must be >= 0, got {self.slack}")
        if self.max_attempts < 1:
            raise ValueError(f"MazeConfig.max_attempts must be >= 1, got {self.max_attempts}")
        if self.conflict not in ("gold_then_diamond", "corners", "off"):
            raise ValueError(f"MazeConfig.conflict must be 'gold_then_diamond', 'corners' or 'off', got "
                             f"{self.conflict!r}")
        if self.conflict != "off" and self.n_item_types < 2:
            raise ValueError(f"MazeConfig.conflict={self.conflict!r} needs n_item_types >= 2; use conflict='off'")
        if self.prompt_style not in ("reference", "compact"):
            raise ValueError(f"MazeConfig.prompt_style must be 'reference' or 'compact', got {self.prompt_style!r}")
        if self.score_mode not in ("linear", "convex_bonus"):
            raise ValueError(f"MazeConfig.score_mode must be 'linear' or 'convex_bonus', got {self.score_mode!r}")
        for name in ("bonus_multiplier", "lava_penalty"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value < float("inf"):
                raise ValueError(f"MazeConfig.{name} must be a finite number >= 0, got {value!r}")

    @property
    def reward_names(self) -> tuple[str, ...]:
        """Names of the K reward entries: completion, one per item type, avoid_lava."""
        return ("completion", *ITEM_NAMES[: self.n_item_types], "avoid_lava")

    @property
    def n_objectives(self) -> int:
        """K, the length of the reward vector."""
        return self.n_item_types + 2

    @property
    def n_cells(self) -> int:
        """Cells in the grid."""
        return self.size * self.size

    @property
    def n_cell_codes(self) -> int:
        """Number of distinct cell codes an observation can hold."""
        return ITEM0 + self.n_item_types

    @property
    def max_budget(self) -> int:
        """An upper bound of the step budget of any instance: longest possible shortest walk via an anchor."""
        return 2 * (self.n_cells - 1) + self.slack

    @classmethod
    def from_kwargs(cls, **overrides: object) -> MazeConfig:
        """Build a config from keyword overrides, rejecting unknown names with the list of valid ones."""
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(overrides) - set(valid))
        if unknown:
            raise TypeError(f"unknown maze parameter(s) {unknown}; valid: {valid}")
        return cls(**overrides)  # type: ignore[arg-type]


REFERENCE_CONFIG = MazeConfig()
"""The VPO designed-conflict maze, as the reference data set builds it."""
