"""Wall time of ``vecreward atlas --preset quick``: the local pool against one process, in the same run.

The atlas runs twice into fresh directories, through the command line a user types: with ``--jobs 1`` (one worker
process, runs one after the other: the baseline) and with ``--jobs N`` (default: every core). Wall time includes
start-up and the outputs (per-setting reports, heat maps), since a user pays them. Target (issue 14): the quick
preset in <= 10 minutes on 2 cores; the speed-up is the ratio to the one-process time measured in the same run.

    python benchmarks/atlas_wall.py            # the measurement in docs/benchmarks.md (about 15 minutes)
    python benchmarks/atlas_wall.py --quick    # smoke run (easyhard probe, 2 settings, seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 600.0


def atlas(argv: list[str], out: Path, jobs: int) -> float:
    """Wall seconds of one ``vecreward atlas`` invocation."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "agents.cli", "atlas", *argv, "--out", str(out), "--jobs", str(jobs)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-1500:] + done.stderr[-1500:])
    return time.perf_counter() - started


def main() -> None:
    """Time the preset with one worker and with the pool; print the ratio and the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: easyhard probe, 2 settings, 2 schemes")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers of the pool")
    args = parser.parse_args()
    argv = (["--task", "easyhard", "--vary", "n_options=4,8", "--aggregators", "grpo,gdpo", "--seeds", "1"]
            if args.quick else ["--preset", "quick"])
    print(f"vecreward atlas {' '.join(argv)}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        serial = atlas(argv, Path(tmp) / "serial", 1)
        pooled = atlas(argv, Path(tmp) / "pool", args.jobs)
    mode = "QUICK: not a measurement" if args.quick else "full"
    print(f"{'how':<28} {'wall (s)':>9} {'speed-up':>9}   ({mode})")
    print(f"{'1 worker (--jobs 1)':<28} {serial:9.1f} {1.0:8.2f}x")
    print(f"{f'local pool (--jobs {args.jobs})':<28} {pooled:9.1f} {serial / pooled:8.2f}x")
    verdict = "met" if pooled <= TARGET_SECONDS else "NOT met"
    print(f"target: the quick preset in <= {TARGET_SECONDS:.0f} s on 2 cores: {pooled:.0f} s ({verdict})")


if __name__ == "__main__":
    main()
