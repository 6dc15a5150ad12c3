"""The reward-structure family: knobs that set the reward vector's structure directly, in both views.

It implements the core ``TaskFamily`` contract of ``vecreward_envs.protocols`` and the abilities it declares: a
structured view (L value tokens, then STOP) scored by a batched numba kernel, a text view (a prompt stating each
position's rule; parse failures are reward outcomes), demonstrations (the best answer, or a front answer under
``tradeoff``), success objectives and the exact Pareto front. Both views score through ``scoring.score``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

from vecreward_envs.protocols import (
    Demonstrations,
    NoisyJudge,
    ParetoFronts,
    StructuredView,
    SuccessObjectives,
    TextView,
    passes_upper_bound,
)
from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.cursor import StructureCursor
from vecreward_envs.structure.instance import StructureInstance, generate, generate_cached
from vecreward_envs.structure.layout import PROXY, layout, targets_of
from vecreward_envs.structure.pareto import StructureFront, pareto_front
from vecreward_envs.structure.scoring import score
from vecreward_envs.structure.text import ParsedStructure, format_answer, parse, prompt, tokens_of


@lru_cache(maxsize=64)
def _tradeoff_pattern(config: StructureConfig) -> np.ndarray:
    """int64 [m]: the demonstration's shared values on an instance whose targets are base 0 (T_k = k).

    Under ``tradeoff`` what a value earns at a shared position depends only on its offset from the position's base
    (or on being the reserved value), so one front, computed once per config, gives every instance's front answer
    by shifting the values by the instance's bases.
    """
    lay = layout(config)
    zeros = np.zeros(config.F, dtype=np.int16)
    front = pareto_front(StructureInstance(seed=0, config=config, x=zeros, targets=targets_of(lay, zeros)))
    match = front.rewards[:, : config.K].astype(np.float64)
    total, low = match.sum(axis=1), match.min(axis=1)
    best = np.flatnonzero(total == total.max())
    best = best[low[best] == low[best].max()]
    return front.answers[int(best[0]), : config.m].copy()


class StructureFamily:
    """Reward-structure tasks for one ``StructureConfig``."""

    name = "structure"
    abilities = (StructuredView, TextView, Demonstrations, SuccessObjectives, ParetoFronts, NoisyJudge)

    def __init__(self, config: StructureConfig | None = None, **overrides: object) -> None:
        if config is not None and overrides:
            raise TypeError("pass either a StructureConfig or keyword overrides, not both")
        self.config = config if config is not None else StructureConfig.from_kwargs(**overrides)
        if not isinstance(self.config, StructureConfig):
            raise TypeError(f"config must be a StructureConfig, got {type(self.config).__name__}")
        self._layout = layout(self.config)

    # ----- objectives -------------------------------------------------------------------------------------
    @property
    def reward_names(self) -> tuple[str, ...]:
        """``match/0..K-1``, then ``bottleneck``, ``saturating``, ``proxy`` when on."""
        return self.config.reward_names

    @property
    def reward_low(self) -> np.ndarray:
        """float32 [J]: all 0."""
        return np.zeros(len(self.reward_names), dtype=np.float32)

    @property
    def reward_high(self) -> np.ndarray:
        """float32 [J]: all 1."""
        return np.ones(len(self.reward_names), dtype=np.float32)

    @property
    def success_objectives(self) -> tuple[int, ...]:
        """The match objectives, and the bottleneck when on."""
        return tuple(range(self.config.K + int(self.config.bottleneck)))

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Bool [..., J]: objective at 1 (every objective always applies)."""
        return passes_upper_bound(rewards, self.reward_high)

    # ----- instances --------------------------------------------------------------------------------------
    def generate(self, seed: int) -> StructureInstance:
        """The instance of ``seed`` (deterministic, no global RNG)."""
        return generate(seed, self.config)

    def instances(self, first_seed: int, n: int) -> list[StructureInstance]:
        """``n`` instances from consecutive seeds."""
        return [generate_cached(first_seed + i, self.config) for i in range(n)]

    def _check(self, instances: Sequence[StructureInstance]) -> list[StructureInstance]:
        instances = [instances] if isinstance(instances, StructureInstance) else list(instances)
        for inst in instances:
            if not isinstance(inst, StructureInstance) or inst.config != self.config:
                raise ValueError("every instance must be a StructureInstance of this family's config")
        return instances

    # ----- structured view --------------------------------------------------------------------------------
    @property
    def answer_vocab(self) -> tuple[str, ...]:
        """Values ``0..V-1`` (V-1 is the reserved flourish), then ``STOP``."""
        return (*(str(v) for v in range(self.config.V)), "STOP")

    @property
    def stop_code(self) -> int:
        """STOP = V."""
        return self.config.V

    @property
    def observation_vocab(self) -> int:
        """V (features lie in 0..V-2)."""
        return self.config.V

    def observation(self, instance: StructureInstance) -> np.ndarray:
        """int16 [F]: the features x."""
        return np.array(instance.x, dtype=np.int16)

    def max_answer_len(self, instances: Sequence[StructureInstance]) -> int:
        """L."""
        return self.config.answer_len

    def new_cursor(self, instances: Sequence[StructureInstance], inst_idx: np.ndarray) -> StructureCursor:
        """N empty answers (see ``cursor.py``)."""
        return StructureCursor(len(np.asarray(inst_idx).reshape(-1)), self.config.answer_len, self.config.V)

    def score_answers(self, instances: Sequence[StructureInstance], answers: np.ndarray,
                      inst_idx: np.ndarray | None = None, *, noise: bool = True) -> np.ndarray:
        """float32 [N, J] rewards of token answers [N, W] on ``instances[inst_idx]`` (``noise=False``: true rewards).

        The noisy judge's draw depends on the row index n, so G equal answers in a group draw different noise.
        """
        instances = self._check(instances)
        tokens = np.asarray(answers)
        if tokens.ndim == 1:
            tokens = tokens[None, :]
        idx = np.zeros(tokens.shape[0], dtype=np.int64) if inst_idx is None else np.asarray(inst_idx)
        return score(self.config, instances, tokens, idx, noise=noise)

    # ----- text view ----------------------------------------------------------------------------------------
    def prompt(self, instance: StructureInstance, m: int = 1) -> str:
        """The prompt (one answer per completion: ``m`` must be 1)."""
        if m != 1:
            raise ValueError(f"structure prompts ask for one answer (m=1), got m={m!r}")
        return prompt(instance)

    def parse(self, completion: object) -> ParsedStructure:
        """The values of a completion; never raises."""
        return parse(completion, self.config)

    def format_answer(self, instance: StructureInstance, answer: object) -> str:
        """Tokens [W] as the completion that scores the same (its values up to the first non-value token)."""
        return format_answer(answer, self.config)

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """``</answer>`` ends a completion."""
        return ("</answer>",)

    def score_completions(self, instance: StructureInstance, completions: Sequence[object], *, noise: bool = True
                          ) -> tuple[np.ndarray, list[ParsedStructure]]:
        """float32 [G, J] rewards of G completions (completion g is row g of the judge) and what each held.

        A parse failure scores 0 on every objective (no noise: there is nothing to judge).
        """
        instance = self._check([instance])[0]
        parsed = [self.parse(c) for c in completions]
        tokens = np.full((len(parsed), self.config.answer_len), self.stop_code, dtype=np.int64)  # [G, L]
        for g, p in enumerate(parsed):
            tokens[g] = tokens_of(p, self.config)
        rewards = score(self.config, [instance], tokens, np.zeros(len(parsed), dtype=np.int64), noise=noise)
        rewards[[not p.ok for p in parsed]] = 0.0
        return rewards, parsed

    def true_answer_scores(self, instances: Sequence[StructureInstance], answers: np.ndarray, inst_idx: np.ndarray
                           ) -> np.ndarray:
        """``NoisyJudge``: the noise-free rewards of token answers (held-out evaluation)."""
        return self.score_answers(instances, answers, inst_idx, noise=False)

    def true_completion_scores(self, instance: StructureInstance, completions: Sequence[object]
                               ) -> tuple[np.ndarray, list[ParsedStructure]]:
        """``NoisyJudge``: the noise-free rewards of completions (held-out evaluation)."""
        return self.score_completions(instance, completions, noise=False)

    # ----- demonstrations and the front --------------------------------------------------------------------
    def solution(self, instance: StructureInstance) -> np.ndarray:
        """int64 [L + 1]: the demonstration of one instance.

        ``independent`` and ``aligned``: every position holds its target (every objective 1 except the proxy, which
        is 0: the true best answer). ``tradeoff``: a front answer, the one with the largest sum of the match
        objectives, ties broken by the largest minimum (the most balanced allocation), then by the front's order;
        the bottleneck and saturating positions hold their targets.
        """
        lay = self._layout
        out = np.full(self.config.answer_len + 1, self.stop_code, dtype=np.int64)
        for j in range(lay.n_pos.shape[0]):
            if lay.kind[j] != PROXY:
                out[lay.positions[j, : lay.n_pos[j]]] = instance.targets[j, : lay.n_pos[j]]
        if self.config.relation == "tradeoff":
            m, mod = self.config.m, self.config.V - 1
            pattern = _tradeoff_pattern(self.config)  # [m] values for targets base = 0
            base = instance.targets[0, :m]  # objective 0's targets: the base of every shared position
            out[:m] = np.where(pattern < mod, (pattern + base) % mod, pattern)
        return out
    def demonstrations(self, instances: Sequence[StructureInstance]) -> np.ndarray:
        """int64 [N, L + 1] structured demonstrations (``solution``)."""
        return np.stack([self.solution(inst) for inst in self._check(instances)])

    def demonstration_texts(self, instances: Sequence[StructureInstance]) -> list[str]:
        """The demonstrations as completions."""
        return [self.format_answer(inst, demo) for inst, demo in zip(instances, self.demonstrations(instances),
                                                                     strict=True)]

    def pareto_front(self, instance: StructureInstance) -> StructureFront:
        """The exact front of noise-free reward vectors with a witness answer each (``pareto.py``)."""
        return pareto_front(self._check([instance])[0])

    # ----- rows (exports: scoring is a pure function of (completion, row)) -----------------------------------
    def task_row(self, instance: StructureInstance) -> dict[str, object]:
        """JSON-able columns: family, seed and config."""
        config = {k: list(v) if isinstance(v, tuple) else v for k, v in instance.config.as_dict().items()}
        return {"family": self.name, "seed": instance.seed, "config": config}

    def instance_from_row(self, row: Mapping[str, object]) -> StructureInstance:
        """The instance a ``task_row`` describes (regenerated from its seed and config).

        Raises:
            ValueError: not a structure row, or malformed.
        """
        if row.get("family") != self.name or "seed" not in row:
            raise ValueError(f"not a structure task row: {str(dict(row))[:300]}")
        try:
            config = StructureConfig.from_kwargs(**dict(row.get("config") or {}))  # type: ignore[arg-type]
        except TypeError as exc:
            raise ValueError(f"bad structure config in row: {exc}") from exc
        seed = row["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"bad structure seed in row: {seed!r}")
        return generate_cached(seed, config)
