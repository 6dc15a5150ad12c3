"""Reward-structure scoring throughput: answers/s of the numba kernel vs its plain-Python twin, on the same answers.

Two settings: the default (K=3 independent, continuous) and a heavy one (K=8 tradeoff, m=4, levels, noisy judge on
every match objective, bottleneck, saturating and proxy). Answers are half demonstrations, half random tokens.

Target (issue 14): the kernel >= 100x the twin.

    python benchmarks/structure_scoring.py            # full run (about half a minute)
    python benchmarks/structure_scoring.py --quick    # smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

from vecreward_envs.structure.family import StructureFamily
from vecreward_envs.structure.instance import InstanceBatch
from vecreward_envs.structure.kernels_py import score_row_py
from vecreward_envs.structure.layout import BINARY, CONTINUOUS, LEVELS, layout
from vecreward_envs.structure.scoring import score

SETTINGS = {
    "default": {},
    "heavy": {"K": 8, "m": 4, "V": 11, "relation": "tradeoff", "granularity": "levels:4", "difficulty": "hard",
              "noise": 0.2, "noisy": ",".join(str(k) for k in range(8)), "bottleneck": True, "saturating": True,
              "proxy": True},
}


def _twin_objectives(family: StructureFamily, instance: object) -> list[dict]:
    lay = layout(family.config)
    names = {BINARY: "binary", LEVELS: "levels", CONTINUOUS: "continuous"}
    return [{"kind": names.get(int(lay.kind[j]), "proxy"), "levels": int(lay.levels[j]),
             "positions": lay.positions[j, : lay.n_pos[j]].tolist(),
             "targets": instance.targets[j, : lay.n_pos[j]].tolist(), "sigma": float(lay.sigma[j])}
            for j in range(lay.n_pos.shape[0])]


def rates(params: dict, n: int, min_seconds: float) -> tuple[float, float, int]:
    """(kernel answers/s, twin answers/s, J) on the same answers."""
    family = StructureFamily(**params)
    config = family.config
    instances = family.instances(0, 256)
    batch = InstanceBatch.stack(instances)
    rng = np.random.default_rng(0)
    idx = rng.integers(len(instances), size=n)
    answers = rng.integers(0, config.V + 1, size=(n, config.answer_len + 1))
    answers[::2] = family.demonstrations(instances)[idx[::2]]
    score(config, batch, answers[:100], idx[:100])  # warm-up: JIT
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        score(config, batch, answers, idx)
        done += n
    kernel = done / (time.perf_counter() - start)
    objectives = [_twin_objectives(family, inst) for inst in instances]
    rows = answers.tolist()
    m = min(n, 5000)
    start = time.perf_counter()
    for i in range(m):
        inst = instances[idx[i]]
        score_row_py(rows[i], i, inst.seed, objectives[idx[i]], config.V, config.answer_len)
    twin = m / (time.perf_counter() - start)
    return kernel, twin, len(config.reward_names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="numba threads of the kernel (default 1)")
    args = parser.parse_args()
    numba.set_num_threads(max(1, min(args.threads, numba.config.NUMBA_NUM_THREADS)))
    seconds = 0.3 if args.quick else 3.0
    n = 20_000 if args.quick else 200_000
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# structure scoring ({os.cpu_count()} CPUs, load average {load:.2f}, {numba.get_num_threads()} numba "
          "thread(s))")
    print(f"| {'setting':<8} | {'J':>2} | {'kernel answers/s':>16} | {'twin answers/s':>14} | {'ratio':>8} | "
          "target | met |")
    print(f"|{'-' * 10}|{'-' * 4}|{'-' * 18}|{'-' * 16}|{'-' * 10}|--------|-----|")
    for name, params in SETTINGS.items():
        kernel, twin, k = rates(params, n, seconds)
        ratio = kernel / twin
        print(f"| {name:<8} | {k:>2} | {kernel:>16,.0f} | {twin:>14,.0f} | {ratio:>7,.0f}x | 100x   | "
              f"{'yes' if ratio >= 100 else 'no':<3} |")


if __name__ == "__main__":
    main()
