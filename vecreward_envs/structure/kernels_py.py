"""Plain-Python twin of ``kernels.py``, written from the rules with lists and Python ints (slow; for tests).

Each objective is written out by its rule (no shared unit counting): matches and circular distances per position,
the granularity, and the noisy judge's splitmix64 hash with Box-Muller, all on Python ints and floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

MASK64 = (1 << 64) - 1


def mix64_py(z: int) -> int:
    """splitmix64's finalizer of ``z + golden`` on Python ints modulo 2**64."""
    z = (z + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def normal_py(seed: int, row: int, tokens: Sequence[int], j: int) -> float:
    """The judge's N(0, 1) draw for (instance seed, row index, canonical tokens [L] with absent = V, objective j)."""
    h = mix64_py(seed & MASK64)
    h = mix64_py(h ^ row)
    for tok in tokens:
        h = mix64_py(h ^ (tok + 1))
    a = mix64_py(h ^ (j + 1))
    b = mix64_py(a)
    u1 = ((a >> 11) + 1) / 2.0**53
    u2 = (b >> 11) / 2.0**53
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def canonical_py(row: Sequence[int], length: int, n_values: int) -> list[int]:
    """The L tokens an answer row says: values up to the first non-value token, then absent (V)."""
    out = []
    ended = False
    for t in range(length):
        tok = row[t] if t < len(row) else n_values
        ended = ended or not 0 <= tok < n_values
        out.append(n_values if ended else int(tok))
    return out


def _credit(value: int, target: int, n_values: int) -> Fraction:
    """Continuous credit of one position: 1 - circular distance / ((V-1)//2), clipped at 0; 0 for V-1 or absent."""
    mod = n_values - 1
    if not 0 <= value < mod:
        return Fraction(0)
    d = abs(value - target)
    d = min(d, mod - d)
    return max(Fraction(0), 1 - Fraction(d, mod // 2))


def score_row_py(row: Sequence[int], row_index: int, seed: int, objectives: Sequence[dict], n_values: int,
                 length: int, apply_noise: bool = True) -> list[float]:
    """Rewards [J] of one answer row (exact rationals, rounded once to float).

    Args:
        row: the answer's tokens.
        row_index: its row in the scored batch (the judge's noise depends on it).
        seed: the instance seed.
        objectives: per objective ``{"kind": "binary"|"levels"|"continuous"|"proxy", "levels": N,
            "positions": [...], "targets": [...], "sigma": float}``.
        n_values: V.
        length: L.
        apply_noise: False gives the true (noise-free) rewards.
    """
    tokens = canonical_py(row, length, n_values)
    out = []
    for j, obj in enumerate(objectives):
        values = [tokens[q] for q in obj["positions"]]
        n = len(values)
        if obj["kind"] == "proxy":
            exact = Fraction(sum(v == n_values - 1 for v in values), n)
        elif obj["kind"] == "continuous":
            exact = sum((_credit(v, t, n_values) for v, t in zip(values, obj["targets"], strict=True)),
                        Fraction(0)) / n
        else:
            hits = sum(v == t for v, t in zip(values, obj["targets"], strict=True))
            if obj["kind"] == "binary":
                exact = Fraction(int(hits == n))
            else:
                steps = obj["levels"] - 1
                exact = Fraction(math.floor(Fraction(hits, n) * steps), steps)
        value = float(exact)
        if apply_noise and obj["sigma"] > 0:
            value = min(1.0, max(0.0, value + obj["sigma"] * normal_py(seed, row_index, tokens, j)))
        out.append(value)
    return out
