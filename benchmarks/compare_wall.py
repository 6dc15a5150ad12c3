"""Wall time of a quick-budget ``vecreward compare`` grid: one process vs the local pool vs Ray, in the same run.

The grid (default: 4 aggregators x maze x 2 seeds at the ``quick`` budget) runs three times into fresh
directories: in this process one run after the other (``1 process``), in the local spawn pool with ``--jobs``
workers (``local pool``), and as Ray tasks on ``ray.init(num_cpus=jobs)`` (``ray``; skipped when Ray is not
installed). Wall time includes each backend's start-up (worker processes, Ray's own processes), since a user pays
it. The speed-ups are ratios to the one-process time measured in the same run; absolute times are not comparable
across runs on a shared machine (the load average is printed).

    python benchmarks/compare_wall.py            # the measurement in docs/benchmarks.md (several minutes)
    python benchmarks/compare_wall.py --quick    # smoke run (probe task, seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console


def _grid(task: str, aggregators: list[str], seeds: int) -> list:
    from agents.compare.grid import build_grid, resolve_aggregators
    from vecreward_envs.families import make_family

    return build_grid([task], resolve_aggregators(",".join(aggregators)), seeds, "quick", {task: make_family(task)})


def one_process(specs: list, out: Path) -> float:
    """Every run in this process, one after the other."""
    from agents.compare.worker import run_one

    started = time.perf_counter()
    for spec in specs:
        run_one(spec.run_id, spec.config.to_dict(), str(out / "runs" / spec.run_id))
    return time.perf_counter() - started


def on_backend(specs: list, out: Path, jobs: int, backend: str) -> float:
    """The grid on a compare backend (start-up included)."""
    from agents.compare.backends import run_grid

    console = Console(quiet=True)
    started = time.perf_counter()
    failures = run_grid(console, specs, out, jobs, backend)
    if failures:
        raise RuntimeError(failures)
    return time.perf_counter() - started


def main() -> None:
    """Time the three ways and print a table with the speed-ups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: probe task, 2 schemes, 1 seed")
    parser.add_argument("--task", default="maze")
    parser.add_argument("--aggregators", default="grpo,gdpo,rvpo,dvao", help="comma list, or all")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2, help="workers of the pool and CPUs given to Ray")
    args = parser.parse_args()
    task, aggregators, seeds = args.task, args.aggregators.split(","), args.seeds
    if args.quick:
        task, aggregators, seeds = "probe", ["grpo", "gdpo"], 1
    specs = _grid(task, aggregators, seeds)
    aggregators = list(dict.fromkeys(s.aggregator for s in specs))
    has_ray = importlib.util.find_spec("ray") is not None
    print(f"grid: {len(specs)} runs ({task} x {','.join(aggregators)} x {seeds} seeds, budget quick); "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        times["1 process"] = one_process(specs, Path(tmp) / "serial")
        times[f"local pool ({args.jobs} workers)"] = on_backend(specs, Path(tmp) / "pool", args.jobs, "local")
        if has_ray:
            times[f"ray ({args.jobs} CPUs, init included)"] = on_backend(specs, Path(tmp) / "ray", args.jobs, "ray")
    base = times["1 process"]
    print(f"{'how':<34} {'wall (s)':>9} {'speed-up':>9}")
    for name, seconds in times.items():
        print(f"{name:<34} {seconds:9.1f} {base / seconds:8.2f}x")
    if not has_ray:
        print("ray: not installed (pip install -c constraints-cpu.txt \"vecreward[sweep]\"), not measured")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
