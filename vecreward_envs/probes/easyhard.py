"""A trivially satisfiable format objective beside a hard one: the probe for easy-reward dominance.

Each instance shows a target ``t`` among ``n_targets``; its answer key is a seeded permutation of the targets
(the same for every instance of a family member), so the policy must learn one mapping per target. An answer is
a format token (``tagged`` or ``plain``), then an option, then STOP. Reward vector ``[format, correct]``:
``format`` = 1 when the answer is ``tagged`` (a random policy gets it half the time and a learner within a few
steps), ``correct`` = 1 when the option is the target's key (a random policy: 1 / n_options).
Text view: ``<tagged/>`` (or nothing) then ``<answer>k</answer>``.
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
class EasyHardConfig:
    """The family member."""

    n_targets: int = 16
    """Distinct targets shown in the observation (one key each)."""
    n_options: int = 16
    """Answer options (the hard objective's random success rate is 1 / n_options)."""
    key_seed: int = 0
    """Seed of the answer key (target -> option)."""

    def __post_init__(self) -> None:
        for name in ("n_targets", "n_options"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise ValueError(f"{name} must be an int >= 2, got {value!r}")
        if isinstance(self.key_seed, bool) or not isinstance(self.key_seed, int) or self.key_seed < 0:
            raise ValueError(f"key_seed must be an int >= 0, got {self.key_seed!r}")


@dataclass(frozen=True)
class EasyHardInstance:
    """One task."""

    seed: int
    target: int
    """Shown."""
    key: int
    """The correct option (hidden)."""


@dataclass(frozen=True)
class ParsedEasyHard:
    """What was read from a text answer."""

    tagged: bool
    option: int
    ok: bool
    reason: str


class EasyHardFamily:
    """The easy-format / hard-answer probe as a task family (structured and text views)."""

    name = "easyhard"
    abilities = (StructuredView, TextView, SuccessObjectives)
    reward_names = ("format", "correct")
    success_objectives = (1,)

    def __init__(self, config: EasyHardConfig | None = None, **overrides: object) -> None:
        if config is not None and overrides:
            raise TypeError("pass either an EasyHardConfig or keyword overrides, not both")
        self.config = config if config is not None else EasyHardConfig(**overrides)  # type: ignore[arg-type]
        c = self.config
        self.answer_vocab = ("tagged", "plain") + tuple(f"option_{i}" for i in range(c.n_options)) + ("STOP",)
        self.stop_code = len(self.answer_vocab) - 1
        self.observation_vocab = c.n_targets
        self.keys = np.random.default_rng([c.key_seed, 11]).integers(c.n_options, size=c.n_targets)
        self.reward_low = np.zeros(2)
        self.reward_high = np.ones(2)

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Flags bool [..., 2]: objective at its upper bound 1."""
        return passes_upper_bound(rewards, self.reward_high)

    def generate(self, seed: int) -> EasyHardInstance:
        """The task of ``seed`` (deterministic from the seed alone)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        target = int(np.random.default_rng([int(seed), 13]).integers(self.config.n_targets))
        return EasyHardInstance(int(seed), target, int(self.keys[target]))

    def instances(self, first_seed: int, n: int) -> list[EasyHardInstance]:
        """``n`` tasks from consecutive seeds."""
        return [self.generate(first_seed + i) for i in range(n)]

    def observation(self, instance: EasyHardInstance) -> np.ndarray:
        """int16 [1]: the target."""
        return np.array([instance.target], dtype=np.int16)

    def max_answer_len(self, instances: Sequence[EasyHardInstance]) -> int:
        """A format token and an option."""
        return 2

    def new_cursor(self, instances: Sequence[EasyHardInstance], inst_idx: np.ndarray) -> StagedCursor:
        """Stage 0: tagged/plain; stage 1: an option; then STOP."""
        return StagedCursor(len(inst_idx), [(0, 2), (2, 2 + self.config.n_options)], len(self.answer_vocab))

    def _score(self, instances: Sequence[EasyHardInstance], tagged: np.ndarray, option: np.ndarray,
               inst_idx: np.ndarray) -> np.ndarray:
        key = np.array([instances[i].key for i in np.asarray(inst_idx)], dtype=np.int64)
        return np.stack([tagged.astype(np.float32), (option == key).astype(np.float32)], axis=1)

    def score_answers(self, instances: Sequence[EasyHardInstance], answers: np.ndarray, inst_idx: np.ndarray
                      ) -> np.ndarray:
        """float32 [N, 2] ``[format, correct]`` of structured answers [N, L]."""
        tokens = first_tokens(answers, 2)
        option = np.where((tokens[:, 1] >= 2) & (tokens[:, 1] < 2 + self.config.n_options), tokens[:, 1] - 2, -1)
        return self._score(instances, tokens[:, 0] == 0, option, inst_idx)

    def prompt(self, instance: EasyHardInstance, m: int = 1) -> str:
        """Text view."""
        return (f"Target {instance.target}. Start your answer with <tagged/>, then give the option that the target "
                f"maps to as <answer>k</answer>, k in 0-{self.config.n_options - 1}.")

    def parse(self, completion: object) -> ParsedEasyHard:
        """The format tag and the option; never raises (unreadable option: -1 and a reason)."""
        text = completion if isinstance(completion, str) else ""
        a = re.search(r"<answer>\s*(\d+)\s*</answer>", text)
        option = option_below(a.group(1), self.config.n_options) if a else -1
        return ParsedEasyHard(text.lstrip().startswith("<tagged/>"), option, option >= 0,
                              "" if option >= 0 else "no <answer>k</answer> with a valid option k")

    def format_answer(self, instance: EasyHardInstance, answer: object) -> str:
        """Structured tokens (format, option) as a completion."""
        tokens = first_tokens(np.asarray(answer).reshape(1, -1), 2)[0]
        return ("<tagged/>" if tokens[0] == 0 else "") + f"<answer>{tokens[1] - 2}</answer>"

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """``</answer>`` ends a completion."""
        return ("</answer>",)

    def score_completions(self, instance: EasyHardInstance, completions: Sequence[object]
                          ) -> tuple[np.ndarray, list[ParsedEasyHard]]:
        """float32 [N, 2] and what was parsed; never raises."""
        parsed = [self.parse(text) for text in completions]
        tagged = np.array([p.tagged for p in parsed], dtype=np.bool_)
        option = np.array([p.option for p in parsed], dtype=np.int64)
        return self._score([instance], tagged, option, np.zeros(len(parsed), np.int64)), parsed

    def task_row(self, instance: EasyHardInstance) -> dict[str, object]:
        """JSON-able columns of a task: family, seed and config (the task is regenerated from them)."""
        config = {f.name: getattr(self.config, f.name) for f in fields(self.config)}
        return {"family": self.name, "seed": instance.seed,
                "config": {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}}

    def instance_from_row(self, row: Mapping[str, object]) -> EasyHardInstance:
        """The task a row describes (a row without a config is read under this family's config).

        Raises:
            ValueError: not an easyhard row, or its config differs from this family's.
        """
        if row.get("family") != self.name:
            raise ValueError(f"not an easyhard task row: {dict(row)!r}")
        config = row.get("config")
        if config is not None:
            try:
                same = EasyHardConfig(**{k: tuple(v) if isinstance(v, list) else v
                                    for k, v in dict(config).items()}) == self.config  # type: ignore[call-overload]
            except (TypeError, ValueError) as exc:
                raise ValueError(f"bad easyhard config in row: {exc}") from None
            if not same:
                raise ValueError("the row's config differs from this family's config")
        return self.generate(int(row["seed"]))  # type: ignore[arg-type]
