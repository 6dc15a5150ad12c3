"""Family contract, the structured cursor, and the env in both views."""

import gymnasium as gym
import numpy as np
import pytest

import vecreward_envs  # noqa: F401 - registers the ids
from vecreward_envs.families import make_family
from vecreward_envs.toolcall.config import STOP, ToolCallConfig
from vecreward_envs.toolcall.family import OBS_VOCAB, ToolCallFamily


def _decode_random(family: ToolCallFamily, tasks: list, g: int, rng: np.random.Generator) -> tuple:
    """Decode through the cursor as the small policy does (random valid tokens); return tokens and the cursor."""
    idx = np.repeat(np.arange(len(tasks)), g)
    cursor = family.new_cursor(tasks, idx)
    length = family.max_answer_len(tasks) + 1
    tokens = np.full((len(idx), length), STOP, dtype=np.int64)
    for t in range(length):
        valid = cursor.valid_moves()
        assert valid.any(axis=1).all()
        feats = cursor.features()
        assert feats.shape == (len(idx), cursor.n_features) and np.isfinite(feats).all()
        tok = np.array([rng.choice(np.flatnonzero(v)) for v in valid])
        tokens[:, t] = tok
        cursor.advance(tok)
        if cursor.done.all():
            break
    return idx, tokens, cursor


def test_cursor_grammar_matches_decoder() -> None:
    family = make_family("toolcall", min_constraints=3, max_constraints=6)
    tasks = family.instances(0, 30)
    idx, tokens, cursor = _decode_random(family, tasks, 8, np.random.default_rng(0))
    assert cursor.done.all()
    from vecreward_envs.toolcall.scoring import TaskBatch, decode_structured

    canon = decode_structured(TaskBatch.stack(tasks), idx, tokens, family.config.max_struct_calls)
    np.testing.assert_array_equal(canon.n_calls, cursor.calls)
    rewards = family.score_answers(tasks, tokens, idx)
    assert rewards.shape == (240, 11) and rewards.dtype == np.float32
    assert np.all(np.isnan(rewards) | ((rewards >= 0) & (rewards <= 1)))


def test_structured_and_text_views_agree() -> None:
    family = ToolCallFamily(min_constraints=2, max_constraints=6)
    tasks = family.instances(100, 40)
    structured = family.score_answers(tasks, family.demonstrations(tasks), np.arange(40))
    text, parsed = family.score_completion_batch(tasks, [t.ground_truth_text() for t in tasks])
    assert all(p.ok for p in parsed)
    np.testing.assert_array_equal(structured, text)


def test_observation_and_explain() -> None:
    family = ToolCallFamily(min_constraints=5, max_constraints=5, bottleneck="max_calls")
    task = family.generate(2)
    obs = family.observation(task)
    assert obs.dtype == np.int16 and obs.min() >= 0 and obs.max() < OBS_VOCAB
    messages = family.explain(task, task.ground_truth_text())
    assert "constraint/max_calls" in messages and str(task.constraints["max_calls"]["n"]) in \
        messages["constraint/max_calls"]
    assert family.explain(task, "nonsense")["format"]
    assert family.explain(task, family.solution(task)) == messages


def test_env_views() -> None:
    env = gym.make("vecreward/ToolCall-v0")
    obs, info = env.reset(seed=5)
    assert env.observation_space.contains(obs)
    _, reward, terminated, _, info = env.step(env.unwrapped.family.solution(env.unwrapped.task))
    assert terminated and reward.dtype == np.float32 and reward[1] == 1.0
    text_env = gym.make("vecreward/ToolCall-v0", view="text")
    prompt, _ = text_env.reset(seed=5)
    assert "**Available Tools**" in prompt
    _, reward, _, _, info = text_env.step(text_env.unwrapped.task.ground_truth_text())
    assert info["parse_ok"] and info["toolrl"]["format"] == 1.0 and reward[0] == 1.0
    text_env.reset(seed=5)
    _, reward, _, _, info = text_env.step("<tool_call>oops")
    assert not info["parse_ok"] and info["reason"] and reward[0] == 0.0
    for junk in (["x"], {"a": 1}, [1, 2], None, 3.5):  # anything sent to the text view is a failed completion
        text_env.reset(seed=5)
        _, reward, _, _, info = text_env.step(junk)
        assert not info["parse_ok"] and reward[0] == 0.0 and info["failures"]["format"]
    with pytest.raises(ValueError, match="one task per completion"):
        text_env.unwrapped.family.score_completion_batch([text_env.unwrapped.task], ["a", "b"])
    env.reset(seed=1)
    with pytest.raises(ValueError, match="expected integers"):
        env.step(np.full(env.unwrapped.answer_len, 0.5))
    with pytest.raises(TypeError, match="valid"):
        gym.make("vecreward/ToolCall-v0", n_tool=3)


def test_structured_answers_render_as_equivalent_completions() -> None:
    family = ToolCallFamily(min_constraints=3, max_constraints=6)
    tasks = family.instances(0, 40)
    tokens = np.random.default_rng(3).integers(0, len(family.answer_vocab), (40, family.config.answer_len + 1))
    tokens[::2] = family.demonstrations(tasks[::2])
    structured = family.score_answers(tasks, tokens, np.arange(40))
    text, _ = family.score_completion_batch(tasks, [family.format_answer(t, x) for t, x in
                                                    zip(tasks, tokens, strict=True)])
    np.testing.assert_array_equal(structured, text)


def test_demonstrations_serve_both_policies() -> None:
    family = ToolCallFamily()
    tasks = family.instances(0, 3)
    demos = family.demonstrations(tasks)
    assert type(demos) is np.ndarray and demos.shape[0] == 3 and demos.dtype == np.int64  # the small policy's
    assert family.demonstration_texts(tasks) == [t.ground_truth_text() for t in tasks]  # a text policy's
    assert family.format_answer(tasks[0]) == tasks[0].ground_truth_text()
    # the structured demonstration, rendered as a completion, scores as the ground-truth completion does
    rendered = family.format_answer(tasks[0], demos[0])
    np.testing.assert_array_equal(family.score_completions(tasks[0], [rendered])[0],
                                  family.score_completions(tasks[0], [tasks[0].ground_truth_text()])[0])


def test_documented_example_rows() -> None:
    """The example table of docs/envs/toolcall.md (seed 1, five constraints, max_calls bottleneck)."""
    family = ToolCallFamily(ToolCallConfig(min_constraints=5, max_constraints=5, bottleneck="max_calls"))
    task = family.generate(1)
    lines = task.ground_truth_text().split("\n")
    calls = [k for k, line in enumerate(lines) if line.startswith("{")]
    first_only = "\n".join(line for k, line in enumerate(lines) if k != calls[1])
    broken = [line[:-5] if k == calls[1] else line for k, line in enumerate(lines)]
    broken_text = "\n".join(line for line in broken if not line.startswith("<response>"))
    nan = np.nan
    expected = {
        task.ground_truth_text(): ([1, 1, 1, 1, 0, 1, 1, nan, 1, nan, 1], (1.0, 3.0)),
        first_only: ([1, 0.5, 0.5, 0.6, 1, 1, 1, nan, 0, nan, 1], (1.0, 0.375)),
        broken_text: ([0, 1 / 3, 0.5, 0.6, 0, 1, 1, nan, 0, nan, 0], (0.0, -3.0)),
    }
    for text, (vector, scalar) in expected.items():
        np.testing.assert_allclose(family.score_completions(task, [text])[0][0], vector, atol=1e-6)
        assert tuple(family.toolrl_reward(text, task)) == pytest.approx(scalar)


def test_low_level_scoring_checks_its_indices() -> None:
    from vecreward_envs.toolcall.scoring import TaskBatch, decode_structured, score_canonical

    batch = TaskBatch.stack([ToolCallFamily().generate(0)])
    tokens = np.zeros((1, 8), np.int64)
    for bad in (np.array([1]), np.array([-1]), np.array([0, 0])):
        with pytest.raises(ValueError, match="idx"):
            decode_structured(batch, bad, tokens, 4)
    with pytest.raises(ValueError, match="max_calls"):
        decode_structured(batch, np.array([0]), tokens, 99)
    canon = decode_structured(batch, np.array([0]), tokens, 4)
    assert score_canonical(batch, np.array([0]), canon).shape == (1, 11)
    with pytest.raises(ValueError, match="idx"):
        score_canonical(batch, np.array([3]), canon)
