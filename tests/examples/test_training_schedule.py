"""examples/training_schedule.py runs end to end and prints every order's matrix, BWT and forgetting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "training_schedule.py"


def test_script_runs_and_prints_every_order(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--warm", "2", "--rl", "2", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    for name in ("structured-first", "open-first", "joint"):
        assert f"{name}: imitate:toolcall+maze:2" in out
    summaries = [line for line in out.splitlines() if "mean best@1" in line]
    assert len(summaries) == 3
    assert "BWT n/a" in summaries[2] and "BWT n/a" not in summaries[0]  # joint training leaves no task to measure
    assert (tmp_path / "joint" / "schedule.json").exists()
