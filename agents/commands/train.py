"""``vecreward train``: train a policy on a task family under an aggregation scheme; write a run directory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from agents.config_cli import add_dataclass_options, parse_key_values, values

if TYPE_CHECKING:  # annotations only: the command imports its heavy modules when it runs
    from llm_bridge.run_logging import WandbConfig
    from llm_bridge.trainer import TrainConfig
    from vecreward_envs.protocols import TaskFamily

NAME = "train"
HELP = "Train a policy (small network, or a Hugging Face causal LM with --agent llm) on a task under an aggregator."

_TRAIN_FIELDS: list[str] = []
_POLICY_FIELDS: list[str] = []
_PPO_FIELDS: list[str] = []
_LLM_FIELDS: list[str] = []
_LLM_PREFIX = "llm_"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option of the run, the policy and the update, with help from the config docstrings."""
    from agents.llm.config import LLMPolicyConfig
    from agents.small.config import SmallPolicyConfig
    from llm_bridge.ppo_config import PPOConfig
    from llm_bridge.trainer import TrainConfig

    run = parser.add_argument_group("run (TrainConfig)")
    _TRAIN_FIELDS[:] = add_dataclass_options(run, TrainConfig, skip=("task_params", "pipeline", "warm_start_steps"))
    run.add_argument("--warm-start-steps", type=int, default=None, metavar="INT",
                     help="imitation steps on the family's solver demonstrations before RL (default: 100 for "
                     "families that offer demonstrations, such as the maze, whose random routes almost never reach "
                     "E so that RL alone gets no signal; else 0)")
    from agents.commands.train_schedule import SCHEDULE_HELP

    run.add_argument("--schedule", default=None, metavar="SPEC", help=SCHEDULE_HELP)
    run.add_argument("--task-param", action="append", metavar="KEY=VALUE",
                     help="a parameter of the task family's config, e.g. size=11 or score_mode=linear (repeatable)")
    run.add_argument("--run-dir", type=Path, default=None,
                     help="output directory (default: runs/<task>-<aggregator>-seed<seed>)")
    run.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    run.add_argument("--no-tensorboard", action="store_true", help="do not write TensorBoard events")
    run.add_argument("--wandb", nargs="?", const="vecreward", default=None, metavar="PROJECT",
                     help="also log the TensorBoard metrics to a Weights & Biases run in PROJECT (default project: "
                     "vecreward); offline unless WANDB_MODE is set (upload later with wandb sync); needs pip install "
                     "wandb")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    agg = parser.add_argument_group("aggregation pipeline")
    agg.add_argument("--aggregator", default="grpo", help="scheme name (see `vecreward advantages --help`; "
                     "default: grpo)")
    agg.add_argument("--aggregator-param", action="append", metavar="KEY=VALUE",
                     help="a parameter of the scheme, e.g. scale=batch or tau=1.0 (repeatable)")
    agg.add_argument("--weights", type=float, nargs="+", default=None, help="static objective weights (default all 1)")
    agg.add_argument("--reward-transform", action="append", metavar="NAME[:JSON]",
                     help='a reward transform, e.g. \'gate:{"objectives":[0],"mode":"drop"}\' (repeatable, in order)')
    agg.add_argument("--advantage-transform", action="append", metavar="NAME[:JSON]",
                     help="an advantage transform, e.g. negative_only or 'clip:{\"max_abs\":3}' (repeatable)")
    agent = parser.add_argument_group("agent")
    agent.add_argument("--agent", choices=["small", "llm"], default="small",
                       help="policy kind: small (GRU on the structured view) or llm (causal LM on the text view; "
                       "needs --model) (default: small)")
    _POLICY_FIELDS[:] = add_dataclass_options(agent, SmallPolicyConfig, skip=("ppo",))
    llm = parser.add_argument_group("LLM agent (LLMPolicyConfig; with --agent llm)")
    llm.add_argument("--model", default=None, metavar="PATH",
                     help="model directory or hub id that transformers can load (required with --agent llm)")
    _LLM_FIELDS[:] = add_dataclass_options(llm, LLMPolicyConfig, prefix=_LLM_PREFIX, skip=("ppo", "model"))
    ppo = parser.add_argument_group("update (PPOConfig)")
    _PPO_FIELDS[:] = add_dataclass_options(ppo, PPOConfig)
    _add_refine_arguments(parser)


def _add_refine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--refine R`` and its knobs (critique-guided refinement, ``llm_bridge.refinement.RefineConfig``)."""

    def at_least_one(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be an int >= 1 (refined answers per group), got {text!r}")
        return value

    def positive(text: str) -> float:
        import math

        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
        return value

    group = parser.add_argument_group("critique-guided refinement (Critique-GRPO; docs/refinement.md)")
    group.add_argument("--refine", type=at_least_one, default=None, metavar="R",
                       help="R of each group's --group-size first answers (failed ones first, seeded) are answered "
                       "again after feedback on their failed objectives (a failed-objective code for the small "
                       "policy, the family's directive messages for an LLM); the R refinements join the group with "
                       "their own rewards, one aggregator over all G + R, and train off-policy as answers to the "
                       "original prompt (default: no refinement)")
    group.add_argument("--refine-gamma", type=positive, default=None, metavar="FLOAT",
                       help="gamma of the refinements' shaping weight f(p) = p / (p + gamma), which replaces the PPO "
                       "ratio on their tokens (needs --refine; default: 0.1, as in Critique-GRPO)")


def _refine_config(args: argparse.Namespace) -> object:
    """``RefineConfig`` from ``--refine`` / ``--refine-gamma``, or None."""
    from llm_bridge.refinement import RefineConfig

    r, gamma = getattr(args, "refine", None), getattr(args, "refine_gamma", None)
    if r is None:
        if gamma is not None:
            raise ValueError("--refine-gamma needs --refine R")
        return None
    return RefineConfig(answers=r, shaping_gamma=0.1 if gamma is None else gamma)


def _transforms(items: list[str] | None) -> list[dict]:
    import json

    steps = []
    for item in items or []:
        name, _, raw = item.partition(":")
        try:
            params = json.loads(raw) if raw else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"transform {item!r}: parameters must be JSON ({exc})") from exc
        steps.append({"name": name, "params": params})
    return steps


def run(args: argparse.Namespace) -> int:
    """Validate everything, then train and print the summary."""
    from rich.console import Console

    console = Console()
    try:
        wandb = _wandb_config(args.wandb)
        config, policy_config = _configs(args)
        if args.schedule is not None:
            if wandb is not None:
                raise ValueError("--wandb is not supported with --schedule yet (TensorBoard is)")
            from agents.commands import train_schedule

            return train_schedule.run(args, console, config, policy_config)
        import numba
        import torch

        from vecreward_envs.families import make_family

        family = make_family(config.task, **dict(config.task_params))
        from vecreward_envs.protocols import StructuredView, TextView, require

        require(family, TextView if args.agent == "llm" else StructuredView, f"--agent {args.agent}")
        config = _with_scheme_needs(config, family)
        run_dir = args.run_dir or Path("runs") / f"{config.task}-{config.pipeline.aggregator}-seed{config.seed}"
        if args.resume and not (run_dir / "config.json").is_file():
            raise ValueError(f"--resume: {run_dir} holds no run to continue (no config.json); drop --resume to start "
                             "one")
        from agents.commands._paths import writable_dir

        writable_dir(run_dir, "--run-dir")
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {flag_names(str(exc))}", soft_wrap=True)
        return 2
    # One thread each: numba's worker threads spin after a parallel kernel and would starve torch's (sweeps run
    # one process per core instead). An LLM's matrix products keep torch's threads.
    if args.agent == "small":
        torch.set_num_threads(1)
    numba.set_num_threads(1)
    if args.agent == "llm":
        from agents.llm.policy import HFPolicy

        try:
            policy = HFPolicy(policy_config, seed=config.seed)
        except ValueError as exc:
            console.print(f"[red]error:[/] {exc}")
            return 2
    else:
        from agents.small.policy import SmallPolicy

        policy = SmallPolicy(family, family.generate(config.train_first_seed), policy_config, seed=config.seed,
                             feedback=config.refine is not None)
    from llm_bridge.trainer import train

    try:
        result = train(config, policy, family, run_dir, resume=args.resume, progress=not args.no_progress,
                       tensorboard=not args.no_tensorboard, wandb=wandb)
    except (FileExistsError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    for note in result.notes:
        console.print(f"resume: {note}", soft_wrap=True)
    _summary(console, result, config)
    if result.wandb_dir is not None:
        console.print(f"W&B: run in {result.wandb_dir} (offline runs upload with: wandb sync {result.wandb_dir})",
                      soft_wrap=True)
    return 0


def _wandb_config(project: str | None) -> WandbConfig | None:
    """``--wandb [PROJECT]`` as a ``WandbConfig`` (None without the flag); fails early when wandb is missing."""
    if project is None:
        return None
    from llm_bridge.run_logging import WandbConfig, check_wandb

    check_wandb("--wandb")
    if not project.strip():
        raise ValueError("--wandb PROJECT must not be empty")
    return WandbConfig(project=project)


def _with_scheme_needs(config: TrainConfig, family: TaskFamily) -> TrainConfig:
    """The config with what its scheme declares it needs (success objectives, total steps) filled in.

    Filled from the family and the run, as ``vecreward compare`` fills them; a value given with --aggregator-param
    wins.
    """
    import dataclasses

    from agents.compare.grid import scheme_params

    pipeline = config.pipeline
    missing = {k: v for k, v in scheme_params(pipeline.aggregator, family, config.steps).items()
               if k not in pipeline.aggregator_params}
    if not missing:
        return config
    filled = dataclasses.replace(pipeline, aggregator_params={**missing, **dict(pipeline.aggregator_params)})
    return dataclasses.replace(config, pipeline=filled)


def flag_names(message: str) -> str:
    """A config error with its field written as the command-line flag (``TrainConfig.seed`` -> ``--seed``)."""
    import re

    message = re.sub(r"\bLLMPolicyConfig\.(\w+)", lambda m: "--llm-" + m.group(1).replace("_", "-"), message)
    return re.sub(r"\b(?:TrainConfig|PPOConfig|SmallPolicyConfig)\.(\w+)",
                  lambda m: "--" + m.group(1).replace("_", "-"), message)


def _configs(args: argparse.Namespace) -> tuple:
    from agents.small.config import SmallPolicyConfig
    from llm_bridge.pipeline import PipelineConfig
    from llm_bridge.ppo_config import PPOConfig
    from llm_bridge.trainer import TrainConfig

    pipeline = PipelineConfig(
        aggregator=args.aggregator,
        aggregator_params=parse_key_values(args.aggregator_param, "--aggregator-param"),
        weights=tuple(args.weights) if args.weights else None,
        reward_transforms=_transforms(args.reward_transform),
        advantage_transforms=_transforms(args.advantage_transform),
    )
    task_params = parse_key_values(args.task_param, "--task-param")
    warm = args.warm_start_steps
    if warm is None:
        from vecreward_envs.families import FAMILIES, make_family
        from vecreward_envs.protocols import Demonstrations, supports

        # the family as configured: a setting can add the ability (codetests' reference_demonstrations); a bad
        # setting is reported by the run's own checks, with its one-line error
        try:
            family = make_family(args.task, **task_params) if args.task in FAMILIES else None
        except (TypeError, ValueError):
            family = None
        warm = 100 if family is not None and supports(family, Demonstrations) else 0
    config = TrainConfig(task_params=task_params, pipeline=pipeline,
                         warm_start_steps=warm,
                         # a schedule applies --refine to its refine stages only (train_schedule)
                         refine=None if getattr(args, "schedule", None) else _refine_config(args),
                         **values(args, _TRAIN_FIELDS))
    ppo = PPOConfig(**values(args, _PPO_FIELDS))
    if getattr(args, "agent", "small") == "llm":
        from agents.llm.config import LLMPolicyConfig

        llm_config = LLMPolicyConfig(model=args.model or "", ppo=ppo, **values(args, _LLM_FIELDS, _LLM_PREFIX))
        llm_config.check_model()
        return config, llm_config
    if getattr(args, "model", None):
        raise ValueError("--model is for --agent llm")
    return config, SmallPolicyConfig(ppo=ppo, **values(args, _POLICY_FIELDS))


def _summary(console: object, result: object, config: object) -> None:
    from rich.table import Table

    table = Table(title=f"{config.task} / {config.pipeline.aggregator}: last evaluation "  # type: ignore[attr-defined]
                  f"({result.seconds:.0f} s, run dir {result.run_dir})")  # type: ignore[attr-defined]
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in sorted(result.last_eval.items()):  # type: ignore[attr-defined]
        table.add_row(key, f"{value:.4f}")
    console.print(table)  # type: ignore[attr-defined]
    console.print(f"TensorBoard: tensorboard --logdir {result.run_dir}")  # type: ignore[attr-defined]
