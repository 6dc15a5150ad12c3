"""HFPolicy: a Hugging Face causal LM behind the bridge's Policy protocol (text view).

Sampling is a batched decoding loop with a KV cache over left-padded prompts, drawing tokens with the policy's own
``torch.Generator`` (so a run resumes and reproduces exactly). After sampling, the log-probabilities of the generated
tokens are recomputed in one teacher-forced forward pass with the same masks and position ids that the update uses,
so the PPO ratio starts at exactly 1. The update is ``llm_bridge.update.ppo_update`` (the one PPO of the project).

Layout of a rollout row (P prompt columns, T generated columns)::

    [pad pad p0 p1 ... p_k | g0 g1 ... g_j <stop> pad pad]
     attention 0 0 1 ...   | 1 ...              1    0   0
     position ids: cumulative sum of the attention mask - 1 (pads clamped to 0)

Critique-guided refinement (``llm_bridge.policy.Refining``, ``docs/refinement.md``): the feedback is the family's
``DirectiveMessages.explain`` lines for the first answer; the refinement prompt is the original prompt, the first
answer and the feedback with an instruction to answer again, as a multi-turn chat when the tokenizer has a chat
template. The refined completion is then trained as an answer to the original prompt (off-policy rows).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from agents.llm.config import LLMPolicyConfig
from llm_bridge.policy import Samples
from llm_bridge.update import ppo_update
from vecreward_envs.protocols import DirectiveMessages, Instance, TaskFamily, TextView, require

REFINE_INSTRUCTION = ("Answer the same task again: write a new complete answer that fixes these failures, in the "
                      "format the task asks for.")
"""What the refinement turn asks for, after the feedback."""


def feedback_text(messages: dict[str, str]) -> str:
    """The feedback turn: one line per failed objective (``DirectiveMessages.explain``), or that nothing failed."""
    if not messages:
        return "Feedback on your answer: it met every objective."
    lines = "\n".join(f"- {name}: {line}" for name, line in messages.items())
    return f"Feedback on your answer: it failed these objectives.\n{lines}"


@dataclass
class _Rollout:
    """Token ids and masks of N rollouts: what the update needs to recompute log-probabilities."""

    input_ids: torch.Tensor  # [N, P + T] left-padded prompt, then generated tokens (right-padded)
    attention_mask: torch.Tensor  # [N, P + T]
    prompt_len: int  # P
    mask: torch.Tensor  # [N, T] float, 1 for generated tokens the policy chose
    old_logp: torch.Tensor  # [N, T] float32, 0 where mask is 0
    ref_logp: torch.Tensor | None  # [N, T]
    entropy: torch.Tensor | None = None  # [N] mean entropy of the sampling distribution per generated token


@dataclass
class _Joined:
    """A mixed group's update data (``HFPolicy.join``)."""

    rollout: _Rollout  # [B * (G + R)] rows in group order, every row in the original prompt's context
    off_policy: torch.Tensor  # bool [B * (G + R)]: the refinements
    shaping_gamma: float


def _take(rollout: _Rollout, rows: torch.Tensor) -> _Rollout:
    """The rollout's ``rows`` [n], in that order."""
    return _Rollout(input_ids=rollout.input_ids[rows], attention_mask=rollout.attention_mask[rows],
                    prompt_len=rollout.prompt_len, mask=rollout.mask[rows], old_logp=rollout.old_logp[rows],
                    ref_logp=None if rollout.ref_logp is None else rollout.ref_logp[rows],
                    entropy=None if rollout.entropy is None else rollout.entropy[rows])


def group_order(b: int, g: int, r: int) -> torch.Tensor:
    """Row order, long [B * (G + R)]: rows of [B * G first answers; B * R refinements] by group (b's G, then R)."""
    return torch.as_tensor(np.concatenate([np.arange(b)[:, None] * g + np.arange(g)[None, :],
                                           b * g + np.arange(b)[:, None] * r + np.arange(r)[None, :]],
                                          axis=1).reshape(-1))


def resolve_device(config: LLMPolicyConfig) -> tuple[torch.device, bool]:
    """The device and whether bf16 autocast is on (auto: cuda + bf16 when cuda is available, else cpu + fp32).

    Raises:
        ValueError: cuda requested but not available.
    """
    if config.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but torch sees no CUDA device")
    use_cuda = config.device == "cuda" or (config.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if use_cuda else "cpu")
    bf16 = config.precision == "bf16" or (config.precision == "auto" and use_cuda)
    return device, bf16


def load_model_and_tokenizer(config: LLMPolicyConfig) -> tuple[Any, Any]:
    """Load ``config.model`` (a causal LM and its tokenizer) with the ordinary ``from_pretrained`` code.

    Raises:
        ValueError: empty name, or nothing loadable there (the message says what was tried).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config.check_model()
    try:
        tokenizer = AutoTokenizer.from_pretrained(config.model)
        net = AutoModelForCausalLM.from_pretrained(config.model, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot load model {config.model!r} with transformers: {exc}") from exc
    return net, tokenizer


def _positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position ids that start at 0 on each row's first real token (left padding gets 0)."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def _top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Logits [n, V] with the tokens outside the top-p nucleus set to -inf (the top token always stays)."""
    if top_p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    drop = probs.cumsum(-1) - probs > top_p  # mass before this token already reaches top_p
    sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


class _AccumulatingOptimizer:
    """Wraps an optimizer for ``ppo_update`` so that ``accumulation`` consecutive minibatches make one step.

    ``ppo_update`` calls ``zero_grad`` -> backward -> ``step`` per minibatch; here ``zero_grad`` clears only at the
    start of a window and ``step`` averages the summed gradients, clips them and steps only at its end (``flush``
    finishes a partial window). ``ppo_update`` runs with clipping off; the clip happens here, on whole gradients.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, params: list[torch.nn.Parameter], accumulation: int,
                 max_grad_norm: float) -> None:
        self.optimizer = optimizer
        self.params = params
        self.accumulation = accumulation
        self.max_grad_norm = max_grad_norm
        self.pending = 0
        self.grad_norms: list[float] = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        if self.pending == 0:
            self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.pending += 1
        if self.pending == self.accumulation:
            self.flush()

    def flush(self) -> None:
        if self.pending == 0:
            return
        for p in self.params:
            if p.grad is not None:
                p.grad.div_(self.pending)
        clip = self.max_grad_norm if self.max_grad_norm > 0 else float("inf")
        self.grad_norms.append(float(torch.nn.utils.clip_grad_norm_(self.params, clip)))
        self.optimizer.step()
        self.pending = 0


class HFPolicy:
    """A causal LM answering a task family's text view; trained by PPO-clip on sequence-level advantages.

    Args:
        config: model path and settings (``config.model`` must be set).
        seed: seeds LoRA initialization, the sampling generator and minibatch shuffling.
        model: an already loaded model (skips loading ``config.model``; for tests and notebooks).
        tokenizer: its tokenizer (required with ``model``).

    Raises:
        ValueError: a model that cannot be loaded, or a tokenizer without any pad or EOS token.
    """

    view = "text"

    def __init__(self, config: LLMPolicyConfig, seed: int = 0, *, model: Any = None, tokenizer: Any = None) -> None:
        self.config = config
        self.device, self.bf16 = resolve_device(config)
        if model is None:
            model, tokenizer = load_model_and_tokenizer(config)
        elif tokenizer is None:
            raise ValueError("a model passed in needs its tokenizer")
        self.tokenizer = tokenizer
        if tokenizer.pad_token_id is None:
            if tokenizer.eos_token_id is None:
                raise ValueError("the tokenizer has neither a pad nor an EOS token")
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"
        torch.manual_seed(seed)  # LoRA initialization (the only use of torch's global generator)
        if config.lora:
            from peft import LoraConfig, get_peft_model

            targets: str | list[str] = (config.lora_targets if config.lora_targets == "all-linear"
                                        else [t.strip() for t in config.lora_targets.split(",") if t.strip()])
            model = get_peft_model(model, LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                                                     lora_dropout=config.lora_dropout, target_modules=targets,
                                                     task_type="CAUSAL_LM"))
        if config.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            if config.lora:
                model.enable_input_require_grads()
        self.model = model.to(self.device)
        self.model.eval()  # no dropout: sampling, old, new and reference log-probs come from one distribution
        self.reference = None
        if config.ppo.kl_coef > 0 and not config.lora:  # with LoRA the reference is the model, adapters off
            self.reference = copy.deepcopy(self.model).requires_grad_(False).eval()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=config.lr, weight_decay=config.weight_decay)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.shuffle_generator = torch.Generator().manual_seed(seed + 1)
        self.eos_ids = self._eos_ids()
        self._logits_to_keep = True
        self._stop_tokens: dict[tuple[str, ...], torch.Tensor | None] = {}

    def _reuses_current_logp(self) -> bool:
        """Whether the update takes its old log-probs as its own, detached (no separate old-log-prob pass).

        Exact only when the parameters cannot change between sampling and a minibatch's loss: one epoch and one
        minibatch (gradient accumulation keeps one optimizer step, so it is allowed).
        """
        ppo = self.config.ppo
        return self.config.reuse_current_logp and ppo.epochs == 1 and ppo.minibatches == 1

    # ----- prompts --------------------------------------------------------------------------------------------
    def _eos_ids(self) -> set[int]:
        ids = set()
        for source in (self.tokenizer.eos_token_id, getattr(self.model.config, "eos_token_id", None),
                       getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)):
            if isinstance(source, int):
                ids.add(source)
            elif isinstance(source, list | tuple):
                ids.update(int(s) for s in source)
        return ids

    def render_prompt(self, text: str) -> str:
        """The prompt as the model sees it (wrapped in the chat template when there is one and it is enabled)."""
        if self.config.chat_template and getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                                      add_generation_prompt=True)
        return text

    def refinement_prompt(self, prompt: str, answer: str, feedback: str) -> str:
        """The refinement turn as the model sees it: the task, its first answer, the feedback, the instruction.

        With a chat template: user (task) / assistant (first answer) / user (feedback + instruction), then the
        generation prompt. Without: the plain texts in that order, the first answer right after the prompt as the
        model wrote it.
        """
        again = f"{feedback}\n\n{REFINE_INSTRUCTION}"
        if self.config.chat_template and getattr(self.tokenizer, "chat_template", None):
            turns = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer},
                     {"role": "user", "content": again}]
            return self.tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
        return f"{prompt}{answer}\n\n{again}\n"

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [list(self.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]

    def stop_strings(self, chain_length: int, family: TextView) -> tuple[str, ...]:
        """Strings that end a completion for chains of ``chain_length`` answers of ``family``.

        The family says what ends its answers (``TextView.answer_end_strings(m)``: ``</answer>`` for the maze,
        ``</response>`` for tool calls, nothing for fenced Python code, which then runs to EOS or the token budget).
        """
        stops = list(self.config.extra_stop_strings())
        if self.config.stop_at_answer_end:
            stops.extend(family.answer_end_strings(chain_length))
        return tuple(stops)

    # ----- sampling -------------------------------------------------------------------------------------------
    def _call(self, model: Any, keep: int, **inputs: Any) -> Any:
        """``model(**inputs)`` computing logits for the last ``keep`` positions only, where the model supports it.

        Logits are [n, L, V] with V up to 150k: the LM head over a long prompt would dominate time and memory.
        """
        if self._logits_to_keep:
            try:
                return model(**inputs, logits_to_keep=keep)
            except TypeError:
                self._logits_to_keep = False  # an architecture without the argument: full logits
        return model(**inputs)

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.bf16:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    @torch.no_grad()
    def generate(self, prompts: Sequence[str], *, greedy: bool = False, stops: Sequence[str] = (),
                 score: bool = True) -> tuple[list[str], _Rollout]:
        """Complete rendered ``prompts`` (one row each); returns the completion texts and the token rollout.

        ``old_logp`` holds the teacher-forced log-probs of one scoring pass (``score``), or else the log-probs that
        the decoding loop drew each token with (the same distribution, computed through the KV cache).
        """
        rows = self._encode(prompts)
        chunks = []
        size = self.config.generation_batch_size
        for start in range(0, len(rows), size):
            chunks.append(self._generate_chunk(rows[start:start + size], greedy, tuple(stops)))
        texts = [t for chunk in chunks for t in chunk[0]]
        rollout = self._concat([chunk[1] for chunk in chunks])
        if score:
            rollout.old_logp = self._score(self.model, rollout)
        return texts, rollout

    def _generate_chunk(self, rows: list[list[int]], greedy: bool, stops: tuple[str, ...]
                        ) -> tuple[list[str], _Rollout]:
        n = len(rows)
        pad = int(self.tokenizer.pad_token_id)
        width = max(len(r) for r in rows)
        ids = torch.full((n, width), pad, dtype=torch.long)
        attn = torch.zeros((n, width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
            attn[i, width - len(r):] = 1
        ids, attn = ids.to(self.device), attn.to(self.device)
        done = torch.zeros(n, dtype=torch.bool, device=self.device)
        generated: list[torch.Tensor] = []  # [n] per step (pad where a row is not live)
        live_cols: list[torch.Tensor] = []
        entropies: list[torch.Tensor] = []  # [n] per step: the policy's entropy (before top-p), for schedules
        token_logp: list[torch.Tensor] = []  # [n] per step: log-prob of the drawn token (before top-p)
        tail = 4 * max((len(s) for s in stops), default=0) + 4  # tokens that can hold a stop string (>= 1 byte each)
        may_stop = self._stop_candidates(stops) if stops else None
        pos = _positions(attn)
        full_attn = attn
        eos = torch.tensor(sorted(self.eos_ids), dtype=torch.long, device=self.device)
        last, past = self._prefill(self.model, ids, attn, pos)  # last [n, V]
        # rows of the chunk in the decoding batch, in KV-cache order; a finished row leaves it (drop_finished_rows)
        active = torch.arange(n, device=self.device)  # [a]
        can_drop = self.config.drop_finished_rows and hasattr(past, "reorder_cache")
        pos = pos[:, -1:]
        tok = ids[:, -1]  # [n], replaced by the first draw before any use
        for step in range(self.config.max_new_tokens):
            if step > 0:
                with self._autocast():
                    out = self._call(self.model, 1, input_ids=tok[active, None], attention_mask=full_attn[active],
                                     position_ids=pos[active], past_key_values=past, use_cache=True)
                past, last = out.past_key_values, out.logits[:, -1]  # last [a, V]
            live = ~done  # [n]; every row outside ``active`` is done
            live_a = live[active]  # [a]
            logits = last.float() / self.config.temperature  # [a, V]
            log_probs = torch.log_softmax(logits, dim=-1)
            if greedy:
                drawn = logits.argmax(-1)
            else:
                probs = torch.softmax(_top_p_filter(logits, self.config.top_p), dim=-1)
                drawn = torch.multinomial(probs, 1, generator=self.generator)[:, 0]  # [a]
            entropy = torch.zeros(n, device=self.device)
            entropy[active] = -(log_probs.exp() * log_probs).sum(-1) * live_a.float()
            entropies.append(entropy)
            logp = torch.zeros(n, device=self.device)
            logp[active] = log_probs.gather(-1, drawn[:, None])[:, 0] * live_a.float()
            token_logp.append(logp)
            tok = torch.full((n,), pad, dtype=torch.long, device=self.device)
            tok[active] = torch.where(live_a, drawn, torch.full_like(drawn, pad))
            generated.append(tok)
            live_cols.append(live)
            if eos.numel():
                done = done | (live & torch.isin(tok, eos))
            if stops:
                check = live & ~done
                if may_stop is not None:  # only a token that can end a stop string can complete one
                    check = check & may_stop[tok.clamp(max=may_stop.numel() - 1)]
                rows_to_check = torch.nonzero(check).flatten().tolist()
                window = torch.stack(generated[-tail:], 1).cpu() if rows_to_check else None
                for i in rows_to_check:
                    recent = self.tokenizer.decode(window[i], skip_special_tokens=False)
                    if any(s in recent for s in stops):
                        done[i] = True
            finished = done[active]  # [a]; every row outside ``active`` is done already
            n_finished = int(finished.sum())  # the step's one host read (a device sync on a GPU)
            if n_finished == active.numel():
                break
            full_attn = torch.cat([full_attn, live.long()[:, None]], 1)
            pos = pos + 1
            # a finished row costs a full forward step per token until it leaves the batch; leaving costs one copy
            # of the KV cache, so rows leave a quarter of the batch at a time
            if can_drop and 4 * n_finished >= active.numel():
                keep = torch.nonzero(~finished).flatten()  # [a'] positions in the decoding batch
                past.reorder_cache(keep)
                active = active[keep]
        gen = torch.stack(generated, 1).cpu()  # [n, T]
        mask = torch.stack(live_cols, 1).float().cpu()  # [n, T]
        sampled_logp = torch.stack(token_logp, 1).float().cpu()  # [n, T]
        entropy = torch.stack(entropies, 1).cpu().sum(1) / mask.sum(1).clamp(min=1.0)  # [n]
        texts = []
        for i in range(n):
            text = self.tokenizer.decode(gen[i][mask[i] > 0], skip_special_tokens=True)
            cut = [text.index(s) + len(s) for s in stops if s in text]
            texts.append(text[:min(cut)] if cut else text)
        input_ids = torch.cat([ids.cpu(), gen], 1)
        attention = torch.cat([attn.cpu(), mask.long()], 1)
        return texts, _Rollout(input_ids=input_ids, attention_mask=attention, prompt_len=width, mask=mask,
                               old_logp=sampled_logp, ref_logp=None, entropy=entropy)

    def _stop_candidates(self, stops: tuple[str, ...]) -> torch.Tensor | None:
        """Which tokens can complete one of ``stops``: bool [V] (None: any token can, check every row).

        A stop string is completed by the token that holds its last character, so the loop decodes only rows whose
        new token contains one of those characters, or a partial UTF-8 sequence (decoded alone: U+FFFD). A stop
        ending in whitespace is not safe this way (tokenizers merge or strip spaces at piece boundaries).
        """
        if stops not in self._stop_tokens:
            ends = {s[-1] for s in stops}
            table = None
            if not any(c.isspace() for c in ends):
                size = max(len(self.tokenizer), int(getattr(self.model.config, "vocab_size", 0) or 0))
                pieces = self.tokenizer.batch_decode([[i] for i in range(len(self.tokenizer))],
                                                     skip_special_tokens=False)
                flags = [any(c in piece for c in ends) or "\ufffd" in piece for piece in pieces]
                flags += [True] * (size - len(flags))  # ids the tokenizer does not know: always check
                table = torch.tensor(flags, dtype=torch.bool, device=self.device)
            self._stop_tokens[stops] = table
        return self._stop_tokens[stops]

    def _prefill(self, model: Any, ids: torch.Tensor, attn: torch.Tensor, pos: torch.Tensor
                 ) -> tuple[torch.Tensor, Any]:
        """Run left-padded prompts [n, P]: the last position's logits [n, V] and the KV cache of all n rows.

        With ``share_prompt``, each distinct prompt row runs once and its cache is then expanded to the rows that
        repeat it (``index_select`` on every layer, differentiable, so gradients of the shared prefix sum over its
        rows): a group's G rollouts share one prompt, which is most of the tokens.
        """
        if self.config.share_prompt:
            key = torch.cat([ids, attn], 1)
            unique, inverse = torch.unique(key, dim=0, return_inverse=True)
            if unique.shape[0] < ids.shape[0]:
                u_ids, u_attn = unique[:, :ids.shape[1]], unique[:, ids.shape[1]:]
                with self._autocast():
                    out = self._call(model, 1, input_ids=u_ids, attention_mask=u_attn,
                                     position_ids=_positions(u_attn), use_cache=True)
                past = out.past_key_values
                if hasattr(past, "reorder_cache"):
                    past.reorder_cache(inverse)
                    return out.logits[:, -1][inverse], past
        with self._autocast():
            out = self._call(model, 1, input_ids=ids, attention_mask=attn, position_ids=pos, use_cache=True)
        return out.logits[:, -1], out.past_key_values

    def _concat(self, parts: list[_Rollout]) -> _Rollout:
        """Stack chunks with different prompt widths P and lengths T (extra left and right padding)."""
        if len(parts) == 1:
            return parts[0]
        p = max(r.prompt_len for r in parts)
        t = max(r.mask.shape[1] for r in parts)
        ids, attn, mask = [], [], []
        for r in parts:
            left, right = p - r.prompt_len, t - r.mask.shape[1]
            ids.append(torch.nn.functional.pad(r.input_ids, (left, right), value=int(self.tokenizer.pad_token_id)))
            attn.append(torch.nn.functional.pad(r.attention_mask, (left, right), value=0))
            mask.append(torch.nn.functional.pad(r.mask, (0, right), value=0.0))
        mask_all = torch.cat(mask)
        old = torch.cat([torch.nn.functional.pad(r.old_logp, (0, t - r.mask.shape[1])) for r in parts])
        entropy = None if any(r.entropy is None for r in parts) else torch.cat([r.entropy for r in parts])
        return _Rollout(input_ids=torch.cat(ids), attention_mask=torch.cat(attn), prompt_len=p, mask=mask_all,
                        old_logp=old, ref_logp=None, entropy=entropy)

    def sample(self, family: TaskFamily, instances: Sequence[Instance], group_size: int, chain_length: int = 1, *,
               greedy: bool = False) -> Samples:
        """G completions per instance; a chain of m answers is one completion of the family's m-route prompt."""
        b, g, m = len(instances), group_size, chain_length
        text = require(family, TextView, "a language-model policy")
        prompts = [self.render_prompt(text.prompt(inst, m) if m > 1 else text.prompt(inst)) for inst in instances]
        texts, rollout = self.generate([p for p in prompts for _ in range(g)], greedy=greedy,
                                       stops=self.stop_strings(m, text), score=not self._reuses_current_logp())
        if self.config.ppo.kl_coef > 0:
            rollout.ref_logp = self._reference_logp(rollout)
        answers = [texts[i * g:(i + 1) * g] for i in range(b)]  # [B][G]
        logprob = rollout.old_logp.sum(1).reshape(b, g).numpy().astype(np.float32)
        n_tokens = rollout.mask.sum(1).reshape(b, g).numpy().astype(np.int64)
        entropy = None if rollout.entropy is None else rollout.entropy.reshape(b, g).numpy().astype(np.float32)
        return Samples(answers=answers, logprob=logprob, n_tokens=n_tokens, policy_data=rollout, entropy=entropy)

    # ----- log-probabilities ----------------------------------------------------------------------------------
    def _forward_logp(self, model: Any, rollout: _Rollout, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probs and entropies [n, T] of the generated tokens of ``rows`` (0 on padding), teacher-forced."""
        ids = rollout.input_ids[rows].to(self.device)
        attn = rollout.attention_mask[rows].to(self.device)
        p = rollout.prompt_len
        t = rollout.mask.shape[1]
        pos = _positions(attn)
        if self.config.share_prompt:
            # the prompt once per distinct prompt (its cache expanded to the rows), then the completions after it
            first, past = self._prefill(model, ids[:, :p], attn[:, :p], pos[:, :p])
            parts = [first[:, None]]
            if t > 1:
                with self._autocast():
                    rest = self._call(model, t - 1, input_ids=ids[:, p:p + t - 1], attention_mask=attn[:, :p + t - 1],
                                      position_ids=pos[:, p:p + t - 1], past_key_values=past, use_cache=True).logits
                parts.append(rest[:, -(t - 1):])
            logits = torch.cat(parts, 1).float() / self.config.temperature  # column j predicts generated token j
        else:
            with self._autocast():
                logits = self._call(model, t + 1, input_ids=ids, attention_mask=attn, position_ids=pos,
                                    use_cache=False).logits
            logits = logits[:, -(t + 1):-1].float() / self.config.temperature  # column j predicts generated token j
        logp_all = torch.log_softmax(logits, dim=-1)  # [n, T, V]
        logp = logp_all.gather(-1, ids[:, p:p + t, None])[..., 0]
        # the entropy is a statistic unless the loss has an entropy bonus: no graph for it then
        with contextlib.nullcontext() if self.config.ppo.entropy_coef > 0 else torch.no_grad():
            entropy = -(logp_all.exp() * logp_all).sum(-1)
        mask = rollout.mask[rows].to(self.device)
        return logp * mask, entropy * mask

    @torch.no_grad()
    def _score(self, model: Any, rollout: _Rollout) -> torch.Tensor:
        """No-grad log-probs [N, T] of every rollout, in ``forward_batch_size`` chunks."""
        n = rollout.mask.shape[0]
        parts = [self._forward_logp(model, rollout, rows)[0].cpu()
                 for rows in torch.arange(n).split(self.config.forward_batch_size)]
        return torch.cat(parts).float()

    def _reference_logp(self, rollout: _Rollout) -> torch.Tensor:
        if self.reference is not None:
            return self._score(self.reference, rollout)
        with self.model.disable_adapter():  # LoRA: the frozen base model is the reference
            return self._score(self.model, rollout)

    def token_logprobs(self, rollout: _Rollout) -> Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """The ``ppo_update`` callback: rows -> (log-probs, entropies) [n, T] on the policy's device, with gradients."""
        return lambda rows: self._forward_logp(self.model, rollout, rows)

    # ----- update ---------------------------------------------------------------------------------------------
    def update(self, samples: Samples, advantages: np.ndarray) -> dict[str, float]:
        """PPO-clip on the rollouts' advantages [B, G] through ``llm_bridge.update.ppo_update``.

        A mixed group (``join``) passes its refinements as off-policy rows (the shaping weight, no ratio).
        """
        data = samples.policy_data
        extra: dict[str, Any] = {}
        if isinstance(data, _Joined):
            rollout: _Rollout = data.rollout
            extra = {"off_policy": data.off_policy.to(self.device), "shaping_gamma": data.shaping_gamma}
        else:
            rollout = data
        dev = self.device
        adv = torch.as_tensor(np.asarray(advantages, dtype=np.float32).reshape(-1)).to(dev)
        # None: the update's own log-probs, detached (one epoch, one minibatch: nothing can change them before)
        old = None if self._reuses_current_logp() else rollout.old_logp.to(dev)
        mask = rollout.mask.to(dev)
        ref = None if rollout.ref_logp is None else rollout.ref_logp.to(dev)
        ppo = self.config.ppo
        k = self.config.grad_accumulation
        if k == 1:
            return ppo_update(self.params, self.optimizer, self.token_logprobs(rollout), old, mask, adv, ppo,
                              ref_logp=ref, generator=self.shuffle_generator, **extra)
        from dataclasses import replace

        accumulating = _AccumulatingOptimizer(self.optimizer, self.params, k, ppo.max_grad_norm)
        # with one minibatch the k pieces only split one optimizer step for memory: contiguous row ranges keep each
        # group's rows together, so a piece runs its shared prompt once (shuffled pieces would mix the groups)
        stats = ppo_update(self.params, accumulating, self.token_logprobs(rollout),  # type: ignore[arg-type]
                           old, mask, adv, replace(ppo, minibatches=ppo.minibatches * k, max_grad_norm=0.0),
                           ref_logp=ref, generator=self.shuffle_generator,
                           shuffle=ppo.minibatches > 1 or not self.config.share_prompt, accumulation=k, **extra)
        accumulating.flush()
        stats["train/grad_norm"] = float(np.mean(accumulating.grad_norms)) if accumulating.grad_norms else 0.0
        return stats

    # ----- refinement (llm_bridge.policy.Refining) -------------------------------------------------------------
    def check_refine(self, family: TaskFamily) -> None:
        """A language model's feedback is the family's directive messages: the family must have them."""
        require(family, TextView, "a language-model policy")
        require(family, DirectiveMessages, "refinement with a language model (its feedback is the family's messages)")

    @torch.no_grad()
    def refine(self, family: TaskFamily, instances: Sequence[Instance], samples: Samples, rewards: np.ndarray,
               picks: np.ndarray) -> Samples:
        """One new completion per pick, sampled after the picked completion and its directive feedback."""
        self.check_refine(family)
        text = require(family, TextView, "a language-model policy")
        critic = require(family, DirectiveMessages, "refinement with a language model")
        b, r = picks.shape
        prompts = []
        for i, inst in enumerate(instances):
            for j in picks[i]:
                answer = samples.answers[i][int(j)]
                prompts.append(self.refinement_prompt(text.prompt(inst), answer,
                                                      feedback_text(critic.explain(inst, answer))))
        texts, rollout = self.generate(prompts, stops=self.stop_strings(1, text),
                                       score=not self._reuses_current_logp())
        answers = [texts[i * r:(i + 1) * r] for i in range(b)]  # [B][R]
        entropy = None if rollout.entropy is None else rollout.entropy.reshape(b, r).numpy().astype(np.float32)
        return Samples(answers=answers, logprob=rollout.old_logp.sum(1).reshape(b, r).numpy().astype(np.float32),
                       n_tokens=rollout.mask.sum(1).reshape(b, r).numpy().astype(np.int64), policy_data=rollout,
                       entropy=entropy)

    @torch.no_grad()
    def join(self, initial: Samples, refined: Samples, shaping_gamma: float) -> Samples:
        """The mixed group [B, G + R]: each refinement's tokens re-based after its original prompt (off-policy)."""
        first: _Rollout = initial.policy_data
        again: _Rollout = refined.policy_data
        b, g = initial.logprob.shape
        r = refined.logprob.shape[1]
        pad = int(self.tokenizer.pad_token_id)
        prompts = []  # [B * R] the original prompt tokens of each refinement's group
        for i in range(b * r):
            row = (i // r) * g
            keep = first.attention_mask[row, :first.prompt_len] > 0
            prompts.append(first.input_ids[row, :first.prompt_len][keep])
        p = max(int(t.numel()) for t in prompts)
        ids = torch.full((b * r, p), pad, dtype=torch.long)
        attn = torch.zeros((b * r, p), dtype=torch.long)
        for i, t in enumerate(prompts):
            ids[i, p - t.numel():] = t
            attn[i, p - t.numel():] = 1
        generated = again.input_ids[:, again.prompt_len:]
        rebased = _Rollout(input_ids=torch.cat([ids, generated], 1),
                           attention_mask=torch.cat([attn, again.attention_mask[:, again.prompt_len:]], 1),
                           prompt_len=p, mask=again.mask, old_logp=torch.zeros_like(again.mask), ref_logp=None,
                           entropy=again.entropy)
        if not self._reuses_current_logp():  # else the update uses its own log-probs: no pass needed
            rebased.old_logp = self._score(self.model, rebased)  # the current policy, original context
        merged = self._concat([first, rebased])
        merged.old_logp = torch.cat([torch.nn.functional.pad(x.old_logp, (0, merged.mask.shape[1] - x.mask.shape[1]))
                                     for x in (first, rebased)])
        rollout = _take(merged, group_order(b, g, r))
        if self.config.ppo.kl_coef > 0:
            rollout.ref_logp = self._reference_logp(rollout)
        off = (torch.arange(b * (g + r)) % (g + r)) >= g
        entropy = None if initial.entropy is None or refined.entropy is None else \
            np.concatenate([initial.entropy, refined.entropy], axis=1)
        return Samples(answers=[list(initial.answers[i]) + list(refined.answers[i]) for i in range(b)],
                       logprob=np.concatenate([initial.logprob, refined.logprob], 1),
                       n_tokens=np.concatenate([initial.n_tokens, refined.n_tokens], 1),
                       policy_data=_Joined(rollout=rollout, off_policy=off, shaping_gamma=float(shaping_gamma)),
                       entropy=entropy)

    def imitate(self, family: TaskFamily, instances: Sequence[Instance], answers: Any) -> dict[str, float]:
        """One supervised step: cross-entropy on the completion tokens of demonstrations (prompt tokens ignored).

        Args:
            family: the task family (its ``TextView``: ``prompt`` and ``format_answer``).
            instances: N instances.
            answers: N demonstrations: completion strings (``Demonstrations.demonstration_texts``), or structured
                answers [N, L] (turned into text with ``format_answer(instance, answer)``).
        """
        view = require(family, TextView, "a language-model policy")
        demos = list(answers)
        if len(demos) != len(instances):
            raise ValueError(f"need one demonstration per instance ({len(instances)}), got {len(demos)}")
        texts = [d if isinstance(d, str) else view.format_answer(inst, d) for inst, d in zip(instances, demos,
                                                                                               strict=True)]
        prompts = [self.render_prompt(view.prompt(inst)) for inst in instances]
        # Where the family gives no answer-end string (fenced Python), or the sampler does not stop at it, sampling
        # stops only at EOS: the demonstration must teach it, or the model runs on past its answer to the token
        # budget. Families whose answers end at a stop string imitate as before (their warm starts do not change;
        # toolcall's call-only answers, which end before its </response> stop string, get no EOS either).
        ends_at_stop = self.config.stop_at_answer_end and bool(view.answer_end_strings(1))
        rollout = self.teacher_rollout(prompts, texts, end_with_eos=not ends_at_stop)
        n = len(texts)
        tokens = rollout.mask.sum().clamp(min=1.0)
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for rows in torch.arange(n).tensor_split(min(n, self.config.grad_accumulation)):
            logp, _ = self._forward_logp(self.model, rollout, rows)
            loss = -logp.sum() / tokens.to(logp.device)  # summed over micro-batches: the token mean of the batch
            loss.backward()
            total += float(loss.detach())
        if self.config.ppo.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.config.ppo.max_grad_norm)
        self.optimizer.step()
        return {"imitation/loss": total}

    def teacher_rollout(self, prompts: Sequence[str], completions: Sequence[str], end_with_eos: bool = False
                        ) -> _Rollout:
        """Rendered prompts plus given completions as a rollout (for imitation and scoring fixed texts).

        ``end_with_eos``: append the tokenizer's EOS token to every completion (a tokenizer without one: nothing).
        """
        p_rows = self._encode(prompts)
        c_rows = self._encode(completions)
        if end_with_eos and self.tokenizer.eos_token_id is not None:
            c_rows = [[*row, int(self.tokenizer.eos_token_id)] for row in c_rows]
        pad = int(self.tokenizer.pad_token_id)
        p = max(len(r) for r in p_rows)
        t = max(1, max(len(r) for r in c_rows))
        n = len(p_rows)
        ids = torch.full((n, p + t), pad, dtype=torch.long)
        attn = torch.zeros((n, p + t), dtype=torch.long)
        mask = torch.zeros((n, t))
        for i, (pr, cr) in enumerate(zip(p_rows, c_rows, strict=True)):
            ids[i, p - len(pr):p] = torch.tensor(pr, dtype=torch.long)
            ids[i, p:p + len(cr)] = torch.tensor(cr, dtype=torch.long)
            attn[i, p - len(pr):p + len(cr)] = 1
            mask[i, :len(cr)] = 1.0
        return _Rollout(input_ids=ids, attention_mask=attn, prompt_len=p, mask=mask, old_logp=torch.zeros_like(mask),
                        ref_logp=None)

    # ----- checkpoints ----------------------------------------------------------------------------------------
    def _trainable_state(self) -> dict[str, torch.Tensor]:
        names = {name for name, p in self.model.named_parameters() if p.requires_grad}
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items() if k in names}

    def state_dict(self) -> dict[str, Any]:
        """Trainable weights (all, or the LoRA adapters), optimizer and both generators' states."""
        return {"model": self._trainable_state(), "optimizer": self.optimizer.state_dict(),
                "generator": self.generator.get_state(), "shuffle_generator": self.shuffle_generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()`` (the frozen reference is rebuilt from the loaded model path, so it is not saved).

        Raises:
            ValueError: the checkpoint's weights do not match this model's trainable parameters.
        """
        expected = set(self._trainable_state())
        if set(state["model"]) != expected:
            missing, extra = sorted(expected - set(state["model"])), sorted(set(state["model"]) - expected)
            raise ValueError(f"checkpoint does not match the model: missing {missing[:5]}, unexpected {extra[:5]}")
        self.model.load_state_dict(state["model"], strict=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.shuffle_generator.set_state(state["shuffle_generator"])

