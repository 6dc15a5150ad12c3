"""Small networks that learn a task family's structured view in minutes on a CPU."""

from agents.small.policy import SmallPolicy, SmallPolicyConfig

__all__ = ["SmallPolicy", "SmallPolicyConfig"]
