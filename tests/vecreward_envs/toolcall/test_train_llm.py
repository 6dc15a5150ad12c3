"""The text view plugs into the LLM policy: imitation on the ground-truth completions, then one RL step (tiny GPT-2)."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from agents.llm.config import LLMPolicyConfig  # noqa: E402
from agents.llm.offline import build_tiny_model  # noqa: E402
from agents.llm.policy import HFPolicy  # noqa: E402
from llm_bridge.pipeline import PipelineConfig  # noqa: E402
from llm_bridge.trainer import TrainConfig, train  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402


def test_llm_policy_trains_on_text_view(tmp_path) -> None:  # noqa: ANN001
    torch.set_num_threads(1)
    model = build_tiny_model(tmp_path / "tiny", n_layer=1, n_embd=32, n_positions=6144)
    family = make_family("toolcall")
    texts = family.demonstration_texts(family.instances(0, 2))
    assert all(isinstance(d, str) for d in texts)  # the warm start of a text policy imitates completions
    config = TrainConfig(task="toolcall", pipeline=PipelineConfig(aggregator="grpo"), steps=1, batch_size=1,
                         group_size=2, train_instances=2, eval_instances=1, eval_samples=2, eval_every=1,
                         checkpoint_every=1, warm_start_steps=1)
    policy = HFPolicy(LLMPolicyConfig(model=str(model), max_new_tokens=8), seed=0)
    result = train(config, policy, family, tmp_path / "run", progress=False, tensorboard=False)
    assert result.last_eval["eval/invalid_rate"] == 1.0  # an untrained byte model does not write the format
    assert result.last_eval["eval/format/mean"] == 0.0
