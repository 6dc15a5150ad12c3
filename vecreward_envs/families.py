"""The task-family registry: the bridge, the exporters and the command line pick a family by name.

``make_family("maze")`` builds one; families are imported lazily so that ``import vecreward_envs`` stays light.
The contract every family implements (``TaskFamily`` and its abilities) is written in ``vecreward_envs.protocols``.
"""

from __future__ import annotations

import importlib
from typing import Any

from vecreward_envs.protocols import TaskFamily

FAMILIES: dict[str, str] = {
    "maze": "vecreward_envs.maze.family:MazeFamily",
    "probe": "vecreward_envs.probes.choice:ProbeFamily",
    "codetests": "vecreward_envs.codetests.family:CodeTestsFamily",
    "toolcall": "vecreward_envs.toolcall.family:ToolCallFamily",
    "multiagent_maze": "vecreward_envs.multiagent.family:JointMazeFamily",
    "confidence": "vecreward_envs.probes.confidence:ConfidenceFamily",
    "easyhard": "vecreward_envs.probes.easyhard:EasyHardFamily",
    "structure": "vecreward_envs.structure.family:StructureFamily",
}
"""Family name -> ``module:Class`` of its ``TaskFamily`` implementation (a new family adds one line here)."""

__all__ = ["FAMILIES", "TaskFamily", "family_names", "make_family"]


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
