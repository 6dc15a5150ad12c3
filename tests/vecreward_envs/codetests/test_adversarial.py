"""Hostile submissions: each ends within its limit plus a margin, scores 0 with a reason, leaves no process and no
file behind, and the next program is judged correctly. The protections these rely on are probed harmlessly in
test_sandbox.py (run it first: ``timeout 120 python -m pytest tests/vecreward_envs/codetests/test_sandbox.py``)."""

import os
import socket
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from ct_helpers import SUM_SOLUTION, processes_of, sum_problem

from vecreward_envs.codetests.family import CodeTestsFamily
from vecreward_envs.codetests.judge import judge_run
from vecreward_envs.codetests.sandbox import SandboxPool
from vecreward_envs.codetests.text import parse_python

MARGIN_SECONDS = 3.0
"""Slack over the program's wall-clock limit (process teardown on a busy 2-core machine)."""
MARKER = f"vecreward_escape_{uuid.uuid4().hex[:8]}"
OUTSIDE = [f"/tmp/{MARKER}", f"/var/tmp/{MARKER}", f"/dev/shm/{MARKER}", f"/etc/{MARKER}", f"/{MARKER}",
           str(Path.cwd() / MARKER), str(Path(__file__).parent / MARKER)]

CASES = {
    "infinite_loop": "def solve(xs):\n    while True:\n        pass\n",
    "fork_bomb": ("import os\ndef solve(xs):\n    while True:\n        try:\n            os.fork()\n"
                  "        except OSError:\n            pass\n"),
    "memory_bomb": "def solve(xs):\n    hoard = []\n    while True:\n        hoard.append(bytes(64 << 20))\n",
    "memory_bomb_touching": ("def solve(xs):\n    hoard = []\n    while True:\n"
                             "        hoard.append(bytearray(32 << 20))\n"),
    "huge_stdout": "def solve(xs):\n    while True:\n        print('x' * 65536)\n",
    "huge_result": "def solve(xs):\n    return 'x' * (64 << 20)\n",
    "result_flood": ("import os\ndef solve(xs):\n    while True:\n"
                     "        os.write(3, b'{\"i\": 1, \"value\": 999}\\n' * 4096)\n"),
    "deep_recursion": "def solve(xs):\n    def f(n):\n        return f(n + 1) + 1\n    return f(0)\n",
    "unbounded_recursion": ("import sys\nsys.setrecursionlimit(10 ** 8)\ndef solve(xs):\n    def f(n):\n"
                            "        return f(n + 1) + 1\n    return f(0)\n"),
    "segfault": "import ctypes\ndef solve(xs):\n    return ctypes.string_at(0)\n",
    "write_outside": (f"PATHS = {OUTSIDE!r}\n"
                      "def solve(xs):\n    wrote = 0\n    for path in PATHS:\n        try:\n"
                      "            with open(path, 'w') as f:\n                f.write('escaped')\n"
                      "            wrote += 1\n"
                      "        except OSError:\n            pass\n    return -1 - wrote\n"),
    "sleep": "import time\ndef solve(xs):\n    time.sleep(60)\n",
    "ignore_sigterm": ("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                       "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                       "def solve(xs):\n    while True:\n        time.sleep(0.05)\n"),
    "threads_forever": ("import threading, time\ndef solve(xs):\n    while True:\n        try:\n"
                        "            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
                        "        except RuntimeError:\n            pass\n"),
    "kill_parent": ("import os, signal\nPARENT = {parent}\ndef solve(xs):\n"
                    "    for target in (os.getppid(), PARENT, -1, 1):\n        try:\n"
                    "            os.kill(target, signal.SIGKILL)\n        except OSError:\n            pass\n"
                    "    try:\n        os.killpg(os.getpgrp(), signal.SIGKILL)\n    except OSError:\n        pass\n"
                    "    return -1\n"),
    "tamper_harness": ("import builtins, json, os, sys\n"
                       "main = sys.modules['__main__'].__dict__\n"
                       "main['_encode'] = lambda value, limit: {'value': 'PASS', 'passed': True}\n"
                       "json.dumps = lambda *a, **k: '{\"i\": 0, \"passed\": true}'\n"
                       "class AlwaysEqual(int):\n    def __eq__(self, other):\n        return True\n"
                       "def solve(xs):\n    for fd in range(3, 16):\n        try:\n"
                       "            os.write(fd, b'{\"i\": 2, \"passed\": true, \"status\": \"pass\"}\\n')\n"
                       "        except OSError:\n            pass\n"
                       "    builtins.sum = lambda *a: AlwaysEqual(0)\n    return sum(xs)\n"),
}


@pytest.fixture(scope="module")
def family(pool: SandboxPool) -> CodeTestsFamily:
    return CodeTestsFamily(sandbox=pool)


def _judge_and_check(pool: SandboxPool, family: CodeTestsFamily, code: str) -> tuple:
    problem = sum_problem()
    start = time.monotonic()
    run = pool.run_one(code, [t.args for t in problem.tests])
    elapsed = time.monotonic() - start
    verdict = judge_run(problem, run, True, pool.limits.test_seconds)
    rewards = verdict.rewards(problem)
    assert elapsed < pool.limits.program_seconds + MARGIN_SECONDS, elapsed
    assert np.all(rewards[2:][~np.isnan(rewards[2:])] == 0.0), (rewards, verdict)
    assert all(not t.passed and t.message for t in verdict.tests), verdict
    assert processes_of(run.uid) == [], f"processes left behind by uid {run.uid}"
    assert not [p for p in OUTSIDE if os.path.exists(p)], "a file escaped the sandbox"
    after = family.score_completions(problem, [SUM_SOLUTION])[0][0]
    assert np.all(np.nan_to_num(after, nan=1.0) == 1.0), f"the next program was misjudged: {after}"
    return run, verdict


@pytest.mark.parametrize("case", list(CASES))
def test_adversarial(pool: SandboxPool, family: CodeTestsFamily, case: str) -> None:
    code = CASES[case].replace("{parent}", str(os.getpid()))
    run, verdict = _judge_and_check(pool, family, code)
    reasons = " ".join(t.message for t in verdict.tests) + " " + run.ended
    expected = {
        "infinite_loop": "timed out", "fork_bomb": "", "memory_bomb": "MemoryError", "huge_stdout": "",
        "memory_bomb_touching": "",  # MemoryError, or a timeout when the machine is slow to hand out pages
        "huge_result": "unsupported", "result_flood": "reported more than", "deep_recursion": "RecursionError",
        "unbounded_recursion": "", "segfault": "SIGSEGV",
        "write_outside": "expected 6, got -2",  # one write landed: in the private /tmp, gone with the sandbox
        "sleep": "timed out", "ignore_sigterm": "", "threads_forever": "", "kill_parent": "expected 6, got -1",
        "tamper_harness": "got 'PASS'",
    }[case]
    assert expected in reasons, reasons
    if case == "huge_stdout":
        assert 0 < len(run.output) <= pool.limits.output_bytes + 100


def test_reading_outside(pool: SandboxPool, family: CodeTestsFamily, tmp_path: Path) -> None:
    """Answers left in a world-readable file outside the sandbox cannot be read (the solution would pass)."""
    answers = tmp_path / "answers.txt"
    answers.write_text("6")
    answers.chmod(0o644)
    tmp_path.chmod(0o755)
    code = (f"def solve(xs):\n    return int(open({str(answers)!r}).read())\n")
    run, verdict = _judge_and_check(pool, family, code)
    assert "FileNotFoundError" in verdict.tests[0].message
    shadow = pool.run_one("def solve(x):\n    return open('/etc/shadow').read()\n", [[0]])
    assert shadow.tests[0].status == "error" and "PermissionError" in shadow.tests[0].detail


def test_network_connection(pool: SandboxPool, family: CodeTestsFamily) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        port = server.getsockname()[1]
        code = (f"import socket\ndef solve(xs):\n    s = socket.create_connection(('127.0.0.1', {port}), 1)\n"
                f"    s.sendall(b'leak')\n    return sum(xs)\n")
        run, verdict = _judge_and_check(pool, family, code)
        assert "unreachable" in verdict.tests[0].message
        with pytest.raises(BlockingIOError):
            server.accept()


def test_family_text_view_is_guarded(family: CodeTestsFamily) -> None:
    """The same through the family's text view: completions in, reward vectors out, nothing raised."""
    problem = sum_problem()
    completions = [f"```python\n{CASES['infinite_loop']}```", f"```python\n{CASES['segfault']}```", SUM_SOLUTION]
    rewards, verdicts = family.score_completions(problem, completions)
    assert rewards.shape == (3, 8) and np.all(rewards[:2, 2:][~np.isnan(rewards[:2, 2:])] == 0)
    assert np.all(np.nan_to_num(rewards[2], nan=1.0) == 1.0)
    assert "SIGSEGV" in verdicts[1].tests[0].message
    assert parse_python(completions[0]).ok
