"""The numba kernel agrees with its plain-Python twin (noise included); hand-computed rows pin the rules."""

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structure_helpers import configs, twin_scores

from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.family import StructureFamily
from vecreward_envs.structure.scoring import canonical

EXAMPLES = int(os.environ.get("VECREWARD_TEST_EXAMPLES", "150"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs(), seed=st.integers(0, 2**40), data=st.data())
def test_kernel_equals_twin(config: StructureConfig, seed: int, data: st.DataObject) -> None:
    family = StructureFamily(config)
    instances = family.instances(seed, 3)
    n = data.draw(st.integers(1, 12))
    width = data.draw(st.integers(0, config.answer_len + 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    values = rng.integers(0, config.V, size=(n, width))  # mostly values, some STOP and tokens outside the vocab
    answers = np.where(rng.random((n, width)) < 0.85, values, rng.integers(-1, config.V + 2, size=(n, width)))
    if n > 1:
        answers[1] = answers[0]  # equal answers in two rows: different noise draws
    demos = np.full((3, width), config.V, dtype=np.int64)
    cut = min(width, config.answer_len + 1)
    demos[:, :cut] = family.demonstrations(instances)[:, :cut]
    answers = np.concatenate([answers, demos])
    idx = rng.integers(0, 3, size=answers.shape[0])
    for noise in (True, False):
        got = family.score_answers(instances, answers, idx, noise=noise)
        want = twin_scores(instances, answers, idx, noise=noise)
        assert got.dtype == np.float32 and got.shape == (answers.shape[0], len(config.reward_names))
        np.testing.assert_array_equal(got, want)
        assert np.all((got >= 0) & (got <= 1)) and not np.isnan(got).any()


def test_noise_is_a_pure_function_that_differs_by_row() -> None:
    family = StructureFamily(noise=0.3, noisy=(0, 1, 2))
    inst = family.instances(0, 1)
    answers = np.repeat(family.demonstrations(inst) * 0 + 1, 64, axis=0)  # 64 equal (wrong) answers, one group
    a = family.score_answers(inst, answers, np.zeros(64, np.int64))
    b = family.score_answers(inst, answers, np.zeros(64, np.int64))
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a[:, 0])) > 32  # different rows, different draws
    true = family.score_answers(inst, answers, np.zeros(64, np.int64), noise=False)
    assert len(np.unique(true[:, 0])) == 1
    eps = (a - true)[:, 0] / 0.3
    inside = (a[:, 0] > 0) & (a[:, 0] < 1)
    assert abs(eps[inside].mean()) < 0.5 and 0.5 < eps[inside].std() < 1.5


def test_hand_computed_rows() -> None:
    # V=5: values 0..3 and the flourish 4, circle of 4, half = 2; STOP = 5
    config = StructureConfig(K=3, m=2, granularity="binary,levels:3,continuous", proxy=True, saturating=True)
    family = StructureFamily(config)
    inst = family.generate(0)
    t = family.solution(inst)[:7]  # targets of the 6 match positions, then saturating (0)
    assert t[6] == 0
    wrong = (t + 2) % 4  # distance 2 everywhere: no credit
    near = (t + 1) % 4  # distance 1: half credit
    rows = np.array([
        t,  # every target: (1, 1, 1, sat 1, proxy 0)
        [t[0], wrong[1], t[2], wrong[3], near[4], t[5], 1],  # (0, 1/2 floored to 1/2, (0.5 + 1)/2, 0, 0)
        [4, 4, 4, t[3], 4, wrong[5], 0],  # (0, 0.5 -> 0.5, 0, 1, proxy 4/6)
        [t[0], t[1], 5, t[3], t[4], t[5], t[6]],  # STOP at position 3: the rest is absent
    ])
    got = family.score_answers([inst], rows, np.zeros(4, np.int64))
    np.testing.assert_allclose(got, [[1, 1, 1, 1, 0], [0, 0.5, 0.75, 0, 0], [0, 0.5, 0, 1, 4 / 6],
                                     [1, 0, 0, 0, 0]], rtol=0, atol=1e-7)


def test_canonical_ends_at_the_first_non_value() -> None:
    config = StructureConfig()
    rows = np.array([[0, 1, 5, 2, 3, 1, 5], [4, -1, 0, 0, 0, 0, 0], [1, 2, 3, 0, 1, 2, 5]])
    np.testing.assert_array_equal(canonical(rows, config), [[0, 1, 5, 5, 5, 5], [4, 5, 5, 5, 5, 5],
                                                            [1, 2, 3, 0, 1, 2]])
