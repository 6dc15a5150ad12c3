"""The comparison's outputs: a tidy results table (CSV, Parquet), a summary, plots and a Markdown report."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agents.compare.verdict import HEADLINE_CANDIDATES, METRICS, check_columns, final_rows, verdict_lines
from llm_bridge.grid_stats import Verdict
from llm_bridge.run_logging import read_metrics_file

SUMMARY_COLUMNS = ("eval/best@1", "eval/best@k", "eval/pass@k", "eval/diversity", "eval/pareto_count",
                   "eval/hypervolume", "eval/bottleneck", "eval/invalid_rate", "wall_seconds")


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_records(out_dir: Path) -> list[dict[str, Any]]:
    """The record of every cleanly finished run, in a stable order (damaged or partial runs are left out)."""
    from agents.compare.worker import finished_record

    records = [finished_record(p.parent) for p in sorted((out_dir / "runs").glob("*/*/seed*/result.json"))]
    return [r for r in records if r is not None]


def tidy_rows(out_dir: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (run, evaluation step) with every logged metric of that step (``docs/compare.md``).

    The run's last row also carries its ``wall_seconds``.
    """
    rows = []
    for record in records:
        mine = []
        for entry in read_metrics_file(out_dir / "runs" / record["run_id"] / "metrics.jsonl")[0]:
            if not any(key.startswith("eval/") for key in entry):
                continue
            mine.append({"task": record["task"], "aggregator": record["aggregator"], "seed": record["seed"],
                         **entry})
        if mine:
            mine[-1]["wall_seconds"] = record.get("wall_seconds")
        rows += mine
    return rows


def read_table(path: Path) -> list[dict[str, Any]]:
    """A tidy results table from CSV, Parquet or JSONL (``docs/compare.md`` lists its columns).

    Raises:
        ValueError: unknown extension, unreadable file, or missing columns (one line).
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, newline="") as handle:
                rows: list[dict[str, Any]] = [dict(r) for r in csv.DictReader(handle)]
        elif suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        elif suffix == ".parquet":
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise ValueError('reading Parquet needs pyarrow: pip install "vecreward[report]"') from None
            rows = pq.read_table(path).to_pylist()
        else:
            raise ValueError(f"{path}: unknown table format {suffix!r}; use .csv, .parquet or .jsonl")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read it ({type(exc).__name__}: {str(exc)[:120]})") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own error types for corrupt files
        if isinstance(exc, ValueError) and str(exc).startswith((str(path), "reading Parquet")):
            raise
        raise ValueError(f"{path}: cannot read it ({type(exc).__name__}: {str(exc)[:120]})") from None
    check_columns(rows)
    return [{k: (float(v) if k not in ("task", "aggregator") and _is_number(v) else v) for k, v in r.items()
             if isinstance(k, str)} for r in rows]  # a ragged CSV row puts its extra cells under None


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


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


def _with_best_k(final: dict[str, Any]) -> dict[str, Any]:
    out = dict(final)
    for prefix in ("eval/best@", "eval/pass@"):
        ks = [int(k[len(prefix):]) for k in final if k.startswith(prefix) and k[len(prefix):].isdigit()]
        if ks:
            out[prefix + "k"] = final[f"{prefix}{max(ks)}"]
    return out


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (task, aggregator): mean and std over seeds of the final metrics (``SUMMARY_COLUMNS``), best first."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in final_rows(rows):
        groups[(str(row["task"]), str(row["aggregator"]))].append(_with_best_k(row))
    summary = []
    for (task, aggregator), finals in groups.items():
        row: dict[str, Any] = {"task": task, "aggregator": aggregator, "seeds": len(finals)}
        for column in SUMMARY_COLUMNS:
            values = np.array([_float(f.get(column)) for f in finals], dtype=np.float64)
            finite = values[np.isfinite(values)]
            row[column] = ((float(finite.mean()), float(finite.std())) if finite.size else (float("nan"),) * 2)
        summary.append(row)
    return sorted(summary, key=lambda r: (r["task"], -np.nan_to_num(r["eval/best@1"][0], nan=-np.inf)))


def shown_columns(summary: list[dict[str, Any]]) -> tuple[list[str], dict[str, float]]:
    """Summary columns worth a column (not constant across every row) and the constant ones with their value."""
    constant = {}
    shown = []
    for column in SUMMARY_COLUMNS:
        means = np.array([row[column][0] for row in summary], dtype=np.float64)
        finite = means[np.isfinite(means)]
        if column != "wall_seconds" and (finite.size == 0 or np.ptp(finite) <= 1e-12):
            constant[column] = float(finite[0]) if finite.size else float("nan")
        else:
            shown.append(column)
    return shown, constant


def markdown_table(summary: list[dict[str, Any]]) -> str:
    """The summary as a Markdown table (mean +- std over seeds); constant columns are listed under it instead."""
    shown, constant = shown_columns(summary)
    head = ["task", "aggregator", "seeds", *[c.replace("eval/", "") for c in shown]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in summary:
        cells = [row["task"], row["aggregator"], str(row["seeds"])]
        cells += [f"{row[c][0]:.3f} +- {row[c][1]:.3f}" for c in shown]
        lines.append("| " + " | ".join(cells) + " |")
    if constant:
        lines += ["", "Constant across every scheme, so left out: "
                  + ", ".join(f"{c.replace('eval/', '')} = {v:.3f}" for c, v in constant.items()) + "."]
    return "\n".join(lines)


def verdict_markdown(verdicts: dict[str, list[Verdict]], budget_note: str) -> str:
    """The verdict section: one line per task and headline metric, then each metric's means with CIs."""
    lines = ["## Verdict", ""]
    lines += [f"- {line}" for line in verdict_lines(verdicts, budget_note)]
    lines += ["", "Test: two-sided paired t-test on the per-seed differences to the best "
              "scheme (runs that share a seed share initial weights and instances), Holm-Bonferroni correction over "
              "the comparisons with the best, alpha = 0.05. \"Tied\" = not separated from the best by that test. "
              "Intervals: percentile bootstrap over seeds (95%). Differences are best minus scheme.", ""]
    for task, items in verdicts.items():
        for v in items:
            lines += [f"### {task}: {v.metric} ({'higher' if v.higher_is_better else 'lower'} is better)", "",
                      "| scheme | mean | 95% CI | vs best: difference [95% CI] | p (Holm) | tied with best |",
                      "|---|---|---|---|---|---|"]
            by_scheme = {c.scheme: c for c in v.comparisons}
            for scheme in (v.best, *by_scheme):
                lo, hi = v.cis[scheme]
                c = by_scheme.get(scheme)
                diff = f"{c.difference:.3f} [{c.ci[0]:.3f}, {c.ci[1]:.3f}]" if c else "(best)"
                p = f"{c.p_adjusted:.3f}" if c else ""
                lines.append(f"| {scheme} | {v.means[scheme]:.3f} | [{lo:.3f}, {hi:.3f}] | {diff} | {p} | "
                             f"{'yes' if scheme in v.tied else 'no'} |")
            lines.append("")
    return "\n".join(lines)


def metric_definitions(columns: Iterable[str]) -> str:
    """Markdown list of the definitions of ``columns`` (and of the per-objective columns)."""
    lines = ["## Metrics", "", "All are computed on held-out instances at the run's final evaluation, from S sampled "
             "answers per instance (chains of m answers for set-level schemes), then averaged over seeds.", ""]
    for column in columns:
        info = METRICS.get(column) or METRICS.get(column.replace("@k", "@1"))
        if info:
            name = column.replace("eval/", "")
            lines.append(f"- **{name}** ({'higher' if info.higher_is_better else 'lower'} is better): "
                         f"{info.definition}.")
    lines.append("- **<objective> mean** (per-objective tables): the objective's mean over every sampled answer "
                 "where it applies (NaN: never applicable).")
    return "\n".join(lines)


def objective_tables(rows: list[dict[str, Any]]) -> str:
    """Per task: the final held-out mean of every objective under each aggregator (mean over seeds), Markdown.

    The summary's columns are the same for every task; this is where a task's own objectives (the maze's items,
    each test group of the code tests, each tool-call criterion and constraint) are reported.
    """
    finals = final_rows(rows)
    blocks = []
    for task in dict.fromkeys(str(r["task"]) for r in finals):
        mine = [r for r in finals if r["task"] == task]
        names = _objective_names(mine)
        if not names:
            continue
        lines = [f"### {task}: per-objective means (final evaluation, mean over seeds; NaN = never applicable)", "",
                 "| aggregator | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for agg in dict.fromkeys(str(r["aggregator"]) for r in mine):
            cells = []
            for name in names:
                values = np.array([_float(r.get(f"eval/{name}/mean")) for r in mine if r["aggregator"] == agg])
                cells.append(f"{np.nanmean(values):.3f}" if np.any(np.isfinite(values)) else "NaN")
            lines.append(f"| {agg} | " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _objective_names(rows: list[dict[str, Any]]) -> list[str]:
    keys = dict.fromkeys(k for r in rows for k in r)
    return [k[len("eval/"):-len("/mean")] for k in keys
            if k.startswith("eval/") and k.endswith("/mean") and k.count("/") == 2]


def print_summary(console: Any, summary: list[dict[str, Any]], lines: Sequence[str] = ()) -> None:
    """The summary as a rich table (constant columns left out and named), then the verdict lines."""
    from rich.table import Table

    shown, constant = shown_columns(summary)
    table = Table(title="vecreward compare: final evaluation, mean +- std over seeds")
    for head in ("task", "aggregator", *[c.replace("eval/", "") for c in shown]):
        table.add_column(head, justify="left" if head in ("task", "aggregator") else "right")
    for row in summary:
        table.add_row(row["task"], row["aggregator"], *[f"{row[c][0]:.3f}\u00b1{row[c][1]:.3f}" for c in shown])
    console.print(table)
    if constant:
        console.print("constant across every scheme (left out): "
                      + ", ".join(f"{c.replace('eval/', '')} = {v:.3f}" for c, v in constant.items()))
    if lines:
        console.print("[bold]Verdict[/]")
        for line in lines:
            console.print(f"  {line}", highlight=False)


STYLES = [(ls, mk) for ls in ("-", "--", ":", "-.") for mk in ("o", "s", "^", "D")]
"""Line style and marker pairs, so that curves stay distinguishable beyond the 10 colours of a palette."""


def line_style(i: int, plt: Any) -> dict[str, Any]:
    """The i-th line's colour, dash and marker (distinct in print and for colour-blind readers)."""
    linestyle, marker = STYLES[i % len(STYLES)]
    return {"color": plt.cm.tab10(i % 10), "linestyle": linestyle, "marker": marker, "markersize": 4}


def plot_all(out_dir: Path, rows: list[dict[str, Any]], records: list[dict[str, Any]] | None = None) -> list[Path]:
    """Learning curves with seed bands, best@k with error bars, per-objective bars and (maze) fronts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for task in dict.fromkeys(str(r["task"]) for r in rows):
        task_rows = [r for r in rows if r["task"] == task]
        aggregators = list(dict.fromkeys(str(r["aggregator"]) for r in task_rows))
        written.append(_plot_learning(plt, out_dir, task, task_rows, aggregators))
        task_records = [r for r in records or [] if r["task"] == task and "eval_rewards" in r]
        written.append(_plot_best_k(plt, out_dir, task, task_rows, task_records, aggregators))
        finals = [r for r in final_rows(task_rows)]
        names = _objective_names(finals)
        if names:
            fig, ax = plt.subplots(figsize=(max(8, len(aggregators) * 0.7), 5))
            width = 0.8 / len(names)
            for j, name in enumerate(names):
                means = [np.nanmean([_float(r.get(f"eval/{name}/mean")) for r in finals if r["aggregator"] == agg])
                         for agg in aggregators]
                ax.bar(np.arange(len(aggregators)) + j * width, means, width, label=name)
            ax.set_xticks(np.arange(len(aggregators)) + 0.4 - width / 2, aggregators, rotation=45, ha="right")
            ax.set(xlabel="aggregation scheme", ylabel="objective mean over the evaluation pool",
                   title=f"{task}: per-objective means (final evaluation, mean over seeds)")
            ax.legend(fontsize=7)
            written.append(save_figure(fig, out_dir / f"objectives_{task}.png"))
        if task_records and "pool" in task_records[0] and task == "maze":
            written.append(_plot_fronts(plt, out_dir, task, task_records, aggregators,
                                        list(task_records[0]["reward_names"])))
    return written


def _plot_learning(plt: Any, out_dir: Path, task: str, rows: list[dict[str, Any]], aggregators: list[str]) -> Path:
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for i, agg in enumerate(aggregators):
        curves: dict[float, list[float]] = defaultdict(list)
        for row in rows:
            if row["aggregator"] == agg and "step" in row:
                curves[_float(row["step"]) + 1].append(_float(row.get("eval/best@1")))
        steps = sorted(curves)
        if not steps:
            continue
        mean = np.array([np.nanmean(curves[s]) for s in steps])
        lo = np.array([np.nanmin(curves[s]) for s in steps])
        hi = np.array([np.nanmax(curves[s]) for s in steps])
        style = line_style(i, plt)
        ax.plot(steps, mean, label=agg, **style)
        ax.fill_between(steps, lo, hi, color=style["color"], alpha=0.12, linewidth=0)
    ax.set(xlabel="training step (policy updates)", ylabel="eval best@1 (mean of the reward vector)",
           title=f"{task}: learning curves (line: mean over seeds; band: min-max over seeds)")
    ax.legend(fontsize=7, ncol=2)
    return save_figure(fig, out_dir / f"learning_{task}.png")


def _plot_best_k(plt: Any, out_dir: Path, task: str, rows: list[dict[str, Any]], records: list[dict[str, Any]],
                 aggregators: list[str]) -> Path:
    """best@k for every k from 1 to S (from the final evaluation pools when the records are there), 95% CI bars."""
    from llm_bridge import metrics as M
    from llm_bridge.evaluation import chain_best
    from llm_bridge.grid_stats import bootstrap_ci

    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for i, agg in enumerate(aggregators):
        per_seed: list[dict[int, float]] = []
        for record in records:
            if record["aggregator"] == agg:
                best = chain_best(np.asarray(record["eval_rewards"], dtype=np.float64))  # [B, S]
                per_seed.append({k: float(np.mean([M.best_at_k(b, k) for b in best]))
                                 for k in range(1, best.shape[1] + 1)})
        if not per_seed:  # a table without pools: the best@k columns it has
            for row in final_rows([r for r in rows if r["aggregator"] == agg]):
                per_seed.append({int(k.split("@")[1]): _float(v) for k, v in row.items()
                                 if k.startswith("eval/best@") and k.split("@")[1].isdigit()})
        ks = sorted(set.intersection(*(set(p) for p in per_seed))) if per_seed else []
        if not ks:
            continue
        means = np.array([np.mean([p[k] for p in per_seed]) for k in ks])
        cis = np.array([bootstrap_ci([p[k] for p in per_seed], rng) for k in ks])
        style = line_style(i, plt)
        ax.errorbar(np.array(ks) * (1 + 0.012 * (i - len(aggregators) / 2)), means,
                    yerr=[means - cis[:, 0], cis[:, 1] - means], capsize=2, label=agg, **style)
    ax.set(xlabel="k (answers drawn from the S samples per instance)", ylabel="best@k (mean of the reward vector)",
           xscale="log", title=f"{task}: best@k after training (mean over seeds, bars: 95% bootstrap CI)")
    ax.legend(fontsize=7, ncol=2)
    return save_figure(fig, out_dir / f"bestk_{task}.png")


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
        ax.set(title=agg, xlim=(-0.05, 1.05), ylim=(-0.05, 1.05), xlabel=f"{names[gi]} reward",
               ylabel=f"{names[di]} reward")
    for ax in list(axes.flat)[len(aggregators):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(f"{task} seed {records[0]['front_instance_seed']}: gold vs diamond of 64 samples per seed")
    return save_figure(fig, out_dir / f"fronts_{task}.png")


def save_figure(fig: Any, path: Path) -> Path:
    """Write ``fig`` to ``path`` atomically (a temporary file renamed over it) and close it."""
    fig.tight_layout()
    tmp = path.with_name("tmp_" + path.name)
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def write_report(out_dir: Path, rows: list[dict[str, Any]], plots: list[Path], header: str,
                 verdict_section: str = "", extra: str = "") -> Path:
    """``report.md``: the verdict, the summary table, metric definitions, per-objective tables and the plots."""
    summary = summarize(rows)
    shown, _ = shown_columns(summary)
    lines = ["# vecreward compare", "", header, ""]
    if verdict_section:
        lines += [verdict_section, ""]
    if extra:
        lines += [extra, ""]
    headline = [m for m in HEADLINE_CANDIDATES if any(m in r for r in rows)]
    defined = list(dict.fromkeys([*shown, *headline]))
    lines += ["## Summary (mean +- std over seeds)", "", markdown_table(summary), "", metric_definitions(defined), "",
              "## Per-objective means", "", objective_tables(rows), "", "## Plots", ""]
    lines += [f"![{p.stem}]({p.name})" for p in plots]
    lines += ["", "Tidy results: `results.csv` / `results.parquet` (one row per run and evaluation step; columns in "
              "docs/compare.md). Recompute this report: `vecreward report <this directory>`. TensorBoard: "
              "`tensorboard --logdir runs/`."]
    path = out_dir / "report.md"
    _atomic_bytes(path, ("\n".join(lines) + "\n").encode())
    return path
