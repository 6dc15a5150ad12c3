"""The numba threading layer we pick, and the thread count chosen from the free cores."""

import numba
import numpy as np
import pytest

from vecreward_envs import threading_layer as tl


@pytest.fixture
def loadavg(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """Write a fake /proc/loadavg with a given count of runnable tasks (this process counting as one)."""
    path = tmp_path / "loadavg"
    monkeypatch.setattr(tl, "_LOADAVG", path)
    monkeypatch.setattr(tl, "_own_running", lambda: 1)

    def write(running: int) -> None:
        path.write_text(f"1.00 1.00 1.00 {running}/300 12345\n")
        monkeypatch.setattr(tl, "_cached", (-1.0, 0))

    return write


def _cores(monkeypatch, n: int, online: int | None = None) -> None:  # noqa: ANN001
    monkeypatch.setattr(tl.os, "sched_getaffinity", lambda pid: set(range(n)))
    monkeypatch.setattr(tl.os, "cpu_count", lambda: n if online is None else online)


def test_free_cores_counts_other_processes_only(loadavg, monkeypatch) -> None:  # noqa: ANN001
    _cores(monkeypatch, 4)
    loadavg(1)  # only us
    assert tl.free_cores() == 4
    loadavg(3)  # two other runnable tasks
    assert tl.free_cores() == 2
    loadavg(40)  # far more than the cores: still one thread
    assert tl.free_cores() == 1


def test_no_adapting_in_a_core_limited_container_or_when_switched_off(loadavg, monkeypatch) -> None:  # noqa: ANN001
    _cores(monkeypatch, 2, online=64)  # 2 of the host's 64 cores: the host's load is not ours to read
    loadavg(40)
    assert tl.free_cores() == 2
    _cores(monkeypatch, 4)
    monkeypatch.setenv("VECREWARD_ADAPT_THREADS", "0")
    loadavg(40)
    assert tl.free_cores() == 4


def test_free_threads_never_exceeds_the_callers_count_and_restores_it(loadavg, monkeypatch) -> None:  # noqa: ANN001
    _cores(monkeypatch, numba.config.NUMBA_NUM_THREADS)
    before = numba.get_num_threads()
    try:
        loadavg(1 + numba.config.NUMBA_NUM_THREADS)  # every core busy
        with tl.FreeThreads():
            assert numba.get_num_threads() == 1
        assert numba.get_num_threads() == before
        loadavg(1)  # quiet: the caller's count, not more
        numba.set_num_threads(1)
        with tl.FreeThreads():
            assert numba.get_num_threads() == 1
        assert numba.get_num_threads() == 1
        loadavg(1 + numba.config.NUMBA_NUM_THREADS)
        with tl.FreeThreads(enabled=False):
            assert numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(before)


def test_busy_vector_env_steps_like_a_quiet_one(loadavg) -> None:  # noqa: ANN001
    """The thread count changes the schedule, never the results."""
    import gymnasium as gym

    import vecreward_envs  # noqa: F401

    actions = np.random.default_rng(0).integers(0, 4, (30, 64))
    results = []
    for running in (1, 64):
        loadavg(running)
        venv = gym.make_vec("vecreward/ConflictMaze-v0", num_envs=64)
        venv.reset(seed=3)
        results.append([venv.step(a)[1].copy() for a in actions])
    np.testing.assert_array_equal(np.array(results[0]), np.array(results[1]))


@pytest.mark.parametrize("first", ["vecreward/ConflictMaze-v0", "vecreward/ToolCall-v0"])
def test_the_layer_is_tbb_whichever_env_runs_first(first: str) -> None:
    """ToolCall's scorer has no parallel kernel of its own: its vector env must still set the layer up first."""
    import platform
    import subprocess
    import sys

    code = ("import numpy as np, numba, gymnasium as gym, vecreward_envs; "
            f"v = gym.make_vec({first!r}, num_envs=8); v.reset(seed=0); v.action_space.seed(0); "
            "v.step(v.action_space.sample()); "
            "m = gym.make_vec('vecreward/ConflictMaze-v0', num_envs=8); m.reset(seed=0); "
            "m.step(np.zeros(8, dtype=np.int64)); print(numba.threading_layer())")
    layer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    if sys.platform.startswith("linux") and platform.machine() == "x86_64":
        assert layer == "tbb"  # a dependency there
