"""``vecreward compare``: every aggregator x task x seed with the small policy; tables, plots, a report.

The embedded default runs in a local process pool (nothing to start). A killed comparison continues with
``--resume``: finished runs are never redone, a run interrupted mid-way continues from its last checkpoint.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

NAME = "compare"
HELP = "Compare aggregation schemes: train the small policy under each one on each task and seed; report."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the comparison."""
    parser.add_argument("--tasks", default="maze", help="comma-separated task families (default: maze)")
    parser.add_argument("--aggregators", default="all", help="comma-separated schemes, or 'all' (default)")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per (task, scheme) (default: 2)")
    parser.add_argument("--budget", choices=["quick", "standard", "full"], default="quick",
                        help="training per run: quick (40 steps; the grid of 16 schemes x maze x 2 seeds runs in "
                        "minutes on 2 cores), standard (200), full (1000) (default: quick)")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: runs/compare-<budget>)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: the number of cores)")
    parser.add_argument("--resume", action="store_true", help="continue a killed comparison in --out")


def run(args: argparse.Namespace) -> int:
    """Validate, run the grid, write and print the results."""
    from rich.console import Console

    from agents.compare import report
    from agents.compare.grid import build_grid, resolve_aggregators
    from vecreward_envs.families import make_family

    console = Console() if Console().is_terminal else Console(width=170)  # pipes/logs: do not cut the table
    out = args.out or Path("runs") / f"compare-{args.budget}"
    try:
        tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
        families = {task: make_family(task) for task in tasks}
        specs = build_grid(tasks, resolve_aggregators(args.aggregators), args.seeds, args.budget, families)
        jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
        if jobs < 1:
            raise ValueError(f"--jobs must be >= 1, got {jobs}")
        if (out / "runs").exists() and not args.resume:
            raise ValueError(f"{out} already holds a comparison: pass --resume to continue it, or another --out")
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    (out / "runs").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    failures = _run_grid(console, specs, out, jobs)
    records = report.load_records(out)
    rows = report.tidy_rows(out, records)
    report.write_tables(out, rows)
    summary = report.summarize(records)
    plots = report.plot_all(out, records, rows) if records else []
    header = (f"{len(records)} runs ({', '.join(tasks)}; budget {args.budget}; {args.seeds} seeds), "
              f"{time.perf_counter() - started:.0f} s wall on {jobs} worker(s).")
    path = report.write_report(out, summary, plots, header)
    report.print_summary(console, summary)
    console.print(f"{header}\nReport: {path}  Table: {out / 'results.csv'}  TensorBoard: tensorboard --logdir {out}")
    for run_id, error in failures:
        console.print(f"[red]run {run_id} failed:[/] {error}")
    return 1 if failures else 0


def _run_grid(console: object, specs: list, out: Path, jobs: int) -> list[tuple[str, str]]:
    """Run every unfinished spec in a process pool, with a progress bar for the grid and one per running run."""
    import multiprocessing as mp
    import queue
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from agents.compare.worker import run_one

    todo = [s for s in specs if not (out / "runs" / s.run_id / "result.json").exists()]
    failures: list[tuple[str, str]] = []
    context = mp.get_context("spawn")  # no inherited torch/numba thread state in the workers
    with context.Manager() as manager, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console,  # type: ignore[arg-type]
    ) as progress:
        updates = manager.Queue()
        grid = progress.add_task("grid", total=len(specs), completed=len(specs) - len(todo))
        bars: dict[str, int] = {}
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(run_one, s.run_id, s.config.to_dict(), str(out / "runs" / s.run_id), updates): s
                       for s in todo}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                while True:
                    try:
                        run_id, step, total = updates.get_nowait()
                    except queue.Empty:
                        break
                    if run_id not in bars:
                        bars[run_id] = progress.add_task(f"  {run_id}", total=total)
                    progress.update(bars[run_id], completed=step)
                for future in finished:
                    spec = futures[future]
                    if spec.run_id in bars:
                        progress.remove_task(bars.pop(spec.run_id))
                    try:
                        future.result()
                    except Exception as exc:  # noqa: BLE001 - a failed run is reported, the grid goes on
                        failures.append((spec.run_id, repr(exc)))
                    progress.advance(grid)
    return failures
