"""``vecreward demo``: show maze instances, their exact Pareto fronts, routes and reward vectors.

Trains nothing. It shows what the aggregators will have to choose between: routes that each win on a different
objective, which a plain sum of the vector cannot tell apart.
"""

from __future__ import annotations

import argparse

import numpy as np

NAME = "demo"
HELP = "Show conflicting-objective mazes, their exact Pareto fronts and the reward vectors of routes."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``vecreward demo``."""
    parser.add_argument("--seed", type=int, default=0, help="first maze seed (default 0)")
    parser.add_argument("--mazes", type=int, default=2, help="how many mazes to show (default 2)")
    parser.add_argument("--size", type=int, default=9, help="grid side (default 9, the reference maze)")
    parser.add_argument("--item-types", type=int, default=2, help="collectable item types, K = types + 2")
    parser.add_argument("--score-mode", choices=["convex_bonus", "linear"], default="convex_bonus")
    parser.add_argument("--prompt", action="store_true", help="also print the LLM prompt of each maze")


def _path_overlay(instance: object, route: np.ndarray) -> list[list[str]]:
    rows = instance.symbol_rows()  # type: ignore[attr-defined]
    size = len(rows)
    r, c = instance.start  # type: ignore[attr-defined]
    for move in route:
        if move == 4:
            break
        dr, dc = ((-1, 0), (1, 0), (0, -1), (0, 1))[int(move)]
        if 0 <= r + dr < size and 0 <= c + dc < size and rows[r + dr][c + dc] != "#":
            r, c = r + dr, c + dc
        if (r, c) == instance.end:  # type: ignore[attr-defined]
            break
        if rows[r][c] == ".":
            rows[r][c] = "*"
    return rows


def _styled_grid(rows: list[list[str]]) -> str:
    colors = {"#": "grey50", "G": "bold yellow", "D": "bold cyan", "L": "bold red", "B": "bold magenta",
              "S": "bold green", "E": "bold green", "*": "bold white", "l": "red"}
    return "\n".join(" ".join(f"[{colors[s]}]{s}[/]" if s in colors else s for s in row) for row in rows)


def run(args: argparse.Namespace) -> int:
    """Print the demo; returns the exit code."""
    from rich.columns import Columns
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from vecreward_envs.maze import MazeConfig, MazeFamily
    from vecreward_envs.maze.text import format_route

    console = Console()
    try:
        family = MazeFamily(MazeConfig(size=args.size, n_item_types=args.item_types, score_mode=args.score_mode))
        if args.mazes < 1:
            raise ValueError("--mazes must be >= 1")
        instances = family.instances(args.seed, args.mazes)
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    names = family.reward_names
    console.rule(f"[bold]vecreward demo[/]: the conflicting-objective maze, K = {len(names)} objectives")
    console.print("Reward vector = (" + ", ".join(names) + "); all zeros unless the route reaches E.\n")
    for inst in instances:
        front = family.pareto_front(inst)
        table = Table(title=f"Exact Pareto front: {len(front.rewards)} of {front.n_reachable} reachable vectors",
                      title_justify="left")
        table.add_column("#", justify="right")
        for name in names:
            table.add_column(name, justify="right")
        table.add_column("sum", justify="right", style="bold")
        table.add_column("witness route (U/D/L/R)")
        for i, (vector, route) in enumerate(zip(front.rewards, front.routes, strict=True)):
            moves = "".join(word[0] for word in format_route(route).split())
            table.add_row(str(i), *(f"{v:.3f}" for v in vector), f"{vector.sum():.3f}", moves)
        best = front.rewards.sum(axis=1)
        panels = [Panel(_styled_grid(inst.symbol_rows()), title=f"maze seed {inst.seed}",
                        subtitle=f"budget {inst.budget}", expand=False)]
        for i in range(min(2, len(front.routes))):
            panels.append(Panel(_styled_grid(_path_overlay(inst, front.routes[i])), title=f"front route {i}",
                                expand=False))
        console.print(Columns(panels))
        console.print(table)
        ties = np.isclose(best[:, None], best[None, :]) & ~np.eye(len(best), dtype=bool)
        if ties.any():
            console.print("[yellow]Distinct front vectors with the same sum:[/] a sum-then-normalize scheme (GRPO)"
                          " gives them the same advantage.")
        if args.prompt:
            console.print(Panel(family.prompt(inst), title="LLM prompt (text view)"))
    console.print("Envs: vecreward/ConflictMaze-v0 (MDP, numba-batched with gymnasium.make_vec), "
                  "vecreward/ConflictMazeRoute-v0 (one route per episode; view='text' for LLMs).")
    return 0
