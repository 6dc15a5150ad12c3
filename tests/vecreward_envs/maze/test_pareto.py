import numpy as np
import pytest

from vecreward_envs.maze import MazeConfig, MazeInstance, generate, pareto_front, score_routes

# Gold sits behind a lava cell; a 7-step detour reaches E safely but without the gold.
LAVA_OR_GOLD = """
S L G E # # #
. # # . # # #
. . . . # # #
# # # # # # #
# # # # # # #
# # # # # # #
# # # # # # #"""

# Two dead-end spurs (gold below S, diamond below the corridor); each detour costs 4 steps.
ONE_SPUR = """
S . . . E # #
. # . # # # #
G # D # # # #
# # # # # # #
# # # # # # #
# # # # # # #
# # # # # # #"""

LINEAR = MazeConfig(size=7, score_mode="linear")


@pytest.mark.parametrize(
    ("text", "budget", "front"),
    [
        (LAVA_OR_GOLD, 3, [(1, 1, 0, 0)]),
        (LAVA_OR_GOLD, 6, [(1, 1, 0, 0)]),
        (LAVA_OR_GOLD, 7, [(1, 1, 0, 0), (1, 0, 0, 1)]),
        (LAVA_OR_GOLD, 2, []),
        (ONE_SPUR, 4, [(1, 0, 0, 1)]),
        (ONE_SPUR, 8, [(1, 1, 0, 1), (1, 0, 1, 1)]),
        (ONE_SPUR, 11, [(1, 1, 0, 1), (1, 0, 1, 1)]),
        (ONE_SPUR, 12, [(1, 1, 1, 1)]),
    ],
)
@pytest.mark.parametrize("use_numba", [True, False])
def test_hand_made_fronts(text: str, budget: int, front: list, use_numba: bool) -> None:
    inst = MazeInstance.from_text(text, budget, LINEAR)
    result = pareto_front(inst, use_numba=use_numba)
    assert sorted(map(tuple, result.rewards.tolist())) == sorted(front)
    # every witness route really scores its front vector
    if front:
        np.testing.assert_array_equal(score_routes(inst, result.routes).rewards, result.rewards)


def test_convex_bonus_front() -> None:
    # Visiting B multiplies the squared fractions by 1.5 (clipped at 1).
    text = """
S B G E # # #
. # # . # # #
. . . . # # #
# # # # # # #
# # # # # # #
# # # # # # #
# # # # # # #"""
    inst = MazeInstance.from_text(text, 3, MazeConfig(size=7))
    front = pareto_front(inst).rewards.tolist()
    assert front == [[1.0, 1.0, 0.0, 1.0]]


@pytest.mark.parametrize("seed", [0, 5, 17])
def test_generated_fronts_numba_equals_twin(seed: int) -> None:
    inst = generate(seed)
    fast, slow = pareto_front(inst), pareto_front(inst, use_numba=False)
    np.testing.assert_array_equal(fast.rewards, slow.rewards)
    assert fast.n_states == slow.n_states and fast.n_reachable == slow.n_reachable
    np.testing.assert_array_equal(score_routes(inst, fast.routes).rewards, fast.rewards)
    # non-dominated, and it dominates or equals every sampled route's score
    r = fast.rewards
    for i in range(len(r)):
        for j in range(len(r)):
            assert i == j or not (np.all(r[i] >= r[j]) and np.any(r[i] > r[j]))


def test_front_dominates_sampled_routes() -> None:
    from route_helpers import mixed_routes

    rng = np.random.default_rng(7)
    inst = generate(3)
    front = pareto_front(inst).rewards
    scores = score_routes(inst, mixed_routes(inst, rng, 200, inst.budget)).rewards
    for vector in scores:
        assert np.any(np.all(front >= vector, axis=1)), vector


def test_bad_inputs() -> None:
    with pytest.raises(TypeError):
        pareto_front("maze")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_states"):
        pareto_front(generate(0), max_states=10)
    with pytest.raises(ValueError, match="exactly one S"):
        MazeInstance.from_text(LAVA_OR_GOLD.replace("E", "."), 5, LINEAR)
    with pytest.raises(ValueError, match="unknown maze symbols"):
        MazeInstance.from_text(LAVA_OR_GOLD.replace("G", "?"), 5, LINEAR)
