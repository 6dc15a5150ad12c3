"""Every registered id as a vector env, the way Gymnasium and MO-Gymnasium users make one.

- ``vector_entry_point`` (numba-batched) on every id and view: the contract checker, row-by-row equality with the
  single env, task placement through ``reset(options=...)``, NEXT_STEP autoreset, one-line errors;
- ``async`` with its default (fork) context after the parent ran a parallel numba kernel;
- ``sync``: refused at the first reset with one line naming what works; MO-Gymnasium's ``MOSyncVectorEnv`` works.
"""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import vecreward_envs
from vecreward_envs.checker import check_vector_env
from vecreward_envs.codetests.problem import CodeProblem

ONE_STEP = ["vecreward/ConflictMazeRoute-v0", "vecreward/CodeTests-v0", "vecreward/ToolCall-v0",
            "vecreward/RewardStructure-v0"]
VIEWS = [(env_id, view) for env_id in ONE_STEP for view in ("structured", "text")]
VIEW_IDS = [f"{env_id}-{view}" for env_id, view in VIEWS]


def make_vec(env_id: str, n: int, **kwargs: object) -> gym.vector.VectorEnv:
    return gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)


def _answers(venv: gym.vector.VectorEnv, rng: np.random.Generator) -> object:
    """Structured: random token rows. Text: each env's correct answer, an answer with noise, or junk."""
    n = venv.num_envs
    if isinstance(venv.single_action_space, spaces.MultiDiscrete):
        return rng.integers(0, venv.single_action_space.nvec[0], (n, venv.single_action_space.shape[0]))
    out = []
    for i in range(n):
        family, task = venv.unwrapped.family, venv.unwrapped.instance(i)
        kind = i % 3
        if kind == 0 and isinstance(task, CodeProblem):  # random DSL tokens rarely type check: its solution
            out.append(family.format_answer(task, task.program))
        elif kind == 0:
            tokens = rng.integers(0, len(family.answer_vocab), family.max_answer_len([task]) + 1)
            out.append(family.format_answer(task, tokens))
        else:
            out.append("no answer here" if kind == 1 else "<think>hm</think>")
    return tuple(out)


@pytest.mark.parametrize("env_id", vecreward_envs.REGISTERED_IDS)
def test_every_id_has_a_checked_vector_env(env_id: str) -> None:
    venv = make_vec(env_id, 6)
    check_vector_env(venv, n_steps=8)
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP


@pytest.mark.parametrize(("env_id", "view"), [(e, "text") for e in ONE_STEP], ids=[f"{e}-text" for e in ONE_STEP])
def test_text_vector_envs_pass_the_checker(env_id: str, view: str) -> None:
    check_vector_env(make_vec(env_id, 3, view=view), n_steps=4)


@pytest.mark.parametrize("na_value", [0.0, float("nan")], ids=["filled", "nan"])
@pytest.mark.parametrize(("env_id", "view"), VIEWS, ids=VIEW_IDS)
def test_rows_equal_the_single_env(env_id: str, view: str, na_value: float) -> None:
    n = 6
    venv = make_vec(env_id, n, view=view, na_value=na_value)
    single = gym.make(env_id, view=view, na_value=na_value)
    rng = np.random.default_rng(0)
    obs, info = venv.reset(seed=3)
    for _ in range(2):  # a scoring step, then (NEXT_STEP) an autoreset step, then scoring again
        actions = _answers(venv, rng)
        tasks = [venv.unwrapped.instance(i) for i in range(n)]
        _, rewards, terminated, truncated, step_info = venv.step(actions)
        assert terminated.all() and not truncated.any() and rewards.shape == (n, venv.unwrapped.reward_dim)
        for i in range(n):
            single_obs, _ = single.reset(options={"instance": tasks[i]})
            if view == "structured":
                np.testing.assert_array_equal(obs[i], single_obs)
            else:
                assert obs[i] == single_obs
            _, reward, _, _, single_info = single.step(actions[i])
            np.testing.assert_array_equal(rewards[i], reward)  # NaN == NaN here: the same rows, bit for bit
            np.testing.assert_array_equal(step_info["applicable"][i], single_info["applicable"])
            np.testing.assert_array_equal(step_info["pass"][i], single_info["pass"])
        obs, rewards, terminated, _, info = venv.step(actions)  # autoreset step: new tasks, zero rewards
        assert not terminated.any() and not rewards.any() and info["instance_seed"].shape == (n,)


@pytest.mark.parametrize("env_id", vecreward_envs.REGISTERED_IDS)
def test_placing_a_group_on_one_task(env_id: str) -> None:
    n = 4
    venv = make_vec(env_id, n)
    single = gym.make(env_id)
    obs, info = venv.reset(options={"seeds": [123] * n})
    assert list(info["instance_seed"]) == [123] * n
    expected, _ = single.reset(seed=123)
    for i in range(n):
        np.testing.assert_array_equal(obs[i], expected)
    other = venv.unwrapped.instance(0)  # the task of seed 123, placed again below as an object
    _, info = venv.reset(options={"seeds": [7] * n, "reset_mask": np.array([True, False, True, False])})
    assert list(info["instance_seed"]) == [7, 123, 7, 123]
    _, info = venv.reset(options={"instances": [other] * n})
    assert list(info["instance_seed"]) == [123] * n and venv.unwrapped.instance(3) is other
    bad = [({"seeds": [1] * (n - 1)}, "must be a sequence of num_envs=4 entries"),
           ({"seeds": [1, 2, -3, 4]}, r"options\['seeds'\]\[2\] must be a non-negative int"),
           ({"seeds": [1, 2, True, 4]}, r"options\['seeds'\]\[2\] must be a non-negative int"),
           ({"instances": [object()] * n}, r"options\['instances'\]\[0\] must be a"),
           ({"instances": [other] * n, "seeds": [1] * n}, "not both"),
           ({"seed": 3}, r"unknown reset option\(s\) \['seed'\]"),
           ({"reset_mask": [1, 0, 1, 0]}, r"options\['reset_mask'\] must be bool \[4\]")]
    for options, message in bad:
        with pytest.raises(ValueError, match=message) as caught:
            venv.reset(options=options)
        assert "\n" not in str(caught.value)


def test_placed_maze_plays_one_episode_then_autoreset_draws() -> None:
    n = 3
    venv = make_vec("vecreward/ConflictMaze-v0", n, instance_pool=4, pool_first_seed=1000)
    single = gym.make("vecreward/ConflictMaze-v0")
    venv.reset(seed=0, options={"seeds": [5, 5, 5]})
    single.reset(seed=5)
    moves = np.random.default_rng(1).integers(0, 4, 200)
    for move in moves:
        obs, rewards, terminated, _, _ = venv.step(np.full(n, move))
        s_obs, s_reward, s_term, _, _ = single.step(int(move))
        np.testing.assert_array_equal(obs[0], s_obs)
        np.testing.assert_array_equal(rewards[0], s_reward)
        if s_term:
            assert terminated.all()
            break
    else:
        pytest.fail("the episode did not end")
    venv.step(np.zeros(n, dtype=np.int64))  # autoreset: pool mazes from seed 1000 on
    assert all(1000 <= venv.unwrapped.instance(i).seed < 1004 for i in range(n))


@pytest.mark.parametrize("env_id", ONE_STEP)
def test_one_step_bad_actions_are_one_line_errors(env_id: str) -> None:
    n = 3
    venv = make_vec(env_id, n)
    with pytest.raises(RuntimeError, match=r"step\(\) called before reset\(\)"):
        venv.step(np.zeros((n, venv.single_action_space.shape[0]), dtype=np.int64))
    venv.reset(seed=0)
    length, vocab = venv.single_action_space.shape[0], int(venv.single_action_space.nvec[0])
    high = np.zeros((n, length), dtype=np.int64)
    high[1, 2] = vocab
    for action, what in [(high, rf"out of range: actions\[1, 2\] = {vocab}"),
                         (np.zeros((n, length + 1), np.int64), "wrong shape"),
                         (np.zeros((n, length)), "wrong dtype float64"), (None, "not an array of integers")]:
        with pytest.raises(ValueError, match=what) as caught:
            venv.step(action)
        assert "\n" not in str(caught.value) and env_id in str(caught.value)
    text = make_vec(env_id, n, view="text")
    text.reset(seed=0)
    with pytest.raises(ValueError, match="must be a sequence of num_envs=3 completions"):
        text.step("one string for three envs")


@pytest.mark.parametrize("env_id", vecreward_envs.REGISTERED_IDS)
def test_gymnasium_sync_fails_at_once_naming_what_works(env_id: str) -> None:
    venv = gym.make_vec(env_id, num_envs=2, vectorization_mode="sync")
    with pytest.raises(ValueError, match="vector_entry_point.*async.*MOSyncVectorEnv") as caught:
        venv.reset(seed=0)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("env_id", vecreward_envs.REGISTERED_IDS)
def test_scalarized_sync_and_mo_sync_work(env_id: str) -> None:
    from mo_gymnasium.wrappers import LinearReward
    from mo_gymnasium.wrappers.vector import MOSyncVectorEnv

    k = gym.make(env_id).unwrapped.reward_dim
    weights = np.ones(k, dtype=np.float32)
    scalar = gym.make_vec(env_id, num_envs=2, vectorization_mode="sync",
                          wrappers=[lambda env: LinearReward(env, weight=weights)])
    scalar.reset(seed=0)
    assert scalar.step(scalar.action_space.sample())[1].shape == (2,)
    vector = MOSyncVectorEnv([lambda: gym.make(env_id) for _ in range(2)])
    vector.reset(seed=0)
    _, rewards, _, _, info = vector.step(vector.action_space.sample())
    assert rewards.shape == (2, k) and np.all(np.isfinite(rewards)) and info["applicable"].shape == (2, k)


ASYNC_SCRIPT = """
import warnings; warnings.filterwarnings("ignore")
import gymnasium as gym, numba, numpy as np, vecreward_envs
maze = gym.make_vec("vecreward/ConflictMaze-v0", num_envs=64)   # the parent runs a parallel numba kernel
maze.reset(seed=0); maze.step(np.zeros(64, dtype=np.int64))
print("layer", numba.threading_layer())
for env_id in vecreward_envs.REGISTERED_IDS:
    venv = gym.make_vec(env_id, num_envs=2, vectorization_mode="async")   # default context: fork on Linux
    venv.reset(seed=0)
    venv.action_space.seed(0)
    _, rewards, _, _, info = venv.step(venv.action_space.sample())
    assert rewards.shape == (2, venv.unwrapped.get_attr("reward_dim")[0]), rewards.shape
    assert np.all(np.isfinite(rewards)) and info["applicable"].shape == rewards.shape
    venv.close()
    print("ok", env_id)
"""


def test_async_with_default_context_after_numba_ran() -> None:
    done = subprocess.run([sys.executable, "-c", ASYNC_SCRIPT], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("ok ") == len(vecreward_envs.REGISTERED_IDS), done.stdout
    if sys.platform.startswith("linux") and "x86_64" in __import__("platform").machine():
        assert "layer tbb" in done.stdout  # tbb is a dependency there (threading_layer.py)


def test_autoreset_is_per_env_after_a_partial_reset() -> None:
    venv = make_vec("vecreward/ToolCall-v0", 3)
    venv.reset(seed=0)
    answers = np.zeros((3, venv.single_action_space.shape[0]), dtype=np.int64)
    venv.step(answers)  # every episode ends
    venv.reset(options={"seeds": [5, 5, 5], "reset_mask": np.array([True, False, False])})
    _, rewards, terminated, _, info = venv.step(answers)
    assert terminated.tolist() == [True, False, False]  # env 0 is scored, envs 1-2 start new tasks
    assert not rewards[1:].any() and info["_instance_seed"].tolist() == [False, True, True]
    _, _, terminated, _, _ = venv.step(answers)
    assert terminated.tolist() == [False, True, True]


@pytest.mark.parametrize("view", ["structured", "text"])
def test_a_noisy_judge_gives_each_env_of_a_group_its_own_draw(view: str) -> None:
    n = 6
    venv = make_vec("vecreward/RewardStructure-v0", n, view=view, noise=0.5)
    venv.reset(options={"seeds": [11] * n})
    family, task = venv.unwrapped.family, venv.unwrapped.instance(0)
    best = family.demonstrations([task])[0]
    answers = np.tile(best, (n, 1)) if view == "structured" else tuple([family.format_answer(task, best)] * n)
    _, rewards, _, _, _ = venv.step(answers)
    noisy = family.config.noisy if family.config.noisy is not None else (family.config.K - 1,)
    assert len({float(r) for r in rewards[:, noisy[0]]}) > 1  # the same answer, different judgments


def test_pool_draws_match_the_single_env() -> None:
    venv = make_vec("vecreward/ConflictMazeRoute-v0", 8, instance_pool=16)
    venv.reset(seed=0)
    single = gym.make("vecreward/ConflictMazeRoute-v0", instance_pool=16).unwrapped
    pool = {inst.seed for inst in single.family.instances(0, 16)}
    for _ in range(6):
        venv.step(np.zeros((8, venv.single_action_space.shape[0]), dtype=np.int64))
        assert all(venv.unwrapped.instance(i).seed in pool for i in range(8))
