"""Learning curves of a transfer study: one panel per side, each scheme's metric from its warm start to its budget."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from agents.compare.report import line_style, save_figure
from agents.transfer.report import SIDE_NAMES, StudyLayout
from llm_bridge.run_logging import read_metrics_file


def curves(layout: StudyLayout, side: str, metric: str) -> dict[str, dict[int, list[float]]]:
    """Scheme -> {steps trained: values over seeds}; 0 is the evaluation after the warm start, before RL."""
    out: dict[str, dict[int, list[float]]] = {}
    root = layout.out / "runs" / side / layout.task
    if not root.is_dir():
        return out
    for scheme_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        points: dict[int, list[float]] = defaultdict(list)
        for seed_dir in sorted(p for p in scheme_dir.iterdir() if p.is_dir()):
            rows, _ = read_metrics_file(seed_dir / "metrics.jsonl")
            for row in rows:
                if row.get("step") == 0 and isinstance(row.get("start/" + metric), (int, float)):
                    points[0].append(float(row["start/" + metric]))
                if isinstance(row.get(metric), (int, float)):
                    points[int(row["step"]) + 1].append(float(row[metric]))
        if points:
            out[scheme_dir.name] = dict(points)
    return out


def plot_curves(layout: StudyLayout, metric: str, labels: dict[str, str]) -> Path | None:
    """``curves_<task>.png`` in the study's directory (None when matplotlib is missing or nothing ran yet)."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sides = [s for s in layout.budgets if curves(layout, s, metric)]
    if not sides:
        return None
    fig, axes = plt.subplots(1, len(sides), figsize=(6.5 * len(sides), 4.8), squeeze=False)
    schemes = sorted({scheme for side in sides for scheme in curves(layout, side, metric)})
    for ax, side in zip(axes[0], sides, strict=True):
        for scheme, points in curves(layout, side, metric).items():
            steps = sorted(points)
            mean = np.array([np.mean(points[s]) for s in steps])
            style: dict[str, Any] = line_style(schemes.index(scheme), plt)  # a scheme's colour in every panel
            ax.plot(steps, mean, label=f"{scheme} (n={max(len(v) for v in points.values())})", **style)
            ax.fill_between(steps, [min(points[s]) for s in steps], [max(points[s]) for s in steps],
                            color=style["color"], alpha=0.12, linewidth=0)
        for budget in layout.budgets[side]:
            ax.axvline(budget, color="grey", linewidth=0.6, linestyle=":")
        import textwrap

        title = f"{layout.task}: {labels.get(side, SIDE_NAMES.get(side, side))}"
        ax.set(xlabel="RL steps (0: after the warm start)", ylabel=metric)
        ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("mean over seeds; band: min-max over seeds; dotted: the two budgets", fontsize=9)
    return save_figure(fig, layout.out / f"curves_{layout.task}.png")
