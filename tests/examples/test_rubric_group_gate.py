"""examples/rubric_group_gate.py: the hand-made step is as documented, and the script runs end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "rubric_group_gate.py"


def test_script_runs_and_prints_every_arm(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--steps", "3", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    # the gate rejects the second hand-made group (1 of 4 rollouts shows the feature): advantage 0 for all four
    gate_line = next(line for line in lines if line.startswith("rubric as group gate") and "advantages" in line)
    assert gate_line.endswith("[0.0, 0.0, 0.0, 0.0]]")
    for arm in ("no rubric", "rubric as points", "rubric as group gate"):
        assert sum(line.startswith(arm) for line in lines) == 2  # the hand-made step and the trained result
