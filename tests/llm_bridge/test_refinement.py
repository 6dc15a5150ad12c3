"""Critique-guided refinement: the shaped off-policy update, the pick rule, the config and the trainer's step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.small.multitask import MultiTaskSmallPolicy  # noqa: E402
from agents.small.policy import SmallPolicy  # noqa: E402
from llm_bridge.policy import Refining  # noqa: E402
from llm_bridge.ppo_config import PPOConfig  # noqa: E402
from llm_bridge.refinement import RefineConfig, failed_objectives, pick_answers  # noqa: E402
from llm_bridge.trainer import TrainConfig, config_from_dict, rl_step, train  # noqa: E402
from llm_bridge.update import ppo_update  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402


def _update(logits0: torch.Tensor, mask: torch.Tensor, adv: torch.Tensor, off: torch.Tensor | None,
            gamma: float = 0.1) -> tuple[dict[str, float], torch.Tensor]:
    """One ppo_update step where the parameters are the token log-probs themselves; returns stats and the grad."""
    theta = torch.nn.Parameter(logits0.clone())
    opt = torch.optim.SGD([theta], lr=0.0)  # lr 0: read the gradient, keep the parameters
    stats = ppo_update([theta], opt, lambda rows: (theta[rows], torch.zeros_like(theta[rows])), logits0.clone(),
                       mask, adv, PPOConfig(max_grad_norm=0.0), off_policy=off, shaping_gamma=gamma)
    return stats, theta.grad.detach().clone()


def test_off_policy_rows_get_the_shaping_weight_and_its_hand_computed_gradient() -> None:
    logp = torch.log(torch.tensor([[0.5, 0.05, 0.9], [0.2, 0.3, 0.6]]))  # [N=2, T=3]
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    adv = torch.tensor([1.5, -0.5])
    gamma = 0.1
    stats, grad = _update(logp, mask, adv, torch.tensor([True, False]), gamma)
    p = logp.exp()
    tokens = mask.sum()
    # row 0 (off-policy): loss -A f(p), d/dlogp = -A * gamma p / (p + gamma)^2, no clipping
    expected0 = -adv[0] * gamma * p[0] / (p[0] + gamma) ** 2 / tokens
    # row 1 (on-policy, ratio 1 at the start): d/dlogp of -A * ratio = -A
    expected1 = -adv[1] * mask[1] / tokens
    torch.testing.assert_close(grad[0], expected0)
    torch.testing.assert_close(grad[1], expected1)
    loss = (-(adv[0] * p[0] / (p[0] + gamma)).sum() - adv[1] * 2.0) / tokens
    assert stats["train/loss"] == pytest.approx(float(loss), rel=1e-6)
    assert stats["train/off_policy_prob"] == pytest.approx(float(p[0].mean()), rel=1e-6)


def test_no_off_policy_rows_is_the_plain_update() -> None:
    gen = torch.Generator().manual_seed(0)
    logp = torch.log(torch.rand(4, 5, generator=gen) * 0.9 + 0.05)
    mask = torch.ones(4, 5)
    adv = torch.tensor([1.0, -1.0, 0.5, 0.0])
    plain_stats, plain_grad = _update(logp, mask, adv, None)
    none_stats, none_grad = _update(logp, mask, adv, torch.zeros(4, dtype=torch.bool))
    assert torch.equal(plain_grad, none_grad)
    assert plain_stats["train/loss"] == none_stats["train/loss"]


def test_off_policy_argument_is_validated() -> None:
    logp = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="off_policy must be bool"):
        _update(logp, torch.ones(2, 3), torch.zeros(2), torch.tensor([1, 0]))
    with pytest.raises(ValueError, match="shaping_gamma must be > 0"):
        _update(logp, torch.ones(2, 3), torch.zeros(2), torch.tensor([True, False]), gamma=0.0)


def test_pick_prefers_failed_answers_and_is_seeded() -> None:
    failed = np.zeros((2, 4, 3), dtype=bool)
    failed[0, 1, 0] = failed[0, 3, 2] = True  # group 0: answers 1 and 3 failed
    picks = pick_answers(failed, 2, np.random.default_rng(0))
    assert sorted(picks[0]) == [1, 3]
    assert len(set(picks[1])) == 2  # group 1: nothing failed, two distinct passing answers
    again = pick_answers(failed, 2, np.random.default_rng(0))
    assert np.array_equal(picks, again)
    picks3 = pick_answers(failed, 3, np.random.default_rng(1))
    assert set(picks3[0][:2]) == {1, 3}
    with pytest.raises(ValueError, match="cannot refine 5"):
        pick_answers(failed, 5, np.random.default_rng(0))


def test_nan_is_not_failed() -> None:
    family = make_family("toolcall")
    rewards = np.array([[1.0, np.nan, 0.5]], dtype=np.float32)
    k = len(family.reward_names)
    full = np.ones((1, k), dtype=np.float32)
    full[0, :3] = rewards
    assert failed_objectives(family, full)[0].tolist() == [False, False, True] + [False] * (k - 3)


def test_config_round_trip_and_plain_form_unchanged() -> None:
    plain = TrainConfig(task="toolcall")
    assert "refine" not in plain.to_dict()
    config = TrainConfig(task="toolcall", group_size=6, refine=RefineConfig(answers=2, shaping_gamma=0.2))
    data = config.to_dict()
    assert data["refine"] == {"answers": 2, "shaping_gamma": 0.2}
    assert config_from_dict(data) == config
    with pytest.raises(ValueError, match="cannot refine 7 answers"):
        TrainConfig(task="toolcall", group_size=6, refine=RefineConfig(answers=7))
    with pytest.raises(ValueError, match="single answers"):
        TrainConfig(task="maze", chain_length=3, pipeline=config.pipeline.__class__(aggregator="vpo"),
                    refine=RefineConfig())
    with pytest.raises(ValueError, match="answers must be an int >= 1"):
        RefineConfig(answers=0)
    with pytest.raises(ValueError, match="shaping_gamma must be a finite number > 0"):
        RefineConfig(shaping_gamma=float("nan"))


def _tiny(task: str = "toolcall", **kwargs: object) -> TrainConfig:
    return TrainConfig(task=task, steps=4, batch_size=3, group_size=4, eval_instances=2, eval_samples=4,
                       eval_every=2, checkpoint_every=2, train_instances=16, refine=RefineConfig(answers=2), **kwargs)


def test_small_policy_refines_every_family_with_pass_flags_and_resumes_exactly(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    family = make_family("toolcall")
    config = _tiny()
    whole = train(config, SmallPolicy(family, family.generate(0), seed=0, feedback=True), family,
                  tmp_path / "whole", progress=False, tensorboard=False)
    row = whole.history[-1]
    for key in ("refine/fixed_rate", "refine/reward_gain", "train/off_policy_prob"):
        assert np.isfinite(row[key]), key
    # a 2-step run, then the same run resumed to 4 steps: the same numbers
    half = TrainConfig(**{**config.__dict__, "steps": 2})
    train(half, SmallPolicy(family, family.generate(0), seed=0, feedback=True), family, tmp_path / "split",
          progress=False, tensorboard=False)
    (tmp_path / "split" / "config.json").write_text((tmp_path / "whole" / "config.json").read_text())
    resumed = train(config, SmallPolicy(family, family.generate(0), seed=0, feedback=True), family,
                    tmp_path / "split", resume=True, progress=False, tensorboard=False)
    assert resumed.history[-1]["train/loss"] == pytest.approx(row["train/loss"], rel=1e-6)
    assert resumed.history[-1]["refine/fixed_rate"] == row["refine/fixed_rate"]


def test_a_plain_small_policy_is_initialized_as_before() -> None:
    family = make_family("maze", size=7)
    plain = SmallPolicy(family, family.generate(0), seed=3)
    with_feedback = SmallPolicy(family, family.generate(0), seed=3, feedback=True)
    for a, b in zip(plain.net.state_dict().values(), with_feedback.net.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert with_feedback.feedback_layer is not None and plain.feedback_layer is None


def test_a_policy_without_feedback_fails_in_one_line(tmp_path: Path) -> None:
    family = make_family("toolcall")
    with pytest.raises(ValueError, match=r"feedback=True") as err:
        train(_tiny(), SmallPolicy(family, family.generate(0), seed=0), family, tmp_path / "run", progress=False,
              tensorboard=False)
    assert "\n" not in str(err.value)


def test_multitask_policy_forwards_refinement() -> None:
    torch.set_num_threads(1)
    maze, tool = make_family("maze", size=7), make_family("toolcall")
    policy = MultiTaskSmallPolicy({"maze": maze, "toolcall": tool}, seed=0, feedback=True)
    assert isinstance(policy, Refining)
    config = _tiny()
    instances = tool.instances(0, 3)
    row = rl_step(policy, tool, instances, config, config.pipelines(1), np.random.default_rng(0), 0)
    assert np.isfinite(row["refine/reward_gain"]) and np.isfinite(row["train/loss"])
