"""Claim 1, advantage collapse: GRPO maps distinct reward vectors to the same advantage, GDPO separates them.

Measured on groups the small policy actually produces (no training needed): for each task, G = 8 rollouts on each
of many instances, scored by the family's kernel; the same groups go through GRPO (sum, then group z-score) and
GDPO (per-objective z-scores, sum, batch norm). Per group we count distinct reward vectors D and distinct advantage
levels L (rounded to 1e-6: ``llm_bridge.diagnostics.count_levels``, which ``vecreward diagnose`` uses too); a group
*collapses* when L < D. Maze groups come from a policy after a short imitation warm start (random routes almost
never reach E, and then every vector is zero); code-test groups from the untrained policy (random programs pass
varied tests). Seeds change the policy's initialization, the sampler and the instances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.reproduce.common import ClaimContext, ClaimOutput, row
from llm_bridge.diagnostics import count_levels
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from vecreward_envs.families import FAMILIES, make_family
from vecreward_envs.protocols import Demonstrations, require, supports


@dataclass(frozen=True)
class CollapseBudget:
    """Groups measured per task and seed."""

    groups: int
    """Instances (one group each)."""
    group_size: int = 8
    """G."""
    warm_start_steps: int = 30
    """Imitation steps before sampling (families with demonstrations)."""


BUDGETS = {"tiny": CollapseBudget(groups=4, warm_start_steps=2), "default": CollapseBudget(groups=256)}
SCHEMES = ("grpo", "gdpo")
TASKS = ("maze", "codetests", "toolcall")
"""Measured where registered (toolcall: when its family exists)."""


def _groups(task: str, seed: int, budget: CollapseBudget) -> np.ndarray:
    from agents.small import SmallPolicy
    from llm_bridge.rollout import score

    family = make_family(task)
    instances = family.instances(10_000 * (seed + 1), budget.groups)
    policy = SmallPolicy(family, instances[0], seed=seed)
    if budget.warm_start_steps and supports(family, Demonstrations):
        solver = require(family, Demonstrations, "the warm start")
        demo_pool = family.instances(0, 256)
        rng = np.random.default_rng([seed, 3])
        for _ in range(budget.warm_start_steps):
            batch = [demo_pool[i] for i in rng.integers(len(demo_pool), size=16)]
            policy.imitate(family, batch, solver.demonstrations(batch))
    samples = policy.sample(family, instances, budget.group_size, 1)
    return np.asarray(score(family, instances, samples, view=policy.view).rewards)[:, :, 0, :]  # [B, G, K]


def run(ctx: ClaimContext) -> ClaimOutput:
    """Count distinct advantage levels per group under GRPO and GDPO."""
    budget = BUDGETS[ctx.config.budget]
    tasks = [t for t in TASKS if t in FAMILIES]
    rows = []
    paper = {"grpo": "> 0 (example A: 4 vectors, 3 levels)", "gdpo": "0 (example A: 4 levels)"}
    extra: dict[str, dict] = {}
    for task in tasks:
        per_seed: dict[str, list[tuple[float, float]]] = {s: [] for s in SCHEMES}
        distinct = []
        for seed in ctx.seeds:
            rewards = _groups(task, seed, budget)
            informative = None
            for scheme in SCHEMES:
                adv = np.asarray(run_pipeline(PipelineConfig(aggregator=scheme), rewards))
                vectors, levels = count_levels(rewards, adv)
                informative = vectors >= 2
                if not informative.any():
                    per_seed[scheme].append((float("nan"), float("nan")))
                    continue
                collapsed = float(np.mean(levels[informative] < vectors[informative]))
                ratio = float(np.mean(levels[informative] / vectors[informative]))
                per_seed[scheme].append((collapsed, ratio))
            distinct.append(float(np.mean(vectors)) if informative is not None else float("nan"))
        rows.append(row(f"{task}: distinct reward vectors per group (G=8)", "(the groups)", distinct))
        for scheme in SCHEMES:
            rows.append(row(f"{task}: groups with collapse (L < D)", scheme, [v[0] for v in per_seed[scheme]],
                            paper[scheme]))
        for scheme in SCHEMES:
            rows.append(row(f"{task}: advantage levels / distinct vectors", scheme,
                            [v[1] for v in per_seed[scheme]], "< 1" if scheme == "grpo" else "1"))
        extra[task] = {"groups_per_seed": budget.groups}
    parts = []
    for task in tasks:
        g = next(r for r in rows if r["method"] == "grpo" and r["measure"].startswith(f"{task}: groups"))
        d = next(r for r in rows if r["method"] == "gdpo" and r["measure"].startswith(f"{task}: groups"))
        parts.append(f"{task}: GRPO collapses {100 * g['mean']:.0f}% of groups, GDPO {100 * d['mean']:.0f}%")
    missing = [t for t in TASKS if t not in FAMILIES]
    reading = "; ".join(parts) + (f" (not measured: {', '.join(missing)} not registered)" if missing else "")
    return ClaimOutput(rows=rows, reading=reading, extra=extra)
