"""Every registered id (both views where it has a text view, and its vector env where one exists): out-of-space
structured actions raise a one-line ValueError naming the id, the action space and what was wrong; ``step`` is
refused before the first ``reset`` and after the episode ended until ``reset``; valid actions still work and a
rejected action changes nothing."""

import inspect

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.envs.registration import load_env_creator

import vecreward_envs
from vecreward_envs.envs.action_checks import ResetNeeded


def _has_text_view(env_id: str) -> bool:
    creator = load_env_creator(gym.spec(env_id).entry_point)
    return "view" in inspect.signature(creator).parameters


VARIANTS = [(env_id, {}) for env_id in vecreward_envs.REGISTERED_IDS] + [
    (env_id, {"view": "text"}) for env_id in vecreward_envs.REGISTERED_IDS if _has_text_view(env_id)]
IDS = [f"{env_id}{kwargs or ''}" for env_id, kwargs in VARIANTS]
STRUCTURED = [env_id for env_id, kwargs in VARIANTS if not kwargs]
VECTOR_IDS = [env_id for env_id in vecreward_envs.REGISTERED_IDS if gym.spec(env_id).vector_entry_point]
ORDER_MESSAGE = r"\.step\(\) called before reset\(\) or after the episode ended"


def test_variants_cover_every_id_and_view() -> None:
    assert {env_id for env_id, _ in VARIANTS} == set(vecreward_envs.REGISTERED_IDS)
    text_ids = {env_id for env_id, kwargs in VARIANTS if kwargs}
    assert text_ids == {"vecreward/ConflictMazeRoute-v0", "vecreward/CodeTests-v0", "vecreward/ToolCall-v0",
                        "vecreward/RewardStructure-v0"}
    assert VECTOR_IDS == list(vecreward_envs.REGISTERED_IDS)  # every id has a batched vector env


def _valid_action(env: gym.Env, seed: int = 0) -> object:
    if isinstance(env.action_space, spaces.Text):
        return "no answer here"  # cheap: nothing to run (a bad completion is a reward outcome)
    env.action_space.seed(seed)
    return env.action_space.sample()


def _bad_actions(space: spaces.Space) -> list[tuple[str, object, str]]:
    """(label, action, what the message must say) for a structured action space."""
    if isinstance(space, spaces.Discrete):
        n = int(space.n)
        return [("too large", n, "out of range"), ("far too large", 2**70, "out of range"),
                ("negative", -1, "out of range"), ("numpy too large", np.int64(n), "out of range"),
                ("0-d too large", np.array(n), "out of range"), ("float", 1.0, "not an int"),
                ("numpy float", np.float32(2), "not an int"), ("bool", True, "not an int"),
                ("shape (1,)", np.array([1]), "not an int"), ("string", "UP", "not an int"),
                ("None", None, "not an int")]
    assert isinstance(space, spaces.MultiDiscrete) and space.nvec.ndim == 1
    length, n = space.shape[0], int(space.nvec[0])
    good = np.zeros(length, dtype=np.int64)
    negative = good.copy()
    negative[-1] = -1
    return [("too large", np.full(length, n), "out of range"), ("far too large", np.full(length, 999), "out of range"),
            ("negative", negative, "out of range"), ("uint too large", np.full(length, n, np.uint64), "out of range"),
            ("too long", np.zeros(length + 5, np.int64), "wrong shape"),
            ("too short", good[:-1], "wrong shape"), ("empty", good[:0], "wrong shape"),
            ("2-d", good[None], "wrong shape"), ("scalar", 0, "wrong shape"),
            ("float", good.astype(np.float64), "wrong dtype"), ("float list", [0.0] * length, "wrong dtype"),
            ("bool", good.astype(bool), "wrong dtype"), ("string", "0" * length, "wrong shape"),
            ("object", np.array([None] * length), "not an array of integers"),
            ("ragged", [[0]] * (length - 1) + [[0, 1]], "not an array of integers"),
            ("None", None, "not an array of integers")]


def _contains(space: spaces.Space, action: object) -> bool:
    try:
        return bool(space.contains(action))
    except (ValueError, TypeError):  # Gymnasium's contains raises on ragged lists
        return False


@pytest.mark.parametrize("env_id", STRUCTURED)
def test_out_of_space_actions_raise_one_line_value_errors(env_id: str) -> None:
    env = gym.make(env_id)
    space = env.action_space
    space_text = (f"Discrete({space.n})" if isinstance(space, spaces.Discrete)
                  else f"MultiDiscrete([{space.nvec[0]}] * {space.shape[0]})")
    env.reset(seed=3)
    for label, action, what in _bad_actions(space):
        # each really lies outside the space; bools are refused too, though Gymnasium's contains casts them
        assert label == "bool" or not _contains(space, action), label
        with pytest.raises(ValueError) as caught:
            env.step(action)
        message = str(caught.value)
        assert "\n" not in message and len(message) < 300, (label, message)
        assert message.startswith(f"{env_id}: action not in the action space {space_text}: {what}"), (label, message)
    # Nothing was changed by the rejected actions: a valid action now does what it does on a fresh episode.
    fresh = gym.make(env_id)
    fresh.reset(seed=3)
    action = _valid_action(env)
    got, expected = env.step(action), fresh.step(action)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[2:4] == expected[2:4]


@pytest.mark.parametrize("env_id", STRUCTURED)
def test_valid_actions_still_work(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=1)
    space = env.action_space
    sample = _valid_action(env)
    valid = [sample]
    if isinstance(space, spaces.Discrete):
        valid += [np.int64(1), np.array(2), np.uint8(3), 0]
    else:
        valid += [sample.astype(np.int8), sample.astype(np.uint16), sample.tolist(), tuple(int(x) for x in sample),
                  np.full(space.shape, int(space.nvec[0]) - 1)]
    for action in valid:
        _, reward, terminated, truncated, _ = env.step(action)
        assert reward.dtype == np.float32 and reward.shape == env.unwrapped.reward_space.shape
        if terminated or truncated:
            env.reset(seed=1)
    env.close()


@pytest.mark.parametrize("env_id", [env_id for env_id, kwargs in VARIANTS if kwargs])
def test_text_views_take_any_object_as_a_completion(env_id: str) -> None:
    env = gym.make(env_id, view="text")
    for junk in (None, 3.5, ["x"], {"a": 1}, np.zeros(3), "", "x" * 1000):
        env.reset(seed=0)
        _, reward, terminated, _, _ = env.step(junk)
        assert terminated and reward.shape == env.unwrapped.reward_space.shape
    env.close()


def _play_to_end(env: gym.Env) -> None:
    action = _valid_action(env)
    for _ in range(10_000):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            return
    pytest.fail("no episode end")


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
def test_step_after_the_end_is_refused_until_reset(env_id: str, kwargs: dict) -> None:
    for unwrapped in (False, True):
        env = gym.make(env_id, **kwargs)
        env = env.unwrapped if unwrapped else env
        env.reset(seed=2)
        _play_to_end(env)
        action = _valid_action(env)
        for _ in range(2):  # refused again and again, not just once
            with pytest.raises(ResetNeeded, match=ORDER_MESSAGE) as caught:
                env.step(action)
            assert "\n" not in str(caught.value)
            assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, gym.error.ResetNeeded)
        if not isinstance(env.action_space, spaces.Text):
            with pytest.raises(ResetNeeded):  # the order is checked before the action
                env.step(None)
        env.reset(seed=2)
        env.step(action)  # works again after reset
        env.close()


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
def test_step_before_the_first_reset_fails_clearly(env_id: str, kwargs: dict) -> None:
    env = gym.make(env_id, **kwargs)
    action = _valid_action(env)
    # gym.make's order-enforcing wrapper refuses first; the unwrapped env refuses with the same exception class.
    with pytest.raises(gym.error.ResetNeeded, match=r"before calling env\.reset\(\)"):
        env.step(action)
    with pytest.raises(gym.error.ResetNeeded, match=ORDER_MESSAGE):
        env.unwrapped.step(action)
    env.reset(seed=0)
    env.step(action)
    env.close()


# the one-step ids' vector envs: tests/vecreward_envs/test_vector_envs.py
@pytest.mark.parametrize("env_id", ["vecreward/ConflictMaze-v0"])
def test_vector_env_actions_and_order(env_id: str) -> None:
    n = 5
    venv = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", instance_pool=8)
    space_text = f"{env_id}: actions not in the action space MultiDiscrete([4] * {n}): "
    with pytest.raises(ResetNeeded, match=r"step\(\) called before reset\(\)"):
        venv.step(np.zeros(n, dtype=np.int64))
    venv.reset(seed=0)
    negative = np.zeros(n, dtype=np.int64)
    negative[2] = -1
    bad = [(np.full(n, 4), "out of range: actions[0] = 4"), (negative, "out of range: actions[2] = -1"),
           (np.full(n, 2**40), "out of range"), (np.zeros(n + 1, np.int64), "wrong shape (6,), expected (5,)"),
           (np.zeros(n - 1, np.int64), "wrong shape"), (np.zeros((1, n), np.int64), "wrong shape"),
           (np.int64(0), "wrong shape"), (np.zeros(n), "wrong dtype float64"), (np.zeros(n, bool), "wrong dtype bool"),
           ([[0]] * (n - 1) + [[0, 1]], "not an array of integers"), (None, "not an array of integers")]
    for action, what in bad:
        with pytest.raises(ValueError) as caught:
            venv.step(action)
        message = str(caught.value)
        assert "\n" not in message and message.startswith(space_text + what), message
    # rejected actions changed nothing: the run continues exactly like a fresh one
    fresh = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", instance_pool=8)
    fresh.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(40):  # past episode ends: NEXT_STEP autoreset, no manual reset needed
        actions = rng.integers(0, 4, n)
        got, expected = venv.step(actions.tolist()), fresh.step(actions)
        for a, b in zip(got[:4], expected[:4], strict=True):
            np.testing.assert_array_equal(a, b)
