"""Command-line options generated from config dataclasses: one option per field, its docstring as the help.

Field docstrings (the string literal under each field, the convention of our configs) are read from the class
source, so ``--help`` explains every option without a second copy of the text.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import typing
from typing import Any, Literal, get_args, get_origin


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> the docstring written under it in the class body."""
    try:
        tree = ast.parse(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, after in zip(body, body[1:], strict=False):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_dataclass_options(parser: argparse.ArgumentParser, cls: type, *, prefix: str = "",
                          skip: tuple[str, ...] = ()) -> list[str]:
    """Add an option per simple field (int, float, str, bool, Literal) of ``cls``; returns the fields added."""
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    added = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        hint = hints[f.name]
        default = f.default if f.default is not dataclasses.MISSING else None
        help_text = f"{docs.get(f.name, '')} (default: {default})"
        dest = prefix + f.name
        if get_origin(hint) is Literal:
            parser.add_argument(_option(dest), dest=dest, choices=list(get_args(hint)), default=default,
                                help=help_text)
        elif hint is bool:
            parser.add_argument(_option(dest), dest=dest, action=argparse.BooleanOptionalAction, default=default,
                                help=help_text)
        elif hint in (int, float, str):
            parser.add_argument(_option(dest), dest=dest, type=hint, default=default, metavar=hint.__name__.upper(),
                                help=help_text)
        else:
            continue
        added.append(f.name)
    return added


def values(args: argparse.Namespace, names: list[str], prefix: str = "") -> dict[str, Any]:
    """The parsed values of ``names`` (as added by ``add_dataclass_options``)."""
    return {name: getattr(args, prefix + name) for name in names}


def parse_key_values(items: list[str] | None, what: str) -> dict[str, Any]:
    """``["size=11", "score_mode=linear", "item_count_range=[2,4]"]`` -> dict; values parsed as JSON when they can be.

    Raises:
        ValueError: an item without ``=``.
    """
    import json

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{what}: expected KEY=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key] = tuple(value) if isinstance(value, list) else value
    return out
