"""Text view: ToolRL's prompt and output format, a parser that never raises, and ToolRL's scalar reward.

Output format (ToolRL): ``<think>...</think>``, then ``<tool_call>`` with one JSON object
``{"name": ..., "parameters": {...}}`` per line and ``</tool_call>``, and/or ``<response>...</response>``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from vecreward_envs.completion import as_text
from vecreward_envs.toolcall.catalog import Param, catalog
from vecreward_envs.toolcall.config import MAX_PARAMS, MAX_SCORED_CALLS
from vecreward_envs.toolcall.scoring import Canonical
from vecreward_envs.toolcall.task import ToolTask

MAX_COMPLETION_CHARS = 100_000
"""Completions are cut to this many characters before parsing."""
NUMBER_TOLERANCE = 0.05
"""Numbers match a candidate within half the 1-decimal rounding step."""
_TAGS = ("<think>", "</think>", "<tool_call>", "</tool_call>", "<response>", "</response>")

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
    """The prompt: tools (name, description, JSON-schema parameters), the format, the constraints, the request.

    With ``prompt_style="compact"`` it is ``compact_prompt(task)``.
    """
    if task.config.prompt_style == "compact":
        return compact_prompt(task)
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


_UNITS = {"distance": "km", "weight": "kg", "temperature": "Celsius"}
"""The unit a number parameter of each kind takes (its schema description states it)."""
_COMPACT_FORMAT = """Answer format (<tool_call> and/or <response>; one JSON call per line):
<think>reasoning</think>
<tool_call>
{"name": "tool_name", "parameters": {"param": "value"}}
</tool_call>
<response>reply</response>"""
"""The compact prompt's output format: its example is itself a well-formed completion (calls and a response)."""


def _compact_type(param: Param) -> str:
    """A parameter's type in a few tokens.

    ``str``, ``int``, ``bool``, ``list[str]``, an enum's values (``a|b|c``), a number's unit, a date's format: the
    facts of its JSON schema and description.
    """
    if param.type == "enum":
        return "|".join(param.enum)
    if param.type == "number":
        unit = _UNITS.get(param.kind)
        return f"number ({unit})" if unit else "number"
    if param.kind == "date":
        return "date YYYY-MM-DD"
    return {"string": "str", "integer": "int", "boolean": "bool", "list": "list[str]"}.get(param.type, param.type)


def compact_prompt(task: ToolTask) -> str:
    """The ``prompt_style="compact"`` prompt: one line per tool, the output format, the constraints, the request.

    The same facts as the reference prompt (tool names, parameters with their types, units, enum values and
    required flags; the tags the parser reads; the constraints; the request) without ToolRL's system text and the
    JSON schemas' boilerplate: about a third of the tokens. A tool's description is left out: its name says the
    same (``weather_get_forecast``: "Get forecast in the weather service.").
    """
    lines = ["Tools (? marks an optional parameter):"]
    for tool in task.shown_tools:
        params = ", ".join(f"{p.name}{'' if p.required else '?'}: {_compact_type(p)}" for p in tool.params)
        lines.append(f"{tool.name}({params})")
    lines.append(_COMPACT_FORMAT)
    if task.constraint_texts:
        lines.append("Constraints:\n" + "\n".join(f"- {c}" for c in task.constraint_texts))
    lines.append(f"User: {task.request}")
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


_DECODER = json.JSONDecoder()
"""Configured as ``json.loads``' own default decoder."""
_JSON_WS = " \t\n\r"
"""What ``json.loads`` skips around a value (its ``json.decoder.WHITESPACE``)."""
_JSON_START = frozenset('{["-0123456789tfnNI')
"""The first characters of a JSON value (``json.loads`` accepts NaN, Infinity and -Infinity)."""
_JSON_CLOSER = {"{": "}", "[": "]", '"': '"'}
"""The last character of an object, an array and a string."""
_NOT_JSON = object()
"""What ``_json_value`` returns where ``json.loads`` raises."""
_SHORT_LINE = 32
"""``_read_calls`` checks lines up to this long with ``_json_text`` before it decodes any (shorter than 640 digits,
the least that int() converts whatever its limit, and than the 60 characters ``_short`` keeps)."""
_JSON_DEPTH = 6
"""``_json_text`` reads JSON nested up to this deep; a line of at most twice as many characters never nests deeper."""


def _json_text_pattern(depth: int) -> str:
    """A regex of the JSON texts without surrounding whitespace nested at most ``depth`` deep (for ``fullmatch``).

    It accepts exactly what ``json.loads`` accepts (``strict``, NaN and Infinity) from a text that starts and ends
    with no whitespace and holds no newline, but for the size of integers (int() refuses over 4300 digits). An
    array and an object each refer to the level below, so the pattern doubles with each level (32k characters at
    depth 6); a comma must not be followed by the closing bracket. The grammar has one parse, so a failing match
    gives up after a character or two at each choice point: a match costs linear time.
    """
    ws = r"[ \t\r]*"
    string = r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"'
    scalar = rf"(?:{string}|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null|NaN|-?Infinity)"
    value = scalar
    for _ in range(depth):
        array = rf"\[{ws}(?:\]|(?:{value}{ws}(?:,{ws}(?!\])|(?=\])))+\])"
        obj = rf"\{{{ws}(?:\}}|(?:{string}{ws}:{ws}{value}{ws}(?:,{ws}(?!\}})|(?=\}})))+\}})"
        value = rf"(?:{scalar}|{array}|{obj})"
    return value


@functools.cache
def _json_text() -> re.Pattern[str]:
    """See ``_json_text_pattern`` (compiled on first use: about 50 ms)."""
    return re.compile(_json_text_pattern(_JSON_DEPTH))


def _json_value(line: str) -> object:
    """``json.loads(line)``, or ``_NOT_JSON`` where it raises ValueError or RecursionError.

    The steps of ``json.loads`` on a ``str``: skip JSON whitespace, scan one value with the same C scanner, then
    only whitespace may follow. A line whose first character cannot start a value, or whose object, array or
    string cannot end where the line ends, is refused without scanning (``json.loads`` spends about 3 us building
    and raising an error on a bad line).
    """
    start = len(line) - len(line.lstrip(_JSON_WS)) if line[:1] in _JSON_WS else 0
    first = line[start:start + 1]
    if first not in _JSON_START:  # also refuses "" and a BOM, as json.loads does
        return _NOT_JSON
    closer = _JSON_CLOSER.get(first)
    if closer is not None:
        stop = len(line.rstrip(_JSON_WS)) if line[-1:] in _JSON_WS else len(line)
        if stop - start < 2 or line[stop - 1] != closer:
            return _NOT_JSON
    try:
        _, end = value = _DECODER.scan_once(line, start)
    except (StopIteration, ValueError, RecursionError):  # ValueError: also an int of over 4300 digits
        return _NOT_JSON
    if end != len(line) and line[end:].strip(_JSON_WS):
        return _NOT_JSON
    return value[0]


def _first_response(text: str) -> str | None:
    """The body of the first ``<response>...</response>``, None when there is none.

    The first opening tag, then the first closing tag after it: the first match of the non-greedy
    ``<response>(.*?)</response>``, in linear time (the regex scanned on from every opening tag when no closing one
    followed, O(n^2) on ``'<response>' * n``; if the first opening tag is not closed, no later one is).
    """
    start = text.find("<response>")
    if start < 0:
        return None
    start += len("<response>")
    end = text.find("</response>", start)
    return None if end < 0 else text[start:end]


_MANY_LINES = 64
"""A ``<tool_call>`` body of this many lines or more is read by ``_read_calls_bulk``."""


def _read_calls(body: str, calls: list[tuple[str | None, dict]], problems: list[str]) -> None:
    """Append the (name, parameters) of each non-blank line of a ``<tool_call>`` body, and what is wrong with it.

    A line that is not JSON, or not a ``{"name": str, "parameters": object}`` call, gives ``(None, {})`` (or what
    part of a call it has) and a problem: what ``json.loads`` line by line gave. A body of a few lines is read line
    by line, a long one in bulk (the same results).
    """
    if body.count("\n") < _MANY_LINES:
        _read_calls_each(body, calls, problems)
    else:
        _read_calls_bulk(body, calls, problems)


_NOT_A_CALL = ' is not a {"name": str, "parameters": object} call: '


def _read_calls_each(body: str, calls: list[tuple[str | None, dict]], problems: list[str]) -> None:
    """``_read_calls`` line by line (``json.loads`` with a cheap refusal of bad lines)."""
    for n_line, line in enumerate(body.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        obj = _json_value(line)
        if obj is _NOT_JSON:
            calls.append((None, {}))
            problems.append(f"tool_call line {n_line} is not JSON: {_short(line)!r}")
            continue
        name = obj.get("name") if isinstance(obj, dict) else None
        params = obj.get("parameters") if isinstance(obj, dict) else None
        if not isinstance(name, str) or not isinstance(params, dict):
            calls.append((name if isinstance(name, str) else None, params if isinstance(params, dict) else {}))
            problems.append(f"tool_call line {n_line}{_NOT_A_CALL}{_short(line)!r}")
            continue
        calls.append((name, params))


def _read_calls_bulk(body: str, calls: list[tuple[str | None, dict]], problems: list[str]) -> None:
    """``_read_calls`` for a block of up to tens of thousands of lines.

    A regex (``_json_text``) says which distinct short lines are JSON; only objects, long lines and lines that may
    nest deeper than the regex reads are decoded, once per distinct line. A line with a parameters object is
    decoded again at each occurrence, so that every call has its own dict, as before. The ``(name, {})`` entries
    of lines without one are shared, one per name (equal to what each line had before: one tuple instead of tens
    of thousands for the garbage collector to track).
    """
    not_a_call, not_json = _NOT_A_CALL, " is not JSON: "
    lines = [line.strip() for line in body.split("\n")]
    distinct = set(lines)
    distinct.discard("")
    # line -> (its name, what is wrong with it, its repr (cut), its parameters are an object: decode it at each
    # occurrence). The regex settles JSON that is not an object and lines that are not JSON; the rest is decoded.
    kinds: dict[str, tuple[str | None, str, str, bool]] = {}
    undecided: list[str] = []
    is_json = _json_text().fullmatch
    for line in distinct:
        if len(line) <= _SHORT_LINE:  # short lines are many; a long one is decoded (a bad one costs about 3 us)
            if is_json(line) is not None:
                if line[0] != "{":
                    kinds[line] = None, not_a_call, repr(line), False
                    continue
            elif len(line) <= 2 * _JSON_DEPTH or line.count("[") + line.count("{") <= _JSON_DEPTH:
                kinds[line] = None, not_json, repr(line), False
                continue
        undecided.append(line)
    for line in undecided:  # objects, long lines, and lines that may nest deeper than the regex reads
        obj = _json_value(line)
        name, params = (obj.get("name"), obj.get("parameters")) if isinstance(obj, dict) else (None, None)
        name = name if isinstance(name, str) else None
        has_params = isinstance(params, dict)
        wrong = not_json if obj is _NOT_JSON else "" if name is not None and has_params else not_a_call
        kinds[line] = name, wrong, wrong and repr(_short(line)), has_params
    shared = {kind[0]: (kind[0], {}) for kind in kinds.values() if not kind[3]}
    calls.extend([(kind[0], _json_value(line)["parameters"]) if kind[3] else shared[kind[0]]  # type: ignore[index]
                  for line in lines if line for kind in (kinds[line],)])
    problems.extend([f"tool_call line {n_line}{kind[1]}{kind[2]}"
                     for n_line, line in enumerate(lines, 1) if line for kind in (kinds[line],) if kind[1]])


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
            _read_calls(body, calls, problems)
            if not calls:
                problems.append("<tool_call> holds no call")
    elif counts[3]:
        problems.append("</tool_call> without <tool_call>")
    response = _first_response(text)
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
    """ToolRL's R_format in {0, 1}: the tag skeleton the ground truth uses, the tags it needs exactly once.

    The tag counts are checked before the skeleton (the same ``and``, in the other order): with each needed tag
    present once, every lazy ``.*?`` of the skeleton can stop at one place only, so the match costs linear time,
    where repeated tags made it backtrack in O(n^2) to O(n^3). The think-only skeleton has one lazy part: linear.
    """
    if gt_calls and gt_response:
        ok = all(text.count(t) == 1 for t in _TAGS[2:]) and bool(_FMT_BOTH.search(text))
    elif gt_calls:
        ok = text.count("<tool_call>") == 1 and text.count("</tool_call>") == 1 and bool(_FMT_CALL.search(text))
    elif gt_response:
        ok = text.count("<response>") == 1 and text.count("</response>") == 1 and bool(_FMT_RESP.search(text))
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
        pd_tools = []
        seen: dict[str, object] = {}  # a repeated line is decoded once (toolrl_correct only reads the values)
        for line in lines:
            obj = seen.get(line, seen)
            if obj is seen:
                obj = seen[line] = _json_value(line)
            if obj is _NOT_JSON:  # json.loads would raise
                return ToolRLScore(r_format, -3.0)
            pd_tools.append(obj)
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
