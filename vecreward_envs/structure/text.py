"""The text view: a compact prompt that states the features and each position's rule in words; the answer parser.

A completion holds ``<answer>v1 v2 ... vL</answer>``: up to L integers in 0..V-1 separated by spaces or commas.
Fewer than L values are a shorter answer (the missing positions are absent, as after an early STOP in the
structured view); anything else (no tag, a non-integer, a value out of range, more than L values, not a string)
is a parse failure, which scores 0 on every objective. The prompt never mentions the ``proxy`` (a rubric term the
policy has to discover) nor the judge's noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.instance import StructureInstance
from vecreward_envs.structure.layout import BINARY, CONST, CONTINUOUS, EASY, LEVELS, MEDIUM, PROXY, Layout, layout

MAX_COMPLETION_CHARS = 100_000
"""Completions are read up to this many characters."""
OPEN, CLOSE = "<answer>", "</answer>"


@dataclass(frozen=True)
class ParsedStructure:
    """What one completion holds."""

    values: tuple[int, ...]
    """The values read (at most L), in order."""
    ok: bool
    """The completion followed the format."""
    reason: str
    """Why not (one line), when not ``ok``."""


def _fail(reason: str) -> ParsedStructure:
    return ParsedStructure((), False, reason)


def parse(completion: object, config: StructureConfig) -> ParsedStructure:
    """The values of a completion; never raises (a failure is ``ok=False`` with a one-line reason)."""
    if not isinstance(completion, str):
        return _fail(f"not a string completion: {type(completion).__name__}")
    text = completion[:MAX_COMPLETION_CHARS]
    start = text.find(OPEN)
    if start < 0:
        return _fail(f"no {OPEN}...{CLOSE} block")
    end = text.find(CLOSE, start + len(OPEN))
    if end < 0:
        return _fail(f"{OPEN} is not closed by {CLOSE}")
    items = text[start + len(OPEN): end].replace(",", " ").split()
    if len(items) > config.answer_len:
        return _fail(f"{len(items)} values, the answer has {config.answer_len} positions")
    values = []
    for item in items:
        if not (item.isascii() and item.isdigit()) or len(item) > 6 or int(item) >= config.V:
            return _fail(f"{item[:20]!r} is not an integer in 0..{config.V - 1}")
        values.append(int(item))
    return ParsedStructure(tuple(values), True, "")


def tokens_of(parsed: ParsedStructure, config: StructureConfig) -> np.ndarray:
    """int64 [L]: the parsed values, then STOP (V): the structured form both views score."""
    out = np.full(config.answer_len, config.V, dtype=np.int64)
    out[: len(parsed.values)] = parsed.values
    return out


def format_answer(answer: object, config: StructureConfig) -> str:
    """A structured answer (tokens) as the completion that scores the same: its values up to the first non-value."""
    tokens = np.asarray(answer, dtype=np.int64).reshape(-1)[: config.answer_len]
    values = []
    for tok in tokens:
        if not 0 <= tok < config.V:
            break
        values.append(str(int(tok)))
    return f"{OPEN}{' '.join(values)}{CLOSE}"


def _rule_text(lay: Layout, j: int, p: int, mod: int) -> str:
    rule = int(lay.rule[j, p])
    i, jj, ll = (int(v) for v in lay.feats[j, p])
    off = int(lay.offset[j, p])
    if rule == CONST:
        return "0"
    if rule == EASY and not off:
        return f"x{i}"
    body = f"x{i}" if rule == EASY else f"x{i} + x{jj}" if rule == MEDIUM else f"x{i} * x{jj} + x{ll}"
    return f"({body}{f' + {off}' if off else ''}) mod {mod}"


def _span(positions: list[int]) -> str:
    if len(positions) == 1:
        return f"value {positions[0] + 1}"
    if positions == list(range(positions[0], positions[-1] + 1)):
        return f"values {positions[0] + 1}-{positions[-1] + 1}"
    return "values " + ", ".join(str(q + 1) for q in positions)


def _scoring_text(lay: Layout, j: int, half: int) -> str:
    kind = int(lay.kind[j])
    if kind == BINARY:
        return "scores 1 only if all its values are right, else 0"
    if kind == LEVELS:
        steps = int(lay.levels[j]) - 1
        return f"scores the fraction of its values that are right, rounded down to a multiple of 1/{steps}"
    assert kind == CONTINUOUS
    return (f"gives each value the credit max(0, 1 - d/{half}), d = its distance to the right value counted around "
            f"the circle 0..{lay.n_values - 2}, and scores the mean credit")


def _position_rules(lay: Layout, config: StructureConfig, short: bool) -> list[list[tuple[str, str]]]:
    """For each answer position, (objective name, rule text) of every non-proxy objective that checks it."""
    rules: list[list[tuple[str, str]]] = [[] for _ in range(config.answer_len)]
    for j, name in enumerate(config.reward_names):
        if lay.kind[j] == PROXY:
            continue
        for p in range(int(lay.n_pos[j])):
            rule = _rule_text(lay, j, p, config.V - 1)
            if short:
                rule = rule.replace(" mod ", "%").replace(" ", "")
            rules[int(lay.positions[j, p])].append((name, rule))
    return rules


def _short_span(positions: list[int]) -> str:
    if len(positions) > 1 and positions == list(range(positions[0], positions[-1] + 1)):
        return f"v{positions[0] + 1}-{positions[-1] + 1}"
    return ",".join(f"v{q + 1}" for q in positions)


def _short_scoring(lay: Layout, j: int) -> str:
    kind = int(lay.kind[j])
    if kind == BINARY:
        return "1 if all right, else 0"
    if kind == LEVELS:
        return f"fraction right, floored to 1/{int(lay.levels[j]) - 1}"
    return f"credit by circular closeness on 0..{lay.n_values - 2}"


def compact_prompt(instance: StructureInstance) -> str:
    """The ``prompt_style="compact"`` prompt: features, position -> rule on one line, objectives, answer format.

    The facts of the reference prompt in short forms: ``v3=(x2*x3+x4)%4`` for "value 3: (x2 * x3 + x4) mod 4", a
    position several objectives want differently as ``v1: match/0 x0, match/1 (x0+1)%4 (pick one)``, and each
    objective's positions with a few words on how it scores. The proxy objective is never mentioned.
    """
    config = instance.config
    lay = layout(config)
    length = config.answer_len
    mapping = []
    for q, wants in enumerate(_position_rules(lay, config, short=True)):
        if len({rule for _, rule in wants}) == 1:
            mapping.append(f"v{q + 1}={wants[0][1]}")
        else:
            mapping.append(f"v{q + 1}: " + ", ".join(f"{name} {rule}" for name, rule in wants) + " (pick one)")
    groups: dict[str, list[str]] = {}
    for j, name in enumerate(config.reward_names):
        if lay.kind[j] != PROXY:
            spots = [int(q) for q in lay.positions[j, : int(lay.n_pos[j])]]
            groups.setdefault(_short_scoring(lay, j), []).append(f"{name} {_short_span(spots)}")
    example = " ".join(f"v{q + 1}" for q in range(length)) if length <= 8 else f"v1 v2 ... v{length}"
    lines = ["Features: " + " ".join(f"x{i}={int(v)}" for i, v in enumerate(instance.x)) + ".",
             f"Write {length} integers 0-{config.V - 1}: " + "; ".join(mapping),
             "Scores: " + "; ".join(f"{', '.join(members)} ({how})" for how, members in groups.items()),
             f"Answer: {OPEN}{example}{CLOSE}"]
    return "\n".join(lines)


def prompt(instance: StructureInstance) -> str:
    """The prompt of one instance (features, the rule of every position, how each objective scores)."""
    config = instance.config
    if config.prompt_style == "compact":
        return compact_prompt(instance)
    lay = layout(config)
    mod, length = config.V - 1, config.answer_len
    names = config.reward_names
    rules: list[list[tuple[str, str]]] = [[] for _ in range(length)]
    for j, name in enumerate(names):
        if lay.kind[j] == PROXY:
            continue
        for p in range(int(lay.n_pos[j])):
            rules[int(lay.positions[j, p])].append((name, _rule_text(lay, j, p, mod)))
    lines = ["Features: " + " ".join(f"x{i}={int(v)}" for i, v in enumerate(instance.x)) + ".",
             f"Write {length} values, each an integer from 0 to {config.V - 1}. The right value of each position:"]
    for q, wants in enumerate(rules):
        if len({rule for _, rule in wants}) == 1:
            lines.append(f"- value {q + 1}: {wants[0][1]}")
        else:
            lines.append(f"- value {q + 1}: " + "; ".join(f"{name} wants {rule}" for name, rule in wants)
                         + " (one value can satisfy only one of them)")
    lines.append("Objectives:")
    groups: dict[str, list[str]] = {}  # how an objective scores -> "name (values ...)" of those that score so
    for j, name in enumerate(names):
        if lay.kind[j] != PROXY:
            spots = [int(q) for q in lay.positions[j, : int(lay.n_pos[j])]]
            groups.setdefault(_scoring_text(lay, j, mod // 2), []).append(f"{name} ({_span(spots)})")
    for how, members in groups.items():
        lines.append(f"- {', '.join(members)}: {'each ' if len(members) > 1 else ''}{how}.")
    example = " ".join(f"v{q + 1}" for q in range(length))
    lines.append(f"Answer with the {length} values separated by spaces, as {OPEN}{example}{CLOSE}")
    return "\n".join(lines)
