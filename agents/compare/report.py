"""The comparison's outputs: a tidy results table (CSV, Parquet), a summary, plots and a Markdown report."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

SUMMARY_COLUMNS = ("eval/best@1", "eval/best@k", "eval/pass@k", "eval/diversity", "eval/pareto_count",
                   "eval/hypervolume", "eval/bottleneck", "eval/invalid_rate", "wall_seconds")


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_records(out_dir: Path) -> list[dict[str, Any]]:
    """``result.json`` of every finished run, in a stable order."""
    records = [json.loads(p.read_text()) for p in sorted((out_dir / "runs").glob("*/*/seed*/result.json"))]
    return records


def tidy_rows(out_dir: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (run, evaluation step) with every logged metric of that step."""
    rows = []
    for record in records:
        metrics_path = out_dir / "runs" / record["run_id"] / "metrics.jsonl"
        for line in metrics_path.read_text().splitlines():
            entry = json.loads(line)
            if not any(key.startswith("eval/") for key in entry):
                continue
            rows.append({"task": record["task"], "aggregator": record["aggregator"], "seed": record["seed"],
                         **entry})
    return rows


def write_tables(out_dir: Path, rows: list[dict[str, Any]]) -> None:
    """``results.csv`` and ``results.parquet`` (written atomically)."""
    if not rows:
        return
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    _atomic_bytes(out_dir / "results.csv", buffer.getvalue().encode())
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # parquet is optional: pip install "vecreward[report]"
        return
    table = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
    sink = io.BytesIO()
    pq.write_table(table, sink)
    _atomic_bytes(out_dir / "results.parquet", sink.getvalue())


def _with_best_k(final: dict[str, float]) -> dict[str, float]:
    out = dict(final)
    for prefix in ("eval/best@", "eval/pass@"):
        ks = [int(k[len(prefix):]) for k in final if k.startswith(prefix)]
        if ks:
            out[prefix + "k"] = final[f"{prefix}{max(ks)}"]
    return out


def summarize(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (task, aggregator): mean and std over seeds of the final metrics (``SUMMARY_COLUMNS``)."""
    groups: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    for record in records:
        groups[(record["task"], record["aggregator"])].append(
            {**_with_best_k(record["final"]), "wall_seconds": record["wall_seconds"]})
    summary = []
    for (task, aggregator), finals in groups.items():
        row: dict[str, Any] = {"task": task, "aggregator": aggregator, "seeds": len(finals)}
        for column in SUMMARY_COLUMNS:
            values = np.array([f.get(column, np.nan) for f in finals], dtype=np.float64)
            row[column] = (float(np.nanmean(values)) if np.any(~np.isnan(values)) else float("nan"),
                           float(np.nanstd(values)) if np.any(~np.isnan(values)) else float("nan"))
        summary.append(row)
    return sorted(summary, key=lambda r: (r["task"], -r["eval/best@1"][0]))


def markdown_table(summary: list[dict[str, Any]]) -> str:
    """The summary as a Markdown table (mean +- std over seeds)."""
    head = ["task", "aggregator", "seeds", *[c.replace("eval/", "") for c in SUMMARY_COLUMNS]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in summary:
        cells = [row["task"], row["aggregator"], str(row["seeds"])]
        cells += [f"{row[c][0]:.3f} +- {row[c][1]:.3f}" for c in SUMMARY_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def objective_tables(records: list[dict[str, Any]]) -> str:
    """Per task: the final held-out mean of every objective under each aggregator (mean over seeds), Markdown.

    The summary's columns are the same for every task; this is where a task's own objectives (the maze's items,
    each test group of the code tests, each tool-call criterion and constraint) are reported.
    """
    blocks = []
    for task in sorted({r["task"] for r in records}):
        task_records = [r for r in records if r["task"] == task]
        names = task_records[0]["reward_names"]
        lines = [f"### {task}: per-objective means (final evaluation, mean over seeds; NaN = never applicable)", "",
                 "| aggregator | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for agg in dict.fromkeys(r["aggregator"] for r in task_records):
            finals = [r["final"] for r in task_records if r["aggregator"] == agg]
            cells = []
            for name in names:
                values = np.array([f.get(f"eval/{name}/mean", np.nan) for f in finals], dtype=np.float64)
                cells.append(f"{np.nanmean(values):.3f}" if np.any(~np.isnan(values)) else "NaN")
            lines.append(f"| {agg} | " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def print_summary(console: Any, summary: list[dict[str, Any]]) -> None:
    """The summary as a rich table."""
    from rich.table import Table

    table = Table(title="vecreward compare: final evaluation, mean +- std over seeds")
    for head in ("task", "aggregator", *[c.replace("eval/", "") for c in SUMMARY_COLUMNS]):
        table.add_column(head, justify="left" if head in ("task", "aggregator") else "right")
    for row in summary:
        table.add_row(row["task"], row["aggregator"],
                      *[f"{row[c][0]:.3f}\u00b1{row[c][1]:.3f}" for c in SUMMARY_COLUMNS])
    console.print(table)


def plot_all(out_dir: Path, records: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[Path]:
    """Learning curves, best@k curves, per-objective bars and (maze) fronts reached vs the exact front."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for task in sorted({r["task"] for r in records}):
        task_records = [r for r in records if r["task"] == task]
        aggregators = list(dict.fromkeys(r["aggregator"] for r in task_records))
        names = task_records[0]["reward_names"]
        colors = plt.cm.tab20(np.linspace(0, 1, max(len(aggregators), 2)))

        fig, ax = plt.subplots(figsize=(8, 5))
        for color, agg in zip(colors, aggregators, strict=False):
            curves = defaultdict(list)
            for row in rows:
                if row["task"] == task and row["aggregator"] == agg:
                    curves[row["step"]].append(row["eval/best@1"])
            steps = sorted(curves)
            ax.plot(steps, [np.mean(curves[s]) for s in steps], marker="o", color=color, label=agg)
        ax.set(xlabel="step", ylabel="eval best@1 (mean of the vector)", title=f"{task}: learning curves")
        ax.legend(fontsize=7, ncol=2)
        written.append(_save(fig, out_dir / f"learning_{task}.png"))

        fig, ax = plt.subplots(figsize=(8, 5))
        for color, agg in zip(colors, aggregators, strict=False):
            finals = [r["final"] for r in task_records if r["aggregator"] == agg]
            ks = sorted(int(k.split("@")[1]) for k in finals[0] if k.startswith("eval/best@"))
            ax.plot(ks, [np.mean([f[f"eval/best@{k}"] for f in finals]) for k in ks], marker="o", color=color,
                    label=agg)
        ax.set(xlabel="k", ylabel="best@k", xscale="log", title=f"{task}: best@k after training")
        ax.legend(fontsize=7, ncol=2)
        written.append(_save(fig, out_dir / f"bestk_{task}.png"))

        fig, ax = plt.subplots(figsize=(max(8, len(aggregators) * 0.7), 5))
        width = 0.8 / len(names)
        for j, name in enumerate(names):
            means = [np.mean([r["final"].get(f"eval/{name}/mean", np.nan) for r in task_records
                              if r["aggregator"] == agg]) for agg in aggregators]
            ax.bar(np.arange(len(aggregators)) + j * width, means, width, label=name)
        ax.set_xticks(np.arange(len(aggregators)) + 0.4 - width / 2, aggregators, rotation=45, ha="right")
        ax.set(ylabel="mean over the evaluation pool", title=f"{task}: per-objective means")
        ax.legend(fontsize=7)
        written.append(_save(fig, out_dir / f"objectives_{task}.png"))

        if "pool" in task_records[0] and task == "maze":
            written.append(_plot_fronts(plt, out_dir, task, task_records, aggregators, names))
    return written


def _plot_fronts(plt: Any, out_dir: Path, task: str, records: list[dict[str, Any]], aggregators: list[str],
                 names: list[str]) -> Path:
    from vecreward_envs.families import make_family

    family = make_family(task)
    instance = family.generate(records[0]["front_instance_seed"])
    front = family.pareto_front(instance).rewards
    gi, di = names.index("gold"), names.index("diamond")
    cols = 4
    rows = int(np.ceil(len(aggregators) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    for ax, agg in zip(axes.flat, aggregators, strict=False):
        pool = np.array([v for r in records if r["aggregator"] == agg for v in r["pool"]])
        reached = pool[pool[:, 0] > 0]
        ax.scatter(reached[:, gi], reached[:, di], s=12, alpha=0.4, label="pool (reached E)")
        ax.scatter(front[:, gi], front[:, di], marker="x", color="red", s=50, label="exact front")
        ax.set(title=agg, xlim=(-0.05, 1.05), ylim=(-0.05, 1.05))
    for ax in list(axes.flat)[len(aggregators):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(f"{task} seed {records[0]['front_instance_seed']}: gold vs diamond of 64 samples per seed")
    return _save(fig, out_dir / f"fronts_{task}.png")


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    tmp = path.with_name("tmp_" + path.name)
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def write_report(out_dir: Path, summary: list[dict[str, Any]], plots: list[Path], header: str,
                 records: list[dict[str, Any]] | None = None) -> Path:
    """``report.md`` with the summary table, the per-objective tables of each task and the plots."""
    lines = ["# vecreward compare", "", header, "", markdown_table(summary), ""]
    if records:
        lines += [objective_tables(records), ""]
    lines += [f"![{p.stem}]({p.name})" for p in plots]
    lines += ["", "Tidy results: `results.csv` / `results.parquet` (one row per run and evaluation step). "
              "TensorBoard: `tensorboard --logdir runs/`."]
    path = out_dir / "report.md"
    _atomic_bytes(path, ("\n".join(lines) + "\n").encode())
    return path
