"""Claim 5: RLCR vs a plain correctness reward, calibration error and accuracy with a stated confidence.

Task: the ``confidence`` probe family (``vecreward_envs.probes.confidence``): the answer is an option plus a
stated confidence q in {0, 0.1, ..., 1}; the best option is right with a probability p_t that depends on the shown
difficulty type, so accuracy is capped but perfect calibration is reachable. Both arms use Dr. GRPO advantages
(the RLCR reference's choice): ``correctness`` weights the confidence column 0 (plain RLVR: the stated confidence
gets no signal of its own), ``rlcr`` replaces it by the calibration objective ``1 - (q - c)^2`` through the
``rlcr`` reward transform. Measured on a fresh sample of the trained policy on held-out questions: accuracy,
expected calibration error (10 equal-width bins) and Brier score.
"""

from __future__ import annotations

import numpy as np

from agents.compare.grid import Budget
from agents.reproduce.common import (
    ClaimContext,
    ClaimOutput,
    by_method,
    eval_rewards,
    find,
    make_spec,
    row,
    save_plot,
    train_all,
)
from llm_bridge import metrics as M
from llm_bridge.pipeline import PipelineConfig
from vecreward_envs.families import make_family

BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=2,
                        train_instances=16),
    "default": Budget(steps=600, batch_size=32, group_size=8, eval_instances=200, eval_samples=16,
                           eval_every=100, train_instances=2048),
}
PIPELINES = {
    "correctness": PipelineConfig(aggregator="dr_grpo", weights=(1.0, 0.0)),
    "rlcr": PipelineConfig(aggregator="dr_grpo", reward_transforms=(
        {"name": "rlcr", "params": {"correctness_index": 0, "confidence_index": 1}},)),
}
PAPER = {"ECE": {"correctness": "0.37", "rlcr": "0.03"}, "accuracy": {"correctness": "about equal", "rlcr":
                                                                     "about equal"}}


def _measures(rewards: np.ndarray) -> dict[str, float]:
    c = rewards[..., 0].reshape(-1)
    q = rewards[..., 1].reshape(-1)
    ok = ~np.isnan(q)
    return {"accuracy": float(c.mean()), "ECE": M.expected_calibration_error(q[ok], c[ok]),
            "Brier": M.brier(q[ok], c[ok]), "mean confidence": float(q[ok].mean())}


def _oracle(budget: Budget) -> dict[str, float]:
    """The best policy: answer the clue, state p_t (on the same held-out questions)."""
    family = make_family("confidence")
    questions = family.instances(1_000_000, budget.eval_instances)
    c = np.array([float(x.correct == x.clue) for x in questions])
    q = np.array([family.calibrated_confidence(x) for x in questions])
    return {"accuracy": float(c.mean()), "ECE": M.expected_calibration_error(q, c), "Brier": M.brier(q, c),
            "mean confidence": float(q.mean())}


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train both arms on each seed; accuracy and calibration of the trained policies."""
    budget = BUDGETS[ctx.config.budget]
    specs = [make_spec("confidence", name, seed, pipeline, budget) for name, pipeline in PIPELINES.items()
             for seed in ctx.seeds]
    records = train_all(ctx, specs)
    measured = {name: [_measures(eval_rewards(r)) for r in recs]
                for name, recs in by_method(records, "confidence", list(PIPELINES), ctx.seeds).items()}
    oracle = _oracle(budget)
    rows = []
    for measure in ("ECE", "accuracy", "Brier", "mean confidence"):
        for name in PIPELINES:
            rows.append(row(measure, name, [m[measure] for m in measured[name]], PAPER.get(measure, {}).get(name, "")))
        rows.append(row(measure, "oracle (clue, q = p_t)", [oracle[measure]]))

    def draw(ax: object) -> None:
        edges = np.linspace(0, 1, 11)
        for name, recs in by_method(records, "confidence", list(PIPELINES), ctx.seeds).items():
            r = np.concatenate([eval_rewards(x).reshape(-1, 2) for x in recs])
            r = r[~np.isnan(r[:, 1])]
            which = np.minimum((r[:, 1] * 10).astype(int), 9)
            acc = [r[which == b, 0].mean() if (which == b).any() else np.nan for b in range(10)]
            ax.plot((edges[:-1] + edges[1:]) / 2, acc, marker="o", label=name)  # type: ignore[attr-defined]
        ax.plot([0, 1], [0, 1], "k--", label="calibrated")  # type: ignore[attr-defined]
        ax.set(xlabel="stated confidence (bin centre)", ylabel="accuracy in the bin",  # type: ignore[attr-defined]
               title=f"confidence probe: reliability after {budget.steps} steps ({len(ctx.seeds)} seeds pooled)")
        ax.legend()  # type: ignore[attr-defined]

    plot = save_plot(ctx, "reliability_confidence.png", draw)
    e_c, e_r = find(rows, "ECE", "correctness"), find(rows, "ECE", "rlcr")
    a_c, a_r = find(rows, "accuracy", "correctness"), find(rows, "accuracy", "rlcr")
    reading = (f"ECE {e_c['mean']:.3f} -> {e_r['mean']:.3f} under RLCR (paper 0.37 -> 0.03); accuracy "
               f"{a_c['mean']:.3f} vs {a_r['mean']:.3f} (oracle {oracle['accuracy']:.3f})")
    return ClaimOutput(rows=rows, reading=reading, plots=[plot], extra={"oracle": oracle})
