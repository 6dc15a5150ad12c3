"""The rules on hand-made mazes: first come first served, the tie rule, per-agent lava, shared budget."""

import numpy as np
from ma_helpers import joint_scores

from vecreward_envs.maze import MazeConfig, MazeInstance
from vecreward_envs.multiagent.conflict_maze_v0 import parallel_env
from vecreward_envs.multiagent.kernels_py import play_routes_py

LINEAR = MazeConfig(size=7, score_mode="linear")
GRID = """
S G L G . . E
# # # # # # #
. . . . . . .
. . . . . . .
. . . . . . D
. . . . . . .
. . . . . . .
"""
R, U, D = 3, 0, 1  # RIGHT, UP (blocked by the border: a wasted step), DOWN


def play(routes: list[list[int]], budget: int = 10) -> np.ndarray:
    inst = MazeInstance.from_text(GRID, budget, LINEAR)
    arr = np.full((1, len(routes), 12), 4, np.int8)
    for a, route in enumerate(routes):
        arr[0, a, : len(route)] = route
    kernel, _ = joint_scores([inst], arr, [0], LINEAR)
    np.testing.assert_array_equal(kernel[0], play_routes_py(inst, arr[0]))
    return kernel[0]


def test_tie_lower_index_takes_the_item() -> None:
    out = play([[R] * 6, [R] * 6])
    # gold total 2, diamonds 1 (unreachable), lava total 1: both step on the lava (per agent)
    np.testing.assert_array_equal(out[0], [1, 1.0, 0, 0])  # agent 0 took both golds (ties go to index 0)
    np.testing.assert_array_equal(out[1], [1, 0.0, 0, 0])


def test_first_come_first_served() -> None:
    out = play([[U, R, R, R, R, R, R], [R] * 6])  # agent 0 wastes a step: agent 1 is first on both golds
    np.testing.assert_array_equal(out[0], [1, 0.0, 0, 0])
    np.testing.assert_array_equal(out[1], [1, 1.0, 0, 0])


def test_lava_is_per_agent_and_items_shared() -> None:
    out = play([[R] * 6, [U, R, R, R, R, R, R], [U, U, R, R, R, R, R, R]])
    np.testing.assert_array_equal(out[:, 1], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(out[:, 3], [0.0, 0.0, 0.0])  # each stepped on the one lava cell itself


def test_shared_budget_and_stop() -> None:
    out = play([[R] * 6, [R] * 5], budget=10)  # agent 1's route ends (STOP) one cell before E
    np.testing.assert_array_equal(out[1], [0, 0, 0, 0])
    out = play([[R] * 6, [U] * 5 + [R] * 6], budget=10)  # agent 1 runs out of the shared budget
    np.testing.assert_array_equal(out[0], [1, 1.0, 0, 0])
    np.testing.assert_array_equal(out[1], [0, 0, 0, 0])


def test_env_tie_and_end() -> None:
    inst = MazeInstance.from_text(GRID, 10, LINEAR)
    env = parallel_env(n_agents=2, config=LINEAR)
    env.reset(options={"instance": inst})
    for t in range(6):
        _, rewards, terms, _, infos = env.step({"agent_0": R, "agent_1": R})
        if t < 5:
            assert not any(terms.values()) and all(not r.any() for r in rewards.values())
    assert terms == {"agent_0": True, "agent_1": True} and env.agents == []
    np.testing.assert_array_equal(rewards["agent_0"], [1, 1, 0, 0])
    np.testing.assert_array_equal(rewards["agent_1"], [1, 0, 0, 0])
    assert infos["agent_0"]["reached_end"]


def test_env_budget_terminates_everyone() -> None:
    inst = MazeInstance.from_text(GRID, 3, LINEAR)
    env = parallel_env(n_agents=2, config=LINEAR)
    env.reset(options={"instance": inst})
    for _ in range(2):
        env.step({"agent_0": R, "agent_1": U})
    _, rewards, terms, _, infos = env.step({"agent_0": R, "agent_1": U})
    assert all(terms.values()) and env.agents == []
    assert not infos["agent_0"]["reached_end"] and not rewards["agent_0"].any()
