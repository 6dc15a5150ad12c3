"""``vecreward compare``: every aggregator x task x seed with the small policy; tables, plots, a report.

The embedded default runs in a local process pool (nothing to start); ``--backend ray`` runs each grid cell as a
Ray task (``agents.compare.backends``), with the same worker, run directories and outputs. A killed comparison
continues with ``--resume``: finished runs are never redone, a run interrupted mid-way continues from its last
checkpoint.

The summary ends in a verdict per task and headline metric (``agents.compare.verdict``: which schemes cannot be told
apart from the best, by how much the others are lower). ``--recheck-budget standard`` reruns the best and worst
schemes at a longer budget and reports whether the ranking held. ``vecreward report DIR`` redoes the outputs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from llm_bridge.run_logging import WandbConfig

NAME = "compare"
HELP = "Compare aggregation schemes: train the small policy under each one on each task and seed; report."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the comparison."""
    parser.add_argument("--tasks", default="maze", help="comma-separated task families (default: maze)")
    parser.add_argument("--aggregators", default="all", help="comma-separated schemes, or 'all' (default)")
    parser.add_argument("--seeds", type=int, default=6,
                        help="seeds per (task, scheme); runs that share a seed are compared as pairs, and the "
                        "verdict's test rarely separates schemes below 5 (default: 6; 16 schemes x maze take about 4 "
                        "minutes on 2 cores at the quick budget)")
    parser.add_argument("--budget", choices=["quick", "standard", "full"], default="quick",
                        help="training per run: quick (40 steps, early learning speed; 16 schemes x maze x 6 seeds "
                        "run in about 4 minutes on 2 cores), standard (200), full (1000) (default: quick)")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: runs/compare-<budget>)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: the number of cores)")
    parser.add_argument("--resume", action="store_true", help="continue a killed comparison in --out")
    parser.add_argument("--backend", default="local", choices=["local", "ray"],
                        help="where runs execute: local (a process pool on this machine, nothing to start) or ray "
                        "(one Ray task per run: ray.init() locally with --jobs CPUs, or --ray-address for an "
                        "existing cluster; needs pip install \"vecreward[sweep]\") (default: local)")
    parser.add_argument("--ray-address", default=None,
                        help="address of an existing Ray cluster, with --backend ray: HOST:PORT (the head's ray start "
                        "--head --port), ray://HOST:10001 (Ray Client) or auto (default: RAY_ADDRESS if set, else a "
                        "local Ray); every node needs the same vecreward and --out on a shared file system; with "
                        "token auth export RAY_AUTH_MODE=token and the token (docs/compare.md, Ray clusters)")
    parser.add_argument("--recheck-budget", choices=["standard", "full"], default=None,
                        help="after the grid, rerun some schemes at this longer budget (same seeds) and report "
                        "whether the ranking held: Kendall's tau with a CI and the flipped pairs (default: no "
                        "recheck)")
    parser.add_argument("--wandb", nargs="?", const="vecreward", default=None, metavar="PROJECT",
                        help="also log every run's TensorBoard metrics to Weights & Biases in PROJECT (default "
                        "project: vecreward), one W&B run per grid run, grouped under the grid's name (the --out "
                        "folder's name); offline unless WANDB_MODE is set (upload with wandb sync); needs pip install "
                        "wandb")
    parser.add_argument("--schedule", action="append", default=None, metavar="NAME=SPEC",
                        help="compare training schedules instead of schemes (repeatable): each NAME=SPEC is trained "
                        "with one small multi-task policy per seed, SPEC as in vecreward train --schedule, e.g. "
                        "--schedule 'structured-first=imitate:toolcall+maze:100 > rl:toolcall:50 > rl:maze:50'; "
                        "--budget sets batch, group and evaluation sizes (the stages set the steps); --tasks and "
                        "--aggregators do not apply; writes schedules.md and schedules.csv (docs/schedules.md)")
    parser.add_argument("--recheck", default="4",
                        help="how many schemes per task to recheck: N (the N//2 best and the rest worst by the first "
                        "headline metric) or 'all' (default: 4)")


def run(args: argparse.Namespace) -> int:
    """Validate, run the grid, write and print the results."""
    from rich.console import Console

    from agents.commands._paths import writable_dir
    from agents.compare.assemble import assemble, read_meta, write_meta
    from agents.compare.backends import BackendError, Interrupted, check_backend, run_grid
    from agents.compare.grid import BUDGETS, build_grid, resolve_aggregators
    from agents.compare.report import load_records, tidy_rows
    from agents.compare.verdict import recheck_schemes
    from vecreward_envs.families import make_family
    from vecreward_envs.protocols import StructuredView, require

    console = Console() if Console().is_terminal else Console(width=170)  # pipes/logs: do not cut the table
    if args.schedule:
        from agents.commands import compare_schedules

        return compare_schedules.run(args, console)
    out = args.out or Path("runs") / f"compare-{args.budget}"
    try:
        tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
        if not tasks:
            raise ValueError("--tasks is empty: name at least one task family, e.g. --tasks maze")
        if len(set(tasks)) != len(tasks):
            raise ValueError(f"--tasks names a task twice: {args.tasks!r}")
        families = {task: make_family(task) for task in tasks}
        for task, family in families.items():  # the small policy answers in the structured view
            require(family, StructuredView, f"--tasks {task}, since compare trains the small policy,")
        specs = build_grid(tasks, resolve_aggregators(args.aggregators), args.seeds, args.budget, families)
        jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
        if jobs < 1:
            raise ValueError(f"--jobs must be >= 1, got {jobs}")
        check_backend(args.backend, args.ray_address)
        wandb = _wandb_config(args.wandb, out)
        recheck = _recheck_count(args.recheck)
        if args.recheck_budget is not None and BUDGETS[args.recheck_budget].steps <= BUDGETS[args.budget].steps:
            raise ValueError(f"--recheck-budget {args.recheck_budget} is not longer than --budget {args.budget}")
        if (out / "runs").exists() and not args.resume:
            raise ValueError(f"{out} already holds a comparison: pass --resume to continue it, or another --out")
        if args.resume and not (out / "runs").is_dir():
            raise ValueError(f"--resume: {out} holds no comparison to continue (no runs/ directory)")
        asked = read_meta(out) if args.resume else {}
        if asked and asked.get("budget") != args.budget:
            raise ValueError(f"--resume: {out} was run with --budget {asked.get('budget')}, not {args.budget}; "
                             "resume with the same budget, or use --recheck-budget / another --out")
        writable_dir(out, "--out")
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    (out / "runs").mkdir(parents=True, exist_ok=True)
    write_meta(out, {"budget": args.budget, "steps": BUDGETS[args.budget].steps, "seeds": args.seeds,
                     "tasks": tasks, "recheck_budget": args.recheck_budget})
    started = time.perf_counter()
    interrupted = False
    failures: list[tuple[str, str]] = []
    try:
        failures = run_grid(console, specs, out, jobs, args.backend, args.ray_address, wandb=wandb)
        if args.recheck_budget is not None:
            rows = tidy_rows(out, load_records(out))
            again = [spec for task in tasks for spec in build_grid(
                [task], recheck_schemes(rows, task, recheck), args.seeds, args.recheck_budget, families)]
            target = out / f"recheck-{args.recheck_budget}"
            (target / "runs").mkdir(parents=True, exist_ok=True)
            console.print(f"recheck: {len(again)} run(s) at the {args.recheck_budget} budget in {target}")
            recheck_wandb = None if wandb is None else dataclasses.replace(
                wandb, group=f"{wandb.group}-recheck-{args.recheck_budget}")
            failures += run_grid(console, again, target, jobs, args.backend, args.ray_address, wandb=recheck_wandb)
    except BackendError as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        if not args.resume:
            _forget_empty_grid(out)
        return 2
    except (Interrupted, KeyboardInterrupt):
        interrupted = True
    header = (f"{len(specs)} runs ({', '.join(tasks)}; budget {args.budget}; {args.seeds} seeds), "
              f"{time.perf_counter() - started:.0f} s wall on {jobs} worker(s), backend {args.backend}.")
    if interrupted:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the partial report
        done = len(load_records(out))
        header = (f"INTERRUPTED (Ctrl-C): {done} of {len(specs)} runs finished; this is a partial report. "
                  f"Continue with: vecreward compare ... --out {out} --resume. " + header)
        console.print(f"interrupted: {done} of {len(specs)} runs finished; writing a partial report", soft_wrap=True)
        if done == 0:
            console.print(f"nothing finished yet; continue with --resume --out {out}", soft_wrap=True)
            return 130
    try:
        outputs = assemble(out, header=header, console=console)
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 1
    for run_id, error in failures:
        console.print(f"[red]run {run_id} failed:[/] {error}", soft_wrap=True)
    if interrupted:
        console.print(f"Partial report: {outputs.report}; continue with --resume --out {out}", soft_wrap=True)
        return 130
    console.print(f"{header}\nReport: {outputs.report}  Table: {out / 'results.csv'}  "
                  f"TensorBoard: tensorboard --logdir {out}")
    if wandb is not None:
        console.print(f"W&B: group {wandb.group!r} in project {wandb.project!r}; runs under <run dir>/wandb/ "
                      f"(offline runs upload with: wandb sync {out}/runs/*/*/*/wandb/offline-run-*)", soft_wrap=True)
    return 1 if failures else 0


def _wandb_config(project: str | None, out: Path) -> WandbConfig | None:
    """``--wandb [PROJECT]``: one W&B run per grid run, grouped under the grid's name; fails early without wandb."""
    if project is None:
        return None
    from llm_bridge.run_logging import WandbConfig, check_wandb

    check_wandb("--wandb")
    if not project.strip():
        raise ValueError("--wandb PROJECT must not be empty")
    return WandbConfig(project=project, group=out.resolve().name)


def _forget_empty_grid(out: Path) -> None:
    """After a backend that could not start: remove the empty ``runs/`` and ``compare.json`` made here.

    Nothing ran, so the same command can then be run again without ``--resume``.
    """
    runs = out / "runs"
    if runs.is_dir() and not any(runs.iterdir()):
        runs.rmdir()
        (out / "compare.json").unlink(missing_ok=True)


def _recheck_count(text: str) -> int | None:
    """``--recheck``: 'all' (None) or a count >= 2 (a ranking needs two schemes)."""
    if text.strip() == "all":
        return None
    try:
        count = int(text)
    except ValueError:
        raise ValueError(f"--recheck must be 'all' or an integer >= 2, got {text!r}") from None
    if count < 2:
        raise ValueError(f"--recheck must be 'all' or an integer >= 2, got {count}")
    return count
