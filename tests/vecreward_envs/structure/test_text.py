"""Text view: the prompt, a parser that never raises, and format_answer -> score_completions == score_answers."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structure_helpers import configs

from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.family import StructureFamily
from vecreward_envs.structure.layout import layout


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs(), data=st.data())
def test_format_then_score_completions_equals_score_answers(config: StructureConfig, data: st.DataObject) -> None:
    family = StructureFamily(config)
    inst = family.generate(data.draw(st.integers(0, 10**6)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    g = data.draw(st.integers(1, 8))
    width = config.answer_len + 1
    values = rng.integers(0, config.V, size=(g, width))
    tokens = np.where(rng.random((g, width)) < 0.9, values, rng.integers(-2, config.V + 3, size=(g, width)))
    tokens[0] = family.demonstrations([inst])[0]
    texts = [family.format_answer(inst, row) for row in tokens]
    rewards, parsed = family.score_completions(inst, texts)
    assert all(p.ok for p in parsed)
    np.testing.assert_array_equal(rewards, family.score_answers([inst], tokens, np.zeros(g, np.int64)))


def test_parse_forms_and_failures() -> None:
    family = StructureFamily()  # L = 6, V = 5
    ok = family.parse("reasoning...\n<answer>1 2, 3 0 4 2</answer> trailing")
    assert ok.ok and ok.values == (1, 2, 3, 0, 4, 2)
    assert family.parse("<answer>1 2</answer>").values == (1, 2)  # a shorter answer: the rest is absent
    assert family.parse("<answer></answer>").ok
    for bad, why in [("1 2 3", "no <answer>"), ("<answer>1 2", "not closed"), ("<answer>1 x</answer>", "'x'"),
                     ("<answer>1 5</answer>", "'5' is not an integer in 0..4"), ("<answer>-1</answer>", "'-1'"),
                     ("<answer>1.0</answer>", "'1.0'"), ("<answer>" + "1 " * 7 + "</answer>", "7 values"),
                     ("<answer>" + "9" * 5000 + "</answer>", "is not an integer"), (None, "not a string"),
                     (b"<answer>1</answer>", "not a string"), (["<answer>1</answer>"], "not a string"),
                     ("<answer>\u0661</answer>", "is not an integer")]:
        parsed = family.parse(bad)
        assert not parsed.ok and why in parsed.reason and "\n" not in parsed.reason, (bad, parsed.reason)
    rewards, _ = family.score_completions(family.generate(0), ["junk", None, "<answer>9</answer>"])
    assert not rewards.any()  # unreadable: 0 on every objective


def test_unreadable_scores_zero_even_under_a_noisy_judge() -> None:
    family = StructureFamily(noise=1.0, noisy="0,1,2", saturating=True)
    rewards, parsed = family.score_completions(family.generate(0), ["no answer"] * 8)
    assert not rewards.any() and not any(p.ok for p in parsed)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.builds(lambda a, b: f"{a}<answer>{b}</answer>", st.text(max_size=20),
                                                        st.text(max_size=40))))
def test_parse_never_raises(text: str) -> None:
    family = StructureFamily()
    parsed = family.parse(text)
    assert isinstance(parsed.ok, bool) and (parsed.ok or parsed.reason)
    rewards, _ = family.score_completions(family.generate(1), [text])
    assert rewards.shape == (1, 3) and np.all((rewards >= 0) & (rewards <= 1))


def test_prompt_states_features_rules_and_scoring() -> None:
    family = StructureFamily(K=2, relation="tradeoff", difficulty="medium", granularity="binary,levels:3",
                             bottleneck=True, saturating=True, proxy=True)
    inst = family.generate(4)
    text = family.prompt(inst)
    assert text.startswith("Features: " + " ".join(f"x{i}={v}" for i, v in enumerate(inst.x)))
    assert "match/0 wants (x0 + x1) mod 4; match/1 wants (x0 + x1 + 1) mod 4" in text
    assert "bottleneck (values 3-5)" in text and "value 6: 0" in text and "proxy" not in text
    assert text.endswith("<answer>v1 v2 v3 v4 v5 v6</answer>")
    assert family.answer_end_strings() == ("</answer>",)
    assert family.parse(family.demonstration_texts([inst])[0]).ok


def _compact_rules(text: str) -> dict[int, dict[str, str]]:
    """Position (0-based) -> {objective name or "": rule} read back from a compact prompt's mapping line."""
    line = next(ln for ln in text.splitlines() if ln.startswith("Write "))
    out: dict[int, dict[str, str]] = {}
    for entry in line.split(": ", 1)[1].split("; "):
        if "=" in entry.split(" ", 1)[0]:
            pos, rule = entry.split("=", 1)
            out[int(pos[1:]) - 1] = {"": rule}
        else:
            pos, wants = entry.removesuffix(" (pick one)").split(": ", 1)
            out[int(pos[1:]) - 1] = dict(w.split(" ", 1) for w in wants.split(", "))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs(), seed=st.integers(0, 10**6))
def test_compact_prompt_is_shorter_and_states_every_rule(config: StructureConfig, seed: int) -> None:
    from dataclasses import replace

    reference, compact = StructureFamily(config), StructureFamily(replace(config, prompt_style="compact"))
    inst, inst_c = reference.generate(seed), compact.generate(seed)
    np.testing.assert_array_equal(inst_c.x, inst.x)  # the style changes the text only
    np.testing.assert_array_equal(inst_c.targets, inst.targets)
    text, text_c = reference.prompt(inst), compact.prompt(inst_c)
    assert len(text_c.encode()) < len(text.encode())
    assert text_c.startswith("Features: " + " ".join(f"x{i}={v}" for i, v in enumerate(inst.x)) + ".\n")
    assert "proxy" not in text_c and f"0-{config.V - 1}" in text_c
    assert text_c.splitlines()[-1].startswith("Answer: <answer>v1") and text_c.endswith("</answer>")
    features = {f"x{i}": int(v) for i, v in enumerate(inst.x)}
    rules = _compact_rules(text_c)
    assert sorted(rules) == list(range(config.answer_len))
    lay = layout(config)
    for j, name in enumerate(config.reward_names):
        if name == "proxy":
            continue
        for p in range(int(lay.n_pos[j])):
            wants = rules[int(lay.positions[j, p])]
            rule = wants.get(name, wants.get(""))
            assert rule is not None and eval(rule, {}, features) == inst.targets[j, p]  # noqa: S307
    demo = reference.demonstration_texts([inst])
    assert compact.demonstration_texts([inst_c]) == demo
    rewards, _ = reference.score_completions(inst, demo, noise=False)
    rewards_c, parsed = compact.score_completions(inst_c, demo, noise=False)
    np.testing.assert_array_equal(rewards_c, rewards)
    assert parsed[0].ok


def test_compact_prompt_of_a_tradeoff() -> None:
    family = StructureFamily(K=2, relation="tradeoff", difficulty="medium", granularity="binary,levels:3",
                             bottleneck=True, saturating=True, proxy=True, prompt_style="compact")
    text = family.prompt(family.generate(4))
    assert "v1: match/0 (x0+x1)%4, match/1 (x0+x1+1)%4 (pick one)" in text
    assert "bottleneck v3-5" in text and "v6=0" in text and "proxy" not in text
    assert text.endswith("Answer: <answer>v1 v2 v3 v4 v5 v6</answer>")


def test_bad_prompt_style_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match="prompt_style") as err:
        StructureConfig.from_kwargs(prompt_style="short")
    assert "\n" not in str(err.value)
    assert StructureConfig.from_kwargs(prompt_style=" compact ").prompt_style == "compact"
