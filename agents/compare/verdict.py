"""The verdict of a comparison: per task and headline metric, which schemes are best and by how much.

Works on the documented tidy results table (``docs/compare.md``): one row per run and evaluation step with the
columns ``task``, ``aggregator``, ``seed``, ``step`` and metric columns ``eval/...``. A run's final row is its last
step. The statistics are ``llm_bridge.grid_stats`` (paired t-test, Holm correction, bootstrap CIs).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llm_bridge.grid_stats import RankAgreement, Verdict, rank_agreement, verdict

REQUIRED_COLUMNS = ("task", "aggregator", "seed")
"""Columns every tidy results table must have (``step`` is optional: without it every row is final)."""


@dataclass(frozen=True)
class MetricInfo:
    """What a metric column means."""

    label: str
    higher_is_better: bool
    definition: str


METRICS: dict[str, MetricInfo] = {
    "eval/best@1": MetricInfo("best@1", True, "expected scalar (mean of the applicable entries of the reward vector) "
                              "of one sampled answer; for chains, of the chain's best answer; mean over held-out "
                              "instances"),
    "eval/best@k": MetricInfo("best@k", True, "expected maximum scalar over k answers drawn without replacement from "
                              "the S samples per instance (k = S here); mean over instances"),
    "eval/pass@1": MetricInfo("pass@1", True, "probability that one sample passes (every applicable objective at its "
                              "upper bound; for chains, any answer of the chain), unbiased estimator, mean over "
                              "instances"),
    "eval/pass@k": MetricInfo("pass@k", True, "probability that at least one of k samples passes (k = S here)"),
    "eval/diversity": MetricInfo("diversity", True, "mean pairwise L1 distance between the reward vectors of an "
                                 "instance's answers (NaN as 0); mean over instances"),
    "eval/pareto_count": MetricInfo("pareto_count", True, "distinct non-dominated reward vectors among an "
                                    "instance's answers; mean over instances"),
    "eval/hypervolume": MetricInfo("hypervolume", True, "volume dominated by an instance's answers above a reference "
                                   "point 10% below the reward bounds; mean over instances"),
    "eval/expected_utility": MetricInfo("expected_utility", True, "mean over 100 Dirichlet weight vectors of the best "
                                        "linear utility among an instance's answers"),
    "eval/bottleneck": MetricInfo("bottleneck", True, "minimum over objectives of the objective's mean over every "
                                  "sampled answer (the most neglected objective)"),
    "eval/invalid_rate": MetricInfo("invalid_rate", False, "fraction of answers that could not be read (text view "
                                    "parse failures; 0 for the structured view)"),
    "wall_seconds": MetricInfo("wall_seconds", False, "wall time of the run (training and evaluation)"),
}
"""Every summary column, with its direction and definition (the report prints these)."""

HEADLINE_CANDIDATES = ("eval/best@1", "eval/hypervolume", "eval/pass@1", "eval/bottleneck")
"""Headline metrics, in order of preference; a task keeps the first three that vary across its runs."""
HEADLINE_MIN_SPREAD = 1e-3
"""A candidate whose final values span less than this across a task's runs is not a headline: no decision turns on
a difference below 0.001 (e.g. the hypervolume of 11 tool-call objectives, which is about 1e-5 for every scheme)."""


def _number(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return x


def check_columns(rows: Sequence[Any]) -> None:
    """Check a tidy results table; a one-line ``ValueError`` names the first problem.

    Every row must be an object with the required columns and a finite integer seed, and the table must have at
    least one metric column.
    """
    if not rows:
        raise ValueError("the results table has no rows")
    for n, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise ValueError(f"row {n} of the results table is not an object of columns")
        missing = [c for c in REQUIRED_COLUMNS if row.get(c) in (None, "")]
        if missing:
            raise ValueError(f"row {n} of the results table lacks column(s) {missing}; required: "
                             f"{list(REQUIRED_COLUMNS)} plus metric columns such as eval/best@1 (docs/compare.md)")
        seed = _number(row["seed"])
        if not math.isfinite(seed) or seed != int(seed):
            raise ValueError(f"row {n} of the results table has seed {row['seed']!r}; seeds are integers")
    if not any(isinstance(k, str) and k.startswith("eval/") for row in rows for k in row):
        raise ValueError("the results table has no metric column (eval/...)")


def final_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each run's last row (largest ``step``); the order of first appearance is kept."""
    last: dict[tuple[str, str, int], dict[str, Any]] = {}
    for row in rows:
        key = (str(row["task"]), str(row["aggregator"]), int(_number(row["seed"])))
        step = _number(row.get("step", 0))
        if key not in last or step >= _number(last[key].get("step", 0)):
            last[key] = dict(row)
    return list(last.values())


def per_seed(rows: Iterable[Mapping[str, Any]], task: str, metric: str) -> dict[str, dict[int, float]]:
    """Scheme -> {seed: value} of ``metric`` on ``task`` (final rows expected)."""
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for row in rows:
        if row["task"] == task and metric in row:
            value = _number(row[metric])
            if math.isfinite(value):
                out[str(row["aggregator"])][int(_number(row["seed"]))] = value
    return dict(out)


def constant_metrics(rows: Sequence[Mapping[str, Any]], metrics: Iterable[str], tolerance: float = 1e-12
                     ) -> dict[str, float]:
    """Metric -> its value, for the metrics that take one value (within ``tolerance``) on every row that has them."""
    out = {}
    for metric in metrics:
        values = np.array([_number(r[metric]) for r in rows if metric in r], dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size and np.ptp(values) <= tolerance:
            out[metric] = float(values[0])
    return out


def headline_metrics(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The headline metrics of one task's final rows: up to three of ``HEADLINE_CANDIDATES`` that vary.

    A candidate with no finite value (NaN everywhere, e.g. an objective never applicable) is not a headline.
    """
    present = [m for m in HEADLINE_CANDIDATES if any(math.isfinite(_number(r.get(m))) for r in rows)]
    constant = constant_metrics(rows, present, HEADLINE_MIN_SPREAD)
    return [m for m in present if m not in constant][:3]


def task_verdicts(rows: Sequence[Mapping[str, Any]], alpha: float = 0.05) -> dict[str, list[Verdict]]:
    """Per task (in order of appearance): the verdict on each headline metric, from final rows."""
    finals = final_rows(rows)
    out: dict[str, list[Verdict]] = {}
    for task in dict.fromkeys(str(r["task"]) for r in finals):
        mine = [r for r in finals if r["task"] == task]
        out[task] = [verdict(per_seed(mine, task, m), METRICS[m].label, higher_is_better=METRICS[m].higher_is_better,
                             alpha=alpha) for m in headline_metrics(mine)]
    return out


def budget_agreement(short: Sequence[Mapping[str, Any]], long: Sequence[Mapping[str, Any]], task: str, metric: str
                     ) -> RankAgreement:
    """How well the ranking of the short-budget runs predicts the long-budget ranking of the same schemes."""
    rng = np.random.default_rng(0)
    return rank_agreement(per_seed(final_rows(short), task, metric), per_seed(final_rows(long), task, metric), rng)


def verdict_lines(verdicts: Mapping[str, Sequence[Verdict]], budget_note: str = "") -> list[str]:
    """The one-line recommendations of every task (``budget_note`` says what the budget measured)."""
    lines = []
    for task, items in verdicts.items():
        if not items:
            lines.append(f"{task}: every headline metric is constant across schemes: nothing to decide")
        lines += [v.sentence(task) for v in items]
    if budget_note:
        lines.append(budget_note)
    return lines


def recheck_schemes(rows: Sequence[Mapping[str, Any]], task: str, count: int | None) -> list[str]:
    """Schemes to rerun at a longer budget, by the first headline metric of ``task``.

    The ``count // 2`` best and the ``count - count // 2`` worst; every scheme when ``count`` is None or covers them.
    """
    finals = [r for r in final_rows(rows) if r["task"] == task]
    metrics = headline_metrics(finals)
    schemes = list(dict.fromkeys(str(r["aggregator"]) for r in finals))
    if count is None or count >= len(schemes) or not metrics:
        return schemes
    info = METRICS[metrics[0]]
    values = per_seed(finals, task, metrics[0])
    order = sorted(values, key=lambda s: -np.mean(list(values[s].values())) * (1 if info.higher_is_better else -1))
    if count >= len(order):
        return order
    top = max(1, count // 2)
    return list(dict.fromkeys(order[:top] + order[len(order) - (count - top):]))
