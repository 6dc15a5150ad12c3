"""Small networks that learn a task family's structured view in minutes on a CPU."""

from typing import Any

from agents.small.config import SmallPolicyConfig

__all__ = ["SmallPolicy", "SmallPolicyConfig"]


def __getattr__(name: str) -> Any:
    """Import the torch-backed policy on first use, so configs and ``--help`` stay fast."""
    if name == "SmallPolicy":
        from agents.small.policy import SmallPolicy

        return SmallPolicy
    raise AttributeError(f"module 'agents.small' has no attribute {name!r}")
