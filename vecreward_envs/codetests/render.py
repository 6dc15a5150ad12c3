"""Well-typed DSL programs as readable text: a nested expression, and an equivalent Python function.

``to_python`` is the reference solution the sandbox tests run (and the demonstration answer of the text view):
every DSL value is computed once, in the DSL's order, so a Python run fails exactly where the DSL reports an empty
sequence, a bad index or a division by zero. Python integers do not overflow and Python lists have no length
bound, so only ``ERR_OVERFLOW`` and ``ERR_LENGTH`` differ (generated problems never reach either).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    DEDUP,
    DIV,
    DROP,
    END,
    EQ,
    ERR_NONE,
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
    NEG,
    NOT,
    ODD,
    PARAM_FNS,
    PLAIN_FNS,
    PLUS,
    REVERSE,
    SCAN,
    SORT,
    SQUARE,
    SUB,
    SUM,
    SWAPCASE,
    T_STR,
    TAKE,
    TIMES,
    TOKEN_NAMES,
    UPPER,
    ZIPWITH,
)
from vecreward_envs.codetests.kernels_py import _ARITY, _result_type, typecheck
from vecreward_envs.codetests.problem import ENTRY_POINT, PY_TYPES


@dataclass
class Node:
    """One value of a program: the token that made it, its operands and its type."""

    token: int
    kind: int
    kids: list[Node] = field(default_factory=list)


def build_tree(tokens: Sequence[int], arg_types: Sequence[int]) -> Node:
    """The expression tree of a well-typed program.

    Raises:
        ValueError: the program does not type check for ``arg_types``.
    """
    err, _ = typecheck(tokens, arg_types)
    if err != ERR_NONE:
        raise ValueError(f"program {list(tokens)} does not type check (error code {err})")
    stack: list[Node] = []
    for raw in tokens:
        token = int(raw)
        if token == END:
            break
        if token in (ARG0, ARG1):
            stack.append(Node(token, arg_types[token - ARG0]))
        elif token in CONST_VALUES:
            stack.append(Node(token, 1))
        elif token in PLAIN_FNS:
            stack.append(Node(token, PLAIN_FNS[token]))
        elif token in PARAM_FNS:
            stack.append(Node(token, PARAM_FNS[token], [stack.pop()]))
        else:
            arity = _ARITY[token]
            kids = stack[len(stack) - arity:]
            del stack[len(stack) - arity:]
            stack.append(Node(token, _result_type(token, [k.kind for k in kids]), kids))
    return stack[0]


def to_expression(tokens: Sequence[int], arg_names: Sequence[str], arg_types: Sequence[int]) -> str:
    """Nested functional notation, e.g. ``sum(filter(sort(xs), gt(3)))``."""

    def text(node: Node) -> str:
        if node.token in (ARG0, ARG1):
            return arg_names[node.token - ARG0]
        if node.token in CONST_VALUES:
            return str(CONST_VALUES[node.token])
        if node.token in PLAIN_FNS:
            return TOKEN_NAMES[node.token]
        return f"{TOKEN_NAMES[node.token]}({', '.join(text(k) for k in node.kids)})"

    return text(build_tree(tokens, arg_types))


_INT_BODY = {ADD: "{x} + {p}", SUB: "{x} - {p}", MUL: "{x} * {p}", DIV: "{x} // {p}", MOD: "{x} % {p}",
             SQUARE: "{x} * {x}", ABS: "abs({x})", NEG: "-{x}", GT: "{x} > {p}", LT: "{x} < {p}",
             EQ: "{x} == {p}", EVEN: "{x} % 2 == 0", ODD: "{x} % 2 == 1"}
_CHAR_BODY = {ISDIGIT: "{c}.isdigit()", ISALPHA: "{c}.isalpha()", ISUPPER: "{c}.isupper()",
              ISLOWER: "{c}.islower()", ISVOWEL: '{c} in "aeiouAEIOU"', ISSPACE: "{c}.isspace()"}
_STR_METHOD = {UPPER: "upper", LOWER: "lower", SWAPCASE: "swapcase"}
_BIN_BODY = {PLUS: "{a} + {b}", MINUS: "{a} - {b}", TIMES: "{a} * {b}", MIN: "min({a}, {b})",
             MAX: "max({a}, {b})"}
_SIMPLE = {SORT: "sorted({a})", LEN: "len({a})", SUM: "sum({a})", MAXIMUM: "max({a})", MINIMUM: "min({a})"}


class _PythonWriter:
    """Renders a tree as Python statements plus one return expression."""

    def __init__(self, arg_names: Sequence[str]) -> None:
        self.arg_names = list(arg_names)
        self.lines: list[str] = []
        self.counter = 0

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def atom(self, node: Node) -> str:
        """An expression safe to use as an operand: a name, a literal, or a hoisted variable."""
        text, atomic = self.expr(node)
        if atomic:
            return text
        name = self.fresh("v")
        self.lines.append(f"{name} = {text}")
        return name

    def param(self, fn: Node) -> str:
        """The parameter of a function value, computed once, eagerly (as the DSL does), before it is used.

        Anything but an argument or a constant goes to a variable first: inside a comprehension it would be
        evaluated once per item, or never for an empty sequence (hiding the DSL's error on, e.g., an empty head).
        """
        if not fn.kids:
            return ""
        kid = fn.kids[0]
        if kid.token in (ARG0, ARG1) or kid.token in CONST_VALUES:
            text = self.expr(kid)[0]
        else:
            text = self.fresh("p")
            self.lines.append(f"{text} = {self.expr(kid)[0]}")
        return f"({text})" if text.startswith("-") else text

    def expr(self, node: Node) -> tuple[str, bool]:  # noqa: C901 - one branch per token, flat on purpose
        """(Python expression, whether it is atomic)."""
        t, kids = node.token, node.kids
        if t in (ARG0, ARG1):
            return self.arg_names[t - ARG0], True
        if t in CONST_VALUES:
            value = CONST_VALUES[t]
            return str(value), value >= 0
        if t == SORT and node.kind == T_STR:
            return f'"".join(sorted({self.expr(kids[0])[0]}))', True
        if t in _SIMPLE:
            return _SIMPLE[t].format(a=self.expr(kids[0])[0]), True
        if t == REVERSE:
            return f"{self.atom(kids[0])}[::-1]", True
        if t == DEDUP:
            a = self.expr(kids[0])[0]
            return (f'"".join(dict.fromkeys({a}))' if node.kind == T_STR else f"list(dict.fromkeys({a}))"), True
        if t in (HEAD, LAST):
            return f"{self.atom(kids[0])}[{0 if t == HEAD else -1}]", True
        if t in (TAKE, DROP, AT):
            seq, k = self.atom(kids[0]), self.expr(kids[1])[0]
            return (f"{seq}[:{k}]" if t == TAKE else f"{seq}[{k}:]" if t == DROP else f"{seq}[{k}]"), True
        if t == CONCAT:
            return f"{self.atom(kids[0])} + {self.atom(kids[1])}", False
        if t == NOT:
            return f"not {self.atom(kids[0])}", False
        if t in (MAP, FILTER, COUNT, ANY, ALL):
            return self.seq_fn(t, kids[0], kids[1])
        if t == APPLY:
            x, fn = self.atom(kids[0]), kids[1]
            return _INT_BODY[fn.token].format(x=x, p=self.param(fn)), fn.token == ABS
        if t == ZIPWITH:
            a, b = self.expr(kids[0])[0], self.expr(kids[1])[0]
            body = _BIN_BODY[kids[2].token].format(a="x", b="y")
            return f"[{body} for x, y in zip({a}, {b})]", True
        if t == FOLD:
            items = self.atom(kids[0])
            acc = self.fresh("acc")
            self.lines.append(f"{acc} = {self.expr(kids[1])[0]}")
            self.lines.append(f"for x in {items}:")
            self.lines.append(f"    {acc} = {_BIN_BODY[kids[2].token].format(a=acc, b='x')}")
            return acc, True
        if t == SCAN:
            items = self.atom(kids[0])
            out = self.fresh("run")
            self.lines.append(f"{out} = []")
            self.lines.append(f"for x in {items}:")
            step = _BIN_BODY[kids[1].token].format(a=f"{out}[-1]", b="x")
            self.lines.append(f"    {out}.append({step} if {out} else x)")
            return out, True
        raise ValueError(f"cannot render token {TOKEN_NAMES[t]!r} as a value")

    def seq_fn(self, t: int, seq_node: Node, fn: Node) -> tuple[str, bool]:
        if seq_node.kind == T_STR:
            if t == MAP:
                return f"{self.atom(seq_node)}.{_STR_METHOD[fn.token]}()", True
            seq = self.expr(seq_node)[0]
            cond = _CHAR_BODY[fn.token].format(c="c")
            if t == FILTER:
                return f'"".join(c for c in {seq} if {cond})', True
            if t == COUNT:
                return f"sum(1 for c in {seq} if {cond})", True
            return f"{'any' if t == ANY else 'all'}({cond} for c in {seq})", True
        seq = self.expr(seq_node)[0]
        param = self.param(fn)
        body = _INT_BODY[fn.token].format(x="x", p=param)
        if t == MAP:
            return f"[{body} for x in {seq}]", True
        if t == FILTER:
            return f"[x for x in {seq} if {body}]", True
        if t == COUNT:
            return f"sum(1 for x in {seq} if {body})", True
        return f"{'any' if t == ANY else 'all'}({body} for x in {seq})", True


def to_python(tokens: Sequence[int], arg_names: Sequence[str], arg_types: Sequence[int], return_type: int) -> str:
    """An equivalent Python function ``solve`` (module source, standard library only)."""
    writer = _PythonWriter(arg_names)
    result = writer.expr(build_tree(tokens, arg_types))[0]
    params = ", ".join(f"{n}: {PY_TYPES[k]}" for n, k in zip(arg_names, arg_types, strict=True))
    body = [*writer.lines, f"return {result}"]
    return f"def {ENTRY_POINT}({params}) -> {PY_TYPES[return_type]}:\n" + "\n".join("    " + line for line in body)

