"""Sandbox worker processes (a standalone script: standard library only, run with ``python -I -S``).

Roles, all in this one file so that nothing is imported after isolation starts:

- ``zygote``: started once per pool. Imports what solutions commonly use, then forks one *warden* per request
  received on its control socket (``socket.recv_fds``: the request carries the worker's four pipe ends).
- *warden* (W, trusted, root where the pool runs as root): unshares the mount, PID, network, IPC and UTS
  namespaces (plus a user namespace when not root), forks the *child*, and waits for the child's exit or for a
  kill request (a byte or EOF on its lifeline pipe), which it carries out through a pidfd (no PID reuse race).
  It reports the child's exit status on the result pipe and exits.
- *child* (C, PID 1 of its namespace): makes its mounts private, mounts a size-limited tmpfs on /tmp and empty
  read-only tmpfs over private directories (re-exposing the interpreter's own prefix), a fresh /proc, remounts
  everything else read-only, drops to the slot's unprivileged uid/gid (or drops all capabilities in a user
  namespace), sets no_new_privs and the resource limits, clears the environment, and reports ``ready``. Then it
  reads one job (code + test inputs, never expected outputs), runs it, writes one JSON line per test on fd 3 and
  exits. When it exits the kernel kills every process left in its PID namespace.
- ``standalone``: warden and child for one job without a zygote (the naive one-process-per-test baseline).
- ``bwrap``: the child's job loop only, inside bubblewrap (which did the isolation) after a uid drop.

Expected outputs never reach this process: comparison happens in the parent, so tampering here can only change
what the solution answers, never whether an answer is judged correct.
"""

from __future__ import annotations

import builtins
import ctypes
import json
import os
import resource
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import NoReturn

# Modules a solution may import without touching the file system after the mounts change.
PRELOAD = ("math", "itertools", "functools", "collections", "heapq", "bisect", "re", "string", "operator",
           "typing", "copy", "statistics", "fractions", "decimal", "dataclasses", "enum", "array", "random",
           "time", "io", "encodings.idna", "unicodedata")
for _name in PRELOAD:
    try:
        __import__(_name)
    except ImportError:  # pragma: no cover - minimal Pythons
        pass

_LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE = 1024, 2048, 4096, 16384, 1 << 18
MS_RELATIME, MS_STRICTATIME = 1 << 21, 1 << 24
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
_MOUNT_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
                "noatime": MS_NOATIME, "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
RESULT_FD = 3
JOB_LIMIT = 16 << 20

_write = os.write
_dumps = json.dumps


class SetupError(Exception):
    """Isolation could not be set up (reported to the parent; nothing untrusted has run)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)} (errno {err})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_LIBC.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {fstype or ''} {target}")


def _emit(fd: int, obj: dict) -> None:
    """One JSON line on ``fd`` (ignores a closed pipe: the parent may have gone)."""
    data = (_dumps(obj) + "\n").encode()
    try:
        while data:
            data = data[_write(fd, data):]
    except OSError:
        pass


# ----- warden -----------------------------------------------------------------------------------------------------
def warden(cfg: dict, job_r: int, result_w: int, output_w: int, life_r: int) -> NoReturn:
    """Create the namespaces, fork the child, then wait for its exit or a kill request; report; exit."""
    mode = cfg["isolation"]
    try:
        os.setsid()
    except OSError:  # already a session leader (started with start_new_session)
        pass
    try:
        if mode in ("root", "userns"):
            flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
            uid, gid = os.getuid(), os.getgid()
            if mode == "userns":
                flags |= CLONE_NEWUSER
            _check(_LIBC.unshare(flags), "unshare")
            if mode == "userns":
                with open("/proc/self/setgroups", "w") as f:
                    f.write("deny")
                with open("/proc/self/uid_map", "w") as f:
                    f.write(f"{uid} {uid} 1")
                with open("/proc/self/gid_map", "w") as f:
                    f.write(f"{gid} {gid} 1")
    except (SetupError, OSError) as exc:
        _emit(result_w, {"setup_error": f"warden: {exc}"})
        _emit(result_w, {"exit": 1, "signal": 0})
        os._exit(1)
    if mode == "none":  # no PID namespace: orphans of the child's tree come back to the warden, not to init
        _LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    pid = os.fork()
    if pid == 0:
        os.close(life_r)
        child(cfg, job_r, result_w, output_w)  # never returns
    os.close(job_r)
    os.close(output_w)
    pidfd = os.pidfd_open(pid)
    killed = False
    while True:
        ready, _, _ = select.select([pidfd, life_r], [], [])
        if life_r in ready and not killed:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            killed = True
            if mode == "none":
                _sweep(cfg)
        if pidfd in ready:
            break
    _, status = os.waitpid(pid, 0)
    if mode == "none":
        _sweep(cfg)  # no PID namespace: descendants that outlived the child
        _reap_all()
    _emit(result_w, {"exit": os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None,
                     "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0, "killed": killed})
    os._exit(0)


def _sweep(cfg: dict) -> None:
    """Without a PID namespace: kill every process of the slot's uid (root only: the uid is the slot's own)."""
    uid = cfg.get("uid")
    if os.geteuid() != 0 or not uid:
        return
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            try:
                os.setresgid(cfg["gid"], cfg["gid"], cfg["gid"])
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)  # every process this uid may signal, except this one
            except OSError:
                pass
            os._exit(0)
        os.waitpid(pid, 0)


def _reap_all(seconds: float = 3.0) -> None:
    """Reap every remaining child (orphans adopted as subreaper), waiting at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.01)


# ----- child: isolation -------------------------------------------------------------------------------------------
def _mountinfo() -> list[tuple[str, set[str]]]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            options = set(fields[5].split(","))
            points.append((point, options))
    return points


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _isolate_mounts(cfg: dict) -> None:
    """Private mounts, tmpfs /tmp, hidden private dirs, fresh /proc, read-only everything else."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    exposed = []
    for path in cfg["expose"]:
        if os.path.isdir(path) and any(_under(path, h) for h in cfg["hide"]):
            exposed.append((path, os.open(path, os.O_PATH | os.O_DIRECTORY)))
    tmpfs_opts = f"size={cfg['tmpfs_bytes']},nr_inodes=4096,mode=1777"
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmpfs_opts)
    for path in cfg["hide"]:
        if os.path.isdir(path) and not os.path.islink(path) and path != "/tmp":
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=65536,nr_inodes=256,mode=755")
    for path, fd in exposed:
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    if cfg["isolation"] in ("root", "userns"):
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for point, options in _mountinfo():
        if _under(point, "/tmp"):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for name, bit in _MOUNT_FLAGS.items():
            if name in options:
                flags |= bit
        if _LIBC.mount(None, point.encode(), None, ctypes.c_ulong(flags), None) != 0 and point == "/":
            _check(-1, "remount / read-only")
    if not os.statvfs("/").f_flag & os.ST_RDONLY:
        raise SetupError("/ is still writable after the read-only remount")


def _drop_privileges(cfg: dict) -> None:
    mode = cfg["isolation"]
    if os.geteuid() == 0 and mode != "userns":
        uid, gid = cfg["uid"], cfg["gid"]
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    _check(_LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    if mode == "userns":  # root inside the user namespace: give up every capability

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        data = (ctypes.c_uint32 * 6)()
        _check(_LIBC.capset(ctypes.byref(Header(0x20080522, 0)), data), "capset")
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    if int(status["CapEff"].strip(), 16) != 0:
        raise SetupError(f"capabilities left after the drop: {status['CapEff'].strip()}")
    _check(_LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")


def _own_process_count() -> int:
    """Processes of this real uid (for RLIMIT_NPROC when the uid is shared with the user's other processes)."""
    count, uid = 0, os.getuid()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                pass
    return count


def _set_limits(cfg: dict, shared_uid: bool = False) -> None:
    lim = cfg["limits"]
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime) + lim["cpu_seconds"]
    nproc = lim["processes"]
    if shared_uid:  # the user's own processes count against the same limit
        nproc += _own_process_count()
    for name, value in (("RLIMIT_CORE", (0, 0)), ("RLIMIT_CPU", (cpu, cpu + 1)),
                        ("RLIMIT_AS", (lim["memory_bytes"],) * 2), ("RLIMIT_FSIZE", (lim["file_bytes"],) * 2),
                        ("RLIMIT_NOFILE", (lim["open_files"],) * 2), ("RLIMIT_NPROC", (nproc, nproc))):
        resource.setrlimit(getattr(resource, name), value)


def _prepare_fds(job_r: int, result_w: int, output_w: int) -> None:
    for fd, target in ((job_r, 0), (output_w, 1), (output_w, 2), (result_w, RESULT_FD)):
        if fd != target:
            os.dup2(fd, target)
    os.closerange(RESULT_FD + 1, 1 << 16)


def child(cfg: dict, job_r: int, result_w: int, output_w: int) -> NoReturn:
    """Isolate, report ready, run one job, exit. Never returns."""
    try:
        os.setsid()
        shared_uid = os.geteuid() != 0 and cfg["isolation"] == "none"
        _prepare_fds(job_r, result_w, output_w)
        if cfg["isolation"] in ("root", "userns"):
            _isolate_mounts(cfg)
            workdir = "/tmp/work"
        else:
            workdir = cfg["workdir"]
        os.makedirs(workdir, mode=0o700, exist_ok=True)
        if os.geteuid() == 0 and cfg["isolation"] != "userns":
            os.chown(workdir, cfg["uid"], cfg["gid"])
        os.chdir(workdir)
        _drop_privileges(cfg)
        _set_limits(cfg, shared_uid)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"})
    except BaseException as exc:  # noqa: BLE001 - any failure is reported, and nothing untrusted runs
        _emit(RESULT_FD, {"setup_error": f"child: {type(exc).__name__}: {exc}"})
        os._exit(1)
    _emit(RESULT_FD, {"ready": True, "isolation": cfg["isolation"], "uid": os.getuid(), "pid": os.getpid()})
    run_job(_read_job())


# ----- child: the job ---------------------------------------------------------------------------------------------
def _read_job() -> dict:
    chunks, size = [], 0
    while True:
        chunk = os.read(0, 1 << 16)
        if not chunk:
            break
        size += len(chunk)
        if size > JOB_LIMIT:
            os._exit(3)
        chunks.append(chunk)
    os.close(0)
    return json.loads(b"".join(chunks))


class _Timeout(BaseException):
    """Raised in the solution when its test's time is up."""


_ARMED = [False]


def _on_alarm(signum: int, frame: object) -> None:
    if _ARMED[0]:  # only while the solution runs: never inside the harness's own bookkeeping
        raise _Timeout()


def _line_of(exc: BaseException) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<solution>":
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError):
        line = exc.lineno
    return line


def _describe(exc: BaseException) -> dict:
    try:
        text = exc.msg if isinstance(exc, SyntaxError) and isinstance(exc.msg, str) else str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = "<unprintable>"
    return {"error": type(exc).__name__, "message": text[:300], "line": _line_of(exc)}


def _encode(value: object, max_items: int) -> dict:
    """A result as JSON-able data, exact builtin types only (a subclass or any other type is reported by name)."""
    kind = type(value)
    if kind is bool or (kind is int and -(10**18) <= value <= 10**18):
        return {"value": value}
    if kind is int:
        return {"unsupported": "int out of range"}
    if kind is str:
        if len(value) > max_items:
            return {"unsupported": f"str of length {len(value)}"}
        return {"value": value}
    if kind is list:
        if len(value) > max_items:
            return {"unsupported": f"list of length {len(value)}"}
        items = []
        for item in value:
            if type(item) is not int or not -(10**18) <= item <= 10**18:
                return {"unsupported": f"list holding {type(item).__name__}"}
            items.append(item)
        return {"value": items}
    return {"unsupported": kind.__name__ if isinstance(kind.__name__, str) else "object"}


def _guarded(call: Callable[[], object], seconds: float) -> tuple[object, dict | None]:
    """``call()`` under the per-test timer: (result, None), or (None, outcome) on a timeout or an exception."""
    armed, setitimer, real = _ARMED, signal.setitimer, signal.ITIMER_REAL
    result, outcome = None, {"timeout": True}
    try:
        armed[0] = True
        setitimer(real, seconds)
        try:
            result, outcome = call(), None
        except _Timeout:
            outcome = {"timeout": True}
        except BaseException as exc:  # noqa: BLE001 - every failure is an outcome
            outcome = _describe(exc)
        armed[0] = False
    except _Timeout:  # fired between the end of the call and disarming
        armed[0] = False
    setitimer(real, 0)
    return result, outcome


def run_job(job: dict) -> NoReturn:
    """Run one solution on its tests, one JSON line per test on fd 3; exit."""
    emit = _emit
    seconds, max_items = float(job["test_seconds"]), int(job["max_items"])
    signal.signal(signal.SIGALRM, _on_alarm)
    out_stream = sys.stdout = open(1, "w", buffering=1, closefd=False, errors="replace")
    err_stream = sys.stderr = open(2, "w", buffering=1, closefd=False, errors="replace")
    namespace = {"__name__": "__solution__", "__builtins__": builtins}

    def load() -> object:
        exec(compile(job["code"], "<solution>", "exec"), namespace)  # noqa: S102 - the sandboxed process
        return namespace.get(job["entry"])

    fn, outcome = _guarded(load, seconds)
    if outcome is not None:
        if outcome.get("timeout"):
            outcome = {"error": "Timeout", "message": f"module code ran longer than {seconds:g} s", "line": None}
        emit(RESULT_FD, {"compile_error": outcome})
        os._exit(0)
    if not callable(fn):
        emit(RESULT_FD, {"compile_error": {"error": "NameError", "line": None,
                                           "message": f"no function named {job['entry']!r} is defined"}})
        os._exit(0)
    emit(RESULT_FD, {"compiled": True})
    for i, args in enumerate(job["inputs"]):
        value, outcome = _guarded(lambda args=args: fn(*args), seconds)
        if outcome is None:
            encoded, failure = _guarded(lambda value=value: _encode(value, max_items), seconds)
            outcome = encoded if failure is None else failure
        outcome["i"] = i
        emit(RESULT_FD, outcome)
    for stream in (out_stream, err_stream):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110 - best effort
            pass
    emit(RESULT_FD, {"done": True})
    os._exit(0)


# ----- roles --------------------------------------------------------------------------------------------------------
def zygote(cfg: dict) -> NoReturn:
    """Fork a warden for every request on the control socket (fd 0) until it closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # wardens are reaped automatically
    control = socket.socket(fileno=0)
    _emit(1, {"zygote": os.getpid()})
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(control, 4096, 4)
        except OSError:
            break
        if not msg:
            break
        request = json.loads(msg)
        if len(fds) != 4:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            control.close()
            warden({**cfg, **request}, *fds)
        for fd in fds:
            os.close(fd)
    os._exit(0)


def main() -> None:
    role, cfg = sys.argv[1], json.loads(sys.argv[2])
    if role == "zygote":
        zygote(cfg)
    elif role == "standalone":
        fds = cfg["fds"]
        warden(cfg, fds[0], fds[1], fds[2], fds[3])
    elif role == "bwrap":
        bwrap_child(cfg)
    else:
        raise SystemExit(f"unknown role {role!r}")


def bwrap_child(cfg: dict) -> NoReturn:
    """Inside bubblewrap: drop to the slot uid, set limits, report ready, run one job (fds as in ``child``)."""
    try:
        os.setsid()
        _prepare_fds(0, cfg["result_fd"], 1)
        workdir = "/tmp/work"
        os.makedirs(workdir, mode=0o700, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(workdir, cfg["uid"], cfg["gid"])
        os.chdir(workdir)
        shared_uid = os.geteuid() != 0
        _drop_privileges({**cfg, "isolation": "root"})
        _set_limits(cfg, shared_uid)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"})
    except BaseException as exc:  # noqa: BLE001
        _emit(RESULT_FD, {"setup_error": f"bwrap child: {type(exc).__name__}: {exc}"})
        os._exit(1)
    _emit(RESULT_FD, {"ready": True, "isolation": "bwrap", "uid": os.getuid(), "pid": os.getpid()})
    run_job(_read_job())


if __name__ == "__main__":
    main()
