"""An atlas's outputs, from its directory: the tidy table, the heat maps, ``atlas.md`` and the printed summary.

An atlas directory holds ``atlas.json`` (what was asked) and one comparison directory per setting
(``<label>/runs/<task>/<scheme>/seed<s>``, ``<label>/compare.json``), each a ``vecreward compare`` directory of its
own (``vecreward report <atlas>/<label>`` works on it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.atlas import winners
from agents.atlas.settings import Axis, label
from agents.compare import assemble as compare_assemble
from agents.compare import report
from agents.compare.assemble import assemble
from agents.compare.verdict import HEADLINE_MIN_SPREAD, METRICS, constant_metrics, final_rows
from llm_bridge.aggregators import get_spec

META = "atlas.json"
DEFAULT_METRICS = ("eval/best@1", "eval/bottleneck", "eval/pareto_count", "eval/hypervolume", "eval/pass@1")
"""Heat maps drawn by default (those with a finite value somewhere)."""


def write_meta(out: Path, meta: dict[str, Any]) -> None:
    """``atlas.json``, atomically."""
    compare_assemble.write_meta(out, meta, META)


def read_meta(out: Path) -> dict[str, Any]:
    """``atlas.json`` ({} when absent or unreadable)."""
    return compare_assemble.read_meta(out, META)


@dataclass
class AtlasOutputs:
    """What ``write_outputs`` produced."""

    report: Path
    table: Path
    heatmaps: list[Path]
    summaries: dict[str, str]
    """Metric -> its markdown winners table (also printed)."""


def setting_rows(out: Path, settings: list[dict[str, Any]], axes: list[Axis]
                 ) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Label -> (setting, tidy rows of its finished runs), for the settings that have any."""
    found = {}
    for setting in settings:
        name = label(setting, axes)
        directory = out / name
        rows = report.tidy_rows(directory, report.load_records(directory)) if (directory / "runs").is_dir() else []
        if rows:
            found[name] = (setting, rows)
    return found


PER_SAMPLE = ("eval/best@1", "eval/pass@1")
"""Metrics of one sample: for a set-level scheme a sample is a chain of m answers, counted by its best answer."""


def write_outputs(out: Path, task: str, settings: list[dict[str, Any]], axes: list[Axis], schemes: list[str],
                  header: str, metrics: tuple[str, ...] = DEFAULT_METRICS, explicit: bool = False) -> AtlasOutputs:
    """Write ``atlas.csv``/``.parquet``, one heat map per metric, every setting's own report, and ``atlas.md``.

    When set-level schemes sit beside single-answer ones, best@1 and pass@1 are left off the default map (a chain's
    best of m answers against one answer is not a like-for-like number) unless ``explicit`` (``--metrics``) asks.

    Raises:
        ValueError: no setting has a finished run.
    """
    by_label = setting_rows(out, settings, axes)
    if not by_label:
        raise ValueError(f"{out} holds no finished run in any setting")
    table_rows = []
    for name, (setting, rows) in by_label.items():
        assemble(out / name, header=f"{header} Setting {name}.")  # the setting's own report, plots and tables
        shown = {a.key: (json.dumps(list(v)) if isinstance(v := setting[a.key], tuple) else v) for a in axes}
        table_rows += [{"setting": name, **shown, **row} for row in rows]
    (out / "atlas.parquet").unlink(missing_ok=True)  # a table from an earlier pass must not outlive this one
    report.write_tables(out, table_rows)
    os.replace(out / "results.csv", out / "atlas.csv")
    if (out / "results.parquet").exists():
        os.replace(out / "results.parquet", out / "atlas.parquet")
    levels = {get_spec(s).chain_length > 1 for s in schemes}
    unfair = [] if explicit or len(levels) < 2 else [m for m in metrics if m in PER_SAMPLE]
    metrics = tuple(m for m in metrics if m not in unfair)
    all_rows = [row for _, rows in by_label.values() for row in rows]
    present = winners.metrics_present(final_rows(all_rows), metrics)
    flat = constant_metrics(final_rows(all_rows), present, HEADLINE_MIN_SPREAD)  # e.g. pass@1 = 0 everywhere
    shown_metrics = [m for m in present if m not in flat]
    sections, heatmaps, summaries = [], [], {}
    for metric in shown_metrics:
        grid = winners.cells(task, by_label, metric)
        summaries[metric] = winners.markdown(grid, axes, metric)
        name = metric.split("/")[-1].replace("@", "_at_")
        image = winners.plot(grid, axes, metric, schemes, out / f"heatmap_{name}.png")
        heatmaps.append(image)
        info = METRICS[metric]
        sections += [f"## {info.label}", "", f"{info.definition} ({'higher' if info.higher_is_better else 'lower'} "
                     "is better).", "", f"![{info.label}]({image.name})", "", summaries[metric], ""]
    missing = [label(s, axes) for s in settings if label(s, axes) not in by_label]
    if unfair:
        sections += ["## Not mapped: per-sample metrics", "", "Set-level schemes sample chains of m answers and "
                     "their " + ", ".join(METRICS[m].label for m in unfair) + " counts a chain by its best answer, "
                     "against one answer for the other schemes: not a like-for-like number, so it is left off the "
                     "map (ask for it with --metrics). The pool metrics above compare equal pools of answers.", ""]
    if flat:
        sections += ["## Not mapped", "", "These metrics take one value in every run of every setting, so they decide "
                     "nothing: " + ", ".join(f"{METRICS[m].label} = {v:.3g}" for m, v in flat.items()), ""]
    lines = [f"# Atlas: {task}", "", header, "",
             "Each cell is one family setting; its winners are the verdict's tied-for-best set over the seeds (paired "
             "t-test with Holm's correction against the best mean; docs/compare.md, verdict). Tables: `atlas.csv` "
             "(the tidy table of every setting, with the setting's knobs as columns). Each setting's own report: "
             "`<setting>/report.md`.", ""]
    if missing:
        lines += [f"Settings with no finished run (not shown): {', '.join(missing)}", ""]
    lines += sections
    lines += ["## Settings", ""] + [f"- [{name}]({name}/report.md): {json.dumps(setting, default=str)}"
                                    for name, (setting, _) in by_label.items()]
    path = out / "atlas.md"
    path.write_text("\n".join(lines) + "\n")
    return AtlasOutputs(report=path, table=out / "atlas.csv", heatmaps=heatmaps, summaries=summaries)
