"""The numba threading layer of our parallel kernels, chosen once, before the first of them runs.

Why not numba's default: on Linux without TBB numba runs parallel kernels on GNU OpenMP, which
- spins its waiting threads: with the other core of a 2-core machine busy, the batched maze fell from 1.5e7
  steps/s on 1 thread to 3.6e5 on 2 (40x below using one thread; ``benchmarks/maze_throughput.py --busy``);
- cannot be forked: a process that ran one OpenMP kernel aborts the children it forks ("fork() called from a
  process already using GNU OpenMP"), which broke ``gym.make_vec(..., "async")`` with its default context.

TBB does neither (measured: 2 threads with the other core busy keep about 90% of the quiet 1-thread rate). It is a
dependency on Linux x86-64 (``pip install tbb``); pip puts ``libtbb.so.12`` in the environment's ``lib/`` with no
path numba's extension can find, so we load it first, and ask numba for TBB only when it loaded. Elsewhere numba's
own default stays (without TBB on Linux that is GNU OpenMP: ``async`` vector envs then need
``vector_kwargs={"context": "spawn"}``). We never pick workqueue for you: it aborts the process when two Python
threads run parallel kernels at once. The layer is process-wide, so this also applies to your own numba code.

This module sets it up when imported (every module with parallel kernels, and the vector envs, import it first).

A user's choice wins: nothing changes when ``NUMBA_THREADING_LAYER`` is set, when code set
``numba.config.THREADING_LAYER`` before importing our kernels, or when a parallel kernel has already run (the layer
is fixed then).

Even without spinning, a parallel step is as slow as its slowest thread, and a thread that shares its core with a busy
process gets half of it. So the vector envs also choose their thread count from the cores that are free at the
moment (``free_threads``: the kernel's count of runnable tasks in ``/proc/loadavg``, read at most every 0.25 s):
with every core busy, one thread kept 63% of its quiet rate where two threads kept 43% (benchmarks/busy_cores.py).
"""

from __future__ import annotations

import ctypes
import os
import site
import sys
import time
from pathlib import Path

import numba
from numba.np.ufunc import parallel as _parallel

_TBB_SONAME = "libtbb.so.12"
_configured = False


def _tbb_candidates() -> list[Path]:
    prefixes = [sys.prefix, getattr(site, "USER_BASE", None) or ""]
    return [Path(prefix) / "lib" / _TBB_SONAME for prefix in prefixes if prefix]


def _preload_pip_tbb() -> bool:
    """Load a pip-installed ``libtbb.so.12`` globally, so that numba's ``tbbpool`` extension resolves it."""
    if not sys.platform.startswith("linux"):
        return False
    for path in _tbb_candidates():
        if path.is_file():
            try:
                ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
            except OSError:
                continue
            return True
    return False


def _tbb_importable() -> bool:
    """Whether numba's TBB pool loads as it is (a conda environment, or TBB on the library path)."""
    try:
        import numba.np.ufunc.tbbpool  # noqa: F401
    except ImportError:
        return False
    return True


def configure() -> None:
    """Use TBB, fork-safe and not spinning, for numba's parallel kernels where it loads; idempotent."""
    global _configured
    if _configured:
        return
    _configured = True
    if "NUMBA_THREADING_LAYER" in os.environ or numba.config.THREADING_LAYER != "default":
        return
    if getattr(_parallel, "_is_initialized", False):  # a parallel kernel already ran: its layer is fixed
        return
    _preload_pip_tbb()
    if _tbb_importable():  # numba's TBB pool really loads (a TBB it cannot use would fail every parallel kernel)
        numba.config.THREADING_LAYER = "tbb"


def active_layer() -> str | None:
    """The layer parallel kernels run on, or None before the first one ran."""
    try:
        return numba.threading_layer()
    except ValueError:
        return None


_LOADAVG = Path("/proc/loadavg")
_RECHECK_SECONDS = 0.25
_cached: tuple[float, int] = (-1.0, 0)


def _own_running() -> int:
    """Threads of this process that are runnable now (our own kernel threads must not count as "busy")."""
    count = 0
    for stat in Path("/proc/self/task").glob("*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the thread ended
            continue
        if text[text.rfind(")") + 2:text.rfind(")") + 3] == "R":
            count += 1
    return count


def _adaptive() -> bool:
    """Whether the machine's runnable count describes our cores: the whole machine is ours to see.

    In a container limited to some cores (affinity) the load of the host's other cores would read as ours; there,
    and when ``VECREWARD_ADAPT_THREADS=0``, the thread count is left as it is.
    """
    if os.environ.get("VECREWARD_ADAPT_THREADS", "1") == "0" or not _LOADAVG.exists():
        return False
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) == (os.cpu_count() or 0)
    return True


def free_cores() -> int:
    """Cores not taken by other processes' runnable tasks right now; every core where this cannot be read.

    Linux's ``/proc/loadavg`` counts the runnable tasks of the whole machine at this instant (4th field,
    ``running/total``); this process's own runnable threads (``/proc/self/task/*/stat``: the caller, and kernel
    threads still spinning after the last step) are taken out. Read at most every 0.25 s (well under a millisecond).
    """
    global _cached
    now = time.monotonic()
    if now - _cached[0] < _RECHECK_SECONDS:
        return _cached[1]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    others = 0
    if _adaptive():
        try:
            others = int(_LOADAVG.read_text().split()[3].split("/")[0]) - _own_running()
        except (OSError, ValueError, IndexError):
            others = 0
    free = max(1, cores - max(0, others))
    _cached = (now, free)
    return free


class FreeThreads:
    """``with FreeThreads():`` runs numba's parallel kernels on the free cores, then restores the thread count.

    The count is ``min(the caller's numba.get_num_threads(), free_cores())``: never more than the caller allowed, and
    the caller's setting is back when the block ends. ``FreeThreads(enabled=False)`` does nothing.
    """

    __slots__ = ("enabled", "_previous")

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._previous = 0  # 0: nothing to restore

    def __enter__(self) -> None:
        self._previous = 0
        if self.enabled:
            current = numba.get_num_threads()
            free = free_cores()
            if free < current:
                self._previous = current
                numba.set_num_threads(free)

    def __exit__(self, *exc: object) -> None:
        if self._previous:
            numba.set_num_threads(self._previous)


configure()  # importing this module is enough (the vector envs do, before numba's pool starts)
