"""Text view: the prompt, and a parser that never raises (hypothesis fuzz, 10,000+ completions)."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tc_helpers import completion

from vecreward_envs.toolcall.family import ToolCallFamily
from vecreward_envs.toolcall.text import parse_completion, toolrl_format, toolrl_reward

FAMILY = ToolCallFamily(min_constraints=2, max_constraints=5)
TASKS = FAMILY.instances(0, 20)


def test_prompt_lists_tools_constraints_and_format() -> None:
    task = next(t for t in TASKS if t.constraints and t.gt_calls)
    text = FAMILY.prompt(task)
    for tool in task.shown_tools:
        assert tool.name in text and json.dumps(tool.schema()["parameters"]) in text
    for c in task.constraint_texts:
        assert c in text
    assert "<tool_call>" in text and "<think>" in text and task.request in text


def test_malformed_answers_are_reward_outcomes() -> None:
    task = next(t for t in TASKS if t.gt_calls)
    gt = task.gt_json
    cases = {
        "bad json": "<think>a</think>\n<tool_call>\n{\"name\": \n</tool_call>",
        "repeated tags": completion(gt) + "\n<tool_call>\n</tool_call>",
        "no think": "<tool_call>\n" + json.dumps(gt[0]) + "\n</tool_call>",
        "unclosed": "<think>a</think>\n<tool_call>\n" + json.dumps(gt[0]),
        "wrong types": completion([{"name": 3, "parameters": []}]),
        "list not object": completion(None) + "\n<tool_call>\n[1, 2]\n</tool_call>",
        "huge": "<think>" + "x" * 300_000 + "</think>",
        "deep": "<think>a</think>\n<tool_call>\n" + "[" * 100_000 + "\n</tool_call>",
        "bytes": b"\xff\xfe",
        "none": None,
        "number": 3.5,
    }
    odd = [  # well-formed, but nothing in them is right
        "<think>\u00e9\u4e2d\ud83d\ude00</think>\n<tool_call>\n"
        "{\"name\": \"\u00e9\", \"parameters\": {}}\n</tool_call>",
        completion([{"name": gt[0]["name"], "parameters": {k: float("nan") for k in gt[0]["parameters"]}}]),
        completion([{"name": gt[0]["name"], "parameters": {k: {"a": [1e308, None]} for k in gt[0]["parameters"]}}]),
    ]
    odd_rewards, odd_parsed = FAMILY.score_completions(task, odd)
    assert all(p.ok for p in odd_parsed) and np.all(odd_rewards[:, 3][~np.isnan(odd_rewards[:, 3])] == 0.0)
    rewards, parsed = FAMILY.score_completions(task, list(cases.values()))
    for (name, _), p, r in zip(cases.items(), parsed, rewards, strict=True):
        assert not p.ok and p.reason, name
        assert r[0] == 0.0, name
        assert np.all((np.isnan(r)) | ((r >= 0) & (r <= 1))), name
    ok, good = FAMILY.score_completions(task, [task.ground_truth_text()])
    assert good[0].ok and ok[0][0] == 1.0


_TAGS = st.sampled_from(["<think>", "</think>", "<tool_call>", "</tool_call>", "<response>", "</response>", "\n",
                         "{", "}", "\"name\"", "\"parameters\"", ":", ",", "[", "]", "null", "1e999", "-0"])
_JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                        max_leaves=10)


@st.composite
def completions(draw: st.DrawFn) -> object:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return "".join(draw(st.lists(_TAGS | st.text(max_size=10), max_size=30)))
    if kind == 1:
        task = TASKS[draw(st.integers(0, len(TASKS) - 1))]
        calls = [{"name": draw(st.sampled_from([t.name for t in task.shown_tools] + ["x"])),
                  "parameters": draw(st.dictionaries(st.sampled_from(["city", "date", "limit", "tags", "q"]),
                                                     _JSONISH, max_size=4))}
                 for _ in range(draw(st.integers(0, 4)))]
        text = completion(calls, draw(st.none() | st.text(max_size=30)), draw(st.text(max_size=20)))
        cut = draw(st.integers(0, len(text)))
        return text[:cut] if draw(st.booleans()) else text
    if kind == 2:
        return draw(st.text(max_size=200))
    return draw(st.binary(max_size=50) | st.integers() | st.none() | st.lists(st.integers(), max_size=3))


@settings(max_examples=10_500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(completions(), st.integers(0, len(TASKS) - 1))
def test_fuzz_parser_never_raises(text: object, t: int) -> None:
    task = TASKS[t]
    parsed = parse_completion(text)
    assert parsed.ok or parsed.reason
    rewards, _ = FAMILY.score_completions(task, [text])
    r = rewards[0]
    assert r.shape == (11,) and np.all(np.isnan(r) | ((r >= 0) & (r <= 1)))
    assert not parsed.ok or r[0] in (0.0, 1.0)
    if not parsed.ok:
        assert r[0] == 0.0
    score = toolrl_reward(text, task)
    assert score.format in (0.0, 1.0) and -3.0 <= score.correct <= 3.0


COMPACT = ToolCallFamily(min_constraints=2, max_constraints=5, prompt_style="compact")


def test_compact_prompt_is_shorter_and_holds_tools_constraints_and_request() -> None:
    for task, task_c in zip(TASKS, COMPACT.instances(0, len(TASKS)), strict=True):
        assert (task_c.tools, task_c.request, task_c.constraint_texts, task_c.gt_json, task_c.response) == \
            (task.tools, task.request, task.constraint_texts, task.gt_json, task.response)  # the text only changes
        text, text_c = FAMILY.prompt(task), COMPACT.prompt(task_c)
        assert len(text_c.encode()) < 0.4 * len(text.encode())
        for tool in task_c.shown_tools:
            line = next(ln for ln in text_c.splitlines() if ln.startswith(tool.name + "("))
            for param in tool.params:
                assert f"{param.name}{'' if param.required else '?'}: " in line
                assert all(v in line for v in param.enum)
                unit = {"distance": "km", "weight": "kg", "temperature": "Celsius", "date": "YYYY-MM-DD"}
                if param.kind in unit:
                    assert unit[param.kind] in line
        for c in task_c.constraint_texts:
            assert f"- {c}" in text_c
        assert text_c.endswith(f"User: {task_c.request}")


def test_compact_prompt_example_is_a_well_formed_completion() -> None:
    text = COMPACT.prompt(COMPACT.generate(0))
    example = text[text.index("<think>"): text.index("</response>") + len("</response>")]
    parsed = parse_completion(example)
    assert parsed.ok and parsed.has_tool_call and parsed.response == "reply"
    assert parsed.calls == (("tool_name", {"param": "value"}),)
    assert toolrl_format(example, True, True) == 1.0


def test_demonstrations_score_the_same_under_both_prompt_styles() -> None:
    tasks_c = COMPACT.instances(0, len(TASKS))
    texts = FAMILY.demonstration_texts(TASKS)
    assert COMPACT.demonstration_texts(tasks_c) == texts
    structured = [FAMILY.format_answer(t, FAMILY.solution(t)) for t in TASKS]
    assert [COMPACT.format_answer(t, COMPACT.solution(t)) for t in tasks_c] == structured
    for task, task_c, text, other in zip(TASKS, tasks_c, texts, structured, strict=True):
        rewards, _ = FAMILY.score_completions(task, [text, other])
        rewards_c, parsed = COMPACT.score_completions(task_c, [text, other])
        np.testing.assert_array_equal(rewards_c, rewards)
        assert parsed[0].ok and rewards_c[0, 0] == 1.0  # format objective
        assert toolrl_reward(text, task_c) == toolrl_reward(text, task)


def test_bad_prompt_style_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match="prompt_style") as err:
        ToolCallFamily(prompt_style="short")
    assert "\n" not in str(err.value)
