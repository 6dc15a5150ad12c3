"""What every claim uses: its budget, training many small runs through the compare backends, and result rows."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from agents.compare.grid import Budget, RunSpec
from llm_bridge import metrics as M
from llm_bridge.evaluation import chain_passes
from llm_bridge.pipeline import PipelineConfig
from vecreward_envs.families import make_family

BudgetLevel = Literal["tiny", "default"]


@dataclass(frozen=True)
class ReproduceConfig:
    """Options of one ``vecreward reproduce`` invocation."""

    budget: BudgetLevel = "default"
    """``tiny`` (seconds; the tests) or ``default`` (the measurement in docs/results.md)."""
    seeds: int = 3
    """Seeds per method (mean and spread over them)."""
    out: Path = Path("runs/reproduce")
    """Output directory: ``<out>/<claim>/result.json``, run directories, plots."""
    jobs: int = 2
    """Worker processes for the training runs."""

    def __post_init__(self) -> None:
        if self.budget not in ("tiny", "default"):
            raise ValueError(f"--budget must be tiny or default, got {self.budget!r}")
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"--seeds must be an int >= 1, got {self.seeds!r}")
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1:
            raise ValueError(f"--jobs must be an int >= 1, got {self.jobs!r}")


@dataclass
class ClaimContext:
    """What a claim's ``run`` gets."""

    config: ReproduceConfig
    out: Path
    """This claim's output directory."""
    console: Any
    """A rich console (progress bars)."""

    @property
    def seeds(self) -> list[int]:
        """The seeds to run."""
        return list(range(self.config.seeds))


@dataclass
class ClaimOutput:
    """What a claim measured."""

    rows: list[dict[str, Any]]
    """``measure``, ``method``, ``values`` (one per seed), ``mean``, ``std``, ``paper`` (from :func:`row`)."""
    reading: str
    """One honest line: does the measurement agree with the paper, and how firmly."""
    plots: list[str] = field(default_factory=list)
    """Plot files written (names inside the claim's directory)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Anything else worth keeping (curves)."""


def row(measure: str, method: str, values: Sequence[float], paper: str = "") -> dict[str, Any]:
    """A result row: the per-seed values, their mean and std (population std over seeds)."""
    v = np.asarray(list(values), dtype=np.float64)
    finite = v[~np.isnan(v)]
    return {"measure": measure, "method": method, "values": [float(x) for x in v],
            "mean": float(finite.mean()) if finite.size else float("nan"),
            "std": float(finite.std()) if finite.size else float("nan"), "paper": paper}


def find(rows: list[dict[str, Any]], measure: str, method: str) -> dict[str, Any]:
    """The row of (measure, method)."""
    for r in rows:
        if r["measure"] == measure and r["method"] == method:
            return r
    raise KeyError((measure, method))


def compare_means(rows: list[dict[str, Any]], measure: str, better: str, worse: str) -> str:
    """``"A > B (non-overlapping ...)"``-style phrase for two methods' means of ``measure``."""
    a, b = find(rows, measure, better), find(rows, measure, worse)
    sep = abs(a["mean"] - b["mean"]) > a["std"] + b["std"]
    sign = ">" if a["mean"] > b["mean"] else ("<" if a["mean"] < b["mean"] else "=")
    firm = "separated by more than the seed spread" if sep else "within the seed spread"
    return f"{better} {a['mean']:.3f} {sign} {worse} {b['mean']:.3f} ({firm})"


def make_spec(task: str, label: str, seed: int, pipeline: PipelineConfig, budget: Budget,
              chain_length: int = 1, eval_samples: int | None = None, task_params: dict | None = None) -> RunSpec:
    """One training run of a claim (its directory is ``runs/<task>/<label>/seed<seed>``)."""
    family = make_family(task, **dict(task_params or {}))
    config = budget.train_config(task, family, pipeline, seed, chain_length=chain_length, eval_samples=eval_samples,
                                 task_params=task_params)
    return RunSpec(task, label, seed, config)


def train_all(ctx: ClaimContext, specs: list[RunSpec]) -> dict[str, dict[str, Any]]:
    """Train every spec in the local process pool (or in this process with one job); run_id -> record.

    A run already in the claim's directory is reused (finished) or continued (interrupted) when its config is the
    same, and redone from scratch when the claim's budget changed.

    Raises:
        RuntimeError: a run failed (its error is in the message).
    """
    from agents.compare.backends import run_grid

    out = ctx.out / f"runs-{ctx.config.budget}"
    (out / "runs").mkdir(parents=True, exist_ok=True)
    for spec in specs:  # a finished or interrupted run is reused only when its config is still the same
        run_dir = out / "runs" / spec.run_id
        saved = run_dir / "config.json"
        if saved.exists() and json.loads(saved.read_text()) != json.loads(json.dumps(spec.config.to_dict())):
            shutil.rmtree(run_dir)
    if ctx.config.jobs == 1:  # in this process: no worker start-up (tiny budgets, tests)
        from agents.compare.worker import run_one

        failures = []
        for spec in specs:
            try:
                run_one(spec.run_id, spec.config.to_dict(), str(out / "runs" / spec.run_id))
            except Exception as exc:  # noqa: BLE001 - reported below with every other failure
                failures.append((spec.run_id, repr(exc)))
    else:
        failures = run_grid(ctx.console, specs, out, min(ctx.config.jobs, len(specs)), "local")
    if failures:
        raise RuntimeError("; ".join(f"{run_id}: {error}" for run_id, error in failures))
    records = {}
    for spec in specs:
        record = json.loads((out / "runs" / spec.run_id / "result.json").read_text())
        record["history"] = [json.loads(line) for line in
                             (out / "runs" / spec.run_id / "metrics.jsonl").read_text().splitlines()]
        records[spec.run_id] = record
    return records


def eval_rewards(record: dict[str, Any]) -> np.ndarray:
    """float64 [B, G, m, K]: the trained policy's fresh evaluation sample (``record["eval_rewards"]``)."""
    return np.asarray(record["eval_rewards"], dtype=np.float64)


def pass_curve(rewards: np.ndarray, success: Sequence[int], ks: Sequence[int]) -> np.ndarray:
    """[len(ks)] unbiased pass@k averaged over instances.

    Pass = every ``success`` objective at 1 (in chains: any answer of the chain).
    """
    ok = chain_passes(rewards, 1.0, success)  # [B, G]
    n = ok.shape[1]
    return np.array([np.mean([M.pass_at_k(n, int(c), k) for c in ok.sum(axis=1)]) for k in ks])


def eval_curve(record: dict[str, Any], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of an ``eval/*`` key over training."""
    points = [(h["step"] + 1, h[key]) for h in record["history"] if key in h]
    return [p[0] for p in points], [float(p[1]) for p in points]


def save_plot(ctx: ClaimContext, name: str, draw: Callable[[Any], None]) -> str:
    """Draw with ``draw(ax)`` and save ``<claim dir>/<name>`` atomically; returns the file name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    draw(ax)
    fig.tight_layout()
    path = ctx.out / name
    tmp = path.with_name("tmp_" + name)
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)
    plt.close(fig)
    return name


def by_method(records: dict[str, dict[str, Any]], task: str, methods: Sequence[str], seeds: Sequence[int]
              ) -> dict[str, list[dict[str, Any]]]:
    """Records by method: one per seed, in seed order."""
    return {m: [records[f"{task}/{m}/seed{s}"] for s in seeds] for m in methods}
