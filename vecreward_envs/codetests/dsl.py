"""The DSL: a typed postfix (stack) language of integer, list and string programs.

A program is a sequence of tokens run left to right on a stack; ``END`` (0, also the padding) stops it. Argument
tokens push the problem's inputs, constants push integers, function tokens push function values (some pop an
integer parameter first: ``3 gt`` is the predicate ``x > 3``), and operations pop their operands and push the
result. A program is well typed when every token finds operands of the right types and exactly one data value
(int, bool, list of ints, string) is left at the end; that value is the answer.

``xs 3 gt filter sort`` = ``sorted([x for x in xs if x > 3])``. Full semantics: docs/envs/codetests.md; the
executable definition is the plain-Python twin ``kernels_py.py``, and ``kernels.py`` is its compiled equal.

Values are bounded: lists and strings hold at most ``MAX_LEN`` items and integers stay within ``+-VMAX``;
going past a bound is a runtime error, like an empty ``head`` or a division by zero. Errors make the test fail.
"""

from __future__ import annotations

from dataclasses import dataclass

# ----- value type tags (int8) ---------------------------------------------------------------------------------
T_NONE, T_INT, T_BOOL, T_LIST, T_STR = 0, 1, 2, 3, 4
T_FINT, T_FPRED, T_FBIN, T_FCPRED, T_FCMAP = 5, 6, 7, 8, 9
TYPE_NAMES: dict[int, str] = {
    T_NONE: "none", T_INT: "int", T_BOOL: "bool", T_LIST: "list[int]", T_STR: "str",
    T_FINT: "int->int", T_FPRED: "int->bool", T_FBIN: "(int,int)->int", T_FCPRED: "char->bool",
    T_FCMAP: "char->char",
}
DATA_TYPES = (T_INT, T_BOOL, T_LIST, T_STR)

# ----- runtime error codes (int8); 0 = no error ---------------------------------------------------------------
ERR_NONE, ERR_TYPE, ERR_STACK, ERR_EMPTY, ERR_INDEX, ERR_DIVZERO, ERR_OVERFLOW, ERR_LENGTH, ERR_RESULT = range(9)
ERROR_NAMES: dict[int, str] = {
    ERR_NONE: "ok", ERR_TYPE: "type error", ERR_STACK: "stack underflow or overflow",
    ERR_EMPTY: "empty sequence", ERR_INDEX: "index out of range", ERR_DIVZERO: "division or modulo by zero",
    ERR_OVERFLOW: "integer overflow", ERR_LENGTH: "sequence too long",
    ERR_RESULT: "program must leave exactly one data value",
}

# ----- tokens ---------------------------------------------------------------------------------------------------
END, ARG0, ARG1 = 0, 1, 2
C_M1, C_0, C_1, C_2, C_3, C_4, C_5, C_10 = range(3, 11)
ADD, SUB, MUL, DIV, MOD, SQUARE, ABS, NEG = range(11, 19)
GT, LT, EQ, EVEN, ODD = range(19, 24)
ISDIGIT, ISALPHA, ISUPPER, ISLOWER, ISVOWEL, ISSPACE = range(24, 30)
UPPER, LOWER, SWAPCASE = range(30, 33)
PLUS, MINUS, TIMES, MIN, MAX = range(33, 38)
MAP, FILTER, COUNT, ANY, ALL, FOLD, SCAN, ZIPWITH, APPLY = range(38, 47)
SORT, REVERSE, LEN, SUM, MAXIMUM, MINIMUM, HEAD, LAST, TAKE, DROP, AT, CONCAT, DEDUP, NOT = range(47, 61)
N_TOKENS = 61

CONST_VALUES: dict[int, int] = {C_M1: -1, C_0: 0, C_1: 1, C_2: 2, C_3: 3, C_4: 4, C_5: 5, C_10: 10}
"""Integer pushed by each constant token."""
CONST_TOKEN: dict[int, int] = {v: t for t, v in CONST_VALUES.items()}

PARAM_FNS: dict[int, int] = {ADD: T_FINT, SUB: T_FINT, MUL: T_FINT, DIV: T_FINT, MOD: T_FINT,
                             GT: T_FPRED, LT: T_FPRED, EQ: T_FPRED}
"""Function tokens that pop an integer parameter, with the type of function they push."""
PLAIN_FNS: dict[int, int] = {
    SQUARE: T_FINT, ABS: T_FINT, NEG: T_FINT, EVEN: T_FPRED, ODD: T_FPRED,
    ISDIGIT: T_FCPRED, ISALPHA: T_FCPRED, ISUPPER: T_FCPRED, ISLOWER: T_FCPRED, ISVOWEL: T_FCPRED, ISSPACE: T_FCPRED,
    UPPER: T_FCMAP, LOWER: T_FCMAP, SWAPCASE: T_FCMAP,
    PLUS: T_FBIN, MINUS: T_FBIN, TIMES: T_FBIN, MIN: T_FBIN, MAX: T_FBIN,
}
"""Function tokens that push a function without popping anything."""

TOKEN_NAMES: tuple[str, ...] = (
    "end", "arg0", "arg1", "-1", "0", "1", "2", "3", "4", "5", "10",
    "add", "sub", "mul", "div", "mod", "square", "abs", "neg",
    "gt", "lt", "eq", "even", "odd",
    "isdigit", "isalpha", "isupper", "islower", "isvowel", "isspace",
    "upper", "lower", "swapcase",
    "plus", "minus", "times", "min", "max",
    "map", "filter", "count", "any", "all", "fold", "scan", "zipwith", "apply",
    "sort", "reverse", "len", "sum", "maximum", "minimum", "head", "last", "take", "drop", "at", "concat",
    "dedup", "not",
)
assert len(TOKEN_NAMES) == N_TOKENS
TOKEN_OF: dict[str, int] = {name: i for i, name in enumerate(TOKEN_NAMES)}

VOWELS = frozenset(map(ord, "aeiouAEIOU"))
SPACES = frozenset(map(ord, " \t\n\r\x0b\x0c"))


@dataclass(frozen=True)
class OpDoc:
    """One line of the DSL reference: the token, its stack effect and its meaning."""

    token: str
    effect: str
    meaning: str


REFERENCE: tuple[OpDoc, ...] = (
    OpDoc("arg0 arg1", "-> a", "push the first / second argument"),
    OpDoc("-1 0 1 2 3 4 5 10", "-> int", "push an integer constant"),
    OpDoc("add sub mul div mod", "int k -> int->int", "x+k, x-k, x*k, x//k (floor), x%k (Python sign rules)"),
    OpDoc("square abs neg", "-> int->int", "x*x, |x|, -x"),
    OpDoc("gt lt eq", "int k -> int->bool", "x>k, x<k, x==k"),
    OpDoc("even odd", "-> int->bool", "x%2==0, x%2==1"),
    OpDoc("isdigit isalpha isupper islower isvowel isspace", "-> char->bool", "str methods on one character "
          "(isvowel: in 'aeiouAEIOU')"),
    OpDoc("upper lower swapcase", "-> char->char", "str methods on one character"),
    OpDoc("plus minus times min max", "-> (int,int)->int", "a+b, a-b, a*b, min(a,b), max(a,b)"),
    OpDoc("map", "seq f -> seq", "apply f to every item (list with int->int, str with char->char)"),
    OpDoc("filter", "seq p -> seq", "keep the items where p holds (list: int->bool, str: char->bool)"),
    OpDoc("count any all", "seq p -> int | bool", "number of items where p holds; any; all"),
    OpDoc("fold", "list int f -> int", "acc = init; acc = f(acc, x) for every x"),
    OpDoc("scan", "list f -> list", "running f: [x0, f(x0,x1), f(f(x0,x1),x2), ...]"),
    OpDoc("zipwith", "list list f -> list", "[f(x, y) for x, y in zip(xs, ys)]"),
    OpDoc("apply", "int f -> int | bool", "f(x) for f of type int->int or int->bool"),
    OpDoc("sort reverse dedup", "seq -> seq", "ascending order; reversed; first occurrences only"),
    OpDoc("len", "seq -> int", "number of items"),
    OpDoc("sum maximum minimum", "list -> int", "sum; largest; smallest (error on an empty list)"),
    OpDoc("head last", "seq -> int | str", "first / last item (a str gives a 1-char str; error when empty)"),
    OpDoc("take drop", "seq int k -> seq", "seq[:k], seq[k:] (Python slicing, negative k included)"),
    OpDoc("at", "seq int k -> int | str", "seq[k] (negative k counts from the end; error out of range)"),
    OpDoc("concat", "seq seq -> seq", "a + b (both lists or both strings)"),
    OpDoc("not", "bool -> bool", "logical not"),
)


COMPACT_REFERENCE: tuple[tuple[str, str], ...] = (
    ("push", "arg0 arg1 -1 0 1 2 3 4 5 10"),
    ("k -> int->int", "add sub mul div mod (x+k x-k x*k x//k x%k)"),
    ("-> int->int", "square abs neg"),
    ("k -> int->bool", "gt lt eq (x>k x<k x==k)"),
    ("-> int->bool", "even odd"),
    ("-> char->bool", "isdigit isalpha isupper islower isvowel isspace"),
    ("-> char->char", "upper lower swapcase"),
    ("-> (int,int)->int", "plus minus times min max"),
    ("seq f -> seq", "map filter"),
    ("seq p -> int|bool", "count any all"),
    ("list init f -> int", "fold"),
    ("list f -> list", "scan (running fold)"),
    ("list list f -> list", "zipwith"),
    ("int f -> int|bool", "apply"),
    ("seq -> seq", "sort reverse dedup"),
    ("seq -> int", "len"),
    ("list -> int", "sum maximum minimum"),
    ("seq -> int|str", "head last"),
    ("seq k -> seq", "take drop (seq[:k] seq[k:])"),
    ("seq k -> int|str", "at (seq[k])"),
    ("seq seq -> seq", "concat"),
    ("bool -> bool", "not"),
)
"""``REFERENCE`` compressed for short prompts: (stack effect, the tokens with that effect), one line per effect.
Every token but ``end`` appears once; Python's meaning is given only where the name does not say it."""


def tokens_to_text(tokens: object) -> str:
    """Tokens as DSL text (space-separated names, stopping at ``end``)."""
    words = []
    for token in list(tokens):  # type: ignore[call-overload]
        t = int(token)
        if t == END:
            break
        words.append(TOKEN_NAMES[t] if 0 <= t < N_TOKENS else f"<{t}>")
    return " ".join(words)


def text_to_tokens(text: str) -> tuple[list[int], str]:
    """DSL text -> tokens. Unknown words are reported (first one) and skipped; never raises.

    Argument names ``xs``, ``ys``, ``s``, ``k`` are accepted as ``arg0``/``arg1`` aliases by position in the
    signature only through the family's parser; here only the canonical names and integer constants are known.
    """
    tokens: list[int] = []
    unknown = ""
    for word in text.replace(",", " ").split():
        token = TOKEN_OF.get(word.lower())
        if token is None or token == END:
            if token is None and not unknown:
                unknown = word[:40]
            continue
        tokens.append(token)
    return tokens, (f"unknown DSL word {unknown!r}" if unknown else "")
