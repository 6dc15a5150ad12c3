"""How sandbox workers are started: forked from a zygote, started as a fresh interpreter, or inside bubblewrap.

Every spawner hands a worker four pipes (job in, results out, stdout/stderr out, a kill lifeline) and returns a
``Spawned`` handle whose ``kill()`` ends the worker's whole process tree. No spawner ever signals a PID it has not
itself started and not yet reaped: wardens kill through pidfds, and bubblewrap is the pool's own child.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

WORKER_SCRIPT = Path(__file__).with_name("_worker.py")
MINIMAL_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
"""The only environment a worker inherits (no secrets, no PYTHON* variables)."""
DEFAULT_HIDE = ("/root", "/home", "/run", "/var/tmp", "/dev/shm", "/mnt", "/media", "/srv")
"""Directories replaced by empty read-only tmpfs inside the sandbox (plus the pool's working directory)."""


def interpreter() -> str:
    """The real interpreter binary (a venv's python is a link to it; the sandbox needs only the stdlib)."""
    return os.path.realpath(sys.executable)


def expose_paths() -> list[str]:
    """Directories the sandboxed interpreter must keep reading even under a hidden directory."""
    paths = {os.path.realpath(sys.base_prefix), os.path.dirname(interpreter())}
    return sorted(paths)


def hide_paths(extra: tuple[str, ...] = ()) -> list[str]:
    """Default hidden directories, the current working directory and ``extra``."""
    paths = list(DEFAULT_HIDE) + list(extra)
    cwd = os.getcwd()
    if cwd != "/" and not any(cwd == p or cwd.startswith(p.rstrip("/") + "/") for p in paths):
        paths.append(cwd)
    return paths


_RESERVED: set[int] = set()
_RESERVED_LOCK = threading.Lock()
UID_RANGE = (40_000, 60_000)
"""Where worker uids are taken from (no account should live there; ``SandboxPool(uid_base=...)`` overrides)."""


def _live_uids() -> set[int]:
    uids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            uids.add(int(line.split()[1]))
                            break
            except OSError:
                pass
    return uids


def reserve_uids(count: int, base: int | None = None) -> list[int]:
    """``count`` consecutive uids that no account, no live process and no other pool of this process uses.

    Each pool gets its own block, so RLIMIT_NPROC counts and the kill sweep of one pool never touch another's.

    Raises:
        RuntimeError: ``base`` was given and its block is taken, or no free block is left in ``UID_RANGE``.
    """
    with _RESERVED_LOCK:
        live = _live_uids()
        low, high = UID_RANGE
        start = base if base is not None else low + (32 * os.getpid()) % (high - low - count)
        for attempt in range((high - low) // count + 1):
            first = start if base is not None else low + (start - low + attempt * count) % (high - low - count)
            block = list(range(first, first + count))
            if all(u not in _RESERVED and u not in live and _free_uid(u) for u in block):
                _RESERVED.update(block)
                return block
            if base is not None:
                raise RuntimeError(f"uids {first}..{first + count - 1} are in use")
        raise RuntimeError(f"no block of {count} free uids in {UID_RANGE}")


def _free_uid(uid: int) -> bool:
    """No account has this uid."""
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return True
    return False


def release_uids(uids: list[int]) -> None:
    """Give a pool's uids back (after its processes are gone)."""
    with _RESERVED_LOCK:
        _RESERVED.difference_update(uids)


@dataclass
class Pipes:
    """The parent's ends of a worker's pipes."""

    job_w: int
    result_r: int
    output_r: int
    life_w: int | None


def _make_pipes() -> tuple[Pipes, list[int]]:
    """(parent ends, child ends [job_r, result_w, output_w, life_r])."""
    job_r, job_w = os.pipe()
    result_r, result_w = os.pipe()
    output_r, output_w = os.pipe()
    life_r, life_w = os.pipe()
    for fd in (result_r, output_r):
        os.set_blocking(fd, False)
    return Pipes(job_w, result_r, output_r, life_w), [job_r, result_w, output_w, life_r]


class Spawned:
    """A started worker: its pipes and how to kill it."""

    def __init__(self, pipes: Pipes, uid: int, proc: subprocess.Popen | None = None, workdir: str = "",
                 await_uid: bool = False) -> None:
        self.pipes = pipes
        self.uid = uid
        self.proc = proc
        self.workdir = workdir
        self.await_uid = await_uid

    def kill(self) -> None:
        """End the worker and everything it started (idempotent)."""
        if self.pipes.life_w is not None:
            try:
                os.write(self.pipes.life_w, b"k")
            except OSError:
                pass
        elif self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # bubblewrap: our own child; its PID-1 init takes the sandbox down with it

    def close(self) -> None:
        """Release the parent's ends and reap what the parent started."""
        for name in ("job_w", "result_r", "output_r", "life_w"):
            fd = getattr(self.pipes, name)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self.pipes, name, None)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a warden that ignores its lifeline
                self.proc.kill()
                self.proc.wait()
        if self.await_uid:  # bubblewrap may exit while its PID namespace is still being torn down
            deadline = time.monotonic() + 5.0
            while self.uid in _live_uids() and time.monotonic() < deadline:
                time.sleep(0.005)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def exit_status(self) -> dict[str, object] | None:
        """Exit status of a worker the parent started itself (bubblewrap), else None (the warden reports it)."""
        if self.proc is None or self.pipes.life_w is not None or self.proc.poll() is None:
            return None
        code = self.proc.returncode
        return {"exit": code if code >= 0 else None, "signal": -code if code < 0 else 0}


class ZygoteSpawner:
    """Forks wardens from one pre-started interpreter that has already imported what solutions use."""

    def __init__(self, cfg: dict[str, object]) -> None:
        self.cfg = cfg
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(WORKER_SCRIPT), "zygote", json.dumps(cfg)],
            stdin=child, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=MINIMAL_ENV, cwd="/",
            start_new_session=True, close_fds=True)
        child.close()
        self.control = parent
        line = self.proc.stdout.readline() if self.proc.stdout else b""
        if b"zygote" not in line:
            self.close()
            raise RuntimeError(f"the sandbox zygote did not start (got {line[:200]!r})")

    def spawn(self, uid: int, workdir: str) -> Spawned:
        """Ask the zygote for a worker running as ``uid`` (``workdir``: its directory without namespaces)."""
        pipes, child_ends = _make_pipes()
        try:
            request = json.dumps({"uid": uid, "gid": uid, "workdir": workdir}).encode()
            socket.send_fds(self.control, [request], child_ends)
        finally:
            for fd in child_ends:
                os.close(fd)
        return Spawned(pipes, uid, workdir=workdir if self.cfg["isolation"] == "none" else "")

    def alive(self) -> bool:
        """Whether the zygote still runs."""
        return self.proc.poll() is None

    def close(self) -> None:
        """Stop the zygote (it exits when its control socket closes)."""
        self.control.close()  # the zygote exits on EOF
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


class ProcessSpawner:
    """Starts a fresh interpreter per worker (warden + child, no zygote): the naive baseline's way."""

    def __init__(self, cfg: dict[str, object]) -> None:
        self.cfg = cfg

    def spawn(self, uid: int, workdir: str) -> Spawned:
        """Start a fresh interpreter as the worker's warden."""
        pipes, child_ends = _make_pipes()
        cfg = {**self.cfg, "uid": uid, "gid": uid, "workdir": workdir, "fds": child_ends}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(WORKER_SCRIPT), "standalone", json.dumps(cfg)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=MINIMAL_ENV,
                cwd="/", start_new_session=True, pass_fds=child_ends)
        finally:
            for fd in child_ends:
                os.close(fd)
        return Spawned(pipes, uid, proc, workdir if self.cfg["isolation"] == "none" else "")

    def alive(self) -> bool:
        """Always: there is no long-lived helper process."""
        return True

    def close(self) -> None:
        """Nothing to stop."""


def bwrap_path() -> str | None:
    """The ``bwrap`` executable, or None when bubblewrap is not installed."""
    return shutil.which("bwrap")


def _bwrap_supports_size(binary: str) -> bool:
    try:
        text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--size" in text


class BwrapSpawner:
    """Starts each worker inside bubblewrap (namespaces, read-only root, private /tmp, hidden dirs by bwrap)."""

    def __init__(self, cfg: dict[str, object]) -> None:
        binary = bwrap_path()
        if binary is None:
            raise RuntimeError("backend='bwrap' needs bubblewrap (`apt-get install -y bubblewrap`)")
        self.cfg = cfg
        self.binary = binary
        self.source = WORKER_SCRIPT.read_text()
        self.size_args = ["--size", str(cfg["tmpfs_bytes"])] if _bwrap_supports_size(binary) else []

    def command(self, cfg: dict[str, object]) -> list[str]:
        """The bwrap command line for one worker."""
        args = [self.binary, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
                "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if os.geteuid() != 0:
            args.append("--unshare-user")
        args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", *self.size_args, "--tmpfs", "/tmp"]
        for path in cfg["hide"]:  # type: ignore[attr-defined]
            if os.path.isdir(path) and not os.path.islink(path) and path != "/tmp":
                args += ["--tmpfs", path]
        for path in cfg["expose"]:  # type: ignore[attr-defined]
            hidden = [h for h in cfg["hide"] if path.startswith(h.rstrip("/") + "/")]  # type: ignore[attr-defined]
            if hidden:  # bwrap would create the directories down to the mount point without read access
                parts = Path(path).relative_to(hidden[0]).parts
                for i in range(1, len(parts)):
                    args += ["--perms", "0755", "--dir", str(Path(hidden[0], *parts[:i]))]
            args += ["--ro-bind", path, path]
        args += ["--chdir", "/tmp", "--", interpreter(), "-I", "-S", "-c", self.source, "bwrap", json.dumps(cfg)]
        return args

    def spawn(self, uid: int, workdir: str) -> Spawned:
        """Start a worker inside bubblewrap (the pool's own child: killing it ends the sandbox)."""
        pipes, (job_r, result_w, output_w, life_r) = _make_pipes()
        os.close(life_r)
        os.close(pipes.life_w)  # type: ignore[arg-type]
        pipes.life_w = None
        cfg = {**self.cfg, "uid": uid, "gid": uid, "result_fd": result_w}
        try:
            proc = subprocess.Popen(self.command(cfg), stdin=job_r, stdout=output_w, stderr=output_w,
                                    env=MINIMAL_ENV, cwd="/", start_new_session=True, pass_fds=[result_w])
        finally:
            for fd in (job_r, result_w, output_w):
                os.close(fd)
        return Spawned(pipes, uid, proc, await_uid=os.geteuid() == 0)

    def alive(self) -> bool:
        """Always: there is no long-lived helper process."""
        return True

    def close(self) -> None:
        """Nothing to stop."""
