"""``vecreward atlas``: which scheme wins at which reward structure.

Usage: ``vecreward atlas --vary noise=0,0.1,0.3 --vary K=2,4,8 --aggregators grpo,gdpo,dvao --seeds 3``, or
``vecreward atlas --preset quick``. Every setting (the product of the ``--vary`` axes over the ``--set`` values) is a
family configuration; each is run as a comparison of the schemes over the seeds (the compare machinery: process
pool or Ray, resumable, one ``vecreward compare`` directory per setting), and the atlas writes, per metric, a heat map
of each setting's winners (the verdict's tied-for-best set), the tidy table and a report.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAME = "atlas"
HELP = ("Map which aggregation scheme wins at which reward structure: a grid of family settings (--vary KNOB=V1,V2) "
        "x schemes x seeds; heat maps of the winners, a tidy table, a report.")


@dataclass(frozen=True)
class Preset:
    """A ready-made atlas (any option given on the command line overrides it)."""

    task: str
    vary: tuple[str, ...]
    fixed: tuple[str, ...]
    aggregators: str
    seeds: int
    budget: str


PRESETS: dict[str, Preset] = {
    # <= 10 minutes on 2 cores: 3 noise levels x 2 structures x 5 schemes x 3 seeds = 90 runs of 200 steps (the
    # structure family trains fast enough for the standard budget, where rankings have settled more than at 40 steps)
    "quick": Preset(task="structure", vary=("noise=0,0.2,0.4", "relation=independent,tradeoff"), fixed=(),
                    aggregators="grpo,gdpo,dvao,mo_grpo,vpo", seeds=3, budget="standard"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the atlas."""
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None,
                        help="a ready-made atlas: quick = structure family, noise 0/0.2/0.4 x relation "
                        "independent/tradeoff, 5 schemes, 3 seeds, standard budget (90 runs, under 10 minutes on 2 "
                        "cores); options given too override it")
    parser.add_argument("--task", default=None, help="the task family whose settings vary (default: structure)")
    parser.add_argument("--vary", action="append", default=None, metavar="KNOB=V1,V2,...",
                        help="a family knob and its values, repeatable (the settings are every combination); values "
                        "are JSON where they parse (0.1, 2, true, [0,1]) else strings; commas inside brackets do "
                        "not split")
    parser.add_argument("--set", dest="fixed", action="append", default=None, metavar="KNOB=VALUE",
                        help="a family knob held fixed in every setting, repeatable")
    parser.add_argument("--aggregators", default=None, help="comma-separated schemes, or 'all' (default: "
                        "grpo,gdpo,dvao,mo_grpo,vpo)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per (setting, scheme) (default: 3)")
    parser.add_argument("--budget", choices=["quick", "standard", "full"], default=None,
                        help="training per run, as in compare (default: quick)")
    parser.add_argument("--warm-start-steps", type=int, default=0,
                        help="imitation steps before RL on families with demonstrations (default: 0, unlike compare's "
                        "100: the structure family's demonstrations are the exact best answers, so a warm start would "
                        "hand every scheme the answer the map is asking them to find)")
    parser.add_argument("--metrics", default=None,
                        help="comma-separated metric columns to map (default: eval/best@1, eval/bottleneck, "
                        "eval/pareto_count, eval/hypervolume, eval/pass@1, those with values)")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: runs/atlas-<budget>)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: the number of cores)")
    parser.add_argument("--resume", action="store_true", help="continue a killed atlas in --out")
    parser.add_argument("--backend", default="local", choices=["local", "ray"],
                        help="where runs execute, as in compare (default: local)")
    parser.add_argument("--ray-address", default=None, help="an existing Ray cluster, as in compare")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The preset's values under what the command line gave."""
    preset = PRESETS.get(args.preset) if args.preset else None
    return {
        "task": args.task or (preset.task if preset else "structure"),
        "vary": args.vary if args.vary is not None else list(preset.vary if preset else ()),
        "fixed": args.fixed if args.fixed is not None else list(preset.fixed if preset else ()),
        "aggregators": args.aggregators or (preset.aggregators if preset else "grpo,gdpo,dvao,mo_grpo,vpo"),
        "seeds": args.seeds if args.seeds is not None else (preset.seeds if preset else 3),
        "budget": args.budget or (preset.budget if preset else "quick"),
    }


def run(args: argparse.Namespace) -> int:
    """Validate every setting, run the grids, write and print the map."""
    import os

    from rich.console import Console

    from agents.atlas import outputs
    from agents.atlas.settings import label, parse_axes, settings
    from agents.commands._paths import writable_dir
    from agents.compare.assemble import write_meta as write_compare_meta
    from agents.compare.backends import BackendError, Interrupted, check_backend, run_grid
    from agents.compare.grid import BUDGETS, build_grid, equal_pool_samples, resolve_aggregators
    from agents.compare.verdict import METRICS
    from agents.config_cli import parse_key_values
    from vecreward_envs.families import make_family
    from vecreward_envs.protocols import StructuredView, require

    console = Console() if Console().is_terminal else Console(width=170)
    opts = _options(args)
    out = args.out or Path("runs") / f"atlas-{args.preset or opts['budget']}"
    try:
        task = opts["task"]
        axes = parse_axes(opts["vary"])
        fixed = parse_key_values(opts["fixed"], "--set")
        grid_settings = settings(axes, fixed)
        schemes = resolve_aggregators(opts["aggregators"])
        if opts["seeds"] < 1:
            raise ValueError(f"--seeds must be >= 1, got {opts['seeds']}")
        if args.warm_start_steps < 0:
            raise ValueError(f"--warm-start-steps must be >= 0, got {args.warm_start_steps}")
        metrics = outputs.DEFAULT_METRICS if args.metrics is None else tuple(
            m.strip() for m in args.metrics.split(",") if m.strip())
        unknown = [m for m in metrics if m not in METRICS]
        if unknown or not metrics:
            valid = sorted(m for m in METRICS if m != "wall_seconds")
            raise ValueError(f"--metrics: unknown {unknown}; valid: {valid}")
        grids = []
        for setting in grid_settings:  # every setting is built now: a bad knob fails before anything runs
            try:
                family = make_family(task, **setting)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"setting {label(setting, axes)}: {exc}") from None
            require(family, StructuredView, f"--task {task}, since the atlas trains the small policy,")
            specs = [dataclasses.replace(spec, config=dataclasses.replace(
                spec.config, warm_start_steps=args.warm_start_steps if spec.config.warm_start_steps else 0,
                eval_samples=equal_pool_samples(spec.config.eval_samples, spec.config.chain_length, schemes)))
                for spec in build_grid([task], schemes, opts["seeds"], opts["budget"], {task: family},
                                       task_params=setting)]
            grids.append((setting, specs))
        jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
        if jobs < 1:
            raise ValueError(f"--jobs must be >= 1, got {jobs}")
        check_backend(args.backend, args.ray_address)
        meta = {"task": task, "vary": opts["vary"], "fixed": opts["fixed"], "aggregators": schemes,
                "seeds": opts["seeds"], "budget": opts["budget"], "warm_start_steps": args.warm_start_steps}
        if (out / outputs.META).exists() and not args.resume:
            raise ValueError(f"{out} already holds an atlas: pass --resume to continue it, or another --out")
        if args.resume:
            asked = outputs.read_meta(out)
            if not asked:
                raise ValueError(f"--resume: {out} holds no atlas to continue (no {outputs.META})")
            if asked != meta:
                changed = sorted(k for k in meta if asked.get(k) != meta[k])
                raise ValueError(f"--resume: {out} was run with other {', '.join(changed)}; resume with the same "
                                 "options, or use another --out")
        writable_dir(out, "--out")
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    outputs.write_meta(out, meta)
    total = sum(len(specs) for _, specs in grids)
    console.print(f"atlas: {task}, {len(grids)} settings x {len(schemes)} schemes x {opts['seeds']} seeds = {total} "
                  f"runs at the {opts['budget']} budget, in {out}", soft_wrap=True)
    started = time.perf_counter()
    failures: list[tuple[str, str]] = []
    interrupted = False
    try:
        for i, (setting, specs) in enumerate(grids, 1):
            directory = out / label(setting, axes)
            (directory / "runs").mkdir(parents=True, exist_ok=True)
            write_compare_meta(directory, {"budget": opts["budget"], "steps": BUDGETS[opts["budget"]].steps,
                                           "seeds": opts["seeds"], "tasks": [task], "task_params": setting})
            console.print(f"setting {i}/{len(grids)}: {label(setting, axes)}", soft_wrap=True)
            failures += [(f"{label(setting, axes)}/{run_id}", error)
                         for run_id, error in run_grid(console, specs, directory, jobs, args.backend, args.ray_address)]
    except BackendError as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        if not args.resume:  # nothing ran: the same command can run again without --resume
            _forget_empty_atlas(out, [label(s, axes) for s, _ in grids])
        return 2
    except (Interrupted, KeyboardInterrupt):
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the partial report
        interrupted = True
    header = (f"{total} runs ({task}; {len(grids)} settings; budget {opts['budget']}; {opts['seeds']} seeds), "
              f"{time.perf_counter() - started:.0f} s wall on {jobs} worker(s), backend {args.backend}.")
    if interrupted:
        header = f"INTERRUPTED (Ctrl-C): a partial atlas; continue with --resume --out {out}. " + header
    try:
        written = outputs.write_outputs(out, task, [s for s, _ in grids], axes, schemes, header, metrics,
                                        explicit=args.metrics is not None)
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}" + (f"; continue with --resume --out {out}" if interrupted else ""),
                      soft_wrap=True)
        return 130 if interrupted else 1
    for metric, table in written.summaries.items():
        console.print(f"\n[bold]{METRICS[metric].label}[/]: winners per setting", soft_wrap=True)
        console.print(table, soft_wrap=True, markup=False)
    for run_id, error in failures:
        console.print(f"[red]run {run_id} failed:[/] {error}", soft_wrap=True)
    console.print(f"\n{header}\nReport: {written.report}  Table: {written.table}  Heat maps: "
                  f"{', '.join(p.name for p in written.heatmaps)}", soft_wrap=True)
    if interrupted:
        return 130
    return 1 if failures else 0


def _forget_empty_atlas(out: Path, labels: list[str]) -> None:
    """After a backend that could not start: remove ``atlas.json`` and the settings' empty directories made here."""
    for name in labels:
        runs = out / name / "runs"
        if runs.is_dir() and not any(runs.iterdir()):
            runs.rmdir()
            (out / name / "compare.json").unlink(missing_ok=True)
            if not any((out / name).iterdir()):
                (out / name).rmdir()
    if not any((out / name).exists() for name in labels):
        (out / "atlas.json").unlink(missing_ok=True)
