"""A question answered with a stated confidence: the smallest task on which calibration can be learned.

Each instance has a difficulty type ``t`` and a clue option ``c``, both shown. The correct option is the clue with
probability ``p_t`` (the type's reliability, from ``reliabilities``) and otherwise one of the other options, drawn
from the instance's seed and never shown. So the best answer is always the clue, it is right with probability
``p_t``, and the calibrated confidence of that answer is ``p_t``: a learner can only be accurate up to ``p_t`` but
can be perfectly calibrated.

Answer: an option, then a confidence level ``q`` in {0, 0.1, ..., 1}. Reward vector ``[correct, confidence]``:
``correct`` in {0, 1}, ``confidence`` = the stated q (NaN when missing). The confidence is not something to
maximize: use the RLCR transform (``rlcr`` with ``correctness_index=0, confidence_index=1``) to turn it into a
calibration objective, or weight it 0 for a plain correctness reward.
Text view: ``<answer>k</answer> <confidence>0.7</confidence>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from vecreward_envs.probes._staged import StagedCursor, first_tokens
from vecreward_envs.probes.choice import option_below
from vecreward_envs.protocols import StructuredView, SuccessObjectives, TextView, passes_upper_bound


@dataclass(frozen=True)
class ConfidenceConfig:
    """The family member."""

    n_options: int = 4
    """Answer options."""
    reliabilities: tuple[float, ...] = (0.25, 0.45, 0.65, 0.85, 1.0)
    """p_t, probability that the clue is correct, one per difficulty type (each >= 1 / n_options)."""
    confidence_levels: int = 11
    """Confidence tokens: levels 0, 1/(L-1), ..., 1."""

    def __post_init__(self) -> None:
        if isinstance(self.n_options, bool) or not isinstance(self.n_options, int) or self.n_options < 2:
            raise ValueError(f"n_options must be an int >= 2, got {self.n_options!r}")
        rel = tuple(float(p) for p in self.reliabilities)
        if not rel or any(not (1.0 / self.n_options <= p <= 1.0) for p in rel):
            raise ValueError(f"reliabilities must be non-empty, each in [1/n_options, 1], got {self.reliabilities!r}")
        object.__setattr__(self, "reliabilities", rel)
        if isinstance(self.confidence_levels, bool) or not isinstance(self.confidence_levels, int) \
                or self.confidence_levels < 2:
            raise ValueError(f"confidence_levels must be an int >= 2, got {self.confidence_levels!r}")


@dataclass(frozen=True)
class ConfidenceInstance:
    """One question."""

    seed: int
    kind: int
    """Difficulty type t (shown)."""
    clue: int
    """The clue option (shown)."""
    correct: int
    """The correct option (hidden)."""


@dataclass(frozen=True)
class ParsedConfidence:
    """What was read from a text answer."""

    option: int
    """The option, or -1."""
    confidence: float
    """The stated confidence, or NaN."""
    ok: bool
    """The answer followed the format."""
    reason: str
    """Why not, when not ok."""


class ConfidenceFamily:
    """Answer-with-confidence questions as a task family (structured and text views)."""

    name = "confidence"
    abilities = (StructuredView, TextView, SuccessObjectives)
    reward_names = ("correct", "confidence")
    success_objectives = (0,)

    def __init__(self, config: ConfidenceConfig | None = None, **overrides: object) -> None:
        if config is not None and overrides:
            raise TypeError("pass either a ConfidenceConfig or keyword overrides, not both")
        self.config = config if config is not None else ConfidenceConfig(**overrides)  # type: ignore[arg-type]
        c = self.config
        self.answer_vocab = (tuple(f"option_{i}" for i in range(c.n_options))
                             + tuple(f"conf_{self.level(j):.2f}" for j in range(c.confidence_levels)) + ("STOP",))
        self.stop_code = len(self.answer_vocab) - 1
        self.observation_vocab = max(len(c.reliabilities), c.n_options)
        self.reward_low = np.zeros(2)
        self.reward_high = np.ones(2)

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Flags bool [..., 2]: correct, and a stated confidence of 1 (NaN, no confidence, never passes)."""
        return passes_upper_bound(rewards, self.reward_high)

    def level(self, j: int) -> float:
        """Confidence of level ``j``."""
        return j / (self.config.confidence_levels - 1)

    def generate(self, seed: int) -> ConfidenceInstance:
        """The question of ``seed`` (deterministic from the seed alone)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        c = self.config
        rng = np.random.default_rng([int(seed), 5])
        kind = int(rng.integers(len(c.reliabilities)))
        clue = int(rng.integers(c.n_options))
        if rng.random() < c.reliabilities[kind]:
            correct = clue
        else:
            others = [o for o in range(c.n_options) if o != clue]
            correct = int(others[int(rng.integers(len(others)))])
        return ConfidenceInstance(int(seed), kind, clue, correct)

    def instances(self, first_seed: int, n: int) -> list[ConfidenceInstance]:
        """``n`` questions from consecutive seeds."""
        return [self.generate(first_seed + i) for i in range(n)]

    def observation(self, instance: ConfidenceInstance) -> np.ndarray:
        """int16 [2]: type and clue."""
        return np.array([instance.kind, instance.clue], dtype=np.int16)

    def calibrated_confidence(self, instance: ConfidenceInstance) -> float:
        """p_t: the probability that the clue (the best answer) is correct."""
        return self.config.reliabilities[instance.kind]

    def max_answer_len(self, instances: Sequence[ConfidenceInstance]) -> int:
        """An option and a confidence."""
        return 2

    def new_cursor(self, instances: Sequence[ConfidenceInstance], inst_idx: np.ndarray) -> StagedCursor:
        """Stage 0: an option; stage 1: a confidence level; then STOP."""
        n_opt = self.config.n_options
        return StagedCursor(len(inst_idx), [(0, n_opt), (n_opt, n_opt + self.config.confidence_levels)],
                            len(self.answer_vocab))

    def _score(self, instances: Sequence[ConfidenceInstance], option: np.ndarray, confidence: np.ndarray,
               inst_idx: np.ndarray) -> np.ndarray:
        correct = np.array([instances[i].correct for i in np.asarray(inst_idx)], dtype=np.int64)
        out = np.zeros((option.shape[0], 2), dtype=np.float32)
        out[:, 0] = (option == correct).astype(np.float32)
        out[:, 1] = confidence
        return out

    def score_answers(self, instances: Sequence[ConfidenceInstance], answers: np.ndarray, inst_idx: np.ndarray
                      ) -> np.ndarray:
        """float32 [N, 2] ``[correct, confidence]`` of structured answers [N, L]."""
        tokens = first_tokens(answers, 2)
        n_opt = self.config.n_options
        option = np.where((tokens[:, 0] >= 0) & (tokens[:, 0] < n_opt), tokens[:, 0], -1)
        level = tokens[:, 1] - n_opt
        ok = (level >= 0) & (level < self.config.confidence_levels)
        return self._score(instances, option, np.where(ok, level / (self.config.confidence_levels - 1), np.nan),
                           inst_idx)

    def prompt(self, instance: ConfidenceInstance, m: int = 1) -> str:
        """Text view."""
        c = self.config
        return (f"Question of difficulty type {instance.kind} (of {len(c.reliabilities)}). Options 0-{c.n_options - 1}."
                f" A hint says option {instance.clue}. Answer with <answer>k</answer> and your probability of being "
                "right as <confidence>q</confidence>, q in [0, 1].")

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """What ends a completion (an LLM sampler's stop strings): the confidence comes after the answer."""
        return ("</confidence>",)

    def parse(self, completion: object) -> ParsedConfidence:
        """The option and the stated confidence; never raises (unreadable: option -1, confidence NaN, a reason)."""
        text = completion if isinstance(completion, str) else ""
        a = re.search(r"<answer>\s*(\d+)\s*</answer>", text)
        q = re.search(r"<confidence>\s*([01](?:\.\d+)?)\s*</confidence>", text)
        option = option_below(a.group(1), self.config.n_options) if a else -1
        conf = float(q.group(1)) if q and float(q.group(1)) <= 1.0 else float("nan")
        ok = option >= 0 and not np.isnan(conf)
        return ParsedConfidence(option, conf, ok, "" if ok else
                                "need <answer>k</answer> with a valid k and <confidence>q</confidence>")

    def format_answer(self, instance: ConfidenceInstance, answer: object) -> str:
        """Structured tokens (option, confidence level) as a completion."""
        tokens = first_tokens(np.asarray(answer).reshape(1, -1), 2)[0]
        level = (tokens[1] - self.config.n_options) / (self.config.confidence_levels - 1)
        return f"<answer>{tokens[0]}</answer> <confidence>{level:.2f}</confidence>"

    def score_completions(self, instance: ConfidenceInstance, completions: Sequence[object]
                          ) -> tuple[np.ndarray, list[ParsedConfidence]]:
        """float32 [N, 2] and what was parsed; never raises (unreadable: correct 0, confidence NaN, a reason)."""
        parsed = [self.parse(text) for text in completions]
        option = np.array([p.option for p in parsed], dtype=np.int64)
        conf = np.array([p.confidence for p in parsed], dtype=np.float64)
        return self._score([instance], option, conf, np.zeros(len(parsed), np.int64)), parsed

    def task_row(self, instance: ConfidenceInstance) -> dict[str, object]:
        """JSON-able columns of a task: family, seed and config (the task is regenerated from them)."""
        config = {f.name: getattr(self.config, f.name) for f in fields(self.config)}
        return {"family": self.name, "seed": instance.seed,
                "config": {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}}

    def instance_from_row(self, row: Mapping[str, object]) -> ConfidenceInstance:
        """The task a row describes (a row without a config is read under this family's config).

        Raises:
            ValueError: not a confidence row, or its config differs from this family's.
        """
        if row.get("family") != self.name:
            raise ValueError(f"not a confidence task row: {dict(row)!r}")
        config = row.get("config")
        if config is not None:
            try:
                same = ConfidenceConfig(**{k: tuple(v) if isinstance(v, list) else v
                                    for k, v in dict(config).items()}) == self.config  # type: ignore[call-overload]
            except (TypeError, ValueError) as exc:
                raise ValueError(f"bad confidence config in row: {exc}") from None
            if not same:
                raise ValueError("the row's config differs from this family's config")
        return self.generate(int(row["seed"]))  # type: ignore[arg-type]
