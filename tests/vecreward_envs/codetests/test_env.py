import pickle

import gymnasium as gym
import numpy as np
import pytest
from ct_helpers import padded

import vecreward_envs  # noqa: F401
from vecreward_envs.checker import check_env
from vecreward_envs.codetests.config import CodeTestsConfig
from vecreward_envs.codetests.generator import generate_cached


def test_structured_episode() -> None:
    env = gym.make("vecreward/CodeTests-v0")
    obs, info = env.reset(seed=4)
    problem = generate_cached(4, CodeTestsConfig())
    assert info["problem_id"] == problem.id and env.observation_space.contains(obs)
    _, reward, terminated, truncated, info = env.step(padded(problem.program))
    assert terminated and not truncated and reward.dtype == np.float32 and reward.shape == (8,)
    applicable = info["applicable"]  # format does not apply to token programs: filled with 0, masked out
    assert not applicable[0] and reward[0] == 0.0 and np.all(reward[1:][applicable[1:]] == 1.0)
    n = info["n_tests"]
    assert info["compiles"] and info["test_passed"].shape == (CodeTestsConfig().max_tests,) and n >= 1
    assert info["test_passed"][:n].all() and not info["test_passed"][n:].any() and info["failures"] == {}
    env.reset(seed=4)
    _, reward, _, _, info = env.step(padded([1, 48]))  # arg0 reverse
    assert not info["test_passed"][: info["n_tests"]].all() and info["failures"] and reward[1] == 1.0


def test_text_episode() -> None:
    env = gym.make("vecreward/CodeTests-v0", view="text")
    prompt, _ = env.reset(seed=5)
    problem = generate_cached(5, CodeTestsConfig())
    assert problem.statement in prompt and env.observation_space.contains(prompt)
    answer = env.unwrapped.family.format_answer(problem)
    _, reward, terminated, _, info = env.step(answer)
    assert terminated and info["parse_ok"] and np.all(reward[info["applicable"]] == 1.0)
    env.reset(seed=5)
    _, reward, _, _, info = env.step("I cannot solve this.")
    assert not info["parse_ok"] and np.all(reward == 0.0) and info["reason"]
    env.close()


def test_bad_actions_and_arguments() -> None:
    env = gym.make("vecreward/CodeTests-v0")
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(np.zeros(16, dtype=np.int64))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"wrong shape \(99,\), expected \(16,\)"):
        env.step(np.zeros(99, dtype=np.int64))
    with pytest.raises(ValueError, match="out of range: action.0. = 200 .DSL tokens 0..60"):
        env.step(np.full(16, 200))
    with pytest.raises(ValueError, match="view"):
        gym.make("vecreward/CodeTests-v0", view="image")
    with pytest.raises(TypeError, match="valid"):
        gym.make("vecreward/CodeTests-v0", group="basic")
    with pytest.raises(ValueError, match="instance_pool"):
        gym.make("vecreward/CodeTests-v0", instance_pool=0)


def test_groups_share_a_problem_and_pickle() -> None:
    a = gym.make("vecreward/CodeTests-v0", instance_pool=16)
    b = gym.make("vecreward/CodeTests-v0", instance_pool=16)
    np.testing.assert_array_equal(a.reset(seed=9)[0], b.reset(seed=9)[0])
    np.testing.assert_array_equal(a.reset()[0], b.reset()[0])  # unseeded resets follow the seeded generator
    clone = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(clone.reset(seed=2)[0], a.reset(seed=2)[0])
    options_env = gym.make("vecreward/CodeTests-v0")
    problem = generate_cached(11, CodeTestsConfig())
    assert options_env.reset(options={"instance": problem})[1]["problem_id"] == problem.id
    with pytest.raises(ValueError, match="instance"):
        options_env.reset(options={"instance": "not a problem"})


def test_checker_per_test_objectives() -> None:
    check_env("vecreward/CodeTests-v0", make_kwargs={"granularity": "test", "groups": ("basic", "empty")})
    env = gym.make("vecreward/CodeTests-v0", granularity="test", render_mode="ansi")
    env.reset(seed=1)
    assert env.unwrapped.reward_names[2] == "test/basic/0" and "def solve" in env.render()
