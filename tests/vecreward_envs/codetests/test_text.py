import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.config import CodeTestsConfig
from vecreward_envs.codetests.generator import generate_cached
from vecreward_envs.codetests.text import MAX_COMPLETION_CHARS, parse_dsl, parse_python, prompt


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.binary(), st.integers(), st.none(), st.lists(st.text())))
def test_parsers_never_raise(completion: object) -> None:
    for parsed in (parse_python(completion), parse_dsl(completion, generate_cached(0, CodeTestsConfig()))):
        assert isinstance(parsed.ok, bool) and isinstance(parsed.reason, str)
        assert parsed.ok or parsed.reason


def test_python_fences() -> None:
    body = "def solve(xs):\n    return xs\n"
    ok = parse_python(f"Here:\n```python\n{body}```\nDone.")
    assert ok.ok and ok.code == body and not ok.reason
    last = parse_python(f"```python\ndef helper(): pass\n```\n```py\n{body}```")
    assert last.ok and last.code == body
    bare = parse_python(body)
    assert not bare.ok and bare.code == body and "whole text" in bare.reason
    other = parse_python("```python\nprint(1)\n```")
    assert not other.ok and other.code == "print(1)\n"
    none = parse_python("I do not know.")
    assert not none.ok and none.code == "" and "no code" in none.reason
    cut = parse_python("x" * (MAX_COMPLETION_CHARS + 5))
    assert "cut" in cut.reason
    assert parse_python(b"\xff").reason.startswith("completion is bytes")


def test_dsl_answers() -> None:
    problem = generate_cached(1, CodeTestsConfig())  # solve(xs)
    parsed = parse_dsl("<dsl>xs sort reverse</dsl>", problem)
    assert parsed.ok and parsed.tokens == (d.ARG0, d.SORT, d.REVERSE)
    assert parse_dsl("<DSL> arg0 3 take </DSL>").tokens == (d.ARG0, d.C_3, d.TAKE)
    bad = parse_dsl("<dsl>xs sortt</dsl>", problem)
    assert not bad.ok and "sortt" in bad.reason and bad.tokens == ()
    assert "no <dsl>" in parse_dsl("xs sort").reason
    assert "no tokens" in parse_dsl("<dsl> </dsl>").reason


def test_prompts(problems: list) -> None:
    problem = problems[2]
    text = prompt(problem)
    assert problem.statement in text and problem.signature() in text and "```python" in text
    basic = [t for t in problem.tests if t.group == "basic"]
    assert f"{problem.call_text(basic[0])} == {basic[0].expected!r}" in text
    assert problem.call_text(basic[2]) not in text  # only n_examples=2 examples are shown
    dsl_problem = generate_cached(2, CodeTestsConfig(answer_format="dsl"))
    dsl_text = prompt(dsl_problem)
    assert "<dsl>" in dsl_text and "zipwith" in dsl_text and "arg0 = xs" in dsl_text
    assert all(ch.isascii() for p in problems for ch in prompt(p))


def test_compact_prompts_are_shorter_and_hold_the_task() -> None:
    for fmt in ("python", "dsl"):
        for seed in range(6):
            config = CodeTestsConfig(answer_format=fmt, max_stages=1)
            problem = generate_cached(seed, config)
            compact = generate_cached(seed, CodeTestsConfig(answer_format=fmt, max_stages=1, prompt_style="compact"))
            assert compact.id == problem.id  # the same problem; the style changes the text only
            text, text_c = prompt(problem), prompt(compact)
            assert len(text_c.encode()) < (0.5 if fmt == "dsl" else 0.85) * len(text.encode())
            assert compact.statement in text_c and all(ch.isascii() for ch in text_c)
            basic = [t for t in compact.tests if t.group == "basic"]
            assert f"{compact.call_text(basic[0])} == {basic[0].expected!r}" in text_c
            assert compact.call_text(basic[2]) not in text_c  # only n_examples=2 examples are shown
            if fmt == "python":
                assert compact.signature() in text_c and "```python" in text_c
            else:  # the whole language, never only the answer's ops
                words = set(text_c.replace("(", " ").replace(")", " ").split())
                assert set(d.TOKEN_NAMES) - {"end"} <= words
                assert "arg0 = " in text_c and "<dsl>" in text_c


def test_compact_reference_lists_every_token_once() -> None:
    names = [w for _, ops in d.COMPACT_REFERENCE for w in ops.split() if w in d.TOKEN_OF]
    assert sorted(names) == sorted(set(d.TOKEN_NAMES) - {"end"})


def test_demonstrations_score_the_same_under_both_prompt_styles(pool: object) -> None:
    from vecreward_envs.codetests.family import CodeTestsFamily

    for fmt in ("python", "dsl"):
        reference = CodeTestsFamily(CodeTestsConfig(answer_format=fmt, max_stages=1), sandbox=pool)
        compact = CodeTestsFamily(CodeTestsConfig(answer_format=fmt, max_stages=1, prompt_style="compact"),
                                  sandbox=pool)
        for seed in range(3):
            problem, problem_c = reference.generate(seed), compact.generate(seed)
            text = reference.format_answer(problem)
            assert compact.format_answer(problem_c) == text
            rewards, _ = reference.score_completions(problem, [text])
            rewards_c, _ = compact.score_completions(problem_c, [text])
            np.testing.assert_array_equal(rewards_c, rewards)
            assert np.nansum(rewards_c) == np.sum(~np.isnan(rewards_c))  # the ground truth passes everything


def test_bad_prompt_style_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match="prompt_style") as err:
        CodeTestsConfig(prompt_style="short")  # type: ignore[arg-type]
    assert "\n" not in str(err.value)
