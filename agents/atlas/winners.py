"""Who wins where: the verdict of every setting of an atlas, per metric, as a table and as heat maps.

A setting's winners are the verdict's tied-for-best set (``llm_bridge.grid_stats.verdict``: the best mean and every
scheme a paired t-test with Holm's correction cannot tell apart from it), so a cell never claims a single winner
that its seeds cannot support.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.atlas.settings import Axis
from agents.compare.verdict import METRICS, final_rows, per_seed
from llm_bridge.grid_stats import Verdict, verdict


@dataclass(frozen=True)
class Cell:
    """One setting's verdict on one metric."""

    setting: dict[str, Any]
    label: str
    verdict: Verdict | None
    """None: no finite value of the metric in this setting."""

    @property
    def tied(self) -> tuple[str, ...]:
        """The winners (best first)."""
        return () if self.verdict is None else self.verdict.tied

    def text(self) -> str:
        """``gdpo``, ``gdpo +2`` (two more tied), ``all tied`` or ``n/a``."""
        if self.verdict is None:
            return "n/a"
        n = len(self.verdict.means)
        if len(self.tied) == n and n > 1:
            return "all tied"
        return self.tied[0] + (f" +{len(self.tied) - 1}" if len(self.tied) > 1 else "")


def metrics_present(rows: Sequence[Mapping[str, Any]], wanted: Sequence[str]) -> list[str]:
    """The wanted metrics that have a finite value somewhere."""
    def finite(value: Any) -> bool:
        try:
            return math.isfinite(float(value))
        except (TypeError, ValueError):
            return False

    return [m for m in wanted if any(finite(r.get(m)) for r in rows)]


def cells(task: str, by_label: Mapping[str, tuple[dict[str, Any], list[dict[str, Any]]]], metric: str,
          alpha: float = 0.05) -> list[Cell]:
    """The verdict of every setting (label -> (setting, tidy rows)) on ``metric``, in setting order."""
    info = METRICS[metric]
    out = []
    for name, (setting, rows) in by_label.items():
        values = per_seed(final_rows(rows), task, metric)
        values = {scheme: seeds for scheme, seeds in values.items() if seeds}
        result = verdict(values, info.label, higher_is_better=info.higher_is_better, alpha=alpha) if values else None
        out.append(Cell(setting, name, result))
    return out


def win_counts(grid: Sequence[Cell]) -> dict[str, int]:
    """Scheme -> settings where it is among the winners (ties count for every tied scheme)."""
    counts: dict[str, int] = {}
    for cell in grid:
        for scheme in cell.tied:
            counts[scheme] = counts.get(scheme, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def markdown(grid: Sequence[Cell], axes: Sequence[Axis], metric: str) -> str:
    """A table: one row per setting, its winners and the best mean."""
    head = [a.key for a in axes]
    lines = [f"| {' | '.join(head)} | winners (tied for best) | best mean |",
             "|" + "---|" * (len(head) + 2)]
    for cell in grid:
        values = [str(cell.setting[a.key]) for a in axes]
        best = "n/a" if cell.verdict is None else f"{cell.verdict.means[cell.verdict.best]:.3f}"
        winners = "n/a" if cell.verdict is None else (
            "all tied" if cell.text() == "all tied" else ", ".join(cell.tied))
        lines.append(f"| {' | '.join(values)} | {winners} | {best} |")
    counts = win_counts(grid)
    lines += ["", f"Settings won (tied for best) on {METRICS[metric].label}: "
              + (", ".join(f"{s} {n}/{len(grid)}" for s, n in counts.items()) or "none")]
    return "\n".join(lines)


def plot(grid: Sequence[Cell], axes: Sequence[Axis], metric: str, schemes: Sequence[str], path: Path) -> Path:
    """The heat map of one metric; returns ``path``.

    Rows are the combinations of all axes but the last, columns the last axis. A cell's colour is its best scheme and
    its text the winners (``+n``: n more tied); hatched when several are tied, grey when all are.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    last = axes[-1]
    columns = list(last.values)
    row_keys: list[tuple[Any, ...]] = list(dict.fromkeys(
        tuple(c.setting[a.key] for a in axes[:-1]) for c in grid))
    colour = {s: plt.cm.tab20(i % 20) for i, s in enumerate(schemes)}
    fig, ax = plt.subplots(figsize=(1.6 + 1.7 * len(columns), 1.2 + 0.7 * len(row_keys)))
    for cell in grid:
        r = row_keys.index(tuple(cell.setting[a.key] for a in axes[:-1]))
        c = columns.index(cell.setting[last.key])
        tied = cell.tied
        face = (0.85, 0.85, 0.85, 1.0) if not tied or cell.text() == "all tied" else colour[tied[0]]
        ax.add_patch(plt.Rectangle((c, r), 1, 1, facecolor=face, edgecolor="white",
                                   hatch="//" if len(tied) > 1 and cell.text() != "all tied" else None))
        best = "" if cell.verdict is None else f"\n{cell.verdict.means[cell.verdict.best]:.3f}"
        ax.text(c + 0.5, r + 0.5, cell.text() + best, ha="center", va="center", fontsize=8)
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(row_keys), 0)
    ax.set_xticks([i + 0.5 for i in range(len(columns))], [str(v) for v in columns])
    ax.set_xlabel(last.key)
    row_name = ", ".join(a.key for a in axes[:-1])
    ax.set_yticks([i + 0.5 for i in range(len(row_keys))],
                  [", ".join(map(str, k)) for k in row_keys] if axes[:-1] else [""])
    ax.set_ylabel(row_name)
    ax.set_title(f"{METRICS[metric].label}: winner per setting (hatched: several tied; grey: all tied)", fontsize=9)
    used = [s for s in schemes if any(c.tied and c.tied[0] == s and c.text() != "all tied" for c in grid)]
    if used:
        ax.legend(handles=[Patch(facecolor=colour[s], label=s) for s in used], fontsize=7,
                  bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
