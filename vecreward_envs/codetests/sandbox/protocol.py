"""What goes to a sandboxed program and what comes back, and how the parent reads what it reports.

The child reports JSON lines on its result pipe: ``ready``, then ``compiled`` or ``compile_error``, then one line
per test (``value`` / ``unsupported`` / ``error`` / ``timeout``), then ``done``; its warden adds the exit status.
Everything is untrusted: a line that does not parse, a test index reported twice or out of range, or anything after
``done`` is ignored, and a run whose results exceed the size cap is killed.
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field
from typing import Any, Literal

TestStatus = Literal["ok", "unsupported", "error", "timeout", "missing"]


@dataclass(frozen=True)
class Job:
    """One program and the inputs of its tests (expected outputs never leave the parent)."""

    code: str
    """Python source defining ``entry``."""
    inputs: tuple[tuple[Any, ...], ...]
    """Arguments of each test (JSON-able)."""
    entry: str = "solve"
    """Name of the function to call."""


@dataclass(frozen=True)
class TestRun:
    """What happened in one test."""

    __test__ = False  # not a pytest class

    status: TestStatus
    """``ok`` (a value came back), ``unsupported`` (a value of a type the judge cannot compare), ``error``
    (an exception), ``timeout`` (the test's time ran out), ``missing`` (no report: see ``RunResult.ended``)."""
    value: Any = None
    """The returned value (``ok``)."""
    detail: str = ""
    """The exception and its line, or what was unsupported."""


@dataclass(frozen=True)
class RunResult:
    """Everything known about one run."""

    tests: tuple[TestRun, ...]
    """One entry per input, in order."""
    compiled: bool
    """The module ran and defined a callable ``entry``."""
    compile_error: str
    """Why it did not ("" when it did)."""
    ended: str
    """How the run ended: ``done`` (normally), or the reason it did not finish (a wall-clock kill, a crash with
    its signal, an exit before finishing, oversized results, a sandbox setup failure)."""
    output: str
    """The first ``output_bytes`` of stdout and stderr."""
    wall_seconds: float
    """From sending the job to the end of the run."""
    isolation: str = ""
    """Isolation the worker reported (``root``, ``userns``, ``none``, ``bwrap``)."""
    uid: int = -1
    """The uid the run's processes had outside any user namespace (root pools: a uid of the worker's own)."""


@dataclass
class Collector:
    """Reads a run's result lines as they arrive."""

    n_tests: int
    limit_bytes: int
    received: int = 0
    buffer: bytes = b""
    ready: dict[str, Any] | None = None
    setup_error: str = ""
    compiled: bool = False
    compile_error: str = ""
    done: bool = False
    exit: dict[str, Any] | None = None
    tests: dict[int, TestRun] = field(default_factory=dict)

    def feed(self, data: bytes) -> bool:
        """Take bytes from the pipe; False when the size cap is exceeded (the caller kills the run)."""
        self.received += len(data)
        if self.received > self.limit_bytes:
            return False
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self._line(line)
        return True

    def _line(self, raw: bytes) -> None:
        try:
            msg = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return
        if not isinstance(msg, dict):
            return
        if "exit" in msg and self.exit is None:  # the warden's line (it comes last, after the child is gone)
            self.exit = msg
        elif self.done:
            return
        elif "ready" in msg and self.ready is None:
            self.ready = msg
        elif "setup_error" in msg and not self.setup_error:
            self.setup_error = str(msg["setup_error"])[:500]
        elif "compile_error" in msg and not self.compiled and not self.compile_error:
            self.compile_error = describe_error(msg["compile_error"])
        elif msg.get("compiled") is True and not self.compile_error:
            self.compiled = True
        elif msg.get("done") is True:
            self.done = True
        elif self.compiled and isinstance(msg.get("i"), int) and 0 <= msg["i"] < self.n_tests \
                and msg["i"] not in self.tests:
            self.tests[msg["i"]] = _test_run(msg)

    def ended(self, killed_reason: str) -> str:
        """How the run ended (``killed_reason``: why the parent killed it, if it did)."""
        if killed_reason:
            return killed_reason
        if self.setup_error:
            return f"sandbox setup failed: {self.setup_error}"
        if self.done or self.compile_error:
            return "done"
        status = self.exit or {}
        if status.get("signal"):
            try:
                name = signal.Signals(int(status["signal"])).name
            except ValueError:
                name = str(status["signal"])
            return f"process crashed ({name})"
        if status.get("exit") is not None:
            return f"process exited with status {status['exit']} before finishing"
        return "process ended without reporting"

    def results(self) -> tuple[TestRun, ...]:
        """One TestRun per input (``missing`` where nothing was reported)."""
        return tuple(self.tests.get(i, TestRun("missing")) for i in range(self.n_tests))


def describe_error(info: object) -> str:
    """``Name: message (line n)`` from a reported exception."""
    if not isinstance(info, dict):
        return str(info)[:300]
    text = f"{info.get('error', 'Error')}: {info.get('message', '')}".strip().rstrip(":")
    if isinstance(info.get("line"), int):
        text += f" (line {info['line']})"
    return text[:400]


def _test_run(msg: dict[str, Any]) -> TestRun:
    if "value" in msg:
        return TestRun("ok", msg["value"])
    if "unsupported" in msg:
        return TestRun("unsupported", None, f"returned an unsupported value: {str(msg['unsupported'])[:100]}")
    if msg.get("timeout") is True:
        return TestRun("timeout")
    return TestRun("error", None, describe_error(msg))
