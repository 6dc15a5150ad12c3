"""Text view of a maze: the prompt (the reference wording) and parsers that never raise.

A completion that cannot be read is a reward outcome, not an exception: the parser returns an empty route and a
reason, and an empty route scores the zero vector (it never reaches E).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from vecreward_envs.completion import as_text
from vecreward_envs.maze.config import ITEM_SYMBOLS, ITEM_TITLES, MOVE_NAMES
from vecreward_envs.maze.instance import MazeInstance

MAX_COMPLETION_CHARS = 200_000
"""Completions are cut to this many characters before parsing, so a runaway generation costs bounded time."""

_ANSWER_OPEN = re.compile("<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile("</answer>", re.IGNORECASE)
_ROUTE_TAG = re.compile(r"<(/?)route_(\d+)>", re.IGNORECASE)
_MOVE = re.compile(r"\b(UP|DOWN|LEFT|RIGHT)\b")
_CODE_OF = {name: code for code, name in enumerate(MOVE_NAMES)}
_SINGLE_OUTPUT = "Output moves in <answer>...</answer> tags, e.g., <answer>UP UP RIGHT</answer>."


@dataclass(frozen=True)
class ParsedRoute:
    """The moves read from a completion."""

    moves: np.ndarray
    """int8 [n] move codes 0..3 (empty when nothing could be read)."""
    ok: bool
    """True when the completion followed the requested format (a tagged answer holding moves)."""
    reason: str
    """Empty when ok; otherwise what was wrong, in a short sentence."""


def prompt(instance: MazeInstance, m: int = 1) -> str:
    """The prompt of ``instance``; with ``m > 1`` it asks for m different routes in ``<route_i>`` tags."""
    if not isinstance(m, int) or isinstance(m, bool) or m < 1:
        raise ValueError(f"m must be an int >= 1, got {m!r}")
    config = instance.config
    if config.prompt_style == "compact":
        return compact_prompt(instance, m)
    titles = ITEM_TITLES[: config.n_item_types]
    symbols = ITEM_SYMBOLS[: config.n_item_types]
    collect_names = " and ".join(t.lower() + ("s" if t == "Diamond" else "") for t in titles)
    if config.n_item_types > 2:
        collect_names = ", ".join(t.lower() for t in titles[:-1]) + " and " + titles[-1].lower()
    collect_tiles = ", ".join(f"{s} ({t})" for s, t in zip(symbols, titles, strict=True))
    counts = ", ".join(f"{n} {t}" for n, t in zip(instance.item_totals, titles, strict=True))
    steps_line = f"You have {instance.budget} steps." if m == 1 else f"You have {instance.budget} steps per route."
    lines = [
        f"Navigate a {config.size}x{config.size} maze from S to E. Collect {collect_names}, avoid lava.",
        "",
        "Grid:",
        instance.grid_text(),
        "",
        "- Move: UP, DOWN, LEFT, RIGHT. # is a wall \N{EM DASH} you cannot enter it.",
        "- Do not leave the grid.",
        f"- Collect: {collect_tiles}, B (Bonus) tiles by stepping on them.",
        "- Avoid: L (Lava) tiles. Stepping on lava costs you.",
        "- Visiting a B cell multiplies your other scores \N{EM DASH} explore!",
        "- You MUST reach E. If you don't reach E, your score is zero everywhere.",
        "- Items only count if collected BEFORE you reach E (the trajectory ends at E).",
        f"- {steps_line}",
        "",
        f"This maze has {counts}, {instance.lava_total} Lava, and 1 Bonus tiles.",
        _SINGLE_OUTPUT if m == 1 else _multi_instructions(m),
    ]
    return "\n".join(lines)


def compact_prompt(instance: MazeInstance, m: int = 1) -> str:
    """The ``prompt_style="compact"`` prompt: grid without spaces, one legend line, the budget, the answer format.

    The same facts as the reference prompt (symbols, budget, what counts) in about half its tokens: a small LM's
    prefill and a byte-level transformer's context are dominated by the prompt.
    """
    config = instance.config
    items = ", ".join(f"{s} {t.lower()}" for s, t in
                      zip(ITEM_SYMBOLS[: config.n_item_types], ITEM_TITLES[: config.n_item_types], strict=True))
    grid = "\n".join("".join(row) for row in instance.symbol_rows())
    per_route = " per route" if m > 1 else ""
    lines = [
        f"Maze from S to E in at most {instance.budget} moves{per_route}. # wall, L lava (avoid), collect {items}, "
        "B bonus. Reach E or score 0.",
        grid,
        "Moves: UP DOWN LEFT RIGHT, e.g. <answer>UP UP RIGHT</answer>." if m == 1 else _multi_instructions(m),
    ]
    return "\n".join(lines)


def _multi_instructions(m: int) -> str:
    tags = ", ".join(f"<route_{i}>...</route_{i}>" for i in range(1, m + 1))
    return (
        f"Reason briefly about the maze, then provide {m} genuinely different routes from S to E. Each route is "
        "a sequence of UP/DOWN/LEFT/RIGHT moves (space-separated). "
        f"Wrap each route in numbered tags ({tags}). Inside each tag put ONLY moves (no arrows, no coordinates, "
        "no prose); any reasoning goes outside the tags. Each route must independently reach E within the "
        "per-route step budget stated above (score is zero if it doesn't).\n"
        f"Format example (m={m}):\n"
        + "\n".join(f"  <route_{i}>{_EXAMPLES[(i - 1) % len(_EXAMPLES)]}</route_{i}>" for i in range(1, m + 1))
    )


_EXAMPLES = (
    "RIGHT RIGHT RIGHT RIGHT DOWN DOWN DOWN DOWN",
    "DOWN DOWN DOWN DOWN RIGHT RIGHT RIGHT RIGHT",
    "RIGHT DOWN RIGHT DOWN RIGHT DOWN RIGHT DOWN",
)


# Tagged parts are found in linear time: the first opening tag, then the first closing tag after it. That is the
# first match of the non-greedy ``<answer>(.*?)</answer>`` (DOTALL, IGNORECASE), without its quadratic cost: a
# regex search scans on from every opening tag when no closing one follows (``'<answer>' * 25000`` took seconds).
# If the first opening tag has no closing tag after it, no later one has either.
def _first_answer(text: str, pos: int = 0) -> str | None:
    """The body of the first ``<answer>...</answer>`` at or after ``pos`` (None: none)."""
    found = _next_answer(text, pos)
    return None if found is None else found[0]


def _next_answer(text: str, pos: int) -> tuple[str, int] | None:
    """(body, end) of the first ``<answer>...</answer>`` starting at or after ``pos``; None when there is none."""
    opening = _ANSWER_OPEN.search(text, pos)
    if opening is None:
        return None
    closing = _ANSWER_CLOSE.search(text, opening.end())
    if closing is None:
        return None
    return text[opening.end():closing.start()], closing.end()


def _answer_bodies(text: str) -> list[str]:
    """Bodies of the successive non-overlapping ``<answer>...</answer>`` (what ``findall`` of the regex gives)."""
    bodies: list[str] = []
    pos = 0
    while (found := _next_answer(text, pos)) is not None:
        bodies.append(found[0])
        pos = found[1]
    return bodies


def _route_bodies(text: str, m: int) -> list[str | None]:
    """For i = 1..m the body of the first ``<route_i>...</route_i>`` (case-insensitive), None when there is none.

    One pass over the route tags (then a binary search per route), so the cost is linear in the text whatever m.
    """
    first_open: dict[str, int] = {}
    closes: dict[str, list[int]] = {}
    for tag in _ROUTE_TAG.finditer(text):
        if tag.group(1):
            closes.setdefault(tag.group(2), []).append(tag.start())
        else:
            first_open.setdefault(tag.group(2), tag.end())
    bodies: list[str | None] = []
    for i in range(1, m + 1):
        key = str(i)
        start = first_open.get(key)
        ends = closes.get(key, [])
        k = -1 if start is None else bisect_left(ends, start)
        bodies.append(text[start:ends[k]] if start is not None and k < len(ends) else None)
    return bodies


def _moves_of(text: str) -> np.ndarray:
    return np.array([_CODE_OF[w] for w in _MOVE.findall(text.upper())], dtype=np.int8)


def _as_text(completion: object) -> tuple[str | None, str]:
    return as_text(completion, MAX_COMPLETION_CHARS)


def parse_route(completion: object, *, strict: bool = False) -> ParsedRoute:
    """Read the moves of a single-answer completion.

    Like the reference scorer, the first ``<answer>...</answer>`` is read, or the whole text when there is no
    tag (``ok`` is then False; with ``strict=True`` no moves are read at all). Words other than UP/DOWN/LEFT/RIGHT
    are ignored, case-insensitively. Never raises.
    """
    text, note = _as_text(completion)
    if text is None:
        return ParsedRoute(np.zeros(0, np.int8), False, note)
    body = _first_answer(text)
    if body is None:
        if strict:
            return ParsedRoute(np.zeros(0, np.int8), False, _join(note, "no <answer>...</answer> tag"))
        moves = _moves_of(text)
        reason = "no <answer>...</answer> tag; moves read from the whole text" if moves.size else (
            "no <answer>...</answer> tag and no moves in the text")
        return ParsedRoute(moves, False, _join(note, reason))
    moves = _moves_of(body)
    if moves.size == 0:
        return ParsedRoute(moves, False, _join(note, "the <answer> tag holds no UP/DOWN/LEFT/RIGHT moves"))
    return ParsedRoute(moves, not note, note)


def parse_chain(completion: object, m: int) -> list[ParsedRoute]:
    """Read m routes from ``<route_1>...</route_m>`` tags; missing routes are empty (they score zero).

    Fallbacks follow the reference: when no route tag is present, routes separated by ``---`` lines, then
    several ``<answer>`` tags, then the whole text as the first route. Never raises.
    """
    if not isinstance(m, int) or isinstance(m, bool) or m < 1:
        raise ValueError(f"m must be an int >= 1, got {m!r}")
    text, note = _as_text(completion)
    empty = ParsedRoute(np.zeros(0, np.int8), False, "")
    if text is None:
        return [ParsedRoute(empty.moves, False, note)] * m
    tagged = _route_bodies(text, m)
    if any(t is not None for t in tagged):
        out = []
        for i, body in enumerate(tagged, start=1):
            if body is None:
                out.append(ParsedRoute(empty.moves, False, _join(note, f"no <route_{i}> tag")))
                continue
            moves = _moves_of(body)
            reason = "" if moves.size else f"<route_{i}> holds no moves"
            out.append(ParsedRoute(moves, not (reason or note), _join(note, reason)))
        return out
    parts = [p.strip() for p in text.split("---") if p.strip()]
    if len(parts) < 2:
        parts = _answer_bodies(text)
    if len(parts) < 2:
        parts = [text]
    reason = _join(note, "no <route_i> tags; routes read from a fallback format")
    out = [ParsedRoute(_moves_of(p), False, reason) for p in parts[:m]]
    out += [ParsedRoute(empty.moves, False, _join(note, "route missing"))] * (m - len(out))
    return out


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def format_route(moves: np.ndarray | list[int]) -> str:
    """Moves as the text an LLM would write: ``UP UP RIGHT`` (stops at STOP)."""
    words = []
    for move in np.asarray(moves).reshape(-1).tolist():
        if move not in (0, 1, 2, 3):
            break
        words.append(MOVE_NAMES[move])
    return " ".join(words)
