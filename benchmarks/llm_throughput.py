"""LLM training throughput: our bridge against TRL's ``GRPOTrainer``, and our sampler against ``model.generate``.

Measured in one run on the same model, prompts, group size and completion budget:

1. **training** tokens/s (generated tokens per second of whole steps: sampling, scoring, aggregation and the
   PPO-clip update) of our bridge (``HFPolicy.sample`` -> ``llm_bridge.rollout.score`` -> ``run_pipeline`` ->
   ``HFPolicy.update``) and of TRL's ``GRPOTrainer`` (``trainer.train()`` for the same number of steps, one
   generation and one optimizer step per step, beta = 0 on both sides, the same maze reward functions exported with
   ``llm_bridge.export.as_trl``). The first step of each is a warm-up and is not timed. Targets: ours
   >= 1.5x TRL on a GPU with a Qwen2-0.5B-shaped model (issue 7); >= 2x with SmolLM2-135M on the CPU (issue 18).
2. **sampling** tokens/s of ``HFPolicy.sample`` (KV cache, explicit generator, each group's prompt prefilled once)
   against ``model.generate(do_sample=True)`` (no log-probabilities) on the same B * G prompts.
3. **old path vs new path**: the same bridge steps with ``share_prompt=False, reuse_current_logp=False,
   drop_finished_rows=False`` (every row runs its prompt in every pass, a separate old-log-prob pass, finished rows
   decoded to the end), with each piece (sampling with that pass, update)
   timed, and each piece against its arithmetic bound: the FLOPs from the parameter count (2 per parameter per
   token forward, 6 forward + backward with full fine-tuning, 4 with LoRA; each group's prompt counted once; the LM
   head only on completion positions) over the fp32 matmul GFLOP/s measured in the same run.
4. **peak RSS** after each side (``ru_maxrss``: a process peak, so only the first side measured, ours new, is its
   own; the others are "at most").

The model is random-initialized from a config (no download): Qwen2-0.5B-shaped by default (meant for a GPU; cuda +
bf16 when available), a 2-layer GPT-2 with ``--quick`` (seconds on a CPU; numbers meaningless), or any checkpoint
with ``--model PATH``. No stop strings: rollouts end at ``--new-tokens`` or EOS on both sides, and both count the
tokens actually generated.

    python benchmarks/llm_throughput.py --quick
    python benchmarks/llm_throughput.py --batch 8 --group 8 --new-tokens 128 --steps 4      # on a GPU
    python benchmarks/llm_throughput.py --model ~/.cache/vecreward/SmolLM2-135M-Instruct --batch 8 --group 8 \
        --new-tokens 32 --steps 1 --grad-accumulation 8 --maze-size 11 --prompt-style compact --threads 2
"""

from __future__ import annotations

import argparse
import gc
import resource
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


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def matmul_gflops() -> float:
    """fp32 matmul GFLOP/s on this machine now (the arithmetic bound's rate; best of 5 runs of 1024^3)."""
    a, b = torch.ones(1024, 1024), torch.ones(1024, 1024)
    best = 0.0
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(4):
            a @ b
        best = max(best, 4 * 2 * 1024**3 / (time.perf_counter() - start) / 1e9)
    return best


def step_flops(model: torch.nn.Module, b: int, g: int, p: int, t: int, lora: bool) -> dict[str, float]:
    """FLOPs of sampling and of the update, counting each group's prompt once and LM-head logits on completions."""
    embed = model.get_input_embeddings().weight
    n = sum(x.numel() for x in model.parameters()) - embed.numel()  # a tied head shares the embedding
    head = 2.0 * embed.numel()  # per position that needs logits
    tokens = b * p + b * g * t
    forward = 2.0 * n * tokens + head * b * g * t
    return {"sample": forward, "update": forward * (2.0 if lora else 3.0)}


def ours_training_rate(path: Path, family: TaskFamily, instances: list, g: int, t: int, steps: int, lr: float, *,
                       lean: bool = True, lora: bool = False, accumulation: int = 1
                       ) -> tuple[dict[str, float], HFPolicy]:
    """Generated tokens/s of whole bridge steps (the first step untimed), seconds per piece, and the policy.

    ``lean=False`` is the old path: every row runs its prompt in every pass, and a separate old-log-prob pass.
    """
    policy = HFPolicy(LLMPolicyConfig(model=str(path), max_new_tokens=t, stop_at_answer_end=False,
                                      chat_template=False, generation_batch_size=len(instances) * g, lr=lr,
                                      lora=lora, grad_accumulation=accumulation, share_prompt=lean,
                                      reuse_current_logp=lean, drop_finished_rows=lean), seed=0)
    pipeline = PipelineConfig(aggregator="grpo")
    rng = np.random.default_rng(0)
    tokens, seconds, sampling, updating = 0.0, 0.0, 0.0, 0.0
    for step in range(steps + 1):
        sync()
        start = time.perf_counter()
        samples = policy.sample(family, instances, g)
        sync()
        sampled = time.perf_counter()
        scored = score(family, instances, samples, view="text")
        advantages = np.asarray(run_pipeline(pipeline, scored.rewards[:, :, 0, :], rng=rng, step=step))
        scored_at = time.perf_counter()
        policy.update(samples, advantages)
        sync()
        if step > 0:
            seconds += time.perf_counter() - start
            sampling += sampled - start
            updating += time.perf_counter() - scored_at
            tokens += float(samples.n_tokens.sum())
    return {"rate": tokens / seconds, "step_s": seconds / steps, "sample_s": sampling / steps,
            "update_s": updating / steps, "rss_gb": peak_rss_gb()}, policy


def trl_training_rate(path: Path, family: TaskFamily, instances: list, g: int, t: int, steps: int, lr: float,
                      out_dir: Path, *, lora: bool = False, accumulation: int = 1) -> float | str:
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
    args = GRPOConfig(output_dir=str(out_dir), per_device_train_batch_size=b * g // accumulation,
                      gradient_accumulation_steps=accumulation, num_generations=g,
                      max_completion_length=t, max_steps=steps + 1, learning_rate=lr, beta=0.0, num_iterations=1,
                      temperature=1.0, use_cpu=not cuda, bf16=cuda, report_to=[], logging_steps=1,
                      save_strategy="no", seed=0, shuffle_dataset=False, disable_tqdm=True)
    model = AutoModelForCausalLM.from_pretrained(path)
    clock = StepClock()
    peft_config = None
    if lora:  # the same adapters as LLMPolicyConfig's defaults
        from peft import LoraConfig

        peft_config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                                 task_type="CAUSAL_LM")
    trainer = GRPOTrainer(model=model, processing_class=AutoTokenizer.from_pretrained(path),
                          reward_funcs=export.reward_funcs, args=args, train_dataset=export.dataset,
                          callbacks=[clock], peft_config=peft_config)
    trainer.train()
    lengths = [row["completions/mean_length"] for row in trainer.state.log_history if "completions/mean_length" in row]
    if len(lengths) != steps + 1 or len(clock.times) != steps + 2:
        return f"TRL logged {len(lengths)} steps, expected {steps + 1}"
    tokens = sum(lengths[1:]) * b * g
    return tokens / (clock.times[-1] - clock.times[1])


LINES: list[str] = []


def show(line: str) -> None:
    """Print a result as soon as it is measured (a long run that is stopped keeps what it had) and keep it."""
    LINES.append(line)
    print(line, flush=True)


def sampler_rates(policy: HFPolicy, family: TaskFamily, instances: list, g: int, t: int) -> tuple[float, float]:
    """Generated tokens/s of ``HFPolicy.sample`` and of ``model.generate(do_sample=True)`` on the same prompts."""
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
    return sampled, generated / (time.perf_counter() - start)


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
    parser.add_argument("--no-old", action="store_true", help="skip our old path (every prompt in every row)")
    parser.add_argument("--lora", action="store_true", help="train LoRA adapters (both sides) instead of all weights")
    parser.add_argument("--grad-accumulation", type=int, default=1, help="micro-batches per step (both sides)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--maze-size", type=int, default=7, help="maze size (the prompt grows with it)")
    parser.add_argument("--prompt-style", choices=("reference", "compact"), default="reference",
                        help="the maze's text view (compact: about 130 tokens at size 11, 170 at 13)")
    args = parser.parse_args()
    for flag, value in (("--batch", args.batch), ("--group", args.group), ("--new-tokens", args.new_tokens),
                        ("--steps", args.steps), ("--grad-accumulation", args.grad_accumulation)):
        if value < 1:
            parser.error(f"{flag} must be >= 1, got {value}")
    if args.threads < 0:
        parser.error(f"--threads must be >= 0, got {args.threads}")
    if args.threads:
        torch.set_num_threads(args.threads)
    b, g, t, steps = (2, 2, 8, 2) if args.quick else (args.batch, args.group, args.new_tokens, args.steps)
    k = args.grad_accumulation
    if (b * g) % k:
        parser.error(f"--grad-accumulation {k} must divide B * G = {b * g}")
    lr = 1e-6
    try:
        family = make_family("maze", size=args.maze_size, prompt_style=args.prompt_style)
    except ValueError as exc:
        parser.error(f"--maze-size: {exc}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            path = Path(args.model)
        elif args.quick:
            path = build_tiny_model(Path(tmp) / "tiny")
        else:
            path = qwen2_like(Path(tmp) / "qwen2-like")
        instances = family.instances(0, b)
        gflops = matmul_gflops()
        mode = "QUICK: not a measurement" if args.quick else "full"
        device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        ours, policy = ours_training_rate(path, family, instances, g, t, steps, lr, lora=args.lora, accumulation=k)
        p_len = len(policy.tokenizer(policy.render_prompt(family.prompt(instances[0])),
                                     add_special_tokens=False)["input_ids"])
        show(f"device {device} ({policy.device}, bf16 {policy.bf16}, {torch.get_num_threads()} threads); {mode}; "
             f"B = {b} prompts of {p_len} tokens, G = {g}, <= {t} new tokens; "
             f"{'LoRA' if args.lora else 'full FT'}, grad accumulation {k}; {steps} timed steps; "
             f"matmul {gflops:.0f} GFLOP/s")
        rate = ours["rate"]
        show(f"training, ours (sample + score + grpo + PPO update): {rate:12,.1f} tokens/s   "
             f"step {ours['step_s']:.1f} s = sample {ours['sample_s']:.1f} s + update {ours['update_s']:.1f} s")
        bound = {key: value / (gflops * 1e9) for key, value in step_flops(policy.model, b, g, p_len, t,
                                                                         args.lora).items()}
        show(f"arithmetic bound (prompt once per group): sample {bound['sample']:.2f} s, update "
             f"{bound['update']:.2f} s; ours at {ours['sample_s'] / bound['sample']:.1f}x and "
             f"{ours['update_s'] / bound['update']:.1f}x, whole step at {ours['step_s'] / sum(bound.values()):.1f}x "
             "(target <= 2.5x)")
        show(f"peak RSS after ours: {ours['rss_gb']:.2f} GB (target <= 6 GB)")
        sampled, baseline = sampler_rates(policy, family, instances, g, t)
        show(f"sampling, HFPolicy.sample (with log-probs):          {sampled:12,.1f} tokens/s")
        show(f"sampling, model.generate (no log-probs):             {baseline:12,.1f} tokens/s")
        show(f"sampling vs generate: {sampled / baseline:.2f}x  (target >= 1x)")
        del policy  # the next sides load their own model: do not hold two in memory
        gc.collect()
        if not args.no_old:
            old = ours_training_rate(path, family, instances, g, t, steps, lr, lean=False, lora=args.lora,
                                     accumulation=k)[0]  # its policy is dropped here, before TRL loads a model
            gc.collect()
            show(f"training, ours old path (no sharing, old-logp pass):  {old['rate']:12,.1f} tokens/s   "
                 f"step {old['step_s']:.1f} s = sample {old['sample_s']:.1f} s + update {old['update_s']:.1f} s")
            show(f"new vs old path: {rate / old['rate']:.2f}x  (sample {old['sample_s'] / ours['sample_s']:.2f}x, "
                 f"update {old['update_s'] / ours['update_s']:.2f}x); peak RSS so far {old['rss_gb']:.2f} GB")
        trl = "skipped" if args.no_trl else trl_training_rate(path, family, instances, g, t, steps, lr,
                                                              Path(tmp) / "trl", lora=args.lora, accumulation=k)
    if isinstance(trl, float):
        show(f"training, TRL GRPOTrainer:                           {trl:12,.1f} tokens/s")
        verdict = "quick run: no verdict" if args.quick else ("met" if rate / trl >= 2.0 else "NOT met")
        show(f"ours vs TRL: {rate / trl:.2f}x  (target >= 2x: {verdict}); peak RSS so far {peak_rss_gb():.2f} GB")
    else:
        show(f"training, TRL GRPOTrainer: {trl}")
    print("\n".join(LINES))  # the summary again, after TRL's own logging

if __name__ == "__main__":
    main()
