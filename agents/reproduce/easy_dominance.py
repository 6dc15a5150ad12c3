"""Claim 6: GDPO vs GRPO on easy-reward dominance (a trivially satisfiable format objective beside a hard one).

Task: the ``easyhard`` probe family (``vecreward_envs.probes.easyhard``): reward ``[format, correct]``; a random
answer is well formatted half the time and correct 1 time in 16, and each of 16 targets needs its own answer.
Arms: ``grpo`` (sum, then group z-score), ``gdpo`` (per-objective z-scores, sum, batch norm) and
``grpo+condition`` (GRPO after the ``gate`` transform in ``condition`` mode: the format reward counts only when
the answer is correct, the GDPO paper's recommendation). Measured: the hard objective's held-out pass rate during
training (learning curve; the early point is where dominance would show) and at the end, and the easy one's.
"""

from __future__ import annotations

import numpy as np

from agents.compare.grid import Budget
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

BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=1,
                        train_instances=16),
    "default": Budget(steps=200, batch_size=16, group_size=8, eval_instances=64, eval_samples=8,
                           eval_every=10, train_instances=1024),
}
PIPELINES = {
    "grpo": PipelineConfig(aggregator="grpo"),
    "gdpo": PipelineConfig(aggregator="gdpo"),
    "grpo+condition": PipelineConfig(aggregator="grpo", reward_transforms=(
        {"name": "gate", "params": {"objectives": [1], "mode": "condition"}},)),
}
PAPER = {"grpo": "lower (qualitative)", "gdpo": "higher than GRPO", "grpo+condition": "higher than GRPO"}
"""The paper's direction for the hard objective (no number in our anchors)."""


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train each arm on each seed; the hard and the easy objective over training."""
    budget = BUDGETS[ctx.config.budget]
    specs = [make_spec("easyhard", name, seed, pipeline, budget) for name, pipeline in PIPELINES.items()
             for seed in ctx.seeds]
    records = train_all(ctx, specs)
    groups = by_method(records, "easyhard", list(PIPELINES), ctx.seeds)
    curves = {name: [eval_curve(r, "eval/correct/mean") for r in recs] for name, recs in groups.items()}
    steps = curves["grpo"][0][0]
    early = steps[min(len(steps) - 1, max(0, len(steps) // 4))]  # a quarter of the way in
    rows = []
    for name, recs in groups.items():
        hard = [dict(zip(*c, strict=True)) for c in curves[name]]
        rows.append(row(f"hard (correct) at step {early}", name, [h[early] for h in hard], PAPER[name]))
        rows.append(row(f"hard (correct) at step {steps[-1]}", name, [h[steps[-1]] for h in hard], PAPER[name]))
        rows.append(row(f"easy (format) at step {steps[-1]}", name,
                        [r["final"]["eval/format/mean"] for r in recs]))
        auc = [float(np.mean(c[1])) for c in curves[name]]
        rows.append(row("hard, mean over the learning curve", name, auc, PAPER[name]))
    mean_curves = {name: np.mean([c[1] for c in cs], axis=0).tolist() for name, cs in curves.items()}

    def draw(ax: object) -> None:
        for name, values in mean_curves.items():
            ax.plot(steps, values, marker="o", label=name)  # type: ignore[attr-defined]
        ax.set(xlabel="step", ylabel="held-out pass rate of the hard objective",  # type: ignore[attr-defined]
               title=f"easyhard: hard objective over training, mean of {len(ctx.seeds)} seeds")
        ax.legend()  # type: ignore[attr-defined]

    plot = save_plot(ctx, "hard_curve_easyhard.png", draw)
    m = "hard, mean over the learning curve"
    reading = (f"{m}: " + compare_means(rows, m, "gdpo", "grpo") + "; "
               + compare_means(rows, m, "grpo+condition", "grpo"))
    return ClaimOutput(rows=rows, reading=reading, plots=[plot], extra={"steps": steps, "hard": mean_curves})
