"""Structured answers written token by token: what a small network conditions each token on.

Grammar (the same as ``kernels.decode_kernel``): in the *tool* phase ``S<j>`` starts a call of tool slot j and
``NONE`` ends the calls; then one token per parameter of that tool (``NONE`` omits it, ``S<v>`` takes candidate
value v); after the calls, the *response* phase (``NONE``: no response, ``S<r>``: candidate response r); then only
``STOP``. ``valid_moves`` offers exactly the tokens the grammar gives a meaning to; ``features`` describe the task
and where the answer stands (which tools the request needs, which are forbidden, which candidate values are the
request's literal values and which the converted ones, which responses fit the limits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vecreward_envs.toolcall.config import (
    ANSWER_VOCAB,
    CONSTRAINT_KINDS,
    MAX_PARAMS,
    MAX_TOOLS,
    N_CANDIDATES,
    N_RESPONSES,
    NONE,
    SLOT0,
    STOP,
)
from vecreward_envs.toolcall.scoring import TaskBatch
from vecreward_envs.toolcall.task import ToolTask

TYPES = ("string", "integer", "number", "enum", "boolean", "list")
_TOOL, _PARAM, _RESP, _DONE = range(4)


def static_tables(tasks: Sequence[ToolTask]) -> dict[str, np.ndarray]:
    """Per-task tables the cursor and the observation read, stacked [B, ...]."""
    from vecreward_envs.toolcall.catalog import catalog

    cat = catalog()
    b = len(tasks)
    requested = np.zeros((b, MAX_TOOLS), dtype=np.float32)
    order = np.zeros((b, MAX_TOOLS, 2), dtype=np.float32)
    forbidden = np.zeros((b, MAX_TOOLS), dtype=np.float32)
    ptype = np.zeros((b, MAX_TOOLS, MAX_PARAMS, len(TYPES)), dtype=np.float32)
    for i, task in enumerate(tasks):
        for slot, _ in task.gt_calls:
            requested[i, slot] = 1.0
        for kind, spec in task.all_constraints:  # every forbidden tool and ordering pair
            if kind == "forbidden_tool":
                forbidden[i, spec["slot"]] = 1.0
            elif kind == "order":
                order[i, spec["first"], 0] = 1.0
                order[i, spec["second"], 1] = 1.0
        for s, tool_id in enumerate(task.tools):
            for p, prm in enumerate(cat[tool_id].params):
                ptype[i, s, p, TYPES.index(prm.type)] = 1.0
    active = np.array([[kind in t.constraints for kind in CONSTRAINT_KINDS] for t in tasks], dtype=np.float32)
    max_calls = np.array([t.constraints.get("max_calls", {}).get("n", MAX_TOOLS) for t in tasks], dtype=np.int64)
    limit = np.array([t.constraints.get("response_length", {}).get("words", 10**6) for t in tasks], dtype=np.int64)
    return {
        "requested": requested, "order": order, "forbidden": forbidden, "ptype": ptype, "active": active,
        "max_calls": max_calls, "limit": limit,
        "param_flags": np.stack([t.param_flags for t in tasks]).astype(np.float32),
        "cand_flags": np.stack([t.cand_flags for t in tasks]).astype(np.float32),
        "gt_resp": np.array([t.response is not None for t in tasks], dtype=np.float32),
        "n_gt": np.array([len(t.gt_calls) for t in tasks], dtype=np.float32),
    }


class ToolCallCursor:
    """N structured answers being written on their tasks, one token at a time."""

    def __init__(self, tasks: Sequence[ToolTask], inst_idx: np.ndarray, max_calls: int) -> None:
        idx = np.asarray(inst_idx, dtype=np.int64).reshape(-1)
        self.idx = idx
        self.max_calls = int(max_calls)
        batch = TaskBatch.stack(tasks)
        self.n_tools = batch.n_tools[idx]  # [N]
        self.n_params = batch.n_params[idx]  # [N, T]
        self.n_cands = batch.n_cands[idx]  # [N, T, P]
        self.resp_words = batch.resp_words[idx]  # [N, R]
        self.resp_field = batch.resp_field[idx]  # [N, R]
        self.tables = {k: v[idx] for k, v in static_tables(tasks).items()}
        n = idx.shape[0]
        self.phase = np.zeros(n, dtype=np.int64)
        self.tool = np.zeros(n, dtype=np.int64)
        self.param = np.zeros(n, dtype=np.int64)
        self.calls = np.zeros(n, dtype=np.int64)
        self.called = np.zeros((n, MAX_TOOLS), dtype=np.float32)
        self._rows = np.arange(n)

    @property
    def done(self) -> np.ndarray:
        """Bool [N]: the answer is complete (only STOP remains)."""
        return self.phase == _DONE

    @property
    def n_features(self) -> int:
        """Length F of ``features()`` rows."""
        return 4 + 1 + len(CONSTRAINT_KINDS) + 2 + MAX_TOOLS * 6 + 3 + len(TYPES) + N_CANDIDATES * 3 + \
            N_RESPONSES * 2 + 2

    def valid_moves(self) -> np.ndarray:
        """Bool [N, V]: the tokens the grammar gives a meaning to in each answer's phase."""
        n = self.phase.shape[0]
        valid = np.zeros((n, len(ANSWER_VOCAB)), dtype=np.bool_)
        slots = np.arange(len(ANSWER_VOCAB) - SLOT0)
        tool_ph, param_ph, resp_ph = self.phase == _TOOL, self.phase == _PARAM, self.phase == _RESP
        valid[:, NONE] = tool_ph | param_ph | resp_ph
        valid[:, STOP] = self.done
        n_cand = self.n_cands[self._rows, self.tool, np.minimum(self.param, MAX_PARAMS - 1)]  # [N]
        valid[:, SLOT0:] |= tool_ph[:, None] & (slots[None, :] < self.n_tools[:, None])
        valid[:, SLOT0:] |= param_ph[:, None] & (slots[None, :] < n_cand[:, None])
        valid[:, SLOT0:] |= resp_ph[:, None] & (slots[None, :] < N_RESPONSES)
        return valid

    def advance(self, tokens: np.ndarray) -> None:
        """Apply one token [N] to every unfinished answer (STOP finishes an answer anywhere)."""
        tokens = np.asarray(tokens, dtype=np.int64).reshape(-1)
        j = tokens - SLOT0
        stop = (tokens == STOP) & ~self.done
        tool_ph, param_ph, resp_ph = self.phase == _TOOL, self.phase == _PARAM, self.phase == _RESP
        start = tool_ph & (tokens != NONE) & (j >= 0) & (j < self.n_tools) & (self.calls < self.max_calls)
        self.phase[tool_ph & ~start] = _RESP
        self.tool[start] = j[start]
        self.param[start] = 0
        self.called[self._rows[start], j[start]] = 1.0
        self.phase[start] = _PARAM
        # parameter phase: one token per parameter of the current tool
        self.param[param_ph] += 1
        finished = param_ph & (self.param >= self.n_params[self._rows, self.tool])
        self.calls[finished] += 1
        self.phase[finished] = np.where(self.calls[finished] < self.max_calls, _TOOL, _RESP)
        self.phase[resp_ph] = _DONE
        self.phase[stop] = _DONE

    def features(self) -> np.ndarray:
        """float32 [N, F]: phase, calls, constraints, per-tool flags, current parameter, candidates, responses."""
        t = self.tables
        n = self.phase.shape[0]
        rows, tool = self._rows, self.tool
        p = np.minimum(self.param, MAX_PARAMS - 1)
        in_param = (self.phase == _PARAM).astype(np.float32)[:, None]
        phase = np.eye(4, dtype=np.float32)[self.phase]  # [N, 4]
        calls = (self.calls / self.max_calls)[:, None].astype(np.float32)
        cons = np.concatenate([t["active"], (np.minimum(t["max_calls"], MAX_TOOLS) / MAX_TOOLS)[:, None],
                               (self.calls >= t["max_calls"]).astype(np.float32)[:, None]], axis=1)
        current = np.zeros((n, MAX_TOOLS), dtype=np.float32)
        current[rows, tool] = in_param[:, 0]
        per_tool = np.stack([t["requested"], t["forbidden"], self.called, t["order"][..., 0], t["order"][..., 1],
                             current], axis=2).reshape(n, -1)
        param = np.concatenate([t["param_flags"][rows, tool, p], t["ptype"][rows, tool, p]], axis=1) * in_param
        exists = (np.arange(N_CANDIDATES)[None, :] < self.n_cands[rows, tool, p][:, None]).astype(np.float32)
        cands = np.concatenate([exists[..., None], t["cand_flags"][rows, tool, p]], axis=2).reshape(n, -1) * in_param
        fits = (self.resp_words <= t["limit"][:, None]).astype(np.float32)
        resp = np.stack([fits, self.resp_field.astype(np.float32)], axis=2).reshape(n, -1)
        extra = np.stack([t["gt_resp"], t["n_gt"] / 3.0], axis=1)
        return np.concatenate([phase, calls, cons, per_tool, param, cands, resp, extra], axis=1).astype(np.float32)
