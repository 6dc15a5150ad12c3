"""The numba threading layer of our parallel kernels, chosen once, before the first of them runs.

Why not numba's default: on Linux without TBB numba runs parallel kernels on GNU OpenMP, which
- spins its waiting threads: with the other core of a 2-core machine busy, the batched maze fell from 1.5e7
  steps/s on 1 thread to 3.6e5 on 2 (40x below using one thread; ``benchmarks/maze_throughput.py --busy``);
- cannot be forked: a process that ran one OpenMP kernel aborts the children it forks ("fork() called from a
  process already using GNU OpenMP"), which broke ``gym.make_vec(..., "async")`` with its default context.

TBB does neither (measured: 2 threads with the other core busy keep about 90% of the quiet 1-thread rate). It is a
dependency on Linux x86-64 (``pip install tbb``); pip puts ``libtbb.so.12`` in the environment's ``lib/`` with no
path numba's extension can find, so we load it first. We then ask numba for ``"forksafe"``: TBB where it loads,
else a fork-safe layer (workqueue) rather than GNU OpenMP.

A user's choice wins: nothing changes when ``NUMBA_THREADING_LAYER`` is set, when code set
``numba.config.THREADING_LAYER`` before importing our kernels, or when a parallel kernel has already run (the layer
is fixed then).
"""

from __future__ import annotations

import ctypes
import os
import site
import sys
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


def configure() -> None:
    """Prefer a fork-safe, non-spinning threading layer (TBB) for numba's parallel kernels; idempotent."""
    global _configured
    if _configured:
        return
    _configured = True
    if "NUMBA_THREADING_LAYER" in os.environ or numba.config.THREADING_LAYER != "default":
        return
    if getattr(_parallel, "_is_initialized", False):  # a parallel kernel already ran: its layer is fixed
        return
    _preload_pip_tbb()
    numba.config.THREADING_LAYER = "forksafe"


def active_layer() -> str | None:
    """The layer parallel kernels run on, or None before the first one ran."""
    try:
        return numba.threading_layer()
    except ValueError:
        return None
