"""The family plugs into the bridge: a few training steps of the small policy run end to end (no learning claim)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.small.config import SmallPolicyConfig  # noqa: E402
from agents.small.policy import SmallPolicy  # noqa: E402
from llm_bridge.pipeline import PipelineConfig  # noqa: E402
from llm_bridge.trainer import TrainConfig, train  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402

PARAMS = [({}, "grpo", 1), ({"relation": "tradeoff", "noise": "0.2", "proxy": True, "bottleneck": True}, "gdpo", 1),
          ({"relation": "tradeoff", "granularity": "binary"}, "vpo", 2)]


@pytest.mark.parametrize(("params", "aggregator", "chain"), PARAMS, ids=[p[1] for p in PARAMS])
def test_small_policy_trains(tmp_path, params: dict, aggregator: str, chain: int) -> None:  # noqa: ANN001
    torch.set_num_threads(1)
    family = make_family("structure", **params)
    config = TrainConfig(task="structure", task_params=params, pipeline=PipelineConfig(aggregator=aggregator),
                         steps=3, batch_size=4, group_size=4, chain_length=chain, train_instances=16,
                         eval_instances=4, eval_samples=4, eval_every=3, checkpoint_every=3, warm_start_steps=2)
    policy = SmallPolicy(family, family.generate(0), SmallPolicyConfig(hidden=32), seed=0)
    result = train(config, policy, family, tmp_path / "run", progress=False, tensorboard=False)
    for name in family.reward_names:
        assert 0.0 <= result.last_eval[f"eval/{name}/mean"] <= 1.0
    assert np.isfinite(result.last_eval["eval/hypervolume"])
