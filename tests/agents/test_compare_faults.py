"""A killed or interrupted comparison, and damaged files: nothing keeps running, nothing is lost, resume recovers.

Every test compares the final table with one uninterrupted run of the same grid (the runs are deterministic).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agents.cli import main
from agents.compare.report import read_table

GRID = ["compare", "--tasks", "probe", "--aggregators", "grpo,gdpo", "--seeds", "2", "--jobs", "2"]
ROOT = Path(__file__).resolve().parents[2]


def _table(out: Path) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "wall_seconds"} for row in read_table(out / "results.csv")]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> list[dict]:  # noqa: ANN001
    out = tmp_path_factory.mktemp("baseline") / "cmp"
    assert main([*GRID, "--out", str(out)]) == 0
    return _table(out)


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _default_sigint() -> None:
    # A shell without job control starts background commands (`.ci/run &`, nohup) with SIGINT ignored, and an
    # ignored signal stays ignored across exec: the comparison would never see the Ctrl-C this file sends it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agents", *GRID, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=_default_sigint)


def _wait_for(predicate, what: str, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _finished(out: Path) -> int:
    return len(list((out / "runs").glob("*/*/seed*/result.json")))


def test_sigkill_leaves_no_worker_and_resume_finishes_the_grid(tmp_path, baseline) -> None:  # noqa: ANN001
    out = tmp_path / "cmp"
    proc = _start(out)
    _wait_for(lambda: any((out / "runs").glob("*/*/seed*/metrics.jsonl")), "a run to start")
    workers = _descendants(proc.pid)
    assert workers, "the pool's workers should be running"
    proc.kill()
    proc.wait(timeout=30)
    _wait_for(lambda: not any(_alive(p) for p in workers), "the workers to die with their parent", 15)
    assert main([*GRID, "--out", str(out), "--resume"]) == 0
    assert _table(out) == baseline


def test_ctrl_c_stops_within_seconds_with_a_partial_report(tmp_path, baseline) -> None:  # noqa: ANN001
    out = tmp_path / "cmp"
    proc = _start(out)
    _wait_for(lambda: _finished(out) >= 1, "a first finished run")
    workers = _descendants(proc.pid)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    stopped_after = time.monotonic() - sent
    assert proc.returncode == 130, output
    assert stopped_after < 30, stopped_after  # the plots of the partial report take most of this
    assert "Traceback" not in output and "partial report" in output
    assert "INTERRUPTED" in (out / "report.md").read_text()
    _wait_for(lambda: not any(_alive(p) for p in workers), "no worker left", 15)
    assert not list(out.rglob("*.tmp"))
    assert main([*GRID, "--out", str(out), "--resume"]) == 0
    assert _table(out) == baseline


def test_resume_recovers_from_every_kind_of_damaged_file(tmp_path, baseline) -> None:  # noqa: ANN001
    out = tmp_path / "cmp"
    assert main([*GRID, "--out", str(out)]) == 0
    runs = sorted(p.parent for p in (out / "runs").glob("*/*/seed*/result.json"))
    truncated, wrong, torn, lost = runs
    text = (truncated / "result.json").read_text()
    (truncated / "result.json").write_text(text[: len(text) // 2])  # a truncated result
    (wrong / "result.json").write_text(json.dumps({"task": "maze"}))  # a partial result
    metrics = (torn / "metrics.jsonl").read_bytes()
    (torn / "metrics.jsonl").write_bytes(metrics[: int(len(metrics) * 0.7)])  # torn mid-line
    checkpoint = (lost / "checkpoints" / "latest.pt").read_bytes()
    (lost / "checkpoints" / "latest.pt").write_bytes(checkpoint[:100])  # a truncated checkpoint...
    (lost / "result.json").unlink()  # ...that the resume has to use
    (out / "results.csv").write_text("")
    assert main([*GRID, "--out", str(out), "--resume"]) == 0
    assert _table(out) == baseline
    shutil.rmtree(out / "runs" / "probe")  # nothing left to report: one line, no traceback
    assert main(["report", str(out)]) == 2


def test_empty_or_garbage_config_json_does_not_block_a_resume(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "cmp"
    argv = ["compare", "--tasks", "probe", "--aggregators", "grpo", "--seeds", "1", "--jobs", "1", "--out", str(out)]
    assert main(argv) == 0
    run = next((out / "runs").glob("*/*/seed*"))
    (run / "config.json").write_text("{")
    (run / "result.json").unlink()
    assert main([*argv, "--resume"]) == 0
    assert json.loads((run / "config.json").read_text())["task"] == "probe"
    assert os.path.exists(run / "result.json")
