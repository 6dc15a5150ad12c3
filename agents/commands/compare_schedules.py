"""``vecreward compare --schedule NAME=SPEC ...``: schedules, not schemes, as what the grid compares.

Every (schedule, seed) trains one small multi-task policy through the stages (``agents.compare.schedule_runs``) on
the grid's workers, resumable like a scheme grid. The summary: per task, each schedule's final scores (mean and
spread over seeds) and entropy, each schedule's BWT and forgetting, and the verdict per task (which schedules cannot
be told apart from the best), written to ``schedules.md`` and ``schedules.csv``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def parse_named(items: Sequence[str], default_pipeline: Any) -> dict[str, Any]:
    """``["curriculum=rl:a:5 > rl:b:5", ...]`` -> name -> Schedule (one line on a bad one)."""
    from llm_bridge.schedule_spec import parse_schedule

    out: dict[str, Any] = {}
    for item in items:
        name, eq, spec = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ValueError(f"--schedule takes NAME=SPEC, e.g. 'curriculum=rl:toolcall:50 > rl:maze:50', got "
                             f"{item!r}")
        if name in out:
            raise ValueError(f"--schedule names {name!r} twice")
        out[name] = parse_schedule(spec, default_pipeline)
    return out


def base_config(budget: Any) -> Any:
    """The run settings a budget gives every schedule run (its steps do not apply: the stages say them)."""
    from llm_bridge.trainer import TrainConfig

    return TrainConfig(batch_size=budget.batch_size, group_size=budget.group_size,
                       eval_instances=budget.eval_instances, eval_samples=budget.eval_samples,
                       eval_every=budget.eval_every, checkpoint_every=budget.eval_every,
                       train_instances=budget.train_instances)


def summarize(out: Path, records: Sequence[Mapping[str, Any]], header: str) -> list[str]:
    """Write ``schedules.csv`` (one row per task, schedule and seed) and ``schedules.md``; return the md lines."""
    from agents.compare.schedule_runs import schedule_rows
    from agents.compare.verdict import task_verdicts, verdict_lines

    rows = schedule_rows(records)
    columns = sorted({k for r in rows for k in r} - {"task", "aggregator", "seed", "step"})
    with open(out / "schedules.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["task", "schedule", "seed", *columns])
        writer.writeheader()
        for r in rows:
            writer.writerow({"task": r["task"], "schedule": r["aggregator"], "seed": r["seed"],
                             **{c: r.get(c) for c in columns}})
    names = list(dict.fromkeys(str(r["aggregator"]) for r in records))
    tasks = list(dict.fromkeys(str(r["task"]) for r in rows))
    lines = [f"# Schedule comparison\n\n{header}\n", "## Schedules\n"]
    specs = {str(r["aggregator"]): " > ".join(r["schedule"]["stages"]) for r in records}
    lines += [f"- **{n}**: `{specs[n]}`" for n in names]
    lines += ["", "## Final scores (mean ± sd over seeds; entropy = the policy's per-token entropy)\n",
              "| schedule | " + " | ".join(f"{t} best@1 | {t} entropy" for t in tasks) + " | mean best@1 | BWT | "
              "forgetting |", "|---" * (2 * len(tasks) + 4) + "|"]
    for name in names:
        mine = [r for r in rows if r["aggregator"] == name]
        cells = []
        per_task_means = []
        for task in tasks:
            best = [r["eval/best@1"] for r in mine if r["task"] == task]
            ent = [r.get("eval/entropy", math.nan) for r in mine if r["task"] == task]
            if best:  # a schedule evaluates only the tasks it names
                per_task_means.append(float(np.mean(best)))
            cells += [_ms(best), _ms(ent)]
        runs = [r for r in records if r["aggregator"] == name]
        bwt = [r["schedule"]["bwt"] for r in runs]
        forget = [r["schedule"]["forgetting"] for r in runs]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {np.mean(per_task_means):.3f} | {_ms(bwt)} | "
                     f"{_ms(forget)} |")
    lines += ["", "BWT (GEM) and forgetting (Chaudhry) are n/a for a schedule whose final stage trains every task.",
              "", "## Verdict per task\n"]
    lines += [f"- {line}" for line in verdict_lines(task_verdicts(rows)).__iter__()]
    (out / "schedules.md").write_text("\n".join(lines) + "\n")
    return lines


def _ms(values: Sequence[Any]) -> str:
    xs = np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)
    xs = xs[np.isfinite(xs)]
    if xs.size == 0:
        return "n/a"
    return f"{xs.mean():.3f} ± {xs.std(ddof=1):.3f}" if xs.size > 1 else f"{xs.mean():.3f}"


def run(args: Any, console: Any) -> int:
    """The schedule grid: validate, run (resumable), summarize; exit code."""
    import json
    import os
    import time

    from agents.commands._paths import writable_dir
    from agents.compare.backends import BackendError, Interrupted, check_backend, run_grid
    from agents.compare.grid import BUDGETS
    from agents.compare.schedule_runs import schedule_specs
    from llm_bridge.pipeline import PipelineConfig
    from llm_bridge.schedule import check_schedule, schedule_families

    out = args.out or Path("runs") / f"compare-schedules-{args.budget}"
    try:
        if args.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
        unused = [flag for flag, used in (("--tasks", args.tasks != "maze"),
                                          ("--aggregators", args.aggregators != "all"),
                                          ("--recheck-budget", args.recheck_budget is not None),
                                          ("--wandb", args.wandb is not None)) if used]
        if unused:
            raise ValueError(f"{', '.join(unused)} do(es) not apply with --schedule: the schedules name their tasks "
                             "and schemes (write a scheme as MODE:TASKS:STEPS:SCHEME)")
        schedules = parse_named(args.schedule, PipelineConfig())
        base = base_config(BUDGETS[args.budget])
        from agents.commands.train_schedule import pipeline_filler
        from vecreward_envs.protocols import StructuredView, require

        for name, schedule in schedules.items():
            families = schedule_families(schedule)
            for label, family in families.items():
                require(family, StructuredView, f"schedule {name} task {label}, since compare trains the small "
                        "policy,")
            check_schedule(schedule, families, base, pipeline_filler())
        specs = schedule_specs(schedules, list(range(args.seeds)), base)
        jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
        if jobs < 1:
            raise ValueError(f"--jobs must be >= 1, got {jobs}")
        check_backend(args.backend, args.ray_address)
        if (out / "runs").exists() and not args.resume:
            raise ValueError(f"{out} already holds a comparison: pass --resume to continue it, or another --out")
        if args.resume and not (out / "runs").is_dir():
            raise ValueError(f"--resume: {out} holds no comparison to continue (no runs/ directory)")
        writable_dir(out, "--out")
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    (out / "runs").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        failures = run_grid(console, specs, out, jobs, args.backend, args.ray_address)
    except BackendError as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    except (Interrupted, KeyboardInterrupt):
        console.print(f"interrupted: continue with --resume --out {out}", soft_wrap=True)
        return 130
    records = []
    for spec in specs:
        path = out / "runs" / spec.run_id / "result.json"
        if path.exists():
            records.append(json.loads(path.read_text()))
    for run_id, error in failures:
        console.print(f"[red]run {run_id} failed:[/] {error}", soft_wrap=True)
    if not records:
        return 1
    header = (f"{len(specs)} runs ({len(schedules)} schedules x {args.seeds} seeds; budget {args.budget}: batch "
              f"{base.batch_size}, group {base.group_size}), {time.perf_counter() - started:.0f} s wall on {jobs} "
              f"worker(s).")
    lines = summarize(out, records, header)
    console.print("\n".join(lines[2:]), soft_wrap=True, markup=False)
    console.print(f"Report: {out / 'schedules.md'}  Table: {out / 'schedules.csv'}  TensorBoard: tensorboard "
                  f"--logdir {out}")
    return 1 if failures else 0
