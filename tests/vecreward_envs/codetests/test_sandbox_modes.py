"""The other isolation modes and the bubblewrap backend: the same results, and nothing left behind."""

import os

import pytest
from ct_helpers import processes_of

from vecreward_envs.codetests.sandbox import SandboxLimits, SandboxPool, bwrap_path

# Note (issue 16): the sandbox no longer mounts /proc (allowlist), so "pids" counts the processes it can see
# with kill(pid, 0) instead of listing /proc; the assertion on the count is unchanged.
PROBE = '''
import os, time
def solve(which):
    if which == "pids":
        seen = 0
        for pid in range(1, 4096):
            try:
                os.kill(pid, 0)
                seen += 1
            except ProcessLookupError:
                pass
            except PermissionError:
                seen += 1
        return seen
    if which == "write_root":
        try:
            open("/vecreward_probe", "w")
            return "writable"
        except OSError as exc:
            return type(exc).__name__
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
    if which == "orphan":   # a detached grandchild that ignores everything, then a busy loop
        if os.fork() == 0:
            os.setsid()
            while True:
                time.sleep(1)
        while True:
            pass
    return sum(which)
'''
LIMITS = SandboxLimits(test_seconds=0.5, program_seconds=1.5)


def _check_pool(pool: SandboxPool, namespaced: bool, nproc_binds: bool = True) -> None:
    result = pool.run_one(PROBE, [[[1, 2, 3]], ["pids"], ["write_root"], ["fork20"]])
    assert result.ended == "done" and result.tests[0].value == 6
    if nproc_binds and os.geteuid() == 0:  # root pools run workers as an unprivileged uid: RLIMIT_NPROC binds
        assert result.tests[3].value == pool.limits.processes - 1
    if namespaced:
        assert result.tests[1].value <= 2  # the PID namespace holds the child (and bwrap's init)
    assert result.tests[2].value in ("PermissionError", "OSError")
    orphan = pool.run_one(PROBE, [["orphan"], [[1]]])
    assert orphan.tests[0].status in ("timeout", "missing") and orphan.tests[1].status in ("ok", "missing")
    assert processes_of(orphan.uid) == [] or os.geteuid() != 0
    if pool._tmp:  # throwaway working directories exist only without namespaces: finished ones are removed
        assert len(os.listdir(pool._tmp)) <= 2  # size-1 pools: only the live worker's (ready or starting)


@pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap (bwrap) is not installed")
def test_bwrap_backend() -> None:
    with SandboxPool(size=1, limits=LIMITS, backend="bwrap") as pool:
        assert pool.isolation == "bwrap"
        _check_pool(pool, namespaced=True)


def test_process_backend() -> None:
    with SandboxPool(size=1, limits=LIMITS, backend="process", prestart=False) as pool:
        _check_pool(pool, namespaced=pool.isolation in ("root", "userns"))


def test_user_namespace_isolation() -> None:
    try:
        pool = SandboxPool(size=1, limits=LIMITS, isolation="userns")
    except RuntimeError as exc:  # pragma: no cover - kernels without unprivileged user namespaces
        pytest.skip(f"user namespaces unavailable: {exc}")
    with pool:
        assert pool.isolation == "userns"
        _check_pool(pool, namespaced=True, nproc_binds=False)  # uid 0 outside: the kernel exempts it


def test_no_namespaces() -> None:
    """The weakest mode: limits, a session, a throwaway directory (removed afterwards), the kill sweep."""
    with SandboxPool(size=1, limits=LIMITS, isolation="none") as pool:
        assert pool.isolation == "none"
        _check_pool(pool, namespaced=False)
        tmp = pool._tmp
        assert tmp and os.path.isdir(tmp)
    assert not os.path.exists(tmp)
