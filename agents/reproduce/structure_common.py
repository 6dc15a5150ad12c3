"""What the three reward-structure claims share: their runs, and where each scheme's advantage comes from.

The claims (noise, dominance, specialization) train the small policy on the ``structure`` family, whose knobs set
the reward structure directly (docs/envs/structure.md), under several schemes. Beside the trained outcome they
measure the mechanism at the start of training, with no learning in between: ``scheme_influence`` samples random
answers for many groups, turns their rewards into advantages with each scheme, and returns the pooled within-group
correlation between the advantage and each reward column (``influence``). A column the advantage ignores has
influence 0; one that decides it alone has influence 1. For independent objectives and GRPO's sum this is
sigma_k / sqrt(sum_l sigma_l^2), the objective's share of the spread (multireward-grpo's Proposition 1 for one
group).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from agents.compare.grid import Budget, RunSpec, equal_pool_samples, scheme_params
from agents.reproduce.common import ClaimContext, make_spec
from llm_bridge.aggregators import get_spec
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from vecreward_envs.families import make_family
from vecreward_envs.protocols import StructuredView, require

TASK = "structure"


def specs(ctx: ClaimContext, schemes: Sequence[str], budget: Budget, params: Mapping[str, Any]) -> list[RunSpec]:
    """One run per (scheme, seed) on the structure family configured by ``params``.

    Set-level schemes train on chains; every run's evaluation pool holds the same number of answers
    (``equal_pool_samples``), so pool metrics compare like with like.
    """
    family = make_family(TASK, **dict(params))
    out = []
    for scheme in schemes:
        pipeline = PipelineConfig(aggregator=scheme, aggregator_params=scheme_params(scheme, family, budget.steps))
        m = get_spec(scheme).chain_length
        samples = equal_pool_samples(budget.eval_samples, m, list(schemes))  # every pool: the same answer count
        out += [make_spec(TASK, scheme, seed, pipeline, budget, chain_length=m, eval_samples=samples,
                          task_params=dict(params)) for seed in ctx.seeds]
    return out


def random_groups(params: Mapping[str, Any], n_groups: int, group_size: int, seed: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Uniformly random full-length answers (no early STOP): rewards float64 [B, G, K] and the answers [B*G, L+1].

    Not the untrained small policy (which can stop early): a policy-free sample of the reward structure.
    """
    family = make_family(TASK, **dict(params))
    view = require(family, StructuredView, "the influence measurement")
    instances = family.instances(50_000 + seed * n_groups, n_groups)
    length = view.max_answer_len(instances)
    rng = np.random.default_rng(seed)
    values = len(view.answer_vocab) - 1  # every token but STOP
    answers = np.full((n_groups * group_size, length + 1), view.stop_code, dtype=np.int64)
    answers[:, :length] = rng.integers(0, values, (n_groups * group_size, length))
    idx = np.repeat(np.arange(n_groups), group_size)
    rewards = np.asarray(view.score_answers(instances, answers, idx), dtype=np.float64)
    return rewards.reshape(n_groups, group_size, -1), answers


def influence(advantages: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Float [C]: the pooled within-group correlation of the advantage with each column.

    Both are centred within each group, then correlated over every rollout of every group: a group where the column
    is constant contributes nothing to the covariance, so an objective that rarely varies has little influence, as
    it has on the update (NaN for a column that never varies).

    Args:
        advantages: [B, G].
        columns: [B, G, C].
    """
    a = advantages - advantages.mean(axis=1, keepdims=True)  # [B, G]
    x = columns - columns.mean(axis=1, keepdims=True)  # [B, G, C]
    cov = np.einsum("bg,bgc->c", a, x)
    scale = np.sqrt((a**2).sum() * (x**2).sum(axis=(0, 1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 1e-12, cov / scale, np.nan)


def scheme_influence(params: Mapping[str, Any], schemes: Sequence[str], columns: np.ndarray | None = None,
                     n_groups: int = 256, group_size: int = 8, seed: int = 0, vary: Sequence[int] = ()
                     ) -> dict[str, np.ndarray]:
    """Scheme -> influence of each reward column (or of ``columns`` [B, G, C] if given) on its advantages at init.

    Set-level schemes get each rollout's vector as a chain of one answer (their advantage of single answers).
    ``vary``: keep only the groups in which every one of these objectives varies (the advantages are computed on
    the whole batch first; the pooled within-group correlation does not change under a batch-wide rescaling).
    """
    rewards, _ = random_groups(params, n_groups, group_size, seed)
    family = make_family(TASK, **dict(params))
    columns = rewards if columns is None else columns
    out = {}
    for scheme in schemes:
        pipeline = PipelineConfig(aggregator=scheme, aggregator_params=scheme_params(scheme, family, 100))
        r = rewards[:, :, None, :] if get_spec(scheme).kind == "set_level" else rewards
        adv = np.asarray(run_pipeline(pipeline, r, rng=np.random.default_rng(seed)), dtype=np.float64)
        keep = np.all(rewards[..., list(vary)].std(axis=1) > 1e-9, axis=-1) if vary else np.ones(len(adv), bool)
        out[scheme] = influence(adv[keep], columns[keep])
    return out
