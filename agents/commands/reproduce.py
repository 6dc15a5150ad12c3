"""``vecreward reproduce <claim>``: one claim of the seed papers measured at toy scale, next to the paper's number.

Each claim (``agents.reproduce.CLAIMS``) runs its measurement over ``--seeds`` seeds, prints a table (mean +- std
over seeds next to what the paper reports) with a one-line reading, and writes ``<out>/<claim>/result.json`` and
``result.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

NAME = "reproduce"
HELP = "Reproduce a claim of the seed papers at toy scale (--list for the claims); table next to the paper's number."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the reproduction."""
    parser.add_argument("claim", nargs="?", default=None, help="claim name (see --list), or 'all'")
    parser.add_argument("--list", action="store_true", help="list the claims and exit")
    parser.add_argument("--budget", default="default", choices=["tiny", "default"],
                        help="default: the measurement of docs/results.md (minutes on 2 cores); tiny: seconds, "
                        "a smoke test (default: default)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per method (default: 3)")
    parser.add_argument("--out", type=Path, default=Path("runs/reproduce"),
                        help="output directory; each claim writes <out>/<claim>/ (default: runs/reproduce)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes for training (default: cores)")


def run(args: argparse.Namespace) -> int:
    """Validate, run the claim(s), print and write the results."""
    from rich.console import Console

    from agents.reproduce import CLAIMS, get_claim
    from agents.reproduce.common import ReproduceConfig

    console = Console() if Console().is_terminal else Console(width=170)
    if args.list:
        _print_list(console, CLAIMS)
        return 0
    try:
        if args.claim is None:
            raise ValueError("name a claim (vecreward reproduce --list shows them), or 'all'")
        claims = list(CLAIMS.values()) if args.claim == "all" else [get_claim(args.claim)]
        config = ReproduceConfig(budget=args.budget, seeds=args.seeds, out=args.out,
                                 jobs=(os.cpu_count() or 1) if args.jobs is None else args.jobs)
        if len(claims) == 1:
            _check_needs(claims[0])
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    status = 0
    for claim in claims:
        try:
            _check_needs(claim)
        except ValueError as exc:
            console.print(f"[red]claim {claim.name}:[/] {exc}")
            status = 1
            continue
        status = max(status, _run_claim(console, claim, config))
    return status


def _check_needs(claim: object) -> None:
    from vecreward_envs.families import FAMILIES

    missing = [f for f in claim.needs if f not in FAMILIES]  # type: ignore[attr-defined]
    if missing:
        raise ValueError(f"claim {claim.name!r} needs the {', '.join(missing)} family, which is not registered in "  # type: ignore[attr-defined]
                         "vecreward_envs.families.FAMILIES yet")


def _run_claim(console: object, claim: object, config: object) -> int:
    from agents.reproduce.common import ClaimContext

    out = config.out / claim.name  # type: ignore[attr-defined]
    out.mkdir(parents=True, exist_ok=True)
    ctx = ClaimContext(config=config, out=out, console=console)  # type: ignore[arg-type]
    started = time.perf_counter()
    result = claim.load().run(ctx)  # type: ignore[attr-defined]
    wall = time.perf_counter() - started
    data = {"claim": claim.name, "number": claim.number, "title": claim.title,  # type: ignore[attr-defined]
            "paper": claim.paper, "budget": config.budget, "seeds": config.seeds,  # type: ignore[attr-defined]
            "rows": result.rows, "reading": result.reading, "plots": result.plots, "extra": result.extra,
            "wall_seconds": wall}
    path = out / "result.json"
    tmp = path.with_name("result.json.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=float))
    os.replace(tmp, path)
    md = out / "result.md"
    md_tmp = md.with_name("result.md.tmp")
    md_tmp.write_text(markdown(data))
    os.replace(md_tmp, md)
    _print_result(console, data)
    console.print(f"{wall:.0f} s. Written: {path}" + (f"; plots: {', '.join(result.plots)}" if result.plots else ""))  # type: ignore[attr-defined]
    return 0


def markdown(data: dict) -> str:
    """A claim's result as a Markdown table (mean +- std over seeds, per-seed values, the paper's number)."""
    lines = [f"| measure | method | ours: mean +- std ({data['seeds']} seeds) | per seed | paper |",
             "|---|---|---|---|---|"]
    for r in data["rows"]:
        per_seed = " ".join(f"{v:.3f}" for v in r["values"])
        ours = f"{r['mean']:.3f} +- {r['std']:.3f}"
        lines.append(f"| {r['measure']} | {r['method']} | {ours} | {per_seed} | {r['paper']} |")
    lines += ["", f"Paper: {data['paper']}.", "", f"Reading (computed): {data['reading']}."]
    return "\n".join(lines) + "\n"


def _print_list(console: object, claims: dict) -> None:
    from rich.table import Table

    table = Table(title="vecreward reproduce: claims")
    for head in ("#", "claim", "what", "paper reports"):
        table.add_column(head)
    for c in claims.values():
        table.add_row(str(c.number), c.name, c.title, c.paper)
    console.print(table)  # type: ignore[attr-defined]


def _print_result(console: object, data: dict) -> None:
    from rich.table import Table

    table = Table(title=f"claim {data['number']}: {data['title']} ({data['seeds']} seeds, budget {data['budget']})")
    for head in ("measure", "method", "ours: mean \u00b1 std", "per seed", "paper"):
        table.add_column(head)
    for r in data["rows"]:
        table.add_row(r["measure"], r["method"], f"{r['mean']:.3f} \u00b1 {r['std']:.3f}",
                      " ".join(f"{v:.3f}" for v in r["values"]), r["paper"])
    console.print(table)  # type: ignore[attr-defined]
    console.print(f"paper: {data['paper']}\nreading: {data['reading']}")  # type: ignore[attr-defined]
