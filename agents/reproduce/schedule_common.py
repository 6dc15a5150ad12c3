"""What the schedule claims share: train named schedules on every seed through the claim's run grid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from agents.compare.grid import Budget
from agents.compare.schedule_runs import schedule_specs
from agents.reproduce.common import ClaimContext, train_all
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.schedule_spec import Schedule, parse_schedule


def base_config(budget: Budget) -> Any:
    """The run settings of every schedule run of a claim (the stages set the steps)."""
    from agents.commands.compare_schedules import base_config as from_budget

    return from_budget(budget)


def train_schedules(ctx: ClaimContext, schedules: Mapping[str, str], budget: Budget,
                    pipeline: PipelineConfig | None = None) -> dict[str, list[dict[str, Any]]]:
    """Train every written schedule on every seed; name -> its records in seed order (``history`` included)."""
    parsed: dict[str, Schedule] = {name: parse_schedule(spec, pipeline or PipelineConfig())
                                   for name, spec in schedules.items()}
    specs = schedule_specs(parsed, ctx.seeds, base_config(budget))
    records = train_all(ctx, specs)
    return {name: [records[f"schedule/{name}/seed{s}"] for s in ctx.seeds] for name in schedules}


def final(records: list[dict[str, Any]], task: str, key: str = "eval/best@1") -> list[float]:
    """One value per seed of a task's last evaluation."""
    return [float(r["final"][task][key]) for r in records]


def curve(records: list[dict[str, Any]], task: str, key: str = "eval/best@1") -> tuple[list[int], list[float]]:
    """(steps, mean over seeds) of a task's evaluations over the whole schedule."""
    per_seed = []
    steps: list[int] = []
    for record in records:
        points = [(h["step"] + 1, h[f"{task}/{key}"]) for h in record["history"] if f"{task}/{key}" in h]
        steps = [p[0] for p in points]
        per_seed.append([float(p[1]) for p in points])
    return steps, np.mean(per_seed, axis=0).tolist()


def summary(records: list[dict[str, Any]], key: str) -> list[float]:
    """One value per seed of a run-level summary (``bwt``, ``forgetting``); NaN where undefined."""
    return [float("nan") if r["schedule"][key] is None else float(r["schedule"][key]) for r in records]
