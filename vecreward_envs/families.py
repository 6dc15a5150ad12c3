"""The task-family registry and the contract every family implements.

The bridge, the exporters and the command line pick a family by name (``make_family("maze")``); families are
imported lazily so that ``import vecreward_envs`` stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

FAMILIES: dict[str, str] = {
    "maze": "vecreward_envs.maze.family:MazeFamily",
    "probe": "vecreward_envs.probe:ProbeFamily",
    "codetests": "vecreward_envs.codetests.family:CodeTestsFamily",
    "toolcall": "vecreward_envs.toolcall.family:ToolCallFamily",
    "confidence": "vecreward_envs.probes.confidence:ConfidenceFamily",
    "easyhard": "vecreward_envs.probes.easyhard:EasyHardFamily",
}
"""Family name -> ``module:Class`` of its ``TaskFamily`` implementation."""


@runtime_checkable
class TaskFamily(Protocol):
    """What every task family provides (``shared/DESIGN.md``, "Task family")."""

    name: str

    @property
    def reward_names(self) -> tuple[str, ...]:
        """Stable names of the K objectives."""

    def generate(self, seed: int) -> Any:
        """The instance of ``seed``; deterministic from the seed alone."""

    def prompt(self, instance: Any, m: int = 1) -> str:
        """Text view: the prompt (``m > 1``: a chain of m answers)."""

    def score_completions(self, instance: Any, completions: Sequence[object]) -> tuple[np.ndarray, list]:
        """Text view: float32 [N, K] rewards (NaN = not applicable) and what was parsed; never raises.

        Each parsed item has ``ok`` (the answer followed the format) and ``reason`` (why not), so the bridge can
        count invalid answers.
        """

    def task_row(self, instance: Any) -> dict[str, Any]:
        """JSON-able columns from which ``instance_from_row`` rebuilds the instance (exports to TRL/verl)."""

    def instance_from_row(self, row: dict[str, Any]) -> Any:
        """The instance a ``task_row`` describes: scoring is a pure function of (completion, row)."""


def family_names() -> tuple[str, ...]:
    """Names accepted by ``make_family``."""
    return tuple(FAMILIES)


def make_family(name: str, **params: Any) -> TaskFamily:
    """The family registered as ``name``, built with ``params`` (its config's fields).

    Raises:
        ValueError: unknown name (the message lists the valid ones).
    """
    if name not in FAMILIES:
        raise ValueError(f"unknown task family {name!r}; valid: {sorted(FAMILIES)}")
    module_name, class_name = FAMILIES[name].split(":")
    family_class = getattr(importlib.import_module(module_name), class_name)
    return family_class(**params)
