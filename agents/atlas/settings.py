"""The settings of an atlas: the Cartesian product of ``--vary KEY=V1,V2,...`` axes over fixed ``--set`` values.

A setting is one family configuration (``{key: value}``); each becomes one comparison directory named by its label
(``K=2__noise=0.1``). Values are parsed as JSON where they can be (``0.1`` -> float, ``2`` -> int, ``[0,2]`` -> a
tuple, ``true`` -> bool), else kept as strings (``tradeoff``, ``easy,hard``); a comma inside brackets does not split
values (``--vary noisy=[0],[0,1]``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9._=,+-]")


@dataclass(frozen=True)
class Axis:
    """One varied knob and its values, in the order given."""

    key: str
    values: tuple[Any, ...]


def parse_value(raw: str) -> Any:
    """JSON where it parses (lists become tuples), else the string itself."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return tuple(value) if isinstance(value, list) else value


def split_top_level(text: str) -> list[str]:
    """``"0,[1,2],3"`` -> ``["0", "[1,2]", "3"]``: commas inside brackets do not split."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_axis(item: str) -> Axis:
    """``"noise=0,0.1,0.3"`` -> ``Axis("noise", (0, 0.1, 0.3))``.

    Raises:
        ValueError: no ``=``, no key, an empty value, or a value given twice (one line).
    """
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--vary expects KEY=V1,V2,..., got {item!r}")
    texts = split_top_level(raw)
    if any(not t for t in texts):
        raise ValueError(f"--vary {key}: empty value in {raw!r}")
    values = tuple(parse_value(t) for t in texts)
    if len(set(map(repr, values))) != len(values):
        raise ValueError(f"--vary {key}: a value is given twice in {raw!r}")
    return Axis(key, values)


def parse_axes(items: Sequence[str]) -> list[Axis]:
    """Every ``--vary``; a key may be varied once.

    Raises:
        ValueError: no axis, or a key varied twice.
    """
    if not items:
        raise ValueError("name at least one knob to vary, e.g. --vary noise=0,0.1,0.3 (or use --preset quick)")
    axes = [parse_axis(item) for item in items]
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise ValueError(f"--vary names a knob twice: {keys}")
    return axes


def settings(axes: Sequence[Axis], fixed: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the axes' values (the first axis varies slowest), each over the fixed values.

    Raises:
        ValueError: a key both varied and fixed.
    """
    clash = sorted({a.key for a in axes} & set(fixed))
    if clash:
        raise ValueError(f"{clash} both varied (--vary) and fixed (--set)")
    out = [{**fixed, **dict(zip([a.key for a in axes], combo, strict=True))}
           for combo in itertools.product(*(a.values for a in axes))]
    names = [label(s, axes) for s in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # e.g. --vary noisy=[0],0: two values, one directory
        raise ValueError(f"--vary values that name the same setting: {twice}; give each value once")
    return out


def label(setting: Mapping[str, Any], axes: Sequence[Axis]) -> str:
    """The directory name of a setting: its varied values, ``K=2__noise=0.1`` (file-system safe)."""
    parts = []
    for axis in axes:
        value = setting[axis.key]
        text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        parts.append(f"{axis.key}={text}")
    return _LABEL_UNSAFE.sub("_", "__".join(parts))
