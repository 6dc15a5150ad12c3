"""Parameters of the code-test family, and the value bounds every interpreter shares.

A problem's tests are grouped by the kind of mistake they catch; each group is one objective (or, with
``granularity="test"``, each test is). K is fixed per config: ``format``, ``compiles``, then the test objectives.
A problem that has no test of a group scores NaN ("not applicable") on that group's objectives.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

MAX_LEN = 64
"""Longest list or string a DSL value can hold (longer results are the error ``ERR_LENGTH``)."""
VMAX = 10**15
"""Largest magnitude of a DSL integer (larger results are the error ``ERR_OVERFLOW``)."""
MAX_STACK = 8
"""Deepest stack a DSL program may build (deeper is the error ``ERR_STACK``)."""
MAX_PROGRAM_LEN = 32
"""Upper bound of ``CodeTestsConfig.program_len``."""

GROUPS: tuple[str, ...] = ("basic", "empty", "single", "negative", "duplicates", "large")
"""Test groups, in objective order. ``basic``: typical inputs (the prompt's examples come from here);
``empty``: an empty list or string; ``single``: one element or character; ``negative``: negative numbers
(negative values and a negative integer argument); ``duplicates``: many repeated values or characters;
``large``: large magnitudes and long inputs."""

Granularity = Literal["group", "test"]
AnswerFormat = Literal["python", "dsl"]
PromptStyle = Literal["reference", "compact"]


@dataclass(frozen=True)
class CodeTestsConfig:
    """One member of the code-test family."""

    groups: tuple[str, ...] = GROUPS
    """Test groups to generate (a subset of ``GROUPS``, in that order); ``basic`` is always needed."""
    basic_tests: int = 4
    """Tests in the ``basic`` group."""
    edge_tests: int = 2
    """Tests in every other group."""
    granularity: Granularity = "group"
    """``group``: one objective per group (``test/<group>``, the fraction of its tests passed). ``test``: one
    objective per test slot (``test/<group>/<i>``, 1 or 0)."""
    answer_format: AnswerFormat = "python"
    """What the text view asks for: a Python function (judged in the sandbox) or a DSL program in
    ``<dsl>...</dsl>`` tags (judged by the interpreter)."""
    n_examples: int = 2
    """Tests of the ``basic`` group shown in the prompt and in the structured observation."""
    program_len: int = 16
    """Longest structured answer (DSL tokens); generated ground truths fit in it."""
    max_stages: int = 3
    """Most list/string transformations a generated pipeline chains before its optional reduction."""
    candidates: int = 3
    """Candidate inputs drawn per test slot; the generator keeps those that expose the most wrong programs."""
    max_attempts: int = 200
    """Draws ``generate(seed)`` makes (from the seed's own generator) before it gives up with an error."""
    prompt_style: PromptStyle = "reference"
    """Text view only. ``reference``: the full wording and, for DSL answers, the aligned reference table of the
    language (about 890 SmolLM2 chat tokens with ``max_stages=1``). ``compact``: the task, the signature, the
    examples, one short line on the hidden tests and, for DSL answers, the whole op table compressed to one line
    per stack signature (about half the tokens), for small language models. Problems, rewards, parsing and the
    structured view do not change."""

    def __post_init__(self) -> None:
        for name in ("basic_tests", "edge_tests", "n_examples", "program_len", "max_stages", "candidates",
                     "max_attempts"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"CodeTestsConfig.{name} must be an int, got {value!r}")
        if not isinstance(self.groups, tuple) or not self.groups:
            raise ValueError(f"CodeTestsConfig.groups must be a non-empty tuple of names from {GROUPS}, "
                             f"got {self.groups!r}")
        unknown = [g for g in self.groups if g not in GROUPS]
        if unknown:
            raise ValueError(f"unknown test group(s) {unknown}; valid: {list(GROUPS)}")
        if list(self.groups) != [g for g in GROUPS if g in self.groups]:
            raise ValueError(f"CodeTestsConfig.groups must list distinct groups in the order {GROUPS}, "
                             f"got {self.groups}")
        if "basic" not in self.groups:
            raise ValueError("CodeTestsConfig.groups must include 'basic' (the prompt's examples come from it)")
        if not 1 <= self.basic_tests <= 16:
            raise ValueError(f"CodeTestsConfig.basic_tests must be in [1, 16], got {self.basic_tests}")
        if not 1 <= self.edge_tests <= 8:
            raise ValueError(f"CodeTestsConfig.edge_tests must be in [1, 8], got {self.edge_tests}")
        if not 0 <= self.n_examples <= self.basic_tests:
            raise ValueError(f"CodeTestsConfig.n_examples must be in [0, basic_tests={self.basic_tests}], "
                             f"got {self.n_examples}")
        if not 8 <= self.program_len <= MAX_PROGRAM_LEN:
            raise ValueError(f"CodeTestsConfig.program_len must be in [8, {MAX_PROGRAM_LEN}], got {self.program_len}")
        if not 1 <= self.max_stages <= 4:
            raise ValueError(f"CodeTestsConfig.max_stages must be in [1, 4], got {self.max_stages}")
        if not 1 <= self.candidates <= 16:
            raise ValueError(f"CodeTestsConfig.candidates must be in [1, 16], got {self.candidates}")
        if self.max_attempts < 1:
            raise ValueError(f"CodeTestsConfig.max_attempts must be >= 1, got {self.max_attempts}")
        if self.granularity not in ("group", "test"):
            raise ValueError(f"CodeTestsConfig.granularity must be 'group' or 'test', got {self.granularity!r}")
        if self.answer_format not in ("python", "dsl"):
            raise ValueError(f"CodeTestsConfig.answer_format must be 'python' or 'dsl', got {self.answer_format!r}")
        if self.prompt_style not in ("reference", "compact"):
            raise ValueError(f"CodeTestsConfig.prompt_style must be 'reference' or 'compact', "
                             f"got {self.prompt_style!r}")

    def group_size(self, group: str) -> int:
        """Number of test slots of ``group``."""
        return self.basic_tests if group == "basic" else self.edge_tests

    @property
    def max_tests(self) -> int:
        """Most tests a problem can have (T): the sum of the group sizes."""
        return sum(self.group_size(g) for g in self.groups)

    @property
    def test_objectives(self) -> tuple[str, ...]:
        """Names of the test objectives, in order."""
        if self.granularity == "group":
            return tuple(f"test/{g}" for g in self.groups)
        return tuple(f"test/{g}/{i}" for g in self.groups for i in range(self.group_size(g)))

    @property
    def reward_names(self) -> tuple[str, ...]:
        """The K objective names: ``format``, ``compiles``, then the test objectives."""
        return ("format", "compiles", *self.test_objectives)

    @property
    def n_objectives(self) -> int:
        """K."""
        return 2 + len(self.test_objectives)

    def slot_objective(self, group: str, index: int) -> int:
        """Column of test ``index`` of ``group`` in the reward vector."""
        if self.granularity == "group":
            return 2 + self.groups.index(group)
        offset = sum(self.group_size(g) for g in self.groups[: self.groups.index(group)])
        return 2 + offset + index

    def as_dict(self) -> dict[str, object]:
        """JSON-able fields (tuples as lists)."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    @classmethod
    def from_kwargs(cls, **overrides: object) -> CodeTestsConfig:
        """Build a config from keyword overrides, rejecting unknown names with the list of valid ones."""
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(overrides) - set(valid))
        if unknown:
            raise TypeError(f"unknown codetests parameter(s) {unknown}; valid: {valid}")
        if isinstance(overrides.get("groups"), list):
            overrides["groups"] = tuple(overrides["groups"])  # type: ignore[arg-type]
        return cls(**overrides)  # type: ignore[arg-type]
