"""Shared helpers of the toolcall tests."""

from __future__ import annotations

import json
import os

from vecreward_envs.toolcall.family import ToolCallFamily
from vecreward_envs.toolcall.task import ToolTask

N_TASKS = int(os.environ.get("VECREWARD_TEST_INSTANCES", "60"))


def completion(calls: list[dict] | None, response: str | None = None, think: str = "ok") -> str:
    """A completion in ToolRL's format."""
    parts = [f"<think>{think}</think>"]
    if calls is not None:
        parts.append("<tool_call>\n" + "\n".join(json.dumps(c) for c in calls) + "\n</tool_call>")
    if response is not None:
        parts.append(f"<response>{response}</response>")
    return "\n".join(parts)


def tasks(family: ToolCallFamily, n: int = N_TASKS, first: int = 0) -> list[ToolTask]:
    return family.instances(first, n)
