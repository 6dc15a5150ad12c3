"""Plot held-out evaluation curves of `vecreward train` runs: one line per run, from the warm start to the last step.

Each run directory holds ``metrics.jsonl``. Step 0 of a curve is the evaluation after the warm start
(``start/eval/*``, written with ``--eval-at-start``); step s is the evaluation after s RL steps. One panel per metric.

    python examples/plot_train_runs.py runs/sm2-structure-s0 runs/sm2-structure-s1 \
        --metrics eval/best@1,eval/invalid_rate --title "SmolLM2 on structure" --out curves.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from llm_bridge.run_logging import read_metrics_file


def eval_curve(run_dir: Path, metric: str) -> tuple[list[int], list[float]]:
    """(steps trained, values) of ``metric`` in ``run_dir``; step 0 is the post-warm-start evaluation if logged."""
    rows, _ = read_metrics_file(run_dir / "metrics.jsonl")
    steps: list[int] = []
    values: list[float] = []
    for row in rows:
        start = row.get("start/" + metric)
        if row.get("step") == 0 and isinstance(start, (int, float)):
            steps.append(0)
            values.append(float(start))
        if isinstance(row.get(metric), (int, float)):
            steps.append(int(row["step"]) + 1)
            values.append(float(row[metric]))
    return steps, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories (each with metrics.jsonl)")
    parser.add_argument("--metrics", default="eval/best@1", help="comma-separated metric names")
    parser.add_argument("--title", default="")
    parser.add_argument("--out", type=Path, default=Path("train_runs.png"))
    args = parser.parse_args()
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if not metrics:
        parser.error("--metrics: name at least one metric")
    missing = [str(r) for r in args.runs if not (r / "metrics.jsonl").is_file()]
    if missing:
        parser.error(f"no metrics.jsonl in: {', '.join(missing)}")
    absent = [m for m in metrics if not any(eval_curve(run, m)[0] for run in args.runs)]
    if absent:
        parser.error(f"--metrics: no run logged {', '.join(absent)} (names as in metrics.jsonl, e.g. eval/best@1)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for run in args.runs:
            steps, values = eval_curve(run, metric)
            ax.plot(steps, values, marker="o", label=f"{run.parent.name}/{run.name}")  # e.g. grpo/seed0
        ax.set_xlabel("RL steps (0: after the warm start)")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
