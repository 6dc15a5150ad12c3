"""GRPO vs RVPO on tool-call tasks with >= 5 constraints, one of them a hard bottleneck: its pass rate per scheme.

Every task has 5-6 constraints, one of them (``--bottleneck``, default ``max_calls``) in its hardest form: for
``max_calls`` the limit is one call below what the request needs, so the request and the constraint pull against
each other. Each run is ``vecreward train --task toolcall --agent small`` (by default 300 imitation steps on
request-serving demonstrations, then 300 RL steps under the aggregator); the script reads the last evaluation of
every run and prints the bottleneck's pass rate (mean and spread over seeds) with the other objectives next to it.

    python benchmarks/toolcall_bottleneck.py                      # 2 schemes x 3 seeds (a few minutes on 2 cores)
    python benchmarks/toolcall_bottleneck.py --warm-start-steps 0 --steps 600   # RL from scratch
    python benchmarks/toolcall_bottleneck.py --bottleneck order --warm-start-steps 0 --steps 600
    python benchmarks/toolcall_bottleneck.py --quick               # smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHOWN = ("constraint/max_calls", "tool_name", "param_values", "format", "constraint/order", "constraint/unit",
         "constraint/format", "constraint/response_field")


def run(aggregator: str, seed: int, steps: int, warm: int, out: Path, params: list[str], task_params: tuple[str, ...]
        ) -> dict[str, float]:
    """One training run; the last evaluation's metrics."""
    run_dir = out / f"{aggregator}-seed{seed}"
    cmd = [sys.executable, "-m", "agents", "train", "--task", "toolcall", "--agent", "small", "--aggregator",
           aggregator, "--seed", str(seed), "--steps", str(steps), "--batch-size", "16", "--group-size", "8",
           "--train-instances", "512", "--eval-instances", "32", "--eval-samples", "16",
           "--eval-every", str(steps), "--warm-start-steps", str(warm), "--run-dir", str(run_dir), "--no-progress",
           "--no-tensorboard"]
    for param in task_params:
        cmd += ["--task-param", param]
    for param in params:
        cmd += ["--aggregator-param", param]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return next(r for r in reversed(rows) if "eval/bottleneck" in r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warm-start-steps", type=int, default=300,
                        help="imitation steps on request-serving demonstrations before RL (0: RL from scratch)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--aggregators", nargs="+", default=["grpo", "rvpo"])
    parser.add_argument("--bottleneck", default="max_calls", help="the constraint kind every task has, hardest form")
    parser.add_argument("--rvpo-param", action="append", default=[], metavar="KEY=VALUE",
                        help="an rvpo parameter, e.g. total_steps=300 (its temperature ramp over the run's length)")
    parser.add_argument("--out", type=Path, default=None, help="run directories (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="smoke run (4 + 2 steps, one seed): numbers meaningless")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.warm_start_steps, args.seeds = 4, 2, [0]
    out = args.out or Path(tempfile.mkdtemp(prefix="toolcall-bottleneck-"))
    task_params = ("min_constraints=5", "max_constraints=6", f"bottleneck={args.bottleneck}")
    key = f"constraint/{args.bottleneck}"
    results: dict[str, list[dict[str, float]]] = {}
    for aggregator in args.aggregators:
        for seed in args.seeds:
            start = time.perf_counter()
            results.setdefault(aggregator, []).append(run(aggregator, seed, args.steps, args.warm_start_steps, out,
                                                      args.rvpo_param if aggregator == "rvpo" else [], task_params))
            value = results[aggregator][-1][f"eval/{key}/mean"]
            print(f"{aggregator} seed {seed}: bottleneck pass rate {value:.3f} ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    print(f"\nbottleneck = {key}; tasks: {', '.join(task_params)}; "
          f"{args.warm_start_steps} imitation + {args.steps} RL steps, rvpo params {args.rvpo_param or 'default'}, "
          f"seeds {args.seeds}; eval: 32 held-out tasks x 16 samples; mean +- std over seeds (per-seed values)\n")
    print("| objective | " + " | ".join(args.aggregators) + " |")
    print("|---|" + "---|" * len(args.aggregators))
    for name in (key, *(n for n in SHOWN if n != key)):
        cells = []
        for aggregator in args.aggregators:
            values = np.array([r[f"eval/{name}/mean"] for r in results[aggregator]])
            cells.append(f"{values.mean():.3f} +- {values.std():.3f} ({', '.join(f'{v:.2f}' for v in values)})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    for key in ("eval/bottleneck", "eval/best@1"):
        cells = [f"{np.mean([r[key] for r in results[a]]):.3f}" for a in args.aggregators]
        print(f"| {key} | " + " | ".join(cells) + " |")
    if args.quick and args.out is None:
        shutil.rmtree(out, ignore_errors=True)  # a smoke run keeps nothing
    else:
        print(f"\nrun directories: {out}")


if __name__ == "__main__":
    main()
