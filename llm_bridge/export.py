"""Exporters of our task families to the established LLM trainers: TRL and verl.

Scoring is a pure function of (completion, task row): the row's JSON-able columns (``family.task_row``) rebuild
the instance, so nothing needs the dataset object or a pickled scorer (reasoning-gym's pitfall).

- ``as_trl(family, instances)``: a ``datasets.Dataset`` of prompts plus task columns, one reward function per
  objective with TRL's signature ``f(prompts, completions, **kwargs) -> list[float | None]`` (None where the
  objective does not apply: TRL's "not applicable"), and weights for ``GRPOConfig.reward_weights``.
- ``compute_score(data_source, solution_str, ground_truth, extra_info=None)``: verl's reward-function form,
  returning ``{"score": weighted mean of the applicable objectives, "<objective>": value, ...}``. The family is
  rebuilt under the configuration the ground truth carries, so rows of any config (a 7x7 maze, 4 tools) score.
- ``verl_row`` / ``verl_splits`` / ``write_verl_parquet``: verl's data rows (``data_source``, ``prompt``,
  ``ability``, ``reward_model``, ``extra_info``, the columns of verl's ``examples/data_preprocess``) and its
  ``train.parquet`` / ``test.parquet`` (``vecreward export-verl``).

``data_source`` is ``vecreward/<family>`` for every family with a text view (``verl_data_sources()``).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vecreward_envs.families import TaskFamily, family_names, make_family
from vecreward_envs.protocols import TextView, require, supports

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


def _conversational(tokenizer: Any, conversational: bool | None) -> bool:
    """Whether prompts are chat messages: forced by ``conversational``, else whether ``tokenizer`` has a template.

    Raises:
        ValueError: ``conversational=True`` with a tokenizer that has no chat template (TRL could not apply it).
    """
    if tokenizer is None:
        return True if conversational is None else bool(conversational)
    has_template = bool(getattr(tokenizer, "chat_template", None))
    kind = type(tokenizer).__name__
    if conversational is None:
        if not has_template:
            warnings.warn(f"{kind} has no chat template: exporting plain-string prompts (pass conversational=False to "
                          "silence this, or set tokenizer.chat_template for chat prompts)", UserWarning, stacklevel=3)
        return has_template
    if conversational and not has_template:
        raise ValueError(f"conversational=True needs a tokenizer with a chat template, and this {kind} has none: set "
                         "tokenizer.chat_template, or pass conversational=False (or None) for plain-string prompts")
    return bool(conversational)


def as_trl(family: TaskFamily | str, instances: Sequence[Any], *, weights: Sequence[float] | None = None,
           conversational: bool | None = None, m: int = 1, tokenizer: Any = None) -> TrlExport:
    """Export instances of ``family`` for ``trl.GRPOTrainer``.

    Args:
        family: a family object or its registered name.
        instances: the tasks (e.g. ``family.instances(0, 1000)`` or ``[family.generate(s) for s in seeds]``).
        weights: static objective weights (default all 1).
        conversational: prompts as ``[{"role": "user", "content": ...}]`` (TRL applies the chat template) or plain
            strings (False). None (default): chat messages when ``tokenizer`` has a chat template, plain strings
            (with a warning) when it has none, chat messages when no tokenizer is given.
        m: answers per completion in the prompt (``m > 1`` only where the family's prompt supports chains).
        tokenizer: the tokenizer (or processor) the trainer will use; only its ``chat_template`` is read.

    Raises:
        ValueError: bad weights, or ``conversational=True`` with a tokenizer that has no chat template.
    """
    conversational = _conversational(tokenizer, conversational)
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


def verl_data_sources() -> tuple[str, ...]:
    """The ``data_source`` values ``compute_score`` accepts: ``vecreward/<family>`` for each family with a text view."""
    return tuple(DATA_SOURCE_PREFIX + name for name in family_names() if supports(make_family(name), TextView))


def verl_row(family: TaskFamily, instance: Any, *, split: str = "train", index: int = 0) -> dict[str, Any]:
    """One verl data row, with the columns of verl's ``examples/data_preprocess`` scripts.

    ``data_source`` (``vecreward/<family>``), a chat ``prompt``, ``ability`` (the family name), ``reward_model``
    (``{"style": "rule", "ground_truth": <JSON of the task row, config included>}``) and ``extra_info``
    (``{"split", "index"}``).
    """
    return {
        "data_source": DATA_SOURCE_PREFIX + family.name,
        "prompt": [{"role": "user", "content": require(family, TextView, "a verl row").prompt(instance)}],
        "ability": family.name,
        "reward_model": {"style": "rule", "ground_truth": json.dumps(family.task_row(instance))},
        "extra_info": {"split": split, "index": int(index)},
    }


def _row_seed(family: TaskFamily, instance: Any) -> int | None:
    seed = family.task_row(instance).get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def verl_splits(family: TaskFamily, n_train: int, n_test: int, *, train_first_seed: int = 0,
                test_first_seed: int = 1_000_000) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The verl rows of ``n_train`` training and ``n_test`` test instances, from disjoint seeds.

    The test split starts at ``test_first_seed`` (by default the held-out seeds ``vecreward train`` evaluates on),
    so it does not change with ``n_train``.

    Raises:
        ValueError: a count < 1, a negative seed, or training seeds that reach the test seeds (one line).
    """
    for flag, value in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{flag} must be an int >= 1, got {value!r}")
    for flag, value in (("train_first_seed", train_first_seed), ("test_first_seed", test_first_seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{flag} must be an int >= 0, got {value!r}")
    train = family.instances(train_first_seed, n_train)
    train_seeds = [_row_seed(family, x) for x in train]
    last = max((s for s in train_seeds if s is not None), default=train_first_seed + n_train - 1)
    if train_first_seed <= test_first_seed <= last:
        raise ValueError(f"the training seeds ({train_first_seed}..{last}) reach the test seeds (from "
                         f"{test_first_seed}): ask for fewer training rows or start the test seeds later")
    test = family.instances(test_first_seed, n_test)
    test_seeds = {_row_seed(family, x) for x in test} - {None}
    if test_seeds & set(train_seeds):
        raise ValueError(f"train and test share seeds {sorted(test_seeds & set(train_seeds))[:5]}: start the test "
                         "seeds after the training seeds")
    return ([verl_row(family, x, split="train", index=i) for i, x in enumerate(train)],
            [verl_row(family, x, split="test", index=i) for i, x in enumerate(test)])


def write_verl_parquet(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write verl rows to a parquet file (pyarrow; nested ``prompt``, ``reward_model``, ``extra_info`` columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(pa.Table.from_pylist([dict(r) for r in rows]), tmp)
    tmp.replace(path)
    return path


_VERL_FAMILIES: dict[tuple[str, str], TaskFamily] = {}
"""Families built for ``compute_score``, by (name, canonical JSON of the row's config)."""
_MAX_VERL_FAMILIES = 32


def _as_config_value(value: object) -> object:
    """JSON lists back to the tuples the config dataclasses hold."""
    return tuple(_as_config_value(v) for v in value) if isinstance(value, list) else value


def _family_for_row(name: str, row: Mapping[str, Any]) -> TaskFamily:
    """The family ``name`` under the config ``row`` carries (the family's default config when it carries none)."""
    config = row.get("config")
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise ValueError(f"ground truth of vecreward/{name}: 'config' must be an object, got {type(config).__name__}")
    key = (name, json.dumps(config, sort_keys=True, separators=(",", ":")))
    family = _VERL_FAMILIES.get(key)
    if family is None:
        try:
            family = make_family(name, **{str(k): _as_config_value(v) for k, v in config.items()})
        except TypeError as exc:
            raise ValueError(f"ground truth of vecreward/{name}: bad config: {exc}") from None
        if len(_VERL_FAMILIES) >= _MAX_VERL_FAMILIES:  # bounded: a long run may meet many configs
            old = _VERL_FAMILIES.pop(next(iter(_VERL_FAMILIES)))
            close = getattr(old, "close", None)
            if callable(close):
                close()
        _VERL_FAMILIES[key] = family
    return family


def compute_score(data_source: str, solution_str: str, ground_truth: str | dict, extra_info: object = None,
                  weights: Sequence[float] | None = None) -> dict[str, float]:
    """The custom reward function of verl: the named objectives plus ``score``, their weighted mean.

    The family is built under the configuration the ground truth (a ``task_row``) carries, so rows exported from any
    config of a family score correctly; families are cached by (name, config). NaN (not applicable) objectives are
    left out of the mean and reported as NaN. An unreadable completion is a reward outcome (the family scores it,
    e.g. zeros), never an exception; an unknown data source or a malformed ground truth raises ValueError.

    Args:
        data_source: ``vecreward/<family>`` (``verl_data_sources()``).
        solution_str: the decoded completion.
        ground_truth: the row's ``reward_model.ground_truth`` (JSON text of the task row, or the dict itself).
        extra_info: verl's ``extra_info`` (unused).
        weights: objective weights of ``score`` (default all 1).
    """
    if not isinstance(data_source, str) or not data_source.startswith(DATA_SOURCE_PREFIX):
        raise ValueError(f"data_source must start with {DATA_SOURCE_PREFIX!r}, got {data_source!r}")
    name = data_source[len(DATA_SOURCE_PREFIX):]
    if name not in family_names():
        raise ValueError(f"unknown data_source {data_source!r}; valid: {list(verl_data_sources())}")
    try:
        row = json.loads(ground_truth) if isinstance(ground_truth, str) else dict(ground_truth)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"ground truth of {data_source} is not a JSON task row: {str(exc)[:200]}") from None
    if not isinstance(row, dict):
        raise ValueError(f"ground truth of {data_source} is not a JSON object (a task row)")
    if row.get("family") != name:
        raise ValueError(f"ground truth of {data_source} is not a {name} task row (its family is "
                         f"{str(row.get('family'))[:40]!r})")
    family = _family_for_row(name, row)
    text = require(family, TextView, f"data_source {data_source}")
    instance = family.instance_from_row(row)
    vector = text.score_completions(instance, [solution_str])[0][0]  # [K]
    w = np.ones(len(vector)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != vector.shape:
        raise ValueError(f"weights must be {len(vector)} numbers (one per objective {family.reward_names})")
    applicable = ~np.isnan(vector)
    total = float(np.sum(w[applicable]))
    score = float(np.sum(w[applicable] * vector[applicable]) / total) if total != 0 else 0.0
    return {"score": score, **{n: float(v) for n, v in zip(family.reward_names, vector, strict=True)}}
