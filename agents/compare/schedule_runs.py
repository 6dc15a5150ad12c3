"""Schedules as the thing a grid compares: one run per (schedule, seed), on the same workers as scheme runs.

A schedule run is a ``RunSpec`` whose config is a ``ScheduleRunConfig`` (task ``schedule``, "aggregator" the
schedule's name). The worker (``agents.compare.worker.run_one``) sees the ``schedule`` key of its config and runs
``llm_bridge.schedule.run_schedule`` with the small policy (``schedule_small_policy``: the same one ``vecreward
train --schedule`` builds); killed runs continue from their checkpoint as scheme runs do. Its ``result.json`` holds
the usual record keys, with ``final`` per task, and ``schedule``: the score matrix, entropies, BWT and forgetting.

``schedule_rows`` turns finished records into one final row per (task, schedule, seed), the table the verdict
(``agents.compare.verdict``) decides on: which schedules cannot be told apart from the best on each task.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_bridge.schedule_spec import Schedule
from llm_bridge.trainer import TrainConfig, config_from_dict

SCHEDULE_TASK = "schedule"
"""The ``task`` of every schedule run's record (its tasks are inside)."""


@dataclass(frozen=True)
class ScheduleRunConfig:
    """What one schedule run trains: the stages and the run's settings (batch, group, pools, evaluation, seed)."""

    schedule: Schedule
    base: TrainConfig
    metric: str = "eval/best@1"

    def to_dict(self) -> dict[str, Any]:
        """The form ``run_schedule`` writes to ``config.json`` (a resume compares the two)."""
        return {"schedule": self.schedule.to_dict(), "base": self.base.to_dict(), "metric": self.metric}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleRunConfig:
        """Read ``to_dict()`` back."""
        return cls(Schedule.from_dict(data["schedule"]), config_from_dict(data["base"]), data["metric"])


def is_schedule_config(config: Mapping[str, Any]) -> bool:
    """Whether a worker's config dict is a schedule run's."""
    return "schedule" in config


def schedule_specs(schedules: Mapping[str, Schedule], seeds: Sequence[int], base: TrainConfig) -> list[Any]:
    """One ``RunSpec`` per (schedule, seed); run ids ``schedule/<name>/seed<s>``.

    Raises:
        ValueError: a schedule name that cannot be a directory name.
    """
    import dataclasses

    from agents.compare.grid import RunSpec

    specs = []
    for name, schedule in schedules.items():
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"schedule name {name!r}: use letters, digits, - and _")
        for seed in seeds:
            config = ScheduleRunConfig(schedule, dataclasses.replace(base, seed=seed))
            specs.append(RunSpec(SCHEDULE_TASK, name, seed, config))
    return specs


def run_schedule_one(run_id: str, config_dict: Mapping[str, Any], run_dir: Path, progress_queue: Any = None
                     ) -> dict[str, Any]:
    """Train one schedule run with the small policy in ``run_dir`` (continuing its checkpoint); its record."""
    from agents.commands.train_schedule import pipeline_filler
    from agents.small.multitask import schedule_small_policy
    from llm_bridge.schedule import run_schedule, schedule_families, uses_refinement

    config = ScheduleRunConfig.from_dict(config_dict)
    families = schedule_families(config.schedule)
    policy = schedule_small_policy(families, seed=config.base.seed, feedback=uses_refinement(config.schedule))
    total = config.schedule.total_steps

    def report(step: int, row: dict) -> None:
        if progress_queue is not None:
            progress_queue.put((run_id, step + 1, total))

    started = time.perf_counter()
    result = run_schedule(config.schedule, policy, families, config.base, run_dir, resume=run_dir.exists(),
                          progress=False, tensorboard=True, metric=config.metric,
                          pipeline_for=pipeline_filler(), on_step=report)
    for note in result.notes:
        print(f"{run_id}: {note}", flush=True)
    name = run_id.split("/")[1] if run_id.count("/") >= 2 else run_id
    return {
        "task": SCHEDULE_TASK, "aggregator": name, "seed": config.base.seed, "run_id": run_id, "steps": total,
        "final": result.final, "reward_names": {label: list(families[label].reward_names) for label in families},
        "eval_rewards": {}, "wall_seconds": time.perf_counter() - started, "schedule": result.to_dict(),
    }


def schedule_rows(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Final rows for the verdict: one per (task, schedule, seed), ``eval/*`` columns of that task's last evaluation.

    Also ``schedule/bwt`` and ``schedule/forgetting`` (the run's, repeated on each of its tasks' rows) and
    ``eval/entropy``.
    """
    rows = []
    for record in records:
        summary = record["schedule"]
        for label, metrics in record["final"].items():
            row = {"task": label, "aggregator": record["aggregator"], "seed": record["seed"],
                   "step": record["steps"] - 1, **metrics}
            row["schedule/bwt"] = summary.get("bwt")
            row["schedule/forgetting"] = summary.get("forgetting")
            rows.append(row)
    return rows
