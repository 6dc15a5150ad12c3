"""Our aggregators inside TRL's GRPOTrainer, with a tiny offline model on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("trl")

from agents.llm.offline import build_tiny_model  # noqa: E402
from llm_bridge.aggregators import aggregate  # noqa: E402
from llm_bridge.export import as_trl  # noqa: E402
from llm_bridge.pipeline import PipelineConfig  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402


def test_grpo_trainer_uses_our_aggregator(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig

    from agents.llm.trl_hook import VectorRewardGRPOTrainer

    torch.set_num_threads(1)
    path = build_tiny_model(tmp_path / "tiny")
    family = make_family("maze", size=7)
    export = as_trl(family, family.instances(0, 4), conversational=False)
    model = AutoModelForCausalLM.from_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def byte_sum(prompts: list, completions: list, **kwargs: object) -> list[float]:
        """An extra objective that varies within a group (a random model never reaches the maze's E)."""
        return [float(sum(c.encode()) % 7) for c in completions]

    funcs = [*export.reward_funcs, byte_sum]
    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=2,
                      max_completion_length=8, max_steps=1, learning_rate=1e-3, use_cpu=True, report_to=[],
                      logging_steps=1, save_strategy="no", seed=0, bf16=False)
    trainer = VectorRewardGRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=funcs,
                                      args=args, train_dataset=export.dataset,
                                      pipeline=PipelineConfig(aggregator="gdpo"))
    trainer.train()
    rewards = trainer.vec_last_rewards.cpu().numpy()  # [N, K]
    assert rewards.shape == (4, len(family.reward_names) + 1) and np.ptp(rewards[:, -1]) > 0
    expected = aggregate("gdpo", rewards.reshape(2, 2, -1))
    np.testing.assert_allclose(trainer.vec_last_advantages, expected, atol=1e-6)
    assert any(not torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_set_level_aggregator_is_refused() -> None:
    from agents.llm.trl_hook import VectorRewardGRPOTrainer

    with pytest.raises(ValueError, match="set-level"):
        VectorRewardGRPOTrainer(model="unused", pipeline=PipelineConfig(aggregator="vpo"))
