"""The DSL's static type rules in plain Python: what ``typecheck`` accepts and the type each operation yields.

The generator, the mutants, the renderer, the judge and the policy's cursor all type programs with these rules;
``kernels.py`` compiles the same rules (``typecheck_kernel``), and the equivalence tests check that both agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.config import MAX_STACK

_SEQ_FN = {  # (sequence type, function type) -> result, for map / filter / count / any / all
    d.MAP: {(d.T_LIST, d.T_FINT): d.T_LIST, (d.T_STR, d.T_FCMAP): d.T_STR},
    d.FILTER: {(d.T_LIST, d.T_FPRED): d.T_LIST, (d.T_STR, d.T_FCPRED): d.T_STR},
    d.COUNT: {(d.T_LIST, d.T_FPRED): d.T_INT, (d.T_STR, d.T_FCPRED): d.T_INT},
    d.ANY: {(d.T_LIST, d.T_FPRED): d.T_BOOL, (d.T_STR, d.T_FCPRED): d.T_BOOL},
    d.ALL: {(d.T_LIST, d.T_FPRED): d.T_BOOL, (d.T_STR, d.T_FCPRED): d.T_BOOL},
}
ARITY = {
    d.MAP: 2, d.FILTER: 2, d.COUNT: 2, d.ANY: 2, d.ALL: 2, d.FOLD: 3, d.SCAN: 2, d.ZIPWITH: 3, d.APPLY: 2,
    d.SORT: 1, d.REVERSE: 1, d.LEN: 1, d.SUM: 1, d.MAXIMUM: 1, d.MINIMUM: 1, d.HEAD: 1, d.LAST: 1,
    d.TAKE: 2, d.DROP: 2, d.AT: 2, d.CONCAT: 2, d.DEDUP: 1, d.NOT: 1,
}
"""Operand count of each operation token (the tokens that pop their operands and push one result)."""


def result_type(token: int, operands: list[int]) -> int:
    """Result type of an operation on operand types (bottom to top), or T_NONE when ill typed."""
    seq = (d.T_LIST, d.T_STR)
    if token in _SEQ_FN:
        return _SEQ_FN[token].get((operands[0], operands[1]), d.T_NONE)
    if token == d.FOLD:
        return d.T_INT if operands == [d.T_LIST, d.T_INT, d.T_FBIN] else d.T_NONE
    if token == d.SCAN:
        return d.T_LIST if operands == [d.T_LIST, d.T_FBIN] else d.T_NONE
    if token == d.ZIPWITH:
        return d.T_LIST if operands == [d.T_LIST, d.T_LIST, d.T_FBIN] else d.T_NONE
    if token == d.APPLY:
        if operands[0] != d.T_INT:
            return d.T_NONE
        return {d.T_FINT: d.T_INT, d.T_FPRED: d.T_BOOL}.get(operands[1], d.T_NONE)
    a = operands[0]
    if token in (d.SORT, d.REVERSE, d.DEDUP):
        return a if a in seq else d.T_NONE
    if token == d.LEN:
        return d.T_INT if a in seq else d.T_NONE
    if token in (d.SUM, d.MAXIMUM, d.MINIMUM):
        return d.T_INT if a == d.T_LIST else d.T_NONE
    if token in (d.HEAD, d.LAST):
        return {d.T_LIST: d.T_INT, d.T_STR: d.T_STR}.get(a, d.T_NONE)
    if token in (d.TAKE, d.DROP):
        return a if a in seq and operands[1] == d.T_INT else d.T_NONE
    if token == d.AT:
        return {d.T_LIST: d.T_INT, d.T_STR: d.T_STR}.get(a, d.T_NONE) if operands[1] == d.T_INT else d.T_NONE
    if token == d.CONCAT:
        return a if a in seq and operands[1] == a else d.T_NONE
    if token == d.NOT:
        return d.T_BOOL if a == d.T_BOOL else d.T_NONE
    return d.T_NONE


def typecheck(tokens: Sequence[int], arg_types: Sequence[int]) -> tuple[int, int]:
    """Static check of a program for argument types ``arg_types`` (T_NONE = no such argument).

    Returns:
        (error code, result type): ``(ERR_NONE, type)`` for a well-typed program; otherwise the first problem
        met left to right: ``ERR_STACK`` (too few operands, or more than ``MAX_STACK`` values), ``ERR_TYPE``
        (wrong operand types, an absent argument, an unknown token), ``ERR_RESULT`` (not exactly one data value
        at the end), with result type T_NONE.
    """
    stack: list[int] = []
    for raw in tokens:
        token = int(raw)
        if token == d.END:
            break
        if token < 0 or token >= d.N_TOKENS:
            return d.ERR_TYPE, d.T_NONE
        if token in (d.ARG0, d.ARG1):
            kind = arg_types[token - d.ARG0] if token - d.ARG0 < len(arg_types) else d.T_NONE
            if kind == d.T_NONE:
                return d.ERR_TYPE, d.T_NONE
            pushed = kind
        elif token in d.CONST_VALUES:
            pushed = d.T_INT
        elif token in d.PLAIN_FNS:
            pushed = d.PLAIN_FNS[token]
        elif token in d.PARAM_FNS:
            if not stack:
                return d.ERR_STACK, d.T_NONE
            if stack.pop() != d.T_INT:
                return d.ERR_TYPE, d.T_NONE
            pushed = d.PARAM_FNS[token]
        else:
            arity = ARITY[token]
            if len(stack) < arity:
                return d.ERR_STACK, d.T_NONE
            operands = stack[len(stack) - arity:]
            del stack[len(stack) - arity:]
            pushed = result_type(token, operands)
            if pushed == d.T_NONE:
                return d.ERR_TYPE, d.T_NONE
        if len(stack) >= MAX_STACK:
            return d.ERR_STACK, d.T_NONE
        stack.append(pushed)
    if len(stack) != 1 or stack[0] not in d.DATA_TYPES:
        return d.ERR_RESULT, d.T_NONE
    return d.ERR_NONE, stack[0]
