"""The generic TRL and verl exporters work for the codetests family."""

import json

import numpy as np
import pytest

from llm_bridge.export import as_trl, compute_score, verl_row
from vecreward_envs.families import make_family


def _trl_call(func, batch: list[dict], completions: list) -> list:  # noqa: ANN001
    """How trl.GRPOTrainer calls a reward function."""
    keys = [key for key in batch[0] if key not in ["prompt", "completion", "completion_ids"]]
    reward_kwargs = {key: [example[key] for example in batch] for key in keys}
    prompts = [example["prompt"] for example in batch]
    return func(prompts=prompts, completions=completions, completion_ids=[[1]] * len(batch), **reward_kwargs)


def test_trl_export() -> None:
    family = make_family("codetests")
    problems = family.instances(0, 3)
    export = as_trl(family, problems)
    assert export.dataset.num_rows == 3 and [f.__name__ for f in export.reward_funcs] == [
        n.replace("/", "_") for n in family.reward_names]
    batch, completions, expected = [], [], []
    for row, problem in zip(export.dataset, problems, strict=True):
        assert row["prompt"][0]["content"] == family.prompt(problem)
        for text in (family.format_answer(problem), "```python\ndef solve(*a):\n    return None\n```"):
            batch.append(dict(row))
            completions.append([{"role": "assistant", "content": text}])
            expected.append(family.score_completions(problem, [text])[0][0])
    columns = [_trl_call(f, batch, completions) for f in export.reward_funcs]
    got = np.array([[np.nan if v is None else v for v in col] for col in columns], dtype=np.float64).T
    np.testing.assert_array_equal(got, np.array(expected, dtype=np.float64))
    assert any(v is None for col in columns for v in col)  # NaN objectives reach TRL as None
    assert np.nansum(got[0, 1:]) == np.sum(~np.isnan(got[0, 1:]))  # the reference answer passes everything


def test_verl_compute_score() -> None:
    family = make_family("codetests")
    problem = family.generate(8)
    row = verl_row(family, problem)
    assert row["data_source"] == "vecreward/codetests"
    truth = json.loads(row["reward_model"]["ground_truth"])
    assert truth["id"] == problem.id and "tests" in truth
    good = compute_score(row["data_source"], family.format_answer(problem), row["reward_model"]["ground_truth"])
    assert set(good) == {"score", *family.reward_names} and good["score"] == pytest.approx(1.0)
    bad = compute_score(row["data_source"], "no code", row["reward_model"]["ground_truth"])
    assert bad["score"] == 0.0 and bad["format"] == 0.0
