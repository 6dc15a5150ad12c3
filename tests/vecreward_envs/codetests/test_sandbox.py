"""The sandbox pool: results, outcomes, and each protection checked with a harmless probe."""

import os

import pytest
from ct_helpers import processes_of

from vecreward_envs.codetests.sandbox import Job, SandboxLimits, SandboxPool

# Note (issue 16): the sandbox no longer mounts /proc (its root holds only an allowlist), so "pids" and "caps"
# ask the kernel directly (kill(pid, 0), capget, PR_GET_NO_NEW_PRIVS) instead of reading /proc; the assertions
# on their answers are unchanged.
PROBE = '''
import ctypes, os, resource, socket, time
def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
def solve(which):
    if which == "fork20":   # 20 sleeping children under a limit of 8 processes
        kids = []
        for _ in range(20):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            kids.append(pid)
        for pid in kids:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        return len(kids)
    if which == "pids":
        return [pid for pid in range(1, 4096) if _alive(pid)]
    if which == "uid":
        return [os.getuid(), os.geteuid(), os.getgid()]
    if which == "caps":
        libc = ctypes.CDLL(None)
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)
        data = (ctypes.c_uint32 * 6)()
        libc.capget(header, data)
        return f"{data[3]:08x}{data[0]:08x} {libc.prctl(39, 0, 0, 0, 0)}"
    if which == "limits":
        names = ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE")
        return [resource.getrlimit(getattr(resource, n))[0] for n in names]
    if which == "env":
        return " ".join(sorted(os.environ))
    if which == "cwd":
        return os.getcwd() + ":" + ",".join(os.listdir("."))
    if which == "net":
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=0.2)
            return "connected"
        except OSError as exc:
            return type(exc).__name__
    if which == "root_ro":
        try:
            open("/probe_file", "w")
            return "writable"
        except OSError as exc:
            return type(exc).__name__
'''


def _run(pool: SandboxPool, which: str) -> object:
    result = pool.run_one(PROBE, [[which]])
    assert result.ended == "done" and result.tests[0].status == "ok", result
    return result.tests[0].value


def test_values_errors_and_order(pool: SandboxPool) -> None:
    code = "def solve(x):\n    if x == 2:\n        raise KeyError('two')\n    return [x, x]\n"
    result = pool.run_one(code, [[1], [2], [3]])
    assert result.compiled and result.ended == "done" and result.isolation == pool.isolation
    assert [t.status for t in result.tests] == ["ok", "error", "ok"]
    assert result.tests[0].value == [1, 1] and "KeyError: 'two' (line 3)" in result.tests[1].detail


def test_compile_errors_are_outcomes(pool: SandboxPool) -> None:
    syntax = pool.run_one("def solve(x:\n", [[1]])
    assert not syntax.compiled and "SyntaxError" in syntax.compile_error and "line 1" in syntax.compile_error
    assert syntax.tests[0].status == "missing"
    missing = pool.run_one("def other(x):\n    return x\n", [[1]])
    assert not missing.compiled and "no function named 'solve'" in missing.compile_error
    raising = pool.run_one("raise SystemExit(3)\n", [[1]])
    assert not raising.compiled and "SystemExit" in raising.compile_error


def test_unsupported_and_exact_types(pool: SandboxPool) -> None:
    code = ("class Liar(int):\n    def __eq__(self, other):\n        return True\n"
            "def solve(x):\n    return [Liar(1), (1, 2), {1}, True, 'a' * 5000, 10**30][x]\n")
    result = pool.run_one(code, [[i] for i in range(6)])
    assert [t.status for t in result.tests] == ["unsupported", "unsupported", "unsupported", "ok", "unsupported",
                                                "unsupported"]
    assert result.tests[3].value is True


def test_output_is_captured_and_truncated(pool: SandboxPool) -> None:
    result = pool.run_one("def solve(x):\n    print('hello', x)\n    print('y' * 10000)\n    return x\n", [[1]])
    assert result.output.startswith("hello 1\n") and "more bytes dropped" in result.output
    assert len(result.output) < pool.limits.output_bytes + 100


def test_protection_probes(pool: SandboxPool) -> None:
    """Each protection, checked harmlessly before the adversarial suite relies on it."""
    root = os.geteuid() == 0
    if pool.isolation in ("root", "userns"):
        assert _run(pool, "pids") == [1]  # a PID namespace of its own
        assert _run(pool, "net") == "OSError"  # ENETUNREACH: only a down loopback in the namespace
        assert _run(pool, "root_ro") in ("OSError", "PermissionError")
        assert _run(pool, "cwd") == "/tmp/work:"
    if root:
        uid, euid, gid = _run(pool, "uid")
        assert uid == euid != 0 and gid != 0
        assert _run(pool, "fork20") == pool.limits.processes - 1  # RLIMIT_NPROC binds the unprivileged uid
    assert _run(pool, "caps") == "0000000000000000 1"
    cpu, memory, fsize, nofile, nproc, core = _run(pool, "limits")
    assert memory == pool.limits.memory_mb << 20 and fsize == pool.limits.file_mb << 20 and core == 0
    assert nofile == pool.limits.open_files and cpu >= pool.limits.cpu_seconds
    assert _run(pool, "env") == "HOME LANG PATH"


def test_network_is_unreachable(pool: SandboxPool) -> None:
    if pool.isolation not in ("root", "userns"):
        pytest.skip("no network namespace without namespaces")  # pragma: no cover
    code = ("import socket\ndef solve(port):\n    try:\n        socket.create_connection(('127.0.0.1', port), 1)\n"
            "        return 'connected'\n    except OSError as exc:\n        return str(exc)\n")
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        result = pool.run_one(code, [[server.getsockname()[1]]])
        assert "unreachable" in result.tests[0].value
        with pytest.raises(BlockingIOError):
            server.accept()


def test_concurrent_jobs_keep_order() -> None:
    limits = SandboxLimits(test_seconds=0.5, program_seconds=2)
    with SandboxPool(size=2, limits=limits) as pool:
        jobs = [Job(f"def solve(x):\n    return x * {i}\n", ((1,), (2,))) for i in range(9)]
        results = pool.run(jobs)
        assert [r.tests[1].value for r in results] == [2 * i for i in range(9)]
        uids = {r.uid for r in results}
        assert len(uids) >= 2
    for uid in uids:
        assert processes_of(uid) == []  # closing the pool leaves nothing behind


def test_pool_arguments() -> None:
    with pytest.raises(ValueError, match="size"):
        SandboxPool(size=0)
    with pytest.raises(ValueError, match="backend"):
        SandboxPool(backend="docker")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="valid"):
        SandboxLimits.from_kwargs(seconds=1)
    with pytest.raises(ValueError, match="processes"):
        SandboxLimits(processes=1)
    with pytest.raises(TypeError):
        SandboxLimits(memory_mb="big")  # type: ignore[arg-type]


def test_forked_copies_leave_the_workers_alone(pool: SandboxPool) -> None:
    pid = os.fork()
    if pid == 0:  # a forked child (e.g. a data-loader worker) exits: it must not stop the parent's workers
        try:
            pool.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert pool.run_one("def solve(x):\n    return x\n", [[5]]).tests[0].value == 5
