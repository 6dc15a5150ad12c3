"""Text-view parsers on hostile completions: the worst case of each parser at its family's length cap (issue 16).

Every text-view parser is timed on a set of adversarial completions of exactly the family's length cap (what
``as_text`` cuts a completion to; the probes cut nothing, so 64k characters stand for their cap): floods of
opening tags, unclosed tags, tags nested n deep, alternating opening and closing tags, near-miss tags, whitespace
floods after an opening tag, and, for the tool-call parser, ``<tool_call>`` blocks of tens of thousands of short
lines (repeated and all-distinct, valid and invalid JSON). Each completion is timed as the best of a few calls.

Per parser it prints the worst case (ms per completion, and the ratio to the 50 ms target), then a linearity
check: the worst input at a quarter of the length. Linear code takes about 4x longer at 4x the length; the
regex parsers that were replaced took about 16x (quadratic; ToolRL's format check was cubic).

Target (issue 16): <= 50 ms per completion at the cap, for every parser and every adversarial input.

    python benchmarks/parsers.py                # full run (about 5 s)
    python benchmarks/parsers.py --quick        # smoke run (a tenth of each cap; numbers not the target's)
    python benchmarks/parsers.py --scale 0.125  # at 1/8 of each cap, with times extrapolated to the cap
                                                # (how the replaced parsers were measured: on a checkout of them,
                                                # the cap took minutes)
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from vecreward_envs.codetests.config import CodeTestsConfig
from vecreward_envs.codetests.generator import generate_cached
from vecreward_envs.codetests.text import MAX_COMPLETION_CHARS as CODE_CAP
from vecreward_envs.codetests.text import parse_dsl, parse_python
from vecreward_envs.families import make_family
from vecreward_envs.maze.text import MAX_COMPLETION_CHARS as MAZE_CAP
from vecreward_envs.maze.text import parse_chain, parse_route
from vecreward_envs.toolcall.family import ToolCallFamily
from vecreward_envs.toolcall.text import MAX_COMPLETION_CHARS as TOOLCALL_CAP
from vecreward_envs.toolcall.text import parse_completion, toolrl_format, toolrl_reward

TARGET_MS = 50.0
PROBE_CAP = 65_536
"""The probe families cut nothing: 64k characters (1000 times what an LLM writes in its default 64 new tokens)."""

Build = Callable[[int], str]
"""An adversarial completion of exactly n characters."""


def repeat(unit: str) -> Build:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def then(head: str, fill: str, tail: str = "") -> Build:
    """``head``, then ``fill`` repeated, then ``tail``: n characters in all."""
    return lambda n: head + repeat(fill)(n - len(head) - len(tail)) + tail


def nested(opening: str, closing: str, middle: str = "x") -> Build:
    """Opening tags n/2 deep, something, then the closing tags."""
    def build(n: int) -> str:
        k = (n - len(middle)) // (len(opening) + len(closing))
        text = opening * k + middle + closing * k
        return text + " " * (n - len(text))
    return build


def distinct_lines(fmt: str, head: str, tail: str) -> Build:
    """A block of short lines that are all different (``fmt`` holds one CJK-and-beyond character each)."""
    def build(n: int) -> str:
        size = len(fmt.format("x")) + 1
        lines = [fmt.format(chr(0x4E00 + i)) for i in range((n - len(head) - len(tail)) // size)]
        text = head + "\n".join(lines) + "\n" + tail
        return (text + " " * n)[:n] if len(text) <= n else text[:n]
    return build


def tag_set(opening: str, closing: str) -> dict[str, Build]:
    """The adversarial inputs every tag reader gets."""
    return {
        f"{opening} x n": repeat(opening),
        f"{closing} x n": repeat(closing),
        f"{opening.upper()} x n": repeat(opening.upper()),
        f"{opening[:-1]} x n (near miss)": repeat(opening[:-1]),
        f"({opening}x) x n (unclosed)": repeat(opening + "x"),
        f"({opening}{closing}) x n (alternating)": repeat(opening + closing),
        f"({closing}{opening}) x n": repeat(closing + opening),
        f"{opening} n/2 deep (nested)": nested(opening, closing),
        f"{opening} + spaces": then(opening, " "),
        f"{opening} + newlines": then(opening, "\n"),
        "spaces": repeat(" "),
        "newlines": repeat("\n"),
        "mixed whitespace": repeat(" \n\t\r\x0b\x0c\u00a0\u2028"),
    }


@dataclass
class Parser:
    """A parser, its family's cap and its adversarial inputs."""

    name: str
    cap: int
    parse: Callable[[str], object]
    inputs: dict[str, Build]


def parsers() -> list[Parser]:
    problem = generate_cached(1, CodeTestsConfig())  # solve(xs): argument names are replaced in the DSL body
    tasks = ToolCallFamily(min_constraints=2, max_constraints=5).instances(0, 20)
    task = next(t for t in tasks if t.gt_calls and t.response is not None)
    maze = {**tag_set("<answer>", "</answer>"), **tag_set("<route_1>", "</route_1>"),
            "UP x n": repeat("UP "), "<answer> + moves": then("<answer>", "UP "),
            "(<answer>UP</answer>) x n": repeat("<answer>UP</answer>"), "--- x n": repeat("---"),
            "(UP ---) x n": repeat("UP ---"), "(<route_k>...) k = 1..4": repeat(
                "".join(f"<route_{k}>UP" for k in range(1, 5)))}
    code = {**tag_set("```", "```"), **tag_set("```python\n", "```"), **tag_set("<dsl>", "</dsl>"),
            "``` + spaces + x": then("```", " ", "x"), "``` + tabs + lang + spaces": then("```\t\tpy", " ", "x"),
            "```\\n x n": repeat("```\n"), "(\\ndef solve) x n": repeat("\ndef solve"),
            "def + (space newline) x n": then("def", " \n"), "\\ndef solve + spaces": then("\ndef solve", " "),
            "(``` python \\n) x n": repeat("``` python \n"), "<dsl> + xs": then("<dsl>", "xs "),
            "<dsl> + words </dsl>": then("<dsl>", "xs sort ", "</dsl>")}
    head, tail = "<think>a</think>\n<tool_call>\n", "</tool_call>"
    tool_tags = ("<think>", "</think>", "<tool_call>", "</tool_call>", "<response>", "</response>")
    tool = {f"{t} x n": repeat(t) for t in tool_tags}
    tool |= {**tag_set("<response>", "</response>"), **tag_set("<tool_call>", "</tool_call>"),
             **tag_set("<think>", "</think>"),
             "format skeleton x n": repeat("</think>\n<tool_call>\n\n</tool_call>\n<response>"),
             "<think> + skeleton halves": lambda n: "<think>" + repeat("</think>\n<tool_call>\n")(n // 2 - 7)
             + repeat("\n</tool_call>\n<response>")(n - n // 2)}
    for line in ("1", "x", "{}", "[", '"', "{x}", '"\\"', "[1,]", '{"name": "a"}', '{"name": "a", "parameters": {}}',
                 "1 1", "\u00a0"):
        tool[f"call block: {line!r} lines"] = then(head, line + "\n", tail)
    tool["call block: distinct {c} lines"] = distinct_lines("{{{}}}", head, tail)
    tool['call block: distinct "c" lines'] = distinct_lines('"{}"', head, tail)
    tool["call block: distinct [c] lines"] = distinct_lines("[{}]", head, tail)
    tool['call block: distinct {"name": "c"} lines'] = distinct_lines('{{"name": "{}"}}', head, tail)
    tool["call block: distinct 7-deep bad lines"] = distinct_lines("[[[[[[[{}]]]]]]]", head, tail)
    tool["call block: distinct 7-deep JSON lines"] = distinct_lines('[[[[[[["{}"]]]]]]]', head, tail)
    probe_inputs = {
        **tag_set("<answer>", "</answer>"), **tag_set("<confidence>", "</confidence>"),
        "<answer> + digits": then("<answer>", "1"),
        "<answer> digits </answer>": then("<tagged/><answer>", "1", "</answer><confidence>1</confidence>"),
        "<answer> + spaces + digits": lambda n: "<answer>" + " " * (n // 2) + "1" * (n - n // 2 - 8),
        "(<answer> 1 ) x n": repeat("<answer> 1 "), "<confidence>0. + digits": then("<confidence>0.", "1"),
        "<tagged/> x n": repeat("<tagged/>"), "spaces + <tagged/>": then("", " ", "<tagged/>")}
    out = [
        Parser("maze parse_route", MAZE_CAP, parse_route, maze),
        Parser("maze parse_route strict", MAZE_CAP, lambda s: parse_route(s, strict=True), maze),
        Parser("maze parse_chain (m=4)", MAZE_CAP, lambda s: parse_chain(s, 4), maze),
        Parser("codetests parse_python", CODE_CAP, parse_python, code),
        Parser("codetests parse_dsl", CODE_CAP, lambda s: parse_dsl(s, problem), code),
        Parser("toolcall parse_completion", TOOLCALL_CAP, parse_completion, tool),
        Parser("toolcall toolrl_reward", TOOLCALL_CAP, lambda s: toolrl_reward(s, task), tool),
        Parser("toolcall toolrl_format (4 skeletons)", TOOLCALL_CAP, lambda s: [
            toolrl_format(s, c, r) for c in (True, False) for r in (True, False)], tool),
    ]
    for name in ("probe", "confidence", "easyhard"):
        out.append(Parser(f"{name} parse", PROBE_CAP, make_family(name).parse, probe_inputs))
    return out


def seconds(parse: Callable[[str], object], text: str, repeats: int) -> float:
    """Best of ``repeats`` calls; ``nan`` when the parser raises (the replaced probe parsers did)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            parse(text)
        except Exception:  # noqa: BLE001 - a parser that raises is reported, not timed
            return math.nan
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of each cap, one call each: checks it runs")
    parser.add_argument("--scale", type=float, default=None,
                        help="fraction of each cap to measure at (default 1; times are extrapolated to the cap)")
    parser.add_argument("--repeats", type=int, default=None, help="calls per input, the best is kept (default 3)")
    parser.add_argument("--only", default="", help="parsers whose name contains this text")
    args = parser.parse_args()
    scale = args.scale if args.scale is not None else (0.1 if args.quick else 1.0)
    repeats = args.repeats or (1 if args.quick else 3)
    if not 0 < scale <= 1:
        parser.error("--scale must be in (0, 1]")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# text-view parsers on adversarial completions ({os.cpu_count()} CPUs, load average {load:.2f}; "
          f"inputs at {scale:g} x each cap; best of {repeats} calls)")
    print(f"| {'parser':<38} | {'cap':>7} | {'n':>3} | {'worst input':<40} | {'ms':>8} | {'x target':>8} | "
          f"{'ms at n/4':>9} | {'x4 len: x':>9} | {'ms at cap':>9} |")
    print(f"|{'-' * 40}|{'-' * 9}|{'-' * 5}|{'-' * 42}|{'-' * 10}|{'-' * 10}|{'-' * 11}|{'-' * 11}|{'-' * 11}|")
    worst_all = 0.0
    raised: list[str] = []
    for p in parsers():
        if args.only not in p.name:
            continue
        n = max(64, int(p.cap * scale))
        for build in p.inputs.values():  # warm-up: imports, lazily compiled regexes, numpy caches
            seconds(p.parse, build(min(n, 4096)), 1)
        times = {}
        for name, build in p.inputs.items():
            text = build(n)
            assert len(text) == n, (p.name, name, len(text), n)
            times[name] = seconds(p.parse, text, repeats)
        raised += [f"{p.name}: {name}" for name, t in times.items() if math.isnan(t)]
        timed = {name: t for name, t in times.items() if not math.isnan(t)}
        worst = max(timed, key=timed.__getitem__)
        t_n = timed[worst]
        t_quarter = seconds(p.parse, p.inputs[worst](n // 4), repeats)
        growth = t_n / t_quarter if t_quarter > 0 else math.nan
        exponent = math.log(growth, 4) if growth > 0 else 1.0
        at_cap = t_n * (p.cap / n) ** (1.0 if args.quick else max(exponent, 1.0))  # quick: too noisy to fit
        worst_all = max(worst_all, at_cap)
        print(f"| {p.name:<38} | {p.cap:>7,} | {len(p.inputs):>3} | {worst[:40]:<40} | {t_n * 1e3:>8.2f} | "
              f"{t_n * 1e3 / TARGET_MS:>8.3f} | {t_quarter * 1e3:>9.2f} | {growth:>9.1f} | {at_cap * 1e3:>9.1f} |")
    print("columns: ms = worst input at n = scale x cap; x target = ms / 50 ms; x4 len: x = time(n) / time(n/4) "
          "(4 linear, 16 quadratic); ms at cap = ms extrapolated with that growth (= ms when scale is 1)")
    for line in raised:
        print(f"raised an exception (not timed): {line}")
    verdict = "met" if worst_all * 1e3 <= TARGET_MS else "NOT met"
    if args.quick:
        verdict = "quick run: inputs too small and single calls, no verdict"
    elif scale < 1:
        verdict += ", extrapolated from a smaller size"
    print(f"worst parser at its cap: {worst_all * 1e3:.1f} ms (target <= {TARGET_MS:.0f} ms: {verdict})")


if __name__ == "__main__":
    main()
