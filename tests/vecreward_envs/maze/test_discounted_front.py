"""discounted_front: the exact front of discounted returns (MO-Gymnasium's ``pareto_front(gamma)``), checked by brute
force over every route of small mazes, against episodes played in the envs, and its errors."""

import itertools

import gymnasium as gym
import numpy as np
import pytest

import vecreward_envs  # noqa: F401  (registers the ids)
from vecreward_envs.maze import MazeConfig, MazeInstance, discounted_front, generate, pareto_front, score_routes
from vecreward_envs.maze.config import STOP
from vecreward_envs.maze.pareto import _non_dominated, _reachable

# Gold behind lava (3 moves), the diamond on a safe 7-move detour, all of them in 9 moves.
SHORT_OR_SAFE = """
S L G E # # #
. # # . # # #
. D . . # # #
# # # # # # #
# # # # # # #
# # # # # # #
# # # # # # #"""

ONE_SPUR = """
S . . . E # #
. # . # # # #
G # D # # # #
# # # # # # #
# # # # # # #
# # # # # # #
# # # # # # #"""

LINEAR = MazeConfig(size=7, score_mode="linear")


def _brute_force(instance: MazeInstance, gamma: float, length: int, one_step: bool = False) -> np.ndarray:
    """Non-dominated discounted returns over every route of ``length`` moves (4^length of them)."""
    routes = np.array(list(itertools.product(range(4), repeat=length)), dtype=np.int8)  # [4^L, L]
    padded = np.full((len(routes), instance.budget), STOP, dtype=np.int8)
    padded[:, :min(length, instance.budget)] = routes[:, :instance.budget]
    scores = score_routes(instance, padded)
    returns = scores.rewards.astype(np.float64)
    if not one_step:
        returns *= float(gamma) ** (scores.steps.astype(np.float64) - 1)[:, None]
    returns = np.unique(returns, axis=0)
    front = np.unique(returns[_non_dominated(returns)], axis=0)
    return front[np.lexsort(front.T[::-1])[::-1]]


@pytest.mark.parametrize("text", [SHORT_OR_SAFE, ONE_SPUR])
@pytest.mark.parametrize("budget", [4, 7, 9])
@pytest.mark.parametrize("gamma", [1.0, 0.9, 0.5, 0.0])
def test_equals_brute_force(text: str, budget: int, gamma: float) -> None:
    inst = MazeInstance.from_text(text, budget, LINEAR)
    expected = _brute_force(inst, gamma, budget)
    got = np.stack(discounted_front(inst, gamma))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("max_steps", [3, 5, 8])
@pytest.mark.parametrize("gamma", [1.0, 0.7])
def test_max_steps_and_one_step_equal_brute_force(max_steps: int, gamma: float) -> None:
    inst = MazeInstance.from_text(ONE_SPUR, 9, LINEAR)
    expected = _brute_force(inst, gamma, max_steps, one_step=True)
    got = np.stack(discounted_front(inst, gamma, max_steps=max_steps, one_step=True))
    np.testing.assert_array_equal(got, expected)
    if max_steps == 3:  # E is 4 moves away: nothing reaches it, the only return is 0
        np.testing.assert_array_equal(got, np.zeros((1, 4)))


def test_discounting_can_bring_a_dominated_vector_onto_the_front() -> None:
    # gold through lava in 3 moves (1, 1, 0, 0); gold, lava and the diamond in 9 moves (1, 1, 1, 0) dominates it
    inst = MazeInstance.from_text(SHORT_OR_SAFE, 9, LINEAR)
    undiscounted = {tuple(v) for v in pareto_front(inst).rewards.tolist()}
    assert (1.0, 1.0, 1.0, 0.0) in undiscounted and (1.0, 1.0, 0.0, 0.0) not in undiscounted
    discounted = {tuple(v) for v in np.stack(discounted_front(inst, 0.5)).tolist()}
    assert (0.25, 0.25, 0.0, 0.0) in discounted and (0.5**8, 0.5**8, 0.5**8, 0.0) in discounted


@pytest.mark.parametrize("seed", [0, 3])
def test_gamma_one_is_the_exact_front(seed: int) -> None:
    inst = generate(seed)
    front = discounted_front(inst)
    assert all(v.dtype == np.float64 and v.shape == (4,) for v in front)
    np.testing.assert_array_equal(np.stack(front), pareto_front(inst).rewards)


def test_generated_maze_discounted_front_is_achieved_in_the_env() -> None:
    """Every front point is the discounted return of an episode of ConflictMaze-v0, and sampled routes are dominated."""
    gamma = 0.95
    env = gym.make("vecreward/ConflictMaze-v0")
    env.reset(seed=0)
    inst = env.unwrapped.instance
    front = np.stack(discounted_front(inst, gamma))
    vectors, routes, steps, _ = _reachable(inst, 5_000_000, True)
    returns = vectors.astype(np.float64) * gamma ** (steps - 1.0)[:, None]
    for point in front:
        row = int(np.flatnonzero(np.all(returns == point, axis=1))[0])
        env.reset(seed=0)
        total, t = np.zeros(4), 0
        for move in routes[row][routes[row] != STOP]:
            _, reward, terminated, _, _ = env.step(int(move))
            total += gamma**t * reward.astype(np.float64)
            t += 1
        assert terminated and t == steps[row]
        np.testing.assert_allclose(total, point, rtol=1e-12)
    from route_helpers import mixed_routes

    scores = score_routes(inst, mixed_routes(inst, np.random.default_rng(0), 300, inst.budget))
    sampled = scores.rewards.astype(np.float64) * gamma ** (scores.steps - 1.0)[:, None]
    for vector in sampled:
        assert np.any(np.all(front >= vector - 1e-12, axis=1)), vector


def test_errors() -> None:
    inst = generate(0)
    with pytest.raises(ValueError, match="call reset"):
        discounted_front(None)
    for gamma in (-0.1, 1.5, float("nan"), "0.9", True, None):
        with pytest.raises(ValueError, match="gamma must be a number in"):
            discounted_front(inst, gamma)  # type: ignore[arg-type]
    for max_steps in (0, 2.5, True):
        with pytest.raises(ValueError, match="max_steps"):
            discounted_front(inst, max_steps=max_steps)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        discounted_front("maze")  # type: ignore[arg-type]
