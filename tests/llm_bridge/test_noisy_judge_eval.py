"""Held-out evaluation scores a noisy judge's family with its true rewards; training scores with the judge."""

import numpy as np

from llm_bridge.policy import Samples
from llm_bridge.rollout import score
from vecreward_envs.families import make_family
from vecreward_envs.protocols import NoisyJudge, supports


def test_truth_uses_the_noise_free_rewards_in_both_views() -> None:
    family = make_family("structure", noise=0.5)
    assert supports(family, NoisyJudge)
    instances = family.instances(0, 3)
    best = family.demonstrations(instances)  # [B, L+1]: every match objective right
    b, g = len(instances), 6
    answers = np.repeat(best[:, None, None, :], g, axis=1)  # [B, G, 1, L+1]
    samples = Samples(answers=answers, logprob=np.zeros((b, g)), n_tokens=np.zeros((b, g)), policy_data=None)
    judged = score(family, instances, samples, view="structured").rewards
    true = score(family, instances, samples, view="structured", truth=True).rewards
    assert np.all(true[..., : family.config.K] == 1.0)  # the answer is right: 1 on every match objective
    assert not np.all(judged == true)  # the judge's draws scatter around it
    texts = [[family.format_answer(inst, best[i])] * g for i, inst in enumerate(instances)]
    text = Samples(answers=texts, logprob=np.zeros((b, g)), n_tokens=np.zeros((b, g)), policy_data=None)
    np.testing.assert_array_equal(score(family, instances, text, view="text", truth=True).rewards, true)


def test_families_without_a_judge_score_the_same_either_way() -> None:
    family = make_family("structure")  # noise 0: the judge is exact
    instances = family.instances(0, 2)
    answers = np.repeat(family.demonstrations(instances)[:, None, None, :], 3, axis=1)
    samples = Samples(answers=answers, logprob=np.zeros((2, 3)), n_tokens=np.zeros((2, 3)), policy_data=None)
    np.testing.assert_array_equal(score(family, instances, samples, view="structured").rewards,
                                  score(family, instances, samples, view="structured", truth=True).rewards)
