"""The multi-agent numba kernels agree with their plain-Python twins (this file also runs under NUMBA_DISABLE_JIT=1)."""

import os

import numpy as np
import pytest
from ma_helpers import corner_routes, joint_scores

from vecreward_envs.maze import MazeConfig, MazeFamily
from vecreward_envs.multiagent.conflict_maze_v0 import batched_env, parallel_env
from vecreward_envs.multiagent.kernels_py import GamePy, play_routes_py

N_INSTANCES = int(os.environ.get("VECREWARD_TEST_INSTANCES", "30"))
CONFIGS = [MazeConfig(), MazeConfig(score_mode="linear", lava_penalty=2.0)]


@pytest.mark.parametrize("config", CONFIGS, ids=["reference", "linear"])
@pytest.mark.parametrize("n_agents", [2, 3, 4])
def test_joint_routes_kernel_matches_twin(config: MazeConfig, n_agents: int) -> None:
    rng = np.random.default_rng(n_agents)
    instances = MazeFamily(config).instances(500, N_INSTANCES)
    per, length = 12, 40
    games = []
    for inst in instances:
        pool = corner_routes(inst, rng, per * n_agents, length)
        games.append(pool.reshape(per, n_agents, length))
    routes = np.concatenate(games)  # [N, A, L]
    idx = np.repeat(np.arange(len(instances)), per)
    kernel, reached = joint_scores(instances, routes, idx, config)
    twin = np.stack([play_routes_py(instances[i], routes[n]) for n, i in enumerate(idx)])
    np.testing.assert_array_equal(kernel, twin)
    assert reached.mean() > 0.3
    item_sums = kernel[..., 1:-1].sum(axis=1)  # [N, T]: the agents share each item type
    if config.score_mode == "linear":
        assert (item_sums <= 1.0 + 1e-6).all()
    assert (kernel[reached][:, 1:-1] > 0).any()


def test_one_agent_is_the_single_maze() -> None:
    """With A = 1 the joint kernel is the maze's route scorer."""
    rng = np.random.default_rng(3)
    family = MazeFamily()
    instances = family.instances(0, N_INSTANCES)
    routes = np.concatenate([corner_routes(inst, rng, 10, 40) for inst in instances])
    idx = np.repeat(np.arange(len(instances)), 10)
    joint, _ = joint_scores(instances, routes[:, None, :], idx, family.config)
    np.testing.assert_array_equal(joint[:, 0], family.score_routes(instances, routes, idx).rewards)


def test_env_step_matches_twin_and_route_score() -> None:
    """The Parallel env (numba ``game_step``) == the Python game, and a game's summed rewards == its route score."""
    rng = np.random.default_rng(5)
    family = MazeFamily()
    env = parallel_env(n_agents=3)
    for seed in range(min(N_INSTANCES, 10)):
        inst = family.generate(seed)
        routes = corner_routes(inst, rng, 6, inst.budget).reshape(2, 3, inst.budget)
        routes[routes == 4] = 1  # the env has no STOP: pad with moves
        for game_routes in routes:
            env.reset(seed=seed)
            twin = GamePy(inst, 3)
            total = np.zeros((3, 4), np.float32)
            t = 0
            while env.agents:
                actions = {name: int(game_routes[int(name[-1]), t]) for name in env.agents}
                _, rewards, terms, _, _ = env.step(actions)
                twin_rewards, twin_done, _ = twin.step([int(m) for m in game_routes[:, t]])
                for name, r in rewards.items():
                    a = int(name[-1])
                    np.testing.assert_array_equal(r, twin_rewards[a])
                    assert terms[name] == twin_done[a]
                    total[a] += r
                t += 1
            expected = play_routes_py(inst, game_routes)
            np.testing.assert_array_equal(total, expected)


def test_batched_env_matches_parallel_env() -> None:
    n_games, n_agents = 6, 2
    batch = batched_env(n_games, n_agents=n_agents, instance_pool=16)
    batch.reset(seed=7)
    seeds = batch.instance_seeds()
    envs = [parallel_env(n_agents=n_agents) for _ in range(n_games)]
    for e, s in zip(envs, seeds, strict=True):
        e.reset(seed=int(s))
    rng = np.random.default_rng(0)
    for _ in range(40):
        actions = rng.integers(0, 4, size=(n_games, n_agents))
        obs, rewards, done, over, _ = batch.step(actions)
        for n, e in enumerate(envs):
            if not e.agents:  # this game ended on the previous step; the batch autoreset it
                assert not done[n].any()
                e.reset(seed=int(batch.instance_seeds()[n]))
                continue
            o, r, term, _, _ = e.step({name: int(actions[n, int(name[-1])]) for name in e.agents})
            for name in r:
                a = int(name[-1])
                np.testing.assert_array_equal(r[name], rewards[n, a])
                np.testing.assert_array_equal(o[name], obs[n, a])
                assert term[name] == done[n, a]
            assert over[n] == (not e.agents)


def test_observation_kernel_matches_numpy_twin() -> None:
    batch = batched_env(16, n_agents=3, instance_pool=8)
    batch.reset(seed=1)
    rng = np.random.default_rng(4)
    for _ in range(30):
        obs, _, _, _, _ = batch.step(rng.integers(0, 4, size=(16, 3)))
        np.testing.assert_array_equal(obs, batch._state.observations_py(batch.config))
        assert all(batch.single_observation_space.contains(o) for o in obs.reshape(-1, obs.shape[-1]))
