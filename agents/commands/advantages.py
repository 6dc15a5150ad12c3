"""``vecreward advantages``: every aggregation scheme's advantages for one small reward matrix, side by side.

    vecreward advantages '[[1,1,0],[1,0,0],[0,1,1],[0,0,0]]'          # one group [G, K]
    vecreward advantages --file rewards.json --weights '[2,1,1]'       # [G, K], [B, G, K] or chains [B, G, m, K]

``null`` (or ``NaN``) in the JSON marks an objective as not applicable. Set-level schemes (``kind == "set_level"``,
e.g. ``vpo``) see each rollout of a ``[G, K]`` / ``[B, G, K]`` input as a chain of one answer;
with chains ``[B, G, m, K]`` only the set-level schemes apply.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

NAME = "advantages"
HELP = "Print every aggregation scheme's advantages for a small reward matrix, side by side."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``vecreward advantages``."""
    parser.add_argument("rewards", nargs="?", help="rewards as JSON: [G, K], [B, G, K] or [B, G, m, K]; "
                        "null = not applicable")
    parser.add_argument("--file", type=Path, help="read the rewards JSON from this file instead")
    parser.add_argument("--weights", help="objective weights as a JSON list of K numbers (schemes that use them)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random draws (vpo's Dirichlet weights)")
    parser.add_argument("--step", type=int, default=0, help="training step (rvpo's temperature schedule)")
    parser.add_argument("--schemes", help="comma-separated scheme names (default: all)")
    parser.add_argument("--param", action="append", default=[], metavar="SCHEME.NAME=VALUE",
                        help="a scheme parameter, e.g. rvpo.tau=1.0 or max_at_k.k=2 (VALUE is JSON; repeatable)")
    parser.add_argument("--max-groups", type=int, default=MAX_GROUPS,
                        help=f"refuse inputs with more groups B than this: the tables print one block per group "
                        f"(default: {MAX_GROUPS}; groups of more than {MAX_GROUP_SIZE} rollouts are refused too; for "
                        "large logs use vecreward diagnose)")


MAX_GROUPS = 20
"""Groups printed at most (each is a table of G rows)."""
MAX_GROUP_SIZE = 256
"""Rollouts per group printed at most (one table row each)."""
MAX_DEPTH = 64
"""JSON nesting accepted at most (rewards are at most 4 levels deep)."""


class _UsageError(ValueError):
    """A problem with what the user typed: reported in one line, exit code 2."""


def _nan_for_null(value: Any) -> Any:
    if value is None:
        return float("nan")
    if isinstance(value, list):
        return [_nan_for_null(v) for v in value]
    return value


def _load_json(text: str, what: str) -> Any:
    depth = _max_depth(text)
    if depth > MAX_DEPTH:
        raise _UsageError(f"{what} is nested {depth} levels deep; rewards are at most 4 ([B, G, m, K]) and JSON "
                          f"deeper than {MAX_DEPTH} is refused")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _UsageError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise _UsageError(f"{what} is nested too deeply") from None


def _max_depth(text: str) -> int:
    """Deepest bracket nesting of ``text`` (outside strings), in one pass: refuse before the recursive parser runs."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _read_rewards(args: argparse.Namespace) -> Any:
    import numpy as np

    if (args.rewards is None) == (args.file is None):
        raise _UsageError("give the rewards either as a JSON argument or with --file PATH (exactly one)")
    if args.file is not None:
        try:
            text = args.file.read_text()
        except OSError as exc:
            raise _UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        data = _load_json(text, f"{args.file}")
    else:
        data = _load_json(args.rewards, "the rewards argument")
    try:
        r = np.asarray(_nan_for_null(data), dtype=np.float64)
    except (TypeError, ValueError):
        raise _UsageError("rewards must be a rectangular nested list of numbers (null = not applicable)") from None
    if r.ndim == 2:
        r = r[None]  # one group
    if r.ndim not in (3, 4) or r.size == 0:
        raise _UsageError(f"rewards must be [G, K], [B, G, K] or [B, G, m, K] and non-empty, got shape {r.shape}")
    if r.shape[0] > args.max_groups:
        raise _UsageError(f"rewards have {r.shape[0]} groups; this command prints at most --max-groups "
                          f"{args.max_groups} (for large reward logs: vecreward diagnose)")
    if r.shape[1] > MAX_GROUP_SIZE:
        raise _UsageError(f"rewards have groups of {r.shape[1]} rollouts; this command prints at most "
                          f"{MAX_GROUP_SIZE} per group (for large reward logs: vecreward diagnose)")
    if np.isinf(r).any():
        raise _UsageError("rewards contain infinite values; use null for 'not applicable'")
    return r


def _parse_params(items: list[str], names: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        scheme, dot, param = key.partition(".")
        if not sep or not dot or not param:
            raise _UsageError(f"--param {item!r}: expected SCHEME.NAME=VALUE, e.g. rvpo.tau=1.0")
        if scheme not in names:
            shown = ", ".join(names)
            raise _UsageError(f"--param {item!r}: scheme {scheme!r} is not among the schemes shown ({shown})")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw  # a bare string such as group or monte_carlo
        out.setdefault(scheme, {})[param] = value
    return out


def _ranking(values: list[float]) -> str:
    """Rollout indices from best to worst advantage, ``=`` joining ties (to 1e-9)."""
    order = sorted(range(len(values)), key=lambda i: (-values[i], i))
    parts: list[str] = []
    for i in order:
        if parts and abs(values[i] - values[int(parts[-1].split("=")[-1])]) <= 1e-9:
            parts[-1] += f"={i}"
        else:
            parts.append(str(i))
    return " > ".join(parts)


def _fmt(vector: Any) -> str:
    return "[" + ", ".join("-" if v != v else f"{v:g}" for v in vector) + "]"


def run(args: argparse.Namespace) -> int:
    """Print the table(s); returns the exit code."""
    import numpy as np
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from llm_bridge.aggregators import AGGREGATORS, SPECS

    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        console = Console(width=200)
    errors = Console(stderr=True, soft_wrap=True)
    names = list(AGGREGATORS)
    try:
        r = _read_rewards(args)
        weights = None
        if args.weights is not None:
            data = _load_json(args.weights, "--weights")
            try:
                weights = np.asarray(_nan_for_null(data), dtype=np.float64)
            except (TypeError, ValueError):
                weights = None
            if weights is None or weights.ndim != 1 or weights.shape[0] != r.shape[-1]:
                raise _UsageError(f"--weights must be a JSON list of K={r.shape[-1]} numbers")
        chosen = names if not args.schemes else [s.strip() for s in args.schemes.split(",") if s.strip()]
        unknown = [s for s in chosen if s not in names]
        if unknown or not chosen:
            raise _UsageError(f"--schemes: unknown scheme(s) {unknown}; valid: {', '.join(names)}")
        params = _parse_params(args.param, chosen)
        chains = r.ndim == 4
        results: dict[str, Any] = {}
        skipped: list[str] = []
        for name in chosen:
            spec = SPECS[name]
            if chains and spec.level == "vector":
                skipped.append(name)
                continue
            x = r if chains or spec.level == "vector" else r[:, :, None, :]
            w = weights if spec.uses_weights else None
            results[name] = AGGREGATORS[name](
                x, weights=w, rng=np.random.default_rng(args.seed), step=args.step, **params.get(name, {})
            )
    except ValueError as exc:  # _UsageError included: bad input, never a traceback
        errors.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        return 2

    b, g = r.shape[:2]
    for bi in range(b):
        title = f"Advantages, group {bi}" if b > 1 else "Advantages"
        table = Table(title=title, title_justify="left", show_lines=False)
        table.add_column("scheme", style="bold", no_wrap=True)
        for gi in range(g):
            header = f"r{gi}" if chains else f"r{gi}\n{_fmt(r[bi, gi])}"
            table.add_column(header, justify="right")
        table.add_column("ranking (best > worst)", no_wrap=True)
        for name, adv in results.items():
            row = [float(v) for v in adv[bi]]
            cells = [
                f"[green]{v:+.3f}[/]" if v > 1e-12 else f"[red]{v:+.3f}[/]" if v < -1e-12 else f"[dim]{0:+.3f}[/]"
                for v in row
            ]
            table.add_row(name, *cells, _ranking(row))
        console.print(table)
        if chains:
            for gi in range(g):
                console.print(f"  r{gi}: " + "  ".join(_fmt(a) for a in r[bi, gi]), highlight=False)
    notes = []
    set_level = [n for n in SPECS if SPECS[n].level == "set"]
    if not chains and any(n in results for n in set_level):
        notes.append(f"set-level schemes ({', '.join(set_level)}) see each rollout as a chain of one answer")
    if skipped:
        notes.append("chains [B, G, m, K] given: only the set-level schemes apply")
    if weights is not None:
        unweighted = [n for n in results if not SPECS[n].uses_weights]
        if unweighted:
            notes.append(f"--weights not used by {', '.join(unweighted)}")
    outcome = [n for n in SPECS if SPECS[n].kind == "outcome"]
    if any(n in results for n in outcome):
        notes.append(f"{'/'.join(outcome)}: success = every applicable objective >= threshold (default 1.0)")
    if "max_at_k" in results and np.any(np.all(results["max_at_k"] == 0, axis=1)):
        k = params.get("max_at_k", {}).get("k", SPECS["max_at_k"].defaults()["k"])
        notes.append(f"max_at_k (k={k}) is 0 where every {k}-subset of the group has the same best value")
    notes.append("'-' = not applicable; formulas and conventions: docs/aggregators/")
    for note in notes:
        console.print(f"[dim]{note}[/]", highlight=False)
    return 0
