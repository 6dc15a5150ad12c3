"""``env.unwrapped.pareto_front(gamma)`` of the maze ids: MO-Gymnasium's convention, the front of the current maze."""

import gymnasium as gym
import numpy as np
import pytest

import vecreward_envs  # noqa: F401  (registers the ids)
from vecreward_envs.envs.conflict_maze import ConflictMazeEnv
from vecreward_envs.envs.conflict_maze_route import ConflictMazeRouteEnv
from vecreward_envs.maze import discounted_front, pareto_front


def test_both_maze_envs_have_a_front() -> None:
    assert callable(ConflictMazeEnv.pareto_front) and callable(ConflictMazeRouteEnv.pareto_front)


@pytest.mark.parametrize("env_id", ["vecreward/ConflictMaze-v0", "vecreward/ConflictMazeRoute-v0"])
def test_front_of_the_current_maze(env_id: str) -> None:
    env = gym.make(env_id)
    with pytest.raises(ValueError, match="call reset"):
        env.unwrapped.pareto_front()
    env.reset(seed=0)
    front = env.unwrapped.pareto_front(1.0)
    assert isinstance(front, list) and all(isinstance(v, np.ndarray) and v.shape == (4,) for v in front)
    np.testing.assert_array_equal(np.stack(front), pareto_front(env.unwrapped.instance).rewards)
    np.testing.assert_array_equal(np.stack(env.unwrapped.pareto_front()), np.stack(front))  # gamma defaults to 1
    env.reset(seed=2)  # another maze, another front
    assert not np.array_equal(np.stack(env.unwrapped.pareto_front()), np.stack(front))
    env.reset()  # an unseeded reset plays a pool maze: its front
    np.testing.assert_array_equal(np.stack(env.unwrapped.pareto_front()),
                                  pareto_front(env.unwrapped.instance).rewards)
    with pytest.raises(ValueError, match="gamma"):
        env.unwrapped.pareto_front(1.5)


def test_mdp_front_is_discounted_route_front_is_not() -> None:
    mdp = gym.make("vecreward/ConflictMaze-v0")
    route = gym.make("vecreward/ConflictMazeRoute-v0")
    mdp.reset(seed=0)
    route.reset(seed=0)
    discounted = np.stack(mdp.unwrapped.pareto_front(0.9))
    np.testing.assert_array_equal(discounted, np.stack(discounted_front(mdp.unwrapped.instance, 0.9)))
    assert discounted.max() < 1.0  # every route needs more than one step
    # one step per episode: the return is the reward, whatever gamma
    np.testing.assert_array_equal(np.stack(route.unwrapped.pareto_front(0.9)),
                                  pareto_front(route.unwrapped.instance).rewards)


def test_route_env_front_respects_route_len() -> None:
    env = gym.make("vecreward/ConflictMazeRoute-v0", route_len=4)
    env.reset(seed=0)
    np.testing.assert_array_equal(np.stack(env.unwrapped.pareto_front()), np.zeros((1, 4)))  # E is farther away
    text = gym.make("vecreward/ConflictMazeRoute-v0", view="text", route_len=4)  # route_len: structured only
    text.reset(seed=0)
    np.testing.assert_array_equal(np.stack(text.unwrapped.pareto_front()),
                                  pareto_front(text.unwrapped.instance).rewards)
