"""ToolRL's scalar reward, reproduced: hand-computed cases (R_format in {0,1}, R_correct in [-3, 3])."""

import numpy as np
import pytest
from tc_helpers import completion

from vecreward_envs.toolcall.config import ToolCallConfig
from vecreward_envs.toolcall.family import ToolCallFamily
from vecreward_envs.toolcall.text import toolrl_correct, toolrl_format, toolrl_reward


def _task(n_calls: int, response: bool | None = None):  # noqa: ANN202
    family = ToolCallFamily(ToolCallConfig(min_constraints=0, max_constraints=2))
    for task in family.instances(0, 400):
        if len(task.gt_calls) == n_calls and (response is None or (task.response is not None) == response):
            return task
    raise AssertionError("no such task")


def test_exact_match_is_max() -> None:
    task = _task(2, response=False)
    assert toolrl_reward(task.ground_truth_text(), task) == (1.0, 3.0)
    assert toolrl_reward(task.ground_truth_text(), task).total == 4.0
    # rlla.py strips the assistant turn: whitespace around a completion changes nothing, in the scalar or the vector
    padded = "\n " + task.ground_truth_text() + " \n\n"
    assert toolrl_reward(padded, task) == (1.0, 3.0)
    family = ToolCallFamily(ToolCallConfig(min_constraints=0, max_constraints=2))
    np.testing.assert_array_equal(family.score_completions(task, [padded])[0],
                                  family.score_completions(task, [task.ground_truth_text()])[0])


def test_hand_computed_correctness() -> None:
    gt = [{"name": "a", "parameters": {"x": 1, "y": "s"}}, {"name": "b", "parameters": {"z": True}}]
    # only call a, with x right and y wrong: names Jaccard 1/2; a: keys 1 + values 1 = 2; max = 1 + 3 + 2 = 6
    pd = [{"name": "a", "parameters": {"x": 1, "y": "t"}}]
    assert toolrl_correct(gt, pd) == pytest.approx(6 * (0.5 + 2) / 6 - 3)
    # an extra key: keys Jaccard 2/3, both values right: (1 + 2/3 + 2 + 1 + 1) / 6
    pd = [{"name": "a", "parameters": {"x": 1, "y": "s", "w": 0}}, {"name": "b", "parameters": {"z": True}}]
    assert toolrl_correct(gt, pd) == pytest.approx(6 * (1 + 2 / 3 + 2 + 1 + 1) / 6 - 3)
    # order does not matter for the score but breaks exact equality: the same 6/6 -> 3
    assert toolrl_correct(gt, gt[::-1]) == pytest.approx(3.0)
    # duplicated call: names Jaccard 2/3, the duplicate stays unused: (2/3 + 3 + 2) / 6
    assert toolrl_correct(gt, [*gt, gt[0]]) == pytest.approx(6 * (2 / 3 + 3 + 2) / 6 - 3)
    # nothing right
    assert toolrl_correct(gt, [{"name": "c", "parameters": {}}]) == pytest.approx(-3.0)
    # a predicted call without "parameters" raises inside ToolRL: the minimum
    assert toolrl_correct(gt, [{"name": "a"}]) == -3.0


def test_format_rule() -> None:
    assert toolrl_format("<think>x</think>\n<tool_call>\n{}\n</tool_call>", True, False) == 1.0
    assert toolrl_format("<think>x</think>\n<tool_call>\n{}\n</tool_call>\n<response>r</response>", True, False) == 0
    assert toolrl_format("<think>x</think>\n<response>r</response>", False, True) == 1.0
    assert toolrl_format(" <think>x</think>\n<response>r</response>", False, True) == 0.0  # as is: no strip
    assert toolrl_format("<think>x</think>\n<response>r</response><response>", False, True) == 0.0
    assert toolrl_format("<think>x</think>", False, False) == 1.0
    assert toolrl_format("<think>x</think>\n<tool_call>\n{}\n</tool_call>\n<response>r</response>", True, True) == 1


def test_failures_score_minimum() -> None:
    task = _task(1)
    assert toolrl_reward("no tags at all", task) == (0.0, -3.0)
    assert toolrl_reward("<think>a</think>\n<tool_call>\n{bad json\n</tool_call>", task).correct == -3.0
    assert toolrl_reward(None, task) == (0.0, -3.0)
    no_call = _task(0)
    assert toolrl_reward("<think>a</think>\n<response>x</response>", no_call).correct == 0.0


def test_scalar_vs_vector_on_partial_answer() -> None:
    task = _task(3)
    gt = task.gt_json
    text = completion(gt[:1], "Done." if task.response is not None else None)
    score = toolrl_reward(text, task)
    sizes = [len(c["parameters"]) for c in gt]
    expected = 6 * (1 / 3 + 1 + sizes[0]) / (1 + sum(1 + s for s in sizes)) - 3
    assert score.correct == pytest.approx(expected)
    assert score.format == 1.0
