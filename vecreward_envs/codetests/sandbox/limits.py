"""Resource limits of one sandboxed program run (all of its tests)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

Isolation = Literal["auto", "root", "userns", "none"]
"""``root``: namespaces + a dedicated unprivileged uid per worker (needs root); ``userns``: namespaces inside a
user namespace, all capabilities dropped (no root needed; the kernel must allow unprivileged user namespaces);
``none``: limits, a fresh session, a throwaway directory and a clean environment only. ``auto``: the first that
works, in that order."""


@dataclass(frozen=True)
class SandboxLimits:
    """Limits applied to each sandboxed program (the process and everything it starts)."""

    test_seconds: float = 1.0
    """Wall-clock time of one test (and of the module's top-level code), enforced inside the process."""
    program_seconds: float = 5.0
    """Wall-clock time of the whole run (all tests), enforced from outside: the process group is killed."""
    cpu_seconds: int = 5
    """RLIMIT_CPU of the process (seconds; the kernel kills it one second later)."""
    memory_mb: int = 256
    """RLIMIT_AS of each process (MiB)."""
    file_mb: int = 1
    """RLIMIT_FSIZE: largest file a process may write (MiB)."""
    open_files: int = 32
    """RLIMIT_NOFILE."""
    processes: int = 8
    """RLIMIT_NPROC: processes and threads of the worker's uid (the solution's own thread included)."""
    tmpfs_mb: int = 16
    """Size of the private /tmp (the working directory lives there), in MiB."""
    output_bytes: int = 4096
    """Captured stdout/stderr kept per run (the rest is read and dropped)."""
    result_bytes: int = 1 << 20
    """Most bytes of results a run may report; past this it is killed."""
    max_items: int = 1024
    """Longest list or string a solution may return (longer results are reported as unsupported)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"SandboxLimits.{f.name} must be a number, got {value!r}")
            if f.name.endswith("seconds") and f.name != "cpu_seconds":
                if not 0.01 <= value <= 3600:
                    raise ValueError(f"SandboxLimits.{f.name} must be in [0.01, 3600] seconds, got {value}")
            elif not isinstance(value, int) or value < 1:
                raise ValueError(f"SandboxLimits.{f.name} must be an int >= 1, got {value!r}")
        if self.processes < 2:
            raise ValueError(f"SandboxLimits.processes must be >= 2 (the solution's process counts), got "
                             f"{self.processes}")
        if self.memory_mb < 64:
            raise ValueError(f"SandboxLimits.memory_mb must be >= 64 (the interpreter itself needs it), got "
                             f"{self.memory_mb}")

    def worker_limits(self) -> dict[str, int]:
        """The rlimits, in the worker's units."""
        return {"cpu_seconds": self.cpu_seconds, "memory_bytes": self.memory_mb << 20, "file_bytes": self.file_mb << 20,
                "open_files": self.open_files, "processes": self.processes}

    @classmethod
    def from_kwargs(cls, **overrides: object) -> SandboxLimits:
        """Build limits from keyword overrides, rejecting unknown names with the list of valid ones."""
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(overrides) - set(valid))
        if unknown:
            raise TypeError(f"unknown sandbox limit(s) {unknown}; valid: {valid}")
        return cls(**overrides)  # type: ignore[arg-type]
