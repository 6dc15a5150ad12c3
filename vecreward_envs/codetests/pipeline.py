"""Generated problems are pipelines: transformations of the first argument, then an optional reduction.

A ``Pipeline`` is the structured form of a ground truth: its steps know their DSL tokens and their English
sentence, so the statement and the program always say the same thing. Parameters are constants or the integer
argument ``k``; each use of ``k`` has a role (value, divisor, count, index) that decides which values its tests use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from vecreward_envs.codetests import dsl as d

Role = str  # "value" | "divisor" | "count" | "index"

LIST_CONSTS = {"value": (0, 1, 2, 3, 5, 10), "add": (1, 2, 3, 5, 10), "divisor": (2, 3, 4, 5, 10),
               "count": (1, 2, 3, 4, 5),
               "index": (0, 1, 2, -1), "mul": (2, 3, 10, -1), "eq": (0, 1, 2, 3)}


@dataclass(frozen=True)
class Param:
    """A step's integer parameter: a constant, or the argument ``k`` (``value`` is then None)."""

    value: int | None
    role: Role

    def tokens(self) -> list[int]:
        """Tokens pushing the parameter."""
        return [d.ARG1] if self.value is None else [d.CONST_TOKEN[self.value]]

    def text(self) -> str:
        """How the statement names it."""
        return "k" if self.value is None else str(self.value)


@dataclass(frozen=True)
class Step:
    """One step: an operation token, an optional function token and parameter, and its English template."""

    op: int
    """The operation (map, filter, sort, sum, ...)."""
    fn: int
    """The function token it applies (``d.END`` when none)."""
    param: Param | None
    """The parameter of the function (or of take/drop/at, or the initial value of fold)."""
    template: str
    """Sentence with ``{p}`` for the parameter and ``{y}`` for the second argument's name."""

    def tokens(self) -> list[int]:
        """The step's tokens (operands of the operation come first: postfix)."""
        out: list[int] = []
        if self.op == d.ZIPWITH or (self.op == d.CONCAT):
            out.append(d.ARG1)
        if self.op == d.FOLD:
            out += self.param.tokens() + [self.fn, d.FOLD]  # type: ignore[union-attr]
            return out
        if self.param is not None:
            out += self.param.tokens()
        if self.fn != d.END:
            out.append(self.fn)
        out.append(self.op)
        return out

    def sentence(self, other: str, then: bool = False) -> str:
        """The English sentence of this step (``then``: another step uses its result, so it does not return)."""
        text = self.template.format(p=self.param.text() if self.param else "", y=other)
        text = text.replace("first 1 elements", "first element").replace("first 1 characters", "first character")
        if then:
            text = text.replace("Return ", "Compute ", 1).replace("; return the result", "")
        return text


@dataclass(frozen=True)
class Pipeline:
    """A ground-truth program in structured form."""

    kind: str
    """Signature kind: ``list``, ``list_k``, ``str``, ``str_k`` or ``two_lists``."""
    steps: tuple[Step, ...]
    """Transformations of the first argument, in order."""
    final: tuple[Step, ...]
    """The reduction (and an optional operation on its result); empty when the transformed value is returned."""

    @property
    def arg_names(self) -> tuple[str, ...]:
        """Argument names."""
        return {"list": ("xs",), "list_k": ("xs", "k"), "str": ("s",), "str_k": ("s", "k"),
                "two_lists": ("xs", "ys")}[self.kind]

    @property
    def arg_types(self) -> tuple[int, ...]:
        """Argument types."""
        return {"list": (d.T_LIST,), "list_k": (d.T_LIST, d.T_INT), "str": (d.T_STR,), "str_k": (d.T_STR, d.T_INT),
                "two_lists": (d.T_LIST, d.T_LIST)}[self.kind]

    def tokens(self) -> list[int]:
        """The postfix program."""
        out = [d.ARG0]
        for step in (*self.steps, *self.final):
            out += step.tokens()
        return out

    def k_role(self) -> Role | None:
        """Role of ``k`` (None when the signature has no ``k``)."""
        for step in (*self.steps, *self.final):
            if step.param is not None and step.param.value is None:
                return step.param.role
        return None

    def statement(self, return_type: int) -> str:
        """The problem statement: what the arguments are, then one numbered sentence per step."""
        names = self.arg_names
        what = {"list": "a list of integers `{0}`", "list_k": "a list of integers `{0}` and an integer `k`",
                "str": "a string `{0}`", "str_k": "a string `{0}` and an integer `k`",
                "two_lists": "two lists of integers `{0}` and `{1}`"}[self.kind].format(*names)
        subject = "string" if self.kind.startswith("str") else "list"
        lines = [f"You are given {what}. Starting from `{names[0]}`:"]
        sentences = [s.sentence(names[-1]) for s in self.steps]
        sentences += [s.sentence(names[-1], then=i < len(self.final) - 1) for i, s in enumerate(self.final)]
        if not self.final:
            sentences.append(f"Return the resulting {subject}.")
        lines += [f"{i}. {s}" for i, s in enumerate(sentences, start=1)]
        result = {d.T_INT: "an integer", d.T_BOOL: "a bool (True or False)", d.T_LIST: "a list of integers",
                  d.T_STR: "a string"}[return_type]
        lines.append(f"The function returns {result}.")
        return "\n".join(lines)


def _param(rng: random.Random, role: Role, use_k: bool, consts: tuple[int, ...] | None = None) -> Param:
    if use_k:
        return Param(None, role)
    return Param(rng.choice(consts or LIST_CONSTS[role]), role)


def list_step(rng: random.Random, use_k: bool, two_lists: bool) -> Step:
    """A random list -> list transformation (``use_k``: its parameter, if any, is ``k``)."""
    choices = ["map", "filter", "sort", "reverse", "dedup", "take", "drop", "scan"]
    if two_lists:
        choices += ["zipwith", "zipwith", "concat"]
    if use_k:
        choices = ["map", "filter", "take", "drop"]
    kind = rng.choice(choices)
    if kind == "map":
        fn = rng.choice([d.ADD, d.SUB, d.MUL, d.DIV, d.MOD] + ([] if use_k else [d.SQUARE, d.ABS, d.NEG]))
        templates = {d.ADD: "Add {p} to every element.", d.SUB: "Subtract {p} from every element.",
                     d.MUL: "Multiply every element by {p}.",
                     d.DIV: "Replace every element x by x // {p} (integer division rounding down).",
                     d.MOD: "Replace every element x by x % {p} (Python's remainder).",
                     d.SQUARE: "Square every element.", d.ABS: "Replace every element by its absolute value.",
                     d.NEG: "Negate every element."}
        role = {d.DIV: "divisor", d.MOD: "divisor", d.MUL: "mul"}.get(fn, "add")
        param = _param(rng, "divisor" if role == "divisor" else "value", use_k,
                       LIST_CONSTS[role]) if fn in d.PARAM_FNS else None
        return Step(d.MAP, fn, param, templates[fn])
    if kind == "filter":
        fn = rng.choice([d.GT, d.LT, d.EQ] + ([] if use_k else [d.EVEN, d.ODD]))
        templates = {d.GT: "Keep only the elements greater than {p}.", d.LT: "Keep only the elements less than {p}.",
                     d.EQ: "Keep only the elements equal to {p}.", d.EVEN: "Keep only the even elements.",
                     d.ODD: "Keep only the odd elements."}
        param = _param(rng, "value", use_k, LIST_CONSTS["eq" if fn == d.EQ else "value"]) if fn in d.PARAM_FNS \
            else None
        return Step(d.FILTER, fn, param, templates[fn])
    if kind in ("take", "drop"):
        template = ("Keep only the first {p} elements." if kind == "take" else "Remove the first {p} elements.")
        return Step(d.TAKE if kind == "take" else d.DROP, d.END, _param(rng, "count", use_k), template)
    if kind == "scan":
        fn = rng.choice([d.PLUS, d.MAX, d.MIN])
        templates = {d.PLUS: "Replace the list by its running sums (element i becomes the sum of elements 0..i).",
                     d.MAX: "Replace every element by the largest element up to and including it.",
                     d.MIN: "Replace every element by the smallest element up to and including it."}
        return Step(d.SCAN, fn, None, templates[fn])
    if kind == "zipwith":
        fn = rng.choice([d.PLUS, d.MINUS, d.TIMES, d.MAX, d.MIN])
        what = {d.PLUS: "x + y", d.MINUS: "x - y", d.TIMES: "x * y", d.MAX: "max(x, y)", d.MIN: "min(x, y)"}[fn]
        return Step(d.ZIPWITH, fn, None, f"Pair it element by element with `{{y}}` and replace each pair (x, y) by "
                                         f"{what}; stop at the end of the shorter list.")
    if kind == "concat":
        return Step(d.CONCAT, d.END, None, "Append the elements of `{y}` at the end.")
    templates = {"sort": "Sort it in ascending order.", "reverse": "Reverse its order.",
                 "dedup": "Remove repeated values, keeping only the first occurrence of each."}
    return Step({"sort": d.SORT, "reverse": d.REVERSE, "dedup": d.DEDUP}[kind], d.END, None, templates[kind])


_CHAR_PREDS = {d.ISDIGIT: "digits", d.ISALPHA: "letters", d.ISUPPER: "upper-case letters",
               d.ISLOWER: "lower-case letters", d.ISVOWEL: "vowels (a, e, i, o, u in either case)",
               d.ISSPACE: "spaces"}


def str_step(rng: random.Random, use_k: bool) -> Step:
    """A random str -> str transformation."""
    kind = rng.choice(["take", "drop"] if use_k else ["map", "filter", "sort", "reverse", "dedup", "take", "drop"])
    if kind == "map":
        fn = rng.choice([d.UPPER, d.LOWER, d.SWAPCASE])
        text = {d.UPPER: "Convert every letter to upper case.", d.LOWER: "Convert every letter to lower case.",
                d.SWAPCASE: "Swap the case of every letter."}[fn]
        return Step(d.MAP, fn, None, text)
    if kind == "filter":
        fn = rng.choice([d.ISDIGIT, d.ISALPHA, d.ISUPPER, d.ISLOWER, d.ISVOWEL])
        return Step(d.FILTER, fn, None, f"Keep only the {_CHAR_PREDS[fn]}.")
    if kind in ("take", "drop"):
        template = ("Keep only the first {p} characters." if kind == "take"
                    else "Remove the first {p} characters.")
        return Step(d.TAKE if kind == "take" else d.DROP, d.END, _param(rng, "count", use_k), template)
    templates = {"sort": "Sort its characters by character code (as Python's sorted does).",
                 "reverse": "Reverse it.", "dedup": "Remove repeated characters, keeping the first occurrence of each."}
    return Step({"sort": d.SORT, "reverse": d.REVERSE, "dedup": d.DEDUP}[kind], d.END, None, templates[kind])


def list_final(rng: random.Random, use_k: bool) -> list[Step]:
    """A reduction of a list (maybe followed by an operation on the integer), or nothing."""
    kind = rng.choice(["at", "count", "any", "all", "fold"] if use_k else
                      ["none", "none", "sum", "len", "maximum", "minimum", "head", "last", "count", "any", "all",
                       "fold", "at"])
    if kind == "none":
        return []
    steps: list[Step] = []
    if kind in ("sum", "len", "maximum", "minimum", "head", "last"):
        text = {"sum": "Return the sum of its elements (0 for an empty list).",
                "len": "Return its number of elements.", "maximum": "Return its largest element.",
                "minimum": "Return its smallest element.", "head": "Return its first element.",
                "last": "Return its last element."}[kind]
        op = {"sum": d.SUM, "len": d.LEN, "maximum": d.MAXIMUM, "minimum": d.MINIMUM, "head": d.HEAD,
              "last": d.LAST}[kind]
        steps.append(Step(op, d.END, None, text))
    elif kind in ("count", "any", "all"):
        fn = rng.choice([d.GT, d.LT, d.EQ] + ([] if use_k else [d.EVEN, d.ODD]))
        what = {d.GT: "greater than {p}", d.LT: "less than {p}", d.EQ: "equal to {p}", d.EVEN: "even",
                d.ODD: "odd"}[fn]
        text = {"count": f"Return how many of its elements are {what}.",
                "any": f"Return True if at least one of its elements is {what}, else False.",
                "all": f"Return True if all of its elements are {what} (True for an empty list), else False."}[kind]
        param = _param(rng, "value", use_k, LIST_CONSTS["eq" if fn == d.EQ else "value"]) if fn in d.PARAM_FNS \
            else None
        steps.append(Step({"count": d.COUNT, "any": d.ANY, "all": d.ALL}[kind], fn, param, text))
    elif kind == "fold":
        fn = rng.choice([d.PLUS, d.MINUS, d.MAX, d.MIN])
        text = {d.PLUS: "Return {p} plus the sum of its elements.",
                d.MINUS: "Start from {p} and subtract each element in turn; return the result.",
                d.MAX: "Return the largest of {p} and its elements.",
                d.MIN: "Return the smallest of {p} and its elements."}[fn]
        steps.append(Step(d.FOLD, fn, _param(rng, "value", use_k), text))
    else:
        steps.append(Step(d.AT, d.END, _param(rng, "index", use_k),
                          "Return the element at index {p} (0-based; a negative index counts from the end, "
                          "as in Python)."))
    if not use_k and steps[0].op in (d.SUM, d.LEN, d.MAXIMUM, d.MINIMUM, d.HEAD, d.LAST, d.COUNT, d.FOLD) \
            and rng.random() < 0.25:
        fn = rng.choice([d.ADD, d.MUL, d.MOD, d.GT, d.EVEN])
        text = {d.ADD: "Add {p} to that number and return it.", d.MUL: "Multiply that number by {p} and return it.",
                d.MOD: "Return that number modulo {p} (Python's %).",
                d.GT: "Return True if that number is greater than {p}, else False.",
                d.EVEN: "Return True if that number is even, else False."}[fn]
        role = "divisor" if fn == d.MOD else "mul" if fn == d.MUL else "value"
        param = Param(rng.choice(LIST_CONSTS[role]), role) if fn in d.PARAM_FNS else None
        steps.append(Step(d.APPLY, fn, param, text))
    return steps


def str_final(rng: random.Random, use_k: bool) -> list[Step]:
    """A reduction of a string, or nothing."""
    kind = rng.choice(["at"] if use_k else ["none", "none", "len", "count", "any", "all", "head", "last", "at"])
    if kind == "none":
        return []
    if kind == "len":
        return [Step(d.LEN, d.END, None, "Return its length.")]
    if kind in ("head", "last"):
        return [Step(d.HEAD if kind == "head" else d.LAST, d.END, None,
                     f"Return its {'first' if kind == 'head' else 'last'} character (as a string).")]
    if kind == "at":
        return [Step(d.AT, d.END, _param(rng, "index", use_k),
                     "Return its character at index {p} (0-based; a negative index counts from the end, "
                     "as in Python).")]
    fn = rng.choice(list(_CHAR_PREDS))
    what = _CHAR_PREDS[fn]
    text = {"count": f"Return how many of its characters are {what}.",
            "any": f"Return True if it contains at least one of the {what}, else False.",
            "all": f"Return True if all of its characters are {what} (True for an empty string), else False."}[kind]
    return [Step({"count": d.COUNT, "any": d.ANY, "all": d.ALL}[kind], fn, None, text)]


SIGNATURE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("list", 0.3), ("list_k", 0.3), ("str", 0.15), ("str_k", 0.1), ("two_lists", 0.15))


def random_pipeline(rng: random.Random, max_stages: int, max_len: int) -> Pipeline:
    """A random pipeline whose program has at most ``max_len`` tokens and uses every argument exactly once."""
    while True:
        kind = rng.choices([k for k, _ in SIGNATURE_WEIGHTS], [w for _, w in SIGNATURE_WEIGHTS])[0]
        is_str = kind.startswith("str")
        n_steps = rng.randint(1, max_stages)
        uses_k = kind.endswith("_k")
        k_at = rng.randint(0, n_steps) if uses_k else -1  # step index that uses k (n_steps: the reduction)
        steps = []
        for i in range(n_steps):
            if is_str:
                steps.append(str_step(rng, use_k=i == k_at))
            else:
                steps.append(list_step(rng, use_k=i == k_at, two_lists=kind == "two_lists"))
        final = str_final(rng, k_at == n_steps) if is_str else list_final(rng, k_at == n_steps)
        pipeline = Pipeline(kind, tuple(steps), tuple(final))
        tokens = pipeline.tokens()
        uses_second = tokens.count(d.ARG1)
        if len(tokens) <= max_len and uses_second == (1 if kind in ("list_k", "str_k", "two_lists") else 0):
            return pipeline
