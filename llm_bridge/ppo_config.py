"""Settings of the PPO-clip update (torch-free, so command lines can build them without importing torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PPOConfig:
    """Settings of the PPO-clip update."""

    clip_range: float = 0.2
    """epsilon of the ratio clip."""
    epochs: int = 1
    """Passes over each batch of rollouts (1 = on-policy GRPO; the ratio is then 1 on the first minibatch)."""
    minibatches: int = 1
    """Minibatches per epoch (rollouts are shuffled with the policy's generator)."""
    kl_coef: float = 0.0
    """Weight of the k3 KL penalty to the frozen reference policy (0: no reference kept)."""
    entropy_coef: float = 0.0
    """Weight of the entropy bonus."""
    max_grad_norm: float = 1.0
    """Global gradient-norm clip (<= 0: no clipping)."""
    loss_aggregation: Literal["token_mean", "sequence_mean"] = "token_mean"
    """How token losses are averaged."""

    def __post_init__(self) -> None:
        if not 0.0 < self.clip_range < 1.0:
            raise ValueError(f"clip_range must be in (0, 1), got {self.clip_range}")
        for name in ("epochs", "minibatches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        for name in ("kl_coef", "entropy_coef"):
            if not 0.0 <= getattr(self, name) < float("inf"):
                raise ValueError(f"{name} must be a finite number >= 0, got {getattr(self, name)}")
        if self.loss_aggregation not in ("token_mean", "sequence_mean"):
            raise ValueError(f"loss_aggregation must be 'token_mean' or 'sequence_mean', got {self.loss_aggregation!r}")
