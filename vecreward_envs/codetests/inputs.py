"""Test inputs per group: each group draws the kind of input that exposes one kind of mistake.

``basic`` typical values; ``empty`` an empty list or string; ``single`` one item; ``negative`` negative values
(and a negative ``k`` where ``k`` is a value, a divisor or an index); ``duplicates`` few distinct values, many
repeats; ``large`` long inputs with large magnitudes. Strings are printable ASCII: letters, digits and spaces.
"""

from __future__ import annotations

import random

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DIGITS = "0123456789"


def group_applies(group: str, kind: str, k_role: str | None) -> bool:
    """Whether a signature kind has tests in ``group`` (``negative`` needs a value that can be negative)."""
    if group != "negative" or not kind.startswith("str"):
        return True
    return k_role in ("value", "divisor", "index")


def _int_list(rng: random.Random, group: str) -> list[int]:
    if group == "empty":
        return []
    if group == "single":
        return [rng.randint(-10, 20)]
    if group == "negative":
        items = [rng.randint(-30, 5) for _ in range(rng.randint(3, 8))]
        for i in rng.sample(range(len(items)), 2):
            items[i] = -abs(items[i]) or -1
        return items
    if group == "duplicates":
        pool = [rng.randint(-5, 15) for _ in range(rng.randint(2, 3))]
        items = [rng.choice(pool) for _ in range(rng.randint(5, 10))]
        items[rng.randrange(len(items))] = items[0]
        if len(set(items)) == len(items):
            items.append(items[0])
        return items
    if group == "large":
        return [rng.randint(-10**6, 10**6) for _ in range(rng.randint(15, 24))]
    return [rng.randint(-5, 20) for _ in range(rng.randint(3, 8))]


def _char(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        return rng.choice(_LOWER)
    if r < 0.75:
        return rng.choice(_UPPER)
    if r < 0.9:
        return rng.choice(_DIGITS)
    return " "


def _string(rng: random.Random, group: str) -> str:
    if group == "empty":
        return ""
    if group == "single":
        return _char(rng)
    if group == "duplicates":
        pool = [_char(rng) for _ in range(rng.randint(2, 3))]
        return "".join(rng.choice(pool) for _ in range(rng.randint(6, 12))) + pool[0] * 2
    if group == "large":
        return "".join(_char(rng) for _ in range(rng.randint(30, 48)))
    return "".join(_char(rng) for _ in range(rng.randint(4, 12)))


def _k(rng: random.Random, group: str, role: str) -> int:
    if role == "divisor":
        return {"negative": rng.randint(-6, -1), "large": rng.randint(100, 10**4),
                "basic": rng.randint(1, 6)}.get(group, rng.randint(1, 5))
    if role == "count":
        return {"basic": rng.randint(0, 6), "empty": rng.randint(0, 3), "single": rng.randint(0, 2),
                "large": rng.randint(5, 30)}.get(group, rng.randint(1, 6))
    if role == "index":
        return {"negative": rng.randint(-4, -1), "large": rng.randint(5, 20), "single": rng.choice((0, -1)),
                "empty": 0}.get(group, rng.randint(0, 4))
    return {"basic": rng.randint(-3, 10), "negative": rng.randint(-15, -1),
            "large": rng.choice((-1, 1)) * rng.randint(1000, 10**6)}.get(group, rng.randint(-2, 6))


def sample_args(rng: random.Random, kind: str, group: str, k_role: str | None) -> tuple[object, ...]:
    """One test's arguments for a signature ``kind`` in ``group``."""
    if kind.startswith("str"):
        first: object = _string(rng, group)
    else:
        first = _int_list(rng, group)
    if kind in ("list_k", "str_k"):
        return first, _k(rng, group, k_role or "value")
    if kind == "two_lists":
        other_group = group if group not in ("empty", "single") or rng.random() < 0.5 else "basic"
        return first, _int_list(rng, other_group)
    return (first,)
