"""Where each objective looks and by which rule: the part of a reward structure that is the same for every instance.

Objectives j = 0..J-1 in reward order (``match/0..K-1``, ``bottleneck``, ``saturating``, ``proxy``). Answer positions:
the match positions first (0..K*m-1 when independent, objective k on k*m..k*m+m-1; 0..m-1 shared by every
objective otherwise), then the bottleneck's positions, then the saturating position.

Each (objective, position) pair has a target *rule* over the instance's features x, fixed by the config:
``easy`` x[i], ``medium`` (x[i] + x[j]) mod (V-1), ``hard`` (x[i] * x[j] + x[l]) mod (V-1), ``const`` 0, plus an
offset (``tradeoff``: objective k adds k, so the K targets of a position are pairwise distinct). The feature indices
of a rule come from its *slot* s (one slot per distinct rule): i = s mod F, j and l the next features after i with a
stride growing by one each time the slots wrap around F (always three distinct indices), so different positions and
objectives read different features while there are at most F slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vecreward_envs.structure.config import StructureConfig

EASY, MEDIUM, HARD, CONST = range(4)
"""Target rules (``Layout.rule``)."""
BINARY, LEVELS, CONTINUOUS, PROXY = range(4)
"""How an objective scores its positions (``Layout.kind``)."""
_RULES = {"easy": EASY, "medium": MEDIUM, "hard": HARD}


def feature_indices(slot: int, n_features: int) -> tuple[int, int, int]:
    """Three distinct feature indices (i, j, l) of rule slot ``slot`` among ``n_features`` >= 3."""
    i = slot % n_features
    stride = 1 + slot // n_features
    j = (i + stride) % n_features
    if j == i:
        j = (i + 1) % n_features
    l = (j + stride) % n_features  # noqa: E741
    if l in (i, j):
        l = min(set(range(n_features)) - {i, j})  # noqa: E741
    return i, j, l


@dataclass(frozen=True)
class Layout:
    """Static arrays of one config (read-only), J objectives, P = the most positions one objective checks."""

    n_values: int
    """V: answer values 0..V-1 (V-1 is the reserved flourish); STOP is V."""
    length: int
    """L: value positions of an answer."""
    n_match: int
    """Positions of the match objectives (0..n_match-1); the proxy reads these."""
    positions: np.ndarray
    """int64 [J, P]: the positions objective j checks (-1 past ``n_pos[j]``)."""
    n_pos: np.ndarray
    """int64 [J]."""
    rule: np.ndarray
    """int64 [J, P]: EASY | MEDIUM | HARD | CONST (-1: none, the proxy)."""
    feats: np.ndarray
    """int64 [J, P, 3]: feature indices i, j, l of each rule."""
    offset: np.ndarray
    """int64 [J, P]: added to the rule's value mod (V-1) (tradeoff: k)."""
    kind: np.ndarray
    """int64 [J]: BINARY | LEVELS | CONTINUOUS | PROXY."""
    levels: np.ndarray
    """int64 [J]: N of ``levels:N`` (0 otherwise)."""
    sigma: np.ndarray
    """float64 [J]: noise of the judge (0: exact)."""


def _freeze(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


@lru_cache(maxsize=256)
def layout(config: StructureConfig) -> Layout:
    """The layout of ``config`` (cached; configs are frozen and hashable)."""
    k, m = config.K, config.m
    n_match = config.n_match_positions
    names = config.reward_names
    n_obj = len(names)
    width = max(m, config.bottleneck_positions if config.bottleneck else 1, n_match if config.proxy else 1)
    positions = np.full((n_obj, width), -1, dtype=np.int64)
    rule = np.full((n_obj, width), -1, dtype=np.int64)
    feats = np.zeros((n_obj, width, 3), dtype=np.int64)
    offset = np.zeros((n_obj, width), dtype=np.int64)
    kind = np.zeros(n_obj, dtype=np.int64)
    levels = np.zeros(n_obj, dtype=np.int64)
    sigma = np.zeros(n_obj, dtype=np.float64)
    n_pos = np.zeros(n_obj, dtype=np.int64)

    def place(j: int, p: int, position: int, rule_code: int, slot: int, off: int = 0) -> None:
        positions[j, p] = position
        rule[j, p] = rule_code
        feats[j, p] = feature_indices(slot, config.F)
        offset[j, p] = off

    for obj in range(k):
        for p in range(m):
            if config.relation == "independent":
                place(obj, p, obj * m + p, _RULES[config.difficulty[obj]], obj * m + p)
            else:
                place(obj, p, p, _RULES[config.difficulty[obj]], p, obj if config.relation == "tradeoff" else 0)
        n_pos[obj] = m
        gran = config.granularity[obj]
        kind[obj] = BINARY if gran == "binary" else CONTINUOUS if gran == "continuous" else LEVELS
        levels[obj] = int(gran.split(":")[1]) if kind[obj] == LEVELS else 0
        sigma[obj] = config.noise if obj in config.noisy else 0.0
    j, position = k, n_match
    slots = k * m if config.relation == "independent" else m
    if config.bottleneck:
        for b in range(config.bottleneck_positions):
            place(j, b, position + b, HARD, slots + b)
        n_pos[j] = config.bottleneck_positions
        kind[j] = BINARY
        position += config.bottleneck_positions
        j += 1
    if config.saturating:
        place(j, 0, position, CONST, 0)
        n_pos[j] = 1
        kind[j] = BINARY
        position += 1
        j += 1
    if config.proxy:
        positions[j, :n_match] = np.arange(n_match)
        n_pos[j] = n_match
        kind[j] = PROXY
    assert position == config.answer_len
    _freeze(positions, n_pos, rule, feats, offset, kind, levels, sigma)
    return Layout(n_values=config.V, length=config.answer_len, n_match=n_match, positions=positions, n_pos=n_pos,
                  rule=rule, feats=feats, offset=offset, kind=kind, levels=levels, sigma=sigma)


def targets_of(lay: Layout, x: np.ndarray) -> np.ndarray:
    """int64 [J, P]: the target value of each (objective, position) for features x [F] (-1 where none)."""
    mod = lay.n_values - 1
    xi, xj, xl = (x[lay.feats[..., c]].astype(np.int64) for c in range(3))  # [J, P] each
    value = np.select([lay.rule == EASY, lay.rule == MEDIUM, lay.rule == HARD],
                      [xi, xi + xj, xi * xj + xl], default=0)
    return np.where(lay.rule >= 0, (value + lay.offset) % mod, -1)
