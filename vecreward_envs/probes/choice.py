"""A two-objective probe with a known Pareto front: the smallest task on which a learner must pick the front.

One answer = one choice among ``len(PROBE_VECTORS)`` options, each with a fixed reward vector. Options 0-3 form
the Pareto front (1, 0), (0.8, 0.6), (0.6, 0.8), (0, 1); options 4-6 are dominated. A learner that converges puts
its probability mass on front options; with equal weights a sum prefers the two balanced ones (sum 1.4).
The text view asks for ``<answer>k</answer>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vecreward_envs.protocols import StructuredView, SuccessObjectives, TextView, passes_upper_bound

PROBE_VECTORS = np.array(
    [[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0], [0.5, 0.5], [0.3, 0.2], [0.0, 0.0]], dtype=np.float32
)
"""[V, 2] reward vector of each option."""
FRONT = (0, 1, 2, 3)
"""Options on the Pareto front."""
_INT_DIGITS = 640
"""``int()`` converts this many digits whatever ``sys.set_int_max_str_digits`` says (4300 by default)."""


def option_below(digits: str, n_options: int) -> int:
    """``int(digits)`` when it is below ``n_options``, else -1; never raises.

    ``digits`` are the digits read in an ``<answer>`` tag. ``int()`` refuses more than 4300 digits (ValueError: the
    parsers raised on such an answer), so a longer number is read digit by digit, stopping as soon as it reaches
    ``n_options`` (leading zeros, in any script, still count as zeros).
    """
    if len(digits) <= _INT_DIGITS:
        value = int(digits)
        return value if value < n_options else -1
    value = 0
    for ch in digits:
        value = value * 10 + int(ch)
        if value >= n_options:
            return -1
    return value


@dataclass(frozen=True)
class ParsedChoice:
    """What was read from a text answer."""

    choice: int
    """The option, or -1 when unreadable."""
    ok: bool
    """The answer followed the format."""
    reason: str
    """Why not, when not ok."""


@dataclass(frozen=True)
class ProbeInstance:
    """A probe task (all instances are the same problem; the seed only names it)."""

    seed: int


class _ProbeCursor:
    """One decision per answer: any option first, then only STOP."""

    n_features = 0

    def __init__(self, n: int) -> None:
        self.done = np.zeros(n, dtype=np.bool_)
        self.choice = np.full(n, -1, dtype=np.int64)

    def valid_moves(self) -> np.ndarray:
        valid = np.zeros((self.done.shape[0], len(PROBE_VECTORS) + 1), dtype=np.bool_)
        valid[~self.done, :-1] = True
        valid[self.done, -1] = True
        return valid

    def advance(self, tokens: np.ndarray) -> None:
        first = ~self.done & (tokens < len(PROBE_VECTORS))
        self.choice[first] = tokens[first]
        self.done[:] = True

    def features(self) -> np.ndarray:
        return np.zeros((self.done.shape[0], 0), dtype=np.float32)


class ProbeFamily:
    """The two-objective probe as a task family (structured and text views)."""

    name = "probe"
    abilities = (StructuredView, TextView, SuccessObjectives)
    reward_names = ("objective_a", "objective_b")
    reward_low = np.zeros(2, dtype=np.float32)
    reward_high = np.ones(2, dtype=np.float32)
    answer_vocab = tuple(f"option_{i}" for i in range(len(PROBE_VECTORS))) + ("STOP",)
    stop_code = len(PROBE_VECTORS)
    observation_vocab = 2
    success_objectives = (0, 1)  # binary schemes: success = both objectives at 1 (never: a pure conflict)

    def generate(self, seed: int) -> ProbeInstance:
        """The probe (identical for every seed)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        return ProbeInstance(int(seed))

    def instances(self, first_seed: int, n: int) -> list[ProbeInstance]:
        """``n`` instances (all the same problem)."""
        return [self.generate(first_seed + i) for i in range(n)]

    def observation(self, instance: ProbeInstance) -> np.ndarray:
        """A constant observation (the problem never changes)."""
        return np.ones(1, dtype=np.int16)

    def max_answer_len(self, instances: Sequence[ProbeInstance]) -> int:
        """One choice, then STOP."""
        return 2

    def new_cursor(self, instances: Sequence[ProbeInstance], inst_idx: np.ndarray) -> _ProbeCursor:
        """Token-by-token state of N answers."""
        return _ProbeCursor(len(inst_idx))

    def score_answers(self, instances: Sequence[ProbeInstance], answers: np.ndarray, inst_idx: np.ndarray
                      ) -> np.ndarray:
        """float32 [N, 2]: the chosen option's vector (zeros for an answer that chose nothing)."""
        first = np.asarray(answers)[:, 0].astype(np.int64)  # [N]
        out = np.zeros((first.shape[0], 2), dtype=np.float32)
        ok = (first >= 0) & (first < len(PROBE_VECTORS))
        out[ok] = PROBE_VECTORS[first[ok]]
        return out

    def prompt(self, instance: ProbeInstance, m: int = 1) -> str:
        """Text view: the options and their reward vectors."""
        lines = [f"{i}: {tuple(float(x) for x in v)}" for i, v in enumerate(PROBE_VECTORS)]
        return "Choose one option; its reward vector is shown.\n" + "\n".join(lines) + "\nAnswer as <answer>k</answer>."

    def parse(self, completion: object) -> ParsedChoice:
        """The option of ``<answer>k</answer>``; never raises (unreadable: choice -1 and a reason)."""
        match = re.search(r"<answer>\s*(\d+)\s*</answer>", completion) if isinstance(completion, str) else None
        choice = option_below(match.group(1), len(PROBE_VECTORS)) if match else -1
        if choice >= 0:
            return ParsedChoice(choice, True, "")
        return ParsedChoice(-1, False, "no <answer>k</answer> with a valid option k")

    def format_answer(self, instance: ProbeInstance, answer: object) -> str:
        """Structured tokens (the option first) as a completion."""
        return f"<answer>{int(np.asarray(answer).reshape(-1)[0])}</answer>"

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """``</answer>`` ends a completion."""
        return ("</answer>",)

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Flags bool [..., 2]: objective at its upper bound 1."""
        return passes_upper_bound(rewards, self.reward_high)

    def score_completions(self, instance: ProbeInstance, completions: Sequence[object]
                          ) -> tuple[np.ndarray, list[ParsedChoice]]:
        """float32 [N, 2] and what was parsed from each completion; never raises (unreadable: zeros, a reason)."""
        parsed = [self.parse(text) for text in completions]
        answers = np.array([p.choice for p in parsed], dtype=np.int64).reshape(-1, 1)
        return self.score_answers([instance], answers, np.zeros(len(parsed), np.int64)), parsed

    def task_row(self, instance: ProbeInstance) -> dict[str, object]:
        """JSON-able columns of a task."""
        return {"family": self.name, "seed": instance.seed}

    def instance_from_row(self, row: Mapping[str, object]) -> ProbeInstance:
        """The task a row describes."""
        if row.get("family") != self.name:
            raise ValueError(f"not a probe task row: {dict(row)!r}")
        return self.generate(int(row["seed"]))  # type: ignore[arg-type]
