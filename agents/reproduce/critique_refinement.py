"""Claim 12 (issue 15): critique-guided refinement (Critique-GRPO) raises the plateau of plain RL.

Critique-GRPO (arXiv 2506.03106) reports that RL with numerical feedback alone plateaus, and that letting the policy
refine its failed answers after a critique, and learn from the refinements, raises the plateau. Here: the small
policy under GRPO at an equal number of *sampled* answers per group (first answers and refinements both counted):
plain RL with G = 8 first answers (``plain``), against G = 6 first answers + R = 2 refinements of failed ones
(``refine``: ``--refine 2``, the failed-objective code as feedback after the first answer, the refinements in the
group, off-policy shaping f(p) = p / (p + 0.1); ``docs/refinement.md``). A control, ``plain-g6`` (G = 6, no
refinement), separates what the two refinements add from what dropping two first answers costs.

Two plateaus, each measured as the mean of the held-out evaluations over the last third of training:
- ``codetests`` (K = 8: format, compiles, six test cases; no demonstrations, no warm start): plain GRPO's mean
  reward stops moving within 100 steps;
- ``toolcall`` (K = 11, a 50-step imitation warm start): plain GRPO's pass@1 (every objective met) stops moving
  after about 180 steps while its mean reward still climbs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from agents.compare.grid import Budget, RunSpec
from agents.reproduce.common import (
    ClaimContext,
    ClaimOutput,
    compare_means,
    eval_curve,
    make_spec,
    row,
    save_plot,
    train_all,
)
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.refinement import RefineConfig

TASKS = ("codetests", "toolcall")
BUDGETS = {
    "tiny": {task: Budget(steps=3, batch_size=4, group_size=8, eval_instances=2, eval_samples=4, eval_every=1,
                          train_instances=16) for task in TASKS},
    "default": {
        "codetests": Budget(steps=240, batch_size=16, group_size=8, eval_instances=32, eval_samples=8,
                            eval_every=20, train_instances=512),
        "toolcall": Budget(steps=300, batch_size=16, group_size=8, eval_instances=32, eval_samples=8,
                           eval_every=25, train_instances=512, warm_start_steps=50),
    },
}
METHODS = ("plain", "plain-g6", "refine")
REFINED = 2
"""R refinements per group in the refine arm; its first answers are G - R (equal sampled answers)."""
PAPER = "Critique-GRPO (Qwen2.5-7B / Qwen3-8B): +4.4 / +3.8 avg pass@1 over GRPO; plateau raised"
LABELS = {"plain": "plain G=8", "plain-g6": "plain G=6", "refine": f"refine G={8 - REFINED} + R={REFINED}"}


def _specs(ctx: ClaimContext, budgets: dict[str, Budget]) -> list[RunSpec]:
    """Every run: per task and seed, plain (G), plain with G - R, and refine (G - R first answers + R)."""
    specs = []
    for task in TASKS:
        budget = budgets[task]
        for seed in ctx.seeds:
            plain = make_spec(task, "plain", seed, PipelineConfig(aggregator="grpo"), budget)
            fewer = dataclasses.replace(plain.config, group_size=budget.group_size - REFINED)
            refine = dataclasses.replace(fewer, refine=RefineConfig(answers=REFINED))
            specs += [plain, RunSpec(task, "plain-g6", seed, fewer), RunSpec(task, "refine", seed, refine)]
    return specs


def _late(curve: tuple[list[int], list[float]]) -> float:
    """Mean of the evaluations in the last third of training (the plateau)."""
    steps, values = curve
    if not steps:
        return float("nan")
    late = [v for s, v in zip(steps, values, strict=True) if s > steps[-1] * 2 / 3] or values[-1:]
    return float(np.mean(late))


def _middle(curve: tuple[list[int], list[float]]) -> float:
    """Mean of the evaluations in the middle third of training."""
    steps, values = curve
    if not steps:
        return float("nan")
    mid = [v for s, v in zip(steps, values, strict=True) if steps[-1] / 3 < s <= steps[-1] * 2 / 3] or values[:1]
    return float(np.mean(mid))


def _run_mean(record: dict, key: str) -> float:
    values = [h[key] for h in record["history"] if key in h]
    return float(np.mean(values)) if values else float("nan")


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train the three arms on each task and seed; held-out reward, pass@1 and entropy at the plateau."""
    budgets = BUDGETS[ctx.config.budget]
    records = train_all(ctx, _specs(ctx, budgets))
    rows: list[dict] = []
    plots, readings, extra = [], [], {}
    for task in TASKS:
        groups = {m: [records[f"{task}/{m}/seed{s}"] for s in ctx.seeds] for m in METHODS}
        reward = {m: [eval_curve(r, "eval/best@1") for r in recs] for m, recs in groups.items()}
        passed = {m: [eval_curve(r, "eval/pass@1") for r in recs] for m, recs in groups.items()}
        entropy = {m: [eval_curve(r, "eval/entropy") for r in recs] for m, recs in groups.items()}
        for m in METHODS:
            method = f"{task} {m}"
            rows.append(row("held-out mean reward (best@1), plateau (last third)", method,
                            [_late(c) for c in reward[m]], PAPER if m == "refine" else ""))
            rows.append(row("held-out pass@1, plateau (last third)", method, [_late(c) for c in passed[m]]))
            rows.append(row("held-out mean reward, last third - middle third", method,
                            [_late(c) - _middle(c) for c in reward[m]]))
            rows.append(row("held-out pass@1, last third - middle third", method,
                            [_late(c) - _middle(c) for c in passed[m]]))
            rows.append(row("policy entropy on held-out instances (nats/token), last third", method,
                            [_late(c) for c in entropy[m]]))
        for key, measure in (("refine/fixed_rate", "refinements that fix a failed answer (train, run mean)"),
                             ("refine/reward_gain", "refinement - first answer, scalar reward (train, run mean)"),
                             ("refine/first_failed_rate", "first answers that fail an objective (train, run mean)")):
            rows.append(row(measure, f"{task} refine", [_run_mean(r, key) for r in groups["refine"]]))
        steps = reward["plain"][0][0]
        curves = {m: np.mean([c[1] for c in cs], axis=0).tolist() for m, cs in reward.items()}
        pass_curves = {m: np.mean([c[1] for c in cs], axis=0).tolist() for m, cs in passed.items()}
        extra[task] = {"steps": steps, "reward": curves, "pass@1": pass_curves}
        key = "pass@1" if task == "toolcall" else "reward"

        def draw(ax: object, task: str = task, key: str = key) -> None:
            for m, values in extra[task][key].items():
                ax.plot(extra[task]["steps"], values, marker="o", label=LABELS[m])  # type: ignore[attr-defined]
            ylabel = "held-out pass@1" if key == "pass@1" else "held-out mean reward (best@1)"
            ax.set(xlabel="step", ylabel=ylabel,  # type: ignore[attr-defined]
                   title=f"{task}: plain RL vs critique-guided refinement, mean of {len(ctx.seeds)} seeds")
            ax.legend()  # type: ignore[attr-defined]

        plots.append(save_plot(ctx, f"critique_{task}.png", draw))
        measure = ("held-out pass@1, plateau (last third)" if task == "toolcall"
                   else "held-out mean reward (best@1), plateau (last third)")
        readings.append(f"{task} {measure.split(',')[0].removeprefix('held-out ')}: "
                        + compare_means(rows, measure, f"{task} refine", f"{task} plain") + ", vs G=6: "
                        + compare_means(rows, measure, f"{task} refine", f"{task} plain-g6"))
    return ClaimOutput(rows=rows, reading="; ".join(readings), plots=plots, extra=extra)
