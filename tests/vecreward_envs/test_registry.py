"""Every registered id passes our checker, Gymnasium's check_env, and MO-Gymnasium's wrappers."""

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import vecreward_envs
from vecreward_envs.checker import EnvContractError, check_env, check_vector_env

# Each id with every view it offers.
VARIANTS = [(env_id, {}) for env_id in vecreward_envs.REGISTERED_IDS] + [
    ("vecreward/ConflictMazeRoute-v0", {"view": "text"}),
    ("vecreward/ConflictMaze-v0", {"size": 11, "n_item_types": 4, "score_mode": "linear"}),
    ("vecreward/CodeTests-v0", {"view": "text"}),
    ("vecreward/CodeTests-v0", {"granularity": "test", "answer_format": "dsl"}),
    ("vecreward/ToolCall-v0", {"view": "text"}),
    ("vecreward/RewardStructure-v0", {"view": "text"}),
    ("vecreward/RewardStructure-v0", {"relation": "tradeoff", "noise": 0.3, "proxy": True, "bottleneck": True}),
]
IDS = [f"{env_id}{kwargs or ''}" for env_id, kwargs in VARIANTS]


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
def test_our_checker(env_id: str, kwargs: dict) -> None:
    check_env(env_id, make_kwargs=kwargs)


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
@pytest.mark.parametrize("unwrapped", [True, False], ids=["unwrapped", "made"])
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_gymnasium_check_env(env_id: str, kwargs: dict, unwrapped: bool) -> None:
    # Gymnasium's own checker, on the env exactly as gym.make returns it: not-applicable entries are filled by
    # default (NaN never equals NaN in its determinism check), so nothing needs converting here.
    env = gym.make(env_id, **kwargs)
    gym_check_env(env.unwrapped if unwrapped else env, skip_render_check=False)


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
def test_reward_space_and_names(env_id: str, kwargs: dict) -> None:
    env = gym.make(env_id, **kwargs)
    k = env.unwrapped.reward_space.shape[0]
    if env_id.startswith("vecreward/ConflictMaze"):
        assert env.unwrapped.reward_names[0] == "completion" and env.unwrapped.reward_names[-1] == "avoid_lava"
    assert len(env.unwrapped.reward_names) == k == env.unwrapped.reward_dim
    assert np.all(env.unwrapped.reward_space.low == 0) and np.all(env.unwrapped.reward_space.high == 1)


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
def test_mo_gymnasium_wrappers(env_id: str, kwargs: dict) -> None:
    from mo_gymnasium.wrappers import LinearReward, MORecordEpisodeStatistics

    base = gym.make(env_id, **kwargs)
    k = base.unwrapped.reward_dim
    weights = np.linspace(1.0, 2.0, k, dtype=np.float32)
    env = MORecordEpisodeStatistics(LinearReward(base, weight=weights), gamma=1.0)
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(200):
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert isinstance(reward, float | np.floating) and np.isfinite(reward)  # finite by default, every id
        assert reward == pytest.approx(float(np.dot(weights, info["vector_reward"])))
        if terminated or truncated:
            assert info["episode"]["r"].shape == (k,) and np.all(np.isfinite(info["episode"]["r"]))
            assert info["episode"]["l"] >= 1
            break
    else:
        pytest.fail("no episode ended in 200 steps")


def test_vector_env_checker_and_contract() -> None:
    venv = gym.make_vec("vecreward/ConflictMaze-v0", num_envs=32, vectorization_mode="vector_entry_point")
    check_vector_env(venv)
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    obs, _ = venv.reset(seed=0)
    _, rewards, terminated, truncated, _ = venv.step(np.zeros(32, dtype=np.int64))
    assert rewards.shape == (32, 4) and rewards.dtype == np.float32


def test_vector_env_autoreset_and_bad_actions() -> None:
    venv = gym.make_vec("vecreward/ConflictMaze-v0", num_envs=4, vectorization_mode="vector_entry_point",
                        instance_pool=8)
    venv.reset(seed=1)
    rng = np.random.default_rng(0)
    ended = np.zeros(4, bool)
    for _ in range(80):
        obs, rewards, terminated, _, _ = venv.step(rng.integers(0, 4, 4))
        if ended.any():  # NEXT_STEP: the step after an end is a reset step with zero reward
            assert not rewards[ended].any() and not terminated[ended].any()
            budget_idx = venv.unwrapped.config.n_cells + 1
            assert np.all(obs[ended, budget_idx] > 0)
        ended = terminated.copy()
    with pytest.raises(ValueError, match=r"MultiDiscrete\(\[4\] \* 4\): out of range: actions\[0\] = 7"):
        venv.step(np.full(4, 7))
    with pytest.raises(ValueError, match=r"wrong shape \(3,\), expected \(4,\) \(4 integers in 0..3"):
        venv.step(np.zeros(3, dtype=np.int64))


def test_single_env_bad_actions_and_order() -> None:
    env = gym.make("vecreward/ConflictMaze-v0")
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(0)
    env.reset(seed=0)
    for bad in (4, -1, 1.5, "UP", None):
        with pytest.raises(ValueError, match=r"Discrete\(4\): .*0..3"):
            env.step(bad)


def test_route_env_bad_routes() -> None:
    env = gym.make("vecreward/ConflictMazeRoute-v0")
    env.reset(seed=0)
    length = env.unwrapped.route_len
    route = np.full(length, 4, dtype=np.int64)  # STOP-padded
    with pytest.raises(ValueError, match=r"out of range: action\[1\] = 9"):
        env.step(np.concatenate([[0, 9, 1], route[3:]]))
    with pytest.raises(ValueError, match=rf"wrong shape \(10000,\), expected \({length},\)"):
        env.step(np.zeros(10_000, dtype=np.int64))
    with pytest.raises(ValueError, match="pad a shorter route with STOP"):  # routes fill the space: pad them
        env.step(np.array([1, 1, 3]))
    route[:3] = (1, 1, 3)
    obs, reward, terminated, _, info = env.step(route)  # a short route that misses E
    assert terminated and not reward.any() and "completion" in info["failures"]


def test_groups_share_an_instance() -> None:
    a = gym.make("vecreward/ConflictMazeRoute-v0")
    b = gym.make("vecreward/ConflictMazeRoute-v0")
    obs_a, info_a = a.reset(seed=77)
    obs_b, info_b = b.reset(seed=77)
    np.testing.assert_array_equal(obs_a, obs_b)
    assert info_a["instance_seed"] == info_b["instance_seed"]
    # unseeded resets after a seeded one are deterministic too
    np.testing.assert_array_equal(a.reset()[0], b.reset()[0])


def test_unknown_parameter_fails_at_make() -> None:
    with pytest.raises(TypeError, match="valid"):
        gym.make("vecreward/ConflictMaze-v0", sise=9)


class ScalarReward(gym.Wrapper):
    def step(self, action):  # noqa: ANN001, ANN202
        obs, reward, term, trunc, info = super().step(action)
        return obs, float(reward.sum()), term, trunc, info


class NoNames(gym.Wrapper):
    pass


def test_checker_catches_broken_envs() -> None:
    with pytest.raises(EnvContractError, match="float32 reward"):
        check_env(ScalarReward(gym.make("vecreward/ConflictMaze-v0")))

    env = gym.make("vecreward/ConflictMaze-v0")
    env.unwrapped.reward_names = ("completion",)
    with pytest.raises(EnvContractError, match="reward_names"):
        check_env(NoNames(env))

    class Local(gym.Wrapper):  # defined in a function: cannot pickle
        pass

    with pytest.raises(EnvContractError, match="does not pickle"):
        check_env(Local(gym.make("vecreward/ConflictMaze-v0")))


def test_import_registers_without_compiling() -> None:
    import subprocess
    import sys

    code = ("import sys, vecreward_envs; import gymnasium as gym; "
            "assert 'vecreward/ConflictMaze-v0' in gym.registry; "
            "heavy = [m for m in ('numba', 'torch', 'vecreward_envs.maze') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_envs_pickle_before_reset() -> None:
    for env_id in vecreward_envs.REGISTERED_IDS:
        env = gym.make(env_id)
        clone = pickle.loads(pickle.dumps(env))
        np.testing.assert_array_equal(np.asarray(clone.reset(seed=3)[0]), np.asarray(env.reset(seed=3)[0]))


NA_IDS = ["vecreward/CodeTests-v0", "vecreward/ToolCall-v0"]


@pytest.mark.parametrize("env_id", NA_IDS)
def test_not_applicable_fill_and_mask(env_id: str) -> None:
    """Default: NaN entries hold 0 and info['applicable'] marks them; na_value=nan keeps the family's NaN."""
    filled = gym.make(env_id)
    raw = gym.make(env_id, na_value=float("nan"))
    seen_not_applicable = False
    for seed in range(40):
        filled.reset(seed=seed)
        raw.reset(seed=seed)
        action = filled.action_space.sample()
        _, a, _, _, info_a = filled.step(action)
        _, b, _, _, info_b = raw.step(action)
        mask = info_a["applicable"]
        assert mask.dtype == np.bool_ and mask.shape == a.shape
        np.testing.assert_array_equal(mask, ~np.isnan(b))
        np.testing.assert_array_equal(mask, info_b["applicable"])
        assert np.all(np.isfinite(a)) and np.all(a[~mask] == 0.0)
        np.testing.assert_array_equal(a[mask], b[mask])
        seen_not_applicable |= not mask.all()
    assert seen_not_applicable, "no task with a not-applicable objective in 40 seeds: the test checks nothing"


@pytest.mark.parametrize("env_id", vecreward_envs.REGISTERED_IDS)
def test_na_value_is_validated_and_masks_on_every_id(env_id: str) -> None:
    with pytest.raises(ValueError, match="na_value must be NaN or inside the reward bounds"):
        gym.make(env_id, na_value=5.0)
    with pytest.raises(ValueError, match="na_value must be a float"):
        gym.make(env_id, na_value="zero")
    env = gym.make(env_id, na_value=1.0)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(env.action_space.sample())
    assert info["applicable"].shape == reward.shape and np.all(reward[~info["applicable"]] == 1.0)
