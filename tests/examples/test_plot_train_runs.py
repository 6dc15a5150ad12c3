"""examples/plot_train_runs.py: curves start at the post-warm-start evaluation, and a bad directory is one line."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "plot_train_runs.py"


def _load_example():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("examples_plot_train_runs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_dir(path: Path) -> Path:
    path.mkdir()
    rows = [{"step": 0, "train/reward_scalar": 0.1, "start/eval/best@1": 0.2},
            {"step": 3, "eval/best@1": 0.4}, {"step": 7, "train/reward_scalar": 0.5, "eval/best@1": 0.6}]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_curve_starts_after_the_warm_start_and_counts_steps_trained(tmp_path: Path) -> None:
    run = _run_dir(tmp_path / "seed0")
    assert _load_example().eval_curve(run, "eval/best@1") == ([0, 4, 8], [0.2, 0.4, 0.6])


def test_script_writes_a_figure_and_refuses_a_directory_without_metrics(tmp_path: Path) -> None:
    run, out = _run_dir(tmp_path / "seed0"), tmp_path / "curves.png"
    done = subprocess.run([sys.executable, str(SCRIPT), str(run), "--out", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.stat().st_size > 0
    bad = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "nothing")], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "no metrics.jsonl in" in bad.stderr and "Traceback" not in bad.stderr
    unknown = subprocess.run([sys.executable, str(SCRIPT), str(run), "--metrics", "eval/nope"], capture_output=True,
                             text=True, timeout=120)
    assert unknown.returncode == 2 and "no run logged eval/nope" in unknown.stderr and "Traceback" not in unknown.stderr
