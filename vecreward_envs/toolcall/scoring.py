"""Stacked task arrays and canonical answers: the two inputs of the scoring kernel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vecreward_envs.toolcall.catalog import catalog
from vecreward_envs.toolcall.config import (
    CONSTRAINT_KINDS,
    MAX_EXTRA,
    MAX_GT_CALLS,
    MAX_PARAMS,
    MAX_SCORED_CALLS,
    MAX_TOOLS,
    K,
)
from vecreward_envs.toolcall.task import ToolTask


def _cons_params(kind: str, spec: dict) -> tuple[int, int]:
    """The two integer parameters of one constraint in the kernels' arrays."""
    if kind == "max_calls":
        return spec["n"], 0
    if kind == "forbidden_tool":
        return spec["slot"], 0
    if kind in ("unit", "format"):
        return spec["call"], spec["param"]
    if kind == "order":
        return spec["first"], spec["second"]
    if kind == "response_length":
        return spec["words"], 0
    return 0, 0


def task_arrays(task: ToolTask) -> dict[str, np.ndarray]:
    """The arrays of one task the kernels read (cached on the task)."""
    cached = task.__dict__.get("_arrays")
    if cached is not None:
        return cached
    cat = catalog()
    cons = np.zeros((len(CONSTRAINT_KINDS), 3), dtype=np.int32)
    for c, kind in enumerate(CONSTRAINT_KINDS):
        spec = task.constraints.get(kind)
        if spec is not None:
            cons[c] = (1, *_cons_params(kind, spec))
    cons_x = np.zeros((MAX_EXTRA, 3), dtype=np.int32)
    for r, (kind, spec) in enumerate(task.extra_constraints):
        cons_x[r] = (CONSTRAINT_KINDS.index(kind) + 1, *_cons_params(kind, spec))
    gt_tool = np.full(MAX_GT_CALLS, -1, dtype=np.int64)
    for g, (slot, _) in enumerate(task.gt_calls):
        gt_tool[g] = slot
    n_params = np.zeros(MAX_TOOLS, dtype=np.int64)
    n_cands = np.zeros((MAX_TOOLS, MAX_PARAMS), dtype=np.int64)
    for s, tool_id in enumerate(task.tools):
        n_params[s] = len(cat[tool_id].params)
        for p in range(n_params[s]):
            n_cands[s, p] = len(task.candidates[s][p])
    code = task.constraints.get("response_field", {}).get("text", "\0")
    arrays = {
        "gt_n": np.int64(len(task.gt_calls)), "gt_tool": gt_tool, "gt_codes": task.gt_codes.astype(np.int64),
        "gt_resp": np.int64(task.response is not None), "cons": cons, "cons_x": cons_x,
        "n_tools": np.int64(len(task.tools)),
        "n_params": n_params, "n_cands": n_cands,
        "resp_words": np.array([len(r.split()) for r in task.responses], dtype=np.int64),
        "resp_field": np.array([code.casefold() in r.casefold() for r in task.responses], dtype=np.int64),
    }
    task.__dict__["_arrays"] = arrays  # a frozen dataclass still has a __dict__: a private cache
    return arrays


@dataclass(frozen=True)
class TaskBatch:
    """B tasks stacked for the kernels."""

    gt_n: np.ndarray  # [B]
    gt_tool: np.ndarray  # [B, G]
    gt_codes: np.ndarray  # [B, G, P]
    gt_resp: np.ndarray  # [B]
    cons: np.ndarray  # [B, 7, 3]: per kind (active, a, b) of its first constraint
    cons_x: np.ndarray  # [B, MAX_EXTRA, 3]: repeated constraints (kind index + 1, 0 for none; a, b)
    n_tools: np.ndarray  # [B]
    n_params: np.ndarray  # [B, T]
    n_cands: np.ndarray  # [B, T, P]
    resp_words: np.ndarray  # [B, R]
    resp_field: np.ndarray  # [B, R]

    @classmethod
    def stack(cls, tasks: Sequence[ToolTask]) -> TaskBatch:
        """Stack the arrays of ``tasks``."""
        rows = [task_arrays(t) for t in tasks]
        return cls(**{name: np.stack([r[name] for r in rows]) for name in cls.__dataclass_fields__})


class Canonical:
    """N answers in canonical form (filled by the structured decoder or the text parser)."""

    def __init__(self, n: int) -> None:
        c, p = MAX_SCORED_CALLS, MAX_PARAMS
        self.n_calls = np.zeros(n, dtype=np.int64)
        self.call_tool = np.full((n, c), -1, dtype=np.int64)
        self.call_extra = np.zeros((n, c), dtype=np.int64)
        self.call_val = np.full((n, c, p), -1, dtype=np.int64)
        self.has_resp = np.zeros(n, dtype=np.int64)
        self.resp_words = np.zeros(n, dtype=np.int64)
        self.resp_field = np.zeros(n, dtype=np.int64)
        self.fmt = np.full(n, -1, dtype=np.int64)

    def row(self, n: int) -> dict:
        """Answer n as a dict (the Python twin's input)."""
        return {k: v[n] for k, v in self.__dict__.items()}


def _task_index(batch: TaskBatch, idx: np.ndarray, n: int) -> np.ndarray:
    """``idx`` as int64 [n] pointing into ``batch``; the kernels index without bounds checks, so check here."""
    arr = np.asarray(idx)
    if arr.shape != (n,) or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"idx must be {n} integer task indices, got {arr.dtype} {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= batch.gt_n.shape[0]):
        raise ValueError(f"idx must be in [0, {batch.gt_n.shape[0]}) (tasks in the batch), "
                         f"got {arr.min()}..{arr.max()}")
    return arr


def score_canonical(batch: TaskBatch, idx: np.ndarray, answers: Canonical) -> np.ndarray:
    """float32 [N, K] rewards of canonical answers (answer n on task ``idx[n]``).

    Raises:
        ValueError: ``idx`` is not one index per answer into ``batch``.
    """
    from vecreward_envs.toolcall.kernels import score_kernel

    idx = _task_index(batch, idx, answers.n_calls.shape[0])
    out = np.empty((idx.shape[0], K), dtype=np.float32)
    score_kernel(idx, answers.n_calls, answers.call_tool, answers.call_extra,
                 answers.call_val, answers.has_resp, answers.resp_words, answers.resp_field, answers.fmt,
                 batch.gt_n, batch.gt_tool, batch.gt_codes, batch.gt_resp, batch.cons, batch.cons_x, out)
    return out


def decode_structured(batch: TaskBatch, idx: np.ndarray, tokens: np.ndarray, max_calls: int) -> Canonical:
    """Structured token answers [N, L] -> canonical form.

    Raises:
        ValueError: tokens that are not an integer [N, L] array, ``idx`` not one index per answer into ``batch``,
            or ``max_calls`` outside [1, MAX_SCORED_CALLS].
    """
    from vecreward_envs.toolcall.kernels import decode_kernel

    tokens = np.asarray(tokens)
    if tokens.ndim != 2 or tokens.dtype.kind not in "iu":
        raise ValueError(f"structured answers must be an integer array [N, L], got {tokens.dtype} {tokens.shape}")
    if not 1 <= int(max_calls) <= MAX_SCORED_CALLS:
        raise ValueError(f"max_calls must be in [1, {MAX_SCORED_CALLS}], got {max_calls}")
    idx = _task_index(batch, idx, tokens.shape[0])
    out = Canonical(tokens.shape[0])
    decode_kernel(np.ascontiguousarray(tokens, dtype=np.int64), idx,
                  batch.n_tools, batch.n_params, batch.n_cands, batch.resp_words, batch.resp_field, int(max_calls),
                  out.n_calls, out.call_tool, out.call_val, out.has_resp, out.resp_words, out.resp_field)
    return out

