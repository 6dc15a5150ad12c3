"""What a transfer study found: each side's ranking at two budgets, their agreement, flipped pairs, profiles.

Read from the run directories alone (``runs/<side>/<task>/<scheme>/seed<s>/metrics.jsonl``), so a report can be
redone at any time and an unfinished study reports the runs it has.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llm_bridge.grid_stats import RankAgreement, bootstrap_ci, rank_agreement
from llm_bridge.run_logging import read_metrics_file

SIDE_NAMES = {"small": "small policy", "lm": "LM"}

Scores = dict[str, dict[int, float]]
"""Scheme -> {seed: value}."""


@dataclass(frozen=True)
class StudyLayout:
    """Where a study's runs are and at which steps each side is read."""

    out: Path
    task: str
    budgets: Mapping[str, tuple[int, int]]
    """Side -> (short, long) steps."""


def eval_row(run_dir: Path, steps: int) -> dict[str, Any] | None:
    """The metrics row logged at ``steps`` (its evaluation), or None when the run has not got there."""
    rows, _ = read_metrics_file(run_dir / "metrics.jsonl")
    for row in rows:
        if row.get("step") == steps - 1 and any(k.startswith("eval/") for k in row):
            return row
    return None


def start_row(run_dir: Path) -> dict[str, Any] | None:
    """Step 0's row when it holds the evaluation before RL (``start/eval/*``)."""
    rows, _ = read_metrics_file(run_dir / "metrics.jsonl")
    return next((r for r in rows if r.get("step") == 0 and any(k.startswith("start/eval/") for k in r)), None)


def tidy_rows(layout: StudyLayout) -> list[dict[str, Any]]:
    """One row per (side, scheme, seed, budget) that has been evaluated: ``eval/*`` and ``start/eval/*`` values."""
    rows = []
    for side, (short, long) in layout.budgets.items():
        root = layout.out / "runs" / side / layout.task
        if not root.is_dir():
            continue
        for scheme_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for seed_dir in sorted(p for p in scheme_dir.iterdir() if p.is_dir() and p.name.startswith("seed")):
                start = start_row(seed_dir) or {}
                for label, steps in (("short", short), ("long", long)):
                    row = eval_row(seed_dir, steps)
                    if row is None:
                        continue
                    out = {"side": side, "task": layout.task, "aggregator": scheme_dir.name,
                           "seed": int(seed_dir.name[4:]), "budget": label, "steps": steps}
                    out.update({k: v for k, v in row.items() if k.startswith("eval/")})
                    out.update({k: v for k, v in start.items() if k.startswith("start/eval/")})
                    rows.append(out)
    return rows


def scores(rows: Sequence[Mapping[str, Any]], side: str, budget: str, metric: str) -> Scores:
    """Scheme -> {seed: metric} of one side at one budget (non-finite values left out)."""
    out: Scores = {}
    for row in rows:
        value = row.get(metric)
        if row["side"] == side and row["budget"] == budget and isinstance(value, (int, float)) \
                and math.isfinite(value):
            out.setdefault(str(row["aggregator"]), {})[int(row["seed"])] = float(value)
    return out


def ranking(values: Scores, higher_is_better: bool = True) -> list[str]:
    """Schemes from best to worst by their mean over seeds (ties keep their order: see ``ranks``)."""
    sign = -1.0 if higher_is_better else 1.0
    return sorted(values, key=lambda s: sign * float(np.mean(list(values[s].values()))))


def ranks(values: Scores, higher_is_better: bool = True) -> dict[str, str]:
    """Competition ranks with ties marked: equal means share a rank written ``2=``, and the next rank skips."""
    means = {s: float(np.mean(list(v.values()))) for s, v in values.items()}
    out = {}
    for scheme, mean in means.items():
        better = sum(1 for m in means.values() if (m > mean if higher_is_better else m < mean))
        tied = sum(1 for m in means.values() if m == mean) > 1
        out[scheme] = f"{better + 1}{'=' if tied else ''}"
    return out


@dataclass(frozen=True)
class Agreement:
    """One comparison of two rankings (e.g. the small policy's long budget against the LM's)."""

    first: str
    second: str
    result: RankAgreement


def agreements(rows: Sequence[Mapping[str, Any]], metric: str) -> list[Agreement]:
    """The rankings compared: each side's two budgets (has it settled?), and the sides at equal budget labels."""
    pairs = [(("small", "short"), ("small", "long")), (("lm", "short"), ("lm", "long")),
             (("small", "long"), ("lm", "long")), (("small", "short"), ("lm", "short")),
             (("small", "short"), ("lm", "long")), (("small", "long"), ("lm", "short"))]
    out = []
    for a, b in pairs:
        first, second = scores(rows, *a, metric), scores(rows, *b, metric)
        if len(set(first) & set(second)) >= 2:
            rng = np.random.default_rng(0)  # the same resampling whenever the report is redone
            out.append(Agreement(f"{a[0]}@{a[1]}", f"{b[0]}@{b[1]}", rank_agreement(first, second, rng)))
    return out


def objective_names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Objectives present as ``eval/<name>/mean`` columns, in order of first appearance."""
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key.startswith("eval/") and key.endswith("/mean"):  # names may hold '/', e.g. match/0
                names.setdefault(key[len("eval/"):-len("/mean")], None)
    return list(names)


def summary(layout: StudyLayout, metric: str, lm_label: str) -> dict[str, Any]:
    """Everything the report prints, as JSON-able data (the metric's direction from ``compare.verdict.METRICS``)."""
    from agents.compare.verdict import METRICS

    higher = METRICS[metric].higher_is_better if metric in METRICS else True
    rows = tidy_rows(layout)
    sides: dict[str, Any] = {}
    for side in layout.budgets:
        for budget in ("short", "long"):
            values = scores(rows, side, budget, metric)
            if not values:
                continue
            steps = layout.budgets[side][0 if budget == "short" else 1]
            entry = {"steps": steps, "ranking": ranking(values, higher), "ranks": ranks(values, higher),
                     "schemes": {}}
            for scheme in entry["ranking"]:
                seeds = values[scheme]
                # one generator per cell: a cell's CI does not move when other runs finish
                ci = bootstrap_ci(list(seeds.values()), np.random.default_rng(sorted(seeds)))
                start = scores(rows, side, budget, "start/" + metric).get(scheme, {})
                gain = [seeds[s] - start[s] for s in seeds if s in start]
                profile = {name: _mean(rows, side, budget, scheme, f"eval/{name}/mean")
                           for name in objective_names(rows)}
                entry["schemes"][scheme] = {
                    "mean": float(np.mean(list(seeds.values()))), "ci": list(ci), "seeds": len(seeds),
                    "gain_over_start": float(np.mean(gain)) if gain else float("nan"),
                    "gain_sd": float(np.std(gain, ddof=1)) if len(gain) > 1 else float("nan"),
                    "profile": profile,
                }
            sides[f"{side}@{budget}"] = entry
    return {
        "task": layout.task, "metric": metric, "higher_is_better": higher, "lm": lm_label,
        "budgets": {side: list(b) for side, b in layout.budgets.items()}, "sides": sides,
        "agreements": [{"first": a.first, "second": a.second, "schemes": list(a.result.schemes), "tau": a.result.tau,
                        "ci": list(a.result.ci), "flipped": [list(p) for p in a.result.flipped]}
                       for a in agreements(rows, metric)],
        "rows": rows,
    }


def _mean(rows: Sequence[Mapping[str, Any]], side: str, budget: str, scheme: str, key: str) -> float:
    values = [float(r[key]) for r in rows if r["side"] == side and r["budget"] == budget and r["aggregator"] == scheme
              and isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def _num(x: float, digits: int = 3) -> str:
    return "n/a" if not isinstance(x, (int, float)) or not math.isfinite(x) else f"{x:.{digits}f}"


def markdown(data: Mapping[str, Any]) -> str:
    """The study as markdown: side-by-side metrics, rank agreements with flipped pairs, objective profiles."""
    metric = data["metric"]
    direction = "higher is better" if data.get("higher_is_better", True) else "lower is better"
    lines = [f"# Transfer: {data['task']} (small policy vs {data['lm']})", "",
             f"Metric: `{metric}` ({direction}) on the held-out instances (both sides evaluate the same instances). "
             "Each cell: mean over seeds [bootstrap 95% CI] (#rank, `=` marks a tie; gain = the metric minus the "
             "same run's evaluation after its warm start, before RL, mean ± sd over seeds; n = seeds).", ""]
    sides = data["sides"]
    schemes = list(dict.fromkeys(s for entry in sides.values() for s in entry["schemes"]))
    columns = list(sides)
    lines.append("| scheme | " + " | ".join(f"{c} ({sides[c]['steps']} steps)" for c in columns) + " |")
    lines.append("|---|" + "---|" * len(columns))
    for scheme in schemes:
        cells = []
        for c in columns:
            s = sides[c]["schemes"].get(scheme)
            cells.append("" if s is None else f"{_num(s['mean'])} [{_num(s['ci'][0])}, {_num(s['ci'][1])}] "
                         f"(#{sides[c]['ranks'][scheme]}; gain {_num(s['gain_over_start'])} ± "
                         f"{_num(s['gain_sd'])}; n={s['seeds']})")
        lines.append(f"| {scheme} | " + " | ".join(cells) + " |")
    lines += ["", "## Rank agreement (Kendall's tau, bootstrap 95% CI over seeds)", "",
              "| first | second | tau | 95% CI | flipped pairs (first's order -> reversed) |", "|---|---|---|---|---|"]
    for a in data["agreements"]:
        flipped = ", ".join(f"{x} > {y}" for x, y in a["flipped"]) or "none"
        lines.append(f"| {a['first']} | {a['second']} | {_num(a['tau'], 2)} | [{_num(a['ci'][0], 2)}, "
                     f"{_num(a['ci'][1], 2)}] | {flipped} |")
    lines += ["", "## Per-objective profiles (mean of each objective over the evaluation pool)", ""]
    for c in columns:
        profiles = {s: v["profile"] for s, v in sides[c]["schemes"].items()}
        names = list(next(iter(profiles.values())).keys()) if profiles else []
        if not names:
            continue
        lines += [f"**{c}** ({sides[c]['steps']} steps)", "", "| scheme | " + " | ".join(names) + " |",
                  "|---|" + "---|" * len(names)]
        lines += [f"| {s} | " + " | ".join(_num(p[n]) for n in names) + " |" for s, p in profiles.items()]
        lines.append("")
    return "\n".join(lines) + "\n"


def _null_nan(value: Any) -> Any:
    """``value`` with every non-finite float as None (standard JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _null_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_null_nan(v) for v in value]
    return value


def write(out: Path, data: Mapping[str, Any]) -> list[Path]:
    """``transfer.json``, ``transfer.csv`` (tidy rows) and ``transfer.md`` in ``out``, each written atomically."""
    written = []
    rows = data["rows"]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys)
    writer.writeheader()
    writer.writerows(rows)
    body = _null_nan({k: v for k, v in data.items() if k != "rows"})
    for name, text in (("transfer.json", json.dumps(body, indent=1, default=float, allow_nan=False)),
                       ("transfer.csv", buffer.getvalue()), ("transfer.md", markdown(data))):
        path = out / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        written.append(path)
    return written
