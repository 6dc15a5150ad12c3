"""The DSL interpreter in numba: every program on every test of its problem, in one batched call.

Values live in fixed-size stack slots: a type tag (int8), a length and ``MAX_LEN`` int64 items (an int or bool
is one item; a string holds character codes; a function value holds its token and parameter). Every instruction
is total and bounded: a problem becomes an error code for that program and test, never an exception, and the
kernel never reads outside its arrays (a static type check runs first, and the runtime re-checks stack depth).

``judge_kernel``: programs [N, L] -> per-test status and error, rewards [N, K] (the structured view's scorer),
and optionally every result value (equivalence tests). One kernel for both keeps the compile time down.

Plain-Python twin: ``kernels_py.py`` (the rules of ``typing_rules.py`` and the interpreter of ``interpreter.py``).
Compiled lazily on first call; ``cache=True`` keeps the machine code.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.config import MAX_LEN, MAX_STACK, VMAX
from vecreward_envs.threading_layer import configure as _configure_threading_layer

_configure_threading_layer()  # before any parallel kernel runs: TBB, fork-safe (threading_layer.py)

STATUS_PASS, STATUS_FAIL, STATUS_ABSENT = 1, 0, -1
"""Per-test status written by ``judge_kernel`` (ABSENT: the problem has no test in that slot)."""


# ----- token classes --------------------------------------------------------------------------------------------
@njit(cache=True)
def _const_value(token):  # noqa: ANN001, ANN202
    if token == d.C_M1:
        return -1
    if token == d.C_10:
        return 10
    return token - d.C_0  # C_0..C_5 are consecutive


@njit(cache=True)
def _is_const(token):  # noqa: ANN001, ANN202
    return d.C_M1 <= token <= d.C_10


@njit(cache=True)
def _param_fn_type(token):  # noqa: ANN001, ANN202
    """Function type pushed by a token that pops an int parameter, else T_NONE."""
    if d.ADD <= token <= d.MOD:
        return d.T_FINT
    if d.GT <= token <= d.EQ:
        return d.T_FPRED
    return d.T_NONE


@njit(cache=True)
def _plain_fn_type(token):  # noqa: ANN001, ANN202
    """Function type pushed by a parameterless function token, else T_NONE."""
    if d.SQUARE <= token <= d.NEG:
        return d.T_FINT
    if d.EVEN <= token <= d.ODD:
        return d.T_FPRED
    if d.ISDIGIT <= token <= d.ISSPACE:
        return d.T_FCPRED
    if d.UPPER <= token <= d.SWAPCASE:
        return d.T_FCMAP
    if d.PLUS <= token <= d.MAX:
        return d.T_FBIN
    return d.T_NONE


@njit(cache=True)
def _arity(token):  # noqa: ANN001, ANN202
    if token == d.FOLD or token == d.ZIPWITH:
        return 3
    if token == d.SORT or token == d.REVERSE or token == d.LEN or token == d.SUM or token == d.MAXIMUM:
        return 1
    if token == d.MINIMUM or token == d.HEAD or token == d.LAST or token == d.DEDUP or token == d.NOT:
        return 1
    return 2


@njit(cache=True)
def _result_type(token, a, b, c):  # noqa: ANN001, ANN202
    """Result type of an operation on operand types a (bottom), b, c (top; T_NONE when unused)."""
    is_seq = a == d.T_LIST or a == d.T_STR
    if token == d.MAP:
        if a == d.T_LIST and b == d.T_FINT:
            return d.T_LIST
        if a == d.T_STR and b == d.T_FCMAP:
            return d.T_STR
        return d.T_NONE
    if token == d.FILTER or token == d.COUNT or token == d.ANY or token == d.ALL:
        if (a == d.T_LIST and b == d.T_FPRED) or (a == d.T_STR and b == d.T_FCPRED):
            if token == d.FILTER:
                return a
            return d.T_INT if token == d.COUNT else d.T_BOOL
        return d.T_NONE
    if token == d.FOLD:
        return d.T_INT if (a == d.T_LIST and b == d.T_INT and c == d.T_FBIN) else d.T_NONE
    if token == d.SCAN:
        return d.T_LIST if (a == d.T_LIST and b == d.T_FBIN) else d.T_NONE
    if token == d.ZIPWITH:
        return d.T_LIST if (a == d.T_LIST and b == d.T_LIST and c == d.T_FBIN) else d.T_NONE
    if token == d.APPLY:
        if a != d.T_INT:
            return d.T_NONE
        if b == d.T_FINT:
            return d.T_INT
        if b == d.T_FPRED:
            return d.T_BOOL
        return d.T_NONE
    if token == d.SORT or token == d.REVERSE or token == d.DEDUP:
        return a if is_seq else d.T_NONE
    if token == d.LEN:
        return d.T_INT if is_seq else d.T_NONE
    if token == d.SUM or token == d.MAXIMUM or token == d.MINIMUM:
        return d.T_INT if a == d.T_LIST else d.T_NONE
    if token == d.HEAD or token == d.LAST:
        if a == d.T_LIST:
            return d.T_INT
        return d.T_STR if a == d.T_STR else d.T_NONE
    if token == d.TAKE or token == d.DROP:
        return a if (is_seq and b == d.T_INT) else d.T_NONE
    if token == d.AT:
        if b != d.T_INT:
            return d.T_NONE
        if a == d.T_LIST:
            return d.T_INT
        return d.T_STR if a == d.T_STR else d.T_NONE
    if token == d.CONCAT:
        return a if (is_seq and b == a) else d.T_NONE
    if token == d.NOT:
        return d.T_BOOL if a == d.T_BOOL else d.T_NONE
    return d.T_NONE


@njit(cache=True)
def typecheck_kernel(prog, arg_types):  # noqa: ANN001, ANN201
    """Static check (same rules and codes as ``typing_rules.typecheck``): (error code, result type)."""
    stack = np.zeros(MAX_STACK, dtype=np.int8)
    sp = 0
    for i in range(prog.shape[0]):
        token = np.int64(prog[i])
        if token == d.END:
            break
        if token < 0 or token >= d.N_TOKENS:
            return d.ERR_TYPE, d.T_NONE
        pushed = d.T_NONE
        if token == d.ARG0 or token == d.ARG1:
            pushed = arg_types[token - d.ARG0]
            if pushed == d.T_NONE:
                return d.ERR_TYPE, d.T_NONE
        elif _is_const(token):
            pushed = d.T_INT
        elif _plain_fn_type(token) != d.T_NONE:
            pushed = _plain_fn_type(token)
        elif _param_fn_type(token) != d.T_NONE:
            if sp < 1:
                return d.ERR_STACK, d.T_NONE
            sp -= 1
            if stack[sp] != d.T_INT:
                return d.ERR_TYPE, d.T_NONE
            pushed = _param_fn_type(token)
        else:
            arity = _arity(token)
            if sp < arity:
                return d.ERR_STACK, d.T_NONE
            sp -= arity
            a = stack[sp]
            b = stack[sp + 1] if arity > 1 else d.T_NONE
            c = stack[sp + 2] if arity > 2 else d.T_NONE
            pushed = _result_type(token, a, b, c)
            if pushed == d.T_NONE:
                return d.ERR_TYPE, d.T_NONE
        if sp >= MAX_STACK:
            return d.ERR_STACK, d.T_NONE
        stack[sp] = pushed
        sp += 1
    if sp != 1 or not (d.T_INT <= stack[0] <= d.T_STR):
        return d.ERR_RESULT, d.T_NONE
    return d.ERR_NONE, stack[0]


# ----- scalar functions (each returns (value, error)) -------------------------------------------------------------
@njit(cache=True, inline="always")
def _bounded(v):  # noqa: ANN001, ANN202
    if v > VMAX or v < -VMAX:
        return 0, d.ERR_OVERFLOW
    return v, d.ERR_NONE


@njit(cache=True, inline="always")
def _times(a, b):  # noqa: ANN001, ANN202
    """A * b without int64 overflow: both are within VMAX, so test the bound by division first."""
    if a != 0 and abs(b) > VMAX // abs(a):
        return 0, d.ERR_OVERFLOW
    return a * b, d.ERR_NONE


@njit(cache=True, inline="always")
def _int_fn(token, param, x):  # noqa: ANN001, ANN202
    if token == d.ADD:
        return _bounded(x + param)
    if token == d.SUB:
        return _bounded(x - param)
    if token == d.MUL:
        return _times(x, param)
    if token == d.DIV:
        if param == 0:
            return 0, d.ERR_DIVZERO
        return x // param, d.ERR_NONE
    if token == d.MOD:
        if param == 0:
            return 0, d.ERR_DIVZERO
        return x % param, d.ERR_NONE
    if token == d.SQUARE:
        return _times(x, x)
    if token == d.ABS:
        return abs(x), d.ERR_NONE
    if token == d.NEG:
        return -x, d.ERR_NONE
    return 0, d.ERR_TYPE


@njit(cache=True, inline="always")
def _pred(token, param, x):  # noqa: ANN001, ANN202
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
    return False


@njit(cache=True, inline="always")
def _char_pred(token, c):  # noqa: ANN001, ANN202
    upper = 65 <= c <= 90
    lower = 97 <= c <= 122
    if token == d.ISDIGIT:
        return 48 <= c <= 57
    if token == d.ISALPHA:
        return upper or lower
    if token == d.ISUPPER:
        return upper
    if token == d.ISLOWER:
        return lower
    if token == d.ISVOWEL:
        return (c == 97 or c == 101 or c == 105 or c == 111 or c == 117
                or c == 65 or c == 69 or c == 73 or c == 79 or c == 85)
    if token == d.ISSPACE:
        return c == 32 or (9 <= c <= 13)
    return False


@njit(cache=True, inline="always")
def _char_map(token, c):  # noqa: ANN001, ANN202
    upper = 65 <= c <= 90
    lower = 97 <= c <= 122
    if (token == d.UPPER or token == d.SWAPCASE) and lower:
        return c - 32
    if (token == d.LOWER or token == d.SWAPCASE) and upper:
        return c + 32
    return c


@njit(cache=True, inline="always")
def _bin(token, a, b):  # noqa: ANN001, ANN202
    if token == d.PLUS:
        return _bounded(a + b)
    if token == d.MINUS:
        return _bounded(a - b)
    if token == d.TIMES:
        return _times(a, b)
    if token == d.MIN:
        return min(a, b), d.ERR_NONE
    if token == d.MAX:
        return max(a, b), d.ERR_NONE
    return 0, d.ERR_TYPE


@njit(cache=True, inline="always")
def _slice_bound(k, n):  # noqa: ANN001, ANN202
    if k < 0:
        k = max(0, n + k)
    return min(k, n)


# ----- the interpreter --------------------------------------------------------------------------------------------
# A value is one int64 row [tag, length, item 0, ..., item MAX_LEN-1] (``VALUE_WIDTH`` wide); a stack is
# int64 [MAX_STACK, VALUE_WIDTH]. One array per stack keeps calls between the kernel's functions cheap.
TAG, LENGTH, ITEMS = 0, 1, 2
VALUE_WIDTH = ITEMS + MAX_LEN


@njit(cache=True, inline="always")
def _set_scalar(st, slot, tag, value):  # noqa: ANN001, ANN202
    st[slot, TAG] = tag
    st[slot, LENGTH] = 1
    st[slot, ITEMS] = value


@njit(cache=True)
def _seq_fn(token, st, a, f):  # noqa: ANN001, ANN202
    """Map / filter / count / any / all on slot a with the function in slot f; the result goes to slot a."""
    n = st[a, LENGTH]
    fn = st[f, ITEMS]
    param = st[f, ITEMS + 1]
    is_str = st[a, TAG] == d.T_STR
    if token == d.MAP:
        for i in range(ITEMS, ITEMS + n):
            if is_str:
                st[a, i] = _char_map(fn, st[a, i])
            else:
                v, err = _int_fn(fn, param, st[a, i])
                if err != d.ERR_NONE:
                    return err
                st[a, i] = v
        return d.ERR_NONE
    hits = 0
    for i in range(ITEMS, ITEMS + n):
        hit = _char_pred(fn, st[a, i]) if is_str else _pred(fn, param, st[a, i])
        if hit:
            if token == d.FILTER:
                st[a, ITEMS + hits] = st[a, i]
            hits += 1
    if token == d.FILTER:
        st[a, LENGTH] = hits
    elif token == d.COUNT:
        _set_scalar(st, a, d.T_INT, hits)
    elif token == d.ANY:
        _set_scalar(st, a, d.T_BOOL, 1 if hits > 0 else 0)
    else:
        _set_scalar(st, a, d.T_BOOL, 1 if hits == n else 0)
    return d.ERR_NONE


@njit(cache=True)
def _first_order(token, st, a):  # noqa: ANN001, ANN202
    """One-operand operations on slot a (sort, reverse, dedup, len, sum, maximum, minimum, head, last, not)."""
    n = st[a, LENGTH]
    if token == d.SORT:  # insertion sort: n <= MAX_LEN, and far less to compile than a library sort
        for i in range(ITEMS + 1, ITEMS + n):
            item = st[a, i]
            j = i - 1
            while j >= ITEMS and st[a, j] > item:
                st[a, j + 1] = st[a, j]
                j -= 1
            st[a, j + 1] = item
    elif token == d.REVERSE:
        for i in range(n // 2):
            tmp = st[a, ITEMS + i]
            st[a, ITEMS + i] = st[a, ITEMS + n - 1 - i]
            st[a, ITEMS + n - 1 - i] = tmp
    elif token == d.DEDUP:
        kept = 0
        for i in range(ITEMS, ITEMS + n):
            seen = False
            for j in range(ITEMS, ITEMS + kept):
                if st[a, j] == st[a, i]:
                    seen = True
                    break
            if not seen:
                st[a, ITEMS + kept] = st[a, i]
                kept += 1
        st[a, LENGTH] = kept
    elif token == d.LEN:
        _set_scalar(st, a, d.T_INT, n)
    elif token == d.SUM:
        total = 0
        for i in range(ITEMS, ITEMS + n):
            total, err = _bounded(total + st[a, i])
            if err != d.ERR_NONE:
                return err
        _set_scalar(st, a, d.T_INT, total)
    elif token == d.NOT:
        st[a, ITEMS] = 1 - st[a, ITEMS]
    else:  # maximum, minimum, head, last
        if n == 0:
            return d.ERR_EMPTY
        value = st[a, ITEMS]
        if token == d.LAST:
            value = st[a, ITEMS + n - 1]
        elif token == d.MAXIMUM or token == d.MINIMUM:
            for i in range(ITEMS + 1, ITEMS + n):
                item = st[a, i]
                if (token == d.MAXIMUM and item > value) or (token == d.MINIMUM and item < value):
                    value = item
        _set_scalar(st, a, d.T_STR if st[a, TAG] == d.T_STR else d.T_INT, value)
    return d.ERR_NONE


@njit(cache=True)
def _two_operands(token, st, a, b):  # noqa: ANN001, ANN202
    """Take / drop / at / concat / scan / apply on slots a (bottom) and b; the result goes to slot a."""
    n = st[a, LENGTH]
    if token == d.TAKE or token == d.DROP:
        cut = _slice_bound(st[b, ITEMS], n)
        if token == d.TAKE:
            st[a, LENGTH] = cut
        else:
            for i in range(cut, n):
                st[a, ITEMS + i - cut] = st[a, ITEMS + i]
            st[a, LENGTH] = n - cut
    elif token == d.AT:
        k = st[b, ITEMS]
        index = k if k >= 0 else n + k
        if index < 0 or index >= n:
            return d.ERR_INDEX
        _set_scalar(st, a, d.T_STR if st[a, TAG] == d.T_STR else d.T_INT, st[a, ITEMS + index])
    elif token == d.CONCAT:
        m = st[b, LENGTH]
        if n + m > MAX_LEN:
            return d.ERR_LENGTH
        for i in range(m):
            st[a, ITEMS + n + i] = st[b, ITEMS + i]
        st[a, LENGTH] = n + m
    elif token == d.SCAN:
        fn = st[b, ITEMS]
        for i in range(ITEMS + 1, ITEMS + n):
            v, err = _bin(fn, st[a, i - 1], st[a, i])
            if err != d.ERR_NONE:
                return err
            st[a, i] = v
    else:  # APPLY
        fn = st[b, ITEMS]
        param = st[b, ITEMS + 1]
        if st[b, TAG] == d.T_FINT:
            v, err = _int_fn(fn, param, st[a, ITEMS])
            if err != d.ERR_NONE:
                return err
            _set_scalar(st, a, d.T_INT, v)
        else:
            _set_scalar(st, a, d.T_BOOL, 1 if _pred(fn, param, st[a, ITEMS]) else 0)
    return d.ERR_NONE


@njit(cache=True)
def _three_operands(token, st, a, b, c):  # noqa: ANN001, ANN202
    """Fold (list, init, f) and zipwith (list, list, f); the result goes to slot a."""
    fn = st[c, ITEMS]
    if token == d.FOLD:
        acc = st[b, ITEMS]
        for i in range(ITEMS, ITEMS + st[a, LENGTH]):
            acc, err = _bin(fn, acc, st[a, i])
            if err != d.ERR_NONE:
                return err
        _set_scalar(st, a, d.T_INT, acc)
        return d.ERR_NONE
    n = min(st[a, LENGTH], st[b, LENGTH])
    for i in range(ITEMS, ITEMS + n):
        v, err = _bin(fn, st[a, i], st[b, i])
        if err != d.ERR_NONE:
            return err
        st[a, i] = v
    st[a, LENGTH] = n
    return d.ERR_NONE


@njit(cache=True)
def run_kernel(prog, in_val, t, st):  # noqa: ANN001, ANN201
    """Run one program that ``typecheck_kernel`` accepted on one test; the result is left in stack slot 0.

    Operand types are not checked again here (the static check guarantees them); stack depth and every length
    stay checked, so no input can make the kernel read or write outside its arrays.

    Args:
        prog: int8 [L] tokens.
        in_val: int64 [T, 2, VALUE_WIDTH] argument values of all tests.
        t: the test (row of ``in_val``).
        st: int64 [MAX_STACK, VALUE_WIDTH] scratch stack.

    Returns:
        The error code (ERR_NONE on success).
    """
    sp = 0
    for i in range(prog.shape[0]):
        token = np.int64(prog[i])
        if token == d.END:
            break
        if token < 0 or token >= d.N_TOKENS:
            return d.ERR_TYPE
        if token == d.ARG0 or token == d.ARG1:
            if sp >= MAX_STACK:
                return d.ERR_STACK
            j = token - d.ARG0
            for q in range(ITEMS + in_val[t, j, LENGTH]):
                st[sp, q] = in_val[t, j, q]
            sp += 1
        elif _is_const(token):
            if sp >= MAX_STACK:
                return d.ERR_STACK
            _set_scalar(st, sp, d.T_INT, _const_value(token))
            sp += 1
        elif _plain_fn_type(token) != d.T_NONE:
            if sp >= MAX_STACK:
                return d.ERR_STACK
            st[sp, TAG] = _plain_fn_type(token)
            st[sp, LENGTH] = 2
            st[sp, ITEMS] = token
            st[sp, ITEMS + 1] = 0
            sp += 1
        elif _param_fn_type(token) != d.T_NONE:
            if sp < 1:
                return d.ERR_STACK
            st[sp - 1, ITEMS + 1] = st[sp - 1, ITEMS]
            st[sp - 1, ITEMS] = token
            st[sp - 1, TAG] = _param_fn_type(token)
            st[sp - 1, LENGTH] = 2
        else:
            arity = _arity(token)
            if sp < arity:
                return d.ERR_STACK
            base = sp - arity
            if arity == 1:
                err = _first_order(token, st, base)
            elif arity == 3:
                err = _three_operands(token, st, base, base + 1, base + 2)
            elif token == d.MAP or token == d.FILTER or token == d.COUNT or token == d.ANY or token == d.ALL:
                err = _seq_fn(token, st, base, base + 1)
            else:
                err = _two_operands(token, st, base, base + 1)
            if err != d.ERR_NONE:
                return err
            sp = base + 1
    if sp != 1 or not (d.T_INT <= st[0, TAG] <= d.T_STR):
        return d.ERR_RESULT
    return d.ERR_NONE


@njit(cache=True)
def _matches(st, exp_val, t):  # noqa: ANN001, ANN202
    """Stack slot 0 equals expected result ``t`` (row of int64 [T, VALUE_WIDTH]): same tag, length and items."""
    for i in range(ITEMS + exp_val[t, LENGTH]):
        if st[0, i] != exp_val[t, i]:
            return False
    return True


@njit(cache=True, parallel=True)
def judge_kernel(programs, prog_problem, arg_types, test_ptr, in_val, exp_val, test_obj,  # noqa: ANN001, ANN201
                 out_rewards, out_status, out_err, out_compiles, out_val):
    """Judge N programs on every test of their problems (and, if asked, keep every result).

    Args:
        programs: int8 [N, L] tokens (END-padded).
        prog_problem: int64 [N] problem of each program (row of the stacked problem arrays).
        arg_types: int8 [P, 2] argument types of each problem (T_NONE when it has one argument).
        test_ptr: int64 [P + 1] problem p's tests are rows test_ptr[p]:test_ptr[p+1] of the test arrays.
        in_val: int64 [T, 2, VALUE_WIDTH] argument values of every test.
        exp_val: int64 [T, VALUE_WIDTH] expected results.
        test_obj: int64 [T] reward column (>= 2) of each test.
        out_rewards: float32 [N, K] filled: column 0 (format) NaN, 1 compiles, then the fraction of the
            column's tests passed (NaN when the problem has none).
        out_status: int8 [N, T_max] filled with STATUS_PASS / STATUS_FAIL / STATUS_ABSENT per test slot.
        out_err: int8 [N, T_max] filled with the error code of each test (ERR_NONE when it ran).
        out_compiles: bool [N] filled: the program type checks for its problem's arguments.
        out_val: int64 [N or 0, T_max, VALUE_WIDTH]: with N rows, every result is kept (tag T_NONE on an error
            or an absent test).
    """
    n_programs = programs.shape[0]
    n_obj = out_rewards.shape[1]
    keep = out_val.shape[0] == n_programs
    n_chunks = min(n_programs, 256)  # scratch arrays are allocated once per chunk of programs, not per program
    for c in prange(n_chunks):
        st = np.empty((MAX_STACK, VALUE_WIDTH), dtype=np.int64)
        passed = np.empty(n_obj, dtype=np.int64)
        total = np.empty(n_obj, dtype=np.int64)
        for n in range(c * n_programs // n_chunks, (c + 1) * n_programs // n_chunks):
            _judge_one(programs[n], arg_types[prog_problem[n]], test_ptr[prog_problem[n]],
                       test_ptr[prog_problem[n] + 1], in_val, exp_val, test_obj, st, passed, total, n,
                       out_rewards, out_status, out_err, out_compiles, out_val, keep)


@njit(cache=True)
def _judge_one(prog, arg_types, start, stop, in_val, exp_val, test_obj, st, passed, total, n,  # noqa: ANN001, ANN202
               out_rewards, out_status, out_err, out_compiles, out_val, keep):
    """Judge program ``n`` (``prog``) on tests ``start:stop``; fills row n of the outputs."""
    n_obj = out_rewards.shape[1]
    t_max = out_status.shape[1]
    passed[:] = 0
    total[:] = 0
    static_err, _ = typecheck_kernel(prog, arg_types)
    out_compiles[n] = static_err == d.ERR_NONE
    for j in range(t_max):
        out_status[n, j] = STATUS_ABSENT
        out_err[n, j] = d.ERR_NONE
        if keep:
            out_val[n, j, TAG] = d.T_NONE
            out_val[n, j, LENGTH] = 0
    for j in range(min(stop - start, t_max)):
        t = start + j
        err = static_err
        if err == d.ERR_NONE:
            err = run_kernel(prog, in_val, t, st)
        ok = err == d.ERR_NONE and _matches(st, exp_val, t)
        out_status[n, j] = STATUS_PASS if ok else STATUS_FAIL
        out_err[n, j] = err
        column = test_obj[t]
        if 0 <= column < n_obj:
            total[column] += 1
            if ok:
                passed[column] += 1
        if keep and err == d.ERR_NONE:
            for i in range(ITEMS + st[0, LENGTH]):
                out_val[n, j, i] = st[0, i]
    out_rewards[n, 0] = np.nan
    out_rewards[n, 1] = 1.0 if static_err == d.ERR_NONE else 0.0
    for k in range(2, n_obj):
        out_rewards[n, k] = passed[k] / total[k] if total[k] > 0 else np.nan
