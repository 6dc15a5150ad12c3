"""Plausible wrong programs near a ground truth: the mistakes its tests must expose.

Single-token slips (``>`` for ``<``, ``take`` for ``drop``, off-by-one constants, ``k+1`` for ``k``, the wrong
list), a forgotten step, and two steps in the wrong order. The generator chooses tests that expose as many of
them as possible and rejects a problem when a forgotten step goes unnoticed (then the step would be redundant).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.pipeline import Pipeline
from vecreward_envs.codetests.typing_rules import typecheck

SIBLINGS: dict[int, tuple[int, ...]] = {
    d.GT: (d.LT, d.EQ), d.LT: (d.GT, d.EQ), d.EQ: (d.GT, d.LT), d.EVEN: (d.ODD,), d.ODD: (d.EVEN,),
    d.ADD: (d.SUB, d.MUL), d.SUB: (d.ADD,), d.MUL: (d.ADD,), d.DIV: (d.MOD,), d.MOD: (d.DIV,),
    d.SQUARE: (d.ABS,), d.ABS: (d.SQUARE, d.NEG), d.NEG: (d.ABS,),
    d.PLUS: (d.MINUS, d.MAX), d.MINUS: (d.PLUS,), d.TIMES: (d.PLUS,), d.MIN: (d.MAX,), d.MAX: (d.MIN,),
    d.TAKE: (d.DROP,), d.DROP: (d.TAKE,), d.HEAD: (d.LAST,), d.LAST: (d.HEAD,), d.MAXIMUM: (d.MINIMUM,),
    d.MINIMUM: (d.MAXIMUM,), d.SUM: (d.LEN,), d.LEN: (d.SUM,), d.ANY: (d.ALL,), d.ALL: (d.ANY,),
    d.SORT: (d.REVERSE,), d.REVERSE: (d.SORT,), d.DEDUP: (d.SORT,),
    d.UPPER: (d.LOWER, d.SWAPCASE), d.LOWER: (d.UPPER, d.SWAPCASE), d.SWAPCASE: (d.UPPER, d.LOWER),
    d.ISDIGIT: (d.ISALPHA,), d.ISALPHA: (d.ISDIGIT,), d.ISUPPER: (d.ISLOWER,), d.ISLOWER: (d.ISUPPER,),
    d.ISVOWEL: (d.ISALPHA,), d.ISSPACE: (d.ISDIGIT,),
    d.C_M1: (d.C_0, d.C_1), d.C_0: (d.C_1, d.C_M1), d.C_1: (d.C_0, d.C_2), d.C_2: (d.C_1, d.C_3),
    d.C_3: (d.C_2, d.C_4), d.C_4: (d.C_3, d.C_5), d.C_5: (d.C_4, d.C_10), d.C_10: (d.C_5,),
}
"""Tokens a careless solver might write instead of each token."""


@dataclass(frozen=True)
class Mutant:
    """A wrong program and whether exposing it is mandatory (a forgotten step)."""

    tokens: tuple[int, ...]
    required: bool


def _token_slips(tokens: list[int], kind: str) -> list[list[int]]:
    out = []
    for i, token in enumerate(tokens):
        for other in SIBLINGS.get(token, ()):
            out.append(tokens[:i] + [other] + tokens[i + 1:])
        if token == d.ARG1 and kind in ("list_k", "str_k"):
            for shift in (d.ADD, d.SUB):  # k + 1, k - 1
                out.append(tokens[:i] + [d.ARG1, d.C_1, shift, d.APPLY] + tokens[i + 1:])
        if token == d.ARG1 and kind == "two_lists":
            out.append(tokens[:i] + [d.ARG0] + tokens[i + 1:])  # the wrong list
    return out


def mutants(pipeline: Pipeline, rng: random.Random, max_optional: int) -> list[Mutant]:
    """Well-typed mutants of ``pipeline``: every forgotten step (required) and up to ``max_optional`` others."""
    truth = pipeline.tokens()
    arg_types = pipeline.arg_types
    required: list[list[int]] = []
    for i in range(len(pipeline.steps)):
        required.append(replace(pipeline, steps=pipeline.steps[:i] + pipeline.steps[i + 1:]).tokens())
    if len(pipeline.final) == 2:  # the operation on the reduced value
        required.append(replace(pipeline, final=pipeline.final[:1]).tokens())
    optional = _token_slips(truth, pipeline.kind)
    for i in range(len(pipeline.steps) - 1):
        swapped = list(pipeline.steps)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        optional.append(replace(pipeline, steps=tuple(swapped)).tokens())
    seen = {tuple(truth)}
    out: list[Mutant] = []
    for tokens in required:
        if tuple(tokens) not in seen and typecheck(tokens, arg_types)[0] == d.ERR_NONE:
            seen.add(tuple(tokens))
            out.append(Mutant(tuple(tokens), True))
    candidates = [t for t in optional if tuple(t) not in seen and typecheck(t, arg_types)[0] == d.ERR_NONE]
    unique = list(dict.fromkeys(tuple(t) for t in candidates))
    rng.shuffle(unique)
    out += [Mutant(t, False) for t in unique[:max_optional]]
    return out
