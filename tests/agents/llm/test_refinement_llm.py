"""HFPolicy's critique-guided refinement on a tiny GPT-2 (byte tokenizer, CPU, no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from agents.llm.config import LLMPolicyConfig  # noqa: E402
from agents.llm.offline import TINY_CHAT_TEMPLATE, build_tiny_model  # noqa: E402
from agents.llm.policy import HFPolicy, feedback_text  # noqa: E402
from llm_bridge.policy import Refining  # noqa: E402
from llm_bridge.refinement import RefineConfig  # noqa: E402
from llm_bridge.trainer import TrainConfig, train  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"))


def _policy(path: Path, **kwargs: object) -> HFPolicy:
    torch.set_num_threads(1)
    return HFPolicy(LLMPolicyConfig(model=str(path), max_new_tokens=10, lr=1e-3, **kwargs), seed=0)


def test_refinement_prompt_is_a_multi_turn_chat_with_a_template(tmp_path: Path) -> None:
    policy = _policy(build_tiny_model(tmp_path / "chat", chat_template=TINY_CHAT_TEMPLATE))
    text = policy.refinement_prompt("solve it", "<answer>UP</answer>", feedback_text({"gold": "collected 0 of 2"}))
    assert text.startswith("<|user|>\nsolve it\n<|assistant|>\n<answer>UP</answer>\n<|user|>\nFeedback on your "
                           "answer: it failed these objectives.\n- gold: collected 0 of 2")
    assert text.endswith("<|assistant|>\n")


def test_refinement_prompt_without_template_continues_the_text(tiny_dir: Path) -> None:
    policy = _policy(tiny_dir)
    text = policy.refinement_prompt("P:", "<answer>UP</answer>", feedback_text({}))
    assert text.startswith("P:<answer>UP</answer>\n\nFeedback on your answer: it met every objective.")


def test_join_rebases_refinements_on_the_original_prompt(tiny_dir: Path) -> None:
    family = make_family("maze", size=7)
    policy = _policy(tiny_dir)
    assert isinstance(policy, Refining)
    instances = family.instances(0, 2)
    first = policy.sample(family, instances, 3)
    rewards = np.zeros((2, 3, len(family.reward_names)), dtype=np.float32)
    picks = np.array([[2], [0]])
    again = policy.refine(family, instances, first, rewards, picks)
    assert len(again.answers) == 2 and all(len(g) == 1 for g in again.answers)
    mixed = policy.join(first, again, 0.1)
    data = mixed.policy_data
    assert data.off_policy.tolist() == [False, False, False, True] * 2
    assert len(mixed.answers[0]) == 4
    # the refined row of group 1: its original prompt, then the refinement's tokens, scored in that context
    row = data.rollout
    prompt = policy.render_prompt(family.prompt(instances[1]))
    ids = row.input_ids[7][row.attention_mask[7] > 0].tolist()
    prompt_ids = policy.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert ids[:len(prompt_ids)] == prompt_ids
    generated = again.policy_data
    gen_ids = generated.input_ids[1, generated.prompt_len:][generated.mask[1] > 0].tolist()
    assert ids[len(prompt_ids):] == gen_ids
    stats = policy.update(mixed, np.array([[1.0, -1.0, 0.0, 0.5], [0.5, 0.0, -0.5, 1.0]], dtype=np.float32))
    assert np.isfinite(stats["train/off_policy_prob"]) and stats["train/grad_norm"] > 0


@pytest.mark.parametrize("task, params", [("toolcall", {}), ("codetests", {})])
def test_lm_refines_every_family_with_messages(tiny_dir: Path, tmp_path: Path, task: str, params: dict) -> None:
    family = make_family(task, **params)
    if task == "toolcall":  # its prompts are about 5,000 bytes: the refinement turn needs a longer context
        tiny_dir = build_tiny_model(tmp_path / "long", n_positions=12288)
    config = TrainConfig(task=task, task_params=params, steps=1, batch_size=2, group_size=2, eval_instances=2,
                         eval_samples=2, eval_every=1, train_instances=4, refine=RefineConfig(answers=2))
    result = train(config, _policy(tiny_dir), family, tmp_path / "run", progress=False, tensorboard=False)
    assert np.isfinite(result.history[-1]["refine/reward_gain"])


def test_lm_refinement_trains_on_families_with_messages_and_refuses_others(tiny_dir: Path, tmp_path: Path) -> None:
    family = make_family("maze", size=7)
    config = TrainConfig(task="maze", task_params={"size": 7}, steps=1, batch_size=2, group_size=2,
                         eval_instances=2, eval_samples=2, eval_every=1, train_instances=4,
                         refine=RefineConfig(answers=1))
    result = train(config, _policy(tiny_dir), family, tmp_path / "run", progress=False, tensorboard=False)
    assert "refine/fixed_rate" in result.history[-1]
    probe = make_family("easyhard")
    with pytest.raises(ValueError, match="DirectiveMessages") as err:
        train(TrainConfig(**{**config.__dict__, "task": "easyhard", "task_params": {}}), _policy(tiny_dir), probe,
              tmp_path / "probe", progress=False, tensorboard=False)
    assert "\n" not in str(err.value)
