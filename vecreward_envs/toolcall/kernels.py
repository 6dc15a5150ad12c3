"""Numba kernels of the tool-call family: decode structured answers and score canonical answers, batched.

An answer of either view is first brought to one *canonical* form (arrays, see ``Canonical``): the calls it makes
(tool slot, -1 for an unknown name; per parameter slot a value code: -1 absent, -2 present but matching no
candidate, >= 0 the candidate it equals; extra keys outside the schema), how many calls it made, its response
(present, word count, whether it mentions the reference) and its format flag. ``score_kernel`` scores canonical
answers against the stacked tasks; ``decode_kernel`` turns structured token answers into canonical ones. The text
view parses completions into the same form (``text.py``), so both views share one scorer.

``kernels_py.py`` is the plain-Python twin written from the same rules; tests check that they agree.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from vecreward_envs.toolcall.config import C0, NONE, SLOT0, STOP, K

# constraint columns (order of CONSTRAINT_KINDS)
MAX_CALLS, FORBIDDEN, UNIT, FORMAT, ORDER, RESP_LEN, RESP_FIELD = range(7)


@njit(cache=True)
def _match_score(n_gt, n_pd, inter, same_list):  # noqa: ANN001, ANN202
    """ToolRL's multiset Jaccard: 1 for equal lists, 0 when one is empty, else |A n B| / |A u B|."""
    if same_list:
        return 1.0
    if n_gt == 0 or n_pd == 0:
        return 0.0
    return inter / (n_gt + n_pd - inter)


@njit(cache=True)
def score_one(n_calls, call_tool, call_extra, call_val, has_resp, resp_words, resp_field, fmt,  # noqa: ANN001, ANN201
              gt_n, gt_tool, gt_codes, gt_resp, cons, cons_x, out):
    """Score one canonical answer into ``out`` [K] (NaN: not applicable)."""
    n_stored = min(n_calls, call_tool.shape[0])
    n_params = gt_codes.shape[1]
    # format: the text view passes ToolRL's R_format (and well-formed calls); -1 = derive from the skeleton
    if fmt < 0:
        out[0] = 1.0 if ((n_calls > 0) == (gt_n > 0)) and ((has_resp > 0) == (gt_resp > 0)) else 0.0
    else:
        out[0] = float(fmt)
    # tool names: multiset Jaccard over slots (unknown names, -1, match nothing)
    inter = 0
    used_gt = np.zeros(gt_n, dtype=np.bool_)
    for i in range(n_stored):
        for g in range(gt_n):
            if not used_gt[g] and call_tool[i] >= 0 and call_tool[i] == gt_tool[g]:
                used_gt[g] = True
                inter += 1
                break
    same = n_stored == gt_n
    if same:
        for i in range(n_stored):
            if call_tool[i] < 0 or call_tool[i] != gt_tool[i]:
                same = False
    out[1] = _match_score(gt_n, n_stored, inter, same)
    # parameters: each ground-truth call takes the best unused predicted call of its tool (ToolRL's matching)
    used = np.zeros(n_stored, dtype=np.bool_)
    matched = np.full(gt_n, -1, dtype=np.int64)
    key_sum = 0.0
    val_sum = 0.0
    n_gt_values = 0
    for g in range(gt_n):
        n_gk = 0
        for p in range(n_params):
            if gt_codes[g, p] >= 0:
                n_gk += 1
        n_gt_values += n_gk
        best = 0.0
        best_i = -1
        best_key = 0.0
        best_val = 0.0
        for i in range(n_stored):
            if used[i] or call_tool[i] != gt_tool[g]:
                continue
            n_pk = call_extra[i]
            ik = 0
            vals = 0
            same_keys = call_extra[i] == 0
            for p in range(n_params):
                present = call_val[i, p] != -1
                want = gt_codes[g, p] >= 0
                if present:
                    n_pk += 1
                if present and want:
                    ik += 1
                    if call_val[i, p] == gt_codes[g, p]:
                        vals += 1
                if present != want:
                    same_keys = False
            key = _match_score(n_gk, n_pk, ik, same_keys)
            total = key + vals
            if total > best:
                best, best_i, best_key, best_val = total, i, key, float(vals)
        if best_i >= 0:
            used[best_i] = True
            matched[g] = best_i
            key_sum += best_key
            val_sum += best_val
    out[2] = key_sum / gt_n if gt_n > 0 else np.nan
    out[3] = val_sum / n_gt_values if n_gt_values > 0 else np.nan
    # constraints: per kind, the fraction of its constraints (first in ``cons``, repeats in ``cons_x``) that pass
    passed = np.zeros(7, dtype=np.float64)
    total = np.zeros(7, dtype=np.float64)
    for c in range(7):
        if cons[c, 0]:
            total[c] += 1.0
            if _passes(c, cons[c, 1], cons[c, 2], n_calls, n_stored, call_tool, call_val, resp_words, resp_field,
                       has_resp, gt_n, gt_codes, matched):
                passed[c] += 1.0
    for r in range(cons_x.shape[0]):
        c = cons_x[r, 0] - 1
        if c >= 0:
            total[c] += 1.0
            if _passes(c, cons_x[r, 1], cons_x[r, 2], n_calls, n_stored, call_tool, call_val, resp_words,
                       resp_field, has_resp, gt_n, gt_codes, matched):
                passed[c] += 1.0
    for c in range(7):
        out[C0 + c] = passed[c] / total[c] if total[c] > 0 else np.nan


@njit(cache=True)
def _passes(c, a, b, n_calls, n_stored, call_tool, call_val, resp_words, resp_field, has_resp,  # noqa: ANN001, ANN202
            gt_n, gt_codes, matched):
    """Whether one constraint of kind column ``c`` with parameters (a, b) holds."""
    if c == MAX_CALLS:
        return n_calls <= a
    if c == FORBIDDEN:
        for i in range(n_stored):
            if call_tool[i] == a:
                return False
        return True
    if c == UNIT or c == FORMAT:
        m = matched[a] if a < gt_n else -1
        return m >= 0 and call_val[m, b] == gt_codes[a, b]
    if c == ORDER:
        first_a = -1
        first_b = -1
        for i in range(n_stored - 1, -1, -1):
            if call_tool[i] == a:
                first_a = i
            if call_tool[i] == b:
                first_b = i
        return first_a >= 0 and first_b >= 0 and first_a < first_b
    if c == RESP_LEN:
        return resp_words <= a
    return has_resp > 0 and resp_field > 0


@njit(cache=True)
def score_kernel(idx, n_calls, call_tool, call_extra, call_val, has_resp, resp_words, resp_field, fmt,  # noqa: ANN001, ANN201
                 gt_n, gt_tool, gt_codes, gt_resp, cons, cons_x, out):
    """Score N canonical answers (answer n on task ``idx[n]``) into ``out`` float32 [N, K]."""
    row = np.empty(K, dtype=np.float64)
    for n in range(idx.shape[0]):
        b = idx[n]
        score_one(n_calls[n], call_tool[n], call_extra[n], call_val[n], has_resp[n], resp_words[n], resp_field[n],
                  fmt[n], gt_n[b], gt_tool[b], gt_codes[b], gt_resp[b], cons[b], cons_x[b], row)
        for k in range(K):
            out[n, k] = row[k]


@njit(cache=True)
def decode_kernel(tokens, idx, n_tools, n_params, n_cands, resp_words_table, resp_field_table, max_calls,  # noqa: ANN001, ANN201
                  n_calls, call_tool, call_val, has_resp, resp_words, resp_field):
    """Structured token answers [N, L] -> canonical arrays (filled in place; see ``cursor.py`` for the grammar).

    Phases: tool (``S<j>`` starts a call of tool slot j, ``NONE`` ends the calls), then one token per parameter of
    that tool (``NONE`` omits it, ``S<v>`` takes candidate v), then the response (``NONE``: none, ``S<r>``:
    candidate response r), then ``STOP``. ``STOP`` ends the answer anywhere; a slot token out of range for its
    phase counts as ``NONE``.
    """
    for n in range(tokens.shape[0]):
        b = idx[n]
        phase = 0  # 0 tool, 1 parameter, 2 response, 3 done
        c = 0
        tool = 0
        p = 0
        n_calls[n] = 0
        has_resp[n] = 0
        resp_words[n] = 0
        resp_field[n] = 0
        call_tool[n, :] = -1
        call_val[n, :, :] = -1
        for t in range(tokens.shape[1]):
            tok = tokens[n, t]
            if tok == STOP or phase == 3:
                break
            j = tok - SLOT0
            if phase == 0:
                if tok != NONE and 0 <= j < n_tools[b] and c < max_calls:
                    tool = j
                    call_tool[n, c] = j
                    n_calls[n] = c + 1
                    p = 0
                    phase = 1 if n_params[b, tool] > 0 else 0
                    if phase == 0:
                        c += 1
                else:
                    phase = 2
            elif phase == 1:
                if tok != NONE and 0 <= j < n_cands[b, tool, p]:
                    call_val[n, c, p] = j
                p += 1
                if p >= n_params[b, tool]:
                    c += 1
                    phase = 0 if c < max_calls else 2
            else:
                if tok != NONE and 0 <= j < resp_words_table.shape[1]:
                    has_resp[n] = 1
                    resp_words[n] = resp_words_table[b, j]
                    resp_field[n] = resp_field_table[b, j]
                phase = 3
