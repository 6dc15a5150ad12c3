"""``vecreward train --schedule SPEC``: one policy through stages of imitation and RL (``llm_bridge.schedule``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the command imports its heavy modules when it runs
    from llm_bridge.pipeline import PipelineConfig
    from llm_bridge.schedule import PipelineFor
    from llm_bridge.schedule_spec import Stage, TaskRef
    from vecreward_envs.protocols import TaskFamily

SCHEDULE_HELP = (
    "train through stages instead of one task: STAGE > STAGE > ..., each MODE:TASKS:STEPS[:SCHEME] with MODE "
    "imitate, rl or refine (RL with critique-guided refinement: --refine R sets its R, default 1), TASKS one "
    "family or a mixture a+b (steps alternate), a family's parameters as "
    "FAMILY(KEY=VALUE;...), SCHEME an aggregator (default --aggregator; the pipeline options apply to every RL "
    "stage); or a .json file with a full pipeline per stage. Quote it. E.g. 'imitate:maze:100 > rl:maze:200:gdpo > "
    "rl:maze+toolcall:100'. Evaluates every task after each stage; writes schedule.json with the score matrix, "
    "backward transfer and forgetting (docs/schedules.md). --task, --task-param, --steps and --warm-start-steps "
    "do not apply")


def pipeline_filler() -> PipelineFor:
    """The ``PipelineFor`` that fills what a stage's scheme needs from each family.

    That is the family's success objectives, and the stage's steps as the total: rvpo's temperature schedule spans
    the stage, which hands it its step within the stage.
    """
    import dataclasses

    from agents.compare.grid import scheme_params

    def fill(stage: Stage, task: TaskRef, family: TaskFamily) -> PipelineConfig:
        pipeline = stage.pipeline
        assert pipeline is not None  # RL and refine stages always carry one (parse_schedule fills the run's)
        missing = {k: v for k, v in scheme_params(pipeline.aggregator, family, stage.steps).items()
                   if k not in pipeline.aggregator_params}
        if not missing:
            return pipeline
        return dataclasses.replace(pipeline, aggregator_params={**missing, **dict(pipeline.aggregator_params)})

    return fill


def check_flags(args: argparse.Namespace) -> None:
    """Flags that a schedule replaces fail with one line instead of being ignored silently."""
    if args.task_param:
        raise ValueError("--task-param does not apply with --schedule: give a task's parameters in the schedule, "
                         "e.g. 'rl:structure(K=3;relation=tradeoff):200'")
    if args.warm_start_steps:
        raise ValueError("--warm-start-steps does not apply with --schedule: add an imitation stage, e.g. "
                         "'imitate:maze:100 > rl:maze:200'")
    if getattr(args, "eval_at_start", False):
        raise ValueError("--eval-at-start does not apply with --schedule: schedule.json already holds every "
                         "task's score before the first stage (its initial scores)")


def run(args: argparse.Namespace, console: Any, config: Any, policy_config: Any) -> int:
    """Parse and check the schedule, build the policy, run it, print the score matrix; exit code."""
    from agents.commands._paths import writable_dir
    from llm_bridge.schedule import check_schedule, run_schedule, schedule_families, uses_refinement
    from llm_bridge.schedule_spec import parse_schedule

    try:
        check_flags(args)
        schedule = parse_schedule(args.schedule, config.pipeline)
        from agents.commands.train import _refine_config

        refine = _refine_config(args)  # kept out of the base config: only refine stages use it
        if refine is not None and not uses_refinement(schedule):
            raise ValueError("--refine sets the refine stages' R, and this schedule has none: write a stage as "
                             "refine:TASKS:STEPS, e.g. 'imitate:maze:100 > refine:maze:200'")
        families = schedule_families(schedule)
        filler = pipeline_filler()
        check_schedule(schedule, families, config, filler, refine)
        from vecreward_envs.protocols import StructuredView, TextView, require

        view = TextView if args.agent == "llm" else StructuredView
        for label, family in families.items():
            require(family, view, f"--agent {args.agent} on {label}")
        run_dir = args.run_dir or Path("runs") / f"schedule-seed{config.seed}"
        if args.resume and not (run_dir / "config.json").is_file():
            raise ValueError(f"--resume: {run_dir} holds no run to continue (no config.json); drop --resume to start "
                             "one")
        writable_dir(run_dir, "--run-dir")
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    import numba
    import torch

    numba.set_num_threads(1)
    try:
        policy = _policy(args, families, policy_config, config.seed, uses_refinement(schedule))
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    if args.agent == "small":
        torch.set_num_threads(1)
    try:
        result = run_schedule(schedule, policy, families, config, run_dir, resume=args.resume,
                              progress=not args.no_progress, tensorboard=not args.no_tensorboard,
                              pipeline_for=filler, refine=refine)
    except (FileExistsError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    for note in result.notes:
        console.print(f"resume: {note}", soft_wrap=True)
    print_result(console, result)
    return 0


def _policy(args: argparse.Namespace, families: dict, policy_config: Any, seed: int, refine: bool = False) -> Any:
    if args.agent == "llm":
        from agents.llm.policy import HFPolicy

        return HFPolicy(policy_config, seed=seed)
    from agents.small.multitask import schedule_small_policy

    return schedule_small_policy(families, policy_config, seed, feedback=refine)


def print_result(console: Any, result: Any) -> None:
    """The score matrix (one row per stage, the entropy beside each score), BWT and forgetting."""
    import math

    from rich.table import Table

    table = Table(title=f"schedule: {result.metric} of each task after each stage (entropy in brackets; "
                  f"{result.seconds:.0f} s, {result.run_dir})")
    table.add_column("after stage")
    for label in result.labels:
        table.add_column(label, justify="right")
    table.add_row("(start)", *[f"{x:.3f}" for x in result.initial])
    for i, stage in enumerate(result.stages):
        cells = []
        for j in range(len(result.labels)):
            mark = "*" if result.trained[i][j] else " "
            cells.append(f"{result.scores[i, j]:.3f}{mark} ({result.entropy[i, j]:.2f})")
        table.add_row(f"{i + 1}. {stage}", *cells)
    console.print(table)
    note = "" if math.isfinite(result.bwt) else " (n/a: the final stage trains every task, so none is left to measure)"
    console.print(f"* the stage trains this task. BWT (GEM): {_fmt(result.bwt)}; forgetting (Chaudhry): "
                  f"{_fmt(result.forgetting)}{note}", soft_wrap=True)
    console.print(f"TensorBoard: tensorboard --logdir {result.run_dir}")


def _fmt(x: float) -> str:
    import math

    return "n/a" if not math.isfinite(x) else f"{x:+.3f}"
