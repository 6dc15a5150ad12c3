"""examples/custom_family.py: the knapsack-lite family honours its protocols, and the script runs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vecreward_envs.protocols import check_family

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "custom_family.py"


def _load_example():
    # examples/ is not a package: load the script by path. It must be in sys.modules before it runs, because
    # dataclasses resolve string annotations (``from __future__ import annotations``) through its module.
    name = "examples_custom_family"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


example = _load_example()


@pytest.fixture(scope="module")
def family():
    return example.KnapsackLiteFamily()


@pytest.fixture(scope="module")
def instances(family):
    return family.instances(0, 64)


def test_check_family(family):
    assert check_family(family) == []


def test_seeded_and_rows_rebuild(family, instances):
    assert family.instances(0, 64) == instances
    assert all(family.instance_from_row(family.task_row(x)) == x for x in instances[:8])
    with pytest.raises(ValueError):
        family.instance_from_row({"family": "maze", "seed": 0, "config": {}})
    has_must = np.array([x.must >= 0 for x in instances])
    assert 0 < has_must.sum() < len(instances)  # some instances designate an item, some do not
    assert all(x.must in x.best_items for x in instances if x.must >= 0)


def test_observation_within_vocab(family, instances):
    obs = np.stack([family.observation(x) for x in instances])
    assert obs.ndim == 2 and obs.min() >= 0 and obs.max() < family.observation_vocab


def test_demonstrations_are_optimal_in_both_views(family, instances):
    n = len(instances)
    demos = family.demonstrations(instances)
    has_must = np.array([x.must >= 0 for x in instances])
    structured = family.score_answers(instances, demos, np.arange(n))
    assert structured.dtype == np.float32 and structured.shape == (n, 3)
    texts = family.demonstration_texts(instances)
    text = np.concatenate([family.score_completions(x, [t])[0] for x, t in zip(instances, texts, strict=True)])
    for rewards in (structured, text):
        np.testing.assert_array_equal(rewards[:, 0], 1.0)  # within_capacity
        np.testing.assert_allclose(rewards[:, 1], 1.0)  # value
        np.testing.assert_array_equal(rewards[has_must, 2], 1.0)
        assert np.isnan(rewards[~has_must, 2]).all()
    # format_answer is the inverse of the structured answer: the same score
    np.testing.assert_array_equal(structured, text)


def test_garbage_is_a_reward_outcome(family, instances):
    garbage = [None, 3, b"<answer>0</answer>", "", "no answer here", "<answer>9</answer>", "<answer>0,0</answer>",
               "<answer>a,b</answer>", "<answer>-1</answer>", ["<answer>0</answer>"]]
    for x in instances[:16]:
        rewards, parsed = family.score_completions(x, garbage)
        assert rewards.shape == (len(garbage), 3) and rewards.dtype == np.float32
        assert not any(p.ok for p in parsed) and all(p.reason for p in parsed)
        np.testing.assert_array_equal(rewards[:, :2], 0.0)
        assert np.isnan(rewards[:, 2]).all() == (x.must < 0)
        if x.must >= 0:
            np.testing.assert_array_equal(rewards[:, 2], 0.0)


def test_must_include_nan_exactly_without_designated_item(family, instances):
    rng = np.random.default_rng(0)
    n = 256
    inst_idx = rng.integers(0, len(instances), n)
    answers = rng.integers(0, family.stop_code + 1, (n, family.max_answer_len(instances) + 1))
    rewards = family.score_answers(instances, answers, inst_idx)
    has_must = np.array([instances[i].must >= 0 for i in inst_idx])
    np.testing.assert_array_equal(np.isnan(rewards), np.stack([np.zeros(n, bool)] * 2 + [~has_must], axis=1))
    applicable = rewards[~np.isnan(rewards)]
    assert applicable.min() >= 0.0 and applicable.max() <= 1.0
    # the text view gives the same rewards for the same answers
    for k in range(32):
        x = instances[inst_idx[k]]
        text, _ = family.score_completions(x, [family.format_answer(x, answers[k])])
        np.testing.assert_array_equal(text[0], rewards[k])


def test_cursor_decodes_like_the_policy_loop(family, instances):
    rng = np.random.default_rng(1)
    n = 64
    inst_idx = np.arange(n) % len(instances)
    cursor = family.new_cursor(instances, inst_idx)
    answers = np.full((n, family.max_answer_len(instances) + 1), family.stop_code, np.int64)
    for t in range(family.max_answer_len(instances) + 1):
        feats, valid = cursor.features(), cursor.valid_moves()
        assert feats.shape == (n, cursor.n_features) and feats.dtype == np.float32
        assert valid.shape == (n, len(family.answer_vocab)) and valid.any(axis=1).all()
        assert (valid[cursor.done] == np.eye(len(family.answer_vocab), dtype=bool)[family.stop_code]).all()
        # never STOP at t == 0, so some answers pick every item
        logits = rng.random(valid.shape) + (t > 0) * valid * np.eye(valid.shape[1])[family.stop_code] * 0.3
        tokens = np.where(valid, logits, -1.0).argmax(axis=1)
        answers[~cursor.done, t] = tokens[~cursor.done]
        cursor.advance(tokens)
        if cursor.done.all():
            break
    assert cursor.done.all()
    picked = answers[answers < family.stop_code]
    assert picked.size > 0
    for row in answers:  # an item is never picked twice
        items = row[row < family.stop_code]
        assert len(set(items.tolist())) == len(items)


def test_script_quick_runs():
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "grpo seed 0" in done.stdout and "gdpo seed 0" in done.stdout
