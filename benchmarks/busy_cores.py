"""Throughput under load: the batched envs with one deliberately busy process per core, per numba threading layer.

Each threading layer runs in its own process (numba fixes the layer at the first parallel kernel), measuring, for
the numba-batched maze vector env and the ToolCall vector env (structured answers):

1. quiet, 1 thread; 2. quiet, every thread; 3. busy (one ``while True`` process per core), 1 thread;
4. busy, every thread.

The layers: ``default`` is what vecreward picks (``vecreward_envs/threading_layer.py``: TBB where it loads), and
the baselines measured in the same run are GNU OpenMP (numba's default on Linux without TBB) and workqueue.
Target (issue 13): with the cores busy, the batched maze keeps >= 50% of its quiet 1-thread steps/s on the
default layer.

    python benchmarks/busy_cores.py            # full run (about 1.5 minutes)
    python benchmarks/busy_cores.py --quick    # smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

LAYERS = ("default", "omp", "workqueue")

WORKER = r"""
import json, os, subprocess, sys, time, warnings
warnings.filterwarnings("ignore")
import numba, numpy as np, gymnasium as gym, vecreward_envs
seconds, n_envs = float(sys.argv[1]), int(sys.argv[2])

def maze():
    venv = gym.make_vec("vecreward/ConflictMaze-v0", num_envs=n_envs, copy=False)
    venv.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 4, (64, n_envs))
    def step(i):
        venv.step(actions[i % 64])
        return n_envs
    return step

def toolcall():
    n = max(n_envs // 8, 8)
    venv = gym.make_vec("vecreward/ToolCall-v0", num_envs=n)
    venv.reset(seed=0)
    answers = np.random.default_rng(0).integers(0, 10, (n, venv.single_action_space.shape[0]))
    def step(i):  # place n of 64 cached tasks, then score: every step is a scoring step
        venv.reset(options={"seeds": [(i + j) % 64 for j in range(n)]})
        venv.step(answers)
        return n
    return step

def rate(step, threads):
    numba.set_num_threads(threads)
    step(0)
    done, i, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += step(i); i += 1
    return done / (time.perf_counter() - start)

loops = {"maze": maze(), "toolcall": toolcall()}
cores = numba.config.NUMBA_NUM_THREADS
out = {"layer": None, "threads": cores}
for name, step in loops.items():
    out[f"{name} quiet 1"] = rate(step, 1)
    out[f"{name} quiet all"] = rate(step, cores)
out["layer"] = numba.threading_layer()
busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
try:
    time.sleep(0.2)
    for name, step in loops.items():
        out[f"{name} busy 1"] = rate(step, 1)
        out[f"{name} busy all"] = rate(step, cores)
finally:
    for p in busy:
        p.kill()
print(json.dumps(out))
"""


def measure(layer: str, seconds: float, n_envs: int) -> dict:
    env = dict(os.environ)
    env.pop("NUMBA_THREADING_LAYER", None)
    if layer != "default":
        env["NUMBA_THREADING_LAYER"] = layer
    done = subprocess.run([sys.executable, "-c", WORKER, str(seconds), str(n_envs)], capture_output=True, text=True,
                          env=env, timeout=600)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs, not speed")
    parser.add_argument("--seconds", type=float, default=2.0, help="minimum time per measurement")
    parser.add_argument("--num-envs", type=int, default=4096)
    args = parser.parse_args()
    seconds, n_envs = (0.05, 64) if args.quick else (args.seconds, args.num_envs)
    results = {layer: measure(layer, seconds, n_envs) for layer in LAYERS}
    mode = "QUICK: not a measurement" if args.quick else "full"
    print(f"throughput under load ({mode}; {os.cpu_count()} cores, one busy process per core in 'busy'; maze "
          f"N={n_envs}, toolcall N={max(n_envs // 8, 8)}; steps or answers per second)")
    columns = ("quiet 1", "quiet all", "busy 1", "busy all")
    print(f"{'layer':22s} {'env':9s} " + " ".join(f"{c:>11s}" for c in columns) + f" {'busy all / quiet 1':>20s}")
    for layer, row in results.items():
        if "error" in row:
            print(f"{layer:22s} unavailable: {row['error'][:90]}")
            continue
        label = f"{layer} ({row['layer']})"
        for env in ("maze", "toolcall"):
            values = [row[f"{env} {c}"] for c in columns]
            ratio = values[3] / values[0]
            print(f"{label:22s} {env:9s} " + " ".join(f"{v:11.3g}" for v in values) + f" {ratio:19.2f}x")
    default = results["default"]
    if "error" not in default:
        ratio = default["maze busy all"] / default["maze quiet 1"]
        print(f"\nratio vs target: maze busy (all threads) / quiet 1 thread on the default layer = {ratio:.2f}x "
              f"(target >= 0.5x: {'met' if ratio >= 0.5 else 'NOT met'})")
        omp = results["omp"]
        if "error" not in omp:
            print(f"same ratio on GNU OpenMP (numba's default without TBB): "
                  f"{omp['maze busy all'] / omp['maze quiet 1']:.2f}x")


if __name__ == "__main__":
    main()
