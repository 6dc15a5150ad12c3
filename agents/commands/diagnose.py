"""``vecreward diagnose``: which aggregation scheme fits the reward groups of your own run.

    vecreward diagnose rewards.csv                       # a `group` column + one numeric column per objective
    vecreward diagnose rewards.jsonl --json diag.json    # also JSONL, Parquet, or a .npy [B, G, K]

Prints the overall numbers (zero-spread groups, GRPO/GDPO advantage collapse), a per-objective table (mean,
not-applicable fraction, zero spread, share of the summed reward's variance), the within-group correlations and
the suggested schemes, each with the measured property behind it. Definitions: ``docs/diagnose.md``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

NAME = "diagnose"
HELP = "Diagnose reward logs (CSV, JSONL, Parquet with a group column, or .npy [B, G, K]): collapse, dominance, " \
       "spread, correlations, suggested schemes."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``vecreward diagnose``."""
    parser.add_argument("file", type=Path, help="reward log: .csv, .jsonl or .parquet with a 'group' column (the "
                        "prompt id) and one numeric column per objective (empty/NaN = not applicable), or a .npy "
                        "array [B, G, K]")
    parser.add_argument("--json", type=Path, metavar="OUT",
                        help="also write the diagnosis as JSON to OUT (NaN -> null)")


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file, then ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
    os.replace(tmp, path)


def _f(x: float | None, pct: bool = False) -> str:
    if x is None or x != x:
        return "-"
    return f"{100 * x:.1f}%" if pct else f"{x:.3f}"


def _print(console: Any, d: dict[str, Any], source: str, ignored: list[str]) -> None:
    from rich.markup import escape
    from rich.table import Table

    names = d["objectives"]
    console.print(f"[bold]{escape(source)}[/]: {d['n_groups']} groups of {d['group_size']} rollouts, "
                  f"{len(names)} objectives: {escape(', '.join(names))}", highlight=False)
    if ignored:
        console.print(f"[dim]columns not taken as objectives: {escape(', '.join(ignored))}[/]", highlight=False)
    overall = Table(title="Groups", title_justify="left")
    overall.add_column("measure", style="bold")
    overall.add_column("value", justify="right")
    overall.add_column("meaning")
    overall.add_row("zero_spread_fraction", _f(d["zero_spread_fraction"], True),
                    "groups whose summed reward is the same for every rollout (no signal for GRPO)")
    overall.add_row("all_fail_fraction", _f(d["all_fail_fraction"], True),
                    "groups where no rollout reaches 1 on every applicable objective")
    overall.add_row("mean_distinct_vectors", _f(d["mean_distinct_vectors"]), "distinct reward vectors per group")
    overall.add_row("informative_fraction", _f(d["informative_fraction"], True),
                    "groups with >= 2 distinct reward vectors (where collapse is counted)")
    overall.add_row("grpo_collapse_fraction", _f(d["grpo_collapse_fraction"], True),
                    "of those: GRPO gives fewer advantage levels than distinct vectors")
    overall.add_row("gdpo_collapse_fraction", _f(d["gdpo_collapse_fraction"], True), "the same for GDPO")
    console.print(overall)

    per = Table(title="Objectives", title_justify="left")
    for col, justify in (("objective", "left"), ("mean", "right"), ("not applicable", "right"),
                         ("zero spread", "right"), ("variance share", "right")):
        per.add_column(col, justify=justify)  # type: ignore[arg-type]
    for n in names:
        o = d["per_objective"][n]
        per.add_row(escape(n), _f(o["mean"]), _f(o["nan_fraction"], True), _f(o["zero_spread_fraction"], True),
                    _f(o["variance_share"], True))
    console.print(per)

    if len(names) >= 2:
        corr = Table(title="Within-group correlation", title_justify="left")
        corr.add_column("")
        for n in names:
            corr.add_column(escape(n), justify="right")
        for n, values in zip(names, d["correlation"], strict=True):
            corr.add_row(escape(n), *(f"{v:+.2f}" if v == v else "-" for v in values))
        console.print(corr)

    console.print("[bold]Suggested[/]")
    for s in d["suggested"]:
        scheme = s["scheme"] or "(the data)"
        console.print(f"  [green]{escape(scheme)}[/] [dim]({s['rule']})[/]: {escape(s['reason'])}", highlight=False)
    console.print("[dim]definitions and rules: docs/diagnose.md[/]", highlight=False)


def run(args: argparse.Namespace) -> int:
    """Read the log, print the diagnosis, write the JSON; returns the exit code."""
    from rich.console import Console
    from rich.markup import escape

    from llm_bridge.diagnostics import diagnose, read_reward_log, to_jsonable

    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the tables into 80 columns
        console = Console(width=160)
    errors = Console(stderr=True, soft_wrap=True)
    try:
        log = read_reward_log(args.file)
        d = diagnose(log.rewards, log.names)
        if args.json is not None:
            try:
                _write_json(args.json, {**to_jsonable(d), "source": str(args.file), "ignored_columns": log.ignored})
            except OSError as exc:
                raise ValueError(f"cannot write {args.json}: {exc.strerror or exc}") from None
    except ValueError as exc:  # bad input: one line, exit code 2, never a traceback
        errors.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        return 2
    _print(console, d, str(args.file), log.ignored)
    if args.json is not None:
        console.print(f"wrote {escape(str(args.json))}", highlight=False)
    return 0
