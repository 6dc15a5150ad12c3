"""Where the runs of a grid execute: a local spawn process pool (the embedded default) or Ray tasks.

Both backends call the same worker function (:func:`agents.compare.worker.run_one`) on the same run directories,
so resumability (a finished run's ``result.json`` is never redone, an interrupted one continues from its
checkpoint) and the atomic result files are the same. A backend is a function
``(console, specs, out, jobs, address) -> failures`` registered in ``BACKENDS``.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.compare.grid import RunSpec

Failures = list[tuple[str, str]]
Backend = Callable[..., Failures]
"""``(console, specs, out, jobs, address, *, wandb=None) -> failures``; ``wandb`` is a
``llm_bridge.run_logging.WandbConfig`` (or None) that every run logs to, named after its run id."""

BACKENDS: dict[str, Backend] = {}
"""Backend name -> runner."""


class BackendError(RuntimeError):
    """A backend could not start (e.g. no Ray cluster at the given address)."""


def register_backend(name: str) -> Callable[[Backend], Backend]:
    """Decorator: register a runner under ``name``."""

    def wrap(fn: Backend) -> Backend:
        BACKENDS[name] = fn
        return fn

    return wrap


def check_backend(name: str, address: str | None) -> None:
    """Validate a backend choice before anything runs.

    Raises:
        ValueError: unknown backend, ``--ray-address`` without ray, ray not installed, or a cluster address
            (``--ray-address``, else ``RAY_ADDRESS``) that is malformed, unreachable or refuses this machine.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid: {sorted(BACKENDS)}")
    if address is not None and name != "ray":
        raise ValueError("--ray-address needs --backend ray")
    if name == "ray" and importlib.util.find_spec("ray") is None:
        raise ValueError("--backend ray needs Ray, which is not installed: pip install -c constraints-cpu.txt "
                         "\"vecreward[sweep]\" (or \"ray[default]>=2.9\")")
    if name == "ray":
        from agents.compare.ray_cluster import check_ray_address, resolve_address

        cluster, source = resolve_address(address)
        if cluster is not None:  # fail in seconds, with one line, not after ray.init's minutes of retries
            check_ray_address(cluster, source)


def run_grid(console: Any, specs: list[RunSpec], out: Path, jobs: int, backend: str = "local",
             address: str | None = None, *, wandb: Any = None) -> Failures:
    """Run every unfinished spec on ``backend``; returns ``(run_id, error)`` of the runs that failed.

    ``wandb``: a ``WandbConfig`` every run also logs to (one W&B run per grid run), or None.
    """
    check_backend(backend, address)
    extra = {"wandb": wandb} if wandb is not None else {}  # a backend that predates W&B still runs without it
    return BACKENDS[backend](console, specs, out, jobs, address, **extra)


def _todo(specs: list[RunSpec], out: Path) -> list[RunSpec]:
    from agents.compare.worker import finished_record

    return [s for s in specs if finished_record(out / "runs" / s.run_id) is None]


class _Bars:
    """A rich progress display: one bar for the grid, one per running run (fed by (run_id, step, total))."""

    def __init__(self, console: Any, total: int, done: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=console)
        self.grid = self.progress.add_task("grid", total=total, completed=done)
        self.bars: dict[str, Any] = {}

    def __enter__(self) -> _Bars:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def drain(self, get_nowait: Callable[[], tuple[str, int, int]], empty: tuple[type[BaseException], ...]) -> None:
        """Apply every pending per-run progress update."""
        while True:
            try:
                run_id, step, total = get_nowait()
            except empty:
                return
            if run_id not in self.bars:
                self.bars[run_id] = self.progress.add_task(f"  {run_id}", total=total)
            self.progress.update(self.bars[run_id], completed=step)

    def finished(self, run_id: str) -> None:
        """One run is done (or failed)."""
        if run_id in self.bars:
            self.progress.remove_task(self.bars.pop(run_id))
        self.progress.advance(self.grid)


class _Lines:
    """Progress as plain lines, for a log file, CI or nohup: the start, each finished run with an ETA, the end."""

    def __init__(self, console: Any, total: int, done: int) -> None:
        self.console, self.total, self.done, self.first = console, total, done, done
        self.started = time.perf_counter()

    def __enter__(self) -> _Lines:
        self._say(f"compare: {self.total - self.done} run(s) to do ({self.done} of {self.total} already done)")
        return self

    def __exit__(self, *exc: object) -> None:
        self._say(f"compare: {self.done} of {self.total} runs done, {time.perf_counter() - self.started:.0f} s "
                  "(failures, if any, are listed at the end)")

    def drain(self, get_nowait: Callable[[], tuple[str, int, int]], empty: tuple[type[BaseException], ...]) -> None:
        """Per-step updates are not printed (one line per run is enough in a log)."""
        while True:
            try:
                get_nowait()
            except empty:
                return

    def finished(self, run_id: str) -> None:
        """One run is done (or failed): a line with the elapsed time and the ETA of the rest."""
        self.done += 1
        elapsed = time.perf_counter() - self.started
        left = self.total - self.done
        eta = elapsed / (self.done - self.first) * left
        self._say(f"[{self.done}/{self.total}] {run_id} done; elapsed {elapsed:.0f} s, ETA {eta:.0f} s")

    def _say(self, text: str) -> None:
        print(text, flush=True)


def _progress(console: Any, total: int, done: int) -> _Bars | _Lines:
    """Bars on a terminal, plain lines anywhere else."""
    return _Bars(console, total, done) if console.is_terminal else _Lines(console, total, done)


class Interrupted(Exception):
    """Ctrl-C (SIGINT) stopped the grid: the finished runs are kept, the rest can be resumed."""


_PROGRESS: Any = None
"""A worker's progress queue (set by ``_init_worker``)."""


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies, whatever kills the parent (even SIGKILL).

    Without it a killed ``vecreward compare`` leaves its workers training, re-parented to PID 1, writing into the
    run directories while a ``--resume`` works on them.
    """
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _init_worker(parent: int, progress: Any) -> None:
    """Pool worker set-up: die with the parent; leave Ctrl-C to the parent (which stops the workers itself)."""
    import signal

    global _PROGRESS
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _PROGRESS = progress


def _run_in_worker(run_id: str, config: dict[str, Any], run_dir: str, wandb: Any = None) -> dict[str, Any]:
    from agents.compare.worker import run_one

    return run_one(run_id, config, run_dir, _PROGRESS, wandb=wandb)


@register_backend("local")
def run_local(console: Any, specs: list[RunSpec], out: Path, jobs: int, address: str | None = None, *,
              wandb: Any = None) -> Failures:
    """A spawn process pool of ``jobs`` workers on this machine (nothing to start).

    The workers die with this process, on any kill. Ctrl-C stops them within seconds and raises ``Interrupted``;
    finished runs keep their ``result.json``, interrupted ones their last checkpoint (``--resume`` continues).
    """
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    todo = _todo(specs, out)
    failures: Failures = []
    context = mp.get_context("spawn")  # no inherited torch/numba thread state in the workers
    updates = context.Queue()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                               initargs=(os.getpid(), updates))
    try:
        with _progress(console, len(specs), len(specs) - len(todo)) as bars:
            # Workers start with SIGINT blocked (they inherit the mask), so a Ctrl-C while they import cannot print
            # their tracebacks; each then ignores SIGINT and unblocks it. This process handles the Ctrl-C.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                futures = {pool.submit(_run_in_worker, s.run_id, s.config.to_dict(),
                                       str(out / "runs" / s.run_id), wandb): s for s in todo}
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                bars.drain(updates.get_nowait, (queue.Empty,))
                for future in finished:
                    spec = futures[future]
                    try:
                        future.result()
                    except Exception as exc:  # noqa: BLE001 - a failed run is reported, the grid goes on
                        failures.append((spec.run_id, repr(exc)))
                    bars.finished(spec.run_id)
    except KeyboardInterrupt:
        _stop(pool, out)
        raise Interrupted from None
    pool.shutdown(wait=True)
    updates.close()
    return failures


def _stop(pool: Any, out: Path) -> None:
    """Kill the pool's workers now (a run in progress keeps its last checkpoint) and reap them.

    The temporary files a killed write left are removed (the files they were replacing are intact).
    """
    processes = list(getattr(pool, "_processes", {}).values())  # the executor has no public kill
    for process in processes:
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)
    for stale in (out / "runs").rglob("*.tmp"):
        stale.unlink(missing_ok=True)


@register_backend("ray")
def run_ray(console: Any, specs: list[RunSpec], out: Path, jobs: int, address: str | None = None, *,
            wandb: Any = None) -> Failures:
    """One Ray task per run: ``ray.init(num_cpus=jobs)`` locally, or ``ray.init(address=...)`` for a cluster.

    On a cluster (``address``, else ``RAY_ADDRESS``) every node must have the same vecreward installed and see
    ``out`` at the same path (a shared file system), since the workers write the run directories themselves,
    exactly as the local pool's workers do; both are checked on every node before any run starts
    (:func:`agents.compare.ray_cluster.check_nodes`), and the nodes the runs ran on are printed at the end.
    """
    import ray
    from ray.util.queue import Empty, Queue

    from agents.compare.ray_cluster import check_nodes, resolve_address, run_on_node
    from agents.compare.worker import finished_record

    address, source = resolve_address(address)
    todo = _todo(specs, out)
    failures: Failures = []
    started_here = not ray.is_initialized()
    if started_here:
        if address is None:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            try:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise BackendError(f"cannot connect to the Ray cluster at {address!r} ({source}): "
                                   f"{str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)} (is it "
                                   "running, and is this machine allowed to join it, e.g. its auth token?)") from exc
    try:
        labels = check_nodes(out) if started_here and address is not None else {}
        used: dict[str, int] = {}
        remote_run = ray.remote(num_cpus=1, max_retries=0)(run_on_node)
        updates = Queue()
        with _progress(console, len(specs), len(specs) - len(todo)) as bars:
            refs = {remote_run.remote(s.run_id, s.config.to_dict(), str((out / "runs" / s.run_id).resolve()),
                                      updates, wandb=wandb): s for s in todo}
            pending = list(refs)
            while pending:
                finished, pending = ray.wait(pending, num_returns=len(pending), timeout=0.5)
                bars.drain(updates.get_nowait, (Empty,))
                for ref in finished:
                    spec = refs[ref]
                    try:
                        node, _ = ray.get(ref)
                        used[node] = used.get(node, 0) + 1
                        if finished_record(out / "runs" / spec.run_id) is None:
                            failures.append((spec.run_id, f"it finished on Ray node {labels.get(node, node[:8])} "
                                             "but its result is not under --out here: --out must be on a file "
                                             "system every node shares"))
                    except Exception as exc:  # noqa: BLE001 - a failed run is reported, the grid goes on
                        failures.append((spec.run_id, repr(exc)))
                    bars.finished(spec.run_id)
        updates.shutdown()
        if labels:
            console.print(f"ray: {sum(used.values())} run(s) ran on {len(used)} of the cluster's {len(labels)} "
                          "node(s) with CPUs: " + ", ".join(f"{labels.get(node, node[:8])} ({count})"
                                                            for node, count in sorted(used.items())), soft_wrap=True)
    finally:
        if started_here:
            ray.shutdown()
    return failures
