"""The family plugs into the bridge: a few training steps of the small policy (structured view) run end to end."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.small.config import SmallPolicyConfig  # noqa: E402
from agents.small.policy import SmallPolicy  # noqa: E402
from llm_bridge.pipeline import PipelineConfig  # noqa: E402
from llm_bridge.trainer import TrainConfig, train  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402


@pytest.mark.parametrize("aggregator", ["grpo", "rvpo"])
def test_small_policy_trains(tmp_path, aggregator: str) -> None:  # noqa: ANN001
    torch.set_num_threads(1)
    params = {"min_constraints": 5, "max_constraints": 6, "bottleneck": "max_calls"}
    family = make_family("toolcall", **params)
    config = TrainConfig(task="toolcall", task_params=params, pipeline=PipelineConfig(aggregator=aggregator),
                         steps=3, batch_size=4, group_size=4, train_instances=16, eval_instances=4, eval_samples=4,
                         eval_every=3, checkpoint_every=3, warm_start_steps=2)
    policy = SmallPolicy(family, family.generate(0), SmallPolicyConfig(hidden=32), seed=0)
    result = train(config, policy, family, tmp_path / "run", progress=False, tensorboard=False)
    assert 0.0 <= result.last_eval["eval/constraint/max_calls/mean"] <= 1.0
    assert np.isfinite(result.last_eval["eval/tool_name/mean"])
