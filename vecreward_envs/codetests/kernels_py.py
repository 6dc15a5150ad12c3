"""The DSL's semantics in plain Python: the twin of ``kernels.py``, written from the rules in ``dsl.py``.

Values are ``(type tag, payload)`` pairs: ints, bools, lists of ints and Python strings as payloads, and
``(token, parameter)`` for function values. Every error is a code from ``dsl.py`` (never an exception out of
``run_program``). The generator runs ground truths and mutants through this module; ``kernels.py`` must agree
with it exactly, which ``tests/vecreward_envs/codetests/test_kernels.py`` checks on thousands of programs.
"""

from __future__ import annotations

from collections.abc import Sequence

from vecreward_envs.codetests.config import MAX_LEN, MAX_STACK, VMAX
from vecreward_envs.codetests.dsl import (
    ABS,
    ADD,
    ALL,
    ANY,
    APPLY,
    ARG0,
    ARG1,
    AT,
    CONCAT,
    CONST_VALUES,
    COUNT,
    DATA_TYPES,
    DEDUP,
    DIV,
    DROP,
    END,
    EQ,
    ERR_DIVZERO,
    ERR_EMPTY,
    ERR_INDEX,
    ERR_LENGTH,
    ERR_NONE,
    ERR_OVERFLOW,
    ERR_RESULT,
    ERR_STACK,
    ERR_TYPE,
    EVEN,
    FILTER,
    FOLD,
    GT,
    HEAD,
    ISALPHA,
    ISDIGIT,
    ISLOWER,
    ISSPACE,
    ISUPPER,
    ISVOWEL,
    LAST,
    LEN,
    LOWER,
    LT,
    MAP,
    MAX,
    MAXIMUM,
    MIN,
    MINIMUM,
    MINUS,
    MOD,
    MUL,
    N_TOKENS,
    NEG,
    NOT,
    ODD,
    PARAM_FNS,
    PLAIN_FNS,
    PLUS,
    REVERSE,
    SCAN,
    SORT,
    SPACES,
    SQUARE,
    SUB,
    SUM,
    SWAPCASE,
    T_BOOL,
    T_FBIN,
    T_FCMAP,
    T_FCPRED,
    T_FINT,
    T_FPRED,
    T_INT,
    T_LIST,
    T_NONE,
    T_STR,
    TAKE,
    TIMES,
    UPPER,
    VOWELS,
    ZIPWITH,
)

Value = tuple[int, object]
"""(type tag, payload)."""


class DslError(Exception):
    """A runtime error inside the interpreter (carries a code from ``dsl.py``)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


# ----- static types -----------------------------------------------------------------------------------------------
_SEQ_FN = {  # (sequence type, function type) -> result, for map / filter / count / any / all
    MAP: {(T_LIST, T_FINT): T_LIST, (T_STR, T_FCMAP): T_STR},
    FILTER: {(T_LIST, T_FPRED): T_LIST, (T_STR, T_FCPRED): T_STR},
    COUNT: {(T_LIST, T_FPRED): T_INT, (T_STR, T_FCPRED): T_INT},
    ANY: {(T_LIST, T_FPRED): T_BOOL, (T_STR, T_FCPRED): T_BOOL},
    ALL: {(T_LIST, T_FPRED): T_BOOL, (T_STR, T_FCPRED): T_BOOL},
}
_ARITY = {
    MAP: 2, FILTER: 2, COUNT: 2, ANY: 2, ALL: 2, FOLD: 3, SCAN: 2, ZIPWITH: 3, APPLY: 2,
    SORT: 1, REVERSE: 1, LEN: 1, SUM: 1, MAXIMUM: 1, MINIMUM: 1, HEAD: 1, LAST: 1, TAKE: 2, DROP: 2, AT: 2,
    CONCAT: 2, DEDUP: 1, NOT: 1,
}


def _result_type(token: int, operands: list[int]) -> int:
    """Result type of an operation on operand types (bottom to top), or T_NONE when ill typed."""
    seq = (T_LIST, T_STR)
    if token in _SEQ_FN:
        return _SEQ_FN[token].get((operands[0], operands[1]), T_NONE)
    if token == FOLD:
        return T_INT if operands == [T_LIST, T_INT, T_FBIN] else T_NONE
    if token == SCAN:
        return T_LIST if operands == [T_LIST, T_FBIN] else T_NONE
    if token == ZIPWITH:
        return T_LIST if operands == [T_LIST, T_LIST, T_FBIN] else T_NONE
    if token == APPLY:
        if operands[0] != T_INT:
            return T_NONE
        return {T_FINT: T_INT, T_FPRED: T_BOOL}.get(operands[1], T_NONE)
    a = operands[0]
    if token in (SORT, REVERSE, DEDUP):
        return a if a in seq else T_NONE
    if token == LEN:
        return T_INT if a in seq else T_NONE
    if token in (SUM, MAXIMUM, MINIMUM):
        return T_INT if a == T_LIST else T_NONE
    if token in (HEAD, LAST):
        return {T_LIST: T_INT, T_STR: T_STR}.get(a, T_NONE)
    if token in (TAKE, DROP):
        return a if a in seq and operands[1] == T_INT else T_NONE
    if token == AT:
        return {T_LIST: T_INT, T_STR: T_STR}.get(a, T_NONE) if operands[1] == T_INT else T_NONE
    if token == CONCAT:
        return a if a in seq and operands[1] == a else T_NONE
    if token == NOT:
        return T_BOOL if a == T_BOOL else T_NONE
    return T_NONE


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
        if token == END:
            break
        if token < 0 or token >= N_TOKENS:
            return ERR_TYPE, T_NONE
        if token in (ARG0, ARG1):
            kind = arg_types[token - ARG0] if token - ARG0 < len(arg_types) else T_NONE
            if kind == T_NONE:
                return ERR_TYPE, T_NONE
            pushed = kind
        elif token in CONST_VALUES:
            pushed = T_INT
        elif token in PLAIN_FNS:
            pushed = PLAIN_FNS[token]
        elif token in PARAM_FNS:
            if not stack:
                return ERR_STACK, T_NONE
            if stack.pop() != T_INT:
                return ERR_TYPE, T_NONE
            pushed = PARAM_FNS[token]
        else:
            arity = _ARITY[token]
            if len(stack) < arity:
                return ERR_STACK, T_NONE
            operands = stack[len(stack) - arity:]
            del stack[len(stack) - arity:]
            pushed = _result_type(token, operands)
            if pushed == T_NONE:
                return ERR_TYPE, T_NONE
        if len(stack) >= MAX_STACK:
            return ERR_STACK, T_NONE
        stack.append(pushed)
    if len(stack) != 1 or stack[0] not in DATA_TYPES:
        return ERR_RESULT, T_NONE
    return ERR_NONE, stack[0]


# ----- runtime ----------------------------------------------------------------------------------------------------
def _bounded(value: int) -> int:
    if abs(value) > VMAX:
        raise DslError(ERR_OVERFLOW)
    return value


def _times(a: int, b: int) -> int:
    return _bounded(a * b)  # Python ints do not overflow: the bound alone decides


def apply_int_fn(token: int, param: int, x: int) -> int:
    """An int -> int function value applied to ``x``."""
    if token == ADD:
        return _bounded(x + param)
    if token == SUB:
        return _bounded(x - param)
    if token == MUL:
        return _times(x, param)
    if token == DIV:
        if param == 0:
            raise DslError(ERR_DIVZERO)
        return x // param
    if token == MOD:
        if param == 0:
            raise DslError(ERR_DIVZERO)
        return x % param
    if token == SQUARE:
        return _times(x, x)
    if token == ABS:
        return abs(x)
    if token == NEG:
        return -x
    raise DslError(ERR_TYPE)


def apply_pred(token: int, param: int, x: int) -> bool:
    """An int -> bool function value applied to ``x``."""
    if token == GT:
        return x > param
    if token == LT:
        return x < param
    if token == EQ:
        return x == param
    if token == EVEN:
        return x % 2 == 0
    if token == ODD:
        return x % 2 == 1
    raise DslError(ERR_TYPE)


def apply_char_pred(token: int, ch: str) -> bool:
    """A char -> bool function value applied to one character."""
    if token == ISDIGIT:
        return ch.isdigit()
    if token == ISALPHA:
        return ch.isalpha()
    if token == ISUPPER:
        return ch.isupper()
    if token == ISLOWER:
        return ch.islower()
    if token == ISVOWEL:
        return ord(ch) in VOWELS
    if token == ISSPACE:
        return ord(ch) in SPACES
    raise DslError(ERR_TYPE)


def apply_char_map(token: int, ch: str) -> str:
    """A char -> char function value applied to one character."""
    if token == UPPER:
        return ch.upper()
    if token == LOWER:
        return ch.lower()
    if token == SWAPCASE:
        return ch.swapcase()
    raise DslError(ERR_TYPE)


def apply_bin(token: int, a: int, b: int) -> int:
    """A (int, int) -> int function value applied to ``(a, b)``."""
    if token == PLUS:
        return _bounded(a + b)
    if token == MINUS:
        return _bounded(a - b)
    if token == TIMES:
        return _times(a, b)
    if token == MIN:
        return min(a, b)
    if token == MAX:
        return max(a, b)
    raise DslError(ERR_TYPE)


def _slice_bound(k: int, n: int) -> int:
    """Python's ``seq[:k]`` / ``seq[k:]`` split point."""
    if k < 0:
        k = max(0, n + k)
    return min(k, n)


def _check_len(seq: list[int] | str) -> list[int] | str:
    if len(seq) > MAX_LEN:
        raise DslError(ERR_LENGTH)
    return seq


def _step(token: int, args: Sequence[Value], stack: list[Value]) -> None:
    """Run one token on ``stack`` (already type checked)."""
    if token in (ARG0, ARG1):
        stack.append(args[token - ARG0])
        return
    if token in CONST_VALUES:
        stack.append((T_INT, CONST_VALUES[token]))
        return
    if token in PLAIN_FNS:
        stack.append((PLAIN_FNS[token], (token, 0)))
        return
    if token in PARAM_FNS:
        param = stack.pop()[1]
        stack.append((PARAM_FNS[token], (token, param)))
        return
    arity = _ARITY[token]
    operands = stack[len(stack) - arity:]
    del stack[len(stack) - arity:]
    stack.append(_operate(token, operands))


def _operate(token: int, operands: list[Value]) -> Value:
    (a_type, a), rest = operands[0], operands[1:]
    if token in (MAP, FILTER, COUNT, ANY, ALL):
        fn_token, param = rest[0][1]  # type: ignore[misc]
        if a_type == T_STR:
            text: str = a  # type: ignore[assignment]
            if token == MAP:
                return T_STR, "".join(apply_char_map(fn_token, ch) for ch in text)
            hits = [apply_char_pred(fn_token, ch) for ch in text]
            if token == FILTER:
                return T_STR, "".join(ch for ch, hit in zip(text, hits, strict=True) if hit)
        else:
            items: list[int] = a  # type: ignore[assignment]
            if token == MAP:
                return T_LIST, [apply_int_fn(fn_token, param, x) for x in items]
            hits = [apply_pred(fn_token, param, x) for x in items]
            if token == FILTER:
                return T_LIST, [x for x, hit in zip(items, hits, strict=True) if hit]
        if token == COUNT:
            return T_INT, sum(hits)
        return T_BOOL, (any(hits) if token == ANY else all(hits))
    if token == FOLD:
        acc: int = rest[0][1]  # type: ignore[assignment]
        fn_token = rest[1][1][0]  # type: ignore[index]
        for x in a:  # type: ignore[attr-defined]
            acc = apply_bin(fn_token, acc, x)
        return T_INT, acc
    if token == SCAN:
        fn_token = rest[0][1][0]  # type: ignore[index]
        out: list[int] = []
        for x in a:  # type: ignore[attr-defined]
            out.append(x if not out else apply_bin(fn_token, out[-1], x))
        return T_LIST, out
    if token == ZIPWITH:
        fn_token = rest[1][1][0]  # type: ignore[index]
        return T_LIST, [apply_bin(fn_token, x, y) for x, y in zip(a, rest[0][1], strict=False)]  # type: ignore[call-overload]
    if token == APPLY:
        fn_type, (fn_token, param) = rest[0]  # type: ignore[misc]
        if fn_type == T_FINT:
            return T_INT, apply_int_fn(fn_token, param, a)  # type: ignore[arg-type]
        return T_BOOL, apply_pred(fn_token, param, a)  # type: ignore[arg-type]
    return _operate_first_order(token, a_type, a, rest)


def _operate_first_order(token: int, a_type: int, a: object, rest: list[Value]) -> Value:
    seq: list[int] | str = a  # type: ignore[assignment]
    if token == SORT:
        return a_type, ("".join(sorted(seq)) if a_type == T_STR else sorted(seq))
    if token == REVERSE:
        return a_type, seq[::-1]
    if token == DEDUP:
        kept = list(dict.fromkeys(seq))
        return a_type, ("".join(kept) if a_type == T_STR else kept)
    if token == LEN:
        return T_INT, len(seq)
    if token == SUM:
        total = 0
        for x in seq:
            total = _bounded(total + x)  # type: ignore[operator]
        return T_INT, total
    if token in (MAXIMUM, MINIMUM, HEAD, LAST):
        if not seq:
            raise DslError(ERR_EMPTY)
        if token == MAXIMUM:
            return T_INT, max(seq)
        if token == MINIMUM:
            return T_INT, min(seq)
        item = seq[0] if token == HEAD else seq[-1]
        return (T_STR, item) if a_type == T_STR else (T_INT, item)
    if token in (TAKE, DROP):
        cut = _slice_bound(rest[0][1], len(seq))  # type: ignore[arg-type]
        return a_type, (seq[:cut] if token == TAKE else seq[cut:])
    if token == AT:
        k: int = rest[0][1]  # type: ignore[assignment]
        index = k if k >= 0 else len(seq) + k
        if not 0 <= index < len(seq):
            raise DslError(ERR_INDEX)
        return (T_STR, seq[index]) if a_type == T_STR else (T_INT, seq[index])
    if token == CONCAT:
        return a_type, _check_len(seq + rest[0][1])  # type: ignore[operator]
    if token == NOT:
        return T_BOOL, not a
    raise DslError(ERR_TYPE)


def run_program(tokens: Sequence[int], args: Sequence[Value]) -> tuple[Value | None, int]:
    """Run a program on one test's arguments.

    Args:
        tokens: the program (stops at the first ``END``).
        args: ``(type tag, payload)`` of each argument, in signature order.

    Returns:
        (result value, ERR_NONE), or (None, error code): the static check's code when the program is ill typed,
        else the first runtime error.
    """
    err, _ = typecheck(tokens, [t for t, _ in args])
    if err != ERR_NONE:
        return None, err
    return run_checked(tokens, args)


def run_checked(tokens: Sequence[int], args: Sequence[Value]) -> tuple[Value | None, int]:
    """``run_program`` for a program already known to type check for these argument types (no static check)."""
    stack: list[Value] = []
    try:
        for raw in tokens:
            token = int(raw)
            if token == END:
                break
            _step(token, args, stack)
    except DslError as exc:
        return None, exc.code
    return stack[0], ERR_NONE


def value_equal(a: Value | None, b: Value | None) -> bool:
    """Equality of two data values, types included (``True`` is not ``1``)."""
    return a is not None and b is not None and a[0] == b[0] and a[1] == b[1]

