"""Exporters of our task families to the established LLM trainers: TRL and verl.

Scoring is a pure function of (completion, task row): the row's JSON-able columns (``family.task_row``) rebuild
the instance, so nothing needs the dataset object or a pickled scorer (reasoning-gym's pitfall).

- ``as_trl(family, instances)``: a ``datasets.Dataset`` of prompts plus task columns, one reward function per
  objective with TRL's signature ``f(prompts, completions, **kwargs) -> list[float | None]`` (None where the
  objective does not apply: TRL's "not applicable"), and weights for ``GRPOConfig.reward_weights``.
- ``compute_score(data_source, solution_str, ground_truth, extra_info=None)``: verl's reward-function form,
  returning ``{"score": weighted mean of the applicable objectives, "<objective>": value, ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vecreward_envs.families import TaskFamily, make_family
from vecreward_envs.protocols import TextView, require

RewardFunction = Callable[..., list[float | None]]
DATA_SOURCE_PREFIX = "vecreward/"


@dataclass(frozen=True)
class TrlExport:
    """Everything ``trl.GRPOTrainer`` needs from one task family."""

    dataset: Any
    """``datasets.Dataset`` with a ``prompt`` column and a ``task`` column (JSON of the task row)."""
    reward_funcs: list[RewardFunction]
    """One function per objective, named after it (TRL logs ``rewards/<name>/mean``)."""
    reward_weights: list[float]
    """Static weights, one per function (``GRPOConfig.reward_weights``)."""
    reward_names: tuple[str, ...]
    """The objective names, in function order."""


def _completion_text(completion: object) -> object:
    """TRL passes strings, or for conversational data a list of messages: take the last message's content."""
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return completion[-1].get("content", "")
    return completion


class _RowScorer:
    """Scores (completion, row) pairs once per batch, shared by the K per-objective functions of an export."""

    def __init__(self, family: TaskFamily) -> None:
        self.family = family
        self.text = require(family, TextView, "scoring exported completions")
        self._key: tuple | None = None
        self._value: np.ndarray | None = None

    def __call__(self, completions: Sequence[object], tasks: Sequence[str]) -> np.ndarray:
        if len(completions) != len(tasks):
            raise ValueError(f"{len(completions)} completions but {len(tasks)} task rows")
        texts = [_completion_text(c) for c in completions]
        key = (tuple(map(repr, texts)), tuple(tasks))
        if key != self._key:  # TRL calls the K functions one after another on the same batch
            rows = [self.family.instance_from_row(json.loads(t)) for t in tasks]
            out = np.full((len(texts), len(self.family.reward_names)), np.nan, dtype=np.float32)  # [N, K]
            for i, (instance, text) in enumerate(zip(rows, texts, strict=True)):
                out[i] = self.text.score_completions(instance, [text])[0][0]
            self._key, self._value = key, out
        assert self._value is not None
        return self._value


def reward_functions(family: TaskFamily) -> list[RewardFunction]:
    """One TRL-style reward function per objective of ``family``."""
    scorer = _RowScorer(family)
    functions: list[RewardFunction] = []
    for k, name in enumerate(family.reward_names):

        def reward(prompts: Sequence[object], completions: Sequence[object], *, task: Sequence[str],
                   _k: int = k, **kwargs: Any) -> list[float | None]:
            values = scorer(completions, task)[:, _k]
            return [None if np.isnan(v) else float(v) for v in values]

        reward.__name__ = reward.__qualname__ = name.replace("/", "_")
        functions.append(reward)
    return functions


def as_trl(family: TaskFamily | str, instances: Sequence[Any], *, weights: Sequence[float] | None = None,
           conversational: bool = True, m: int = 1) -> TrlExport:
    """Export instances of ``family`` for ``trl.GRPOTrainer``.

    Args:
        family: a family object or its registered name.
        instances: the tasks (e.g. ``family.instances(0, 1000)`` or ``[family.generate(s) for s in seeds]``).
        weights: static objective weights (default all 1).
        conversational: prompts as ``[{"role": "user", "content": ...}]`` (TRL applies the chat template), else
            plain strings.
        m: answers per completion in the prompt (``m > 1`` only where the family's prompt supports chains).
    """
    import datasets  # heavy, and only needed here

    family = make_family(family) if isinstance(family, str) else family
    view = require(family, TextView, "a TRL export")
    k = len(family.reward_names)
    weights = [1.0] * k if weights is None else [float(w) for w in weights]
    if len(weights) != k or not all(np.isfinite(weights)):
        raise ValueError(f"weights must be {k} finite numbers (one per objective {family.reward_names}), got {weights}")
    records = []
    for instance in instances:
        text = view.prompt(instance, m) if m != 1 else view.prompt(instance)
        records.append({
            "prompt": [{"role": "user", "content": text}] if conversational else text,
            "task": json.dumps(family.task_row(instance)),
        })
    return TrlExport(
        dataset=datasets.Dataset.from_list(records),
        reward_funcs=reward_functions(family),
        reward_weights=weights,
        reward_names=tuple(family.reward_names),
    )


def verl_row(family: TaskFamily, instance: Any) -> dict[str, Any]:
    """One verl data row: ``data_source``, chat ``prompt`` and ``reward_model.ground_truth`` (the task row)."""
    return {
        "data_source": DATA_SOURCE_PREFIX + family.name,
        "prompt": [{"role": "user", "content": require(family, TextView, "a verl row").prompt(instance)}],
        "reward_model": {"style": "rule", "ground_truth": json.dumps(family.task_row(instance))},
    }


_VERL_FAMILIES: dict[str, TaskFamily] = {}


def compute_score(data_source: str, solution_str: str, ground_truth: str | dict, extra_info: object = None,
                  weights: Sequence[float] | None = None) -> dict[str, float]:
    """The custom reward function of verl: the named objectives plus ``score``, their weighted mean.

    NaN (not applicable) objectives are left out of the mean and reported as NaN. An unreadable completion is a
    reward outcome (the family scores it, e.g. zeros), never an exception; an unknown data source or a malformed
    ground truth raises ValueError.
    """
    if not isinstance(data_source, str) or not data_source.startswith(DATA_SOURCE_PREFIX):
        raise ValueError(f"data_source must start with {DATA_SOURCE_PREFIX!r}, got {data_source!r}")
    name = data_source[len(DATA_SOURCE_PREFIX):]
    if name not in _VERL_FAMILIES:
        _VERL_FAMILIES[name] = make_family(name)
    family = _VERL_FAMILIES[name]
    row = json.loads(ground_truth) if isinstance(ground_truth, str) else dict(ground_truth)
    instance = family.instance_from_row(row)
    vector = family.score_completions(instance, [solution_str])[0][0]  # [K]
    w = np.ones(len(vector)) if weights is None else np.asarray(weights, dtype=np.float64)
    applicable = ~np.isnan(vector)
    score = float(np.sum(w[applicable] * vector[applicable]) / np.sum(w[applicable])) if applicable.any() else 0.0
    return {"score": score, **{n: float(v) for n, v in zip(family.reward_names, vector, strict=True)}}
