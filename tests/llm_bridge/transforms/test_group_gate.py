"""The group-level rubric gate (DRO): hand-computed acceptance, NaN handling, every scheme, the pipeline."""

import numpy as np
import pytest

from llm_bridge.aggregators import AGGREGATORS, aggregate, get_spec, run_params
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from llm_bridge.transforms import get_transform, group_accept, group_gate, group_pass_share

NAN = np.nan
# Two objectives that count (0, 1) and a 0/1 rubric (2); three groups of G = 4.
R = np.array([
    [[1.0, 0.0, 1], [0.0, 1.0, 1], [0.5, 0.5, 1], [0.0, 0.0, 0]],  # rubric passes 3/4
    [[1.0, 1.0, 0], [0.0, 1.0, 0], [1.0, 0.0, 1], [0.5, 0.0, 0]],  # 1/4
    [[0.2, 0.4, 1], [0.6, 0.8, 0], [0.0, 0.0, NAN], [1.0, 1.0, 1]],  # 2 pass of 3 judged (NaN: not judged) = 2/3
])


def test_pass_share_and_acceptance_by_hand() -> None:
    np.testing.assert_allclose(group_pass_share(R, objectives=[2]), [0.75, 0.25, 2 / 3])
    np.testing.assert_array_equal(group_accept(R, objectives=[2]), [True, False, True])  # min_pass 0.5
    np.testing.assert_array_equal(group_accept(R, objectives=[2], min_pass=0.75), [True, False, False])
    np.testing.assert_array_equal(group_accept(R, objectives=[2], min_pass=2 / 3), [True, False, True])  # 2 of 3
    np.testing.assert_array_equal(group_accept(R, objectives=[2], min_pass=0.25, max_pass=0.5), [False, True, False])
    # graded rubric: objective 0 >= 0.5 passes in 2/4, 3/4, 2/4 rollouts
    np.testing.assert_allclose(group_pass_share(R, objectives=[0], threshold=0.5), [0.5, 0.75, 0.5])


def test_answers_the_rubric_does_not_apply_to_do_not_count() -> None:
    r = np.full((2, 3, 2), NAN)
    r[0, :, 0] = 1.0
    r[0, 0, 1] = 1.0  # group 0: one judged answer, passing -> share 1
    r[1, :, 0] = 0.5  # group 1: the rubric never applies -> NaN share, accepted (nothing to judge)
    np.testing.assert_allclose(group_pass_share(r, objectives=[1]), [1.0, NAN])
    np.testing.assert_array_equal(group_accept(r, objectives=[1], min_pass=1.0), [True, True])
    # a per-rollout gate listed first drops rollouts; the group gate then judges only the rollouts left
    gated = run_pipeline(PipelineConfig(aggregator="grpo", reward_transforms=[
        ("gate", {"objectives": [0], "threshold": 0.5}), ("group_gate", {"objectives": [2]})]), R)
    np.testing.assert_array_equal(gated[0], 0.0)  # group 0 keeps rollouts 0, 2 (rubric 1, 1): sums tie


def test_rejected_groups_are_all_nan_and_the_rubric_is_not_applicable() -> None:
    out = group_gate(R, objectives=[2])
    assert np.isnan(out[1]).all()  # rejected
    np.testing.assert_array_equal(out[[0, 2]][..., :2], R[[0, 2]][..., :2])  # accepted: points kept
    assert np.isnan(out[..., 2]).all()  # the rubric is never a point
    kept = group_gate(R, objectives=[2], keep_rubric=True)
    np.testing.assert_array_equal(kept[0], R[0])
    assert np.isnan(kept[1]).all()
    assert np.isnan(R).sum() == 1  # the input is not modified (it had its one NaN)


def test_advantages_by_hand_under_grpo() -> None:
    # group 0: sums of the counted objectives 1, 1, 1, 0 -> mean 0.75, sample std (ddof 1, GRPO's) 0.5
    adv = run_pipeline(PipelineConfig(aggregator="grpo", reward_transforms=[("group_gate", {"objectives": [2]})]), R)
    np.testing.assert_allclose(adv[0], [0.5, 0.5, 0.5, -1.5], atol=1e-3)
    np.testing.assert_array_equal(adv[1], 0.0)
    assert np.isfinite(adv).all()


@pytest.mark.parametrize("scheme", list(AGGREGATORS))
def test_a_rejected_group_has_advantage_zero_under_every_scheme(scheme: str) -> None:
    assert len(AGGREGATORS) == 16
    rng = np.random.default_rng(7)
    r = rng.random((3, 6, 4))  # objective 3 is the rubric
    r[..., 3] = [[1, 1, 1, 1, 0, 0], [1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0]]  # shares 4/6, 1/6, 3/6
    if get_spec(scheme).kind == "set_level":
        r = np.repeat(r[:, :, None, :], 3, axis=2)  # [B, G, m, K]: chains of three equal answers
    out = group_gate(r, objectives=[3])
    params = run_params(scheme, success_objectives=[0], total_steps=10)
    adv = aggregate(scheme, out, rng=np.random.default_rng(0), **params)
    assert adv.shape == (3, 6)
    np.testing.assert_array_equal(adv[1], 0.0)
    assert np.isfinite(adv).all()


def test_chains_share_counts_every_answer() -> None:
    chains = np.zeros((1, 2, 2, 2))
    chains[0, 0, :, 1] = 1  # 2 of the 4 answers pass
    np.testing.assert_allclose(group_pass_share(chains, objectives=[1]), [0.5])
    assert not np.isnan(group_gate(chains, objectives=[1])[..., 0]).any()
    assert np.isnan(group_gate(chains, objectives=[1], min_pass=0.75)).all()


@pytest.mark.parametrize(("params", "message"), [
    ({"objectives": [3]}, "out of range"),
    ({"objectives": [2], "min_pass": 1.5}, "'min_pass' is a share of a group and must lie in \\[0, 1\\]"),
    ({"objectives": [2], "max_pass": -0.1}, "'max_pass' is a share"),
    ({"objectives": [2], "min_pass": 0.8, "max_pass": 0.5}, "'min_pass' \\(0.8\\) must be <= 'max_pass' \\(0.5\\)"),
    ({"objectives": [2], "threshold": float("nan")}, "'threshold' must be a finite number"),
    ({"objectives": [2], "keep_rubric": "yes"}, "'keep_rubric' must be true or false"),
])
def test_bad_arguments_fail_in_one_line(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        group_gate(R, **params)
    assert "\n" not in str(info.value)


def test_registered_and_checked_by_the_pipeline() -> None:
    spec = get_transform("group_gate", "reward")
    assert spec.required_params == ("objectives",)
    with pytest.raises(ValueError, match="unknown parameter\\(s\\) \\['min_share'\\]"):
        PipelineConfig(reward_transforms=[("group_gate", {"objectives": [2], "min_share": 0.5})])
    with pytest.raises(ValueError, match="must be \\[B, G, K\\]"):
        group_gate(np.zeros((4, 3)), objectives=[0])
