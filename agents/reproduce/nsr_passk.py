"""Claim 4: NSR / W-REINFORCE vs PSR vs GRPO, pass@k for k = 1..64 on code-test problems.

The small policy writes DSL programs for the code-test family (structured view, the numba interpreter judges every
test), on single-stage problems (``max_stages=1``, programs of at most 8 tokens). Success = every test of the
``basic`` group passes (the group the prompt's examples come from): all six test groups together are never passed by
the untrained policy in 2,048 samples, so every binary scheme would get zero signal, while the basic group is
passed at pass@1 = 0.003 and pass@64 = 0.16 at initialization: the hard-problem regime in which the paper's effect
is reported. PSR, NSR and W-REINFORCE take that binary outcome; GRPO takes the fraction of basic tests passed
(weights one-hot on ``test/basic``: the same objective, with partial credit). After training, each policy samples
64 programs per held-out problem; pass@k is the unbiased estimator averaged over problems.
"""

from __future__ import annotations

import numpy as np

from agents.compare.grid import Budget, scheme_params
from agents.reproduce.common import (
    ClaimContext,
    ClaimOutput,
    by_method,
    compare_means,
    eval_rewards,
    make_spec,
    pass_curve,
    row,
    save_plot,
    train_all,
)
from llm_bridge.pipeline import PipelineConfig
from vecreward_envs.families import make_family
from vecreward_envs.protocols import TaskFamily

BUDGETS = {
    "tiny": Budget(steps=2, batch_size=4, group_size=4, eval_instances=2, eval_samples=8, eval_every=2,
                        train_instances=16),
    "default": Budget(steps=80, batch_size=16, group_size=8, eval_instances=32, eval_samples=64,
                           eval_every=40, train_instances=512),
}
METHODS = ("grpo", "psr", "nsr", "w_reinforce")
TASK_PARAMS = {"max_stages": 1, "program_len": 8}
SUCCESS = (2,)
"""``test/basic``."""
PAPER = {"grpo": "50.0", "psr": "43.3", "nsr": "53.3", "w_reinforce": "56.7"}
"""pass@256 on AIME25 (percent), Qwen2.5-Math-7B."""


def _untrained(family: TaskFamily, budget: Budget, seed: int) -> np.ndarray:
    """[B, G, 1, K]: the initial policy of ``seed`` on the held-out problems (the baseline every scheme starts at)."""
    from agents.small import SmallPolicy
    from llm_bridge.rollout import score

    problems = family.instances(1_000_000, budget.eval_instances)
    policy = SmallPolicy(family, problems[0], seed=seed)
    samples = policy.sample(family, problems, budget.eval_samples, 1)
    return np.asarray(score(family, problems, samples, view=policy.view).rewards, dtype=np.float64)


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train each scheme on each seed; pass@k curves of 64-sample pools."""
    budget = BUDGETS[ctx.config.budget]
    family = make_family("codetests", **TASK_PARAMS)
    weights = tuple(1.0 if k in SUCCESS else 0.0 for k in range(len(family.reward_names)))

    def pipeline(name: str) -> PipelineConfig:
        params = scheme_params(name, family, budget.steps)
        if "success_objectives" in params:
            return PipelineConfig(aggregator=name, aggregator_params={**params, "success_objectives": list(SUCCESS)})
        return PipelineConfig(aggregator=name, aggregator_params=params, weights=weights)

    specs = [make_spec("codetests", name, seed, pipeline(name), budget, task_params=TASK_PARAMS)
             for name in METHODS for seed in ctx.seeds]
    records = train_all(ctx, specs)
    n = budget.eval_samples
    ks = [k for k in (1, 2, 4, 8, 16, 32, 64) if k <= n]
    success = list(SUCCESS)
    curves = {name: [pass_curve(eval_rewards(r), success, ks) for r in recs]
              for name, recs in by_method(records, "codetests", METHODS, ctx.seeds).items()}
    curves["untrained"] = [pass_curve(_untrained(family, budget, seed), success, ks) for seed in ctx.seeds]
    rows = []
    for k in sorted({1, ks[len(ks) // 2], ks[-1]}):
        i = ks.index(k)
        for name in ("untrained", *METHODS):
            rows.append(row(f"pass@{k}", name, [c[i] for c in curves[name]],
                            f"pass@256 {PAPER[name]}%" if k == ks[-1] and name in PAPER else ""))
    mean_curves = {name: np.mean(curves[name], axis=0).tolist() for name in ("untrained", *METHODS)}

    def draw(ax: object) -> None:
        for name, values in mean_curves.items():
            ax.plot(ks, values, marker="o", label=name)  # type: ignore[attr-defined]
        ax.set(xscale="log", xlabel="k", ylabel="pass@k (all basic tests pass)",  # type: ignore[attr-defined]
               title=f"codetests: pass@k after {budget.steps} steps, mean over {len(ctx.seeds)} seeds")
        ax.legend()  # type: ignore[attr-defined]

    plot = save_plot(ctx, "passk_codetests.png", draw)
    top = f"pass@{ks[-1]}"
    reading = (f"{top}: " + compare_means(rows, top, "nsr", "psr") + "; "
               + compare_means(rows, top, "w_reinforce", "grpo") + "; pass@1: "
               + compare_means(rows, "pass@1", "psr", "nsr") + f"; {top} untrained "
               + f"{np.mean([c[-1] for c in curves['untrained']]):.3f}")
    return ClaimOutput(rows=rows, reading=reading, plots=[plot], extra={"ks": ks, "pass@k": mean_curves})
