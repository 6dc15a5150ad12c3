"""The numba kernels agree with their plain-Python twins (this file also runs under NUMBA_DISABLE_JIT=1)."""

import os

import numpy as np
import pytest
from route_helpers import mixed_routes

from vecreward_envs.maze import MazeConfig, MazeFamily, generate, score_routes
from vecreward_envs.maze.kernels_py import score_route_py

N_INSTANCES = int(os.environ.get("VECREWARD_TEST_INSTANCES", "60"))

CONFIGS = [
    MazeConfig(),
    MazeConfig(score_mode="linear"),
    MazeConfig(size=11, n_item_types=3, conflict="off", lava_penalty=2.0),
]


@pytest.mark.parametrize("config", CONFIGS, ids=["reference", "linear", "k5"])
def test_route_kernel_matches_twin(config: MazeConfig) -> None:
    rng = np.random.default_rng(0)
    family = MazeFamily(config)
    instances = family.instances(1000, N_INSTANCES)
    per = 50
    routes = np.concatenate([mixed_routes(inst, rng, per, 48) for inst in instances])  # [N*per, 48]
    idx = np.repeat(np.arange(len(instances)), per)
    kernel = family.score_routes(instances, routes, inst_idx=idx).rewards
    twin = np.stack([score_route_py(instances[i], routes[n]) for n, i in enumerate(idx)])
    np.testing.assert_array_equal(kernel, twin)
    reached = kernel[:, 0] > 0
    assert reached.mean() > 0.3, "the test routes must exercise the scoring of walks that reach E"
    assert (kernel[reached, 1:] > 0).any() and (kernel[reached, 1:] < 1).any()


def test_step_kernel_sum_equals_route_score() -> None:
    """Playing a route move by move in the MDP sums to its route score (single env and vector env)."""
    import gymnasium as gym

    import vecreward_envs  # noqa: F401

    rng = np.random.default_rng(1)
    env = gym.make("vecreward/ConflictMaze-v0")
    for seed in range(12):
        inst = generate(seed)
        for route in mixed_routes(inst, rng, 6, 40):
            env.reset(seed=seed)
            total = np.zeros(4, np.float32)
            for move in route[: inst.budget]:
                if move == 4:
                    break
                _, reward, terminated, _, _ = env.step(int(move))
                total += reward
                if terminated:
                    break
            np.testing.assert_array_equal(total, score_routes(inst, route).rewards[0])


def test_vector_env_matches_single_env() -> None:
    import gymnasium as gym

    import vecreward_envs  # noqa: F401

    n = 6
    venv = gym.make_vec("vecreward/ConflictMaze-v0", num_envs=n, vectorization_mode="vector_entry_point",
                        instance_pool=16)
    obs, info = venv.reset(seed=3)
    singles = []
    for i in range(n):
        env = gym.make("vecreward/ConflictMaze-v0")
        single_obs, _ = env.reset(options={"instance": venv.unwrapped.instance(i)})
        np.testing.assert_array_equal(single_obs, obs[i])
        singles.append(env)
    rng = np.random.default_rng(0)
    done = np.zeros(n, bool)
    for _ in range(60):
        actions = rng.integers(0, 4, size=n)
        obs, rewards, terminated, truncated, _ = venv.step(actions)
        for i, env in enumerate(singles):
            if done[i]:
                continue  # NEXT_STEP autoreset step: compared elsewhere
            s_obs, s_rew, s_term, _, _ = env.step(int(actions[i]))
            np.testing.assert_array_equal(s_obs, obs[i])
            np.testing.assert_array_equal(s_rew, rewards[i])
            assert s_term == terminated[i]
            done[i] = s_term
    assert done.any()
