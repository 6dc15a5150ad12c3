"""Claim 3: RVPO vs GDPO on tool-call tasks, the bottleneck constraint's pass rate over training.

Needs the ``toolcall`` family (registered in ``vecreward_envs.families.FAMILIES``); the command refuses the claim
with a clear message when it is not. Tasks carry 5-17 explicit constraints, as in the paper (8 shown tools; above
7 the kinds repeat: several forbidden tools, unit/format constraints on several values, several ordering pairs;
the family clamps a drawn count to what a task holds, so the largest counts are rarer). The objectives stay the
K = 11 stable names, each constraint objective the fraction of its kind's constraints met. Every task
includes the ``forbidden_tool`` constraint in its hardest form (its first forbidden tool contradicts the request;
further forbidden tools are distractors): the designated bottleneck, whose objective is the fraction of the
task's forbidden tools left uncalled. The small policy starts from a short imitation warm start on the family's
solutions, then trains under GDPO and RVPO (its tau curriculum 0.5 -> 2.0 spanning the run). Measured at every
evaluation on held-out tasks: the bottleneck constraint's pass rate, and the minimum over objectives of the
per-objective mean. Late-training degradation = best value over the curve minus the final one.
"""

from __future__ import annotations

import numpy as np

from agents.compare.grid import Budget, scheme_params
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
from vecreward_envs.families import make_family

BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=2, eval_samples=4, eval_every=1,
                        train_instances=16),
    "default": Budget(steps=120, batch_size=16, group_size=8, eval_instances=32, eval_samples=8,
                           eval_every=10, train_instances=1024, warm_start_steps=20),
}
METHODS = ("gdpo", "rvpo")
BOTTLENECK = "forbidden_tool"
TASK_PARAMS = {"min_constraints": 5, "max_constraints": 17, "n_tools": 8, "bottleneck": BOTTLENECK}
PAPER = {"gdpo": "0.215 (HealthBench), degrades late", "rvpo": "0.261, no late degradation"}


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train GDPO and RVPO on each seed; the bottleneck objective over training."""
    budget = BUDGETS[ctx.config.budget]
    family = make_family("toolcall", **TASK_PARAMS)
    specs = [make_spec("toolcall", name, seed,
                       PipelineConfig(aggregator=name, aggregator_params=scheme_params(name, family, budget.steps)),
                       budget, task_params=TASK_PARAMS) for name in METHODS for seed in ctx.seeds]
    records = train_all(ctx, specs)
    groups = by_method(records, "toolcall", METHODS, ctx.seeds)
    key = f"eval/constraint/{BOTTLENECK}/mean"
    curves = {name: [eval_curve(r, key) for r in recs] for name, recs in groups.items()}
    minimum = {name: [eval_curve(r, "eval/bottleneck") for r in recs] for name, recs in groups.items()}
    rows = []
    for name in METHODS:
        finals = [c[1][-1] for c in curves[name]]
        peaks = [max(c[1]) for c in curves[name]]
        rows.append(row(f"{BOTTLENECK} pass rate, final", name, finals, PAPER[name]))
        rows.append(row(f"{BOTTLENECK} pass rate, best during training", name, peaks))
        rows.append(row(f"{BOTTLENECK} late degradation (best - final)", name,
                        [p - f for p, f in zip(peaks, finals, strict=True)], "GDPO > 0, RVPO ~ 0"))
        rows.append(row("min over objectives of the mean, final", name, [c[1][-1] for c in minimum[name]]))
        rows.append(row("pass@1 (every applicable objective at 1), final", name,
                        [r["final"].get("eval/pass@1", float("nan")) for r in groups[name]]))
    steps = curves[METHODS[0]][0][0]
    mean_curves = {name: np.mean([c[1] for c in cs], axis=0).tolist() for name, cs in curves.items()}

    def draw(ax: object) -> None:
        for name, values in mean_curves.items():
            ax.plot(steps, values, marker="o", label=name)  # type: ignore[attr-defined]
        ax.set(xlabel="step", ylabel=f"{BOTTLENECK} constraint pass rate (held-out)",  # type: ignore[attr-defined]
               title=f"toolcall: bottleneck over training, mean of {len(ctx.seeds)} seeds")
        ax.legend()  # type: ignore[attr-defined]

    plot = save_plot(ctx, "bottleneck_toolcall.png", draw)
    reading = (f"final {BOTTLENECK}: " + compare_means(rows, f"{BOTTLENECK} pass rate, final", "rvpo", "gdpo")
               + "; late degradation: "
               + compare_means(rows, f"{BOTTLENECK} late degradation (best - final)", "gdpo", "rvpo"))
    return ClaimOutput(rows=rows, reading=reading, plots=[plot], extra={"steps": steps, "bottleneck": mean_curves})
