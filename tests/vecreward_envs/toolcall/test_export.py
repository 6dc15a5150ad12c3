"""The generic TRL and verl exporters work for the toolcall family (called exactly as TRL and verl call them)."""

import json

import numpy as np
import pytest
from tc_helpers import completion

from llm_bridge.export import as_trl, compute_score, verl_row
from vecreward_envs.families import make_family


def _trl_call(func, batch: list[dict], completions: list) -> list:  # noqa: ANN001
    """How trl.GRPOTrainer calls a reward function (dataset columns as keyword lists)."""
    keys = [key for key in batch[0] if key not in ["prompt", "completion", "completion_ids"]]
    reward_kwargs = {key: [example[key] for example in batch] for key in keys}
    prompts = [example["prompt"] for example in batch]
    return func(prompts=prompts, completions=completions, completion_ids=[[1]] * len(batch), **reward_kwargs)


def test_trl_export() -> None:
    family = make_family("toolcall", min_constraints=2, max_constraints=4)
    tasks = family.instances(0, 4)
    export = as_trl(family, tasks, weights=[1.0] * 11)
    assert export.dataset.num_rows == 4 and "task" in export.dataset.column_names
    assert [f.__name__ for f in export.reward_funcs] == [n.replace("/", "_") for n in family.reward_names]
    assert export.reward_weights == [1.0] * 11
    batch, completions, expected = [], [], []
    for row, task in zip(export.dataset, tasks, strict=True):
        assert row["prompt"][0]["content"] == family.prompt(task)
        for text in (task.ground_truth_text(), completion(task.gt_json[:1]), "garbage"):
            batch.append(dict(row))
            completions.append([{"role": "assistant", "content": text}])
            expected.append(family.score_completions(task, [text])[0][0])
    columns = [_trl_call(f, batch, completions) for f in export.reward_funcs]
    assert all(isinstance(col, list) and len(col) == len(batch) for col in columns)
    assert all(v is None or isinstance(v, float) for col in columns for v in col)
    got = np.array([[np.nan if v is None else v for v in col] for col in columns], dtype=np.float64).T
    np.testing.assert_array_equal(got, np.array(expected, dtype=np.float64))
    assert any(v is None for col in columns for v in col)  # NaN objectives reach TRL as None
    assert got[0, 0] == 1.0 and got[2, 0] == 0.0


def test_verl_compute_score() -> None:
    family = make_family("toolcall")
    task = family.generate(8)
    row = verl_row(family, task)
    assert row["data_source"] == "vecreward/toolcall"
    truth = row["reward_model"]["ground_truth"]
    assert json.loads(truth)["seed"] == 8
    good = compute_score(row["data_source"], task.ground_truth_text(), truth)
    assert set(good) == {"score", *family.reward_names}
    assert good["format"] == 1.0 and good["tool_name"] == 1.0
    bad = compute_score(row["data_source"], "no tags", truth)
    assert bad["format"] == 0.0 and bad["score"] < good["score"]
    with pytest.raises(ValueError, match="toolcall"):
        compute_score(row["data_source"], "x", json.dumps({"family": "maze", "seed": 1}))
