"""Partial DSL programs being written token by token: what a small network conditions each token on.

A ``ProgramCursor`` holds N programs under construction (one per rollout) as their abstract type stacks. Its
``valid_moves()`` allow exactly the tokens that keep a program well typed and finishable within the length, and
``end`` only when the stack holds one value of the problem's return type; near the length limit only tokens that
can still close the program are offered. Decoded programs are therefore well typed up to their last token, and a
policy spends its capacity on behaviour, not syntax. ``features()`` describe the stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.config import MAX_STACK
from vecreward_envs.codetests.problem import CodeProblem
from vecreward_envs.codetests.typing_rules import ARITY, result_type

_N_TYPES = 10  # type tags 0..9
_SHOWN = 3  # stack slots described by the features (top first)


def _pushed(token: int, stack: list[int], arg_types: Sequence[int]) -> int:
    """Type on top after ``token`` (T_NONE when the token does not type check here)."""
    if token in (d.ARG0, d.ARG1):
        return arg_types[token - d.ARG0] if token - d.ARG0 < len(arg_types) else d.T_NONE
    if token in d.CONST_VALUES:
        return d.T_INT
    if token in d.PLAIN_FNS:
        return d.PLAIN_FNS[token]
    if token in d.PARAM_FNS:
        return d.PARAM_FNS[token] if stack and stack[-1] == d.T_INT else d.T_NONE
    if token in ARITY:
        arity = ARITY[token]
        return result_type(token, stack[len(stack) - arity:]) if len(stack) >= arity else d.T_NONE
    return d.T_NONE


def _after(token: int, stack: tuple[int, ...], arg_types: tuple[int, ...]) -> tuple[int, ...] | None:
    """The abstract stack after ``token`` (None when it does not type check or overflows)."""
    kind = _pushed(token, list(stack), arg_types)
    if kind == d.T_NONE:
        return None
    if token in d.PARAM_FNS:
        new = stack[:-1] + (kind,)
    elif token in ARITY:
        new = stack[: len(stack) - ARITY[token]] + (kind,)
    else:
        new = stack + (kind,)
    return new if len(new) <= MAX_STACK else None


_DEAD_BELOW_TOP = frozenset((d.T_FINT, d.T_FPRED, d.T_FBIN, d.T_FCPRED, d.T_FCMAP, d.T_BOOL))
"""Values that can never be consumed once something lies above them: functions (always an operation's last
operand) and bools (no operation combines a bool with anything)."""


# Operations first: the search reaches a finished program sooner by reducing than by pushing.
_SEARCH_ORDER = tuple(sorted(range(1, d.N_TOKENS), key=lambda t: (t not in ARITY, t not in d.PARAM_FNS, t)))


@lru_cache(maxsize=1 << 20)
def can_finish(stack: tuple[int, ...], left: int, arg_types: tuple[int, ...], return_type: int) -> bool:
    """Whether at most ``left`` more tokens can turn ``stack`` into one value of ``return_type`` (memoized search).

    A function or a bool below the top can never be consumed (every operation takes its function as its last
    operand, leaves a result on the stack, and none takes a bool but ``not``), which prunes most dead ends.
    """
    if stack == (return_type,):
        return True
    if left <= 0 or len(stack) - 1 > 2 * left or any(t in _DEAD_BELOW_TOP for t in stack[:-1]):
        return False
    if stack and stack[-1] == d.T_BOOL and (len(stack) > 1 or return_type != d.T_BOOL):
        return False  # a bool combines with nothing (only `not` applies to it)
    return any((new := _after(token, stack, arg_types)) is not None and can_finish(new, left - 1, arg_types,
                                                                                   return_type)
               for token in _SEARCH_ORDER)


@lru_cache(maxsize=1 << 16)
def _viable_tokens(stack: tuple[int, ...], left: int, arg_types: tuple[int, ...], return_type: int) -> np.ndarray:
    """Bool [61] (read-only): tokens after which the program can still be finished in ``left`` more tokens."""
    out = np.zeros(d.N_TOKENS, dtype=np.bool_)
    for token in range(1, d.N_TOKENS):
        new = _after(token, stack, arg_types)
        out[token] = new is not None and can_finish(new, left, arg_types, return_type)
    out.flags.writeable = False
    return out


class ProgramCursor:
    """N programs being written on their problems, one token at a time (``END`` finishes a program)."""

    def __init__(self, problems: Sequence[CodeProblem], inst_idx: np.ndarray, length: int) -> None:
        idx = np.asarray(inst_idx, dtype=np.int64).reshape(-1)
        self.arg_types = [problems[i].arg_types for i in idx]
        self.return_types = [problems[i].return_type for i in idx]
        self.length = int(length)
        self.stacks: list[list[int]] = [[] for _ in idx]
        self.written = np.zeros(len(idx), dtype=np.int64)  # [N] tokens written so far
        self.done = np.zeros(len(idx), dtype=np.bool_)  # [N]

    @property
    def n_features(self) -> int:
        """Length F of ``features()`` rows."""
        return _SHOWN * _N_TYPES + 4

    def _valid_row(self, n: int) -> np.ndarray:
        valid = np.zeros(d.N_TOKENS, dtype=np.bool_)
        stack = self.stacks[n]
        if self.done[n]:
            valid[d.END] = True
            return valid
        valid[d.END] = len(stack) == 1 and stack[0] == self.return_types[n]
        left = self.length - int(self.written[n]) - 1  # tokens still free after this one
        valid[1:] = _viable_tokens(tuple(stack), left, tuple(self.arg_types[n]), self.return_types[n])[1:]
        if not valid.any():  # a dead end (only reachable through forced tokens): let the program end
            valid[d.END] = True
        return valid

    def valid_moves(self) -> np.ndarray:
        """Bool [N, 61]: tokens that keep each program well typed and finishable (a finished one may only END)."""
        return np.stack([self._valid_row(n) for n in range(len(self.stacks))]) if self.stacks else \
            np.zeros((0, d.N_TOKENS), dtype=np.bool_)

    def advance(self, tokens: np.ndarray) -> None:
        """Append one token [N] to every unfinished program (END, or any token past the length, finishes it)."""
        tokens = np.asarray(tokens, dtype=np.int64).reshape(-1)
        for n, token in enumerate(tokens.tolist()):
            if self.done[n]:
                continue
            if token == d.END or not 0 < token < d.N_TOKENS:
                self.done[n] = True
                continue
            stack = self.stacks[n]
            kind = _pushed(token, stack, self.arg_types[n])
            if token in d.PARAM_FNS and stack:
                stack.pop()
            elif token in ARITY:
                del stack[max(0, len(stack) - ARITY[token]):]
            stack.append(kind)  # T_NONE marks an ill-typed program (a forced, invalid token)
            self.written[n] += 1
            if self.written[n] >= self.length:
                self.done[n] = True

    def features(self) -> np.ndarray:
        """float32 [N, F]: one-hot types of the top 3 stack slots, depth, position, can-end-now, done."""
        out = np.zeros((len(self.stacks), self.n_features), dtype=np.float32)
        for n, stack in enumerate(self.stacks):
            for s, kind in enumerate(reversed(stack[-_SHOWN:])):
                out[n, s * _N_TYPES + kind] = 1.0
            base = _SHOWN * _N_TYPES
            out[n, base] = len(stack) / MAX_STACK
            out[n, base + 1] = self.written[n] / max(self.length, 1)
            out[n, base + 2] = float(len(stack) == 1 and stack[0] == self.return_types[n])
            out[n, base + 3] = float(self.done[n])
        return out
