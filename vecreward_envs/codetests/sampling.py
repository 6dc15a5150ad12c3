"""Random DSL programs for equivalence tests, benchmarks and random baselines.

``random_program`` grows a random well-typed expression tree top-down (every production of the DSL's type rules
can be drawn) and writes it in postfix; with probability ``p_corrupt`` one token is then replaced, inserted or
deleted, so that ill-typed programs and stack errors are exercised too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vecreward_envs.codetests import dsl as d

# result type -> productions: (operation token or None for "the function token itself", operand types)
_FN_TOKENS: dict[int, tuple[int, ...]] = {
    kind: tuple(t for t, k in {**d.PARAM_FNS, **d.PLAIN_FNS}.items() if k == kind)
    for kind in (d.T_FINT, d.T_FPRED, d.T_FBIN, d.T_FCPRED, d.T_FCMAP)
}
_PRODUCTIONS: dict[int, tuple[tuple[int, tuple[int, ...]], ...]] = {
    d.T_LIST: ((d.MAP, (d.T_LIST, d.T_FINT)), (d.FILTER, (d.T_LIST, d.T_FPRED)), (d.SCAN, (d.T_LIST, d.T_FBIN)),
               (d.ZIPWITH, (d.T_LIST, d.T_LIST, d.T_FBIN)), (d.SORT, (d.T_LIST,)), (d.REVERSE, (d.T_LIST,)),
               (d.DEDUP, (d.T_LIST,)), (d.TAKE, (d.T_LIST, d.T_INT)), (d.DROP, (d.T_LIST, d.T_INT)),
               (d.CONCAT, (d.T_LIST, d.T_LIST))),
    d.T_STR: ((d.MAP, (d.T_STR, d.T_FCMAP)), (d.FILTER, (d.T_STR, d.T_FCPRED)), (d.SORT, (d.T_STR,)),
              (d.REVERSE, (d.T_STR,)), (d.DEDUP, (d.T_STR,)), (d.TAKE, (d.T_STR, d.T_INT)),
              (d.DROP, (d.T_STR, d.T_INT)), (d.CONCAT, (d.T_STR, d.T_STR)), (d.HEAD, (d.T_STR,)),
              (d.LAST, (d.T_STR,)), (d.AT, (d.T_STR, d.T_INT))),
    d.T_INT: ((d.LEN, (d.T_LIST,)), (d.LEN, (d.T_STR,)), (d.SUM, (d.T_LIST,)), (d.MAXIMUM, (d.T_LIST,)),
              (d.MINIMUM, (d.T_LIST,)), (d.HEAD, (d.T_LIST,)), (d.LAST, (d.T_LIST,)), (d.AT, (d.T_LIST, d.T_INT)),
              (d.COUNT, (d.T_LIST, d.T_FPRED)), (d.COUNT, (d.T_STR, d.T_FCPRED)),
              (d.FOLD, (d.T_LIST, d.T_INT, d.T_FBIN)), (d.APPLY, (d.T_INT, d.T_FINT))),
    d.T_BOOL: ((d.ANY, (d.T_LIST, d.T_FPRED)), (d.ALL, (d.T_LIST, d.T_FPRED)), (d.ANY, (d.T_STR, d.T_FCPRED)),
               (d.ALL, (d.T_STR, d.T_FCPRED)), (d.APPLY, (d.T_INT, d.T_FPRED)), (d.NOT, (d.T_BOOL,))),
}


def _producible(arg_types: Sequence[int]) -> set[int]:
    """Data types some program can build from these arguments (ints and bools always)."""
    kinds = {d.T_INT, d.T_BOOL}
    kinds.update(t for t in arg_types if t in (d.T_LIST, d.T_STR))
    return kinds


def _grow(rng: np.random.Generator, kind: int, arg_types: Sequence[int], depth: int, out: list[int]) -> None:
    """Append the postfix tokens of a random expression of type ``kind``."""
    if kind in _FN_TOKENS:
        token = int(rng.choice(_FN_TOKENS[kind]))
        if token in d.PARAM_FNS:
            _grow(rng, d.T_INT, arg_types, depth - 1, out)
        out.append(token)
        return
    args = [d.ARG0 + i for i, t in enumerate(arg_types) if t == kind]
    leaves = args + (list(d.CONST_VALUES) if kind == d.T_INT else [])
    possible = _producible(arg_types)
    productions = [p for p in _PRODUCTIONS[kind] if all(t in possible or t in _FN_TOKENS for t in p[1])]
    if depth <= 0 or not productions or (leaves and rng.random() < 0.3):
        if leaves:
            out.append(int(rng.choice(leaves)))
            return
        if kind == d.T_BOOL:  # no leaf: the shortest bool is `<int> even apply`
            productions = [(d.APPLY, (d.T_INT, d.T_FPRED))]
    op, operands = productions[int(rng.integers(len(productions)))]
    for operand in operands:
        _grow(rng, operand, arg_types, depth - 1, out)
    out.append(op)


def random_program(rng: np.random.Generator, arg_types: Sequence[int], length: int, p_corrupt: float = 0.1,
                   max_depth: int = 4) -> np.ndarray:
    """One program of at most ``length`` tokens: int8 [length], END-padded.

    Args:
        rng: the generator to draw from.
        arg_types: the problem's argument types.
        length: the token budget (trees that do not fit are redrawn).
        p_corrupt: probability of one random token edit after the tree is written (mostly ill-typed results).
        max_depth: depth bound of the expression tree.
    """
    kinds = sorted(_producible(arg_types))
    for _ in range(1000):
        tokens: list[int] = []
        _grow(rng, int(rng.choice(kinds)), arg_types, int(rng.integers(1, max_depth + 1)), tokens)
        if len(tokens) <= length:
            break
    else:  # pragma: no cover - depth bounds keep trees short
        tokens = [d.ARG0]
    if rng.random() < p_corrupt:
        where = int(rng.integers(len(tokens) + 1))
        edit = rng.integers(3)
        token = int(rng.integers(1, d.N_TOKENS))
        if edit == 0 and where < len(tokens):
            tokens[where] = token
        elif edit == 1 and len(tokens) < length:
            tokens.insert(where, token)
        elif where < len(tokens) and len(tokens) > 1:
            del tokens[where]
    out = np.zeros(length, dtype=np.int8)
    out[: len(tokens)] = tokens[:length]
    return out


def random_programs(rng: np.random.Generator, arg_types: Sequence[int], n: int, length: int,
                    p_corrupt: float = 0.1) -> np.ndarray:
    """``n`` random programs: int8 [n, length]."""
    if n == 0:
        return np.zeros((0, length), dtype=np.int8)
    return np.stack([random_program(rng, arg_types, length, p_corrupt) for _ in range(n)])
