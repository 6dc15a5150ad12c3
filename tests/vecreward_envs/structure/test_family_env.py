"""The family against its protocols, and RewardStructure-v0 (single and vector) through both checkers."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import vecreward_envs  # noqa: F401  (registers the ids)
from vecreward_envs.checker import check_env, check_vector_env
from vecreward_envs.families import make_family
from vecreward_envs.protocols import ParetoFronts, check_family, supports
from vecreward_envs.structure.family import StructureFamily

ENV_ID = "vecreward/RewardStructure-v0"
SETTINGS = [
    {},
    {"view": "text"},
    {"relation": "tradeoff", "noise": 0.3, "noisy": "0,2", "bottleneck": True, "saturating": True, "proxy": True,
     "granularity": "binary"},
    {"relation": "aligned", "K": 4, "granularity": "levels:3", "difficulty": "hard", "view": "text", "noise": 0.2},
]


def test_family_honours_its_protocols() -> None:
    family = make_family("structure", K="4", granularity="binary,levels:3,continuous,binary", noisy="1", proxy="true",
                         bottleneck=True)
    assert check_family(family) == [] and supports(family, ParetoFronts)
    assert family.reward_names == ("match/0", "match/1", "match/2", "match/3", "bottleneck", "proxy")
    assert family.success_objectives == (0, 1, 2, 3, 4)
    inst = family.generate(12)
    again = family.instance_from_row(family.task_row(inst))
    assert again.seed == 12 and again.config == family.config and np.array_equal(again.x, inst.x)
    assert family.generate(12).x.tolist() == inst.x.tolist()  # seeded
    assert family.generate(13).x.tolist() != inst.x.tolist() or family.generate(14).x.tolist() != inst.x.tolist()
    with pytest.raises(ValueError, match="not a structure task row"):
        family.instance_from_row({"family": "maze", "seed": 1})
    other = StructureFamily(K=2).generate(0)
    with pytest.raises(ValueError, match="this family's config"):
        family.score_answers([other], np.zeros((1, 3), np.int64), np.zeros(1, np.int64))


def test_cursor_writes_l_values_then_stop() -> None:
    family = StructureFamily(saturating=True)
    cursor = family.new_cursor(family.instances(0, 1), np.zeros(2, np.int64))
    length = family.max_answer_len([]) + 1
    assert cursor.n_features == length
    for t in range(length):
        valid = cursor.valid_moves()
        if t < length - 1:
            assert valid[0, :5].all() and not valid[0, 5]
            assert cursor.features()[0, t] == 1
        else:
            assert cursor.done.all() and valid.tolist() == [[False] * 5 + [True]] * 2
        if t > 2:  # row 1 wrote STOP at t = 2: finished, only STOP, the last feature column
            assert cursor.done[1] and valid[1].tolist() == [False] * 5 + [True] and cursor.features()[1, -1] == 1
        cursor.advance(np.array([1, 5 if t == 2 else 1]))


@pytest.mark.parametrize("kwargs", SETTINGS, ids=[str(s) for s in SETTINGS])
def test_env_passes_both_checkers(kwargs: dict) -> None:
    check_env(ENV_ID, make_kwargs=kwargs)
    env = gym.make(ENV_ID, **kwargs)
    gym_check_env(env.unwrapped, skip_render_check=False)
    venv = gym.make_vec(ENV_ID, num_envs=5, vectorization_mode="vector_entry_point", **kwargs)
    check_vector_env(venv, n_steps=6)


def test_env_step_info_and_true_reward() -> None:
    env = gym.make(ENV_ID, noise=0.5, noisy="0,1,2")
    obs, info = env.reset(seed=7)
    family = env.unwrapped.family
    assert obs.dtype == np.int16 and obs.tolist() == family.generate(7).x.tolist() and info["instance_seed"] == 7
    best = family.demonstrations([family.generate(7)])[0]
    _, reward, terminated, truncated, info = env.step(best)
    assert terminated and not truncated and info["applicable"].all()
    assert info["true_reward"].tolist() == [1.0, 1.0, 1.0] and not np.array_equal(reward, info["true_reward"])
    np.testing.assert_array_equal(info["pass"], reward >= 1)
    text = gym.make(ENV_ID, view="text")
    prompt, _ = text.reset(seed=7)
    assert "x0=" in prompt
    _, reward, _, _, info = text.step(family.format_answer(family.generate(7), best))
    assert reward.tolist() == [1.0, 1.0, 1.0] and info["parse_ok"]
    text.reset(seed=7)
    _, reward, _, _, info = text.step(12345)
    assert not reward.any() and not info["parse_ok"] and info["reason"]


def test_vector_rows_equal_the_single_env_and_groups_draw_their_own_noise() -> None:
    n = 6
    venv = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point", noise=0.4, noisy="0,1,2")
    venv.reset(options={"seeds": [5] * n})
    single = gym.make(ENV_ID, noise=0.4, noisy="0,1,2")
    answer = np.array([1, 1, 1, 1, 1, 1, 5])
    _, rewards, _, _, _ = venv.step(np.tile(answer, (n, 1)))
    single.reset(seed=5)
    _, first, _, _, info = single.step(answer)
    np.testing.assert_array_equal(rewards[0], first)  # row 0 = the single env's one row
    assert len({tuple(r) for r in rewards.tolist()}) == n  # a group of equal answers: n different noisy judgments
    np.testing.assert_array_equal(np.broadcast_to(info["true_reward"], (n, 3)),
                                  venv.unwrapped.family.score_answers([venv.unwrapped.instance(0)],
                                                                      np.tile(answer, (n, 1)), np.zeros(n, int),
                                                                      noise=False))
