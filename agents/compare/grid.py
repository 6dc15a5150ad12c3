"""The grid of a comparison: which runs, with which budget, and the per-task settings of each scheme."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from llm_bridge.aggregators import get_spec, run_params, scheme_names
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.trainer import TrainConfig
from vecreward_envs.protocols import Demonstrations, SuccessObjectives, TaskFamily, require, supports

if TYPE_CHECKING:  # annotations only (schedule_runs imports this module)
    from agents.compare.schedule_runs import ScheduleRunConfig
    from agents.transfer.runs import TransferLMConfig

BudgetName = Literal["quick", "standard", "full"]


@dataclass(frozen=True)
class Budget:
    """How much training each run gets: a comparison's ``--budget`` and each claim's ``BUDGETS`` alike."""

    steps: int
    """Policy updates per run."""
    batch_size: int = 16
    """B instances per step."""
    group_size: int = 8
    """G rollouts per instance."""
    eval_instances: int = 16
    """Held-out instances per evaluation."""
    eval_samples: int = 12
    """Rollouts per evaluation instance (chains for set-level schemes)."""
    eval_every: int = 10
    """Steps between evaluations (learning curves); checkpoints follow the same rhythm."""
    train_instances: int = 512
    """Size of the training pool of instances."""
    warm_start_steps: int = 0
    """Imitation steps before RL, on families that declare ``Demonstrations`` (others start from scratch)."""

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "group_size", "eval_instances", "eval_samples", "eval_every",
                     "train_instances"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Budget.{name} must be an int >= 1, got {value!r}")
        if isinstance(self.warm_start_steps, bool) or not isinstance(self.warm_start_steps, int) \
                or self.warm_start_steps < 0:
            raise ValueError(f"Budget.warm_start_steps must be an int >= 0, got {self.warm_start_steps!r}")

    def train_config(self, task: str, family: TaskFamily, pipeline: PipelineConfig, seed: int, *,
                     chain_length: int = 1, eval_samples: int | None = None,
                     task_params: Mapping[str, Any] | None = None) -> TrainConfig:
        """The ``TrainConfig`` of one run of ``task`` under this budget (no warm start without demonstrations)."""
        return TrainConfig(
            task=task, task_params=dict(task_params or {}), pipeline=pipeline, steps=self.steps,
            batch_size=self.batch_size, group_size=self.group_size, chain_length=chain_length,
            eval_instances=self.eval_instances, eval_samples=eval_samples or self.eval_samples,
            eval_every=self.eval_every, checkpoint_every=self.eval_every,
            warm_start_steps=self.warm_start_steps if supports(family, Demonstrations) else 0,
            seed=seed, train_instances=self.train_instances,
        )


BUDGETS: dict[str, Budget] = {
    # quick: >= 8 schemes x the maze x 2 seeds in under 10 minutes on 2 cores (README main job)
    "quick": Budget(steps=40, batch_size=16, group_size=8, eval_instances=16, eval_samples=12, eval_every=10,
                    train_instances=512, warm_start_steps=100),
    "standard": Budget(steps=200, batch_size=32, group_size=8, eval_instances=32, eval_samples=16, eval_every=25,
                       train_instances=2048, warm_start_steps=100),
    "full": Budget(steps=1000, batch_size=64, group_size=8, eval_instances=64, eval_samples=32, eval_every=50,
                   train_instances=8192, warm_start_steps=100),
}


@dataclass(frozen=True)
class RunSpec:
    """One training run of the grid."""

    task: str
    """The task family (``schedule`` for a schedule run, whose tasks are in its config; ``<side>/<task>`` for a
    transfer run, ``agents.transfer.runs``)."""
    aggregator: str
    """The scheme (a schedule run: the schedule's name)."""
    seed: int
    config: TrainConfig | ScheduleRunConfig | TransferLMConfig
    """What the worker trains: one run's config, a schedule (``agents.compare.schedule_runs``) or an LM run of a
    transfer study (``agents.transfer.runs``)."""

    @property
    def run_id(self) -> str:
        """Stable name of the run (its directory under ``runs/``)."""
        return f"{self.task}/{self.aggregator}/seed{self.seed}"


def scheme_params(aggregator: str, family: TaskFamily, steps: int) -> dict[str, Any]:
    """What the scheme declares it needs (``AggregatorSpec.needs``), filled from ``family`` and the run's steps."""
    success = require(family, SuccessObjectives, aggregator).success_objectives \
        if supports(family, SuccessObjectives) else None
    return run_params(aggregator, success_objectives=success, total_steps=steps)


def build_grid(tasks: list[str], aggregators: list[str], seeds: int, budget: BudgetName,
               families: Mapping[str, TaskFamily], task_params: Mapping[str, Any] | None = None) -> list[RunSpec]:
    """Every (task, aggregator, seed) run, validated now (bad names fail before anything runs).

    ``task_params``: the family configuration every run builds its family with (``families`` must hold families
    built with it; ``vecreward atlas`` varies it).

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
        for aggregator in aggregators:
            pipeline = PipelineConfig(aggregator=aggregator,
                                      aggregator_params=scheme_params(aggregator, family, b.steps))
            for seed in range(seeds):
                config = b.train_config(task, family, pipeline, seed, chain_length=get_spec(aggregator).chain_length,
                                        task_params=task_params)
                specs.append(RunSpec(task, aggregator, seed, config))
    return specs


def equal_pool_samples(samples: int, chain_length: int, schemes: list[str]) -> int:
    """Evaluation samples per instance that give a run the same number of answers as every other scheme's.

    A set-level scheme's sample is a chain of m answers, so at equal samples its evaluation pool holds m times the
    answers, and pool metrics (pareto_count, hypervolume, diversity) grow with the pool. Scaling every run to the
    longest chain among ``schemes`` gives each pool ``samples * max_m`` answers (VPO's own comparison does the same).
    """
    longest = max(get_spec(s).chain_length for s in schemes)
    return samples * longest // chain_length


def resolve_aggregators(text: str) -> list[str]:
    """``all`` or a comma list -> scheme names, checked against the registry."""
    names = list(scheme_names()) if text.strip() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        get_spec(name)  # raises with the list of valid names
    if not names:
        raise ValueError("--aggregators is empty")
    if len(set(names)) != len(names):
        raise ValueError(f"--aggregators names a scheme twice: {text!r}")
    return names
