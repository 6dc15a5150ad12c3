"""Hostile submissions: each ends within its limit plus a margin, scores 0 with a reason, leaves no process and no
file behind, and the next program is judged correctly. The protections these rely on are probed harmlessly in
test_sandbox.py (run it first: ``timeout 120 python -m pytest tests/vecreward_envs/codetests/test_sandbox.py``)."""

import os
import shutil
import socket
import sysconfig
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from ct_helpers import SUM_SOLUTION, processes_of, sum_problem

from vecreward_envs.codetests.family import CodeTestsFamily
from vecreward_envs.codetests.judge import judge_run
from vecreward_envs.codetests.sandbox import SandboxLimits, SandboxPool, bwrap_path, spawners
from vecreward_envs.codetests.sandbox.pool import SandboxWarning
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
    # Note (issue 16): /etc is no longer in the sandbox at all (allowlisted root), so the error is now
    # FileNotFoundError under namespaces (PermissionError where Landlock or the uid stops it).
    assert shadow.tests[0].status == "error"
    assert shadow.tests[0].detail.startswith(("PermissionError", "FileNotFoundError")), shadow.tests[0].detail


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


# ----- host files (issue 16): the sandbox sees only an allowlist, in every isolation mode ----------------------------
CHECKOUT = Path(__file__).resolve().parents[3]
HOST_PROGRAM = """
import os
def _walk(top):
    def fail(exc):
        raise exc
    return sum(len(dirs) + len(files) for _, dirs, files in os.walk(top, onerror=fail))
def solve(action, path):
    if action == "list":
        found = os.listdir(path)
    elif action == "read":
        with open(path, "rb") as f:
            found = f.read()
    elif action == "walk":
        found = _walk(path)
    elif action == "chmod":   # bound files are read-only even for their owner (uid 0 in a user namespace); the
        os.chmod(path, os.stat(path).st_mode & 0o7777)   # same mode, so a leak would still change nothing
        found = "changed " + path
    else:
        with open(path, "w") as f:
            f.write("escaped")
        found = "wrote " + path
    print(found)
    return str(found)[:200]
"""
USABLE_PROGRAM = """
import collections, itertools, json, math, re
import os
def solve(which):
    if which == "stdlib":
        counts = collections.Counter(re.findall(r"[a-z]+", "b a b"))
        return json.dumps([math.comb(5, 2), list(itertools.accumulate([1, 2, 3])), sorted(counts.items())])
    if which == "tmp":   # its private temp directory: /tmp in a namespace, $TMPDIR (its own directory) without
        directory = os.path.join(os.environ.get("TMPDIR", "/tmp"), "scratch")
        os.mkdir(directory)
        with open(os.path.join(directory, "a.txt"), "w") as f:
            f.write("kept")
        with open("here.txt", "w") as f:
            f.write("too")
        with open(os.path.join(directory, "a.txt")) as f, open("here.txt") as g:
            return f.read() + " " + g.read() + " " + str(sorted(os.listdir(directory)))
    if which == "more_stdlib":   # modules the zygote did not preload: read from the read-only standard library
        import difflib, tempfile, textwrap
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "x"), "w").close()
        return textwrap.shorten(difflib.SequenceMatcher(None, "abc", "abd").get_opcodes()[0][0], 10)
    if which == "devices":
        with open("/dev/null", "w") as f:
            f.write("x")
        with open("/dev/urandom", "rb") as f, open("/dev/zero", "rb") as g:
            return len(f.read(8)) + len(g.read(8)) + len(os.urandom(4))
    if which == "stdlib_read_only":
        with open(json.__file__, "a") as f:
            f.write("# tampered")
        return "tampered"
"""
MODES = {
    "root": {"isolation": "root"},
    "userns": {"isolation": "userns"},
    "none": {"isolation": "none"},
    "bwrap": {"backend": "bwrap"},
    "process": {"backend": "process", "prestart": False},
}
HOST_LIMITS = SandboxLimits(test_seconds=1.0, program_seconds=8.0)


def _world_traversable(path: str) -> bool:
    """Whether every directory down to ``path`` lets any uid through (else a foreign uid cannot import from it)."""
    here = Path(path)
    return all(os.stat(p).st_mode & 0o001 for p in [here, *here.parents])


@pytest.fixture(scope="module", params=list(MODES))
def mode_pool(request: pytest.FixtureRequest) -> SandboxPool:
    """A pool in each offered isolation mode; modes this machine cannot run are skipped with the reason."""
    mode = request.param
    if mode == "root" and os.geteuid() != 0:
        pytest.skip("isolation='root' needs root")
    if mode == "bwrap" and bwrap_path() is None:
        pytest.skip("bubblewrap (bwrap) is not installed")
    if mode == "none" and not spawners.landlock_abi():
        pytest.skip("isolation='none' without Landlock is documented as weaker: host files stay readable")
    try:
        with pytest.warns(SandboxWarning) if mode == "none" else _no_warning():
            pool = SandboxPool(size=1, limits=HOST_LIMITS, **MODES[mode])
    except RuntimeError as exc:
        pytest.skip(f"isolation mode {mode!r} does not work here: {exc}")
    pool.mode = mode  # type: ignore[attr-defined]
    yield pool
    pool.close()


class _no_warning:  # noqa: N801 - a context manager that does nothing
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(scope="module")
def host_files() -> dict:
    """World-readable secrets outside the sandbox (in /tmp and next to the checkout) and places to write to."""
    token = uuid.uuid4().hex
    outside = Path(tempfile.mkdtemp(prefix="vecreward_host_", dir="/tmp"))
    outside.chmod(0o777)  # world-writable and world-readable: only the sandbox may stop a write or a read
    secrets = [outside / "secret.txt", CHECKOUT.parent / f"vecreward_secret_{token}.txt"]
    for path in list(secrets):
        try:
            path.write_text(f"SECRET-{token}")
            path.chmod(0o644)
        except OSError:  # pragma: no cover - a checkout whose parent this user cannot write to
            secrets.remove(path)
    escape = f"vecreward_escape_{token}"
    writes = [outside / escape, CHECKOUT.parent / escape, CHECKOUT / escape, Path("/") / escape,
              Path("/etc") / escape, Path("/root") / escape, Path("/home") / escape]
    try:
        yield {"token": token, "outside": outside, "secrets": secrets, "writes": writes}
    finally:
        for path in secrets:
            path.unlink(missing_ok=True)
        for path in writes:
            if path.is_file():
                path.unlink()
        shutil.rmtree(outside, ignore_errors=True)


def test_sandbox_host_files_are_invisible(mode_pool: SandboxPool, host_files: dict) -> None:
    """Listing or reading any host path, walking /, reading /proc, writing outside its temp dir: each raises inside
    the program (so nothing comes back in the output), in every mode this machine runs."""
    attempts = [("list", str(CHECKOUT.parent)), ("list", str(CHECKOUT)), ("read", str(CHECKOUT / "pyproject.toml")),
                *[("read", str(path)) for path in host_files["secrets"]], ("list", str(host_files["outside"])),
                ("read", "/etc/passwd"), ("list", "/etc"), ("list", "/root"),
                ("list", "/home"), ("list", "/"), ("walk", "/"), ("read", "/proc/1/environ"),
                ("read", "/proc/self/environ"), ("list", "/proc"), ("list", "/usr/lib"), ("list", "/dev"),
                ("list", os.path.dirname(sysconfig.get_paths()["stdlib"]))]
    attempts += [("write", str(path)) for path in host_files["writes"]]
    attempts.append(("chmod", "/dev/null"))
    stdlib = sysconfig.get_paths()["stdlib"]
    if not (mode_pool.isolation == "none" and os.stat(stdlib).st_uid == os.geteuid() != 0):
        # (Landlock does not cover chmod: under "none" a non-root user's own files are not protected from it, a
        # documented weakness, so the attempt would succeed there.)
        attempts.append(("chmod", stdlib))
    run = mode_pool.run_one(HOST_PROGRAM, attempts)
    assert run.compiled and run.ended == "done", run
    # Inside the sandbox /tmp is its private temp directory: where the checkout lives under the host's /tmp (a CI
    # clone in /tmp/...), listing or writing "the checkout's parent" reaches that private directory, which must
    # work and must show nothing of the host's /tmp.
    in_private_tmp = ({str(CHECKOUT.parent), str(CHECKOUT.parent / f"vecreward_escape_{host_files['token']}")}
                      if CHECKOUT.parent == Path("/tmp") else set())
    private = [i for i, (op, path) in enumerate(attempts) if op in ("list", "write") and path in in_private_tmp]
    for i in private:  # a listing shows nothing of the host's /tmp; a write's escape is checked on the host below
        test = run.tests[i]
        shown = f"{test.value} {test.detail}"
        if attempts[i][0] == "list":
            assert host_files["token"] not in shown and CHECKOUT.name not in shown, (attempts[i], shown)
    leaks = [(a, t.status, t.value) for i, (a, t) in enumerate(zip(attempts, run.tests, strict=True))
             if t.status != "error" and i not in private]
    assert not leaks, f"{mode_pool.mode}: the sandbox let these through: {leaks}"  # type: ignore[attr-defined]
    for i, (attempt, test) in enumerate(zip(attempts, run.tests, strict=True)):
        if i not in private:
            assert test.detail.startswith(("PermissionError", "FileNotFoundError", "OSError")), (attempt, test.detail)
    allowed = {str(run.tests[i].value).strip() for i in private}  # what the private-/tmp attempts printed
    assert all(line.strip() in allowed for line in run.output.splitlines() if line.strip()), run.output
    escaped = [str(p) for p in host_files["writes"] if p.exists()]
    assert not escaped, f"files written outside the sandbox: {escaped}"


def test_sandbox_stdlib_and_private_tmp_still_work(mode_pool: SandboxPool) -> None:
    """The standard library imports (read-only), the private temp directory is writable and readable, and the
    device nodes a program may use work."""
    checks = ["stdlib", "tmp", "more_stdlib", "stdlib_read_only", "devices"]
    run = mode_pool.run_one(USABLE_PROGRAM, [[c] for c in checks])
    assert run.compiled and run.ended == "done", run
    stdlib, tmp, more, read_only, devices = run.tests
    assert devices.value == 20, devices
    assert stdlib.value == '[10, [1, 3, 6], [["a", 1], ["b", 2]]]', stdlib
    assert tmp.value == "kept too ['a.txt']", tmp
    assert read_only.status == "error" and read_only.detail.startswith(("PermissionError", "OSError")), read_only
    foreign_uid = os.geteuid() == 0 and mode_pool.isolation == "none"  # an unprivileged uid, no new root
    if foreign_uid and not _world_traversable(sysconfig.get_paths()["stdlib"]):
        # Known limit of "none" as root (not new): the worker's uid cannot traverse a private interpreter prefix
        # (here pyenv under /root, mode 0700), so only the modules the zygote preloaded import.
        assert more.status == "error" and "ModuleNotFoundError" in more.detail, more
    else:
        assert more.value == "equal", more


def test_sandbox_hide_inside_the_allowlist() -> None:
    """``hide`` still masks a directory inside the standard library (an empty read-only directory instead)."""
    email = os.path.join(sysconfig.get_paths()["stdlib"], "email")
    with SandboxPool(size=1, limits=HOST_LIMITS, hide=(email,)) as pool:
        if pool.isolation == "none":  # pragma: no cover - Landlock only allows, it cannot carve out a subdirectory
            pytest.skip("hide needs a mount namespace")
        code = "import os\ndef solve(p):\n    return len(os.listdir(p))\n"
        run = pool.run_one(code, [[email], [os.path.dirname(email)]])
        assert run.tests[0].status == "error" and run.tests[0].detail.startswith("PermissionError"), run.tests[0]
        assert run.tests[1].value > 100  # the rest of the standard library is there


def test_sandbox_none_warns_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    """isolation='none' (no namespaces) warns at pool creation; louder still where Landlock is unavailable."""
    with pytest.warns(SandboxWarning, match="weaker"), SandboxPool(size=1, limits=HOST_LIMITS,
                                                                   isolation="none") as pool:
        assert pool.isolation == "none"
    monkeypatch.setattr(spawners, "landlock_abi", lambda: 0)
    with pytest.warns(SandboxWarning, match="CAN READ AND LIST EVERY HOST FILE"), SandboxPool(
            size=1, limits=HOST_LIMITS, isolation="none") as pool:
        assert pool.run_one("def solve(x):\n    return x\n", [[3]]).tests[0].value == 3
