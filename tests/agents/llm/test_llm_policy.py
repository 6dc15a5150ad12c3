"""HFPolicy on a tiny GPT-2 with an offline byte tokenizer (CPU, no network)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from agents.llm.config import LLMPolicyConfig  # noqa: E402
from agents.llm.offline import TINY_CHAT_TEMPLATE, build_tiny_model  # noqa: E402
from agents.llm.policy import HFPolicy  # noqa: E402
from llm_bridge.policy import Policy  # noqa: E402
from llm_bridge.rollout import score  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def family():  # noqa: ANN201
    return make_family("maze", size=7)


def _policy(tiny_dir: Path, seed: int = 0, **kwargs: object) -> HFPolicy:
    torch.set_num_threads(1)
    return HFPolicy(LLMPolicyConfig(model=str(tiny_dir), max_new_tokens=kwargs.pop("max_new_tokens", 12),
                                    **kwargs), seed=seed)


def _direct_logp(policy: HFPolicy, prompt: str, completion_ids: list[int]) -> torch.Tensor:
    """Log-probs of ``completion_ids`` after ``prompt`` from one unpadded forward pass."""
    prompt_ids = policy.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + completion_ids])
    with torch.no_grad():
        logits = policy.model(ids).logits[0].float() / policy.config.temperature
    logp = torch.log_softmax(logits, -1)[len(prompt_ids) - 1:-1]
    return logp.gather(-1, torch.tensor(completion_ids)[:, None])[:, 0]


def _direct_entropy(policy: HFPolicy, prompt: str, completion_ids: list[int]) -> torch.Tensor:
    """Mean entropy of the next-token distributions that drew ``completion_ids``, from one unpadded forward pass."""
    prompt_ids = policy.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logits = policy.model(torch.tensor([prompt_ids + completion_ids])).logits[0].float()
    logp = torch.log_softmax(logits / policy.config.temperature, -1)[len(prompt_ids) - 1:-1]
    return -(logp.exp() * logp).sum(-1).mean()


def test_tiny_model_round_trip_with_normal_loading(tiny_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    text = "Grid: S..#E <answer>UP RIGHT</answer> \N{EM DASH}"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text
    assert len(ids) == len(text.encode("utf-8"))  # one token per byte
    assert model.config.vocab_size == len(tokenizer) == 257


@pytest.mark.parametrize("chunk", [64, 2])  # 2: rows decoded in two chunks of different widths, then stacked
def test_sample_shapes_left_padding_and_logprobs_match_direct_forward(tiny_dir: Path, chunk: int) -> None:
    policy = _policy(tiny_dir, temperature=0.7, generation_batch_size=chunk)
    assert isinstance(policy, Policy) and policy.view == "text"
    prompts = ["a", "a much longer prompt than the first one", "mid-size prompt"]
    texts, rollout = policy.generate(prompts)
    n, p = len(prompts), rollout.prompt_len
    assert p == len(prompts[1]) and rollout.input_ids.shape[0] == n
    assert rollout.attention_mask[0, : p - 1].sum() == 0 and rollout.attention_mask[0, p - 1] == 1  # left padded
    assert rollout.mask.shape == rollout.old_logp.shape == (n, rollout.input_ids.shape[1] - p)
    for i, prompt in enumerate(prompts):
        t = int(rollout.mask[i].sum())
        gen = rollout.input_ids[i, p:p + t].tolist()
        direct = _direct_logp(policy, prompt, gen)
        torch.testing.assert_close(rollout.old_logp[i, :t], direct, atol=1e-5, rtol=0)
        assert policy.tokenizer.decode(gen, skip_special_tokens=True) == texts[i]


def test_maze_samples_protocol_shapes(tiny_dir: Path, family) -> None:  # noqa: ANN001
    policy = _policy(tiny_dir)
    instances = family.instances(0, 2)
    samples = policy.sample(family, instances, 3)
    assert len(samples.answers) == 2 and all(len(g) == 3 and all(isinstance(c, str) for c in g)
                                             for g in samples.answers)
    assert samples.logprob.shape == (2, 3) and samples.logprob.dtype == np.float32
    assert samples.n_tokens.shape == (2, 3) and (samples.n_tokens <= 12).all() and (samples.n_tokens >= 1).all()
    np.testing.assert_allclose(samples.logprob, samples.policy_data.old_logp.sum(1).reshape(2, 3).numpy(),
                               rtol=1e-6)
    scored = score(family, instances, samples, view="text")
    assert scored.rewards.shape == (2, 3, 1, len(family.reward_names))


def test_stop_strings_cut_the_completion(tiny_dir: Path) -> None:
    policy = _policy(tiny_dir, max_new_tokens=20)
    (free,), _ = policy.generate(["stop test"], greedy=True)
    stop = free[5:7]
    assert len(free) >= 7 and stop
    (cut,), rollout = policy.generate(["stop test"], greedy=True, stops=[stop])
    assert cut == free[: free.index(stop) + len(stop)]
    assert int(rollout.mask.sum()) < 20


def test_finished_rows_leave_the_decoding_batch_and_logprobs_stay_exact(tiny_dir: Path) -> None:
    # 5 distinct prompts, 3 of them twice: the shared-prompt prefill expands their KV cache before rows drop out
    prompts = [f"prompt number {i % 5} " * (1 + i % 5 % 3) for i in range(8)]
    assert len(set(prompts)) == 5
    stops = list("abcdefghijklmnop")  # single bytes: each row stops after a few sampled tokens, at its own step
    batch_sizes: dict[bool, list[int]] = {}
    for drop in (True, False):
        policy = _policy(tiny_dir, max_new_tokens=24, drop_finished_rows=drop)
        sizes: list[int] = []
        record = lambda m, a, k, sizes=sizes: sizes.append(k["input_ids"].shape[0])  # noqa: E731
        hook = policy.model.register_forward_pre_hook(record, with_kwargs=True)
        texts, rollout = policy.generate(prompts, stops=stops, score=False)
        hook.remove()
        batch_sizes[drop] = sizes
        p = rollout.prompt_len
        lengths = rollout.mask.sum(1).int().tolist()
        assert len(set(lengths)) > 2  # rows finish at different steps
        for i, prompt in enumerate(prompts):
            t = lengths[i]
            gen = rollout.input_ids[i, p:p + t].tolist()
            assert (rollout.input_ids[i, p + t:] == policy.tokenizer.pad_token_id).all()
            torch.testing.assert_close(rollout.old_logp[i, :t], _direct_logp(policy, prompt, gen), atol=1e-5, rtol=0)
            entropy = _direct_entropy(policy, prompt, gen)  # the sampler's entropy: its mean over the row's tokens
            torch.testing.assert_close(rollout.entropy[i], entropy, atol=1e-5, rtol=0)
            assert t == 24 or gen[-1] in policy.eos_ids or texts[i].endswith(tuple(stops))
    for sizes in batch_sizes.values():
        assert sizes[0] == 5  # the prefill: each distinct prompt once
    decoding = {drop: sizes[1:] for drop, sizes in batch_sizes.items()}
    assert decoding[False] == [8] * len(decoding[False])
    assert decoding[True][0] == 8 and decoding[True][-1] < 8  # finished rows stopped costing forward passes
    assert decoding[True] == sorted(decoding[True], reverse=True)


def test_chat_template_is_applied_when_present(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path / "chat", chat_template=TINY_CHAT_TEMPLATE)
    policy = _policy(path)
    assert policy.render_prompt("hi") == "<|user|>\nhi\n<|assistant|>\n"
    plain = HFPolicy(LLMPolicyConfig(model=str(path), chat_template=False))
    assert plain.render_prompt("hi") == "hi"


def test_update_changes_weights_and_imitation_lowers_loss(tiny_dir: Path, family) -> None:  # noqa: ANN001
    policy = _policy(tiny_dir, lr=1e-3)
    before = {k: v.clone() for k, v in policy.model.state_dict().items()}
    instances = family.instances(0, 2)
    samples = policy.sample(family, instances, 2)
    stats = policy.update(samples, np.array([[1.0, -1.0], [0.5, -0.5]], dtype=np.float32))
    assert stats["train/grad_norm"] > 0 and abs(stats["train/approx_kl"]) < 1e-6  # on-policy: ratio 1
    changed = [k for k, v in policy.model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed
    demos = family.demonstrations(instances)
    losses = [policy.imitate(family, instances, demos)["imitation/loss"] for _ in range(3)]
    assert losses[-1] < losses[0]


def test_imitation_teaches_eos_only_where_no_stop_string_ends_the_answer(tiny_dir: Path, family,  # noqa: ANN001
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    code = make_family("codetests", answer_format="python", max_stages=1, reference_demonstrations=True)
    cases = (({}, code, True),  # Python code: no answer-end string, so sampling stops only at EOS
             ({"stop_strings": "###"}, code, True),  # a user's stop string does not end the answer
             ({}, family, False),  # the maze's answers end at </answer>, where sampling stops
             ({"stop_at_answer_end": False}, family, True))  # unless the sampler does not stop there
    for settings, fam, ends_with_eos in cases:
        policy = _policy(tiny_dir, lr=1e-3, **settings)
        eos = policy.tokenizer.eos_token_id
        seen: list[tuple[list[int], torch.Tensor]] = []
        original = policy.teacher_rollout

        def spy(prompts, completions, end_with_eos=False, policy=policy, original=original, seen=seen):  # noqa: ANN001, ANN202
            rollout = original(prompts, completions, end_with_eos=end_with_eos)
            seen.append(([len(policy._encode([c])[0]) for c in completions], rollout))
            return rollout

        monkeypatch.setattr(policy, "teacher_rollout", spy)
        instances = fam.instances(0, 3)
        policy.imitate(fam, instances, fam.demonstration_texts(instances))
        lengths, rollout = seen.pop()
        counts = rollout.mask.sum(1).long().tolist()
        assert counts == [n + ends_with_eos for n in lengths], settings
        last = [int(rollout.input_ids[i, rollout.prompt_len + c - 1]) for i, c in enumerate(counts)]
        assert all((t == eos) == ends_with_eos for t in last), settings


def test_grad_accumulation_and_kl_reference(tiny_dir: Path, family) -> None:  # noqa: ANN001
    from llm_bridge.ppo_config import PPOConfig

    policy = _policy(tiny_dir, lr=1e-3, grad_accumulation=2, ppo=PPOConfig(kl_coef=0.1, epochs=2))
    samples = policy.sample(family, family.instances(0, 2), 2)
    assert samples.policy_data.ref_logp is not None
    torch.testing.assert_close(samples.policy_data.ref_logp, samples.policy_data.old_logp)  # no step yet
    stats = policy.update(samples, np.array([[1.0, -1.0], [0.5, -0.5]], dtype=np.float32))
    assert stats["train/kl"] > 0 and stats["train/grad_norm"] > 0  # second epoch moved away from the reference


def test_lora_with_gradient_checkpointing_trains_only_adapters(tiny_dir: Path, family) -> None:  # noqa: ANN001
    pytest.importorskip("peft")
    policy = _policy(tiny_dir, lora=True, lora_r=4, lora_targets="c_attn", lr=1e-2, gradient_checkpointing=True)
    assert policy.params and all("lora" in name for name, p in policy.model.named_parameters() if p.requires_grad)
    samples = policy.sample(family, family.instances(0, 1), 2)
    state = policy.state_dict()
    assert all("lora" in k for k in state["model"])
    policy.update(samples, np.array([[1.0, -1.0]], dtype=np.float32))
    assert any(not torch.equal(v, state["model"][k]) for k, v in policy.state_dict()["model"].items())


def test_chains_parse_through_score_chains(tiny_dir: Path, family) -> None:  # noqa: ANN001
    policy = _policy(tiny_dir)
    maze = make_family("maze")
    assert policy.stop_strings(2, maze) == ("</route_2>",) and policy.stop_strings(1, maze) == ("</answer>",)
    assert policy.stop_strings(1, make_family("toolcall")) == ("</response>",)
    assert policy.stop_strings(1, make_family("codetests")) == ()
    assert policy.stop_strings(1, make_family("codetests", answer_format="dsl")) == ("</dsl>",)
    assert policy.stop_strings(1, make_family("confidence")) == ("</confidence>",)
    instances = family.instances(0, 2)
    samples = policy.sample(family, instances, 2, chain_length=2)
    scored = score(family, instances, samples, view="text", chain_length=2)
    assert scored.rewards.shape == (2, 2, 2, len(family.reward_names))
    # A chain completion in the format the m-route prompt asks for parses into both routes and scores them.
    routes = family.demonstrations(instances)
    chain = "".join(f"<route_{i + 1}>{family.format_answer(instances[0], r)[8:-9]}</route_{i + 1}>"
                    for i, r in enumerate([routes[0], routes[0][:1]]))
    rewards, parsed = family.score_chains(instances[0], [chain], 2)
    assert [p.ok for p in parsed[0]] == [True, True] and rewards[0, 0, 0] > 0  # the solver route reaches E


def test_state_dict_round_trip_resumes_sampling(tiny_dir: Path, family) -> None:  # noqa: ANN001
    policy = _policy(tiny_dir, lr=1e-3)
    instances = family.instances(0, 2)
    policy.update(policy.sample(family, instances, 2), np.array([[1.0, -1.0], [1.0, -1.0]], dtype=np.float32))
    state = copy.deepcopy(policy.state_dict())
    first = policy.sample(family, instances, 2)
    other = _policy(tiny_dir, seed=123, lr=1e-3)
    other.load_state_dict(state)
    second = other.sample(family, instances, 2)
    assert first.answers == second.answers
    np.testing.assert_array_equal(first.logprob, second.logprob)


def test_bad_model_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist or has no config.json"):
        HFPolicy(LLMPolicyConfig(model=str(tmp_path / "nope")))
    with pytest.raises(ValueError, match="no model given"):
        HFPolicy(LLMPolicyConfig())


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="top_p"):
        LLMPolicyConfig(top_p=0.0)
    with pytest.raises(ValueError, match="grad_accumulation"):
        LLMPolicyConfig(grad_accumulation=0)
    assert LLMPolicyConfig(stop_strings="a||b").extra_stop_strings() == ("a", "b")


def test_short_trainer_run_writes_run_dir(tiny_dir: Path, family, tmp_path: Path) -> None:  # noqa: ANN001
    from llm_bridge.pipeline import PipelineConfig
    from llm_bridge.trainer import TrainConfig, train

    config = TrainConfig(task="maze", task_params={"size": 7}, pipeline=PipelineConfig(aggregator="gdpo"), steps=2,
                         batch_size=2, group_size=2, train_instances=8, eval_instances=2, eval_samples=2,
                         eval_every=2, checkpoint_every=2, warm_start_steps=1)
    policy = _policy(tiny_dir, max_new_tokens=8)
    result = train(config, policy, family, tmp_path / "run", progress=False, tensorboard=False)
    assert (tmp_path / "run" / "config.json").exists()
    assert len(result.history) == 2 and "train/loss" in result.history[-1]
    assert any(k.startswith("eval/") for k in result.last_eval)


# ----- the lean step: shared prompts, no separate old-log-prob pass, stop candidates --------------------------------
def test_shared_prompt_logprobs_and_gradients_match_the_unshared_pass(tiny_dir: Path, family) -> None:  # noqa: ANN001
    """Each group's prompt runs once; the log-probs and the gradient (through the shared prefix) stay exact."""
    shared = _policy(tiny_dir, temperature=0.8)
    plain = _policy(tiny_dir, temperature=0.8, share_prompt=False)
    prompts = ["a prompt", "a prompt", "another, longer prompt", "a prompt", "another, longer prompt"]
    texts, rollout = shared.generate(prompts, score=False)
    rows = torch.tensor([4, 0, 1, 3])  # shuffled, as a minibatch would be
    grads = []
    for policy in (shared, plain):
        logp, _ = policy.token_logprobs(rollout)(rows)
        policy.model.zero_grad()
        (logp.sum() * 0.1).backward()
        grads.append({k: p.grad.clone() for k, p in policy.model.named_parameters() if p.grad is not None})
        for j, i in enumerate(rows.tolist()):
            t = int(rollout.mask[i].sum())
            gen = rollout.input_ids[i, rollout.prompt_len:rollout.prompt_len + t].tolist()
            torch.testing.assert_close(logp[j, :t].detach(), _direct_logp(policy, prompts[i], gen), atol=1e-5,
                                       rtol=0)
            assert shared.tokenizer.decode(gen, skip_special_tokens=True) == texts[i]
    assert grads[0].keys() == grads[1].keys() and grads[0]
    for k in grads[0]:
        torch.testing.assert_close(grads[0][k], grads[1][k], atol=1e-5, rtol=1e-4)
    # the sampling-time log-probs (kept as old_logp without a scoring pass) are the same distribution's
    for i, prompt in enumerate(prompts):
        t = int(rollout.mask[i].sum())
        gen = rollout.input_ids[i, rollout.prompt_len:rollout.prompt_len + t].tolist()
        torch.testing.assert_close(rollout.old_logp[i, :t], _direct_logp(shared, prompt, gen), atol=1e-5, rtol=0)


def test_shared_prompt_sampling_draws_what_the_unshared_loop_draws(tiny_dir: Path, family) -> None:  # noqa: ANN001
    instances = family.instances(0, 2)
    a = _policy(tiny_dir, seed=5).sample(family, instances, 3)
    b = _policy(tiny_dir, seed=5, share_prompt=False).sample(family, instances, 3)
    assert a.answers == b.answers  # same generator, same distributions: same draws
    np.testing.assert_allclose(a.logprob, b.logprob, atol=1e-4)
    np.testing.assert_allclose(a.entropy, b.entropy, atol=1e-5)
    assert a.entropy.shape == (2, 3) and np.isfinite(a.entropy).all()


def test_one_epoch_update_reuses_current_logprobs(tiny_dir: Path, family) -> None:  # noqa: ANN001
    """ppo.epochs == 1, one minibatch: no old-log-prob pass, and the same step as with the pass."""
    from llm_bridge.ppo_config import PPOConfig

    instances = family.instances(0, 2)
    adv = np.array([[1.0, -1.0, 0.5], [0.5, -0.5, 0.0]], dtype=np.float32)
    fast = _policy(tiny_dir, lr=1e-3, grad_accumulation=2)
    slow = _policy(tiny_dir, lr=1e-3, grad_accumulation=2, reuse_current_logp=False)
    assert fast._reuses_current_logp() and not slow._reuses_current_logp()
    assert not _policy(tiny_dir, ppo=PPOConfig(epochs=2))._reuses_current_logp()
    assert not _policy(tiny_dir, ppo=PPOConfig(minibatches=2))._reuses_current_logp()
    calls = []
    fast._score = lambda *a: calls.append(a)  # type: ignore[method-assign]
    s_fast = fast.sample(family, instances, 3)
    assert not calls  # no scoring pass
    s_slow = slow.sample(family, instances, 3)
    assert s_fast.answers == s_slow.answers
    np.testing.assert_allclose(s_fast.logprob, s_slow.logprob, atol=1e-4)
    st_fast, st_slow = fast.update(s_fast, adv), slow.update(s_slow, adv)
    assert st_fast["train/approx_kl"] == 0.0 and st_fast["train/clip_fraction"] == 0.0
    assert st_fast["train/grad_norm"] == pytest.approx(st_slow["train/grad_norm"], rel=1e-4)
    for (name, p), q in zip(fast.model.named_parameters(), slow.model.parameters(), strict=True):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-5, msg=name)


def test_stop_candidates_cover_the_tokens_that_end_a_stop(tiny_dir: Path) -> None:
    policy = _policy(tiny_dir)
    table = policy._stop_candidates(("</answer>", "\N{EM DASH}"))
    assert table is not None and table.dtype == torch.bool
    ids = policy.tokenizer(">a\N{EM DASH}", add_special_tokens=False)["input_ids"]
    assert table[ids[0]] and not table[ids[1]]
    assert all(table[i] for i in ids[2:])  # bytes of a multi-byte character: decoded alone they are partial
    assert policy._stop_candidates(("end\n",)) is None  # a stop ending in whitespace: every row is checked


def test_accumulation_pieces_keep_groups_together(tiny_dir: Path, family) -> None:  # noqa: ANN001
    """One minibatch split k ways for memory: contiguous pieces, so each runs its group's prompt once."""
    policy = _policy(tiny_dir, lr=1e-3, grad_accumulation=2)
    samples = policy.sample(family, family.instances(0, 2), 3)
    seen: list[list[int]] = []
    inner = policy.token_logprobs
    policy.token_logprobs = lambda r: (lambda rows: (seen.append(rows.tolist()), inner(r)(rows))[1])  # type: ignore
    policy.update(samples, np.array([[1.0, -1.0, 0.5], [0.5, -0.5, 0.0]], dtype=np.float32))
    assert seen == [[0, 1, 2], [3, 4, 5]]
