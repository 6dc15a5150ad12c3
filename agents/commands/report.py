"""``vecreward report PATH``: recompute a comparison's summary, verdict, plots and report.

PATH is a comparison directory (``vecreward compare --out``; its runs, and a budget recheck if there is one), or a
tidy results table in CSV, Parquet or JSONL with at least the columns ``task``, ``aggregator``, ``seed`` and metric
columns ``eval/...`` (``step`` optional; docs/compare.md), so verdicts can be redone on results made elsewhere.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "report"
HELP = "Recompute the summary, verdict, plots and report.md of a comparison directory or a tidy results table."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the report."""
    parser.add_argument("path", type=Path, help="a comparison directory, or a results table (.csv, .parquet, .jsonl)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the report for a table (default: <table name>-report/ beside it); a "
                        "directory is reported in place")


def run(args: argparse.Namespace) -> int:
    """Read, recompute, write, print."""
    from rich.console import Console

    from agents.compare.assemble import assemble
    from agents.compare.report import read_table

    console = Console() if Console().is_terminal else Console(width=170)
    path: Path = args.path
    try:
        if path.is_dir():
            if args.out is not None:
                raise ValueError("--out is for a results table; a comparison directory is reported in place")
            outputs = assemble(path, header=f"Report recomputed from {path}", console=console)
        elif path.is_file():
            rows = read_table(path)
            out = args.out or path.with_name(path.stem + "-report")
            if out.exists() and not out.is_dir():
                raise ValueError(f"--out {out} is a file, not a directory")
            out.mkdir(parents=True, exist_ok=True)
            outputs = assemble(out, rows=rows, header=f"Report of the results table {path}", console=console)
        else:
            raise ValueError(f"{path} does not exist")
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/] {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", soft_wrap=True)
        return 2
    console.print(f"Report: {outputs.report}")
    return 0
