"""Well-typed DSL programs as readable text: a nested expression, and an equivalent Python function.

``to_python`` is the reference solution the sandbox tests run (and the demonstration answer of the text view):
every DSL value is computed once, in the DSL's order, so a Python run fails exactly where the DSL reports an empty
sequence, a bad index or a division by zero. Python integers do not overflow and Python lists have no length
bound, so only ``ERR_OVERFLOW`` and ``ERR_LENGTH`` differ (generated problems never reach either).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.problem import ENTRY_POINT, PY_TYPES
from vecreward_envs.codetests.typing_rules import ARITY, result_type, typecheck


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
    if err != d.ERR_NONE:
        raise ValueError(f"program {list(tokens)} does not type check (error code {err})")
    stack: list[Node] = []
    for raw in tokens:
        token = int(raw)
        if token == d.END:
            break
        if token in (d.ARG0, d.ARG1):
            stack.append(Node(token, arg_types[token - d.ARG0]))
        elif token in d.CONST_VALUES:
            stack.append(Node(token, 1))
        elif token in d.PLAIN_FNS:
            stack.append(Node(token, d.PLAIN_FNS[token]))
        elif token in d.PARAM_FNS:
            stack.append(Node(token, d.PARAM_FNS[token], [stack.pop()]))
        else:
            arity = ARITY[token]
            kids = stack[len(stack) - arity:]
            del stack[len(stack) - arity:]
            stack.append(Node(token, result_type(token, [k.kind for k in kids]), kids))
    return stack[0]


def to_expression(tokens: Sequence[int], arg_names: Sequence[str], arg_types: Sequence[int]) -> str:
    """Nested functional notation, e.g. ``sum(filter(sort(xs), gt(3)))``."""

    def text(node: Node) -> str:
        if node.token in (d.ARG0, d.ARG1):
            return arg_names[node.token - d.ARG0]
        if node.token in d.CONST_VALUES:
            return str(d.CONST_VALUES[node.token])
        if node.token in d.PLAIN_FNS:
            return d.TOKEN_NAMES[node.token]
        return f"{d.TOKEN_NAMES[node.token]}({', '.join(text(k) for k in node.kids)})"

    return text(build_tree(tokens, arg_types))


_INT_BODY = {d.ADD: "{x} + {p}", d.SUB: "{x} - {p}", d.MUL: "{x} * {p}", d.DIV: "{x} // {p}", d.MOD: "{x} % {p}",
             d.SQUARE: "{x} * {x}", d.ABS: "abs({x})", d.NEG: "-{x}", d.GT: "{x} > {p}", d.LT: "{x} < {p}",
             d.EQ: "{x} == {p}", d.EVEN: "{x} % 2 == 0", d.ODD: "{x} % 2 == 1"}
_CHAR_BODY = {d.ISDIGIT: "{c}.isdigit()", d.ISALPHA: "{c}.isalpha()", d.ISUPPER: "{c}.isupper()",
              d.ISLOWER: "{c}.islower()", d.ISVOWEL: '{c} in "aeiouAEIOU"', d.ISSPACE: "{c}.isspace()"}
_STR_METHOD = {d.UPPER: "upper", d.LOWER: "lower", d.SWAPCASE: "swapcase"}
_BIN_BODY = {d.PLUS: "{a} + {b}", d.MINUS: "{a} - {b}", d.TIMES: "{a} * {b}", d.MIN: "min({a}, {b})",
             d.MAX: "max({a}, {b})"}
_SIMPLE = {d.SORT: "sorted({a})", d.LEN: "len({a})", d.SUM: "sum({a})", d.MAXIMUM: "max({a})", d.MINIMUM: "min({a})"}


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
        if kid.token in (d.ARG0, d.ARG1) or kid.token in d.CONST_VALUES:
            text = self.expr(kid)[0]
        else:
            text = self.fresh("p")
            self.lines.append(f"{text} = {self.expr(kid)[0]}")
        return f"({text})" if text.startswith("-") else text

    def expr(self, node: Node) -> tuple[str, bool]:  # noqa: C901 - one branch per token, flat on purpose
        """(Python expression, whether it is atomic)."""
        t, kids = node.token, node.kids
        if t in (d.ARG0, d.ARG1):
            return self.arg_names[t - d.ARG0], True
        if t in d.CONST_VALUES:
            value = d.CONST_VALUES[t]
            return str(value), value >= 0
        if t == d.SORT and node.kind == d.T_STR:
            return f'"".join(sorted({self.expr(kids[0])[0]}))', True
        if t in _SIMPLE:
            return _SIMPLE[t].format(a=self.expr(kids[0])[0]), True
        if t == d.REVERSE:
            return f"{self.atom(kids[0])}[::-1]", True
        if t == d.DEDUP:
            a = self.expr(kids[0])[0]
            return (f'"".join(dict.fromkeys({a}))' if node.kind == d.T_STR else f"list(dict.fromkeys({a}))"), True
        if t in (d.HEAD, d.LAST):
            return f"{self.atom(kids[0])}[{0 if t == d.HEAD else -1}]", True
        if t in (d.TAKE, d.DROP, d.AT):
            seq, k = self.atom(kids[0]), self.expr(kids[1])[0]
            return (f"{seq}[:{k}]" if t == d.TAKE else f"{seq}[{k}:]" if t == d.DROP else f"{seq}[{k}]"), True
        if t == d.CONCAT:
            return f"{self.atom(kids[0])} + {self.atom(kids[1])}", False
        if t == d.NOT:
            return f"not {self.atom(kids[0])}", False
        if t in (d.MAP, d.FILTER, d.COUNT, d.ANY, d.ALL):
            return self.seq_fn(t, kids[0], kids[1])
        if t == d.APPLY:
            x, fn = self.atom(kids[0]), kids[1]
            return _INT_BODY[fn.token].format(x=x, p=self.param(fn)), fn.token == d.ABS
        if t == d.ZIPWITH:
            a, b = self.expr(kids[0])[0], self.expr(kids[1])[0]
            body = _BIN_BODY[kids[2].token].format(a="x", b="y")
            return f"[{body} for x, y in zip({a}, {b})]", True
        if t == d.FOLD:
            items = self.atom(kids[0])
            acc = self.fresh("acc")
            self.lines.append(f"{acc} = {self.expr(kids[1])[0]}")
            self.lines.append(f"for x in {items}:")
            self.lines.append(f"    {acc} = {_BIN_BODY[kids[2].token].format(a=acc, b='x')}")
            return acc, True
        if t == d.SCAN:
            items = self.atom(kids[0])
            out = self.fresh("run")
            self.lines.append(f"{out} = []")
            self.lines.append(f"for x in {items}:")
            step = _BIN_BODY[kids[1].token].format(a=f"{out}[-1]", b="x")
            self.lines.append(f"    {out}.append({step} if {out} else x)")
            return out, True
        raise ValueError(f"cannot render token {d.TOKEN_NAMES[t]!r} as a value")

    def seq_fn(self, t: int, seq_node: Node, fn: Node) -> tuple[str, bool]:
        if seq_node.kind == d.T_STR:
            if t == d.MAP:
                return f"{self.atom(seq_node)}.{_STR_METHOD[fn.token]}()", True
            seq = self.expr(seq_node)[0]
            cond = _CHAR_BODY[fn.token].format(c="c")
            if t == d.FILTER:
                return f'"".join(c for c in {seq} if {cond})', True
            if t == d.COUNT:
                return f"sum(1 for c in {seq} if {cond})", True
            return f"{'any' if t == d.ANY else 'all'}({cond} for c in {seq})", True
        seq = self.expr(seq_node)[0]
        param = self.param(fn)
        body = _INT_BODY[fn.token].format(x="x", p=param)
        if t == d.MAP:
            return f"[{body} for x in {seq}]", True
        if t == d.FILTER:
            return f"[x for x in {seq} if {body}]", True
        if t == d.COUNT:
            return f"sum(1 for x in {seq} if {body})", True
        return f"{'any' if t == d.ANY else 'all'}({body} for x in {seq})", True


def to_python(tokens: Sequence[int], arg_names: Sequence[str], arg_types: Sequence[int], return_type: int) -> str:
    """An equivalent Python function ``solve`` (module source, standard library only)."""
    writer = _PythonWriter(arg_names)
    result = writer.expr(build_tree(tokens, arg_types))[0]
    params = ", ".join(f"{n}: {PY_TYPES[k]}" for n, k in zip(arg_names, arg_types, strict=True))
    body = [*writer.lines, f"return {result}"]
    return f"def {ENTRY_POINT}({params}) -> {PY_TYPES[return_type]}:\n" + "\n".join("    " + line for line in body)

