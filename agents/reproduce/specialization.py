"""Claim 9: on a trade-off front, do vector and set-level schemes keep the pool spread where scalar ones collapse it?

Seed note 000: "the moment you scalarize, you average, and averaging is where specialization dies"; scalar and
variance-weighted schemes pull every answer to one point of the front.

Task: the ``structure`` family with ``relation=tradeoff``: three objectives share the same answer positions with
different targets, so each position can serve one objective; the exact Pareto front is every allocation of
positions (docs/envs/structure.md). Arms: scalar and variance-weighted ``grpo``, ``gdpo``, ``dvao``; vector
``pareto_rank``, ``hv_contribution``; set-level ``vpo``, ``multi_rlvr`` (chains of m answers). Measured on the final
held-out pool of each run: the number of distinct non-dominated reward vectors per instance (``pareto_count``), the
mean pairwise distance between reward vectors (``diversity``), the hypervolume, and best@1.
"""

from __future__ import annotations

from agents.compare.grid import Budget
from agents.reproduce.common import ClaimContext, ClaimOutput, by_method, find, row, save_plot, train_all
from agents.reproduce.structure_common import TASK, specs

PARAMS = {"K": 3, "relation": "tradeoff", "m": 3}
SCALAR = ("grpo", "gdpo", "dvao")
VECTOR = ("pareto_rank", "hv_contribution", "vpo", "multi_rlvr")
BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=1,
                   train_instances=16),
    "default": Budget(steps=150, batch_size=16, group_size=8, eval_instances=64, eval_samples=8, eval_every=10,
                      train_instances=1024),
}
MEASURES = {"eval/pareto_count": "distinct non-dominated vectors per instance (pareto_count)",
            "eval/diversity": "mean pairwise L1 distance of reward vectors (diversity)",
            "eval/hypervolume": "hypervolume", "eval/best@1": "best@1"}


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train every arm on every seed; the spread of the final pools."""
    budget = BUDGETS[ctx.config.budget]
    schemes = (*SCALAR, *VECTOR)
    records = train_all(ctx, specs(ctx, schemes, budget, PARAMS))
    groups = by_method(records, TASK, list(schemes), ctx.seeds)
    rows = []
    for scheme, recs in groups.items():
        paper = "keeps the pool spread" if scheme in VECTOR else "collapses to one point"
        for key, name in MEASURES.items():
            rows.append(row(name, scheme, [r["final"][key] for r in recs], paper if key != "eval/best@1" else ""))
    count = MEASURES["eval/pareto_count"]

    def draw(ax: object) -> None:
        means = [find(rows, count, s)["mean"] for s in schemes]
        errs = [find(rows, count, s)["std"] for s in schemes]
        colours = ["tab:grey" if s in SCALAR else "tab:blue" for s in schemes]
        ax.bar(range(len(schemes)), means, yerr=errs, color=colours)  # type: ignore[attr-defined]
        ax.set_xticks(range(len(schemes)), schemes, rotation=30, ha="right")  # type: ignore[attr-defined]
        ax.set(ylabel="non-dominated vectors per instance",  # type: ignore[attr-defined]
               title=f"structure, tradeoff: pool spread (grey scalar, blue vector/set), {len(ctx.seeds)} seeds")

    plot = save_plot(ctx, "pareto_count_tradeoff.png", draw)
    scalar_best = max(SCALAR, key=lambda s: find(rows, count, s)["mean"])
    vector_worst = min(VECTOR, key=lambda s: find(rows, count, s)["mean"])
    a, b = find(rows, count, vector_worst), find(rows, count, scalar_best)
    holds = a["mean"] - a["std"] > b["mean"] + b["std"]
    reading = (f"{count}: the lowest vector/set scheme ({vector_worst} {a['mean']:.2f} +- {a['std']:.2f}) is "
               f"{'above' if holds else 'not clearly above'} the highest scalar one ({scalar_best} {b['mean']:.2f} "
               f"+- {b['std']:.2f}); per scheme: "
               + ", ".join(f"{s} {find(rows, count, s)['mean']:.2f}" for s in schemes))
    return ClaimOutput(rows=rows, reading=reading, plots=[plot])
