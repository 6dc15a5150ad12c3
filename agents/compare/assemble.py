"""A comparison's outputs, assembled from its directory or a tidy results table.

Tables, verdict, budget check, plots and ``report.md``: ``vecreward compare`` calls this when its runs are done,
``vecreward report`` calls it alone.

A comparison directory holds ``compare.json`` (what was asked: budget, steps, seeds), ``runs/<task>/<scheme>/seed<s>``
and, after ``--recheck-budget B``, ``recheck-B/runs/...`` with some schemes rerun at the longer budget.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.compare import report
from agents.compare.grid import BUDGETS
from agents.compare.verdict import (
    METRICS,
    budget_agreement,
    final_rows,
    headline_metrics,
    task_verdicts,
    verdict_lines,
)

META = "compare.json"
"""What a comparison directory was asked to run (written before the first run)."""


def write_meta(out: Path, meta: dict[str, Any], name: str = META) -> None:
    """``compare.json`` (or another meta file, e.g. the atlas's), atomically."""
    tmp = out / (name + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, out / name)


def read_meta(out: Path, name: str = META) -> dict[str, Any]:
    """``compare.json`` ({} when absent or unreadable: a directory made by an older version, or a bare table)."""
    try:
        return dict(json.loads((out / name).read_text()))
    except (OSError, ValueError, TypeError):
        return {}


def budget_note(meta: dict[str, Any], rechecked: bool) -> str:
    """What the budget measured, in one line (empty when the budget is unknown)."""
    budget = meta.get("budget")
    if budget not in BUDGETS:
        return ""
    steps = BUDGETS[budget].steps
    if budget == "quick":
        note = (f"Budget quick ({steps} training steps per run): this measures early learning speed, not where the "
                "schemes end up. On the maze the quick and standard rankings disagree (docs/compare.md, budget "
                "sensitivity)")
        return note + (": see the budget check below." if rechecked else
                       "; check a verdict with --recheck-budget standard before acting on it.")
    return f"Budget {budget} ({steps} training steps per run)."


@dataclass
class Outputs:
    """What ``assemble`` produced."""

    report: Path
    lines: list[str]
    """The verdict lines (printed by the commands)."""


def _sensitivity(rows: list[dict[str, Any]], recheck_rows: list[dict[str, Any]], budget: str, recheck: str
                 ) -> tuple[str, list[str]]:
    """Markdown section and console lines: does the short budget's ranking hold at the longer one?"""
    lines = [f"## Budget check: {budget} vs {recheck}", "",
             f"The schemes below were rerun at the {recheck} budget on the same seeds. Kendall's tau compares the "
             "two rankings of those schemes (1: same order, -1: reversed), with a 95% bootstrap interval over "
             "seeds; a flipped pair is ordered one way at one budget and the other way at the other.", ""]
    console = []
    for task in dict.fromkeys(str(r["task"]) for r in recheck_rows):
        finals = [r for r in final_rows(rows) if r["task"] == task]
        for metric in headline_metrics(finals):
            label = METRICS[metric].label
            agreement = budget_agreement(rows, recheck_rows, task, metric)
            flips = ", ".join(f"{a} > {b} became {b} > {a}" for a, b in agreement.flipped) or "none"
            text = (f"{task}, {label}: Kendall tau {agreement.tau:.2f} [{agreement.ci[0]:.2f}, {agreement.ci[1]:.2f}]"
                    f" over {len(agreement.schemes)} schemes; flipped pairs: {flips}")
            lines.append(f"- {text}")
            console.append(f"budget check {text}")
    verdicts = task_verdicts(recheck_rows)
    lines += ["", f"Verdict at the {recheck} budget (rechecked schemes only):", ""]
    lines += [f"- {line}" for line in verdict_lines(verdicts)]
    console += [f"at {recheck}: {line}" for line in verdict_lines(verdicts)]
    return "\n".join(lines), console


def assemble(out: Path, *, rows: list[dict[str, Any]] | None = None, header: str = "", console: Any = None
             ) -> Outputs:
    """Write ``results.csv``/``.parquet``, the plots and ``report.md`` for ``out``; print the summary and verdict.

    Args:
        out: the comparison directory (where everything is written).
        rows: a tidy results table to use instead of the directory's runs (``vecreward report FILE``).
        header: the report's first line (what ran, how long).
        console: a rich console to print the summary and verdict on (None: print nothing).

    Raises:
        ValueError: nothing to report (no finished run, or an empty or malformed table).
    """
    records = report.load_records(out) if rows is None else []
    if rows is None:
        rows = report.tidy_rows(out, records)
        if not rows:
            raise ValueError(f"{out} holds no finished run (runs/<task>/<scheme>/seed<s>/result.json)")
        report.write_tables(out, rows)
    meta = read_meta(out)
    recheck_dirs = sorted((p for p in out.glob("recheck-*") if (p / "runs").is_dir()),
                          key=lambda p: BUDGETS[b].steps if (b := p.name.removeprefix("recheck-")) in BUDGETS else 0)
    recheck_rows: list[dict[str, Any]] = []
    recheck_budget = ""
    if recheck_dirs:
        recheck_budget = recheck_dirs[-1].name.removeprefix("recheck-")
        recheck_rows = report.tidy_rows(recheck_dirs[-1], report.load_records(recheck_dirs[-1]))
    verdicts = task_verdicts(rows)
    note = budget_note(meta, bool(recheck_rows))
    lines = verdict_lines(verdicts, note)
    extra = ""
    if recheck_rows:
        extra, more = _sensitivity(rows, recheck_rows, str(meta.get("budget", "short")), recheck_budget)
        lines += more
    plots = report.plot_all(out, rows, records)
    path = report.write_report(out, rows, plots, header or f"Report of {out}",
                               report.verdict_markdown(verdicts, note), extra)
    if console is not None:
        report.print_summary(console, report.summarize(rows), lines)
    return Outputs(report=path, lines=lines)
