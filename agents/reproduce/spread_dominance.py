"""Claim 8: does an objective with a larger spread dominate GRPO's sum, and does per-objective normalization fix it?

Per-objective normalization should restore each objective's influence in proportion to its weight (MO-GRPO arXiv
2509.22047, GDPO arXiv 2601.05242; stated for one group as Proposition 1 of multireward-grpo).

Task: the ``structure`` family with two independent objectives of different granularity: ``match/0`` continuous
(partial credit per position: a wide spread of values) and ``match/1`` binary (all or nothing: a narrow spread while
it is rarely met). Arms: ``grpo`` (sum, then group z-score), ``mo_grpo`` (per-objective z-scores, summed) and
``gdpo`` (the same, then batch normalization). Measured:
- the mechanism at initialization (no learning): each objective's within-group standard deviation and each
  scheme's influence (pooled within-group correlation of the advantage with the objective, structure_common.py);
  with equal weights the claim predicts influence in proportion to the spreads under grpo and equal influence under
  mo_grpo and gdpo;
- the trained outcome: each objective's held-out mean at the end and over the learning curve.
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
    find,
    row,
    save_plot,
    train_all,
)
from agents.reproduce.structure_common import TASK, random_groups, scheme_influence, specs

PARAMS = {"K": 2, "relation": "independent", "granularity": ("continuous", "binary")}
SCHEMES = ("grpo", "mo_grpo", "gdpo")
BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=1,
                   train_instances=16),
    "default": Budget(steps=150, batch_size=16, group_size=8, eval_instances=64, eval_samples=8, eval_every=10,
                      train_instances=1024),
}
GROUPS_BOTH = "groups where both vary (Prop. 1's setting)"
PAPER = {"grpo": "the wide-spread objective dominates", "mo_grpo": "influence in proportion to the weights (equal)",
         "gdpo": "influence in proportion to the weights (equal)"}


def run(ctx: ClaimContext) -> ClaimOutput:
    """The spreads and influences at init; then train every arm on every seed."""
    n_groups = 32 if ctx.config.budget == "tiny" else 512
    spreads = np.array([random_groups(PARAMS, n_groups, 8, seed=s)[0].std(axis=1).mean(axis=0)
                        for s in ctx.seeds])  # [seeds, K] mean within-group std, one measurement per seed
    spread = spreads.mean(axis=0)
    rows = [row("at init: within-group std of match/0 (continuous)", "untrained", spreads[:, 0]),
            row("at init: within-group std of match/1 (binary)", "untrained", spreads[:, 1])]
    per_seed = [scheme_influence(PARAMS, SCHEMES, n_groups=n_groups, seed=s) for s in ctx.seeds]
    both = [scheme_influence(PARAMS, SCHEMES, n_groups=n_groups, seed=s, vary=(0, 1)) for s in ctx.seeds]
    rows.append(row("at init: share of groups where match/1 varies", "untrained",
                    [float(np.mean(random_groups(PARAMS, n_groups, 8, seed=s)[0][..., 1].std(axis=1) > 1e-9))
                     for s in ctx.seeds]))
    shares = {s: np.mean([p[s] for p in per_seed], axis=0) for s in SCHEMES}
    for scheme in SCHEMES:
        for k in (0, 1):
            rows.append(row(f"at init: corr(advantage, match/{k}), all groups", scheme,
                            [p[scheme][k] for p in per_seed], PAPER[scheme]))
        for k in (0, 1):
            rows.append(row(f"at init: corr(advantage, match/{k}), groups where both vary (Prop. 1's setting)",
                            scheme, [p[scheme][k] for p in both], PAPER[scheme]))
    budget = BUDGETS[ctx.config.budget]
    records = train_all(ctx, specs(ctx, SCHEMES, budget, PARAMS))
    groups = by_method(records, TASK, list(SCHEMES), ctx.seeds)
    curves = {}
    for scheme, recs in groups.items():
        for k, name in ((0, "match/0 (continuous)"), (1, "match/1 (binary)")):
            c = [eval_curve(r, f"eval/match/{k}/mean") for r in recs]
            rows.append(row(f"{name}, final held-out mean", scheme, [x[1][-1] for x in c]))
            rows.append(row(f"{name}, mean over the learning curve", scheme, [float(np.mean(x[1])) for x in c]))
            if k == 1:
                curves[scheme] = (c[0][0], np.mean([x[1] for x in c], axis=0).tolist())

    def draw(ax: object) -> None:
        for scheme, (steps, values) in curves.items():
            ax.plot(steps, values, marker="o", label=scheme)  # type: ignore[attr-defined]
        ax.set(xlabel="step", ylabel="match/1 (binary), held-out mean",  # type: ignore[attr-defined]
               title=f"structure: the narrow-spread objective, mean of {len(ctx.seeds)} seeds")
        ax.legend()  # type: ignore[attr-defined]

    plot = save_plot(ctx, "narrow_objective_curve.png", draw)
    def ratio(where: str) -> str:
        return ", ".join(
            f"{s} {find(rows, f'at init: corr(advantage, match/0), {where}', s)['mean'] / max(find(rows, f'at init: corr(advantage, match/1), {where}', s)['mean'], 1e-9):.2f}"  # noqa: E501
            for s in SCHEMES)

    m = "match/1 (binary), mean over the learning curve"
    reading = (f"spreads at init: match/0 {spread[0]:.3f}, match/1 {spread[1]:.3f}; influence ratio "
               f"corr(A, match/0) / corr(A, match/1), all groups: {ratio('all groups')}; in groups where both vary: "
               f"{ratio(GROUPS_BOTH)}. Trained, {m}: {compare_means(rows, m, 'gdpo', 'grpo')}; "
               f"{compare_means(rows, m, 'mo_grpo', 'grpo')}")
    return ClaimOutput(rows=rows, reading=reading, plots=[plot],
                       extra={"spread": spread.tolist(), "influence": {k: v.tolist() for k, v in shares.items()},
                              "curves": curves})
