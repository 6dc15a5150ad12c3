"""The grid of a comparison: which runs, with which budget, and the per-task settings of each scheme."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from llm_bridge.aggregators import ORDER, get_spec
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.trainer import TrainConfig

BudgetName = Literal["quick", "standard", "full"]


@dataclass(frozen=True)
class Budget:
    """How much training each run of a comparison gets."""

    steps: int
    """Policy updates per run."""
    batch_size: int
    """B instances per step."""
    group_size: int
    """G rollouts per instance."""
    eval_instances: int
    """Held-out instances per evaluation."""
    eval_samples: int
    """Rollouts per evaluation instance (chains for set-level schemes)."""
    eval_every: int
    """Steps between evaluations (learning curves)."""
    train_instances: int
    """Size of the training pool of instances."""


BUDGETS: dict[str, Budget] = {
    # quick: >= 8 schemes x the maze x 2 seeds in under 10 minutes on 2 cores (README main job)
    "quick": Budget(steps=40, batch_size=16, group_size=8, eval_instances=16, eval_samples=12, eval_every=10,
                    train_instances=512),
    "standard": Budget(steps=200, batch_size=32, group_size=8, eval_instances=32, eval_samples=16, eval_every=25,
                       train_instances=2048),
    "full": Budget(steps=1000, batch_size=64, group_size=8, eval_instances=64, eval_samples=32, eval_every=50,
                   train_instances=8192),
}

SET_LEVEL_CHAIN = 3
"""m, answers per chain, for set-level schemes (VPO's default)."""


@dataclass(frozen=True)
class RunSpec:
    """One training run of the grid."""

    task: str
    aggregator: str
    seed: int
    config: TrainConfig

    @property
    def run_id(self) -> str:
        """Stable name of the run (its directory under ``runs/``)."""
        return f"{self.task}/{self.aggregator}/seed{self.seed}"


def scheme_params(aggregator: str, family: Any, steps: int) -> dict[str, Any]:
    """Per-task settings a scheme needs to be meaningful on ``family``."""
    params: dict[str, Any] = {}
    if aggregator in ("psr", "nsr", "w_reinforce"):
        params["success_objectives"] = list(getattr(family, "success_objectives", ()) or []) or None
    if aggregator == "rvpo":
        params["total_steps"] = steps  # the tau curriculum spans the run
    return {k: v for k, v in params.items() if v is not None}


def build_grid(tasks: list[str], aggregators: list[str], seeds: int, budget: BudgetName,
               families: dict[str, Any]) -> list[RunSpec]:
    """Every (task, aggregator, seed) run, validated now (bad names fail before anything runs).

    Raises:
        ValueError: unknown budget, scheme or task, or seeds < 1.
    """
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}; valid: {list(BUDGETS)}")
    if seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {seeds}")
    b = BUDGETS[budget]
    specs = []
    for task in tasks:
        family = families[task]
        warm = 100 if hasattr(family, "demonstrations") else 0
        for aggregator in aggregators:
            level = get_spec(aggregator).level
            pipeline = PipelineConfig(aggregator=aggregator,
                                      aggregator_params=scheme_params(aggregator, family, b.steps))
            for seed in range(seeds):
                config = TrainConfig(
                    task=task, pipeline=pipeline, steps=b.steps, batch_size=b.batch_size, group_size=b.group_size,
                    chain_length=SET_LEVEL_CHAIN if level == "set" else 1, eval_instances=b.eval_instances,
                    eval_samples=b.eval_samples, eval_every=b.eval_every, checkpoint_every=b.eval_every,
                    warm_start_steps=warm, seed=seed, train_instances=b.train_instances,
                )
                specs.append(RunSpec(task, aggregator, seed, config))
    return specs


def resolve_aggregators(text: str) -> list[str]:
    """``all`` or a comma list -> scheme names, checked against the registry."""
    names = list(ORDER) if text.strip() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        get_spec(name)  # raises with the list of valid names
    if not names:
        raise ValueError("--aggregators is empty")
    return names
