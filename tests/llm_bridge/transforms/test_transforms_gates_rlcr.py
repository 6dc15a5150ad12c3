"""Reward transforms: rubric gates (drop / penalty / condition) and the RLCR calibration objective."""

import numpy as np
import pytest

from llm_bridge.aggregators import aggregate
from llm_bridge.transforms import (
    ADVANTAGE_TRANSFORMS,
    REWARD_TRANSFORMS,
    apply_gate_penalty,
    gate,
    gate_mask,
    get_transform,
    rlcr_calibration,
)

NAN = float("nan")
# Objective 0 is a constraint (format passed); 1 and 2 are points.
R = np.array([[[1, 1, 0], [0, 1, 1], [1, 0, 0], [NAN, 0, 1]]], dtype=float)


def test_registries() -> None:
    assert set(REWARD_TRANSFORMS) == {"gate", "group_gate", "rlcr"}
    assert set(ADVANTAGE_TRANSFORMS) == {"negative_only", "positive_only", "clip"}
    with pytest.raises(ValueError, match="unknown reward transform 'gates'; valid names: gate, group_gate, rlcr"):
        get_transform("gates", "reward")
    with pytest.raises(ValueError, match="unknown parameter\\(s\\) \\['modes'\\]; valid parameters: objectives, mode"):
        get_transform("gate", "reward")(R, objectives=[0], modes="drop")
    with pytest.raises(ValueError, match="missing required parameter\\(s\\) \\['objectives'\\]"):
        get_transform("gate", "reward")(R)


def test_gate_mask_treats_nan_as_not_applicable() -> None:
    np.testing.assert_array_equal(gate_mask(R, objectives=[0]), [[True, False, True, True]])
    np.testing.assert_array_equal(gate_mask(R, objectives=[0, 1]), [[True, False, False, False]])
    np.testing.assert_array_equal(gate_mask(R, objectives=0, threshold=0.0), [[True, True, True, True]])


def test_drop_normalizes_the_passing_rollouts_among_themselves() -> None:
    out = gate(R, objectives=[0], mode="drop")
    assert np.isnan(out[0, 1]).all() and not np.isnan(out[0, 0]).any()
    assert not np.isnan(R).all(-1).any()  # the input is untouched
    adv = aggregate("dr_grpo", out)
    # Passing sums (2, 1, 1) -> centred (2/3, -1/3, -1/3); the failing rollout gets 0.
    np.testing.assert_allclose(adv, [[2 / 3, 0, -1 / 3, -1 / 3]], atol=1e-12)


def test_penalty_sets_failing_advantages_after_aggregation() -> None:
    gated = gate(R, objectives=[0], mode="penalty")
    np.testing.assert_array_equal(np.isnan(gated), np.isnan(gate(R, objectives=[0], mode="drop")))
    adv = apply_gate_penalty(aggregate("dr_grpo", gated), R, objectives=[0], penalty=-2.0)
    np.testing.assert_allclose(adv, [[2 / 3, -2.0, -1 / 3, -1 / 3]], atol=1e-12)
    with pytest.raises(ValueError, match="'penalty' is the advantage of a failing rollout and must be <= 0"):
        gate(R, objectives=[0], mode="penalty", penalty=1.0)


def test_condition_zeroes_the_easy_objectives_when_the_hard_one_fails() -> None:
    out = gate(R, objectives=[0], mode="condition")
    np.testing.assert_array_equal(out[0, 1], [0, 0, 0])  # failing: objectives 1 and 2 count 0
    np.testing.assert_array_equal(out[0, 0], R[0, 0])
    out = gate(R, objectives=[0], mode="condition", conditioned=[2], fill=-1.0)
    np.testing.assert_array_equal(out[0, 1], [0, 1, -1])
    # A conditioned objective that is not applicable stays NaN.
    r = np.array([[[0, NAN, 1]]])
    np.testing.assert_array_equal(np.isnan(gate(r, objectives=[0], mode="condition")[0, 0]), [False, True, False])


@pytest.mark.parametrize(("params", "message"), [
    ({"objectives": [0], "mode": "soft"}, "'mode' must be one of"),
    ({"objectives": []}, "non-empty list of objective indices"),
    ({"objectives": [3]}, "out of range for K=3"),
    ({"objectives": ["0"]}, "non-empty list of objective indices"),
    ({"objectives": [0], "conditioned": [1]}, "'conditioned' only applies to mode='condition'"),
    ({"objectives": [0], "mode": "condition", "conditioned": [0, 1]}, "cannot both gate and be conditioned"),
    ({"objectives": [0], "threshold": float("inf")}, "'threshold' must be a finite number"),
])
def test_gate_bad_arguments(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gate(R, **params)


def test_gate_works_on_chains() -> None:
    chains = np.stack([R, R], axis=2)  # [B, G, m=2, K]
    out = gate(chains, objectives=[0], mode="drop")
    assert np.isnan(out[0, 1]).all()  # both answers of rollout 1 fail -> missing answers
    with pytest.raises(ValueError, match="penalty mode needs rewards \\[B, G, K\\]"):
        apply_gate_penalty(np.zeros((1, 4)), chains, objectives=[0])


def test_rlcr_replaces_the_confidence_column() -> None:
    # [format, correct, confidence]
    r = np.array([[[1, 1, 0.9], [1, 0, 0.9], [1, 0, 0.1], [0, 1, NAN]]])
    out = rlcr_calibration(r, correctness_index=1, confidence_index=2)
    np.testing.assert_allclose(out[0, :3, 2], [1 - 0.01, 1 - 0.81, 1 - 0.01])
    assert np.isnan(out[0, 3, 2]) and out.shape == r.shape
    np.testing.assert_array_equal(out[..., :2], r[..., :2])
    neg = rlcr_calibration(r, correctness_index=1, confidence_index=2, form="neg_brier")
    np.testing.assert_allclose(neg[0, :3, 2], [-0.01, -0.81, -0.01])
    kept = rlcr_calibration(r, correctness_index=1, confidence_index=2, keep_confidence=True)
    assert kept.shape == (1, 4, 4)
    np.testing.assert_array_equal(kept[..., :3], r)
    # The two forms differ by a constant: where the calibration objective applies to every rollout, any
    # group-centred aggregator gives identical advantages.
    np.testing.assert_allclose(aggregate("dr_grpo", out[:, :3]), aggregate("dr_grpo", neg[:, :3]), atol=1e-12)


def test_rlcr_explicit_confidence_appends() -> None:
    r = np.array([[[1.0], [0.0]]])
    out = rlcr_calibration(r, correctness_index=0, confidence=[[0.5, 0.25]])
    np.testing.assert_allclose(out, [[[1.0, 0.75], [0.0, 1 - 0.0625]]])


def test_rlcr_expected_reward_peaks_at_the_true_probability() -> None:
    # E[c + 1 - (q - c)^2] over c ~ Bernoulli(p) is maximized at q = p and increases with p (proper + monotone).
    q = np.linspace(0, 1, 101)
    for p in (0.2, 0.5, 0.9):
        cal = [p * rlcr_calibration(np.array([[[1.0, qq]]]), correctness_index=0, confidence_index=1)[0, 0, 1]
               + (1 - p) * rlcr_calibration(np.array([[[0.0, qq]]]), correctness_index=0,
                                            confidence_index=1)[0, 0, 1] for qq in q]
        assert q[int(np.argmax(cal))] == pytest.approx(p)


@pytest.mark.parametrize(("params", "message"), [
    ({"correctness_index": 1}, "give exactly one of confidence_index"),
    ({"correctness_index": 1, "confidence_index": 2, "confidence": [[0.5] * 4]}, "give exactly one"),
    ({"correctness_index": 1, "confidence_index": 1}, "must differ"),
    ({"correctness_index": 1, "confidence": [[0.5, 0.5]]}, "confidence must have shape \\(1, 4\\)"),
    ({"correctness_index": 1, "confidence_index": 2, "form": "log"}, "'form' must be one of"),
    ({"correctness_index": 0, "confidence_index": 2}, None),  # fine: format column used as correctness
])
def test_rlcr_bad_arguments(params: dict, message: str | None) -> None:
    r = np.array([[[1, 1, 0.9], [1, 0, 0.9], [1, 0, 0.1], [0, 1, 0.5]]])
    if message is None:
        rlcr_calibration(r, **params)
        return
    with pytest.raises(ValueError, match=message):
        rlcr_calibration(r, **params)


def test_rlcr_rejects_values_outside_the_unit_interval() -> None:
    with pytest.raises(ValueError, match="confidence must lie in \\[0, 1\\]"):
        rlcr_calibration(np.array([[[1, 1.5]]]), correctness_index=0, confidence_index=1)
    with pytest.raises(ValueError, match="correctness must lie in \\[0, 1\\]"):
        rlcr_calibration(np.array([[[2, 0.5]]]), correctness_index=0, confidence_index=1)
    with pytest.raises(ValueError, match="infinite"):
        rlcr_calibration(np.array([[[np.inf, 0.5]]]), correctness_index=0, confidence_index=1)
