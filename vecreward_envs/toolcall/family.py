"""The tool-call family: one object that generates tasks and scores answers in both views.

It implements the core ``TaskFamily`` contract of ``vecreward_envs.protocols`` and the abilities it declares: a
structured view (tool slots and candidate values) with a batched kernel, a text view (ToolRL's prompt and format;
parse failures are reward outcomes), ground-truth demonstrations, success objectives, and a directive message per
failed objective. Both views are scored by the same kernel (``kernels.score_kernel``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from vecreward_envs.protocols import Demonstrations, DirectiveMessages, StructuredView, SuccessObjectives, TextView
from vecreward_envs.toolcall.config import ANSWER_VOCAB, C0, CONSTRAINT_KINDS, NONE, SLOT0, STOP, K, ToolCallConfig
from vecreward_envs.toolcall.cursor import ToolCallCursor, static_tables
from vecreward_envs.toolcall.scoring import Canonical, TaskBatch, decode_structured, score_canonical, task_arrays
from vecreward_envs.toolcall.task import ToolTask, generate, generate_cached
from vecreward_envs.toolcall.text import (
    ParsedCompletion,
    ToolRLScore,
    fill_canonical,
    parse_completion,
    prompt,
    toolrl_reward,
)


def _mentions(task: ToolTask, response: str) -> bool:
    code = task.constraints.get("response_field", {}).get("text")
    return code is not None and code.casefold() in response.casefold()


OBS_LEN = 8 + 8 + len(CONSTRAINT_KINDS) + 3
"""Length of ``observation()``."""
OBS_VOCAB = 16
"""Exclusive upper bound of observation entries."""


class ToolCallFamily:
    """Tool-call constraint tasks for one ``ToolCallConfig``."""

    name = "toolcall"
    abilities = (StructuredView, TextView, Demonstrations, SuccessObjectives, DirectiveMessages)
    answer_vocab: tuple[str, ...] = ANSWER_VOCAB
    """Structured tokens: STOP (end, padding), NONE, then slot tokens S0.. (tool, candidate value or response)."""
    stop_code = STOP
    observation_vocab = OBS_VOCAB
    success_objectives: tuple[int, ...] = (1, 2, 3)
    """Objectives whose all-pass means the request was served (tool names, keys, values)."""

    def __init__(self, config: ToolCallConfig | None = None, **overrides: object) -> None:
        if config is not None and overrides:
            raise TypeError("pass either a ToolCallConfig or keyword overrides, not both")
        self.config = config if config is not None else ToolCallConfig.from_kwargs(**overrides)
        if not isinstance(self.config, ToolCallConfig):
            raise TypeError(f"config must be a ToolCallConfig, got {type(self.config).__name__}")

    # ----- objectives -------------------------------------------------------------------------------------
    @property
    def reward_names(self) -> tuple[str, ...]:
        """``format``, ``tool_name``, ``param_keys``, ``param_values``, ``constraint/<kind>`` (K = 11)."""
        return self.config.reward_names

    @property
    def reward_low(self) -> np.ndarray:
        """float32 [K] lower bounds (all 0)."""
        return np.zeros(K, dtype=np.float32)

    @property
    def reward_high(self) -> np.ndarray:
        """float32 [K] upper bounds (all 1)."""
        return np.ones(K, dtype=np.float32)

    # ----- tasks ------------------------------------------------------------------------------------------
    def generate(self, seed: int) -> ToolTask:
        """The task of ``seed`` (deterministic, no global RNG)."""
        return generate(seed, self.config)

    def instances(self, first_seed: int, n: int) -> list[ToolTask]:
        """``n`` tasks from consecutive seeds."""
        return [generate_cached(first_seed + i, self.config) for i in range(n)]

    def observation(self, task: ToolTask) -> np.ndarray:
        """Structured view: int16 [26], entries in [0, 16).

        Requested tool slots [8], forbidden slot [8], active constraints [7], max_calls (8 when none), response
        expected, number of requested calls.
        """
        t = static_tables([task])
        obs = np.zeros(OBS_LEN, dtype=np.int16)
        obs[:8] = t["requested"][0]
        obs[8:16] = t["forbidden"][0]
        obs[16:23] = t["active"][0]
        obs[23] = min(int(t["max_calls"][0]), 8)
        obs[24] = int(t["gt_resp"][0])
        obs[25] = int(t["n_gt"][0])
        return obs

    def max_answer_len(self, tasks: Sequence[ToolTask]) -> int:
        """Tokens a structured answer may need (``config.answer_len``)."""
        return self.config.answer_len

    def new_cursor(self, tasks: Sequence[ToolTask], inst_idx: np.ndarray) -> ToolCallCursor:
        """Partial structured answers on ``tasks[inst_idx]`` (see ``cursor.py``)."""
        return ToolCallCursor(tasks, inst_idx, self.config.max_struct_calls)

    # ----- structured answers ------------------------------------------------------------------------------
    def _batch(self, tasks: ToolTask | Sequence[ToolTask] | TaskBatch) -> TaskBatch:
        if isinstance(tasks, TaskBatch):
            return tasks
        if isinstance(tasks, ToolTask):
            tasks = [tasks]
        for task in tasks:
            if not isinstance(task, ToolTask) or task.config != self.config:
                raise ValueError("every task must be a ToolTask of this family's config")
        return TaskBatch.stack(list(tasks))

    def score_answers(self, tasks: ToolTask | Sequence[ToolTask] | TaskBatch, answers: object,
                      inst_idx: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Structured answers [N, L] (tokens) -> float32 [N, K]: the generic name the bridge calls."""
        batch = self._batch(tasks)
        tokens = np.asarray(answers)
        if tokens.ndim == 1:
            tokens = tokens[None, :]
        idx = np.zeros(tokens.shape[0], dtype=np.int64) if inst_idx is None else np.asarray(inst_idx, np.int64)
        if idx.shape != (tokens.shape[0],) or (idx.size and (idx.min() < 0 or idx.max() >= batch.gt_n.shape[0])):
            raise ValueError(f"inst_idx must be [N={tokens.shape[0]}] indices into {batch.gt_n.shape[0]} tasks")
        canon = decode_structured(batch, idx, tokens, self.config.max_struct_calls)
        return score_canonical(batch, idx, canon)

    def encode_answer(self, task: ToolTask, calls: Sequence[tuple[int, Sequence[int]]], response: int | None
                      ) -> np.ndarray:
        """A structured answer from (tool slot, value codes per parameter: -1 = omit) calls and a response index."""
        tokens: list[int] = []
        for slot, codes in calls[: self.config.max_struct_calls]:
            tokens.append(SLOT0 + slot)
            tokens += [NONE if c < 0 else SLOT0 + c for c in codes]
        if len(calls) < self.config.max_struct_calls:
            tokens.append(NONE)
        tokens.append(NONE if response is None else SLOT0 + response)
        out = np.full(self.config.answer_len + 1, STOP, dtype=np.int64)
        out[: len(tokens)] = tokens
        return out

    def solution(self, task: ToolTask) -> np.ndarray:
        """The structured answer that serves the request exactly (calls, values; the expected response)."""
        arrays = task_arrays(task)
        calls = []
        for g, (slot, _) in enumerate(task.gt_calls):
            n_p = int(arrays["n_params"][slot])
            calls.append((slot, [int(c) for c in task.gt_codes[g, :n_p]]))
        response = None
        if task.response is not None:
            response = 0 if "response_field" in task.constraints else 1
        return self.encode_answer(task, calls, response)

    def demonstrations(self, tasks: Sequence[ToolTask]) -> np.ndarray:
        """int64 [N, L] ground-truth structured answers (serve the request; constraints are left to RL)."""
        return np.stack([self.solution(t) for t in tasks])

    def demonstration_texts(self, tasks: Sequence[ToolTask]) -> list[str]:
        """The tasks' ground-truth completions (ToolRL's format): what a text policy imitates."""
        return [t.ground_truth_text() for t in tasks]

    def format_answer(self, task: ToolTask, answer: object = None) -> str:
        """A structured answer (tokens) as the completion that says the same (the text view scores it the same).

        ``answer=None`` gives the task's ground-truth completion; a string is returned as it is.
        """
        import json

        if answer is None:
            return task.ground_truth_text()
        if isinstance(answer, str):
            return answer
        batch = TaskBatch.stack([task])
        canon = decode_structured(batch, np.zeros(1, np.int64), np.asarray(answer, np.int64).reshape(1, -1),
                                  self.config.max_struct_calls)
        parts = ["<think>Structured answer.</think>"]
        calls = []
        for i in range(int(canon.n_calls[0])):
            slot = int(canon.call_tool[0, i])
            tool = task.shown_tools[slot]
            params = {prm.name: task.candidates[slot][p][int(canon.call_val[0, i, p])]
                      for p, prm in enumerate(tool.params) if canon.call_val[0, i, p] >= 0}
            calls.append(json.dumps({"name": tool.name, "parameters": params}))
        if calls:
            parts.append("<tool_call>\n" + "\n".join(calls) + "\n</tool_call>")
        if canon.has_resp[0]:
            words = int(canon.resp_words[0])
            parts.append("<response>" + next(r for r in task.responses if len(r.split()) == words
                                             and bool(canon.resp_field[0]) == _mentions(task, r)) + "</response>")
        return "\n".join(parts)

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Bool [..., K]: objective fully achieved (NaN, not applicable, is never a pass)."""
        return np.nan_to_num(np.asarray(rewards, dtype=np.float64), nan=0.0) >= 1.0

    def explain(self, task: ToolTask, answer: object, structured: bool | None = None) -> dict[str, str]:
        """A directive message per failed objective.

        Args:
            task: the task answered.
            answer: a completion (text view: any object, never raises) or structured tokens.
            structured: which view ``answer`` belongs to; None guesses (strings and scalars are text, anything with
                a length is tokens). Envs pass it, so a list sent to the text view is explained as the failed
                completion it is.
        """
        if structured is None:
            structured = not (isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"))
        if not structured:
            parsed = parse_completion(answer)
            canon = Canonical(1)
            fill_canonical(canon, 0, parsed, task)
            reason = parsed.reason
        else:
            batch = TaskBatch.stack([task])
            canon = decode_structured(batch, np.zeros(1, np.int64), np.asarray(answer, np.int64).reshape(1, -1),
                                      self.config.max_struct_calls)
            reason = ""
        rewards = score_canonical(TaskBatch.stack([task]), np.zeros(1, np.int64), canon)[0]
        return _messages(task, canon, rewards, reason)

    # ----- text view ----------------------------------------------------------------------------------------
    def prompt(self, task: ToolTask, m: int = 1) -> str:
        """The ToolRL-style prompt (one answer per completion: ``m`` must be 1)."""
        if m != 1:
            raise ValueError(f"toolcall prompts ask for one answer (m=1), got m={m!r}")
        return prompt(task)

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """What ends a completion (an LLM sampler's stop strings): ``</response>``.

        A response, when there is one, is the last block of the format, so stopping there never cuts an answer. A
        call-only answer ends at ``</tool_call>``, which cannot be a stop string (a response may follow it): those
        completions end at EOS or the token budget, and text after ``</tool_call>`` fails ToolRL's format.
        """
        return ("</response>",)

    def parse(self, completion: object) -> ParsedCompletion:
        """What a completion holds; never raises."""
        return parse_completion(completion)

    def toolrl_reward(self, completion: object, task: ToolTask) -> ToolRLScore:
        """ToolRL's scalar (R_format, R_correct) of a completion."""
        return toolrl_reward(completion, task)

    def score_completions(self, task: ToolTask, completions: Sequence[object]
                          ) -> tuple[np.ndarray, list[ParsedCompletion]]:
        """Score G completions on one task: float32 [G, K] and what was parsed from each (never raises)."""
        return self.score_completion_batch([task] * len(completions), completions)

    def score_completion_batch(self, tasks: Sequence[ToolTask], completions: Sequence[object]
                               ) -> tuple[np.ndarray, list[ParsedCompletion]]:
        """Score completion n on ``tasks[n]`` for N pairs (one kernel call): float32 [N, K] and the parses.

        Raises:
            ValueError: ``tasks`` and ``completions`` differ in length.
        """
        if len(tasks) != len(completions):
            raise ValueError(f"need one task per completion, got {len(tasks)} tasks for {len(completions)} "
                             "completions")
        unique: dict[int, int] = {}
        idx = np.empty(len(completions), dtype=np.int64)
        distinct: list[ToolTask] = []
        for n, task in enumerate(tasks):
            if id(task) not in unique:
                unique[id(task)] = len(distinct)
                distinct.append(task)
            idx[n] = unique[id(task)]
        parsed = [parse_completion(c) for c in completions]
        canon = Canonical(len(parsed))
        for n, p in enumerate(parsed):
            fill_canonical(canon, n, p, tasks[n])
        if not parsed:
            return np.zeros((0, K), dtype=np.float32), parsed
        return score_canonical(self._batch(distinct), idx, canon), parsed

    # ----- rows (exports: scoring is a pure function of (completion, row)) -----------------------------------
    def task_row(self, task: ToolTask) -> dict[str, object]:
        """JSON-able columns: family, seed and config (the task is regenerated from them)."""
        return {"family": self.name, "seed": task.seed, "config": task.config.as_dict()}

    def instance_from_row(self, row: Mapping[str, object]) -> ToolTask:
        """The task a ``task_row`` describes (regenerated from its seed and config, cached).

        Raises:
            ValueError: not a toolcall row, or malformed.
        """
        if row.get("family") != self.name or "seed" not in row:
            raise ValueError(f"not a toolcall task row: {str(dict(row))[:300]}")
        try:
            config = ToolCallConfig.from_kwargs(**dict(row.get("config") or {}))  # type: ignore[arg-type]
        except TypeError as exc:
            raise ValueError(f"bad toolcall config in row: {exc}") from exc
        seed = row["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"bad toolcall seed in row: {seed!r}")
        return generate_cached(seed, config)


def _messages(task: ToolTask, canon: Canonical, rewards: np.ndarray, reason: str) -> dict[str, str]:
    """Directive messages for the failed objectives of one canonical answer."""
    from vecreward_envs.toolcall.catalog import catalog

    cat = catalog()
    names = [cat[task.tools[s]].name if s >= 0 else "<unknown>"
             for s in canon.call_tool[0, : min(int(canon.n_calls[0]), canon.call_tool.shape[1])]]
    want = [cat[task.tools[s]].name for s, _ in task.gt_calls]
    out: dict[str, str] = {}
    if rewards[0] < 1:
        out["format"] = reason or "the tag skeleton differs from what the task needs (" + \
            ("tool_call" if task.gt_calls else "no tool_call") + \
            (" + response" if task.response is not None else "") + ")"
    if rewards[1] < 1:
        out["tool_name"] = f"called {names}, the request needs {want}"
    if rewards[2] < 1:
        out["param_keys"] = "parameter keys differ from the request's (missing, extra or unknown keys)"
    if rewards[3] < 1:
        wrong = [f"{prm}: got {_observed(task, canon, g, prm)}, expected {value!r}"
                 for g, (_, params) in enumerate(task.gt_calls) for prm, value in params.items()
                 if _observed(task, canon, g, prm) != repr(value)]
        out["param_values"] = "; ".join(wrong[:3]) or "values differ from the request's"
    for c, kind in enumerate(CONSTRAINT_KINDS):
        v = rewards[C0 + c]
        if np.isnan(v) or v >= 1:
            continue
        specs = [spec for k, spec in task.all_constraints if k == kind]
        msgs = [m for m in (_constraint_message(task, canon, kind, spec, names) for spec in specs) if m]
        if len(specs) > 1:
            msgs = [f"{len(specs) - len(msgs)}/{len(specs)} hold: " + "; ".join(msgs)] if msgs else \
                [f"{v:.2f} of the {kind} constraints hold"]
        out[f"constraint/{kind}"] = msgs[0] if msgs else _constraint_message(task, canon, kind, specs[0], names,
                                                                             force=True)
    return out


def _constraint_message(task: ToolTask, canon: Canonical, kind: str, spec: dict, names: list[str],  # noqa: PLR0911
                        force: bool = False) -> str:
    """The message of one constraint, "" when it holds (``force``: the message even then)."""
    from vecreward_envs.toolcall.catalog import catalog

    cat = catalog()
    if kind == "max_calls":
        ok = int(canon.n_calls[0]) <= spec["n"]
        return "" if ok and not force else f"made {int(canon.n_calls[0])} calls, at most {spec['n']} allowed"
    if kind == "forbidden_tool":
        ok = spec["name"] not in names
        return "" if ok and not force else f"called the forbidden tool {spec['name']}"
    if kind in ("unit", "format"):
        expected = task.gt_calls[spec["call"]][1][spec["name"]]
        got = _observed(task, canon, spec["call"], spec["name"])
        if got == repr(expected) and not force:
            return ""
        if kind == "unit":
            return f"{spec['name']} must be in the required unit: got {got}, expected {expected!r}"
        return f"{spec['name']} must be written as {spec['format']}: got {got}, expected {expected!r}"
    if kind == "order":
        first, second = cat[task.tools[spec["first"]]].name, cat[task.tools[spec["second"]]].name
        ok = first in names and second in names and names.index(first) < names.index(second)
        return "" if ok and not force else f"{first} must be called before {second}; calls were {names}"
    if kind == "response_length":
        ok = int(canon.resp_words[0]) <= spec["words"]
        return "" if ok and not force else \
            f"the response has {int(canon.resp_words[0])} words, at most {spec['words']} allowed"
    return f"the response does not mention {spec['text']}" if canon.has_resp[0] else "no <response>"


def _observed(task: ToolTask, canon: Canonical, g: int, name: str) -> str:
    """What the first call of ground-truth call g's tool gave for parameter ``name`` (repr, or why none)."""
    slot = task.gt_calls[g][0]
    tool = task.shown_tools[slot]
    p = next(i for i, prm in enumerate(tool.params) if prm.name == name)
    n_stored = min(int(canon.n_calls[0]), canon.call_tool.shape[1])
    calls = [i for i in range(n_stored) if canon.call_tool[0, i] == slot]
    if not calls:
        return f"no call of {tool.name}"
    code = int(canon.call_val[0, calls[0], p])
    if code == -1:
        return "nothing (the key is missing)"
    if code == -2:
        return "a value matching none of the valid readings"
    return repr(task.candidates[slot][p][code])
