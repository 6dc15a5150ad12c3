"""Text view: the prompt, and parsers that never raise (a parse failure is a reward outcome with a reason)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.problem import ENTRY_POINT, CodeProblem
from vecreward_envs.completion import as_text

MAX_COMPLETION_CHARS = 100_000
"""Completions are cut to this many characters before parsing."""

# These patterns cost linear time on any text (issue 16); each matches exactly what its first form matched.
# _FENCE was ```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```: its two blank runs around an empty language backtracked
# in O(k^2) on '```' + ' ' * k. The optional group reads the same headers (findall gives '' for a missing one).
# _DEF was ^\s*def...: from every line start \s* ran over all the newlines that follow, O(n^2) on '\n' * n. A
# whitespace run holding a newline has a line start after its last newline, so from a line start only blanks
# other than newlines need skipping: the same texts match.
_FENCE = re.compile(r"```[ \t]*(?:([A-Za-z0-9_+-]+)[ \t]*)?\n(.*?)```", re.DOTALL)
_DSL_OPEN = re.compile("<dsl>", re.IGNORECASE)
_DSL_CLOSE = re.compile("</dsl>", re.IGNORECASE)
_DEF = re.compile(rf"^[^\S\n]*def\s+{ENTRY_POINT}\s*\(", re.MULTILINE)


@dataclass(frozen=True)
class ParsedAnswer:
    """What was read from a completion."""

    kind: str
    """``python`` or ``dsl``."""
    code: str
    """Python source ("" when none was found)."""
    tokens: tuple[int, ...]
    """DSL tokens (empty when none were read)."""
    ok: bool
    """The completion followed the requested format."""
    reason: str
    """Empty when ok; otherwise what was wrong."""


def _as_text(completion: object) -> tuple[str | None, str]:
    return as_text(completion, MAX_COMPLETION_CHARS)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def parse_python(completion: object) -> ParsedAnswer:
    """The code of the last fenced block that defines ``solve`` (or the last fenced block).

    Without a fence, a text that defines ``solve`` is run whole (``ok`` is then False). Never raises.
    """
    text, note = _as_text(completion)
    if text is None:
        return ParsedAnswer("python", "", (), False, note)
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    with_def = [body for lang, body in blocks if _DEF.search(body) and lang in ("", "python", "py", "python3")]
    if with_def:
        return ParsedAnswer("python", with_def[-1], (), not note, note)
    if blocks:
        return ParsedAnswer("python", blocks[-1][1], (), False,
                            _join(note, f"no ```python block defines {ENTRY_POINT}(); the last block was run"))
    if _DEF.search(text):
        return ParsedAnswer("python", text, (), False, _join(note, "no ```python code block; the whole text was run"))
    return ParsedAnswer("python", "", (), False, _join(note, f"no code defining {ENTRY_POINT}() was found"))


def _first_dsl(text: str) -> str | None:
    """The body of the first ``<dsl>...</dsl>`` (case-insensitive), None when there is none.

    The first opening tag, then the first closing tag after it: the first match of the non-greedy
    ``<dsl>(.*?)</dsl>``, in linear time (the regex scanned on from every opening tag when no closing one followed;
    if the first opening tag has no closing tag after it, no later one has either).
    """
    opening = _DSL_OPEN.search(text)
    if opening is None:
        return None
    closing = _DSL_CLOSE.search(text, opening.end())
    return None if closing is None else text[opening.end():closing.start()]


def parse_dsl(completion: object, problem: CodeProblem | None = None) -> ParsedAnswer:
    """The tokens of the first ``<dsl>...</dsl>`` (argument names of ``problem`` may stand for arg0/arg1).

    Unknown words make the program unreadable (no tokens; ``ok`` False). Never raises.
    """
    text, note = _as_text(completion)
    if text is None:
        return ParsedAnswer("dsl", "", (), False, note)
    body = _first_dsl(text)
    if body is None:
        return ParsedAnswer("dsl", "", (), False, _join(note, "no <dsl>...</dsl> tag"))
    if problem is not None:
        for i, name in enumerate(problem.arg_names):
            body = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", f"arg{i}", body)
    tokens, problem_text = d.text_to_tokens(body)
    if problem_text:
        return ParsedAnswer("dsl", "", (), False, _join(note, problem_text))
    if not tokens:
        return ParsedAnswer("dsl", "", (), False, _join(note, "the <dsl> tag holds no tokens"))
    return ParsedAnswer("dsl", "", tuple(tokens), not note, note)


def _examples(problem: CodeProblem, n: int) -> list[str]:
    basic = [t for t in problem.tests if t.group == "basic"][:n]
    return [f"    {problem.call_text(t)} == {t.expected!r}" for t in basic]


_EDGE_NOTE = ("Hidden tests also check edge cases: empty inputs, single items, negative numbers, repeated values "
              "and large values.")


def prompt(problem: CodeProblem) -> str:
    """The prompt of ``problem`` in its config's answer format (Python function or DSL program).

    With ``prompt_style="compact"`` it is ``compact_prompt(problem)``.
    """
    config = problem.config
    if config.prompt_style == "compact":
        return compact_prompt(problem)
    examples = _examples(problem, config.n_examples)
    lines = ["Solve the following programming task.", "", "Task:", problem.statement, ""]
    if config.answer_format == "python":
        lines += ["Write a Python function with this signature:", f"    {problem.signature()}", ""]
        if examples:
            lines += ["Examples:", *examples, ""]
        lines += [_EDGE_NOTE, "Use only the Python standard library. Put the complete function in one ```python code "
                  "block."]
        return "\n".join(lines)
    args = ", ".join(f"arg{i} = {name}" for i, name in enumerate(problem.arg_names))
    lines += [f"Write it as a program of this postfix stack language ({args}; the program leaves exactly one "
              "value, the answer):"]
    lines += [f"    {op.token:<48} {op.effect:<22} {op.meaning}" for op in d.REFERENCE]
    lines += ["", f"For example `{problem.arg_names[0]} sort reverse` sorts in descending order.", ""]
    if examples:
        lines += ["Examples:", *examples, ""]
    lines += [_EDGE_NOTE, "Answer with the program in <dsl>...</dsl> tags, e.g. <dsl>arg0 sort</dsl>."]
    return "\n".join(lines)


_COMPACT_EDGE_NOTE = "Hidden tests: empty, single-item, negative, repeated and large inputs."


def compact_prompt(problem: CodeProblem) -> str:
    """The ``prompt_style="compact"`` prompt: the task, what to write, the examples, the hidden tests in one line.

    For DSL answers the whole language is listed (never only the ops the answer needs), compressed to one line per
    stack effect (``dsl.COMPACT_REFERENCE``); the answer format and its tags are those of the reference prompt.
    """
    config = problem.config
    examples = [f"{problem.call_text(t)} == {t.expected!r}"
                for t in [t for t in problem.tests if t.group == "basic"][: config.n_examples]]
    lines = [problem.statement]
    if config.answer_format == "python":
        lines.append(f"Write `{problem.signature()}` (standard library only) in one ```python code block.")
    else:
        args = ", ".join(f"arg{i} = {name}" for i, name in enumerate(problem.arg_names))
        lines += [f"Write a postfix stack program ({args}) that leaves one value, the answer. Ops by stack effect:",
                  *(f"{effect}: {names}" for effect, names in d.COMPACT_REFERENCE),
                  f"E.g. `{problem.arg_names[0]} sort reverse` sorts descending; `3 gt` is the predicate x > 3."]
    if examples:
        lines += ["Examples:", *examples]
    lines.append(_COMPACT_EDGE_NOTE)
    if config.answer_format == "dsl":
        lines.append("Answer in <dsl>...</dsl> tags, e.g. <dsl>arg0 sort</dsl>.")
    return "\n".join(lines)
