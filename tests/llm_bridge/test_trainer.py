import json

import numpy as np
import pytest
import torch

from agents.small import SmallPolicy, SmallPolicyConfig
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.trainer import TrainConfig, train
from llm_bridge.update import PPOConfig
from vecreward_envs.families import make_family
from vecreward_envs.probes.choice import FRONT

torch.set_num_threads(1)


def _probe_run(aggregator: str, tmp_path, seed: int = 0, steps: int = 60):  # noqa: ANN001, ANN202
    family = make_family("probe")
    config = TrainConfig(task="probe", pipeline=PipelineConfig(aggregator=aggregator), steps=steps, batch_size=8,
                         group_size=8, train_instances=8, eval_instances=2, eval_every=20, checkpoint_every=20,
                         seed=seed)
    policy = SmallPolicy(family, family.generate(0), seed=seed)
    result = train(config, policy, family, tmp_path / f"{aggregator}-{seed}", progress=False, tensorboard=False)
    return policy, family, result


@pytest.mark.parametrize("aggregator", ["grpo", "gdpo"])
def test_probe_converges_to_the_front(aggregator: str, tmp_path) -> None:  # noqa: ANN001
    for seed in range(3):
        policy, family, _ = _probe_run(aggregator, tmp_path, seed)
        choices = policy.sample(family, family.instances(0, 4), 64).answers[:, :, 0, 0].reshape(-1)
        on_front = np.isin(choices, FRONT).mean()
        assert on_front >= 0.9, (aggregator, seed, np.bincount(choices))


def test_resume_gives_the_same_numbers(tmp_path) -> None:  # noqa: ANN001
    family = make_family("maze")
    config = TrainConfig(pipeline=PipelineConfig(aggregator="vpo", aggregator_params={"n_weights": 16}), steps=6,
                         batch_size=4, group_size=4, chain_length=2, train_instances=16, eval_instances=2,
                         eval_samples=4, eval_every=3, checkpoint_every=3, warm_start_steps=2)

    def policy() -> SmallPolicy:
        return SmallPolicy(family, family.generate(0), SmallPolicyConfig(hidden=32), seed=0)

    straight = train(config, policy(), family, tmp_path / "straight", progress=False, tensorboard=False)
    # an interrupted run: stop after 4 steps (last checkpoint at step 2), then resume
    interrupted = tmp_path / "resumed"

    class Stop(Exception):
        pass

    def stop_at(step: int, row: dict) -> None:
        if step == 3:
            raise Stop

    with pytest.raises(Stop):
        train(config, policy(), family, interrupted, progress=False, tensorboard=False, on_step=stop_at)
    resumed = train(config, policy(), family, interrupted, resume=True, progress=False, tensorboard=False)
    assert [row["step"] for row in resumed.history] == list(range(6))
    assert json.dumps(resumed.history, sort_keys=True) == json.dumps(straight.history, sort_keys=True)
    with pytest.raises(FileExistsError):
        train(config, policy(), family, interrupted, progress=False, tensorboard=False)
    changed = TrainConfig(**{**config.__dict__, "steps": 7})
    with pytest.raises(ValueError, match="config differs"):
        train(changed, policy(), family, interrupted, resume=True, progress=False, tensorboard=False)


def test_maze_learns_to_reach_the_exit(tmp_path) -> None:  # noqa: ANN001
    """Short budget: imitation warm start then GRPO keeps completion high on held-out mazes."""
    family = make_family("maze")
    config = TrainConfig(steps=40, batch_size=16, group_size=8, train_instances=256, eval_instances=16,
                         eval_every=40, checkpoint_every=40, warm_start_steps=100)
    policy = SmallPolicy(family, family.generate(0), seed=0)
    result = train(config, policy, family, tmp_path / "maze", progress=False, tensorboard=False)
    assert result.last_eval["eval/completion/mean"] >= 0.8
    history = result.history
    assert {"rewards/gold/mean", "train/loss", "train/zero_spread_fraction", "eval/hypervolume"} <= set(
        k for row in history for k in row)


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="chain_length"):
        TrainConfig(chain_length=3)  # grpo scores single answers
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="unknown aggregator"):
        TrainConfig(pipeline=PipelineConfig(aggregator="nope"))


def test_warm_start_needs_demonstrations(tmp_path) -> None:  # noqa: ANN001
    family = make_family("probe")
    config = TrainConfig(task="probe", steps=1, warm_start_steps=5, train_instances=4, eval_instances=1)
    with pytest.raises(ValueError, match="'probe' has no Demonstrations .warm_start_steps needs it"):
        train(config, SmallPolicy(family, family.generate(0)), family, tmp_path / "x", progress=False,
              tensorboard=False)


def test_kl_reference_is_used() -> None:
    family = make_family("probe")
    policy = SmallPolicy(family, family.generate(0), SmallPolicyConfig(ppo=PPOConfig(kl_coef=0.5)))
    samples = policy.sample(family, family.instances(0, 2), 4)
    stats = policy.update(samples, np.ones((2, 4)))
    assert samples.policy_data.ref_logp is not None and stats["train/kl"] >= 0.0


def test_eval_at_start_logs_the_policy_after_its_warm_start(tmp_path) -> None:  # noqa: ANN001
    from llm_bridge.trainer import evaluate

    family = make_family("maze", size=7)
    config = TrainConfig(task="maze", task_params={"size": 7}, steps=2, batch_size=4, group_size=4,
                         eval_instances=3, eval_samples=4, eval_every=2, checkpoint_every=2, warm_start_steps=3,
                         eval_at_start=True, seed=5)
    policy = SmallPolicy(family, family.generate(0), seed=5)
    result = train(config, policy, family, tmp_path / "run", progress=False, tensorboard=False)
    first = result.history[0]
    starts = {k: v for k, v in first.items() if k.startswith("start/eval/")}
    assert "start/eval/best@1" in starts and "start/eval/completion/mean" in starts
    assert not any(k.startswith("start/") for row in result.history[1:] for k in row)
    # the numbers are those of the warm-started policy before any RL step: redo the warm start, then evaluate
    again = SmallPolicy(family, family.generate(0), seed=5)
    pool = family.instances(config.train_first_seed, config.train_instances)
    demo_rng = np.random.default_rng([5, 3])
    for _ in range(3):
        batch = [pool[i] for i in demo_rng.integers(len(pool), size=4)]
        again.imitate(family, batch, family.demonstrations(batch))
    from llm_bridge import metrics as M

    names = tuple(family.reward_names)
    low, high = np.asarray(family.reward_low, float), np.asarray(family.reward_high, float)
    expected = evaluate(again, family, family.instances(config.eval_first_seed, 3), config,
                        M.dirichlet_weights(len(names), 100, np.random.default_rng([5, 7])), low - 0.1 * (high - low))
    assert starts == pytest.approx({f"start/{k}": v for k, v in expected.metrics.items()}, nan_ok=True)
    assert "eval_at_start" in json.loads((tmp_path / "run" / "config.json").read_text())
    off = TrainConfig(task="maze", steps=2)
    assert "eval_at_start" not in off.to_dict()  # runs without it keep their earlier config form
    with pytest.raises(ValueError, match="eval_at_start must be a bool"):
        TrainConfig(eval_at_start=1)  # type: ignore[arg-type]
