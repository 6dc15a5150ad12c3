import json

import numpy as np
import pytest

from llm_bridge.export import as_trl, compute_score, verl_row
from vecreward_envs.families import family_names, make_family
from vecreward_envs.maze import MazeInstance, pareto_front


def _trl_call(func, batch: list[dict], completions: list) -> list:  # noqa: ANN001
    """Exactly how trl.GRPOTrainer._calculate_rewards calls a reward function (trl 0.2x)."""
    keys = [key for key in batch[0] if key not in ["prompt", "completion", "completion_ids"]]
    reward_kwargs = {key: [example[key] for example in batch] for key in keys}
    reward_kwargs["trainer_state"] = object()
    prompts = [example["prompt"] for example in batch]
    return func(prompts=prompts, completions=completions, completion_ids=[[1, 2]] * len(batch), **reward_kwargs)


def test_trl_export_scores_like_the_family() -> None:
    family = make_family("maze")
    instances = family.instances(0, 3)
    export = as_trl(family, instances)
    assert export.dataset.num_rows == 3 and set(export.dataset.column_names) == {"prompt", "task"}
    assert [f.__name__ for f in export.reward_funcs] == list(family.reward_names)
    assert export.reward_weights == [1.0] * 4
    # G=2 completions per prompt, conversational format, as TRL repeats rows for a group
    batch, completions, expected = [], [], []
    for row, inst in zip(export.dataset, instances, strict=True):
        best = pareto_front(inst).routes[0]
        for text in (family.format_answer(inst, best), "I refuse to answer"):
            batch.append(dict(row))
            completions.append([{"role": "assistant", "content": text}])
            expected.append(family.score_completions(inst, [text])[0][0])
    columns = np.array([_trl_call(f, batch, completions) for f in export.reward_funcs], dtype=np.float64).T
    np.testing.assert_allclose(columns, np.array(expected), rtol=0, atol=1e-7)
    assert columns[0, 0] == 1.0 and not columns[1].any()


def test_trl_export_plain_prompts_and_weights() -> None:
    family = make_family("maze")
    export = as_trl("maze", family.instances(10, 2), weights=[1, 0.5, 0.5, 1], conversational=False)
    assert isinstance(export.dataset[0]["prompt"], str) and export.reward_weights == [1.0, 0.5, 0.5, 1.0]
    with pytest.raises(ValueError, match="weights"):
        as_trl(family, family.instances(10, 1), weights=[1.0])


def test_verl_compute_score() -> None:
    family = make_family("maze")
    inst = family.generate(7)
    row = verl_row(family, inst)
    best = family.format_answer(inst, pareto_front(inst).routes[0])
    out = compute_score(row["data_source"], best, row["reward_model"]["ground_truth"])
    vector = family.score_completions(inst, [best])[0][0]
    assert set(out) == {"score", *family.reward_names}
    assert out["score"] == pytest.approx(float(vector.mean()))
    bad = compute_score(row["data_source"], "<answer>nonsense", row["reward_model"]["ground_truth"])
    assert bad["score"] == 0.0
    with pytest.raises(ValueError, match="data_source"):
        compute_score("gsm8k", best, row["reward_model"]["ground_truth"])


def test_rows_round_trip_hand_made_mazes() -> None:
    family = make_family("maze", size=7, score_mode="linear")
    inst = MazeInstance.from_text("S L G E # # #\n. # # . # # #\n. . . . # # #\n" + "# # # # # # #\n" * 4, 7,
                                  family.config)
    again = family.instance_from_row(json.loads(json.dumps(family.task_row(inst))))
    assert again.grid_text() == inst.grid_text() and again.budget == 7


def test_family_registry() -> None:
    assert "maze" in family_names()
    with pytest.raises(ValueError, match="valid"):
        make_family("chess")
