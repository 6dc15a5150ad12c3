"""Settings of the Hugging Face causal-LM policy (torch-free, so ``vecreward --help`` stays fast)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from llm_bridge.ppo_config import PPOConfig


@dataclass(frozen=True)
class LLMPolicyConfig:
    """Settings of the LLM policy: the model, sampling, the optimizer, memory options and the PPO update."""

    model: str = ""
    """Model directory or hub id that ``transformers.AutoModelForCausalLM.from_pretrained`` can load."""
    temperature: float = 1.0
    """Sampling temperature; the update's log-probabilities use the same temperature."""
    top_p: float = 1.0
    """Nucleus sampling mass (1 = no truncation)."""
    max_new_tokens: int = 64
    """Most tokens generated per rollout (a chain's m answers share them)."""
    stop_strings: str = ""
    """Extra stop strings separated by '|' (the answer's closing tag and the EOS token always stop)."""
    stop_at_answer_end: bool = True
    """Stop after the answer's closing tag: ``</answer>`` for one answer, ``</route_m>`` for a chain of m."""
    chat_template: bool = True
    """Wrap prompts in the tokenizer's chat template when it has one."""
    lr: float = 1e-5
    """AdamW learning rate."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    lora: bool = False
    """Train LoRA adapters (peft) instead of all weights."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: int = 32
    """LoRA scaling numerator (scale = alpha / r)."""
    lora_dropout: float = 0.0
    """Dropout on the LoRA branch."""
    lora_targets: str = "all-linear"
    """Modules that get adapters: 'all-linear' or comma-separated module names (e.g. 'q_proj,v_proj')."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass (less memory, about a third more compute)."""
    grad_accumulation: int = 1
    """Micro-batches whose gradients are summed per optimizer step (each PPO minibatch is split this many ways)."""
    generation_batch_size: int = 64
    """Rollouts decoded together in one batched sampling loop."""
    forward_batch_size: int = 32
    """Rows per no-grad forward pass when scoring log-probabilities (old and reference policies)."""
    share_prompt: bool = True
    """Run each distinct prompt through the model once per pass and expand its KV cache to the rows that share it
    (a group's G rollouts): in sampling, in scoring and in the update (gradients flow through the shared prefix)."""
    reuse_current_logp: bool = True
    """With one PPO epoch and one minibatch, take the old log-probs as the update's own, detached (TRL's
    ``num_iterations=1``): the parameters cannot change before the update, so the separate no-grad pass is skipped."""
    drop_finished_rows: bool = True
    """Decode only the rows still running: when a quarter of the rows in the decoding batch have finished (EOS or a
    stop string), drop them from the batch and the KV cache, so a finished rollout stops costing a forward pass."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """Where the model runs (auto: cuda when available)."""
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """bf16: fp32 weights with bf16 autocast (auto: bf16 on cuda, fp32 on cpu)."""
    ppo: PPOConfig = field(default_factory=PPOConfig)
    """The update's settings."""

    def __post_init__(self) -> None:
        if not isinstance(self.model, str):
            raise TypeError(f"model must be a path or hub id string, got {type(self.model).__name__}")
        if not 0.0 < self.temperature < 100.0:
            raise ValueError(f"temperature must be in (0, 100), got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        for name in ("max_new_tokens", "lora_r", "lora_alpha", "grad_accumulation", "generation_batch_size",
                     "forward_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if not 0.0 < self.lr < 1.0:
            raise ValueError(f"lr must be in (0, 1), got {self.lr}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0.0):
            raise ValueError(f"weight_decay must be a finite number >= 0, got {self.weight_decay}")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError(f"lora_dropout must be in [0, 1), got {self.lora_dropout}")
        if not self.lora_targets.strip():
            raise ValueError("lora_targets must name modules or be 'all-linear'")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"precision must be 'auto', 'fp32' or 'bf16', got {self.precision!r}")
        if not isinstance(self.ppo, PPOConfig):
            raise TypeError("ppo must be a PPOConfig")

    def check_model(self) -> None:
        """Fail early (before torch loads) on a missing model or a local path without a checkpoint.

        Raises:
            ValueError: no model, or a path that does not hold a ``config.json``.
        """
        if not self.model:
            raise ValueError("no model given: pass a model directory or hub id (--model PATH)")
        path = Path(self.model).expanduser()
        looks_local = self.model.startswith((".", "/", "~")) or path.exists()
        if looks_local and not (path / "config.json").exists():
            raise ValueError(f"model directory {self.model!r} does not exist or has no config.json (build one with "
                             "`python -m agents.llm.offline tiny DIR` or `python -m agents.llm.offline smollm2`)")

    def extra_stop_strings(self) -> tuple[str, ...]:
        """The user's stop strings (``stop_strings`` split on '|', empty pieces dropped)."""
        return tuple(s for s in self.stop_strings.split("|") if s)
