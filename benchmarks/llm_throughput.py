"""LLM policy throughput: our sampling loop against ``model.generate``, and PPO-update tokens/s, same run.

1. generated tokens/s of ``HFPolicy.generate`` (KV cache, explicit generator, stop strings, then one teacher-forced
   pass for the log-probabilities) on B*G maze prompts,
2. the baseline: ``model.generate(do_sample=True)`` of transformers on the same prompts and token budget (no
   log-probabilities, no stop-string checks),
3. trained tokens/s of one ``HFPolicy.update`` (PPO-clip through ``llm_bridge.update.ppo_update``).

The model is random-initialized from a config (no download): a Qwen2-0.5B-shaped model by default (meant for a GPU;
selects cuda + bf16 when available), a 2-layer GPT-2 with ``--quick`` (seconds on a CPU; numbers meaningless), or
any checkpoint with ``--model PATH``.

    python benchmarks/llm_throughput.py --quick
    python benchmarks/llm_throughput.py --batch 8 --group 8 --new-tokens 128      # on a GPU
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from agents.llm.config import LLMPolicyConfig
from agents.llm.offline import build_tiny_model, byte_tokenizer
from agents.llm.policy import HFPolicy
from vecreward_envs.families import make_family


def qwen2_like(path: Path) -> Path:
    """A random Qwen2-0.5B-shaped model (24 layers, width 896) with the byte tokenizer, saved to ``path``."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = byte_tokenizer()
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=4096,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def sync() -> None:
    """Wait for queued GPU work (timings)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main() -> None:
    """Measure and print the three rates and the ratio of 1 to 2."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny GPT-2, few prompts (seconds on a CPU)")
    parser.add_argument("--model", default=None, help="a checkpoint to measure instead of a random model")
    parser.add_argument("--batch", type=int, default=4, help="instances B")
    parser.add_argument("--group", type=int, default=8, help="rollouts per instance G")
    parser.add_argument("--new-tokens", type=int, default=64, help="tokens generated per rollout")
    args = parser.parse_args()
    b, g, t = (2, 2, 8) if args.quick else (args.batch, args.group, args.new_tokens)
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            path = Path(args.model)
        elif args.quick:
            path = build_tiny_model(Path(tmp) / "tiny")
        else:
            path = qwen2_like(Path(tmp) / "qwen2-like")
        # No stop strings: every rollout generates exactly t tokens, as the baseline does.
        policy = HFPolicy(LLMPolicyConfig(model=str(path), max_new_tokens=t, stop_at_answer_end=False,
                                          generation_batch_size=b * g), seed=0)
        family = make_family("maze", size=7)
        instances = family.instances(0, b)
        prompts = [policy.render_prompt(family.prompt(inst)) for inst in instances for _ in range(g)]
        policy.generate(prompts[:2])  # warm-up
        sync()
        start = time.perf_counter()
        samples = policy.sample(family, instances, g)
        sync()
        ours = float(samples.n_tokens.sum()) / (time.perf_counter() - start)

        tok = policy.tokenizer
        batch = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(policy.device)
        with torch.no_grad(), policy._autocast():
            sync()
            start = time.perf_counter()
            out = policy.model.generate(**batch, do_sample=True, max_new_tokens=t, min_new_tokens=t,
                                        pad_token_id=tok.pad_token_id)
            sync()
        baseline = float((out.shape[1] - batch["input_ids"].shape[1]) * len(prompts)) / (time.perf_counter() - start)

        advantages = np.random.default_rng(0).normal(size=(b, g)).astype(np.float32)
        sync()
        start = time.perf_counter()
        policy.update(samples, advantages)
        sync()
        trained = float(samples.n_tokens.sum()) / (time.perf_counter() - start)
    print(f"device {policy.device}, bf16 {policy.bf16}, B*G = {b * g} rollouts x {t} new tokens")
    print(f"HFPolicy.sample (with log-probs): {ours:12,.0f} tokens/s")
    print(f"model.generate (baseline):        {baseline:12,.0f} tokens/s")
    print(f"HFPolicy.update (PPO-clip):       {trained:12,.0f} tokens/s")
    print(f"sampling vs baseline: {ours / baseline:.2f}x")


if __name__ == "__main__":
    main()
