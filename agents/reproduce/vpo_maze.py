"""Claim 2: VPO vs GRPO vs Multi-RLVR on the maze, best@k curves and reward-space diversity.

The small policy trains under each scheme (100 imitation warm-start steps, then RL; VPO and Multi-RLVR on chains
of m = 3 routes, GRPO on single routes). After training, each policy answers every held-out maze with a pool of
36 routes (GRPO: 36 samples; chain schemes: 12 chains of 3), so the pools are matched in answers. best@k is the
expected max of the scalar (mean of the vector) over k routes drawn from the pool without replacement; diversity
the mean pairwise L1 distance between the pool's reward vectors. A chain's repeated or empty routes score the zero
vector (VPO's reference rule) and stay in the pool.
"""

from __future__ import annotations

import numpy as np

from agents.compare.grid import Budget
from agents.reproduce.common import (
    ClaimContext,
    ClaimOutput,
    by_method,
    compare_means,
    eval_rewards,
    make_spec,
    row,
    save_plot,
    train_all,
)
from llm_bridge import metrics as M
from llm_bridge.evaluation import instance_pools
from llm_bridge.pipeline import PipelineConfig

BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=2, eval_samples=4, eval_every=2,
                        train_instances=16, warm_start_steps=2),
    "default": Budget(steps=60, batch_size=16, group_size=8, eval_instances=16, eval_samples=12, eval_every=20,
                           train_instances=512, warm_start_steps=100),
}
METHODS = {"grpo": 1, "multi_rlvr": 3, "vpo": 3}
"""Scheme -> answers per chain m."""
PAPER = {"best@30": {"grpo": "0.432", "multi_rlvr": "0.436", "vpo": "0.593"},
         "diversity": {"grpo": "0.003", "multi_rlvr": "-", "vpo": "1.01"}}


def _pool_metrics(rewards: np.ndarray, ks: list[int]) -> dict[str, float]:
    """Per-instance answer pools [B, G, m, K] -> best@k (k in ks), diversity, Pareto count (means over B)."""
    pools = instance_pools(rewards)  # [B, G * m, K]: every route counts (pools matched in answers)
    out = {f"best@{k}": float(np.mean([M.best_at_k(M.scalar(p), k) for p in pools])) for k in ks}
    out["diversity"] = float(np.mean([M.diversity(p) for p in pools]))
    out["pareto_count"] = float(np.mean([M.pareto_count(p) for p in pools]))
    return out


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train each scheme on each seed; compare best@k and diversity of matched pools."""
    budget = BUDGETS[ctx.config.budget]
    pool_answers = 3 * budget.eval_samples
    specs = [make_spec("maze", name, seed, PipelineConfig(aggregator=name), budget, chain_length=m,
                       eval_samples=budget.eval_samples * (3 // m))
             for name, m in METHODS.items() for seed in ctx.seeds]
    records = train_all(ctx, specs)
    ks = sorted({1, 2, 4, 8, 16, min(30, pool_answers), pool_answers} & set(range(1, pool_answers + 1)))
    k_paper = min(30, pool_answers)
    groups = by_method(records, "maze", list(METHODS), ctx.seeds)
    metrics = {name: [_pool_metrics(eval_rewards(r), ks) for r in recs] for name, recs in groups.items()}
    rows = []
    for measure, paper_key in ((f"best@{k_paper}", "best@30"), ("best@1", None), ("diversity", "diversity"),
                               ("pareto_count", None)):
        for name in METHODS:
            rows.append(row(f"{measure} ({pool_answers}-route pools)", name, [m[measure] for m in metrics[name]],
                            PAPER[paper_key][name] if paper_key else ""))
    curves = {name: [float(np.mean([m[f"best@{k}"] for m in metrics[name]])) for k in ks] for name in METHODS}

    def draw(ax: object) -> None:
        for name, values in curves.items():
            ax.plot(ks, values, marker="o", label=f"{name} (m={METHODS[name]})")  # type: ignore[attr-defined]
        ax.set(xscale="log", xlabel="k (routes drawn from the pool)", ylabel="best@k (mean of the vector)",  # type: ignore[attr-defined]
               title=f"maze: best@k after {budget.steps} RL steps, mean over {len(ctx.seeds)} seeds")
        ax.legend()  # type: ignore[attr-defined]

    plot = save_plot(ctx, "bestk_maze.png", draw)
    reading = (f"best@{k_paper}: " + compare_means(rows, f"best@{k_paper} ({pool_answers}-route pools)", "vpo", "grpo")
               + "; diversity: " + compare_means(rows, f"diversity ({pool_answers}-route pools)", "vpo", "grpo")
               + "; multi_rlvr vs grpo best@k: "
               + compare_means(rows, f"best@{k_paper} ({pool_answers}-route pools)", "multi_rlvr", "grpo"))
    return ClaimOutput(rows=rows, reading=reading, plots=[plot], extra={"ks": ks, "best@k": curves})
