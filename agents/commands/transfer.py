"""``vecreward transfer``: does the small policy's verdict on the schemes carry over to a language model?

Trains the small policy and an LM (``--lm``: a small transformer trained from scratch on the text view, SmolLM2 with
LoRA, or a model directory) under each scheme, on the same task instances and seeds; reads each side's ranking at
two budgets; prints and writes side by side each scheme's metric under both, Kendall's tau between the rankings
with a bootstrap CI over seeds, the pairs whose order flips, and each scheme's per-objective profile. A killed study
continues with ``--resume`` (finished runs are kept, an interrupted one continues from its last checkpoint).
See docs/transfer.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only (the command's module stays light for --help)
    from vecreward_envs.protocols import TaskFamily

NAME = "transfer"
HELP = ("Train the small policy and an LM under each scheme on the same instances and seeds; compare the rankings "
        "(Kendall's tau with a CI, flipped pairs, per-objective profiles).")

TEXT_DEFAULTS: dict[str, dict[str, Any]] = {
    "maze": {"size": 7, "prompt_style": "compact"},
    "structure": {"prompt_style": "compact"},
    "toolcall": {"n_tools": 4, "max_constraints": 1, "prompt_style": "compact"},
    # Python answers to one-stage problems, warm-started from the generator's reference programs (docs/llm.md)
    "codetests": {"answer_format": "python", "max_stages": 1, "prompt_style": "compact",
                  "reference_demonstrations": True},
}
"""Family settings used unless --task-param says otherwise: a compact prompt an LM can learn (docs/llm.md)."""

LM_BUDGETS: dict[str, tuple[int, int, int, int]] = {
    # lm: (short steps, long steps, batch size, warm-start steps)
    "small-transformer": (20, 80, 16, 300),  # 3-5 minutes a run on one core (docs/transfer.md)
    "smollm2": (10, 30, 8, 30),
}
"""Per LM, when --lm-steps / --lm-batch-size / --lm-warm-start-steps are not given (a model directory: smollm2's)."""

META = "transfer_study.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the study."""
    parser.add_argument("--task", default="maze", help="the task family (default: maze)")
    parser.add_argument("--task-param", action="append", default=[], metavar="KEY=VALUE",
                        help="a family setting shared by both sides (repeatable; by default every text family uses "
                        "prompt_style=compact, the maze size=7, tool calls n_tools=4 max_constraints=1, and codetests "
                        "Python answers to one-stage problems (max_stages=1) with reference_demonstrations=true: "
                        "prompts an LM can learn, docs/llm.md)")
    parser.add_argument("--aggregators", default="grpo,gdpo,rvpo,dvao",
                        help="comma-separated schemes (default: grpo,gdpo,rvpo,dvao; set-level schemes such as vpo ask "
                        "an LM for several answers in tags, which its single-answer warm start never showed it)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scheme and side (default: 3)")
    parser.add_argument("--lm", default="small-transformer",
                        help="small-transformer (about 2M parameters, trained from scratch on the text view: minutes "
                        "per run), smollm2 (SmolLM2-135M-Instruct with LoRA: 20-24 minutes per run of 16 steps on one "
                        "core) or a model directory (LoRA) (default: small-transformer)")
    parser.add_argument("--small-steps", default="40,200", metavar="SHORT,LONG",
                        help="the small policy's two budgets: its ranking is read at both (default: 40,200)")
    parser.add_argument("--lm-steps", default=None, metavar="SHORT,LONG",
                        help="the LM's two budgets (default: 20,80 for the small transformer, 10,30 for SmolLM2)")
    parser.add_argument("--lm-batch-size", type=int, default=None,
                        help="prompts per LM step (default: 16 small transformer, 8 SmolLM2)")
    parser.add_argument("--lm-warm-start-steps", type=int, default=None,
                        help="imitation steps before the LM's RL (default: 300 small transformer, 30 SmolLM2)")
    parser.add_argument("--lm-lr", type=float, default=None,
                        help="the LM's RL learning rate (default: 1e-4 small transformer, whose shared warm start "
                        "uses 1e-3; 2e-4 LoRA, warm start included)")
    parser.add_argument("--lm-max-new-tokens", type=int, default=None,
                        help="longest LM answer in tokens (default: from the family's longest demonstration)")
    parser.add_argument("--lm-shape", default=None, metavar="LAYERSxWIDTH",
                        help="the small transformer's blocks and width, heads of 32 (default: 4x192, about 2M "
                        "parameters)")
    parser.add_argument("--lm-threads", type=int, default=None,
                        help="torch threads per LM run (default: 1 for the small transformer, which runs --jobs runs "
                        "side by side; every core for SmolLM2 and model directories, which run one at a time)")
    parser.add_argument("--eval-instances", type=int, default=16, help="held-out instances, both sides (default: 16)")
    parser.add_argument("--eval-samples", type=int, default=8,
                        help="samples per held-out instance (default: 8); with a set-level scheme in the study, "
                        "single-answer schemes draw m times as many, so every pool holds the same number of answers")
    parser.add_argument("--metric", default="eval/best@1",
                        help="the evaluation metric the rankings are read on, in its own direction (default: "
                        "eval/best@1)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory (default: runs/transfer-<task>-<lm>)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes for the small policy and the small transformer (default: the number of "
                        "cores; SmolLM2 and model directories run one at a time on every core)")
    parser.add_argument("--resume", action="store_true", help="continue a killed study in --out")
    parser.add_argument("--order", choices=["seed", "scheme"], default="seed",
                        help="run order within each side: seed (every scheme of seed 0, then seed 1, ...: a study "
                        "stopped early holds whole seeds) or scheme (every seed of the first scheme first: learning "
                        "evidence under one scheme before any comparison); not part of the study's settings, so a "
                        "resume may change it (default: seed)")


def _pair(text: str, flag: str) -> tuple[int, int]:
    try:
        short, long = (int(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"{flag} must be SHORT,LONG (two integers), got {text!r}") from None
    return short, long


def run(args: argparse.Namespace) -> int:
    """Validate everything, run both sides' grids, write and print the study."""
    from rich.console import Console

    console = Console() if Console().is_terminal else Console(width=170)
    try:
        study = _study(args)
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    return _run_study(console, args, study)


MAX_SEEDS = 1000
"""Most seeds per scheme and side (a typo such as --seeds 5000000000 fails at once instead of building specs)."""


def _study(args: argparse.Namespace) -> dict[str, Any]:
    """Every check before anything runs; the study's parts."""
    from agents.commands._paths import writable_dir
    from agents.compare.grid import resolve_aggregators
    from agents.compare.verdict import METRICS
    from agents.config_cli import parse_key_values
    from agents.transfer.lms import parse_shape, resolve_lm
    from agents.transfer.runs import SharedSettings, transfer_specs
    from llm_bridge.aggregators import get_spec
    from vecreward_envs.families import make_family
    from vecreward_envs.protocols import Demonstrations, StructuredView, TextChains, TextView, require, supports

    if not 1 <= args.seeds <= MAX_SEEDS:
        raise ValueError(f"--seeds must be in [1, {MAX_SEEDS}], got {args.seeds}")
    valid = [m for m in METRICS if m.startswith("eval/") and not m.endswith("@k")]  # runs log best@S, not @k
    if args.metric not in valid:
        raise ValueError(f"--metric {args.metric!r} is not an evaluation metric of a run; valid: {', '.join(valid)}")
    params = {**TEXT_DEFAULTS.get(args.task, {}), **parse_key_values(args.task_param, "--task-param")}
    family = make_family(args.task, **params)
    require(family, StructuredView, f"--task {args.task} (the small policy answers in the structured view)")
    require(family, TextView, f"--task {args.task} (the LM answers in the text view)")
    aggregators = resolve_aggregators(args.aggregators)
    if len(aggregators) < 2:
        raise ValueError("--aggregators: a ranking needs at least two schemes")
    for scheme in aggregators:  # set-level schemes ask the LM for chains of answers in one completion
        if get_spec(scheme).chain_length > 1:
            require(family, TextChains, f"--aggregators {scheme} (a set-level scheme) with an LM")
    defaults = LM_BUDGETS.get(args.lm, LM_BUDGETS["smollm2"])
    for flag, value, most in (("--lm-batch-size", args.lm_batch_size, 4096),
                              ("--lm-max-new-tokens", args.lm_max_new_tokens, 4096),
                              ("--lm-threads", args.lm_threads, 1024), ("--jobs", args.jobs, 1024),
                              ("--eval-instances", args.eval_instances, 100_000),
                              ("--eval-samples", args.eval_samples, 4096)):
        if value is not None and not 1 <= value <= most:
            raise ValueError(f"{flag} must be in [1, {most}], got {value}")
    if args.lm_warm_start_steps is not None and args.lm_warm_start_steps < 0:
        raise ValueError(f"--lm-warm-start-steps must be >= 0, got {args.lm_warm_start_steps}")
    warm = defaults[3] if args.lm_warm_start_steps is None else args.lm_warm_start_steps
    if args.lm == "small-transformer" and warm and not supports(family, Demonstrations):
        raise ValueError(f"--task {args.task} has no demonstrations, so a small transformer trained from scratch "
                         "would start RL from random weights; pass --lm-warm-start-steps 0 to do that anyway")
    if not supports(family, Demonstrations):
        warm = 0
    small = _budget("--small-steps", *_pair(args.small_steps, "--small-steps"), batch_size=16, warm_start_steps=100)
    lm_pair = _pair(args.lm_steps, "--lm-steps") if args.lm_steps else defaults[:2]
    lm_budget = _budget("--lm-steps", *lm_pair, batch_size=args.lm_batch_size or defaults[2], warm_start_steps=warm)
    if args.lm_lr is not None and not 0.0 < args.lm_lr < 1.0:
        raise ValueError(f"--lm-lr must be in (0, 1), got {args.lm_lr}")
    new_tokens = args.lm_max_new_tokens if args.lm_max_new_tokens is not None else _answer_budget(family)
    choice = resolve_lm(args.lm, max_new_tokens=new_tokens, lr=args.lm_lr,
                        shape=parse_shape(args.lm_shape) if args.lm_shape else None, threads=args.lm_threads)
    if choice.architecture is not None and new_tokens >= choice.architecture.n_positions // 2:
        raise ValueError(f"--lm-max-new-tokens {new_tokens} leaves too little of the small transformer's "
                         f"{choice.architecture.n_positions}-token context for the prompt")
    shared = SharedSettings(task=args.task, task_params=params, eval_instances=args.eval_instances,
                            eval_samples=args.eval_samples)
    out = args.out or Path("runs") / f"transfer-{args.task}-{Path(args.lm).name}"
    jobs = (os.cpu_count() or 1) if args.jobs is None else args.jobs
    identity = _identity(choice.to_dict())
    meta = {"task": args.task, "task_params": params, "aggregators": aggregators, "seeds": args.seeds,
            "lm": identity, "budgets": {"small": [small.short, small.long], "lm": list(lm_pair)},
            "batch": {"small": small.batch_size, "lm": lm_budget.batch_size},
            "warm_start": {"small": small.warm_start_steps, "lm": lm_budget.warm_start_steps},
            "eval": [args.eval_instances, args.eval_samples]}
    _check_resume(out, meta, args.resume)
    writable_dir(out, "--out")
    specs = transfer_specs(shared, family, aggregators, args.seeds, small, lm_budget, choice, out / "models",
                           order=args.order)
    return {"out": out, "meta": meta, "specs": specs, "choice": choice, "jobs": jobs,
            "budgets": {"small": (small.short, small.long), "lm": lm_pair}}


NOT_SETTINGS = ("jobs", "threads", "label")
"""Parts of an LM choice that are not what a study measures: how runs spread over cores, and a display name."""


def _identity(lm: dict[str, Any]) -> dict[str, Any]:
    """An LM choice's settings without ``NOT_SETTINGS`` (what ``--resume`` compares)."""
    return {k: v for k, v in lm.items() if k not in NOT_SETTINGS}


def _policy_defaults() -> dict[str, Any]:
    """Each ``LLMPolicyConfig`` field with a plain default: what ``--resume`` reads for a setting a study predates.

    Only a setting that leaves what a run measures unchanged may be added without breaking older studies:
    ``drop_finished_rows`` (their runs decoded every row; dropping changes which tokens are drawn, not their law).
    """
    from agents.llm.config import LLMPolicyConfig

    return {f.name: f.default for f in dataclasses.fields(LLMPolicyConfig) if f.default is not dataclasses.MISSING}


def _budget(flag: str, short: int, long: int, **rest: int) -> Any:
    """A ``PolicyBudget``, its errors naming the flag."""
    from agents.transfer.runs import PolicyBudget

    try:
        return PolicyBudget(short, long, **rest)
    except ValueError as exc:
        raise ValueError(f"{flag}: {exc}") from None


def _check_resume(out: Path, meta: dict[str, Any], resume: bool) -> None:
    """Refuse to overwrite a study, or to resume one run with other settings (naming what differs)."""
    meta_path = out / META
    if meta_path.exists() and not resume:
        raise ValueError(f"{out} already holds a transfer study: pass --resume to continue it, or another --out")
    if not resume:
        return
    if not meta_path.exists():
        raise ValueError(f"--resume: {out} holds no transfer study to continue (no {META})")
    try:
        before = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"--resume: {meta_path} cannot be read ({exc})") from None
    if not isinstance(before, dict):
        raise ValueError(f"--resume: {meta_path} is not a study's settings (a JSON object)")
    if isinstance(before.get("lm"), dict):  # files written before these keys left the identity
        before["lm"] = _identity(before["lm"])
        if isinstance(before["lm"].get("policy"), dict):  # files written before a policy setting existed
            before["lm"]["policy"] = {**_policy_defaults(), **before["lm"]["policy"]}
    now = json.loads(json.dumps(meta))
    changed = [k for k in now if before.get(k) != now[k]]
    if changed:
        detail = []
        for key in changed:
            old, new = before.get(key), now[key]
            if isinstance(old, dict) and isinstance(new, dict):
                key += "." + ",".join(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))
            detail.append(key)
        raise ValueError(f"--resume: the study in {out} was run with other settings ({'; '.join(detail)}); resume "
                         "with the same options, or use another --out")


def _answer_budget(family: TaskFamily) -> int:
    """Tokens for the family's longest demonstration among 64 training instances, with a margin.

    Half its bytes plus 16: every tokenizer here (SmolLM2's, the small transformer's) holds two bytes or more per
    token of these answers.
    """
    from vecreward_envs.protocols import Demonstrations, require, supports

    if not supports(family, Demonstrations):
        return 128
    texts = require(family, Demonstrations, "an answer budget").demonstration_texts(family.instances(0, 64))
    return max(len(t.encode()) for t in texts) // 2 + 16


def _run_study(console: Any, args: argparse.Namespace, study: dict[str, Any]) -> int:
    from agents.compare.backends import Interrupted, run_grid
    from agents.transfer import report

    out: Path = study["out"]
    (out / "runs").mkdir(parents=True, exist_ok=True)
    tmp = out / (META + ".tmp")
    tmp.write_text(json.dumps(study["meta"], indent=1))
    os.replace(tmp, out / META)
    choice = study["choice"]
    started = time.perf_counter()
    failures: list[tuple[str, str]] = []
    interrupted = False
    try:
        console.print(f"small policy: {len(study['specs']['small'])} runs", soft_wrap=True)
        failures += run_grid(console, study["specs"]["small"], out, study["jobs"])
        console.print(f"LM ({choice.label}): {len(study['specs']['lm'])} runs", soft_wrap=True)
        failures += run_grid(console, study["specs"]["lm"], out, min(study["jobs"], choice.jobs))
    except (Interrupted, KeyboardInterrupt):
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the partial report
        interrupted = True
    layout = report.StudyLayout(out, args.task, study["budgets"])
    data = report.summary(layout, args.metric, choice.label)
    written = report.write(out, data)
    from agents.transfer.plots import plot_curves

    figure = plot_curves(layout, args.metric, {"small": "small policy", "lm": choice.label})
    if figure is not None:
        written.append(figure)
    console.print(report.markdown(data), soft_wrap=True)
    for run_id, error in failures:
        console.print(f"[red]run {run_id} failed:[/] {error}", soft_wrap=True)
    wall = time.perf_counter() - started
    if interrupted:
        console.print(f"interrupted after {wall:.0f} s: a partial report; continue with --resume --out {out}",
                      soft_wrap=True)
        return 130
    console.print(f"{wall:.0f} s. Written: {', '.join(str(p) for p in written)}", soft_wrap=True)
    return 1 if failures else 0
