"""Registries of reward transforms (``[B, G, K] -> [B, G, K']``) and advantage transforms (``[B, G] -> [B, G]``).

A transform is a pure function ``fn(array, **params)`` with keyword-only parameters; the registry reads the
parameter names from its signature so that unknown names fail at once with the list of valid ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ADVANTAGE_TRANSFORMS", "REWARD_TRANSFORMS", "TransformSpec", "get_transform", "register_transform"]


@dataclass(frozen=True)
class TransformSpec:
    """A registered transform.

    Attributes:
        name: Registry name.
        fn: The pure function ``fn(array, **params) -> array``.
        kind: ``"reward"`` (``[B, G, K] -> [B, G, K']``) or ``"advantage"`` (``[B, G] -> [B, G]``).
        post: For reward transforms whose effect continues after aggregation (a gate in ``penalty`` mode):
            ``post(advantages, rewards_before_the_transform, **params) -> advantages``, applied by the pipeline
            right after the aggregator. ``None`` for the others.
    """

    name: str
    fn: Callable[..., Any]
    kind: Literal["reward", "advantage"]
    post: Callable[..., Any] | None = None

    @property
    def param_names(self) -> tuple[str, ...]:
        """Keyword parameters of ``fn``."""
        sig = inspect.signature(self.fn)
        return tuple(n for n, p in sig.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY)

    @property
    def required_params(self) -> tuple[str, ...]:
        """Keyword parameters without a default."""
        sig = inspect.signature(self.fn)
        return tuple(
            n for n, p in sig.parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
        )

    def check_params(self, params: Mapping[str, Any]) -> None:
        """Reject unknown and missing parameter names with the list of valid ones."""
        unknown = sorted(set(params) - set(self.param_names))
        if unknown:
            raise ValueError(
                f"{self.kind} transform {self.name!r}: unknown parameter(s) {unknown}; "
                f"valid parameters: {', '.join(self.param_names)}"
            )
        missing = [n for n in self.required_params if n not in params]
        if missing:
            raise ValueError(f"{self.kind} transform {self.name!r}: missing required parameter(s) {missing}")

    def __call__(self, x: Any, **params: Any) -> Any:
        """Check the parameter names, then apply the transform."""
        self.check_params(params)
        return self.fn(x, **params)


REWARD_TRANSFORMS: dict[str, TransformSpec] = {}
ADVANTAGE_TRANSFORMS: dict[str, TransformSpec] = {}


def register_transform(
    name: str, kind: Literal["reward", "advantage"], post: Callable[..., Any] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator adding ``fn`` to the registry of its kind (the function itself is returned unchanged)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        table = REWARD_TRANSFORMS if kind == "reward" else ADVANTAGE_TRANSFORMS
        if name in table:
            raise ValueError(f"{kind} transform {name!r} registered twice")
        table[name] = TransformSpec(name=name, fn=fn, kind=kind, post=post)
        return fn

    return deco


def get_transform(name: str, kind: Literal["reward", "advantage"]) -> TransformSpec:
    """The registry entry; unknown names fail with the list of valid ones."""
    table = REWARD_TRANSFORMS if kind == "reward" else ADVANTAGE_TRANSFORMS
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {kind} transform {name!r}; valid names: {', '.join(table)}") from None
