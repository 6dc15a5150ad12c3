"""examples/critique_refinement.py: both arms train at equal sampled answers and the refinement metrics come back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "critique_refinement.py"


def test_quick_run_reports_both_arms(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--task", "toolcall", "--steps", "3", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert set(result) == {"plain G=8", "refine G=6 + R=2"}
    assert "refine/fixed_rate" in result["refine G=6 + R=2"] and "refine/fixed_rate" not in result["plain G=8"]
    assert "8 sampled answers per group in both arms" in done.stdout
