"""Hugging Face causal LMs behind the bridge's Policy protocol (text view of every task family)."""

from typing import Any

from agents.llm.config import LLMPolicyConfig

__all__ = ["HFPolicy", "LLMPolicyConfig"]


def __getattr__(name: str) -> Any:
    """Import the torch/transformers-backed policy on first use, so configs and ``--help`` stay fast."""
    if name == "HFPolicy":
        from agents.llm.policy import HFPolicy

        return HFPolicy
    raise AttributeError(f"module 'agents.llm' has no attribute {name!r}")
