"""Scalarizing wrappers for single-objective learners: checkers, formulas, info contract, seeding, bad arguments,
and one short stable-baselines3 PPO learning test."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import vecreward_envs  # noqa: F401 - registers the ids
from vecreward_envs.wrappers import (
    DirichletWeightedReward,
    LinearReward,
    MazeDistanceShaping,
    MazeOneHotObservation,
    TchebycheffReward,
    distance_map,
)

ENV_ID = "vecreward/ConflictMaze-v0"
MOVES = {"UP": 0, "DOWN": 1, "LEFT": 2, "RIGHT": 3}
# Witness routes of maze seed 0 (docs/envs/conflict_maze.md): the all-gold and the all-diamond corners.
GOLD_ROUTE = [MOVES[m] for m in ("DOWN RIGHT RIGHT RIGHT UP RIGHT RIGHT RIGHT DOWN RIGHT RIGHT LEFT "
                                 + "DOWN " * 7 + "RIGHT").split()]
DIAMOND_ROUTE = [MOVES["DOWN"]] * 8 + [MOVES["RIGHT"]] * 8


def maze(**kwargs: Any) -> gym.Env:
    return gym.make(ENV_ID, instance_pool=4, **kwargs)


class ScriptedVectorEnv(gym.Env):
    """Emits a fixed list of reward vectors, one per step, and terminates after the last (for formula checks)."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, vectors: list[list[float]], high: float = 1.0, truncate: bool = False) -> None:
        self.vectors = [np.asarray(v, dtype=np.float32) for v in vectors]
        k = len(self.vectors[0])
        self.reward_space = spaces.Box(0.0, high, shape=(k,), dtype=np.float32)
        self.reward_names = tuple(f"r{i}" for i in range(k))
        self.observation_space = spaces.Box(0, 10, shape=(2,), dtype=np.int64)
        self.action_space = spaces.Discrete(2)
        self.truncate = truncate
        self.t = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):  # noqa: ANN201
        super().reset(seed=seed)
        self.t = 0
        return np.array([0, 0]), {}

    def step(self, action: int):  # noqa: ANN201
        vector = self.vectors[self.t]
        self.t += 1
        last = self.t == len(self.vectors)
        return np.array([self.t, 0]), vector.copy(), last and not self.truncate, last and self.truncate, {}


def play(env: gym.Env, actions: list[int], seed: int = 0) -> list[tuple]:
    env.reset(seed=seed)
    out = []
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            break
    return out


# ---------------------------------------------------------------------------------------------------------------
# Every wrapper stack passes Gymnasium's and stable-baselines3's checkers.

STACKS: dict[str, Callable[[], gym.Env]] = {
    "linear": lambda: LinearReward(maze(), [1.0, 0.5, 0.5, 0.5]),
    "tchebycheff": lambda: TchebycheffReward(maze()),
    "tchebycheff_step": lambda: TchebycheffReward(maze(), [1, 1, 1, 1], mode="step"),
    "dirichlet": lambda: DirichletWeightedReward(maze()),
    "dirichlet_tchebycheff": lambda: DirichletWeightedReward(maze(), alpha=0.5, scalarization="tchebycheff"),
    "shaped_onehot": lambda: MazeOneHotObservation(MazeDistanceShaping(LinearReward(maze()))),
    "dirichlet_shaped_onehot": lambda: MazeOneHotObservation(MazeDistanceShaping(DirichletWeightedReward(maze()))),
}


@pytest.mark.parametrize("name", sorted(STACKS))
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_gymnasium_check_env(name: str) -> None:
    gym_check_env(STACKS[name](), skip_render_check=True)


@pytest.mark.parametrize("name", sorted(STACKS))
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sb3_check_env(name: str) -> None:
    sb3_check_env(STACKS[name](), warn=True)


@pytest.mark.parametrize("name", sorted(STACKS))
def test_reward_is_float_and_vector_reward_is_the_raw_vector(name: str) -> None:
    wrapped, raw = STACKS[name](), maze()
    rng = np.random.default_rng(1)
    actions = [int(a) for a in rng.integers(0, 4, 300)]
    wrapped.reset(seed=11)
    raw.reset(seed=11)
    ends = 0
    for action in actions:
        _, reward, terminated, truncated, info = wrapped.step(action)
        raw_obs, raw_reward, raw_terminated, _, _ = raw.step(action)
        assert type(reward) is float
        assert info["vector_reward"].dtype == np.float32
        np.testing.assert_array_equal(info["vector_reward"], raw_reward)
        assert info["vector_reward"] is not raw_reward
        assert terminated == raw_terminated
        if terminated or truncated:
            ends += 1
            wrapped.reset(seed=11 + ends)
            raw.reset(seed=11 + ends)
    assert ends >= 5


@pytest.mark.parametrize("name", sorted(STACKS))
def test_wrapped_envs_pickle_and_continue(name: str) -> None:
    env = STACKS[name]()
    env.reset(seed=3)
    for action in (1, 3, 1):
        env.step(action)
    clone = pickle.loads(pickle.dumps(env))
    for action in (3, 1, 1, 3, 0, 2) * 6:
        a, b = env.step(action), clone.step(action)
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1:4] == b[1:4]
        if a[2] or a[3]:
            break


# ---------------------------------------------------------------------------------------------------------------
# Formulas on hand-computed vectors.

def test_linear_formula_and_nan() -> None:
    env = LinearReward(ScriptedVectorEnv([[0, 0, 0], [1, 0.25, 0.5], [1, np.nan, 0.5], [np.nan] * 3]), [0.5, 2, -1])
    env.reset(seed=0)
    rewards = [env.step(0)[1] for _ in range(4)]
    # 0; 0.5*1 + 2*0.25 - 1*0.5 = 0.5; NaN left out: 0.5 - 0.5 = 0; all NaN: 0
    assert rewards == pytest.approx([0.0, 0.5, 0.0, 0.0])


def test_linear_default_is_plain_sum_and_matches_mo_gymnasium() -> None:
    from mo_gymnasium.wrappers import LinearReward as MOLinearReward

    weights = np.array([0.5, 2.0, -1.0, 0.25], dtype=np.float32)
    ours, theirs = LinearReward(maze(), weights), MOLinearReward(maze(), weight=weights)
    plain = LinearReward(maze())
    for env in (ours, theirs, plain):
        env.reset(seed=0)
    for action in GOLD_ROUTE:
        a, b, c = ours.step(action), theirs.step(action), plain.step(action)
        assert a[1] == pytest.approx(float(b[1]), abs=1e-6)
        assert c[1] == pytest.approx(float(np.sum(c[4]["vector_reward"])))
    np.testing.assert_array_equal(a[4]["vector_reward"], [1, 1, 0, 1])
    assert a[1] == pytest.approx(0.5 + 2.0 + 0.25)


def test_tchebycheff_formula_episode_mode() -> None:
    w, rho = [0.5, 0.25, 0.25], 0.01
    env = TchebycheffReward(ScriptedVectorEnv([[0, 0, 0], [0, 0, 0], [1, 0.2, 0.6]]), w, rho=rho)
    env.reset(seed=0)
    out = [env.step(0) for _ in range(3)]
    # w (z* - R) = (0, 0.2, 0.1) -> max 0.2; rho * w.R = 0.01 * (0.5 + 0.05 + 0.15) = 0.007
    assert [o[1] for o in out] == pytest.approx([0.0, 0.0, -0.2 + 0.007])
    np.testing.assert_allclose(out[-1][4]["episode_vector_reward"], [1, 0.2, 0.6], rtol=1e-6)
    assert "episode_vector_reward" not in out[0][4]
    # The episode's vector is the sum of the step vectors, and a truncation also ends the episode.
    env = TchebycheffReward(ScriptedVectorEnv([[0.5, 0.1, 0], [0.5, 0.1, 0.6]], truncate=True), w, rho=rho)
    env.reset(seed=0)
    assert [env.step(0)[1] for _ in range(2)] == pytest.approx([0.0, -0.193])


def test_tchebycheff_step_mode_utopia_and_nan() -> None:
    w = [0.5, 0.25, 0.25]
    env = TchebycheffReward(ScriptedVectorEnv([[0, 0, 0], [1, 0.2, 0.6]]), w, mode="step")
    env.reset(seed=0)
    # per step a zero vector scores -max_k w_k z*_k = -0.5
    assert [env.step(0)[1] for _ in range(2)] == pytest.approx([-0.5, -0.193])
    env = TchebycheffReward(ScriptedVectorEnv([[1, 0.2, 0.6]]), w, utopia=[2, 1, 1], rho=0.0)
    env.reset(seed=0)
    assert env.step(0)[1] == pytest.approx(-0.5)  # w (z* - r) = (0.5, 0.2, 0.1)
    # NaN: left out of the max and the sum; all NaN scores 0
    env = TchebycheffReward(ScriptedVectorEnv([[np.nan, 0.2, 0.6], [np.nan] * 3]), w, mode="step")
    env.reset(seed=0)
    assert [env.step(0)[1] for _ in range(2)] == pytest.approx([-0.2 + 0.01 * (0.05 + 0.15), 0.0])
    # episode mode: an objective NaN on any step is not applicable for the episode
    env = TchebycheffReward(ScriptedVectorEnv([[np.nan, 0, 0], [1, 0.2, 0.6]]), w)
    env.reset(seed=0)
    assert [env.step(0)[1] for _ in range(2)] == pytest.approx([0.0, -0.198])


def test_tchebycheff_on_the_maze() -> None:
    env = TchebycheffReward(maze())  # weights 1/K, z* = reward_space.high = 1, rho = 0.01
    out = play(env, GOLD_ROUTE)
    assert all(o[1] == 0.0 for o in out[:-1])
    # R = (1, 1, 0, 1): max_k 0.25 (1 - R_k) = 0.25; rho * w.R = 0.01 * 0.75
    assert out[-1][1] == pytest.approx(-0.25 + 0.0075)
    failed = play(TchebycheffReward(maze()), [MOVES["UP"]] * 100)  # budget spent against the border
    assert failed[-1][2] and failed[-1][1] == pytest.approx(-0.25)


def test_reset_mid_episode_clears_the_episode_vector() -> None:
    env = TchebycheffReward(ScriptedVectorEnv([[1, 1, 1], [0, 0, 0]]), [1, 1, 1], rho=0.0)
    env.reset(seed=0)
    env.step(0)
    env.reset(seed=0)
    env.step(0)
    assert env.step(0)[1] == pytest.approx(0.0)  # R = (1, 1, 1), not (2, 2, 2) and not (1, 1, 1) + leftovers


# ---------------------------------------------------------------------------------------------------------------
# Dirichlet weights.

def test_dirichlet_weights_reproducible_by_seed_and_not_global_rng() -> None:
    a, b = DirichletWeightedReward(maze()), DirichletWeightedReward(maze())
    np.random.seed(1)
    obs_a, info_a = a.reset(seed=5)
    np.random.seed(2)
    obs_b, info_b = b.reset(seed=5)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(info_a["weights"], info_b["weights"])
    assert not np.array_equal(a.reset(seed=6)[1]["weights"], info_a["weights"])
    b.reset(seed=6)
    # unseeded resets after a seeded one continue the same stream
    for _ in range(5):
        np.testing.assert_array_equal(a.reset()[1]["weights"], b.reset()[1]["weights"])


@pytest.mark.parametrize("alpha", [0.05, 1.0, 50.0])
def test_dirichlet_weights_on_the_simplex(alpha: float) -> None:
    env = DirichletWeightedReward(maze(), alpha=alpha)
    env.reset(seed=0)
    draws = np.array([env.reset()[1]["weights"] for _ in range(2000)])  # [N, K]
    assert draws.dtype == np.float32
    assert np.all(draws >= 0) and np.allclose(draws.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(draws.mean(axis=0), 0.25, atol=0.02)  # Dirichlet mean 1/K
    mean_max = draws.max(axis=1).mean()  # small alpha: corners; large alpha: the centre
    assert {0.05: mean_max > 0.8, 1.0: 0.4 < mean_max < 0.65, 50.0: mean_max < 0.35}[alpha]


def test_dirichlet_observation_info_and_reward() -> None:
    env, raw = DirichletWeightedReward(maze()), maze()
    obs, info = env.reset(seed=0)
    raw_obs, _ = raw.reset(seed=0)
    k = 4
    w = info["weights"]
    assert env.observation_space.dtype == np.float32
    assert env.observation_space.shape == (raw.observation_space.shape[0] + k,)
    np.testing.assert_array_equal(env.observation_space.high[-k:], 1.0)
    np.testing.assert_array_equal(obs[:-k], raw_obs.astype(np.float32))
    np.testing.assert_array_equal(obs[-k:], w)
    for action in DIAMOND_ROUTE:
        obs, reward, terminated, _, info = env.step(action)
        raw_obs, *_ = raw.step(action)
        np.testing.assert_array_equal(obs[:-k], raw_obs.astype(np.float32))
        np.testing.assert_array_equal(info["weights"], w)
    assert terminated
    np.testing.assert_array_equal(info["vector_reward"], [1, 0, 1, 1])
    assert reward == pytest.approx(float(w[0] + w[2] + w[3]), rel=1e-6)


def test_dirichlet_given_weights_and_tchebycheff() -> None:
    env = DirichletWeightedReward(maze(), scalarization="tchebycheff", rho=0.0)
    obs, info = env.reset(seed=0, options={"weights": [2, 0, 0, 2]})
    np.testing.assert_array_equal(info["weights"], [0.5, 0, 0, 0.5])
    np.testing.assert_array_equal(obs[-4:], [0.5, 0, 0, 0.5])
    rewards = [env.step(a)[1] for a in DIAMOND_ROUTE]
    assert rewards[:-1] == [0.0] * (len(DIAMOND_ROUTE) - 1)
    assert rewards[-1] == pytest.approx(0.0)  # R = (1, 0, 1, 1): w (z* - R) = 0 everywhere
    env.reset(seed=0, options={"weights": [0, 1, 0, 0]})
    assert [env.step(a)[1] for a in DIAMOND_ROUTE][-1] == pytest.approx(-1.0)  # gold 0
    for bad in ([1, 1, 1], [1, -1, 1, 1], [0, 0, 0, 0], [np.nan, 1, 1, 1]):
        with pytest.raises(ValueError, match="weights"):
            env.reset(seed=0, options={"weights": bad})


# ---------------------------------------------------------------------------------------------------------------
# Shaping and the one-hot observation.

def test_distance_map_by_hand() -> None:
    cells = np.array([[0, 0, 1],
                      [1, 0, 1],
                      [0, 0, 3]])
    expected = [4, 3, 5,
                5, 2, 5,
                2, 1, 0]  # walls get (largest finite distance + 1) = 5
    np.testing.assert_array_equal(distance_map(cells, (2, 2), wall=1), expected)


@pytest.mark.parametrize("gamma", [0.9, 1.0])
def test_shaping_is_potential_based_and_telescopes(gamma: float) -> None:
    scale = 2.0
    env = MazeDistanceShaping(LinearReward(maze(), [1, 1, 1, 1]), gamma=gamma, scale=scale)
    rng = np.random.default_rng(0)
    for episode, actions in enumerate((GOLD_ROUTE, [int(a) for a in rng.integers(0, 4, 200)])):
        obs, _ = env.reset(seed=0)
        instance = env.unwrapped.instance
        dist = distance_map(np.asarray(instance.cells), instance.end, wall=1)
        n_cells = env.unwrapped.config.n_cells
        d0 = dist[int(obs[n_cells])]
        assert d0 == 16

        def phi(o: np.ndarray, dist: np.ndarray = dist, n_cells: int = n_cells, d0: int = d0) -> float:
            return -scale * dist[int(o[n_cells])] / d0

        prev, discounted, t = phi(obs), 0.0, 0
        for action in actions:
            obs, reward, terminated, truncated, info = env.step(action)
            expected = gamma * (0.0 if terminated else phi(obs)) - prev
            assert info["shaping"] == pytest.approx(expected)
            assert reward == pytest.approx(info["unshaped_reward"] + expected)
            assert info["unshaped_reward"] == pytest.approx(float(np.sum(info["vector_reward"])))
            discounted += gamma ** t * info["shaping"]
            prev, t = phi(obs), t + 1
            if terminated or truncated:
                break
        assert terminated
        assert discounted == pytest.approx(scale)  # gamma^T * 0 - Phi(s_0) = scale, whatever the route
        assert bool(info["vector_reward"][0]) == (episode == 0)


def test_onehot_layout() -> None:
    env = MazeOneHotObservation(DirichletWeightedReward(maze()))
    raw = maze()
    obs, info = env.reset(seed=0)
    raw_obs, _ = raw.reset(seed=0)
    config = env.unwrapped.config
    c, n_codes = config.n_cells, config.n_cell_codes
    assert env.observation_space.shape == (c * (n_codes + 1) + 2 + 4,)
    assert env.observation_space.contains(obs)
    for action in GOLD_ROUTE[:5]:
        obs, *_ = env.step(action)
        raw_obs, *_ = raw.step(action)
    planes = obs[:c * n_codes].reshape(c, n_codes)
    np.testing.assert_array_equal(planes.argmax(axis=1), raw_obs[:c])
    np.testing.assert_array_equal(planes.sum(axis=1), 1.0)
    agent = obs[c * n_codes:c * (n_codes + 1)]
    assert agent.sum() == 1.0 and agent.argmax() == raw_obs[c]
    assert obs[c * (n_codes + 1)] == pytest.approx(raw_obs[c + 1] / config.max_budget)
    assert obs[c * (n_codes + 1) + 1] == raw_obs[c + 2]
    np.testing.assert_array_equal(obs[-4:], info["weights"])


# ---------------------------------------------------------------------------------------------------------------
# Bad arguments fail at construction with clear errors.

@pytest.mark.parametrize(("make", "error", "match"), [
    (lambda: LinearReward(maze(), [1, 1, 1]), ValueError, "length K = 4"),
    (lambda: LinearReward(maze(), [1, 1, np.nan, 1]), ValueError, "finite"),
    (lambda: LinearReward(maze(), [1, 1, np.inf, 1]), ValueError, "finite"),
    (lambda: LinearReward(maze(), [0, 0, 0, 0]), ValueError, "zero"),
    (lambda: LinearReward(maze(), "abc"), ValueError, "weights"),
    (lambda: LinearReward(gym.make("CartPole-v1")), TypeError, "reward_space"),
    (lambda: TchebycheffReward(maze(), [1, -1, 1, 1]), ValueError, "non-negative"),
    (lambda: TchebycheffReward(maze(), [0, 0, 0, 0]), ValueError, "positive"),
    (lambda: TchebycheffReward(maze(), utopia=[1, 1, 1]), ValueError, "utopia"),
    (lambda: TchebycheffReward(maze(), utopia=[1, 0.5, 1, 1]), ValueError, "upper bound"),
    (lambda: TchebycheffReward(maze(), utopia=[1, np.nan, 1, 1]), ValueError, "finite"),
    (lambda: TchebycheffReward(maze(), rho=-0.1), ValueError, "rho"),
    (lambda: TchebycheffReward(maze(), rho=float("nan")), ValueError, "rho"),
    (lambda: TchebycheffReward(maze(), mode="sum"), ValueError, "mode"),
    (lambda: DirichletWeightedReward(maze(), alpha=0.0), ValueError, "alpha"),
    (lambda: DirichletWeightedReward(maze(), alpha=-1.0), ValueError, "alpha"),
    (lambda: DirichletWeightedReward(maze(), alpha=float("inf")), ValueError, "alpha"),
    (lambda: DirichletWeightedReward(maze(), alpha="1"), ValueError, "alpha"),
    (lambda: DirichletWeightedReward(maze(), scalarization="max"), ValueError, "scalarization"),
    (lambda: DirichletWeightedReward(maze(), utopia=[0, 0, 0, 0]), ValueError, "upper bound"),
    (lambda: MazeDistanceShaping(LinearReward(maze()), gamma=0.0), ValueError, "gamma"),
    (lambda: MazeDistanceShaping(LinearReward(maze()), gamma=1.5), ValueError, "gamma"),
    (lambda: MazeDistanceShaping(LinearReward(maze()), scale=0.0), ValueError, "scale"),
    (lambda: MazeDistanceShaping(LinearReward(ScriptedVectorEnv([[0, 0]]))), TypeError, "ConflictMaze"),
    (lambda: MazeDistanceShaping(MazeOneHotObservation(LinearReward(maze()))), TypeError, "outside"),
    (lambda: MazeOneHotObservation(ScriptedVectorEnv([[0, 0]])), TypeError, "ConflictMaze"),
])
def test_bad_arguments_raise(make: Callable[[], gym.Env], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_misordered_wrappers_fail_at_step() -> None:
    env = LinearReward(LinearReward(maze()))  # the outer one receives a scalar
    env.reset(seed=0)
    with pytest.raises(TypeError, match="reward vector"):
        env.step(0)
    env = MazeDistanceShaping(maze())  # shaping needs a scalar reward
    env.reset(seed=0)
    with pytest.raises(TypeError, match="scalar reward"):
        env.step(0)


# ---------------------------------------------------------------------------------------------------------------
# One short learning test: SB3 PPO on a single fixed maze through the linear wrapper.

def test_sb3_ppo_learns_to_reach_e_on_a_fixed_maze() -> None:
    """PPO, linear weights (1,1,1,1), distance shaping, one-hot observation, 40k steps on maze seed 0.

    Measured before setting the threshold (seeds 0-9, this configuration): the greedy policy reached E on
    10/10 seeds and the sampled policy in 0.96-1.00 of 50 episodes. Without shaping (probe at 30k steps, lr 1e-3,
    4 epochs) 2 of 5 seeds never reached E; a uniformly random walk reaches E in 0 of 2000 episodes.
    """
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    torch.set_num_threads(1)

    def make_env(rank: int) -> Callable[[], gym.Env]:
        def factory() -> gym.Env:
            env = gym.make(ENV_ID, instance_pool=1, pool_first_seed=0)
            env = MazeOneHotObservation(MazeDistanceShaping(LinearReward(env, [1, 1, 1, 1]), gamma=0.99))
            env.reset(seed=rank)
            return env

        return factory

    venv = DummyVecEnv([make_env(rank) for rank in range(8)])
    model = PPO("MlpPolicy", venv, n_steps=128, batch_size=256, n_epochs=10, learning_rate=3e-4, gamma=0.99,
                ent_coef=0.01, policy_kwargs={"net_arch": [64, 64]}, seed=0, device="cpu")
    model.learn(total_timesteps=40_000)

    env = make_env(0)()
    model.set_random_seed(0)
    outcomes = {}
    for deterministic, episodes in ((True, 1), (False, 50)):
        reached = 0
        for _ in range(episodes):
            obs, _ = env.reset(seed=0)
            done = False
            while not done:
                action, _ = model.predict(obs, deterministic=deterministic)
                obs, _, terminated, truncated, info = env.step(int(action))
                done = terminated or truncated
            reached += int(info["vector_reward"][0] > 0)  # the raw signal, not the shaped reward
        outcomes[deterministic] = reached / episodes
    assert outcomes[True] == 1.0, outcomes
    assert outcomes[False] >= 0.8, outcomes
