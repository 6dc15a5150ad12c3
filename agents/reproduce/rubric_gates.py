"""Claim 13: a rubric as reward points gets hacked; the same rubric as a group gate does not (DRO).

DRO (arXiv 2506.13351 v3) uses rubrics as "hard accept/reject checks" at the rollout-group level instead of adding
them to the reward, because rubric points are gameable. Here the rubric is *hackable by construction*: the
``structure`` family's ``proxy`` objective (docs/envs/structure.md) is the fraction of the match positions holding
the reserved value V-1, a surface feature that never makes an answer correct (V-1 is never a target), so every
point of it costs true quality. True quality = the held-out mean of the match objectives (``eval/match/k/mean``);
rubric score = the held-out ``eval/proxy/mean``.

Arms (``structure``, K=3 continuous match objectives + ``proxy``, index 3), each under ``grpo`` and ``gdpo``:

- ``none``: the reference, the rubric at weight 0 (the policy never sees it);
- ``points``: the rubric as one more objective (weight 1, the "as any other objective" reading); under ``grpo``
  also ``points-w3``: the rubric worth as much as the K match objectives together (weight K = 3);
- ``gate``: ``group_gate`` on the rubric (a rollout passes when it shows the feature at least once, proxy >=
  1/(K m); a group is accepted when at least half of its rollouts pass), the rubric itself removed from the points;
  under ``grpo`` also ``gate-any``: a group is accepted when any one rollout passes (``min_pass`` 1/8).

Measured, per seed: final and curve-mean true quality, the final rubric score, the rubric score of the untrained
policy (the first training batch), and the paired gap of true quality to the reference. "Hacked" = the rubric
score rises over training while true quality ends below the reference (both by more than 0.02).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.compare.grid import Budget
from agents.reproduce.common import (
    ClaimContext,
    ClaimOutput,
    by_method,
    eval_curve,
    eval_rewards,
    find,
    make_spec,
    row,
    save_plot,
    train_all,
)
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.transforms import group_accept

TASK = "structure"
K = 3
M = 2
PARAMS: dict[str, Any] = {"K": K, "m": M, "proxy": True}
RUBRIC = K
"""Index of the rubric (``proxy``) objective: after the K match objectives."""
GATE = {"objectives": [RUBRIC], "threshold": 1.0 / (K * M), "min_pass": 0.5}
"""The gate: a rollout passes when at least one of its K*m match positions holds the feature; half must pass."""
LENIENT_GATE = {**GATE, "min_pass": 0.125}
"""The same rubric, a group accepted when any one of its G = 8 rollouts passes (1 of 4 at the tiny budget)."""
UNTRAINED = "untrained (every arm)"
"""Method name of the rows measured before any update (the same policy in every arm of a seed)."""
HACK_MARGIN = 0.02
"""A rise or a fall counts only beyond this (the curves' step-to-step wobble is about 0.01)."""


def _w(rubric: float) -> tuple[float, ...]:
    return (1.0,) * K + (rubric,)


ARMS: dict[str, PipelineConfig] = {
    "grpo-none": PipelineConfig(aggregator="grpo", weights=_w(0.0)),
    "grpo-points": PipelineConfig(aggregator="grpo", weights=_w(1.0)),
    "grpo-points-w3": PipelineConfig(aggregator="grpo", weights=_w(float(K))),
    "grpo-gate": PipelineConfig(aggregator="grpo", reward_transforms=[("group_gate", GATE)]),
    "grpo-gate-any": PipelineConfig(aggregator="grpo", reward_transforms=[("group_gate", LENIENT_GATE)]),
    "gdpo-none": PipelineConfig(aggregator="gdpo", weights=_w(0.0)),
    "gdpo-points": PipelineConfig(aggregator="gdpo", weights=_w(1.0)),
    "gdpo-gate": PipelineConfig(aggregator="gdpo", reward_transforms=[("group_gate", GATE)]),
}
BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=1,
                   train_instances=16),
    "default": Budget(steps=200, batch_size=16, group_size=8, eval_instances=64, eval_samples=8, eval_every=20,
                      train_instances=1024),
}
PAPER = {"none": "reference", "points": "hacked: rubric up, true quality down (qualitative)",
         "gate": "not hacked (qualitative)"}


def _paper(arm: str) -> str:
    return PAPER["none" if arm.endswith("none") else ("gate" if "-gate" in arm else "points")]


def _reference(arm: str) -> str:
    return arm.split("-")[0] + "-none"


def _quality_curve(record: dict) -> tuple[list[int], list[float]]:
    curves = [eval_curve(record, f"eval/match/{k}/mean") for k in range(K)]
    return curves[0][0], list(np.mean([c[1] for c in curves], axis=0))


def _at_init(record: dict, key: str) -> float:
    """The untrained policy's value: the first training batch's reward mean (step 0, before any update)."""
    return float(record["history"][0][key])


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train every arm on every seed; true quality and rubric score over training and at the end."""
    budget = BUDGETS[ctx.config.budget]
    specs = [make_spec(TASK, arm, seed, pipeline, budget, task_params=dict(PARAMS))
             for arm, pipeline in ARMS.items() for seed in ctx.seeds]
    records = train_all(ctx, specs)
    groups = by_method(records, TASK, list(ARMS), ctx.seeds)
    quality = {arm: [_quality_curve(r) for r in recs] for arm, recs in groups.items()}
    rubric = {arm: [eval_curve(r, "eval/proxy/mean") for r in recs] for arm, recs in groups.items()}
    first = groups[next(iter(ARMS))]  # step 0 samples before any update: the same policy in every arm of a seed
    r_init = [_at_init(r, "rewards/proxy/mean") for r in first]
    q_init = [float(np.mean([_at_init(r, f"rewards/match/{k}/mean") for k in range(K)])) for r in first]
    rows = [row("true quality, untrained policy (first training batch)", UNTRAINED, q_init),
            row("rubric score, untrained policy (first training batch)", UNTRAINED, r_init)]
    for arm, recs in groups.items():
        q_final = [c[1][-1] for c in quality[arm]]
        ref_final = [c[1][-1] for c in quality[_reference(arm)]]
        r_final = [c[1][-1] for c in rubric[arm]]
        rows.append(row("true quality (match mean), final held-out", arm, q_final, _paper(arm)))
        rows.append(row("true quality, mean over the learning curve", arm,
                        [float(np.mean(c[1])) for c in quality[arm]]))
        if not arm.endswith("none"):
            rows.append(row("true quality minus the reference's (paired by seed)", arm,
                            [a - b for a, b in zip(q_final, ref_final, strict=True)]))
        rows.append(row("rubric score (proxy), final held-out", arm, r_final, _paper(arm)))
        rows.append(row("rubric score, peak over the learning curve", arm, [max(c[1]) for c in rubric[arm]]))
        if "-gate" in arm:  # the mechanism: how many groups of the trained policy the gate still lets learn
            gate = dict(ARMS[arm].reward_transforms[0].params)
            rows.append(row("groups the gate accepts, trained policy (held-out sample)", arm,
                            [float(group_accept(eval_rewards(r)[:, :, 0], **gate).mean()) for r in recs]))
        if not arm.endswith("none"):
            rows.append(row("hacked (rubric up and quality below reference), share of seeds", arm,
                            [float(rf - ri > HACK_MARGIN and qf - qr < -HACK_MARGIN)
                             for rf, ri, qf, qr in zip(r_final, r_init, q_final, ref_final, strict=True)]))
    curves = {}  # step 0 = the untrained policy on its first training batch; then the held-out evaluations
    for arm, recs in groups.items():
        q0 = np.mean([[_at_init(r, f"rewards/match/{k}/mean") for k in range(K)] for r in recs])
        r0 = np.mean([_at_init(r, "rewards/proxy/mean") for r in recs])
        curves[arm] = {"steps": [0, *quality[arm][0][0]],
                       "quality": [float(q0), *np.mean([c[1] for c in quality[arm]], axis=0).tolist()],
                       "rubric": [float(r0), *np.mean([c[1] for c in rubric[arm]], axis=0).tolist()]}

    def draw(ax: Any) -> None:
        colors = dict(zip(ARMS, ("C0", "C1", "C3", "C2", "C8", "C7", "C4", "C9"), strict=True))
        for arm, c in curves.items():
            ax.plot(c["steps"], c["quality"], marker="o", color=colors[arm], label=f"{arm}: true quality")
            ax.plot(c["steps"], c["rubric"], ls="--", color=colors[arm], label=f"{arm}: rubric")
        ax.set(xlabel="step (0: untrained, first training batch)", ylabel="held-out mean",
               title=f"structure + proxy rubric: true quality (solid) and rubric (dashed), {len(ctx.seeds)} seeds")
        ax.legend(fontsize=5.5, ncol=2, loc="lower right", bbox_to_anchor=(1.0, 0.15))

    plot = save_plot(ctx, "rubric_gates_curves.png", draw)
    return ClaimOutput(rows=rows, reading=_reading(rows), plots=[plot], extra={"curves": curves, "gate": GATE})


def _reading(rows: list[dict]) -> str:
    """One line per scheme family: which arms were hacked, and what the gate cost or gained against the reference."""
    parts = []
    for arm in ARMS:
        if arm.endswith("none"):
            continue
        hacked = find(rows, "hacked (rubric up and quality below reference), share of seeds", arm)["mean"]
        gap = find(rows, "true quality minus the reference's (paired by seed)", arm)
        r0 = find(rows, "rubric score, untrained policy (first training batch)", UNTRAINED)["mean"]
        r1 = find(rows, "rubric score (proxy), final held-out", arm)["mean"]
        parts.append(f"{arm}: rubric {r0:.2f}->{r1:.2f}, quality vs reference {gap['mean']:+.3f} "
                     f"(+-{gap['std']:.3f}), hacked in {hacked:.0%} of seeds")
    return "; ".join(parts)
