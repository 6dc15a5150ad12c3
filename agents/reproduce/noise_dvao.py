"""Claim 7: with one noisy objective, does DVAO's variance weighting protect the clean objectives best?

Against GRPO's sum and GDPO's equal z-scores (seed note 001: "fixed-weight scalar aggregation leaks noise into
advantage signals in GRPO; variance-adaptive weighting (DVAO) empirically suppresses noise").

Task: the ``structure`` family, three independent objectives, and a noisy judge on the third (Gaussian noise of
standard deviation ``NOISE`` added to its reward, clipped to [0, 1]; docs/envs/structure.md). Held-out metrics are
the true (noise-free) rewards (``NoisyJudge``). Arms: ``grpo``, ``gdpo``, ``dvao``. Measured:
- the trained outcome: the clean objectives' held-out mean at the end and over the learning curve (AUC), and the
  noisy objective's;
- the mechanism, at initialization: how much each scheme's advantage follows the noise term itself
  (``influence`` of ``noisy reward - clean reward``, structure_common.py) and the clean objectives.

Note the formula (shared/reference/aggregators.md, DVAO): ``v_k = b_k sigma_k / sum_l b_l sigma_l`` with sigma_k
the within-group standard deviation. Noise *raises* sigma_k, so the formula as written gives the noisy objective more
weight, not less; the measurement says which way it goes here.
"""

from __future__ import annotations

import numpy as np

from agents.compare.grid import Budget
from agents.reproduce.common import ClaimContext, ClaimOutput, by_method, eval_curve, row, save_plot, train_all
from agents.reproduce.structure_common import TASK, random_groups, scheme_influence, specs

NOISE = 0.3
PARAMS = {"K": 3, "relation": "independent", "noise": NOISE, "noisy": (2,)}
CLEAN = (0, 1)
"""The objectives without noise."""
SCHEMES = ("grpo", "gdpo", "dvao")
BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=1,
                   train_instances=16),
    "default": Budget(steps=150, batch_size=16, group_size=8, eval_instances=64, eval_samples=8, eval_every=10,
                      train_instances=1024),
}
PAPER = {"grpo": "noise leaks into the advantage", "gdpo": "equal z-scores: no protection",
         "dvao": "protects the clean objectives (qualitative)"}


def _clean_curve(record: dict) -> tuple[list[int], list[float]]:
    curves = [eval_curve(record, f"eval/match/{k}/mean") for k in CLEAN]
    return curves[0][0], list(np.mean([c[1] for c in curves], axis=0))


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train every arm on every seed; the clean and noisy objectives; the advantage's share of noise at init."""
    budget = BUDGETS[ctx.config.budget]
    records = train_all(ctx, specs(ctx, SCHEMES, budget, PARAMS))
    groups = by_method(records, TASK, list(SCHEMES), ctx.seeds)
    rows = []
    curves = {}
    for scheme, recs in groups.items():
        clean = [_clean_curve(r) for r in recs]
        curves[scheme] = (clean[0][0], np.mean([c[1] for c in clean], axis=0).tolist())
        rows.append(row("clean objectives, final held-out mean", scheme, [c[1][-1] for c in clean], PAPER[scheme]))
        rows.append(row("clean objectives, mean over the learning curve", scheme,
                        [float(np.mean(c[1])) for c in clean], PAPER[scheme]))
        rows.append(row("noisy objective (match/2), final held-out mean", scheme,
                        [r["final"]["eval/match/2/mean"] for r in recs]))
    # the mechanism: the noise term itself, as a column next to the clean objectives
    n_groups = 32 if ctx.config.budget == "tiny" else 512
    per_seed = []
    for seed in ctx.seeds:  # one measurement per seed: fresh random answers
        noisy, _ = random_groups(PARAMS, n_groups, 8, seed=seed)
        clean, _ = random_groups({**PARAMS, "noise": 0.0}, n_groups, 8, seed=seed)  # same answers, no judge noise
        columns = np.concatenate([clean[..., list(CLEAN)], (noisy - clean)[..., 2:3]], axis=-1)  # [B, G, 3]
        per_seed.append(scheme_influence(PARAMS, SCHEMES, columns, n_groups=n_groups, seed=seed))
    shares = {s: np.mean([p[s] for p in per_seed], axis=0) for s in SCHEMES}
    for scheme in SCHEMES:
        rows.append(row("at init: corr(advantage, noise term)", scheme, [p[scheme][2] for p in per_seed]))
        rows.append(row("at init: corr(advantage, clean objectives), mean", scheme,
                        [float(np.mean(p[scheme][:2])) for p in per_seed]))

    def draw(ax: object) -> None:
        for scheme, (steps, values) in curves.items():
            ax.plot(steps, values, marker="o", label=scheme)  # type: ignore[attr-defined]
        ax.set(xlabel="step", ylabel="clean objectives, held-out mean",  # type: ignore[attr-defined]
               title=f"structure, noise {NOISE} on match/2: clean objectives, mean of {len(ctx.seeds)} seeds")
        ax.legend()  # type: ignore[attr-defined]

    plot = save_plot(ctx, "clean_curve_noise.png", draw)
    reading = _reading(rows)
    return ClaimOutput(rows=rows, reading=reading, plots=[plot], extra={"curves": curves,
                                                                        "influence": {k: v.tolist()
                                                                                      for k, v in shares.items()}})


def _reading(rows: list[dict]) -> str:
    from agents.reproduce.common import compare_means, find

    m = "clean objectives, mean over the learning curve"
    noise = {s: find(rows, "at init: corr(advantage, noise term)", s)["mean"] for s in SCHEMES}
    most = max(noise, key=lambda s: noise[s])
    return (f"{m}: {compare_means(rows, m, 'dvao', 'grpo')}; {compare_means(rows, m, 'dvao', 'gdpo')}. At init the "
            f"advantage follows the noise term most under {most} (corr {noise[most]:.2f}; "
            + ", ".join(f"{s} {v:.2f}" for s, v in noise.items()) + ")")
