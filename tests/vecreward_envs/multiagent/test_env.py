"""conflict_maze_v0 against PettingZoo's tests, our per-agent checker, seeding, personas and bad input."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test
from pettingzoo.utils.conversions import parallel_to_aec

from vecreward_envs.checker import EnvContractError, check_parallel_env
from vecreward_envs.multiagent import conflict_maze_v0
from vecreward_envs.multiagent.wrappers import LinearizedParallelEnv


@pytest.mark.parametrize("n_agents", [2, 3, 4])
def test_parallel_api_test(n_agents: int) -> None:
    parallel_api_test(conflict_maze_v0.parallel_env(n_agents=n_agents), num_cycles=200)


@pytest.mark.parametrize("n_agents", [2, 4])
def test_our_checker(n_agents: int) -> None:
    check_parallel_env(lambda: conflict_maze_v0.parallel_env(n_agents=n_agents), n_steps=120)


def test_checker_catches_a_broken_reward_space() -> None:
    class Broken(conflict_maze_v0.ConflictMazeParallelEnv):
        def reward_space(self, agent):  # noqa: ANN001, ANN202
            return None

    with pytest.raises(EnvContractError, match="reward_space"):
        check_parallel_env(lambda: Broken())


def test_checker_catches_nondeterminism() -> None:
    class Unseeded(conflict_maze_v0.ConflictMazeParallelEnv):
        draws = iter(range(10**6))

        def reset(self, seed=None, options=None):  # noqa: ANN001, ANN202
            return super().reset(seed=next(self.draws), options=options)  # ignores the seed

    with pytest.raises(EnvContractError, match="not deterministic"):
        check_parallel_env(lambda: Unseeded(instance_pool=4))


def test_reward_space_and_names() -> None:
    env = conflict_maze_v0.parallel_env(n_agents=3, n_item_types=3, conflict="off", size=11)
    for agent in env.possible_agents:
        space = env.reward_space(agent)
        assert space.shape == (5,) and space.dtype == np.float32
        assert env.reward_names[agent] == ("completion", "gold", "diamond", "ruby", "avoid_lava")


def test_aec_variant_matches_parallel() -> None:
    """The AEC conversion plays the same game; rewards stay float32 [K] arrays."""
    aec = conflict_maze_v0.env(n_agents=2)
    par = conflict_maze_v0.parallel_env(n_agents=2)
    aec.reset(seed=3)
    par.reset(seed=3)
    rng = np.random.default_rng(0)
    total = {a: np.zeros(4, np.float32) for a in par.possible_agents}
    par_total = {a: np.zeros(4, np.float32) for a in par.possible_agents}
    while par.agents:
        actions = {a: int(rng.integers(4)) for a in par.agents}
        _, rewards, _, _, _ = par.step(actions)
        for a, r in rewards.items():
            par_total[a] += r
        for _ in range(len(actions)):
            agent = aec.agent_selection
            _, reward, term, trunc, _ = aec.last()
            total[agent] += reward
            aec.step(None if term or trunc else actions[agent])
    for _ in aec.agents[:]:  # the AEC env hands out the last rewards on the dead agents' final turn
        _, reward, _, _, _ = aec.last()
        total[aec.agent_selection] += reward
        aec.step(None)
    for a in par.possible_agents:
        np.testing.assert_array_equal(total[a], par_total[a])
    assert aec.unwrapped.reward_space("agent_0").shape == (4,)


def test_aec_api_test_refuses_arrays_but_passes_linearized() -> None:
    with pytest.raises(ValueError, match="truth value"):
        api_test(conflict_maze_v0.env(n_agents=2), num_cycles=50)
    api_test(parallel_to_aec(LinearizedParallelEnv(conflict_maze_v0.parallel_env(n_agents=2))), num_cycles=100)
    parallel_api_test(LinearizedParallelEnv(conflict_maze_v0.parallel_env(n_agents=3)), num_cycles=100)


def test_seeds_reproduce_games() -> None:
    def run(seed):  # noqa: ANN001, ANN202
        env = conflict_maze_v0.parallel_env(n_agents=2)
        obs, _ = env.reset(seed=seed)
        trace = [obs["agent_0"].copy()]
        rng = np.random.default_rng(1)
        while env.agents:
            obs, rewards, _, _, _ = env.step({a: int(rng.integers(4)) for a in env.agents})
            trace += [o.copy() for o in obs.values()] + [r.copy() for r in rewards.values()]
        return trace

    a, b, c = run(5), run(5), run(6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    env = conflict_maze_v0.parallel_env()
    first = [env.reset()[0]["agent_0"] for _ in range(3)]  # unseeded: drawn from the pool by the env's generator
    env2 = conflict_maze_v0.parallel_env()
    env2.reset(seed=11)
    env3 = conflict_maze_v0.parallel_env()
    env3.reset(seed=11)
    assert np.array_equal(env2.reset()[0]["agent_0"], env3.reset()[0]["agent_0"])
    assert not all(np.array_equal(first[0], other) for other in first[1:])  # 3 draws from a 1024-maze pool


def test_personas_in_infos() -> None:
    personas = {"agent_0": [1, 1, 0, 1], "agent_1": [1, 0, 1, 1]}
    env = conflict_maze_v0.parallel_env(n_agents=2, personas=personas)
    _, infos = env.reset(seed=0)
    np.testing.assert_array_equal(infos["agent_1"]["persona"], [1, 0, 1, 1])
    rng = np.random.default_rng(2)
    while env.agents:
        _, rewards, terms, _, infos = env.step({a: int(rng.integers(4)) for a in env.agents})
        for a, done in terms.items():
            if done:
                assert infos[a]["persona_utility"] == pytest.approx(float(np.dot(personas[a], rewards[a])))
    with pytest.raises(ValueError, match="missing"):
        conflict_maze_v0.parallel_env(n_agents=2, personas={"agent_0": [1, 1, 1, 1]})
    with pytest.raises(ValueError, match="shape"):
        conflict_maze_v0.parallel_env(n_agents=2, personas=[[1, 1], [1, 1]])
    with pytest.raises(ValueError, match=">= 0"):
        conflict_maze_v0.parallel_env(n_agents=2, personas=[[1, -1, 0, 0], [1, 1, 1, 1]])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="n_agents"):
        conflict_maze_v0.parallel_env(n_agents=5)
    with pytest.raises(ValueError, match="n_agents"):
        conflict_maze_v0.parallel_env(n_agents=True)
    with pytest.raises(TypeError, match="unknown maze parameter"):
        conflict_maze_v0.parallel_env(sise=9)
    env = conflict_maze_v0.parallel_env()
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"agent_0": 0, "agent_1": 0})
    env.reset(seed=0)
    with pytest.raises(ValueError, match="missing"):
        env.step({"agent_0": 0})
    with pytest.raises(ValueError, match="0..3"):
        env.step({"agent_0": 0, "agent_1": 7})
    with pytest.raises(ValueError, match="0..3"):
        env.step({"agent_0": 0, "agent_1": 1.5})
    batch = conflict_maze_v0.batched_env(4, instance_pool=8)
    batch.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        batch.step(np.zeros((4, 3), np.int64))
    with pytest.raises(ValueError, match=r"actions\[2, 1\]"):
        batch.step(np.array([[0, 0], [0, 0], [0, 9], [0, 0]]))
    with pytest.raises(ValueError, match="num_games"):
        conflict_maze_v0.batched_env(0)


def test_pickle_and_render() -> None:
    env = conflict_maze_v0.parallel_env(n_agents=2, render_mode="ansi")
    env.reset(seed=0)
    env.step({"agent_0": 1, "agent_1": 3})
    clone = pickle.loads(pickle.dumps(env))
    a = env.step({"agent_0": 1, "agent_1": 1})
    b = clone.step({"agent_0": 1, "agent_1": 1})
    assert all(np.array_equal(a[0][k], b[0][k]) for k in a[0])
    text = env.render()
    grid = [line.split() for line in text.splitlines() if not line.startswith("steps left")]
    cells = [cell for row in grid for cell in row]
    assert cells.count("0") == 1 and cells.count("1") == 1  # each agent drawn once, as its digit, on the grid
    assert "steps left" in text


def test_import_vecreward_envs_does_not_load_multiagent() -> None:
    code = "import sys, vecreward_envs; print('vecreward_envs.multiagent' in sys.modules, 'pettingzoo' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
