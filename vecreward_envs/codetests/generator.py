"""Seeded problem generator: a ground-truth pipeline, its statement, and tests chosen to expose mistakes.

``generate(seed, config)`` draws from ``random.Random(seed)`` only: a pipeline (``pipeline.py``), then for every
test slot ``config.candidates`` candidate inputs of the slot's group (``inputs.py``). The ground truth and a set
of wrong programs near it (``mutants.py``) run on every candidate through the plain-Python interpreter; each slot
keeps the candidate that exposes the most wrong programs not yet exposed by earlier tests, so different tests catch
different mistakes. A draw is rejected (the next one is tried) when the ground truth fails on too many candidates,
when a step of the statement could be forgotten without any test noticing, or when all expected results are equal.
Not a hot path: plain Python, about 10 ms a problem.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.config import MAX_LEN, VMAX, CodeTestsConfig
from vecreward_envs.codetests.inputs import group_applies, sample_args
from vecreward_envs.codetests.interpreter import Value, run_checked
from vecreward_envs.codetests.mutants import Mutant, mutants
from vecreward_envs.codetests.pipeline import Pipeline, random_pipeline
from vecreward_envs.codetests.problem import CodeProblem, TestCase
from vecreward_envs.codetests.typing_rules import typecheck

MAX_OPTIONAL_MUTANTS = 16
"""Optional mutants (slips, swaps) tried per problem, on top of every forgotten-step mutant."""
MIN_GROUPS = 3
"""A problem needs tests in at least this many groups (``basic`` included)."""

SPLITS: dict[str, tuple[int, int | None]] = {
    "benchmark": (0, 500),
    "validation": (100_000, 500),
    "test": (200_000, 500),
    "train": (1_000_000, None),
}
"""Named splits: (first seed, default size; None = unbounded). Seed ranges never overlap."""


class CodeGenerationError(RuntimeError):
    """No acceptable problem within ``config.max_attempts`` draws of a seed."""


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"codetests seed must be a non-negative int, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"codetests seed must be a non-negative int, got {seed}")
    return int(seed)


def _typed(args: Sequence[object], types: Sequence[int]) -> list[Value]:
    return [(t, a) for a, t in zip(args, types, strict=True)]


def _in_bounds(value: Value) -> bool:
    kind, payload = value
    if kind == d.T_INT:
        return abs(payload) <= VMAX  # type: ignore[arg-type]
    if kind in (d.T_LIST, d.T_STR):
        return len(payload) <= MAX_LEN  # type: ignore[arg-type]
    return True


class _Selector:
    """Runs the truth and the mutants on candidate inputs and keeps the most revealing ones."""

    def __init__(self, truth: list[int], muts: list[Mutant], types: tuple[int, ...]) -> None:
        self.truth, self.muts, self.types = truth, muts, types
        self.killed: set[int] = set()

    def evaluate(self, args: tuple[object, ...]) -> tuple[object, frozenset[int]] | None:
        """(expected result, mutants whose result differs), or None when the truth fails on these args."""
        typed = _typed(args, self.types)
        result, err = run_checked(self.truth, typed)
        if err != d.ERR_NONE or result is None or not _in_bounds(result):
            return None
        kills = set()
        for i, mutant in enumerate(self.muts):
            other, _ = run_checked(mutant.tokens, typed)
            if other is None or other[0] != result[0] or other[1] != result[1]:
                kills.add(i)
        return result[1], frozenset(kills)

    def choose(self, candidates: list[tuple[tuple[object, ...], object, frozenset[int]]], slots: int
               ) -> list[tuple[tuple[object, ...], object]]:
        """Greedy: per slot, the candidate exposing most new mutants, then a new expected value, then draw order."""
        chosen: list[tuple[tuple[object, ...], object]] = []
        pool = list(candidates)
        while pool and len(chosen) < slots:
            seen_outputs = [repr(out) for _, out in chosen]

            def score(item: tuple[tuple[object, ...], object, frozenset[int]], seen: list[str] = seen_outputs
                      ) -> tuple[int, int]:
                return len(item[2] - self.killed), int(repr(item[1]) not in seen)

            best = max(range(len(pool)), key=lambda i: (score(pool[i]), -i))
            args, out, kills = pool.pop(best)
            chosen.append((args, out))
            self.killed |= kills
            pool = [c for c in pool if repr(c[0]) != repr(args)]
        return chosen


def _build(seed: int, pipeline: Pipeline, rng: random.Random, config: CodeTestsConfig) -> CodeProblem | None:
    truth = pipeline.tokens()
    err, return_type = typecheck(truth, pipeline.arg_types)
    if err != d.ERR_NONE:  # pragma: no cover - the pipeline builder only makes well-typed programs
        return None
    muts = mutants(pipeline, rng, MAX_OPTIONAL_MUTANTS)
    selector = _Selector(truth, muts, pipeline.arg_types)
    k_role = pipeline.k_role()
    tests: list[TestCase] = []
    for group in config.groups:
        if not group_applies(group, pipeline.kind, k_role):
            continue
        slots = config.group_size(group)
        candidates = []
        for _ in range(slots * config.candidates):
            args = sample_args(rng, pipeline.kind, group, k_role)
            evaluated = selector.evaluate(args)
            if evaluated is not None:
                candidates.append((args, *evaluated))
        chosen = selector.choose(candidates, slots)
        if group == "basic" and len(chosen) < slots:
            return None
        tests += [TestCase(group, i, args, out) for i, (args, out) in enumerate(chosen)]
    groups = {t.group for t in tests}
    if len(groups) < min(MIN_GROUPS, len(config.groups)):
        return None
    if any(m.required and i not in selector.killed for i, m in enumerate(muts)):
        return None  # a step could be forgotten unnoticed
    basic_outputs = {repr(t.expected) for t in tests if t.group == "basic"}
    if len(basic_outputs) < min(2, config.basic_tests):
        return None
    return CodeProblem(config=config, seed=seed, arg_names=pipeline.arg_names, arg_types=pipeline.arg_types,
                       return_type=return_type, statement=pipeline.statement(return_type), program=tuple(truth),
                       tests=tuple(tests))


def generate(seed: int, config: CodeTestsConfig | None = None) -> CodeProblem:
    """The problem of ``seed`` (deterministic from the seed and the config alone).

    Raises:
        CodeGenerationError: no acceptable draw within ``config.max_attempts``.
    """
    seed = _check_seed(seed)
    config = config if config is not None else CodeTestsConfig()
    rng = random.Random(seed)
    for _ in range(config.max_attempts):
        pipeline = random_pipeline(rng, config.max_stages, config.program_len)
        problem = _build(seed, pipeline, rng, config)
        if problem is not None:
            return problem
    raise CodeGenerationError(f"no acceptable codetests problem for seed {seed} in {config.max_attempts} draws")


@lru_cache(maxsize=4096)
def generate_cached(seed: int, config: CodeTestsConfig) -> CodeProblem:
    """``generate`` with a per-process cache (problems are immutable)."""
    return generate(seed, config)


def iter_problems(first_seed: int, config: CodeTestsConfig | None = None,
                  exclude_programs: frozenset[tuple[int, ...]] = frozenset()) -> Iterator[CodeProblem]:
    """Distinct problems from consecutive seeds (a repeated problem, or an excluded program, is skipped)."""
    config = config if config is not None else CodeTestsConfig()
    seed = _check_seed(first_seed)
    seen: set[str] = set()
    while True:
        problem = generate_cached(seed, config)
        seed += 1
        digest = problem.digest()
        if digest in seen or problem.program in exclude_programs:
            continue
        seen.add(digest)
        yield problem


def split(name: str, n: int | None = None, config: CodeTestsConfig | None = None,
          exclude: Sequence[CodeProblem] = ()) -> list[CodeProblem]:
    """The first ``n`` problems of a named split (``SPLITS``; default size where it has one).

    ``exclude``: problems whose ground-truth programs must not reappear (e.g. train without benchmark programs).

    Raises:
        ValueError: unknown split name (the message lists the valid ones), or no size for an unbounded split.
    """
    if name not in SPLITS:
        raise ValueError(f"unknown codetests split {name!r}; valid: {sorted(SPLITS)}")
    first, default = SPLITS[name]
    size = default if n is None else n
    if size is None or isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"split {name!r} needs a size n >= 0, got {n!r}")
    iterator = iter_problems(first, config, frozenset(p.program for p in exclude))
    problems = [next(iterator) for _ in range(size)]
    if name == "benchmark" and not exclude and _generates_like_default(config):
        from vecreward_envs.codetests.benchmark_ids import BENCHMARK_IDS

        drifted = [(p.id, shipped) for p, shipped in zip(problems, BENCHMARK_IDS, strict=False) if p.id != shipped]
        if drifted:
            raise CodeGenerationError(f"the generator no longer reproduces the shipped benchmark split: first "
                                      f"difference {drifted[0][0]} != {drifted[0][1]} (see benchmark_ids.py)")
    return problems


_GENERATION_FIELDS = ("groups", "basic_tests", "edge_tests", "program_len", "max_stages", "candidates",
                      "max_attempts")
"""Config fields that change the generated problems (the others change only how answers are asked for and scored)."""


def _generates_like_default(config: CodeTestsConfig | None) -> bool:
    default = CodeTestsConfig()
    return config is None or all(getattr(config, f) == getattr(default, f) for f in _GENERATION_FIELDS)
