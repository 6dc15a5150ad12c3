"""Parameters of the tool-call family, the objective names and the structured answer vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

CONSTRAINT_KINDS: tuple[str, ...] = (
    "max_calls", "forbidden_tool", "unit", "format", "order", "response_length", "response_field",
)
"""Constraint kinds, in objective order. ``max_calls``: at most N calls; ``forbidden_tool``: never call tool Y;
``unit``: a number in a required unit (converted from the request's unit); ``format``: a date in a required
format; ``order``: tool A called before tool B; ``response_length``: the response has at most L words;
``response_field``: the response mentions a given reference code."""

CRITERIA: tuple[str, ...] = ("format", "tool_name", "param_keys", "param_values")
"""The criteria objectives, first in the vector."""

REWARD_NAMES: tuple[str, ...] = (*CRITERIA, *(f"constraint/{k}" for k in CONSTRAINT_KINDS))
"""Stable names of the K = 11 objectives (NaN entries: not applicable to the task)."""
K = len(REWARD_NAMES)
MAX_CONSTRAINTS = 17
"""Most constraints a task may carry (``max_constraints``): one per kind up to 7; beyond that, kinds repeat."""
MAX_EXTRA = MAX_CONSTRAINTS - len(CONSTRAINT_KINDS)
"""Most repeated constraints (rows of the ``cons_x`` task array)."""
C0 = len(CRITERIA)
"""Column of the first constraint objective."""

MAX_TOOLS = 8
"""Most tools a prompt shows (T)."""
MAX_PARAMS = 5
"""Most parameters a catalog tool has (P)."""
N_CANDIDATES = 6
"""Candidate values per (tool, parameter) slot in the structured view (V)."""
N_RESPONSES = 4
"""Candidate responses in the structured view (R)."""
MAX_GT_CALLS = 3
"""Most ground-truth calls a task has."""
MAX_SCORED_CALLS = 8
"""Calls of one answer that are matched against the ground truth (later ones still count for ``max_calls``)."""

STOP = 0
"""Structured token: end of the answer (also the padding)."""
NONE = 1
"""Structured token: no more calls (tool phase), omit the parameter (parameter phase), no response."""
SLOT0 = 2
"""Structured token ``SLOT0 + j``: tool slot j, candidate value j, or candidate response j (by phase)."""
N_SLOTS = max(MAX_TOOLS, N_CANDIDATES, N_RESPONSES)
ANSWER_VOCAB: tuple[str, ...] = ("STOP", "NONE", *(f"S{j}" for j in range(N_SLOTS)))
"""The structured answer tokens."""

PromptStyle = Literal["reference", "compact"]


@dataclass(frozen=True)
class ToolCallConfig:
    """One member of the tool-call family."""

    n_tools: int = 6
    """Tools shown per task (the ground-truth tools plus distractors of the same domains), <= 8."""
    min_constraints: int = 1
    """Fewest explicit constraints per task."""
    max_constraints: int = 3
    """Most explicit constraints per task, <= 17. Up to 7, a task has at most one constraint per kind; above 7, a
    task with all 7 kinds also repeats the kinds that can repeat (more forbidden tools, a unit or format
    constraint on further numeric or date values, further ordering pairs), as far as its tools allow: the count
    drawn in [min_constraints, max_constraints] is clamped to what the task can hold (typically 11-15 with 6-8
    tools), never an error or an endless redraw."""
    p_no_call: float = 0.15
    """Probability that a task asks for a direct answer (no call); only when the constraints allow it."""
    p_parallel: float = 0.4
    """Probability that a task needs several parallel calls (2 or 3)."""
    conflict_rate: float = 0.25
    """Probability that a ``max_calls`` or ``forbidden_tool`` constraint contradicts the request."""
    bottleneck: str = ""
    """A constraint kind every task includes, in its hardest form (``max_calls`` / ``forbidden_tool``: contradicting
    the request); "" for none."""
    max_struct_calls: int = 4
    """Calls a structured answer may write."""
    length_limit: int = 15
    """Word limit of ``response_length`` constraints."""
    prompt_style: PromptStyle = "reference"
    """Text view only. ``reference``: ToolRL's system text and full JSON schemas (about 1010 SmolLM2 chat tokens
    with 4 tools and 1 constraint). ``compact``: one line per tool (``name(param: type, opt?: type)``, units and
    enum values kept), a short output format with the same tags, the constraints and the request (about a third
    of the tokens), for small language models. Rewards, parsing and the structured view do not change."""

    def __post_init__(self) -> None:
        for name in ("n_tools", "min_constraints", "max_constraints", "max_struct_calls", "length_limit"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"ToolCallConfig.{name} must be an int, got {value!r}")
        if not MAX_GT_CALLS + 1 <= self.n_tools <= MAX_TOOLS:
            raise ValueError(f"ToolCallConfig.n_tools must be in [{MAX_GT_CALLS + 1}, {MAX_TOOLS}], got {self.n_tools}")
        if not 0 <= self.min_constraints <= self.max_constraints <= MAX_CONSTRAINTS:
            raise ValueError("ToolCallConfig needs 0 <= min_constraints <= max_constraints <= "
                             f"{MAX_CONSTRAINTS}, got {self.min_constraints}, {self.max_constraints}")
        for name in ("p_no_call", "p_parallel", "conflict_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"ToolCallConfig.{name} must be in [0, 1], got {value!r}")
        if self.bottleneck not in ("", *CONSTRAINT_KINDS):
            raise ValueError(f"ToolCallConfig.bottleneck must be '' or one of {CONSTRAINT_KINDS}, "
                             f"got {self.bottleneck!r}")
        if self.bottleneck and self.max_constraints < 1:
            raise ValueError("ToolCallConfig.bottleneck needs max_constraints >= 1")
        if not 1 <= self.max_struct_calls <= MAX_SCORED_CALLS:
            raise ValueError(f"ToolCallConfig.max_struct_calls must be in [1, {MAX_SCORED_CALLS}], "
                             f"got {self.max_struct_calls}")
        if not 5 <= self.length_limit <= 200:
            raise ValueError(f"ToolCallConfig.length_limit must be in [5, 200], got {self.length_limit}")
        if self.prompt_style not in ("reference", "compact"):
            raise ValueError(f"ToolCallConfig.prompt_style must be 'reference' or 'compact', got {self.prompt_style!r}")

    @property
    def reward_names(self) -> tuple[str, ...]:
        """The K objective names (the same for every config)."""
        return REWARD_NAMES

    @property
    def answer_len(self) -> int:
        """Tokens of the longest structured answer: calls with all their parameters, end of calls, response."""
        return self.max_struct_calls * (1 + MAX_PARAMS) + 2

    def as_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_kwargs(cls, **overrides: object) -> ToolCallConfig:
        """Build a config from keyword overrides, rejecting unknown names with the list of valid ones."""
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(overrides) - set(valid))
        if unknown:
            raise TypeError(f"unknown toolcall parameter(s) {unknown}; valid: {valid}")
        return cls(**overrides)  # type: ignore[arg-type]
