"""The reference DSL interpreter in plain Python, written from the rules in ``dsl.py``.

Values are ``(type tag, payload)`` pairs: ints, bools, lists of ints and Python strings as payloads, and
``(token, parameter)`` for function values. Every error is a code from ``dsl.py`` (never an exception out of
``run_program``). The generator runs ground truths and mutants through this module and the judge runs single
programs with it; with ``typing_rules.typecheck`` it is also the plain-Python twin of ``kernels.py``
(``kernels_py.py``), which must agree with it exactly (``tests/vecreward_envs/codetests/test_kernels.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.config import MAX_LEN, VMAX
from vecreward_envs.codetests.typing_rules import ARITY, typecheck

Value = tuple[int, object]
"""(type tag, payload)."""


class DslError(Exception):
    """A runtime error inside the interpreter (carries a code from ``dsl.py``)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _bounded(value: int) -> int:
    if abs(value) > VMAX:
        raise DslError(d.ERR_OVERFLOW)
    return value


def _times(a: int, b: int) -> int:
    return _bounded(a * b)  # Python ints do not overflow: the bound alone decides


def apply_int_fn(token: int, param: int, x: int) -> int:
    """An int -> int function value applied to ``x``."""
    if token == d.ADD:
        return _bounded(x + param)
    if token == d.SUB:
        return _bounded(x - param)
    if token == d.MUL:
        return _times(x, param)
    if token == d.DIV:
        if param == 0:
            raise DslError(d.ERR_DIVZERO)
        return x // param
    if token == d.MOD:
        if param == 0:
            raise DslError(d.ERR_DIVZERO)
        return x % param
    if token == d.SQUARE:
        return _times(x, x)
    if token == d.ABS:
        return abs(x)
    if token == d.NEG:
        return -x
    raise DslError(d.ERR_TYPE)


def apply_pred(token: int, param: int, x: int) -> bool:
    """An int -> bool function value applied to ``x``."""
    if token == d.GT:
        return x > param
    if token == d.LT:
        return x < param
    if token == d.EQ:
        return x == param
    if token == d.EVEN:
        return x % 2 == 0
    if token == d.ODD:
        return x % 2 == 1
    raise DslError(d.ERR_TYPE)


def apply_char_pred(token: int, ch: str) -> bool:
    """A char -> bool function value applied to one character."""
    if token == d.ISDIGIT:
        return ch.isdigit()
    if token == d.ISALPHA:
        return ch.isalpha()
    if token == d.ISUPPER:
        return ch.isupper()
    if token == d.ISLOWER:
        return ch.islower()
    if token == d.ISVOWEL:
        return ord(ch) in d.VOWELS
    if token == d.ISSPACE:
        return ord(ch) in d.SPACES
    raise DslError(d.ERR_TYPE)


def apply_char_map(token: int, ch: str) -> str:
    """A char -> char function value applied to one character."""
    if token == d.UPPER:
        return ch.upper()
    if token == d.LOWER:
        return ch.lower()
    if token == d.SWAPCASE:
        return ch.swapcase()
    raise DslError(d.ERR_TYPE)


def apply_bin(token: int, a: int, b: int) -> int:
    """A (int, int) -> int function value applied to ``(a, b)``."""
    if token == d.PLUS:
        return _bounded(a + b)
    if token == d.MINUS:
        return _bounded(a - b)
    if token == d.TIMES:
        return _times(a, b)
    if token == d.MIN:
        return min(a, b)
    if token == d.MAX:
        return max(a, b)
    raise DslError(d.ERR_TYPE)


def _slice_bound(k: int, n: int) -> int:
    """Python's ``seq[:k]`` / ``seq[k:]`` split point."""
    if k < 0:
        k = max(0, n + k)
    return min(k, n)


def _check_len(seq: list[int] | str) -> list[int] | str:
    if len(seq) > MAX_LEN:
        raise DslError(d.ERR_LENGTH)
    return seq


def _step(token: int, args: Sequence[Value], stack: list[Value]) -> None:
    """Run one token on ``stack`` (already type checked)."""
    if token in (d.ARG0, d.ARG1):
        stack.append(args[token - d.ARG0])
        return
    if token in d.CONST_VALUES:
        stack.append((d.T_INT, d.CONST_VALUES[token]))
        return
    if token in d.PLAIN_FNS:
        stack.append((d.PLAIN_FNS[token], (token, 0)))
        return
    if token in d.PARAM_FNS:
        param = stack.pop()[1]
        stack.append((d.PARAM_FNS[token], (token, param)))
        return
    arity = ARITY[token]
    operands = stack[len(stack) - arity:]
    del stack[len(stack) - arity:]
    stack.append(_operate(token, operands))


def _operate(token: int, operands: list[Value]) -> Value:
    (a_type, a), rest = operands[0], operands[1:]
    if token in (d.MAP, d.FILTER, d.COUNT, d.ANY, d.ALL):
        fn_token, param = rest[0][1]  # type: ignore[misc]
        if a_type == d.T_STR:
            text: str = a  # type: ignore[assignment]
            if token == d.MAP:
                return d.T_STR, "".join(apply_char_map(fn_token, ch) for ch in text)
            hits = [apply_char_pred(fn_token, ch) for ch in text]
            if token == d.FILTER:
                return d.T_STR, "".join(ch for ch, hit in zip(text, hits, strict=True) if hit)
        else:
            items: list[int] = a  # type: ignore[assignment]
            if token == d.MAP:
                return d.T_LIST, [apply_int_fn(fn_token, param, x) for x in items]
            hits = [apply_pred(fn_token, param, x) for x in items]
            if token == d.FILTER:
                return d.T_LIST, [x for x, hit in zip(items, hits, strict=True) if hit]
        if token == d.COUNT:
            return d.T_INT, sum(hits)
        return d.T_BOOL, (any(hits) if token == d.ANY else all(hits))
    if token == d.FOLD:
        acc: int = rest[0][1]  # type: ignore[assignment]
        fn_token = rest[1][1][0]  # type: ignore[index]
        for x in a:  # type: ignore[attr-defined]
            acc = apply_bin(fn_token, acc, x)
        return d.T_INT, acc
    if token == d.SCAN:
        fn_token = rest[0][1][0]  # type: ignore[index]
        out: list[int] = []
        for x in a:  # type: ignore[attr-defined]
            out.append(x if not out else apply_bin(fn_token, out[-1], x))
        return d.T_LIST, out
    if token == d.ZIPWITH:
        fn_token = rest[1][1][0]  # type: ignore[index]
        return d.T_LIST, [apply_bin(fn_token, x, y) for x, y in zip(a, rest[0][1], strict=False)]  # type: ignore[call-overload]
    if token == d.APPLY:
        fn_type, (fn_token, param) = rest[0]  # type: ignore[misc]
        if fn_type == d.T_FINT:
            return d.T_INT, apply_int_fn(fn_token, param, a)  # type: ignore[arg-type]
        return d.T_BOOL, apply_pred(fn_token, param, a)  # type: ignore[arg-type]
    return _operate_first_order(token, a_type, a, rest)


def _operate_first_order(token: int, a_type: int, a: object, rest: list[Value]) -> Value:
    seq: list[int] | str = a  # type: ignore[assignment]
    if token == d.SORT:
        return a_type, ("".join(sorted(seq)) if a_type == d.T_STR else sorted(seq))
    if token == d.REVERSE:
        return a_type, seq[::-1]
    if token == d.DEDUP:
        kept = list(dict.fromkeys(seq))
        return a_type, ("".join(kept) if a_type == d.T_STR else kept)
    if token == d.LEN:
        return d.T_INT, len(seq)
    if token == d.SUM:
        total = 0
        for x in seq:
            total = _bounded(total + x)  # type: ignore[operator]
        return d.T_INT, total
    if token in (d.MAXIMUM, d.MINIMUM, d.HEAD, d.LAST):
        if not seq:
            raise DslError(d.ERR_EMPTY)
        if token == d.MAXIMUM:
            return d.T_INT, max(seq)
        if token == d.MINIMUM:
            return d.T_INT, min(seq)
        item = seq[0] if token == d.HEAD else seq[-1]
        return (d.T_STR, item) if a_type == d.T_STR else (d.T_INT, item)
    if token in (d.TAKE, d.DROP):
        cut = _slice_bound(rest[0][1], len(seq))  # type: ignore[arg-type]
        return a_type, (seq[:cut] if token == d.TAKE else seq[cut:])
    if token == d.AT:
        k: int = rest[0][1]  # type: ignore[assignment]
        index = k if k >= 0 else len(seq) + k
        if not 0 <= index < len(seq):
            raise DslError(d.ERR_INDEX)
        return (d.T_STR, seq[index]) if a_type == d.T_STR else (d.T_INT, seq[index])
    if token == d.CONCAT:
        return a_type, _check_len(seq + rest[0][1])  # type: ignore[operator]
    if token == d.NOT:
        return d.T_BOOL, not a
    raise DslError(d.ERR_TYPE)


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
    if err != d.ERR_NONE:
        return None, err
    return run_checked(tokens, args)


def run_checked(tokens: Sequence[int], args: Sequence[Value]) -> tuple[Value | None, int]:
    """``run_program`` for a program already known to type check for these argument types (no static check)."""
    stack: list[Value] = []
    try:
        for raw in tokens:
            token = int(raw)
            if token == d.END:
                break
            _step(token, args, stack)
    except DslError as exc:
        return None, exc.code
    return stack[0], d.ERR_NONE


def value_equal(a: Value | None, b: Value | None) -> bool:
    """Equality of two data values, types included (``True`` is not ``1``)."""
    return a is not None and b is not None and a[0] == b[0] and a[1] == b[1]

