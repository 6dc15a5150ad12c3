"""``as_trl`` with a tokenizer: chat prompts when it has a chat template, plain strings (with a warning) when not."""

from __future__ import annotations

import json
import warnings

import pytest

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from agents.llm.offline import TINY_CHAT_TEMPLATE, byte_tokenizer  # noqa: E402
from llm_bridge.export import as_trl  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402


def test_template_less_tokenizer_gets_plain_prompts_with_a_warning() -> None:
    family = make_family("maze", size=7)
    tokenizer = byte_tokenizer()
    name = type(tokenizer).__name__  # PreTrainedTokenizerFast, or TokenizersBackend in transformers 5
    with pytest.warns(UserWarning, match=f"{name} has no chat template: exporting plain-string") as rec:
        export = as_trl(family, family.instances(0, 2), tokenizer=tokenizer)
    assert len(rec) == 1 and "\n" not in str(rec[0].message)
    prompt = export.dataset[0]["prompt"]
    assert prompt == family.prompt(family.instances(0, 1)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # asking for plain strings says nothing
        assert isinstance(as_trl(family, family.instances(0, 1), tokenizer=tokenizer,
                                 conversational=False).dataset[0]["prompt"], str)


def test_forcing_chat_prompts_without_a_template_is_an_error() -> None:
    family = make_family("maze", size=7)
    with pytest.raises(ValueError, match="conversational=True needs a tokenizer with a chat template") as info:
        as_trl(family, family.instances(0, 1), tokenizer=byte_tokenizer(), conversational=True)
    assert "\n" not in str(info.value)


def test_templated_tokenizer_and_no_tokenizer_get_chat_prompts() -> None:
    family = make_family("maze", size=7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chat = as_trl(family, family.instances(0, 1), tokenizer=byte_tokenizer(TINY_CHAT_TEMPLATE))
        default = as_trl(family, family.instances(0, 1))
    for export in (chat, default):
        assert export.dataset[0]["prompt"] == [{"role": "user", "content": family.prompt(family.instances(0, 1)[0])}]


def test_trl_prompt_handling_accepts_both_exports() -> None:
    """What GRPOTrainer does with each dataset row before generating: ``maybe_apply_chat_template``."""
    pytest.importorskip("trl")
    from trl.data_utils import maybe_apply_chat_template

    family = make_family("toolcall", n_tools=4)
    instance = family.instances(0, 1)[0]
    text = family.prompt(instance)
    plain_tok, chat_tok = byte_tokenizer(), byte_tokenizer(TINY_CHAT_TEMPLATE)
    with pytest.warns(UserWarning, match="no chat template"):
        plain = as_trl(family, [instance], tokenizer=plain_tok)
    chat = as_trl(family, [instance], tokenizer=chat_tok)
    row = dict(plain.dataset[0])
    assert maybe_apply_chat_template(row, plain_tok)["prompt"] == text  # left as is
    templated = maybe_apply_chat_template(dict(chat.dataset[0]), chat_tok)["prompt"]
    assert templated == f"<|user|>\n{text}\n<|assistant|>\n"
    assert json.loads(row["task"])["config"]["n_tools"] == 4
    # the reward functions still score plain-string completions of the template-less export
    values = [f(prompts=[row["prompt"]], completions=["nonsense"], task=[row["task"]]) for f in plain.reward_funcs]
    assert len(values) == len(family.reward_names)
