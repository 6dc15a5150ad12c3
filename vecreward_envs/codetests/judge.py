"""The judge: per-test pass/fail with a short message, and the reward vector, for every kind of answer.

DSL answers are judged by the interpreter (``scoring.judge_programs``); Python answers by comparing, in this
process, what the sandbox reports with the expected values (exact types: ``True`` is not ``1``, a tuple is not a
list). Compile errors, timeouts and crashes are outcomes with reasons, never exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.interpreter import run_program
from vecreward_envs.codetests.problem import CodeProblem, TestCase
from vecreward_envs.codetests.sandbox.protocol import RunResult
from vecreward_envs.codetests.typing_rules import typecheck

MESSAGE_CHARS = 300
"""Longest per-test message."""


@dataclass(frozen=True)
class TestVerdict:
    """One test's outcome."""

    __test__ = False  # not a pytest class

    group: str
    slot: int
    passed: bool
    message: str
    """Empty when passed; otherwise the call, and expected vs got, or the error, timeout or crash."""


@dataclass(frozen=True)
class Verdict:
    """How one answer did on one problem."""

    format_ok: bool | None
    """The answer came in the requested format (None: not applicable, e.g. a token array)."""
    compiles: bool
    """Python: the module ran and defined ``solve``; DSL: the program type checks."""
    tests: tuple[TestVerdict, ...]
    """One per test of the problem, in its order."""
    reason: str = ""
    """Why the answer could not run at all, or how its run ended when it did not end normally."""
    output: str = ""
    """Captured stdout/stderr of a Python run (truncated)."""

    @property
    def ok(self) -> bool:
        """The answer was readable in the requested format (False counts as an invalid answer in the bridge)."""
        return self.format_ok is not False

    def rewards(self, problem: CodeProblem) -> np.ndarray:
        """float32 [K]: format, compiles, then each test objective (fraction passed; NaN where no test)."""
        config = problem.config
        passed = np.zeros(config.n_objectives)
        total = np.zeros(config.n_objectives)
        for test, verdict in zip(problem.tests, self.tests, strict=True):
            column = config.slot_objective(test.group, test.slot)
            total[column] += 1
            passed[column] += verdict.passed
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(total > 0, passed / np.maximum(total, 1), np.nan)
        out[0] = np.nan if self.format_ok is None else float(self.format_ok)
        out[1] = float(self.compiles)
        return out.astype(np.float32)

    def failures(self, problem: CodeProblem) -> dict[str, str]:
        """A directive message per failed objective (keyed by objective name): the first failing test's message."""
        config = problem.config
        out: dict[str, str] = {}
        if self.format_ok is False:
            out["format"] = self.reason or "the answer was not in the requested format"
        if not self.compiles:
            out["compiles"] = self.reason or "the answer does not compile"
        names = config.reward_names
        for test, verdict in zip(problem.tests, self.tests, strict=True):
            name = names[config.slot_objective(test.group, test.slot)]
            if not verdict.passed and name not in out:
                out[name] = verdict.message
        return out


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _call(problem: CodeProblem, test: TestCase) -> str:
    text = problem.call_text(test)
    return text if len(text) <= 150 else text[:147] + "..."


def same_value(expected: object, got: object) -> bool:
    """Equality with exact types (``True != 1``, ``[1] != (1,)``, ``[True] != [1]``)."""
    if type(expected) is not type(got):
        return False
    if isinstance(expected, list):
        return len(expected) == len(got) and all(  # type: ignore[arg-type]
            type(a) is type(b) and a == b for a, b in zip(expected, got, strict=False))  # type: ignore[call-overload]
    return expected == got


def judge_run(problem: CodeProblem, run: RunResult, format_ok: bool | None, test_seconds: float) -> Verdict:
    """Compare a sandbox run with the problem's expected values."""
    if not run.compiled:
        reason = f"does not compile: {run.compile_error}" if run.compile_error else f"did not run: {run.ended}"
        tests = tuple(TestVerdict(t.group, t.slot, False, reason[:MESSAGE_CHARS]) for t in problem.tests)
        return Verdict(format_ok, False, tests, reason, run.output)
    verdicts = []
    for test, outcome in zip(problem.tests, run.tests, strict=True):
        call = _call(problem, test)
        if outcome.status == "ok" and same_value(test.expected, outcome.value):
            verdicts.append(TestVerdict(test.group, test.slot, True, ""))
            continue
        if outcome.status == "ok":
            message = f"{call}: expected {_short(test.expected)}, got {_short(outcome.value)}"
        elif outcome.status == "timeout":
            message = f"{call}: timed out after {test_seconds:g} s"
        elif outcome.status == "missing":
            message = f"{call}: no result ({run.ended})"
        else:
            message = f"{call}: {'raised ' if outcome.status == 'error' else ''}{outcome.detail}"
        verdicts.append(TestVerdict(test.group, test.slot, False, message[:MESSAGE_CHARS]))
    reason = "" if run.ended == "done" else run.ended
    return Verdict(format_ok, True, tuple(verdicts), reason, run.output)


def judge_dsl_py(problem: CodeProblem, tokens: Sequence[int], format_ok: bool | None, reason: str = "") -> Verdict:
    """Judge a DSL program with the plain-Python interpreter (for messages; ``scoring`` gives the same rewards)."""
    tokens = [int(t) for t in tokens]
    static_err, _ = typecheck(tokens, problem.arg_types)
    compiles = static_err == d.ERR_NONE
    verdicts = []
    for test in problem.tests:
        value, err = run_program(tokens, [(t, a) for a, t in zip(test.args, problem.arg_types, strict=True)])
        call = _call(problem, test)
        if err != d.ERR_NONE or value is None:
            stage = "runtime error" if compiles else "does not type check"
            verdicts.append(TestVerdict(test.group, test.slot, False, f"{call}: {stage}: {d.ERROR_NAMES[err]}"))
        elif value[0] == problem.return_type and same_value(test.expected, value[1]):
            verdicts.append(TestVerdict(test.group, test.slot, True, ""))
        else:
            kind = "" if value[0] == problem.return_type else f" ({d.TYPE_NAMES[value[0]]})"
            message = f"{call}: expected {_short(test.expected)}, got {_short(value[1])}{kind}"
            verdicts.append(TestVerdict(test.group, test.slot, False, message[:MESSAGE_CHARS]))
    if not compiles and not reason:
        reason = f"the program does not type check: {d.ERROR_NAMES[static_err]}"
    return Verdict(format_ok, compiles, tuple(verdicts), reason)
