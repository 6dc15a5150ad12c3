"""Exclusive hypervolume contributions inside a group: numba kernels and a plain-Python twin.

The contribution of point i is ``HV(P) - HV(P minus i)``: the volume dominated by i and by no other point, each
point's box spanning from the reference point ``ref`` up to the point (maximization). Dominated points get 0 but
still take volume away from the points that dominate them.

Exact kernel (:func:`hv_contributions`): a recursive sweep over the dimensions. In dimension d the current cell is
cut at the sorted coordinates of the points still covering it; the slab between two consecutive coordinates is
covered (in d) exactly by the points at or above the upper one, a suffix of the sorted list. A slab covered by a
single point belongs to it in every remaining dimension; the last two dimensions are solved directly in one pass
(for each slab of the second-to-last dimension, the point highest in the last dimension owns the gap to the
runner-up). Before sweeping, points covered by two or more others are dropped: every cell they cover is covered
at least twice anyway, so no contribution changes. This is exact for every K; its cost grows roughly like
``C(G + K - 2, K - 2)`` slabs per group for continuous rewards and stays small with ties (binary or discrete
rewards). See ``docs/aggregators/hv_contribution.md`` for measured times.

Monte-Carlo kernel (:func:`hv_contributions_mc`): counts, for N points drawn uniformly in the group's bounding box,
those covered by exactly one point. Unbiased; standard error ``V sqrt(q (1 - q) / N)`` for a contribution that
is the fraction q of the bounding-box volume V.

Twin (:func:`hv_contributions_py`): enumerates every cell of the grid spanned by all coordinates and credits the
cells covered by exactly one point. Simple, obviously right, exponential in K; the tests check the kernels
against it.
"""

from __future__ import annotations

import itertools

import numba
import numpy as np

__all__ = [
    "halton",
    "hv_contributions",
    "hv_contributions_batch",
    "hv_contributions_mc",
    "hv_contributions_py",
]


@numba.njit(cache=True)
def _drop_twice_covered(p: np.ndarray, member: np.ndarray) -> int:
    """Clear ``member[j]`` for points covered by >= 2 other members; returns the new member count.

    ``l`` covers ``j`` when ``p_l >= p_j`` in every dimension, ties between identical points broken by index (the
    lower index covers), which makes covering a strict partial order: a dropped point is always covered by at
    least two kept points.
    """
    n, k = p.shape
    drop = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        if not member[j]:
            continue
        cnt = 0
        for q in range(n):
            if q == j or not member[q]:
                continue
            ge = True
            eq = True
            for d in range(k):
                if p[q, d] < p[j, d]:
                    ge = False
                    break
                if p[q, d] != p[j, d]:
                    eq = False
            if ge and (not eq or q < j):
                cnt += 1
                if cnt >= 2:
                    drop[j] = True
                    break
    count = 0
    for j in range(n):
        if drop[j]:
            member[j] = False
        if member[j]:
            count += 1
    return count


@numba.njit(cache=True)
def _own_rest(p: np.ndarray, ref: np.ndarray, i: int, dim: int, lower: float, partial: float) -> float:
    """Volume owned by a lone point i: ``partial * (p_i[dim] - lower) * prod_{d > dim} (p_i[d] - ref[d])``."""
    v = partial * (p[i, dim] - lower)
    for d in range(dim + 1, p.shape[1]):
        v *= p[i, d] - ref[d]
    return v


@numba.njit(cache=True)
def _last_two(p: np.ndarray, ref: np.ndarray, order: np.ndarray, member: np.ndarray, dim: int, partial: float,
              out: np.ndarray) -> None:
    """Exclusive areas in dimensions ``dim`` and ``dim + 1`` (the last two) of the members, in O(n)."""
    n = p.shape[0]
    ids = np.empty(n, dtype=np.int64)
    m = 0
    for t in range(n):
        pt = order[dim, t]
        if member[pt]:
            ids[m] = pt
            m += 1
    b = dim + 1
    top_id = np.empty(m, dtype=np.int64)
    runner_up = np.empty(m)
    t1 = -np.inf
    t1_id = -1
    t2 = ref[b]
    for t in range(m - 1, -1, -1):  # suffix maxima in the last dimension
        v = p[ids[t], b]
        if v > t1:
            if t1 > t2:
                t2 = t1
            t1 = v
            t1_id = ids[t]
        elif v > t2:
            t2 = v
        top_id[t] = t1_id
        runner_up[t] = t2
    prev = ref[dim]
    for t in range(m):
        a = p[ids[t], dim]
        width = a - prev
        if width > 0.0:
            i = top_id[t]
            gap = p[i, b] - runner_up[t]
            if gap > 0.0:
                out[i] += partial * width * gap
            prev = a


@numba.njit(cache=True)
def _sweep(p: np.ndarray, ref: np.ndarray, order: np.ndarray, members: np.ndarray, counts: np.ndarray,
           out: np.ndarray) -> None:
    """Depth-first sweep over the dimensions with an explicit stack (numba cannot cache recursive functions).

    Node at depth d: the cell fixed in dimensions < d, covered there by ``members[d]`` (``counts[d]`` of them),
    with volume ``partial[d]`` in those dimensions.
    """
    n, k = p.shape
    pos = np.zeros(k, dtype=np.int64)
    prev = np.zeros(k)
    partial = np.ones(k)
    d = 0
    entering = True
    while d >= 0:
        if entering:
            entering = False
            m = counts[d]
            if m <= 1 or d >= k - 2:
                if m == 1:
                    for i in range(n):
                        if members[d, i]:
                            out[i] += _own_rest(p, ref, i, d, ref[d], partial[d])
                            break
                elif m >= 2 and d == k - 2:
                    _last_two(p, ref, order, members[d], d, partial[d], out)
                elif m >= 2:  # d == k - 1, only when K == 1: the top point owns the gap to the runner-up
                    top = -1
                    for t in range(n - 1, -1, -1):
                        pt = order[d, t]
                        if members[d, pt]:
                            if top < 0:
                                top = pt
                            else:
                                if p[top, d] > p[pt, d]:
                                    out[top] += partial[d] * (p[top, d] - p[pt, d])
                                break
                d -= 1
                continue
            pos[d] = 0
            prev[d] = ref[d]
        pushed = False
        while pos[d] < n:
            t = pos[d]
            pos[d] += 1
            pt = order[d, t]
            if not members[d, pt]:
                continue
            v = p[pt, d]
            width = v - prev[d]
            if width > 0.0:
                # The slab (prev, v] is covered in this dimension by the members at positions >= t.
                c = 0
                last = -1
                for s in range(n):
                    q = order[d, s]
                    inside = s >= t and members[d, q]
                    members[d + 1, q] = inside
                    if inside:
                        c += 1
                        last = q
                if c == 1:  # alone from here up to its own coordinate
                    out[last] += _own_rest(p, ref, last, d, prev[d], partial[d])
                    pos[d] = n
                    break
                counts[d + 1] = c
                partial[d + 1] = partial[d] * width
                prev[d] = v
                d += 1
                entering = True
                pushed = True
                break
        if not pushed:
            d -= 1


@numba.njit(cache=True)
def hv_contributions(points: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Exact exclusive hypervolume contribution of each point.

    Args:
        points: ``[n, K]`` coordinates (maximization).
        ref: ``[K]`` reference point; a coordinate at or below it gives the point an empty box.

    Returns:
        ``[n]`` contributions (0 for dominated, duplicated or empty-box points).
    """
    n, k = points.shape
    out = np.zeros(n)
    if n == 0 or k == 0:
        return out
    p = np.empty((n, k))
    members = np.zeros((k + 1, n), dtype=np.bool_)
    for i in range(n):
        ok = True
        for d in range(k):
            v = points[i, d]
            if v <= ref[d]:
                v = ref[d]
                ok = False  # an empty box covers nothing
            p[i, d] = v
        members[0, i] = ok
    counts = np.zeros(k + 1, dtype=np.int64)
    counts[0] = _drop_twice_covered(p, members[0])
    order = np.empty((k, n), dtype=np.int64)
    for d in range(k):
        order[d] = np.argsort(p[:, d], kind="mergesort")
    _sweep(p, ref, order, members, counts, out)
    return out


@numba.njit(cache=True)
def hv_contributions_batch(points: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """:func:`hv_contributions` for every group: ``points [B, G, K]``, ``refs [B, K]`` -> ``[B, G]``."""
    b, g, _ = points.shape
    out = np.zeros((b, g))
    for i in range(b):
        out[i] = hv_contributions(points[i], refs[i])
    return out


@numba.njit(cache=True)
def hv_contributions_mc(points: np.ndarray, refs: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Monte-Carlo exclusive contributions for every group.

    Args:
        points: ``[B, G, K]`` coordinates.
        refs: ``[B, K]`` reference points.
        unit: ``[N, K]`` sample points in ``[0, 1)^K``, mapped into each group's bounding box ``[ref, max_g p]``.

    Returns:
        ``[B, G]`` estimates: bounding-box volume times the fraction of samples covered by that point alone.
    """
    b, g, k = points.shape
    n_samples = unit.shape[0]
    out = np.zeros((b, g))
    lower = np.empty(k)
    span = np.empty(k)
    x = np.empty(k)
    for i in range(b):
        volume = 1.0
        for d in range(k):
            hi = refs[i, d]
            for j in range(g):
                if points[i, j, d] > hi:
                    hi = points[i, j, d]
            lower[d] = refs[i, d]
            span[d] = hi - refs[i, d]
            volume *= span[d]
        if volume <= 0.0:
            continue
        for s in range(n_samples):
            for d in range(k):
                x[d] = lower[d] + unit[s, d] * span[d]
            owner = -1
            for j in range(g):
                covers = True
                for d in range(k):
                    if points[i, j, d] < x[d]:
                        covers = False
                        break
                if covers:
                    if owner >= 0:
                        owner = -2
                        break
                    owner = j
            if owner >= 0:
                out[i, owner] += 1.0
        for j in range(g):
            out[i, j] *= volume / n_samples
    return out


def halton(n: int, k: int) -> np.ndarray:
    """The first ``n`` points (skipping 0) of the k-dimensional Halton sequence, ``[n, k]`` in ``(0, 1)``."""
    primes: list[int] = []
    c = 2
    while len(primes) < k:
        if all(c % q for q in primes):
            primes.append(c)
        c += 1
    out = np.zeros((n, k))
    for d, base in enumerate(primes):
        i = np.arange(1, n + 1)
        f = 1.0
        while np.any(i > 0):
            f /= base
            out[:, d] += f * (i % base)
            i //= base
    return out


def hv_contributions_py(points: list[list[float]], ref: list[float]) -> list[float]:
    """Plain-Python twin of :func:`hv_contributions`: enumerate the grid cells, credit cells covered once.

    Exponential in K (up to ``(n + 1) ** K`` cells): for tests on small inputs only.
    """
    n = len(points)
    k = len(ref)
    out = [0.0] * n
    if n == 0 or k == 0:
        return out
    pts = [[max(points[i][d], ref[d]) for d in range(k)] for i in range(n)]
    axes = [sorted({ref[d], *(pts[i][d] for i in range(n))}) for d in range(k)]
    for cell in itertools.product(*(range(1, len(a)) for a in axes)):
        upper = [axes[d][cell[d]] for d in range(k)]
        covering = [i for i in range(n) if all(pts[i][d] >= upper[d] for d in range(k))]
        if len(covering) == 1:
            vol = 1.0
            for d in range(k):
                vol *= axes[d][cell[d]] - axes[d][cell[d] - 1]
            out[covering[0]] += vol
    return out
