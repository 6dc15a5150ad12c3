"""A pool of pre-started sandbox workers: each runs exactly one program (all its tests), then is replaced.

``SandboxPool.run(jobs)`` dispatches programs to ready workers (at most ``size`` at once), reads their results as
they arrive, kills any run that passes its wall-clock limit or its result-size cap, and starts a replacement for
every worker it uses, so interpreter start-up stays off the hot path. Nothing a program does raises in the caller:
compile errors, timeouts, crashes and failed sandbox set-ups all come back as ``RunResult``s.

See ``_worker.py`` for what each worker does to isolate itself, and docs/envs/codetests.md for what is guaranteed
as root, without root, and with bubblewrap.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import shutil
import tempfile
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from vecreward_envs.codetests.sandbox import spawners
from vecreward_envs.codetests.sandbox.limits import Isolation, SandboxLimits
from vecreward_envs.codetests.sandbox.protocol import Collector, Job, RunResult
from vecreward_envs.codetests.sandbox.spawners import (
    BwrapSpawner,
    ProcessSpawner,
    Spawned,
    ZygoteSpawner,
    release_uids,
    reserve_uids,
)

Backend = Literal["zygote", "process", "bwrap"]
START_SECONDS = 20.0
"""A worker that is not ready this long after it was requested is killed and replaced."""
KILL_GRACE_SECONDS = 5.0
"""After a kill, how long the pool waits for the worker to confirm that its process tree is gone."""
_POOLS: weakref.WeakSet[SandboxPool] = weakref.WeakSet()


class SandboxWarning(RuntimeWarning):
    """The sandbox in force is weaker than the default (``isolation='none'``): see docs/envs/codetests.md."""


@dataclass
class _Worker:
    spawned: Spawned
    started: float
    collector: Collector | None = None
    output: bytearray = field(default_factory=bytearray)
    output_seen: int = 0
    job_index: int = -1
    sent_at: float = 0.0
    deadline: float = float("inf")
    killed_reason: str = ""
    killed_at: float = 0.0
    result_open: bool = True
    output_open: bool = True
    ready: dict | None = None
    setup_error: str = ""

    @property
    def finished(self) -> bool:
        return not self.result_open and not self.output_open


class SandboxPool:
    """Pre-started sandbox workers; ``run`` judges programs on them, one fresh process per program.

    Args:
        size: programs run at once (and workers kept ready).
        limits: resource limits of each run.
        isolation: ``auto`` (best available), ``root``, ``userns`` or ``none`` (see ``limits.Isolation``).
        backend: ``zygote`` (default: workers forked from one pre-started interpreter), ``process`` (a fresh
            interpreter per worker), ``bwrap`` (each worker inside bubblewrap; needs ``bwrap``).
        prestart: keep ``size`` workers ready between calls (False: start workers only when a job needs one).
        hide: directories to hide inside the sandbox on top of the defaults. The sandbox sees only an allowlist
            (the standard library, read-only, and a private ``/tmp``; see ``spawners.root_layout``), so this only
            matters for directories inside the standard library (``site-packages`` is always hidden; not with
            ``isolation='none'``, whose Landlock rules can only allow).
        uid_base: first of the ``2 * size + 2`` uids the workers run as when the pool runs as root (default: a
            block no account, live process or other pool uses; see ``spawners.reserve_uids``).
    """

    def __init__(self, size: int = 2, limits: SandboxLimits | None = None, isolation: Isolation = "auto",
                 backend: Backend = "zygote", prestart: bool = True, hide: tuple[str, ...] = (),
                 uid_base: int | None = None) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 64:
            raise ValueError(f"size must be an int in [1, 64], got {size!r}")
        if isolation not in ("auto", "root", "userns", "none"):
            raise ValueError(f"isolation must be 'auto', 'root', 'userns' or 'none', got {isolation!r}")
        if backend not in ("zygote", "process", "bwrap"):
            raise ValueError(f"backend must be 'zygote', 'process' or 'bwrap', got {backend!r}")
        if isolation == "root" and os.geteuid() != 0:
            raise ValueError("isolation='root' needs root; use 'userns' or 'auto'")
        self.size = size
        self.limits = limits if limits is not None else SandboxLimits()
        self.backend = backend
        self.prestart = prestart
        self._hide = tuple(hide)
        self._uids = reserve_uids(2 * size + 2, uid_base)
        self._free_uids: deque[int] = deque(self._uids)
        self._tmp = ""  # throwaway working directories live here only without namespaces (isolation "none")
        self._counter = 0
        self._owner_pid = os.getpid()
        self._last_error = ""
        self._idle: deque[_Worker] = deque()
        self._starting: list[_Worker] = []
        self._lock = threading.RLock()
        self._spawner: ZygoteSpawner | ProcessSpawner | BwrapSpawner | None = None
        self.isolation = ""
        """The isolation in force (``root``, ``userns``, ``none`` or ``bwrap``), set by the first ready worker."""
        self.closed = False
        modes = ["root", "userns", "none"] if isolation == "auto" else [isolation]
        if isolation == "auto" and os.geteuid() != 0:
            modes.remove("root")
        errors = []
        for mode in modes:
            try:
                self._start(mode)
                break
            except (RuntimeError, OSError) as exc:
                errors.append(f"{mode}: {exc}")
                self._stop_spawner()
        else:
            if self._tmp:
                shutil.rmtree(self._tmp, ignore_errors=True)
            release_uids(self._uids)
            self.closed = True
            raise RuntimeError("no sandbox isolation works here: " + "; ".join(errors))
        if errors:
            warnings.warn(f"sandbox fell back to isolation={self.isolation!r} ({'; '.join(errors)})", SandboxWarning,
                          stacklevel=2)
        if self.isolation == "none":
            warnings.warn(self._weaker(), SandboxWarning, stacklevel=2)
        _POOLS.add(self)

    # ----- lifecycle --------------------------------------------------------------------------------------------
    def _config(self, mode: str) -> dict[str, object]:
        layout = spawners.root_layout(self._hide)
        return {"isolation": mode, "limits": self.limits.worker_limits(), "tmpfs_bytes": self.limits.tmpfs_mb << 20,
                "root": layout, "stage": spawners.stage_dir(layout) if mode in ("root", "userns") else "",
                "landlock": spawners.landlock_abi() if mode == "none" else 0}

    def _weaker(self) -> str:
        """The warning of ``isolation='none'``: what it lacks, and whether host files are readable."""
        abi = spawners.landlock_abi()
        if abi:
            files = (f"host files are hidden by Landlock (ABI {abi}): only the standard library, read-only, and the "
                     f"worker's own directory are readable")
        else:
            files = ("Landlock is unavailable, so PROGRAMS CAN READ AND LIST EVERY HOST FILE THE WORKER'S UID CAN "
                     "(the checkout, /etc, /home, ...)")
        return (f"sandbox isolation='none' is weaker than 'root', 'userns' or backend='bwrap': no PID, network or "
                f"mount namespace; {files}. Use it only for trusted code (see docs/envs/codetests.md).")

    def _start(self, mode: str) -> None:
        """Start the spawner for ``mode`` and check that a worker gets ready (RuntimeError when it does not)."""
        cfg = self._config(mode)
        if mode == "none" and self.backend != "bwrap" and not self._tmp:
            self._tmp = tempfile.mkdtemp(prefix="vecreward-sandbox-")
            os.chmod(self._tmp, 0o711)
        spawners = {"zygote": ZygoteSpawner, "process": ProcessSpawner, "bwrap": BwrapSpawner}
        self._spawner = spawners[self.backend](cfg)
        probe = self._spawn()
        self._wait_ready([probe], time.monotonic() + START_SECONDS)
        self._starting.remove(probe)
        if probe.ready is None:
            reason = probe.setup_error or "no ready report"
            self._discard(probe)
            raise RuntimeError(reason)
        self.isolation = str(probe.ready.get("isolation", mode))
        self._idle.append(probe)
        if self.prestart:
            self._fill()

    def _stop_spawner(self) -> None:
        for worker in list(self._idle) + self._starting:
            self._discard(worker)
        self._idle.clear()
        self._starting.clear()
        if self._spawner is not None:
            self._spawner.close()
            self._spawner = None

    def close(self) -> None:
        """Kill every worker and the zygote, remove the pool's files (idempotent)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if os.getpid() != self._owner_pid:  # a forked copy: the workers belong to the parent process
                return
            self._stop_spawner()
            if self._tmp:
                shutil.rmtree(self._tmp, ignore_errors=True)
            release_uids(self._uids)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort at garbage collection
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110
            pass

    def __getstate__(self) -> dict:
        raise TypeError("a SandboxPool holds processes and cannot be pickled; create one per process")

    # ----- workers ----------------------------------------------------------------------------------------------
    def _spawn(self) -> _Worker:
        assert self._spawner is not None
        if isinstance(self._spawner, ZygoteSpawner) and not self._spawner.alive():
            raise RuntimeError("the sandbox zygote died")
        uid = self._free_uids.popleft()
        self._counter += 1
        workdir = os.path.join(self._tmp, f"w{self._counter}") if self._tmp else ""
        worker = _Worker(self._spawner.spawn(uid, workdir), time.monotonic())
        self._starting.append(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker, wait (bounded) until its tree is gone, release its resources."""
        worker.spawned.kill()
        self._drain(worker, time.monotonic() + KILL_GRACE_SECONDS)
        self._release(worker)

    def _release(self, worker: _Worker) -> None:
        worker.spawned.close()
        if worker.finished:  # its uid has no process left: reusable
            self._free_uids.append(worker.spawned.uid)

    def _drain(self, worker: _Worker, until: float) -> None:
        """Read a worker's pipes until both close or ``until`` passes."""
        while not worker.finished and time.monotonic() < until:
            self._pump([worker], min(0.1, max(0.0, until - time.monotonic())))

    def _wait_ready(self, workers: list[_Worker], until: float) -> None:
        while any(w.ready is None and not w.finished for w in workers) and time.monotonic() < until:
            self._pump(workers, 0.05)

    # ----- I/O ----------------------------------------------------------------------------------------------------
    def _pump(self, workers: Sequence[_Worker], timeout: float) -> None:
        """One select over the workers' pipes; feeds what arrived."""
        selector = selectors.DefaultSelector()
        for worker in workers:
            pipes = worker.spawned.pipes
            if worker.result_open and pipes.result_r is not None:
                selector.register(pipes.result_r, selectors.EVENT_READ, (worker, "result"))
            if worker.output_open and pipes.output_r is not None:
                selector.register(pipes.output_r, selectors.EVENT_READ, (worker, "output"))
        if not selector.get_map():
            selector.close()
            time.sleep(timeout)
            return
        for key, _ in selector.select(timeout):
            worker, which = key.data
            try:
                data = os.read(key.fd, 1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if which == "output":
                if not data:
                    worker.output_open = False
                else:
                    worker.output_seen += len(data)
                    room = self.limits.output_bytes - len(worker.output)
                    if room > 0:
                        worker.output += data[:room]
                continue
            if not data:
                worker.result_open = False
                continue
            self._feed_result(worker, data)
        selector.close()

    def _feed_result(self, worker: _Worker, data: bytes) -> None:
        if worker.collector is None:  # before the job: only the ready report (or a setup error) comes
            worker.collector = Collector(0, 1 << 16)
        if not worker.collector.feed(data) and not worker.killed_reason:
            self._kill(worker, f"killed: reported more than {self.limits.result_bytes} bytes of results")
        if worker.ready is None and worker.collector.ready is not None:
            worker.ready = worker.collector.ready
        if worker.collector.setup_error:
            worker.setup_error = worker.collector.setup_error

    def _kill(self, worker: _Worker, reason: str) -> None:
        if not worker.killed_reason:
            worker.killed_reason = reason
            worker.killed_at = time.monotonic()
        worker.spawned.kill()

    # ----- running jobs -------------------------------------------------------------------------------------------
    def _dispatch(self, worker: _Worker, index: int, job: Job) -> bool:
        """Send a job to a ready worker; False when the worker is gone (it is discarded)."""
        payload = json.dumps({"code": job.code, "entry": job.entry, "inputs": [list(a) for a in job.inputs],
                              "test_seconds": self.limits.test_seconds, "max_items": self.limits.max_items})
        worker.collector = Collector(len(job.inputs), self.limits.result_bytes)
        worker.job_index = index
        worker.sent_at = time.monotonic()
        worker.deadline = worker.sent_at + self.limits.program_seconds
        fd = worker.spawned.pipes.job_w
        try:
            view = memoryview(payload.encode())
            while view:
                view = view[os.write(fd, view):]  # type: ignore[arg-type]
            os.close(fd)  # type: ignore[arg-type]
            worker.spawned.pipes.job_w = None
        except OSError:
            self._discard(worker)
            return False
        return True

    def _result(self, worker: _Worker, job: Job) -> RunResult:
        collector = worker.collector
        assert collector is not None
        if collector.exit is None:
            collector.exit = worker.spawned.exit_status()
        ended = collector.ended(worker.killed_reason)
        if worker.output_seen > len(worker.output):
            worker.output += f"\n[... {worker.output_seen - len(worker.output)} more bytes dropped]".encode()
        return RunResult(
            tests=collector.results(), compiled=collector.compiled, compile_error=collector.compile_error,
            ended=ended, output=worker.output.decode("utf-8", errors="replace"),
            wall_seconds=time.monotonic() - worker.sent_at, isolation=self.isolation, uid=worker.spawned.uid)

    def _fill(self) -> None:
        """Keep ``size`` workers ready or starting (errors are recorded, never raised)."""
        while len(self._idle) + len(self._starting) < self.size and self._free_uids:
            try:
                self._ensure_spawner()
                self._spawn()
            except (RuntimeError, OSError) as exc:
                self._last_error = f"cannot start a sandbox worker: {exc}"
                return

    def _ensure_spawner(self) -> None:
        """Restart a zygote that died (e.g. killed by the OOM killer)."""
        if isinstance(self._spawner, ZygoteSpawner) and not self._spawner.alive():
            self._spawner.close()
            self._spawner = ZygoteSpawner(self._config(self.isolation if self.isolation != "bwrap" else "none"))

    def _promote_started(self) -> None:
        """Move workers that became ready to the idle queue; drop those that failed or took too long."""
        now = time.monotonic()
        for worker in list(self._starting):
            if worker.ready is not None:
                self._starting.remove(worker)
                self._idle.append(worker)
            elif worker.finished or now - worker.started > START_SECONDS:
                self._starting.remove(worker)
                self._last_error = "a sandbox worker failed to start: " + (
                    worker.setup_error or (f"not ready after {START_SECONDS:g} s" if not worker.finished
                                           else "it exited before it was ready"))
                self._discard(worker)

    def _next_ready(self) -> _Worker | None:
        """A ready worker, waiting for one to start if needed (None when none can start in time)."""
        deadline = time.monotonic() + START_SECONDS
        while not self._idle:
            self._fill()
            if not self._starting or time.monotonic() > deadline:
                return None
            self._pump(self._starting, 0.05)
            self._promote_started()
        return self._idle.popleft()

    def _unavailable(self, job: Job) -> RunResult:
        from vecreward_envs.codetests.sandbox.protocol import TestRun

        reason = self._last_error or "no sandbox worker is available"
        return RunResult(tests=tuple(TestRun("missing") for _ in job.inputs), compiled=False, compile_error="",
                         ended=f"sandbox unavailable: {reason}", output="", wall_seconds=0.0,
                         isolation=self.isolation)

    def run(self, jobs: Sequence[Job]) -> list[RunResult]:
        """Run every job (at most ``size`` at once), each in a fresh sandboxed process; results in job order.

        Never raises for anything a program does; a job that no worker could take gets a result whose ``ended``
        says why.
        """
        if self.closed:
            raise RuntimeError("this SandboxPool is closed")
        if os.getpid() != self._owner_pid:
            raise RuntimeError("a SandboxPool cannot be used in a forked child; create one in this process")
        for job in jobs:
            if not isinstance(job, Job):
                raise TypeError(f"expected Job, got {type(job).__name__}")
        with self._lock:
            results: list[RunResult | None] = [None] * len(jobs)
            pending = deque(range(len(jobs)))
            running: list[_Worker] = []
            lost = 0
            while pending or running:
                while pending and len(running) < self.size:
                    worker = self._next_ready() if lost <= 2 * self.size else None
                    if worker is None:
                        break
                    index = pending.popleft()
                    if self._dispatch(worker, index, jobs[index]):
                        running.append(worker)
                    else:  # the worker died while idle: give the job to another one
                        pending.appendleft(index)
                        lost += 1
                    if self.prestart:
                        self._fill()
                if not running:
                    for index in pending:
                        results[index] = self._unavailable(jobs[index])
                    break
                self._pump(running + self._starting, 0.02 if self._starting else self._timeout(running))
                self._promote_started()
                now = time.monotonic()
                for worker in list(running):
                    if not worker.killed_reason and now > worker.deadline:
                        self._kill(worker, f"killed: exceeded the {self.limits.program_seconds:g} s wall-clock "
                                           f"limit of the program")
                    stuck = bool(worker.killed_reason) and now - worker.killed_at > KILL_GRACE_SECONDS
                    if worker.finished or stuck:
                        running.remove(worker)
                        results[worker.job_index] = self._result(worker, jobs[worker.job_index])
                        self._release(worker)
            if self.prestart:
                self._fill()
        return [r if r is not None else self._unavailable(j) for r, j in zip(results, jobs, strict=True)]

    def _timeout(self, running: list[_Worker]) -> float:
        if not running:
            return 0.0
        now = time.monotonic()
        return max(0.001, min(min(w.deadline for w in running) - now, 0.5))

    def run_one(self, code: str, inputs: Sequence[Sequence[object]], entry: str = "solve") -> RunResult:
        """Run one program (convenience for ``run``)."""
        return self.run([Job(code, tuple(tuple(a) for a in inputs), entry)])[0]


@atexit.register
def _close_all() -> None:  # pragma: no cover - interpreter shutdown
    for pool in list(_POOLS):
        try:
            pool.close()
        except Exception:  # noqa: BLE001, S110
            pass


_default: SandboxPool | None = None
_default_lock = threading.Lock()


def default_pool() -> SandboxPool:
    """A process-wide pool with default settings, created on first use (closed at exit; one per process)."""
    global _default
    with _default_lock:
        if _default is None or _default.closed or _default._owner_pid != os.getpid():
            _default = SandboxPool()
        return _default
