"""Claim 12 (issue 15): critique-guided refinement (Critique-GRPO) raises the plateau of plain RL.

Critique-GRPO (arXiv 2506.03106) reports that RL with numerical feedback alone plateaus, and that letting the policy
refine its failed answers after a critique, and learn from the refinements, raises the plateau. Here: the small
policy on code-test problems (``codetests``: K = 8, format, compiles and six test cases; no demonstrations, so no
warm start), where plain GRPO plateaus within 100 steps, under GRPO at an equal number of *sampled* answers per
group (first answers and refinements both counted): plain RL with G = 8 first answers, against G = 6 first answers
+ R = 2 refinements of failed ones (``--refine 2``: the failed-objective code as feedback after the first answer,
the refinements in the group, off-policy shaping f(p) = p / (p + 0.1); ``docs/refinement.md``). The plateau is the
mean of the held-out evaluations over the last third of training.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from agents.compare.grid import Budget, RunSpec
from agents.reproduce.common import (
    ClaimContext,
    ClaimOutput,
    by_method,
    compare_means,
    eval_curve,
    make_spec,
    row,
    save_plot,
    train_all,
)
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.refinement import RefineConfig

TASK = "codetests"
BUDGETS = {
    "tiny": Budget(steps=3, batch_size=4, group_size=8, eval_instances=2, eval_samples=4, eval_every=1,
                   train_instances=16),
    "default": Budget(steps=240, batch_size=16, group_size=8, eval_instances=32, eval_samples=8, eval_every=20,
                      train_instances=512),
}
METHODS = ("plain", "refine")
REFINED = 2
"""R refinements per group in the refine arm; its first answers are G - R (equal sampled answers)."""
PAPER = "Critique-GRPO (Qwen2.5-7B / Qwen3-8B): +4.4 / +3.8 avg pass@1 over GRPO; plateau raised"


def _specs(ctx: ClaimContext, budget: Budget) -> list[RunSpec]:
    specs = []
    for seed in ctx.seeds:
        plain = make_spec(TASK, "plain", seed, PipelineConfig(aggregator="grpo"), budget)
        specs.append(plain)
        refine = dataclasses.replace(plain.config, group_size=budget.group_size - REFINED,
                                     refine=RefineConfig(answers=REFINED))
        specs.append(RunSpec(TASK, "refine", seed, refine))
    return specs


def _late(curve: tuple[list[int], list[float]]) -> float:
    """Mean of the evaluations in the last third of training (the plateau)."""
    steps, values = curve
    last = steps[-1]
    late = [v for s, v in zip(steps, values, strict=True) if s > last * 2 / 3] or values[-1:]
    return float(np.mean(late))


def _middle(curve: tuple[list[int], list[float]]) -> float:
    """Mean of the evaluations in the middle third of training."""
    steps, values = curve
    last = steps[-1]
    mid = [v for s, v in zip(steps, values, strict=True) if last / 3 < s <= last * 2 / 3] or values[:1]
    return float(np.mean(mid))


def _run_mean(record: dict, key: str) -> float:
    values = [h[key] for h in record["history"] if key in h]
    return float(np.mean(values)) if values else float("nan")


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train plain and refine on each seed; held-out reward and pass@1 at the plateau."""
    budget = BUDGETS[ctx.config.budget]
    records = train_all(ctx, _specs(ctx, budget))
    groups = by_method(records, TASK, METHODS, ctx.seeds)
    reward = {m: [eval_curve(r, "eval/best@1") for r in recs] for m, recs in groups.items()}
    passed = {m: [eval_curve(r, "eval/pass@1") for r in recs] for m, recs in groups.items()}
    rows = []
    for m in METHODS:
        rows.append(row("held-out mean reward (best@1), plateau (last third)", m, [_late(c) for c in reward[m]],
                        PAPER if m == "refine" else ""))
        rows.append(row("held-out pass@1, plateau (last third)", m, [_late(c) for c in passed[m]]))
        rows.append(row("held-out mean reward, last third - middle third", m,
                        [_late(c) - _middle(c) for c in reward[m]]))
        rows.append(row("held-out mean reward, final", m, [c[1][-1] for c in reward[m]]))
        rows.append(row("policy entropy on held-out instances (nats/token), last third", m,
                        [_late(eval_curve(r, "eval/entropy")) if eval_curve(r, "eval/entropy")[0] else float("nan")
                         for r in groups[m]]))
    for key, measure in (("refine/fixed_rate", "refinements that fix a failed answer (train, run mean)"),
                         ("refine/reward_gain", "refinement - first answer, scalar reward (train, run mean)"),
                         ("refine/first_failed_rate", "first answers that fail an objective (train, run mean)")):
        rows.append(row(measure, "refine", [_run_mean(r, key) for r in groups["refine"]]))
    steps = reward[METHODS[0]][0][0]
    mean_curves = {m: np.mean([c[1] for c in cs], axis=0).tolist() for m, cs in reward.items()}
    labels = {"plain": f"plain G={budget.group_size}",
              "refine": f"refine G={budget.group_size - REFINED} + R={REFINED}"}

    def draw(ax: object) -> None:
        for m, values in mean_curves.items():
            ax.plot(steps, values, marker="o", label=labels[m])  # type: ignore[attr-defined]
        ax.set(xlabel="step", ylabel="held-out mean reward (best@1)",  # type: ignore[attr-defined]
               title=f"{TASK}: plain RL vs critique-guided refinement, mean of {len(ctx.seeds)} seeds")
        ax.legend()  # type: ignore[attr-defined]

    plot = save_plot(ctx, f"critique_{TASK}.png", draw)
    measure = "held-out mean reward (best@1), plateau (last third)"
    reading = ("plateau reward: " + compare_means(rows, measure, "refine", "plain") + "; pass@1: "
               + compare_means(rows, "held-out pass@1, plateau (last third)", "refine", "plain")
               + "; plain's late gain (last - middle third): "
               + f"{next(r['mean'] for r in rows if r['method'] == 'plain' and 'middle' in r['measure']):+.3f}")
    return ClaimOutput(rows=rows, reading=reading, plots=[plot], extra={"steps": steps, "reward": mean_curves})
