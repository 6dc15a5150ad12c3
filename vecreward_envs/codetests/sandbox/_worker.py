"""Sandbox worker processes (a standalone script: standard library only, run with ``python -I -S``).

Roles, all in this one file so that nothing is imported after isolation starts:

- ``zygote``: started once per pool. Imports what solutions commonly use, then forks one *warden* per request
  received on its control socket (``socket.recv_fds``: the request carries the worker's four pipe ends).
- *warden* (W, trusted, root where the pool runs as root): unshares the PID, network, IPC and UTS namespaces
  (plus a user namespace when not root), forks the *child*, and waits for the child's exit or for a kill request
  (a byte or EOF on its lifeline pipe), which it carries out through a pidfd (no PID reuse race). It reports the
  child's exit status on the result pipe and exits.
- *child* (C, PID 1 of its namespace): unshares a mount namespace and builds a new root from an allowlist (the
  interpreter, the standard library and the shared libraries they load, read-only; a few device nodes; a private
  size-limited /tmp; nothing else: no /proc, no /etc, no /home, no checkout), pivots into it and detaches the old
  root (``_enter_new_root``); drops to the slot's unprivileged uid/gid (or drops all capabilities in a user
  namespace), sets no_new_privs and the resource limits, clears the environment, and reports ``ready``. Then it
  reads one job (code + test inputs, never expected outputs), runs it, writes one JSON line per test on fd 3 and
  exits. When it exits the kernel kills every process left in its PID namespace. Without namespaces (isolation
  ``none``) the same allowlist is enforced by Landlock where the kernel has it (``_landlock_ruleset``).
- ``standalone``: warden and child for one job without a zygote (the naive one-process-per-test baseline).
- ``bwrap``: the child's job loop only, inside bubblewrap (which did the isolation) after a uid drop.
- ``probe``: prints the import path and the files mapped after the imports above (the parent builds the allowlist
  of ``spawners.root_layout`` from them).

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
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MS_MOVE = 8192
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
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
        if mode in ("root", "userns"):  # the child unshares the mount namespace itself (see _enter_new_root)
            flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
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
def _bind_flags(source: str, device: bool) -> int:
    """Flags of the read-only remount of a bind of ``source`` (keeping the restrictions its mount already has)."""
    have = os.statvfs(source).f_flag
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID
    if have & os.ST_NODEV or not device:
        flags |= MS_NODEV
    if have & os.ST_NOEXEC:
        flags |= MS_NOEXEC
    return flags


_MOUNT_SETATTR, AT_FDCWD, AT_EMPTY_PATH, AT_RECURSIVE = 442, -100, 0x1000, 0x8000
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID = 1, 2


def _read_only_tree(path: str) -> bool:
    """Make the mount at ``path`` and every mount below it read-only and nosuid in one call.

    Uses mount_setattr (Linux >= 5.12); False when the kernel lacks it (the caller then remounts each bind).
    """
    attr = (ctypes.c_uint64 * 4)(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0, 0, 0)
    result = _LIBC.syscall(_MOUNT_SETATTR, AT_FDCWD, path.encode(), AT_RECURSIVE, ctypes.byref(attr),
                           ctypes.c_size_t(ctypes.sizeof(attr)))
    if result != 0 and ctypes.get_errno() in (38, 22):  # ENOSYS, EINVAL: no mount_setattr here
        return False
    _check(result, f"mount_setattr {path}")
    return True


def _enter_new_root(cfg: dict) -> None:
    """A mount namespace of its own whose root holds only the allowlist, then pivot_root into it.

    The new root is a tmpfs built on ``cfg["stage"]`` (a host directory, covered in this namespace only): the
    directories of ``cfg["root"]`` (mode 0111: traversable, not listable), its symbolic links, read-only bind mounts
    of the interpreter, the standard library and the shared libraries they load, a few device nodes, empty
    read-only tmpfs masks, and a private size-limited ``/tmp``. Everything but ``/tmp`` is read-only; the old root
    is detached: nothing else of the host (no ``/proc``, ``/etc``, ``/home``, checkout) exists in the namespace.
    """
    _check(_LIBC.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    new = cfg["stage"]
    _mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0111")
    binds = []
    for op in cfg["root"]:
        kind, path = op[0], op[1]
        at = new + path
        if kind == "dir":
            os.mkdir(at, 0o111)
        elif kind == "link":
            os.symlink(op[2], at)
        elif kind in ("ro", "dev"):
            if op[2] == "d":
                os.mkdir(at, 0o111)
            else:
                os.close(os.open(at, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0))
            _mount(path, at, None, MS_BIND)
            binds.append((path, at, kind == "dev"))
        elif kind == "mask":
            _mount("tmpfs", at, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,nr_inodes=2,mode=0111")
    os.mkdir(new + "/tmp", 0o111)
    if not _read_only_tree(new):
        for path, at, device in binds:
            _mount(None, at, None, _bind_flags(path, device))
        _mount(None, new, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _mount("tmpfs", new + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={cfg['tmpfs_bytes']},nr_inodes=4096,mode=1777")
    os.chdir(new)
    _pivot_root()
    os.chdir("/")
    if not os.statvfs("/").f_flag & os.ST_RDONLY or not os.statvfs(cfg["root"][-1][1]).f_flag & os.ST_RDONLY:
        raise SetupError("the new root is still writable")
    if os.path.exists("/proc"):
        raise SetupError("the old root is still visible")


_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "loongarch64": 41, "i686": 217, "i386": 217,
               "armv7l": 218, "ppc64le": 203, "s390x": 217}
MNT_DETACH = 2


def _pivot_root() -> None:
    """Make the current directory the root and detach the old one (``pivot_root(".", ".")``; else a move+chroot)."""
    number = _PIVOT_ROOT.get(os.uname().machine)
    if number is not None and _LIBC.syscall(number, b".", b".") == 0:
        _check(_LIBC.umount2(b".", MNT_DETACH), "umount2(old root)")
        return
    _mount(".", "/", None, MS_MOVE)  # no pivot_root: move the new root over /, then chroot into it
    _check(_LIBC.chroot(b"."), "chroot")


def _check_no_capabilities() -> None:
    """Raise unless the effective and permitted capability sets are empty (capget: /proc may not exist)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    data = (ctypes.c_uint32 * 6)()
    _check(_LIBC.capget(ctypes.byref(Header(0x20080522, 0)), data), "capget")
    left = data[0] | data[1] | data[3] | data[4]
    if left:
        raise SetupError(f"capabilities left after the drop: {data[3]:08x}{data[0]:08x}")


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
    _check_no_capabilities()
    _check(_LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")


# Landlock (isolation "none": no mount namespace, so the allowlist is enforced by the kernel's Landlock LSM).
_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446
_LL_EXECUTE, _LL_WRITE_FILE, _LL_READ_FILE, _LL_READ_DIR = 1, 2, 4, 8
_LL_FILE_RIGHTS = _LL_EXECUTE | _LL_WRITE_FILE | _LL_READ_FILE | (1 << 14) | (1 << 15)  # + truncate, ioctl_dev


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _landlock_ruleset(cfg: dict, workdir: str) -> int:
    """A Landlock ruleset (fd): read the layout's paths, use its devices, read and write ``workdir``, nothing else.

    With ABI >= 4 also no TCP bind or connect, with ABI >= 6 no signal to and no abstract unix socket of a process
    outside the sandbox. Built before the uid drop (the paths may lie under a directory only root can traverse);
    ``_landlock_restrict`` applies it.
    """
    abi = int(cfg["landlock"])
    handled = (1 << 13) - 1  # ABI 1: execute .. make_sym
    for version, bit in ((2, 1 << 13), (3, 1 << 14), (5, 1 << 15)):  # refer, truncate, ioctl_dev
        if abi >= version:
            handled |= bit
    attr = (ctypes.c_uint64 * 3)(handled, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    syscall = _LIBC.syscall
    ruleset = syscall(_LL_CREATE, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0)
    if ruleset < 0:
        _check(-1, "landlock_create_ruleset")
    try:
        rules = [(op[1], _LL_READ_FILE | _LL_WRITE_FILE if op[0] == "dev" else _LL_READ_FILE | _LL_EXECUTE
                  | (_LL_READ_DIR if op[2] == "d" else 0)) for op in cfg["root"] if op[0] in ("ro", "dev")]
        for path, access in [*rules, (workdir, handled)]:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                if not os.path.isdir(path):
                    access &= _LL_FILE_RIGHTS
                rule = _PathBeneath(access & handled, fd)
                _check(syscall(_LL_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
    except BaseException:
        os.close(ruleset)
        raise
    return ruleset


def _landlock_restrict(ruleset: int) -> None:
    """Enforce the ruleset on this process and everything it starts (needs no_new_privs, set by the drop)."""
    try:
        _check(_LIBC.syscall(_LL_RESTRICT, ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


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


def _set_limits(cfg: dict, extra_processes: int = 0) -> None:
    """Resource limits; ``extra_processes``: other processes of this uid that count against RLIMIT_NPROC."""
    lim = cfg["limits"]
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime) + lim["cpu_seconds"]
    nproc = lim["processes"] + extra_processes
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
            _enter_new_root(cfg)
            workdir = "/tmp/work"
        else:
            workdir = cfg["workdir"]
        os.makedirs(workdir, mode=0o700, exist_ok=True)
        if os.geteuid() == 0 and cfg["isolation"] != "userns":
            os.chown(workdir, cfg["uid"], cfg["gid"])
        os.chdir(workdir)
        ruleset = _landlock_ruleset(cfg, workdir) if cfg["isolation"] == "none" and cfg.get("landlock") else -1
        _drop_privileges(cfg)
        _set_limits(cfg, _own_process_count() if shared_uid else 0)  # the user's own processes count too
        if ruleset >= 0:
            _landlock_restrict(ruleset)
        env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"}
        if cfg["isolation"] == "none":
            env["TMPDIR"] = workdir  # the host's /tmp is not its own (and not readable under Landlock)
        os.environ.clear()
        os.environ.update(env)
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
    elif role == "probe":  # for the parent's allowlist: the import path, and the files mapped after the imports
        with open("/proc/self/maps") as f:
            maps = sorted({line.split()[5] for line in f if len(line.split()) > 5 and line.split()[5][:1] == "/"})
        print(json.dumps({"path": sys.path, "maps": maps}))
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
        init_shares_uid = os.geteuid() != 0  # not root: bubblewrap's init runs as this uid, in this user namespace
        _drop_privileges({**cfg, "isolation": "root"})
        _set_limits(cfg, 1 if init_shares_uid else 0)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"})
    except BaseException as exc:  # noqa: BLE001
        _emit(RESULT_FD, {"setup_error": f"bwrap child: {type(exc).__name__}: {exc}"})
        os._exit(1)
    _emit(RESULT_FD, {"ready": True, "isolation": "bwrap", "uid": os.getuid(), "pid": os.getpid()})
    run_job(_read_job())


if __name__ == "__main__":
    main()
