"""Time per call of every aggregation scheme, with the baseline measured in the same run.

Shapes (issue 3): vector schemes on rewards ``[B=256, G=16, K=8]``, set-level schemes on chains
``[B=64, G=8, m=3, K=8]``; the dominance schemes (pareto_rank, hv_contribution) also at K = 6, where their target
applies, on binary, 5-level discrete and continuous (uniform) rewards. Rewards carry 5% NaN entries ("not applicable").

Baseline: a bare numpy GRPO on the same batch, ``(s - mean_g s) / (std_g s + 1e-4)`` with ``s = r.sum(-1)``, no
NaN handling and no checks: the least work any scheme must do. Ratios to it are comparable across runs; absolute
times are not (shared machine).

Targets (issue 3): <= 1 ms per call for the normalizing schemes, <= 20 ms for the Pareto-dominance ones
(``kind == "dominance"``: pareto_rank, hv_contribution) at K <= 6.

    python benchmarks/aggregators.py            # full run (about a minute)
    python benchmarks/aggregators.py --quick    # smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

from llm_bridge.aggregators import AGGREGATORS, SPECS

DOMINANCE = [name for name, spec in SPECS.items() if spec.kind == "dominance"]  # Pareto comparisons: 20 ms target
TARGET_MS = {name: 20.0 if name in DOMINANCE else 1.0 for name in SPECS}


def per_call(fn: Callable[[], object], min_seconds: float, repeats: int) -> float:
    """Seconds per call: the best of ``repeats`` timing runs of at least ``min_seconds`` each."""
    fn()  # warm-up: numba compilation, caches
    best = float("inf")
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        best = min(best, elapsed / calls)
    return best


def rewards(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if kind == "binary":
        r = rng.integers(0, 2, shape).astype(np.float64)
    elif kind == "discrete5":
        r = rng.integers(0, 5, shape) / 4.0
    else:
        r = rng.random(shape)
    r[rng.random(shape) < 0.05] = np.nan
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, one timing run: checks that it runs")
    args = parser.parse_args()
    b, g, k = (8, 4, 3) if args.quick else (256, 16, 8)
    bs, gs, m = (4, 4, 2) if args.quick else (64, 8, 3)
    min_seconds, repeats = (0.0, 1) if args.quick else (0.2, 5)
    rng = np.random.default_rng(0)

    vec = rewards("binary", (b, g, k), rng)
    dense = np.nan_to_num(vec)

    def baseline() -> np.ndarray:
        s = dense.sum(-1)
        return (s - s.mean(1, keepdims=True)) / (s.std(1, ddof=1, keepdims=True) + 1e-4)

    base = per_call(baseline, min_seconds, repeats)
    print(f"baseline (bare numpy GRPO on [{b}, {g}, {k}]): {base * 1e6:.1f} us per call\n")
    print("| scheme | input | rewards | ms per call | x baseline | target (ms) | meets |")
    print("|---|---|---|---:|---:|---:|---|")

    def report(name: str, shape: str, kind: str, seconds: float) -> None:
        target = TARGET_MS[name]
        meets = "yes" if seconds * 1e3 <= target else "**no**"
        print(f"| {name} | {shape} | {kind} | {seconds * 1e3:.3f} | {seconds / base:.1f}x | {target:g} | {meets} |")

    chains = rewards("binary", (bs, gs, m, k), rng)
    for name, fn in AGGREGATORS.items():
        if SPECS[name].level == "set":
            x, shape = chains, f"[{bs}, {gs}, {m}, {k}]"
        else:
            x, shape = vec, f"[{b}, {g}, {k}]"
        call_rng = np.random.default_rng(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # hv beyond its exact budget says so; noted below
            seconds = per_call(lambda fn=fn, x=x, call_rng=call_rng: fn(x, rng=call_rng), min_seconds, repeats)
        report(name, shape, "binary", seconds)
    k_small = 3 if args.quick else 6
    for kind in ("binary", "discrete5", "uniform"):
        x = rewards(kind, (b, g, k_small), rng)
        for name in DOMINANCE:
            fn = AGGREGATORS[name]
            seconds = per_call(lambda fn=fn, x=x: fn(x), min_seconds, repeats)
            report(name, f"[{b}, {g}, {k_small}]", kind, seconds)
    if not args.quick:
        x = rewards("uniform", (b, g, k), rng)
        for method in ("auto", "exact"):
            fn = AGGREGATORS["hv_contribution"]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                seconds = per_call(lambda fn=fn, x=x, method=method: fn(x, method=method), 0.0, 1)
            report("hv_contribution", f"[{b}, {g}, {k}] {method}", "uniform", seconds)


if __name__ == "__main__":
    main()
