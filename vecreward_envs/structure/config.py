"""Parameters of the reward-structure family: every knob sets one property of the reward vector directly.

Accepted string forms (what ``from_kwargs`` takes from a command line, e.g. ``vecreward atlas --vary K=2,4,8``):

- ``K``, ``m``, ``V``, ``F``, ``bottleneck_positions``: an int or its decimal string (``"4"``);
- ``noise``: a float or its string (``"0.1"``);
- ``relation``: ``"independent"`` | ``"aligned"`` | ``"tradeoff"``;
- ``granularity``: one value for every match objective or a comma-separated list of K values (or a tuple/list);
  each value ``"binary"``, ``"continuous"`` or ``"levels:N"`` (N >= 2), e.g. ``"binary,levels:3,continuous"``;
- ``difficulty``: the same forms over ``"easy"``, ``"medium"``, ``"hard"``, e.g. ``"easy,hard,medium"``;
- ``noisy``: the noisy match objectives as an int, a comma-separated string (``"2"``, ``"0,2"``), a tuple/list of
  ints, ``""`` or ``"none"`` for none, or None for the default (the last match objective);
- ``bottleneck``, ``saturating``, ``proxy``: a bool or one of ``true/false/1/0/yes/no/on/off``;
- ``prompt_style``: ``"reference"`` | ``"compact"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

Relation = Literal["independent", "aligned", "tradeoff"]
PromptStyle = Literal["reference", "compact"]
RELATIONS: tuple[str, ...] = ("independent", "aligned", "tradeoff")
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
MAX_K = 8
MAX_M = 16
MAX_V = 32
MAX_F = 64
MAX_LEVELS = 64
MAX_BOTTLENECK_POSITIONS = 8
MAX_NOISE = 10.0

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _items(value: object) -> tuple[object, ...]:
    """A single value, a comma-separated string or a sequence, as a tuple of items (strings stripped)."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(","))
    if isinstance(value, (tuple, list)):
        return tuple(v.strip() if isinstance(v, str) else v for v in value)
    return (value,)


def _per_objective(name: str, value: object, k: int, check: Any) -> tuple[str, ...]:
    """``value`` as K checked strings: one item applies to every objective, else exactly K items."""
    items = _items(value)
    if len(items) == 1:
        items = items * k
    if len(items) != k:
        raise ValueError(f"StructureConfig.{name} needs 1 or K={k} values, got {len(items)}: {value!r}")
    for item in items:
        check(item)
    return tuple(str(item) for item in items)


def _check_granularity(item: object) -> None:
    if item in ("binary", "continuous"):
        return
    if isinstance(item, str) and item.startswith("levels:"):
        digits = item[len("levels:"):]
        if digits.isdigit() and 2 <= int(digits) <= MAX_LEVELS:
            return
    raise ValueError(f"StructureConfig.granularity values are binary, continuous or levels:N with N in "
                     f"2..{MAX_LEVELS}, got {item!r}")


def _check_difficulty(item: object) -> None:
    if item not in DIFFICULTIES:
        raise ValueError(f"StructureConfig.difficulty values are easy, medium or hard, got {item!r}")


def _int(name: str, value: object) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"StructureConfig.{name} must be an int, got {value!r}")
    return int(value)


def _float(name: str, value: object) -> float:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError(f"StructureConfig.{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"StructureConfig.{name} must be a number, got {value!r}")
    return float(value)


def _bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"StructureConfig.{name} must be a bool (true/false/1/0/yes/no/on/off), got {value!r}")


def _noisy(value: object) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in ("", "none"):
        return ()
    return tuple(_int("noisy", item) for item in _items(value) if item != "")


@dataclass(frozen=True)
class StructureConfig:
    """One reward structure: K match objectives and the knobs that shape them (validated at construction)."""

    K: int = 3
    """Match objectives ``match/0..K-1``, 1..8."""
    m: int = 2
    """Answer positions each match objective checks, 1..16 (``independent``: K*m positions; else m shared)."""
    V: int = 5
    """Answer values 0..V-1, 3..32. Features and targets lie in 0..V-2; value V-1 is the reserved "flourish"
    (never a correct target; the ``proxy`` objective rewards it)."""
    F: int = 8
    """Features of an instance (the observation), 3..64, each drawn uniformly from 0..V-2."""
    relation: Relation = "independent"
    """How the match objectives relate: ``independent`` (disjoint positions), ``aligned`` (the same positions and
    targets: perfectly correlated), ``tradeoff`` (the same positions, pairwise distinct targets
    T_k = (base + k) mod (V-1): one position satisfies at most one objective)."""
    granularity: str | tuple[str, ...] = "continuous"
    """Per match objective (one value or K): ``binary`` (1 iff every position matches), ``levels:N`` (the matched
    fraction floored to N levels 0, 1/(N-1), .., 1), ``continuous`` (mean per-position credit
    max(0, 1 - circular distance / ((V-1)//2)); the reserved value earns 0). Stored as a K-tuple."""
    difficulty: str | tuple[str, ...] = "easy"
    """Per match objective (one value or K): target rule ``easy`` x[i], ``medium`` (x[i] + x[j]) mod (V-1),
    ``hard`` (x[i] * x[j] + x[l]) mod (V-1). ``aligned`` and ``tradeoff`` share targets, so they need one value.
    Stored as a K-tuple."""
    noise: float = 0.0
    """Sigma >= 0 of the noisy judge: reward = clip(true + sigma * eps, 0, 1) on the ``noisy`` objectives."""
    noisy: tuple[int, ...] | None = None
    """Which match objectives are judged noisily (None: the last one, K-1; stored resolved)."""
    bottleneck: bool = False
    """Add objective ``bottleneck``: binary, on ``bottleneck_positions`` dedicated positions with hard targets."""
    bottleneck_positions: int = 3
    """Positions of the bottleneck objective, 1..8."""
    saturating: bool = False
    """Add objective ``saturating``: binary, one dedicated position whose target is the constant 0."""
    proxy: bool = False
    """Add objective ``proxy``: the fraction of the match positions holding the reserved value V-1 (a hackable
    rubric term: maximizing it lowers every match objective)."""
    prompt_style: PromptStyle = "reference"
    """Text view only. ``reference``: each position's rule and each objective's scoring in sentences (about 240
    SmolLM2 chat tokens at the defaults). ``compact``: the features line, the position -> rule mapping on one line,
    the objectives' positions with a few words on their scoring, and the answer format (about half the tokens), for
    small language models. Rewards, parsing and the structured view do not change."""

    def __post_init__(self) -> None:
        for name, low, high in (("K", 1, MAX_K), ("m", 1, MAX_M), ("V", 3, MAX_V), ("F", 3, MAX_F),
                                ("bottleneck_positions", 1, MAX_BOTTLENECK_POSITIONS)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"StructureConfig.{name} must be an int in {low}..{high}, got {value!r}")
        if self.relation not in RELATIONS:
            raise ValueError(f"StructureConfig.relation must be one of {RELATIONS}, got {self.relation!r}")
        if self.relation == "tradeoff" and self.V - 1 < self.K:
            raise ValueError(f"StructureConfig: relation='tradeoff' needs V-1 >= K distinct targets per position, "
                             f"got V={self.V}, K={self.K}")
        granularity = _per_objective("granularity", self.granularity, self.K, _check_granularity)
        difficulty = _per_objective("difficulty", self.difficulty, self.K, _check_difficulty)
        if self.relation != "independent" and len(set(difficulty)) > 1:
            raise ValueError(f"StructureConfig: relation={self.relation!r} shares targets, so it needs one "
                             f"difficulty for every objective, got {difficulty}")
        object.__setattr__(self, "granularity", granularity)
        object.__setattr__(self, "difficulty", difficulty)
        noise = self.noise
        if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0.0 <= noise <= MAX_NOISE \
                or math.isnan(noise):
            raise ValueError(f"StructureConfig.noise must be a number in [0, {MAX_NOISE}], got {noise!r}")
        object.__setattr__(self, "noise", float(noise))
        noisy = (self.K - 1,) if self.noisy is None else self.noisy
        if not isinstance(noisy, tuple) or not all(isinstance(i, int) and not isinstance(i, bool) for i in noisy):
            raise ValueError(f"StructureConfig.noisy must be a tuple of match objective indices, got {noisy!r}")
        if any(not 0 <= i < self.K for i in noisy) or len(set(noisy)) != len(noisy):
            raise ValueError(f"StructureConfig.noisy must hold distinct indices in 0..{self.K - 1}, got {noisy}")
        object.__setattr__(self, "noisy", tuple(sorted(noisy)))
        for name in ("bottleneck", "saturating", "proxy"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"StructureConfig.{name} must be a bool, got {getattr(self, name)!r}")
        if self.prompt_style not in ("reference", "compact"):
            raise ValueError(f"StructureConfig.prompt_style must be 'reference' or 'compact', "
                             f"got {self.prompt_style!r}")

    @property
    def reward_names(self) -> tuple[str, ...]:
        """``match/0..K-1``, then ``bottleneck``, ``saturating``, ``proxy`` when on."""
        extra = tuple(name for name in ("bottleneck", "saturating", "proxy") if getattr(self, name))
        return (*(f"match/{k}" for k in range(self.K)), *extra)

    @property
    def n_match_positions(self) -> int:
        """Positions the match objectives use: K*m (independent) or m (shared)."""
        return self.K * self.m if self.relation == "independent" else self.m

    @property
    def answer_len(self) -> int:
        """L: value tokens of an answer (match positions, bottleneck positions, the saturating position)."""
        return self.n_match_positions + (self.bottleneck_positions if self.bottleneck else 0) + int(self.saturating)

    def as_dict(self) -> dict[str, object]:
        """JSON-able fields (resolved: per-objective tuples, the noisy indices)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_kwargs(cls, **overrides: object) -> StructureConfig:
        """A config from keyword overrides, accepting the string forms of the module docstring.

        Raises:
            TypeError: an unknown name (the message lists the valid ones).
            ValueError: a value that does not parse or validate (one line).
        """
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(overrides) - set(valid))
        if unknown:
            raise TypeError(f"unknown structure parameter(s) {unknown}; valid: {valid}")
        kwargs: dict[str, Any] = {}
        for name, value in overrides.items():
            if name in ("K", "m", "V", "F", "bottleneck_positions"):
                kwargs[name] = _int(name, value)
            elif name == "noise":
                kwargs[name] = _float(name, value)
            elif name in ("bottleneck", "saturating", "proxy"):
                kwargs[name] = _bool(name, value)
            elif name == "noisy":
                kwargs[name] = _noisy(value)
            elif name in ("granularity", "difficulty"):
                kwargs[name] = tuple(value) if isinstance(value, list) else value
            else:
                kwargs[name] = value.strip() if isinstance(value, str) else value
        return cls(**kwargs)
