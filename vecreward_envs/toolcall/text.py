"""Text view: ToolRL's prompt and output format, a parser that never raises, and ToolRL's scalar reward.

Output format (ToolRL): ``<think>...</think>``, then ``<tool_call>`` with one JSON object
``{"name": ..., "parameters": {...}}`` per line and ``</tool_call>``, and/or ``<response>...</response>``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from vecreward_envs.completion import as_text
from vecreward_envs.toolcall.catalog import catalog
from vecreward_envs.toolcall.config import MAX_PARAMS, MAX_SCORED_CALLS
from vecreward_envs.toolcall.scoring import Canonical
from vecreward_envs.toolcall.task import ToolTask

MAX_COMPLETION_CHARS = 100_000
"""Completions are cut to this many characters before parsing."""
NUMBER_TOLERANCE = 0.05
"""Numbers match a candidate within half the 1-decimal rounding step."""
_TAGS = ("<think>", "</think>", "<tool_call>", "</tool_call>", "<response>", "</response>")
_RESPONSE = re.compile(r"<response>(.*?)</response>", re.DOTALL)

_INTRO = """You are a helpful dialogue assistant capable of leveraging tool calls to solve user tasks and provide \
structured chat responses.

**Available Tools**
In your response, you can use the following tools:
"""
_STEPS = """
**Steps for Each Turn**
1. **Think:** Recall relevant context and analyze the current user goal.
2. **Decide on Tool Usage:** If a tool is needed, specify the tool and its parameters.
3. **Respond Appropriately:** If a response is needed, generate one while maintaining consistency across user \
queries.

**Output Format**
```plaintext
<think> Your thoughts and reasoning </think>
<tool_call>
{"name": "Tool name", "parameters": {"Parameter name": "Parameter content", "... ...": "... ..."}}
{"name": "... ...", "parameters": {"... ...": "... ...", "... ...": "... ..."}}
...
</tool_call>
<response> AI's final response </response>
```

**Important Notes**
1. You must always include the `<think>` field to outline your reasoning. Provide at least one of `<tool_call>` or \
`<response>`. Decide whether to use `<tool_call>` (possibly multiple times), `<response>`, or both.
2. You can invoke multiple tool calls simultaneously in the `<tool_call>` fields. Each tool call should be a JSON \
object with a "name" field and a "parameters" field containing a dictionary of parameters. If no parameters are \
needed, leave the "parameters" field an empty dictionary.
3. Refer to the previous dialogue records in the history, including the user's queries, previous `<tool_call>`, \
`<response>`, and any tool feedback noted as `<obs>` (if exists).
"""


def prompt(task: ToolTask) -> str:
    """The prompt: tools (name, description, JSON-schema parameters), the format, the constraints, the request."""
    lines = [_INTRO]
    for i, tool in enumerate(task.shown_tools, 1):
        schema = tool.schema()
        lines.append(f"{i}. Name: {tool.name}\nDescription: {tool.description}\n"
                     f"Parameters: {json.dumps(schema['parameters'])}")
    lines.append(_STEPS)
    if task.constraint_texts:
        lines.append("**Constraints**\n" + "\n".join(f"- {c}" for c in task.constraint_texts) + "\n")
    lines.append(f"**Dialogue Records History**\n<user> {task.request} </user>")
    return "\n".join(lines)


@dataclass(frozen=True)
class ParsedCompletion:
    """What was read from a completion (never raises; ``ok`` False with a ``reason`` when malformed)."""

    ok: bool
    """Every tag at most once, in order, after a ``<think>``; every call line a JSON call object."""
    reason: str
    """Empty when ok; otherwise what was wrong (the first few problems)."""
    calls: tuple[tuple[str | None, dict], ...] = ()
    """(name, parameters) of each call line; name None for a line that is not a call object."""
    has_tool_call: bool = False
    """A ``<tool_call>...</tool_call>`` block was found."""
    response: str | None = None
    """The first ``<response>`` content (None: no response)."""
    text: str = ""
    """The (possibly cut) completion."""
    problems: tuple[str, ...] = field(default=(), repr=False)


def _as_text(completion: object) -> tuple[str | None, str]:
    return as_text(completion, MAX_COMPLETION_CHARS)


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."


def parse_completion(completion: object) -> ParsedCompletion:
    """Read the think/tool_call/response parts of a completion. Never raises."""
    try:
        return _parse(completion)
    except Exception as exc:  # noqa: BLE001 - a parse failure is a reward outcome, never an exception
        return ParsedCompletion(False, f"unreadable completion ({type(exc).__name__})")


def _parse(completion: object) -> ParsedCompletion:
    text, note = _as_text(completion)
    if text is None:
        return ParsedCompletion(False, note)
    problems = [note] if note else []
    counts = [text.count(tag) for tag in _TAGS]
    for tag, n in zip(_TAGS, counts, strict=True):
        if n > 1:
            problems.append(f"{tag} appears {n} times")
    if counts[0] == 0 or counts[1] == 0:
        problems.append("no <think>...</think>")
    elif not text.lstrip().startswith("<think>"):
        problems.append("the completion does not start with <think>")
    calls: list[tuple[str | None, dict]] = []
    has_block = False
    start = text.find("<tool_call>")
    if start >= 0:
        end = text.find("</tool_call>", start)
        if end < 0:
            problems.append("<tool_call> is not closed")
        else:
            has_block = True
            body = text[start + len("<tool_call>"): end]
            for n_line, line in enumerate(body.split("\n"), 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except (ValueError, RecursionError):
                    calls.append((None, {}))
                    problems.append(f"tool_call line {n_line} is not JSON: {_short(line)!r}")
                    continue
                name = obj.get("name") if isinstance(obj, dict) else None
                params = obj.get("parameters") if isinstance(obj, dict) else None
                if not isinstance(name, str) or not isinstance(params, dict):
                    calls.append((name if isinstance(name, str) else None, params if isinstance(params, dict)
                                  else {}))
                    problems.append(f"tool_call line {n_line} is not a {{\"name\": str, \"parameters\": object}} "
                                    f"call: {_short(line)!r}")
                    continue
                calls.append((name, params))
            if not calls:
                problems.append("<tool_call> holds no call")
    elif counts[3]:
        problems.append("</tool_call> without <tool_call>")
    match = _RESPONSE.search(text)
    response = match.group(1) if match else None
    if response is None and counts[4] + counts[5]:
        problems.append("<response> is not closed")
    return ParsedCompletion(not problems, "; ".join(problems[:4]), tuple(calls), has_block, response, text,
                            tuple(problems))


# ----- ToolRL's format rule and scalar reward -----------------------------------------------------------------
_FMT_BOTH = re.compile(r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>\n<response>.*?</response>$", re.DOTALL)
_FMT_CALL = re.compile(r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>$", re.DOTALL)
_FMT_RESP = re.compile(r"^<think>.*?</think>\n<response>.*?</response>$", re.DOTALL)
_FMT_THINK = re.compile(r"^<think>.*?</think>$", re.DOTALL)


def toolrl_format(text: str, gt_calls: bool, gt_response: bool) -> float:
    """ToolRL's R_format in {0, 1}: the tag skeleton the ground truth uses, the tags it needs exactly once."""
    if gt_calls and gt_response:
        ok = bool(_FMT_BOTH.search(text)) and all(text.count(t) == 1 for t in _TAGS[2:])
    elif gt_calls:
        ok = bool(_FMT_CALL.search(text)) and text.count("<tool_call>") == 1 and text.count("</tool_call>") == 1
    elif gt_response:
        ok = bool(_FMT_RESP.search(text)) and text.count("<response>") == 1 and text.count("</response>") == 1
    else:
        ok = bool(_FMT_THINK.search(text))
    return 1.0 if ok else 0.0


def match_score(a: list, b: list) -> float:
    """ToolRL's ``match_score``: multiset Jaccard; 1.0 for equal lists, 0.0 when either is empty."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    ca, cb = Counter(a), Counter(b)
    inter = sum(min(ca[x], cb[x]) for x in ca.keys() & cb.keys())
    return inter / (len(a) + len(b) - inter)


def toolrl_correct(gt_tools: list[dict], pd_tools: list, r_max: float = 3.0, r_min: float = -3.0) -> float:
    """ToolRL's R_correct of parsed predicted calls (any exception inside counts as ``r_min``, as in ToolRL)."""
    try:
        if gt_tools == pd_tools:
            return r_max
        score = match_score([t["name"] for t in gt_tools], [t["name"] for t in pd_tools])
        local_max = 1.0
        used: set[int] = set()
        for gt in gt_tools:
            gt_params = gt["parameters"]
            local_max += 1.0 + len(gt_params)
            best, best_i = 0.0, -1
            for i, pd in enumerate(pd_tools):
                if i in used or pd["name"] != gt["name"]:
                    continue
                pd_params = pd["parameters"]
                total = match_score(list(gt_params.keys()), list(pd_params.keys()))
                total += sum(1.0 for k, v in gt_params.items() if k in pd_params and pd_params[k] == v)
                if total > best:
                    best, best_i = total, i
            if best_i >= 0:
                used.add(best_i)
                score += best
        return (r_max - r_min) * score / local_max + r_min
    except Exception:  # noqa: BLE001 - ToolRL's rule: anything wrong with the predicted calls scores the minimum
        return r_min


class ToolRLScore(NamedTuple):
    """ToolRL's reward of one completion."""

    format: float
    """R_format in {0, 1}."""
    correct: float
    """R_correct in [-3, 3] (0 for a task without calls)."""

    @property
    def total(self) -> float:
        """R_format + R_correct, ToolRL's scalar."""
        return self.format + self.correct


def toolrl_reward(completion: object, task: ToolTask) -> ToolRLScore:
    """ToolRL's scalar reward (arXiv 2504.13958, ``rlla.py``) of a completion on a task. Never raises.

    R_format: the completion matches the tag skeleton of the ground truth (think, then tool_call and/or response,
    each needed tag once). R_correct: for a task without calls 0; otherwise -3 when the ``<tool_call>`` block is
    missing or a line is not a JSON call, else the multiset Jaccard of tool names plus, for each ground-truth call,
    the best unused predicted call of the same name (Jaccard of parameter keys + number of exactly equal values),
    divided by 1 + sum(1 + |params|) and mapped to [-3, 3]. Leading and trailing whitespace is stripped first, as
    ``rlla.py`` strips the extracted assistant turn before matching.
    """
    text, _ = _as_text(completion)
    gt_calls, gt_resp = bool(task.gt_calls), task.response is not None
    if text is None:
        return ToolRLScore(0.0, -3.0 if gt_calls else 0.0)
    text = text.strip()
    r_format = toolrl_format(text, gt_calls, gt_resp)
    if not gt_calls:
        return ToolRLScore(r_format, 0.0)
    if "<tool_call>" not in text or "</tool_call>" not in text:
        return ToolRLScore(r_format, -3.0)
    try:
        lines = text.split("<tool_call>")[1].split("</tool_call>")[0].strip().split("\n")
        pd_tools = [json.loads(line) for line in lines]
    except Exception:  # noqa: BLE001 - ToolRL: an unreadable call block scores the minimum
        return ToolRLScore(r_format, -3.0)
    return ToolRLScore(r_format, toolrl_correct(task.gt_json, pd_tools))


# ----- canonical form of a parsed completion --------------------------------------------------------------------
def _equal(value: object, cand: object, ptype: str) -> bool:
    if ptype == "number":
        return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                and abs(float(value) - float(cand)) <= NUMBER_TOLERANCE + 1e-9)  # type: ignore[arg-type]
    if ptype == "integer":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == cand
    if ptype == "boolean":
        return isinstance(value, bool) and value == cand
    if ptype == "list":
        return (isinstance(value, list) and all(isinstance(v, str) for v in value)
                and sorted(v.strip() for v in value) == list(cand))  # type: ignore[arg-type]
    return isinstance(value, str) and value.strip() == cand


def _value_code(value: object, cands: tuple, ptype: str) -> int:
    for v, cand in enumerate(cands):
        if _equal(value, cand, ptype):
            return v
    return -2


def slot_index(task: ToolTask) -> dict[str, int]:
    """Tool name -> slot (cached on the task)."""
    cached = task.__dict__.get("_slots")
    if cached is None:
        cat = catalog()
        cached = {cat[t].name: s for s, t in enumerate(task.tools)}
        task.__dict__["_slots"] = cached
    return cached


def fill_canonical(out: Canonical, n: int, parsed: ParsedCompletion, task: ToolTask) -> None:
    """Write the canonical form of ``parsed`` (on ``task``) into row n of ``out``."""
    slots = slot_index(task)
    shown = task.shown_tools
    out.n_calls[n] = len(parsed.calls)
    for i, (name, params) in enumerate(parsed.calls[:MAX_SCORED_CALLS]):
        slot = slots.get(name, -1) if isinstance(name, str) else -1
        out.call_tool[n, i] = slot
        out.call_val[n, i, :] = -1
        if slot < 0:
            continue
        tool = shown[slot]
        extra = 0
        for key, value in params.items():
            p = next((j for j, prm in enumerate(tool.params) if prm.name == key), -1)
            if p < 0 or p >= MAX_PARAMS:
                extra += 1
                continue
            out.call_val[n, i, p] = _value_code(value, task.candidates[slot][p], tool.params[p].type)
        out.call_extra[n, i] = extra
    if parsed.response is not None:
        out.has_resp[n] = 1
        out.resp_words[n] = len(parsed.response.split())
        code = task.constraints.get("response_field", {}).get("text")
        out.resp_field[n] = int(code is not None and code.casefold() in parsed.response.casefold())
    # as toolrl_reward (and rlla.py): whitespace around the completion is not part of its format
    text = parsed.text.strip() if parsed.text else ""
    fmt_ok = toolrl_format(text, bool(task.gt_calls), task.response is not None) if text else 0.0
    out.fmt[n] = int(fmt_ok > 0 and parsed.ok)


def explain_parse(parsed: ParsedCompletion) -> str:
    """The parse problem, or ''."""
    return parsed.reason
