"""The numba kernel of the reward-structure family: N token answers -> reward vectors [N, J], batched.

An answer row is read up to its first token outside the values 0..V-1 (STOP, padding, anything else): later
positions are *absent* (no match, no credit). Objective j then scores its positions (``layout.py``):

- BINARY: 1 iff every position holds its target; LEVELS (N): floor(c * (N-1) / n) / (N-1) with c matches of n;
- CONTINUOUS: mean over positions of max(0, h - d) / h, d the circular distance between the value and the target in
  Z_(V-1), h = (V-1) // 2; the reserved value V-1 and absent positions earn 0;
- PROXY: the fraction of its positions holding the reserved value V-1.

The noisy judge (``sigma[j] > 0``): reward = clip(true + sigma * eps, 0, 1), eps ~ N(0, 1) by Box-Muller from a
splitmix64 hash of (instance seed, row index n, the row's L canonical tokens (absent = V), j). Scoring stays a
pure function of its inputs, and G identical answers of a group (different rows) still draw different noise.

``kernels_py.py`` is the plain-Python twin written from the same rules; tests check that they agree.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from vecreward_envs.structure.layout import BINARY, CONTINUOUS, LEVELS
from vecreward_envs.threading_layer import configure as _configure_threading_layer

_configure_threading_layer()  # before any parallel kernel runs: TBB, fork-safe (threading_layer.py)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_TWO_PI = 2.0 * math.pi
_INV_2_53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def mix64(z):  # noqa: ANN001, ANN201
    """splitmix64's finalizer of ``z + golden`` (uint64 in, uint64 out, wrapping arithmetic)."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MUL1
    z = (z ^ (z >> np.uint64(27))) * _MUL2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def normal_of(h, j):  # noqa: ANN001, ANN201
    """A standard normal draw for objective ``j`` from the row hash ``h`` (Box-Muller)."""
    a = mix64(h ^ np.uint64(j + 1))
    b = mix64(a)
    u1 = (float(a >> np.uint64(11)) + 1.0) * _INV_2_53  # (0, 1]
    u2 = float(b >> np.uint64(11)) * _INV_2_53  # [0, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


@njit(cache=True)
def answer_end(answers, n, length, n_values):  # noqa: ANN001, ANN201
    """Positions 0..end-1 of row ``n`` hold values; from the first non-value token (or the row's end) on: absent."""
    end = min(length, answers.shape[1])
    for t in range(end):
        tok = answers[n, t]
        if tok < 0 or tok >= n_values:
            return t
    return end


@njit(cache=True)
def row_hash(seed, n, answers, end, length, n_values):  # noqa: ANN001, ANN201
    """The noisy judge's hash of (instance seed, row index, canonical tokens) (uint64)."""
    h = mix64(np.uint64(seed))
    h = mix64(h ^ np.uint64(n))
    for t in range(length):
        tok = answers[n, t] if t < end else n_values
        h = mix64(h ^ np.uint64(tok + 1))
    return h


@njit(parallel=True, cache=True)
def score_kernel(answers, inst_idx, seeds, targets, positions, n_pos, kind, levels, sigma,  # noqa: ANN001, ANN201
                 n_values, length, apply_noise, out):
    """Score N answers [N, W] (row n on instance ``inst_idx[n]``) into ``out`` float32 [N, J].

    Args:
        answers: int64 [N, W] tokens (values 0..V-1, then STOP = V or anything else: the answer ends).
        inst_idx: int64 [N] rows of ``seeds`` / ``targets``.
        seeds: int64 [B] instance seeds.
        targets: int64 [B, J, P] target of each (objective, position slot).
        positions: int64 [J, P] answer position of each slot (``layout.Layout``).
        n_pos: int64 [J] slots of each objective.
        kind: int64 [J] BINARY | LEVELS | CONTINUOUS | PROXY.
        levels: int64 [J] N of ``levels:N``.
        sigma: float64 [J] the judge's noise (0: exact).
        n_values: V.
        length: L.
        apply_noise: False scores the noise-free (true) rewards.
        out: float32 [N, J], filled.
    """
    n_obj = n_pos.shape[0]
    mod = n_values - 1
    half = mod // 2
    noisy = False
    for j in range(n_obj):
        if sigma[j] > 0.0:
            noisy = apply_noise
    for n in prange(answers.shape[0]):
        b = inst_idx[n]
        end = answer_end(answers, n, length, n_values)
        h = row_hash(seeds[b], n, answers, end, length, n_values) if noisy else np.uint64(0)
        for j in range(n_obj):
            npos = n_pos[j]
            units = 0
            for p in range(npos):
                q = positions[j, p]
                a = answers[n, q] if q < end else -1
                if kind[j] == CONTINUOUS:
                    if 0 <= a < mod:
                        d = abs(a - targets[b, j, p])
                        d = min(d, mod - d)
                        if d < half:
                            units += half - d
                elif kind[j] == BINARY or kind[j] == LEVELS:
                    if a == targets[b, j, p]:
                        units += 1
                elif a == mod:  # PROXY: the reserved value
                    units += 1
            if kind[j] == BINARY:
                value = 1.0 if units == npos else 0.0
            elif kind[j] == LEVELS:
                steps = levels[j] - 1
                value = (units * steps // npos) / steps
            elif kind[j] == CONTINUOUS:
                value = units / (half * npos)
            else:
                value = units / npos
            if noisy and sigma[j] > 0.0:
                value = min(1.0, max(0.0, value + sigma[j] * normal_of(h, j)))
            out[n, j] = value
