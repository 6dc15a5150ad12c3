"""Plain-Python twin of ``kernels.py``, written from the rules with lists and Counters (slow; for tests).

ToolRL's ``match_score`` comes from the text view's reward (``text.py``), which production code uses.
"""

from __future__ import annotations

import math

import numpy as np

from vecreward_envs.toolcall.config import C0, CONSTRAINT_KINDS, NONE, SLOT0, STOP, K
from vecreward_envs.toolcall.text import match_score


def score_one_py(answer: dict, task: dict) -> np.ndarray:
    """One canonical answer (dict of per-answer arrays) on one task (dict of per-task arrays) -> [K]."""
    out = np.full(K, math.nan)
    n_calls = int(answer["n_calls"])
    calls = list(range(min(n_calls, len(answer["call_tool"]))))
    names = [int(answer["call_tool"][i]) for i in calls]
    names = [x if x >= 0 else ("unknown", i) for i, x in enumerate(names)]  # unknown names equal nothing
    gt_n = int(task["gt_n"])
    gt_names = [int(task["gt_tool"][g]) for g in range(gt_n)]
    fmt = int(answer["fmt"])
    if fmt < 0:
        fmt = int((n_calls > 0) == (gt_n > 0) and (answer["has_resp"] > 0) == (task["gt_resp"] > 0))
    out[0] = float(fmt)
    out[1] = match_score(gt_names, names)
    used: set[int] = set()
    matched: dict[int, int] = {}
    keys_total, vals_total, n_values = 0.0, 0.0, 0
    for g in range(gt_n):
        gt_params = {p: int(v) for p, v in enumerate(task["gt_codes"][g]) if v >= 0}
        n_values += len(gt_params)
        best, best_i, best_key, best_val = 0.0, -1, 0.0, 0
        for i in calls:
            if i in used or names[i] != gt_names[g]:
                continue
            pd_params = {p: int(v) for p, v in enumerate(answer["call_val"][i]) if v != -1}
            pd_keys = sorted(pd_params) + [("extra", e) for e in range(int(answer["call_extra"][i]))]
            key = match_score(sorted(gt_params), pd_keys)
            vals = sum(1 for p, v in gt_params.items() if pd_params.get(p) == v)
            if key + vals > best:
                best, best_i, best_key, best_val = key + vals, i, key, vals
        if best_i >= 0:
            used.add(best_i)
            matched[g] = best_i
            keys_total += best_key
            vals_total += best_val
    out[2] = keys_total / gt_n if gt_n else math.nan
    out[3] = vals_total / n_values if n_values else math.nan
    rows = [(c, task["cons"][c][1], task["cons"][c][2]) for c in range(len(CONSTRAINT_KINDS)) if task["cons"][c][0]]
    rows += [(int(r[0]) - 1, r[1], r[2]) for r in task.get("cons_x", ()) if r[0] > 0]
    results: dict[int, list[bool]] = {}
    for c, a, b in rows:
        kind, a, b = CONSTRAINT_KINDS[c], int(a), int(b)
        if kind == "max_calls":
            value = n_calls <= a
        elif kind == "forbidden_tool":
            value = a not in names
        elif kind in ("unit", "format"):
            value = a in matched and int(answer["call_val"][matched[a]][b]) == int(task["gt_codes"][a][b])
        elif kind == "order":
            value = a in names and b in names and names.index(a) < names.index(b)
        elif kind == "response_length":
            value = int(answer["resp_words"]) <= a
        else:
            value = bool(answer["has_resp"]) and bool(answer["resp_field"])
        results.setdefault(c, []).append(bool(value))
    for c, values in results.items():  # the fraction of the kind's constraints that hold
        out[C0 + c] = sum(values) / len(values)
    return out


def decode_py(tokens: list[int], task: dict, max_calls: int, p_max: int, c_max: int) -> dict:
    """Structured tokens of one answer -> canonical dict (same grammar as ``kernels.decode_kernel``)."""
    calls: list[tuple[int, list[int]]] = []
    response = None
    phase, tool, values = "tool", -1, []
    n_tools = int(task["n_tools"])
    for tok in tokens:
        if tok == STOP or phase == "done":
            break
        j = tok - SLOT0
        if phase == "tool":
            if tok != NONE and 0 <= j < n_tools and len(calls) < max_calls:
                tool, values = j, []
                calls.append((tool, values))
                phase = "param" if task["n_params"][tool] > 0 else "tool"
            else:
                phase = "response"
        elif phase == "param":
            ok = tok != NONE and 0 <= j < task["n_cands"][tool][len(values)]
            values.append(j if ok else -1)
            if len(values) >= task["n_params"][tool]:
                phase = "tool" if len(calls) < max_calls else "response"
        else:
            if tok != NONE and 0 <= j < len(task["resp_words"]):
                response = j
            phase = "done"
    call_tool = np.full(c_max, -1, dtype=np.int64)
    call_val = np.full((c_max, p_max), -1, dtype=np.int64)
    for i, (t, vals) in enumerate(calls):
        call_tool[i] = t
        call_val[i, : len(vals)] = vals
    return {
        "n_calls": len(calls), "call_tool": call_tool, "call_extra": np.zeros(c_max, dtype=np.int64),
        "call_val": call_val, "has_resp": int(response is not None),
        "resp_words": 0 if response is None else int(task["resp_words"][response]),
        "resp_field": 0 if response is None else int(task["resp_field"][response]), "fmt": -1,
    }
