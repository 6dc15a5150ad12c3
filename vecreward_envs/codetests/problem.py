"""A code problem (immutable), its JSON row, and the stacked arrays that the interpreter kernels read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from vecreward_envs.codetests.config import MAX_LEN, VMAX, CodeTestsConfig
from vecreward_envs.codetests.dsl import T_BOOL, T_INT, T_LIST, T_STR, TYPE_NAMES

PY_TYPES: dict[int, str] = {T_INT: "int", T_BOOL: "bool", T_LIST: "list[int]", T_STR: "str"}
"""Python annotation of each data type."""
ENTRY_POINT = "solve"
"""Name of the function a Python answer must define."""


@dataclass(frozen=True)
class TestCase:
    """One test: arguments, the expected result, and the group (objective) it belongs to."""

    __test__ = False  # not a pytest class

    group: str
    """Test group (``config.GROUPS``)."""
    slot: int
    """Index of the test within its group."""
    args: tuple[object, ...]
    """Argument values (ints, lists of ints, strings), in signature order."""
    expected: object
    """Expected result (int, bool, list of ints or string)."""


@dataclass(frozen=True, eq=False)
class CodeProblem:
    """One generated problem: a statement, a signature, a ground-truth DSL program and grouped tests."""

    config: CodeTestsConfig
    """The family member that generated it."""
    seed: int
    """The seed that produced it (-1 for problems built by hand)."""
    arg_names: tuple[str, ...]
    """Argument names of ``solve`` (1 or 2)."""
    arg_types: tuple[int, ...]
    """Argument types (``dsl.T_*``)."""
    return_type: int
    """Result type (``dsl.T_*``)."""
    statement: str
    """What to compute, in plain English."""
    program: tuple[int, ...]
    """The ground-truth DSL program (tokens, no padding)."""
    tests: tuple[TestCase, ...]
    """Every test, grouped in ``config.groups`` order."""

    @property
    def id(self) -> str:
        """Stable id: ``ct-<seed>-<8 hex digits of the content digest>`` (same id <=> same problem)."""
        return f"ct-{self.seed}-{self.digest()[:8]}"

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of everything that defines the problem (config excluded)."""
        return self._digest

    @cached_property
    def _digest(self) -> str:
        return hashlib.sha256(json.dumps(self._content(), sort_keys=True).encode()).hexdigest()

    def _content(self) -> dict[str, object]:
        from vecreward_envs.codetests.dsl import tokens_to_text

        return {
            "seed": self.seed, "arg_names": list(self.arg_names),
            "arg_types": [PY_TYPES[t] for t in self.arg_types], "return_type": PY_TYPES[self.return_type],
            "statement": self.statement, "program": tokens_to_text(self.program),
            "tests": [{"group": t.group, "slot": t.slot, "args": list(t.args), "expected": t.expected}
                      for t in self.tests],
        }

    @property
    def groups_present(self) -> tuple[str, ...]:
        """Groups that have at least one test (the others score NaN)."""
        present = {t.group for t in self.tests}
        return tuple(g for g in self.config.groups if g in present)

    def signature(self) -> str:
        """The Python signature, e.g. ``def solve(xs: list[int], k: int) -> int``."""
        params = ", ".join(f"{n}: {PY_TYPES[t]}" for n, t in zip(self.arg_names, self.arg_types, strict=True))
        return f"def {ENTRY_POINT}({params}) -> {PY_TYPES[self.return_type]}"

    def call_text(self, test: TestCase) -> str:
        """``solve(<args>)`` as Python source."""
        return f"{ENTRY_POINT}({', '.join(map(repr, test.args))})"

    def to_json(self) -> dict[str, object]:
        """JSON-able description (the task row's content): rebuilt by ``from_json``."""
        return {"id": self.id, "config": self.config.as_dict(), **self._content()}

    @classmethod
    def from_json(cls, data: dict[str, object], config: CodeTestsConfig | None = None) -> CodeProblem:
        """The problem ``to_json`` describes.

        Raises:
            ValueError: malformed content, or an ``id`` that does not match the content.
        """
        from vecreward_envs.codetests.dsl import text_to_tokens

        type_of = {name: t for t, name in PY_TYPES.items()}
        try:
            if config is None:
                config = CodeTestsConfig.from_kwargs(**dict(data["config"]))  # type: ignore[arg-type]
            arg_types = tuple(type_of[str(t)] for t in data["arg_types"])  # type: ignore[attr-defined]
            return_type = type_of[str(data["return_type"])]
            program, problem = text_to_tokens(str(data["program"]))
            if problem:
                raise ValueError(problem)
            tests = tuple(
                TestCase(str(t["group"]), int(t["slot"]),
                         tuple(_checked_value(a, k) for a, k in zip(t["args"], arg_types, strict=True)),
                         _checked_value(t["expected"], return_type))
                for t in data["tests"]  # type: ignore[attr-defined]
            )
            made = cls(config=config, seed=int(data["seed"]),  # type: ignore[arg-type]
                       arg_names=tuple(str(n) for n in data["arg_names"]),  # type: ignore[attr-defined]
                       arg_types=arg_types, return_type=return_type, statement=str(data["statement"]),
                       program=tuple(program), tests=tests)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed codetests problem: {exc!r}") from exc
        if len(made.arg_names) != len(made.arg_types) or not 1 <= len(made.arg_types) <= 2:
            raise ValueError("a codetests problem has 1 or 2 arguments, each with a name and a type")
        for test in made.tests:
            if test.group not in config.groups or not 0 <= test.slot < config.group_size(test.group):
                raise ValueError(f"test slot {test.group}/{test.slot} does not exist in this config")
        if "id" in data and data["id"] != made.id:
            raise ValueError(f"problem id {data['id']!r} does not match its content (digest id {made.id!r})")
        return made

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CodeProblem):
            return NotImplemented
        return self.config == other.config and self.digest() == other.digest()

    def __hash__(self) -> int:
        return hash(self.digest())

    def __repr__(self) -> str:
        return f"CodeProblem(id={self.id!r}, {self.signature()}, tests={len(self.tests)})"


def _checked_value(value: object, kind: int) -> object:
    """A JSON value as a DSL value of type ``kind`` (bounds checked)."""
    ok = False
    if kind == T_BOOL:
        ok = isinstance(value, bool)
    elif kind == T_INT:
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= VMAX
    elif kind == T_LIST:
        ok = (isinstance(value, list) and len(value) <= MAX_LEN
              and all(isinstance(x, int) and not isinstance(x, bool) and abs(x) <= VMAX for x in value))
    elif kind == T_STR:
        ok = isinstance(value, str) and len(value) <= MAX_LEN and value.isascii()
    if not ok:
        raise ValueError(f"{value!r} is not a valid {TYPE_NAMES.get(kind, kind)} value")
    return value


def encode_value(value: object, kind: int) -> list[int]:
    """A DSL value as kernel items: the int (bools as 0/1), the list's items, or the string's character codes."""
    if kind in (T_INT, T_BOOL):
        return [int(value)]  # type: ignore[call-overload]
    if kind == T_LIST:
        return [int(x) for x in value]  # type: ignore[attr-defined]
    if kind == T_STR:
        return [ord(ch) for ch in value]  # type: ignore[attr-defined]
    return []


def decode_value(tag: int, length: int, data: np.ndarray) -> object:
    """Kernel arrays -> the Python value (None for T_NONE)."""
    if tag == T_INT:
        return int(data[0])
    if tag == T_BOOL:
        return bool(data[0])
    if tag == T_LIST:
        return [int(x) for x in data[:length]]
    if tag == T_STR:
        return "".join(chr(int(x)) for x in data[:length])
    return None


VALUE_WIDTH = 2 + MAX_LEN
"""A value in kernel arrays: int64 [tag, length, item 0, ..., item MAX_LEN-1]."""


def value_row(value: object, kind: int) -> np.ndarray:
    """A DSL value as an int64 [VALUE_WIDTH] kernel row."""
    row = np.zeros(VALUE_WIDTH, dtype=np.int64)
    items = encode_value(value, kind)
    row[0], row[1] = kind, len(items)
    row[2: 2 + len(items)] = items
    return row


@dataclass(frozen=True)
class ProblemBatch:
    """P problems stacked into the flat arrays the interpreter kernel takes (tests in CSR layout)."""

    arg_types: np.ndarray
    """int8 [P, 2] argument types (T_NONE for an absent second argument)."""
    test_ptr: np.ndarray
    """int64 [P + 1]: problem p's tests are rows test_ptr[p]:test_ptr[p+1]."""
    in_val: np.ndarray
    """int64 [T, 2, VALUE_WIDTH] argument values of every test (rows [tag, length, items...])."""
    exp_val: np.ndarray
    """int64 [T, VALUE_WIDTH] expected results."""
    test_obj: np.ndarray
    """int64 [T] reward column of each test."""
    t_max: int
    """Test slots per problem (``config.max_tests``)."""

    @classmethod
    def stack(cls, problems: Sequence[CodeProblem]) -> ProblemBatch:
        """Stack problems of one config."""
        if len(problems) == 0:
            raise ValueError("ProblemBatch.stack needs at least one problem")
        config = problems[0].config
        n_tests = [len(p.tests) for p in problems]
        total = sum(n_tests)
        arg_types = np.zeros((len(problems), 2), dtype=np.int8)  # [P, 2]
        test_ptr = np.zeros(len(problems) + 1, dtype=np.int64)  # [P + 1]
        test_ptr[1:] = np.cumsum(n_tests)
        in_val = np.zeros((total, 2, VALUE_WIDTH), dtype=np.int64)  # [T, 2, W]
        exp_val = np.zeros((total, VALUE_WIDTH), dtype=np.int64)  # [T, W]
        test_obj = np.zeros(total, dtype=np.int64)  # [T]
        for p, problem in enumerate(problems):
            if not isinstance(problem, CodeProblem):
                raise TypeError(f"expected CodeProblem, got {type(problem).__name__}")
            if problem.config != config:
                raise ValueError("all problems of a batch must come from one config")
            arg_types[p, : len(problem.arg_types)] = problem.arg_types
            for j, test in enumerate(problem.tests):
                t = int(test_ptr[p]) + j
                for a, (value, kind) in enumerate(zip(test.args, problem.arg_types, strict=True)):
                    in_val[t, a] = value_row(value, kind)
                exp_val[t] = value_row(test.expected, problem.return_type)
                test_obj[t] = config.slot_objective(test.group, test.slot)
        return cls(arg_types, test_ptr, in_val, exp_val, test_obj, config.max_tests)
