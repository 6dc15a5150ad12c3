"""Settings of the small policy (torch-free, so the command line can show and validate them quickly)."""

from __future__ import annotations

from dataclasses import dataclass, field

from llm_bridge.ppo_config import PPOConfig


@dataclass(frozen=True)
class SmallPolicyConfig:
    """Settings of the small network and its optimizer."""

    hidden: int = 64
    """GRU width."""
    embed: int = 16
    """Embedding width of observation values and answer tokens."""
    lr: float = 1e-3
    """Adam learning rate."""
    temperature: float = 1.0
    """Sampling temperature (1 = the policy's own distribution, which PPO's ratios assume)."""
    ppo: PPOConfig = field(default_factory=PPOConfig)
    """The update's settings."""

    def __post_init__(self) -> None:
        for name in ("hidden", "embed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if not 0.0 < self.lr < 1.0:
            raise ValueError(f"lr must be in (0, 1), got {self.lr}")
        if not 0.0 < self.temperature < 100.0:
            raise ValueError(f"temperature must be in (0, 100), got {self.temperature}")
