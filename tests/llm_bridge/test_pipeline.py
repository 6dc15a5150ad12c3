"""PipelineConfig validation and run_pipeline's order of operations."""

import dataclasses

import numpy as np
import pytest

from llm_bridge.aggregators import aggregate
from llm_bridge.pipeline import PipelineConfig, TransformStep, run_pipeline
from llm_bridge.transforms import apply_gate_penalty, clip, gate, negative_only, rlcr_calibration

NAN = float("nan")
R = np.array([
    [[1, 1, 0], [0, 1, 1], [1, 0, 0], [1, 1, 1]],
    [[1, 0, 1], [1, 1, 0], [0, 0, 0], [1, NAN, 1]],
], dtype=float)


def test_default_pipeline_is_plain_grpo() -> None:
    np.testing.assert_array_equal(run_pipeline(PipelineConfig(), R), aggregate("grpo", R))


def test_steps_run_in_order() -> None:
    cfg = PipelineConfig(
        reward_transforms=[{"name": "gate", "params": {"objectives": [0], "mode": "penalty", "penalty": -3.0}}],
        aggregator="gdpo",
        aggregator_params={"eps": 1e-3},
        weights=(1, 2, 1),
        advantage_transforms=[("clip", {"low": -2.0, "high": 2.0}), "negative_only"],
    )
    gated = gate(R, objectives=[0], mode="penalty", penalty=-3.0)
    adv = aggregate("gdpo", gated, weights=[1, 2, 1], eps=1e-3)
    adv = apply_gate_penalty(adv, R, objectives=[0], penalty=-3.0)  # penalty right after the aggregator,
    expected = negative_only(clip(adv, low=-2.0, high=2.0))  # then the advantage transforms, clip included
    np.testing.assert_allclose(run_pipeline(cfg, R), expected)
    assert run_pipeline(cfg, R)[0, 1] == -2.0  # the penalty was clipped: it came before the clip


def test_rlcr_then_dr_grpo_like_the_reference() -> None:
    r = np.array([[[1, 1, 0.9], [1, 0, 0.9], [1, 0, 0.1], [1, 1, 0.6]]])  # [format, correct, confidence]
    cfg = PipelineConfig(
        reward_transforms=[("rlcr", {"correctness_index": 1, "confidence_index": 2})],
        aggregator="dr_grpo",
        weights=(0.5, 0.5, 0.5),
    )
    expected = aggregate("dr_grpo", rlcr_calibration(r, correctness_index=1, confidence_index=2),
                         weights=[0.5, 0.5, 0.5])
    np.testing.assert_allclose(run_pipeline(cfg, r), expected)


def test_rng_and_step_reach_the_aggregator() -> None:
    chains = R[:, :, None, :]
    cfg = PipelineConfig(aggregator="vpo")
    np.testing.assert_array_equal(run_pipeline(cfg, chains, rng=np.random.default_rng(3)),
                                  aggregate("vpo", chains, rng=np.random.default_rng(3)))
    cfg = PipelineConfig(aggregator="rvpo", aggregator_params={"total_steps": 10})
    np.testing.assert_array_equal(run_pipeline(cfg, R, step=5),
                                  aggregate("rvpo", R, step=5, total_steps=10))


def test_torch_round_trip() -> None:
    torch = pytest.importorskip("torch")
    out = run_pipeline(PipelineConfig(aggregator="gdpo"), torch.tensor(R, dtype=torch.float32))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), aggregate("gdpo", R), atol=1e-6)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"aggregator": "gdpoo"}, "unknown aggregator 'gdpoo'"),
    ({"aggregator_params": {"tau": 1.0}}, "grpo: unknown parameter\\(s\\) \\['tau'\\]"),
    ({"aggregator_params": {"eps": -1}}, "grpo: parameter 'eps' must be >= 0.0"),
    ({"reward_transforms": ["gatee"]}, "unknown reward transform 'gatee'"),
    ({"reward_transforms": [("gate", {"objective": [0]})]}, "unknown parameter\\(s\\) \\['objective'\\]"),
    ({"reward_transforms": ["gate"]}, "missing required parameter\\(s\\) \\['objectives'\\]"),
    ({"advantage_transforms": ["negative_onl"]}, "unknown advantage transform"),
    ({"advantage_transforms": [("clip", {"lo": 1})]}, "valid parameters: low, high"),
    ({"advantage_transforms": [42]}, "expected a name, \\(name, params\\) or a mapping"),
    ({"advantage_transforms": [{"nam": "clip"}]}, "a mapping needs 'name'"),
    ({"weights": [1, float("nan")]}, "weights must be a 1-D list of finite numbers"),
])
def test_config_is_validated_when_built(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PipelineConfig(**kwargs)


def test_config_is_frozen_and_from_dict() -> None:
    cfg = PipelineConfig.from_dict({"aggregator": "rvpo", "aggregator_params": {"tau": 1.0},
                                    "advantage_transforms": "negative_only"})
    assert cfg.advantage_transforms == (TransformStep("negative_only"),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.aggregator = "grpo"  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.aggregator_params["tau"] = 2.0  # type: ignore[index]
    with pytest.raises(ValueError, match="unknown key\\(s\\) \\['aggregate'\\]; valid keys: aggregator"):
        PipelineConfig.from_dict({"aggregate": "grpo"})
