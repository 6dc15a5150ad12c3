"""LLM training throughput: our bridge against TRL's ``GRPOTrainer``, and our sampler against ``model.generate``.

Measured in one run on the same model, prompts, group size and completion budget:

1. **training** tokens/s (generated tokens per second of whole steps: sampling, scoring, aggregation and the
   PPO-clip update) of our bridge (``HFPolicy.sample`` -> ``llm_bridge.rollout.score`` -> ``run_pipeline`` ->
   ``HFPolicy.update``) and of TRL's ``GRPOTrainer`` (``trainer.train()`` for the same number of steps, one
   generation and one optimizer step per step, beta = 0 on both sides, the same maze reward functions exported with
   ``llm_bridge.export.as_trl``). The first step of each is a warm-up and is not timed. Target (issue 7): ours
   >= 1.5x TRL on a GPU with a Qwen2-0.5B-shaped model.
2. **sampling** tokens/s of ``HFPolicy.sample`` (KV cache, explicit generator, then one teacher-forced pass for the
   log-probabilities) against ``model.generate(do_sample=True)`` (no log-probabilities).

The model is random-initialized from a config (no download): Qwen2-0.5B-shaped by default (meant for a GPU; cuda +
bf16 when available), a 2-layer GPT-2 with ``--quick`` (seconds on a CPU; numbers meaningless), or any checkpoint
with ``--model PATH``. No stop strings: rollouts end at ``--new-tokens`` or EOS on both sides, and both count the
tokens actually generated.

    python benchmarks/llm_throughput.py --quick
    python benchmarks/llm_throughput.py --batch 8 --group 8 --new-tokens 128 --steps 4      # on a GPU
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
from llm_bridge.export import as_trl
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from llm_bridge.rollout import score
from vecreward_envs.families import make_family
from vecreward_envs.protocols import TaskFamily


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


def ours_training_rate(path: Path, family: TaskFamily, instances: list, g: int, t: int, steps: int, lr: float
                       ) -> tuple[float, HFPolicy]:
    """Generated tokens/s of whole bridge steps (the first step untimed) and the policy."""
    policy = HFPolicy(LLMPolicyConfig(model=str(path), max_new_tokens=t, stop_at_answer_end=False,
                                      chat_template=False, generation_batch_size=len(instances) * g, lr=lr), seed=0)
    pipeline = PipelineConfig(aggregator="grpo")
    rng = np.random.default_rng(0)
    tokens, seconds = 0.0, 0.0
    for step in range(steps + 1):
        sync()
        start = time.perf_counter()
        samples = policy.sample(family, instances, g)
        scored = score(family, instances, samples, view="text")
        advantages = np.asarray(run_pipeline(pipeline, scored.rewards[:, :, 0, :], rng=rng, step=step))
        policy.update(samples, advantages)
        sync()
        if step > 0:
            seconds += time.perf_counter() - start
            tokens += float(samples.n_tokens.sum())
    return tokens / seconds, policy


def trl_training_rate(path: Path, family: TaskFamily, instances: list, g: int, t: int, steps: int, lr: float,
                      out_dir: Path) -> float | str:
    """Generated tokens/s of ``GRPOTrainer`` steps (the first step untimed), or why it could not run."""
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
        from trl import GRPOConfig, GRPOTrainer
    except ImportError as exc:
        return f"TRL not installed ({exc})"

    class StepClock(TrainerCallback):
        """Wall-clock time at the end of every optimizer step."""

        def __init__(self) -> None:
            self.times: list[float] = []

        def on_step_begin(self, args: object, state: object, control: object, **kwargs: object) -> None:
            if not self.times:
                self.times.append(time.perf_counter())

        def on_step_end(self, args: object, state: object, control: object, **kwargs: object) -> None:
            sync()
            self.times.append(time.perf_counter())

    b = len(instances)
    export = as_trl(family, instances * (steps + 1), conversational=False)  # one batch of B prompts per step
    cuda = torch.cuda.is_available()
    args = GRPOConfig(output_dir=str(out_dir), per_device_train_batch_size=b * g, num_generations=g,
                      max_completion_length=t, max_steps=steps + 1, learning_rate=lr, beta=0.0, num_iterations=1,
                      temperature=1.0, use_cpu=not cuda, bf16=cuda, report_to=[], logging_steps=1,
                      save_strategy="no", seed=0, shuffle_dataset=False, disable_tqdm=True)
    model = AutoModelForCausalLM.from_pretrained(path)
    clock = StepClock()
    trainer = GRPOTrainer(model=model, processing_class=AutoTokenizer.from_pretrained(path),
                          reward_funcs=export.reward_funcs, args=args, train_dataset=export.dataset,
                          callbacks=[clock])
    trainer.train()
    lengths = [row["completions/mean_length"] for row in trainer.state.log_history if "completions/mean_length" in row]
    if len(lengths) != steps + 1 or len(clock.times) != steps + 2:
        return f"TRL logged {len(lengths)} steps, expected {steps + 1}"
    tokens = sum(lengths[1:]) * b * g
    return tokens / (clock.times[-1] - clock.times[1])


def main() -> None:
    """Measure and print the training rates (ours vs TRL) and the sampling rates (ours vs generate)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny GPT-2, few prompts (seconds on a CPU)")
    parser.add_argument("--model", default=None, help="a checkpoint to measure instead of a random model")
    parser.add_argument("--batch", type=int, default=4, help="instances B")
    parser.add_argument("--group", type=int, default=8, help="rollouts per instance G")
    parser.add_argument("--new-tokens", type=int, default=64, help="tokens generated per rollout (at most)")
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per side (after one warm-up)")
    parser.add_argument("--no-trl", action="store_true", help="skip the TRL baseline")
    args = parser.parse_args()
    b, g, t, steps = (2, 2, 8, 2) if args.quick else (args.batch, args.group, args.new_tokens, args.steps)
    lr = 1e-6
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            path = Path(args.model)
        elif args.quick:
            path = build_tiny_model(Path(tmp) / "tiny")
        else:
            path = qwen2_like(Path(tmp) / "qwen2-like")
        family = make_family("maze", size=7)
        instances = family.instances(0, b)
        ours, policy = ours_training_rate(path, family, instances, g, t, steps, lr)
        trl = "skipped" if args.no_trl else trl_training_rate(path, family, instances, g, t, steps, lr,
                                                              Path(tmp) / "trl")

        prompts = [policy.render_prompt(family.prompt(inst)) for inst in instances for _ in range(g)]
        sync()
        start = time.perf_counter()
        samples = policy.sample(family, instances, g)
        sync()
        sampled = float(samples.n_tokens.sum()) / (time.perf_counter() - start)
        tok = policy.tokenizer
        batch = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(policy.device)
        with torch.no_grad(), policy._autocast():
            sync()
            start = time.perf_counter()
            out = policy.model.generate(**batch, do_sample=True, max_new_tokens=t, pad_token_id=tok.pad_token_id)
            sync()
        new = out[:, batch["input_ids"].shape[1]:]
        generated = float((new != tok.pad_token_id).sum())  # generate pads rows that ended at EOS
        baseline = generated / (time.perf_counter() - start)

    mode = "QUICK: not a measurement" if args.quick else "full"
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    print(f"device {device} ({policy.device}, bf16 {policy.bf16}); {mode}; B*G = {b * g} rollouts x <= {t} new "
          f"tokens; {steps} timed steps")
    print(f"training, ours (sample + score + grpo + PPO update): {ours:12,.0f} tokens/s")
    if isinstance(trl, float):
        print(f"training, TRL GRPOTrainer:                           {trl:12,.0f} tokens/s")
        verdict = "quick run: no verdict" if args.quick else ("met" if ours / trl >= 1.5 else "NOT met")
        print(f"ours vs TRL: {ours / trl:.2f}x  (target >= 1.5x on a GPU: {verdict})")
    else:
        print(f"training, TRL GRPOTrainer: {trl}")
    print(f"sampling, HFPolicy.sample (with log-probs):          {sampled:12,.0f} tokens/s")
    print(f"sampling, model.generate (no log-probs):             {baseline:12,.0f} tokens/s")
    print(f"sampling vs generate: {sampled / baseline:.2f}x")


if __name__ == "__main__":
    main()
