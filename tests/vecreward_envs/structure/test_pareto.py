"""The exact front (dynamic programme over positions) equals brute force over every answer on small configs."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from structure_helpers import configs

from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.family import StructureFamily


def brute_front(family: StructureFamily, seed: int) -> np.ndarray:
    """Distinct non-dominated noise-free vectors over all (V+1)^L answers (STOP included), by pairwise checks."""
    config = family.config
    inst = family.generate(seed)
    answers = np.array(list(itertools.product(range(config.V + 1), repeat=config.answer_len)), dtype=np.int64)
    rewards = np.unique(family.score_answers([inst], answers, np.zeros(len(answers), np.int64), noise=False), axis=0)
    ge = np.all(rewards[:, None, :] >= rewards[None, :, :], axis=2)  # [a, b]: a >= b everywhere
    gt = np.any(rewards[:, None, :] > rewards[None, :, :], axis=2)
    dominated = np.any(ge & gt, axis=0)
    return rewards[~dominated]


def as_set(rows: np.ndarray) -> set[tuple[float, ...]]:
    return {tuple(float(v) for v in row) for row in rows}


CASES = [
    {"relation": "independent"},
    {"relation": "independent", "K": 2, "m": 2, "proxy": True, "saturating": True},
    {"relation": "independent", "K": 2, "m": 1, "bottleneck": True, "bottleneck_positions": 2, "proxy": True,
     "granularity": "binary,continuous"},
    {"relation": "aligned", "K": 3, "m": 2, "granularity": "binary,levels:3,continuous", "proxy": True},
    {"relation": "tradeoff", "K": 3, "m": 2, "V": 5},
    {"relation": "tradeoff", "K": 3, "m": 3, "V": 4, "granularity": "levels:3"},
    {"relation": "tradeoff", "K": 2, "m": 2, "V": 5, "granularity": "binary,continuous", "proxy": True,
     "saturating": True, "bottleneck": True, "bottleneck_positions": 1, "difficulty": "hard"},
    {"relation": "tradeoff", "K": 4, "m": 2, "V": 7, "proxy": True, "difficulty": "medium"},
]


@pytest.mark.parametrize("params", CASES, ids=[str(c) for c in CASES])
def test_front_equals_brute_force(params: dict) -> None:
    family = StructureFamily(**params)
    for seed in (0, 1):
        front = family.pareto_front(family.generate(seed))
        assert as_set(front.rewards) == as_set(brute_front(family, seed))
        assert len(as_set(front.rewards)) == len(front.rewards)  # distinct
        witness = family.score_answers([family.generate(seed)], front.answers, np.zeros(len(front.answers), int),
                                       noise=False)
        np.testing.assert_array_equal(witness, front.rewards)  # each witness scores its point


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(config=configs(max_k=3, max_m=2, max_v=5))
def test_front_equals_brute_force_on_random_configs(config: StructureConfig) -> None:
    assume((config.V + 1) ** config.answer_len <= 20_000)
    family = StructureFamily(config)
    assert as_set(family.pareto_front(family.generate(3)).rewards) == as_set(brute_front(family, 3))


def test_front_sizes_and_shape() -> None:
    single = StructureFamily().pareto_front(StructureFamily().generate(0))
    assert single.rewards.tolist() == [[1.0, 1.0, 1.0]] and single.answers.shape == (1, 7)
    trade = StructureFamily(relation="tradeoff")
    front = trade.pareto_front(trade.generate(0))
    assert len(front.rewards) > 3 and front.rewards.dtype == np.float32
    # the same front for every instance (up to relabelling)
    assert as_set(front.rewards) == as_set(trade.pareto_front(trade.generate(99)).rewards)


@pytest.mark.parametrize("params", CASES, ids=[str(c) for c in CASES])
def test_demonstrations_lie_on_the_front(params: dict) -> None:
    family = StructureFamily(**params)
    instances = family.instances(0, 3)
    demos = family.demonstrations(instances)
    rewards = family.score_answers(instances, demos, np.arange(3), noise=False)
    for inst, r in zip(instances, rewards, strict=True):
        assert tuple(float(v) for v in r) in as_set(family.pareto_front(inst).rewards)
        if family.config.relation != "tradeoff":
            assert np.all(r[: family.config.K] == 1)  # the best answer: every target
