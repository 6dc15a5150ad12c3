"""verl exports: ``compute_score`` under the row's own config, data sources, splits, parquet files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from llm_bridge.export import DATA_SOURCE_PREFIX, compute_score, verl_data_sources, verl_row, verl_splits
from vecreward_envs.families import family_names, make_family
from vecreward_envs.protocols import Demonstrations, TextView, supports

NON_DEFAULT: dict[str, dict] = {
    "maze": {"size": 7, "score_mode": "linear"},
    "toolcall": {"n_tools": 4},
    "codetests": {"groups": ("basic", "empty", "single"), "granularity": "test"},
    "confidence": {"n_options": 3, "reliabilities": (0.5, 1.0)},
    "easyhard": {"n_options": 4, "key_seed": 3},
    "structure": {"K": 2, "relation": "tradeoff", "granularity": "binary,levels:3", "proxy": True},
}
"""A non-default config per family that has one (the probe has no config)."""

TEXT_FAMILIES = [name for name in family_names() if supports(make_family(name), TextView)]

GENERIC_COMPLETIONS = [
    "I refuse to answer",
    "<answer>1</answer>",
    "<tagged/> <answer>2</answer>",
    "<answer>0</answer> <confidence>0.7</confidence>",
    "<answer>DOWN RIGHT RIGHT</answer>",
    "```python\ndef solve(xs):\n    return sorted(xs)\n```",
]


def test_every_text_family_has_a_data_source() -> None:
    assert set(verl_data_sources()) == {DATA_SOURCE_PREFIX + name for name in TEXT_FAMILIES}
    assert {"maze", "toolcall", "codetests"} <= set(TEXT_FAMILIES)
    assert "multiagent_maze" not in TEXT_FAMILIES  # no text view: no data source


@pytest.mark.parametrize("name", TEXT_FAMILIES)
def test_compute_score_uses_the_rows_config(name: str) -> None:
    family = make_family(name, **NON_DEFAULT.get(name, {}))
    instances = family.instances(5, 2)
    for instance in instances:
        row = verl_row(family, instance)
        assert row["data_source"] == f"vecreward/{name}"
        truth = row["reward_model"]["ground_truth"]
        json.loads(truth)  # plain JSON text, as verl stores it
        completions = list(GENERIC_COMPLETIONS)
        if supports(family, Demonstrations):
            completions += family.demonstration_texts([instance])
        expected = family.score_completions(instance, completions)[0]  # [N, K]
        for text, vector in zip(completions, expected, strict=True):
            out = compute_score(row["data_source"], text, truth, {"split": "train", "index": 0})
            assert list(out) == ["score", *family.reward_names]
            got = np.array([out[n] for n in family.reward_names], dtype=np.float32)
            np.testing.assert_array_equal(got, vector)
            applicable = ~np.isnan(vector)
            assert out["score"] == pytest.approx(float(vector[applicable].mean()) if applicable.any() else 0.0)
    if supports(family, Demonstrations):  # the solver's answer scores, so the check above is not all zeros
        best = compute_score(f"vecreward/{name}", family.demonstration_texts(instances[:1])[0],
                             verl_row(family, instances[0])["reward_model"]["ground_truth"])
        assert best["score"] > 0


def test_rows_of_two_configs_score_side_by_side() -> None:
    small, default = make_family("maze", size=7), make_family("maze")
    for family in (small, default, small):
        inst = family.generate(3)
        text = family.demonstration_texts([inst])[0]
        out = compute_score("vecreward/maze", text, verl_row(family, inst)["reward_model"]["ground_truth"])
        assert out["completion"] == 1.0


def test_compute_score_errors_are_one_line() -> None:
    family = make_family("maze", size=7)
    truth = verl_row(family, family.generate(0))["reward_model"]["ground_truth"]
    joint = make_family("multiagent_maze")
    cases = [
        (("gsm8k", "x", truth), "data_source must start with"),
        (("vecreward/chess", "x", truth), "unknown data_source"),
        (("vecreward/maze", "x", "{not json"), "not a JSON task row"),
        (("vecreward/maze", "x", "[1, 2]"), "not a JSON object"),
        (("vecreward/maze", "x", json.dumps({"family": "maze", "seed": 0, "config": {"bogus": 1}})), "bad config"),
        (("vecreward/toolcall", "x", truth), "not a toolcall task row"),
        (("vecreward/multiagent_maze", "x", json.dumps(joint.task_row(joint.generate(0)))), "has no TextView"),
    ]
    for args, match in cases:
        with pytest.raises(ValueError, match=match) as info:
            compute_score(*args)
        assert "\n" not in str(info.value)


def test_probe_rows_carry_their_config() -> None:
    family = make_family("confidence", n_options=3, reliabilities=(0.5, 1.0))
    row = family.task_row(family.generate(4))
    assert row["config"]["reliabilities"] == [0.5, 1.0]
    with pytest.raises(ValueError, match="differs"):
        make_family("confidence").instance_from_row(row)
    assert make_family("confidence").instance_from_row({"family": "confidence", "seed": 4}).seed == 4


def test_splits_do_not_share_seeds() -> None:
    family = make_family("maze", size=7)
    train, test = verl_splits(family, 20, 5)
    seeds = [{json.loads(r["reward_model"]["ground_truth"])["seed"] for r in rows} for rows in (train, test)]
    assert len(seeds[0]) == 20 and len(seeds[1]) == 5 and not seeds[0] & seeds[1]
    assert [r["extra_info"] for r in test[:2]] == [{"split": "test", "index": 0}, {"split": "test", "index": 1}]
    assert set(train[0]) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    with pytest.raises(ValueError, match="reach the test seeds"):
        verl_splits(family, 20, 5, test_first_seed=10)
    with pytest.raises(ValueError, match="n_train must be an int >= 1"):
        verl_splits(family, 0, 5)
