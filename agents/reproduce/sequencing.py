"""Claim 10: imitation first, then verifiable-reward RL (SRL -> RLVR), against either alone at equal steps.

Seed note 004: "Running Supervised RL first to establish reasoning foundations, then RLVR to refine against
verifiable rewards, substantially outperforms both methods in isolation. The imitation phase makes outcome rewards
informative by creating reasonable rollouts the RL phase can then sharpen."

Here "imitation" is the families' solver demonstrations (cross-entropy on one demonstration per instance; the
warm start of ``vecreward train``), "RL" is GRPO on the verifiable reward vector. Three schedules of the same
total number of updates, on the maze and on tool calls, each with the small policy from scratch:

- ``imitation-then-rl``: ``imitate:T:N/2 > rl:T:N/2``
- ``imitation-only``: ``imitate:T:N``
- ``rl-only``: ``rl:T:N``

Measured: the held-out ``eval/best@1`` (expected normalized reward of one sampled answer) at the end and its curve,
and ``eval/pass@1`` (every objective met), per family.
"""

from __future__ import annotations

import numpy as np

from agents.compare.grid import Budget
from agents.reproduce.common import ClaimContext, ClaimOutput, compare_means, row, save_plot
from agents.reproduce.schedule_common import curve, final, train_schedules

FAMILIES = ("maze", "toolcall")
ARMS = ("imitation-then-rl", "imitation-only", "rl-only")
STEPS = {"tiny": 4, "default": 200}
"""Total updates of every schedule."""
BUDGETS = {
    "tiny": Budget(steps=1, batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=2,
                   train_instances=16),
    "default": Budget(steps=1, batch_size=16, group_size=8, eval_instances=32, eval_samples=8, eval_every=10,
                      train_instances=512),
}
PAPER = {"imitation-then-rl": "best (SRL -> RLVR beats both alone)", "imitation-only": "below SRL -> RLVR",
         "rl-only": "below SRL -> RLVR"}


def schedules(n: int) -> dict[str, str]:
    """Every arm on every family, ``n`` updates each."""
    out = {}
    for family in FAMILIES:
        out[f"{family}-imitation-then-rl"] = f"imitate:{family}:{n // 2} > rl:{family}:{n - n // 2}"
        out[f"{family}-imitation-only"] = f"imitate:{family}:{n}"
        out[f"{family}-rl-only"] = f"rl:{family}:{n}"
    return out


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train the three schedules on both families and every seed; final scores and curves."""
    n = STEPS[ctx.config.budget]
    records = train_schedules(ctx, schedules(n), BUDGETS[ctx.config.budget])
    rows = []
    curves: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
    for family in FAMILIES:
        curves[family] = {}
        for arm in ARMS:
            recs = records[f"{family}-{arm}"]
            rows.append(row(f"{family}: best@1, final", arm, final(recs, family), PAPER[arm]))
            rows.append(row(f"{family}: pass@1, final", arm, final(recs, family, "eval/pass@1")))
            curves[family][arm] = curve(recs, family)

    def draw(ax: object) -> None:
        for family, styles in zip(FAMILIES, ("-", "--"), strict=True):
            for arm, (steps, values) in curves[family].items():
                ax.plot(steps, values, styles, marker=".", label=f"{family} {arm}")  # type: ignore[attr-defined]
        ax.axvline(n // 2, color="grey", lw=0.8)  # type: ignore[attr-defined]
        ax.set(xlabel="update (imitation or RL)", ylabel="held-out best@1",  # type: ignore[attr-defined]
               title=f"imitation then RL vs either alone, {n} updates, mean of {len(ctx.seeds)} seeds")
        ax.legend(fontsize=7)  # type: ignore[attr-defined]

    plot = save_plot(ctx, "sequencing_curves.png", draw)
    parts = []
    for family in FAMILIES:
        m = f"{family}: best@1, final"
        parts.append(f"{family}: {compare_means(rows, m, 'imitation-then-rl', 'imitation-only')}; "
                     f"{compare_means(rows, m, 'imitation-then-rl', 'rl-only')}")
    return ClaimOutput(rows=rows, reading=" | ".join(parts), plots=[plot],
                       extra={"curves": {f: {a: list(c) for a, c in v.items()} for f, v in curves.items()},
                              "schedules": schedules(n), "mean_final": {
                                  f"{f}/{a}": float(np.mean(final(records[f"{f}-{a}"], f)))
                                  for f in FAMILIES for a in ARMS}})
