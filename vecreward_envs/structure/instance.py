"""A reward-structure instance: seeded features and the targets the layout's rules give them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.layout import layout, targets_of

SALT = 0x5747
"""Second entry of each instance's seed sequence (a seed names one instance per family)."""


@dataclass(frozen=True, eq=False)
class StructureInstance:
    """One task: features x and, per (objective, position), the target value."""

    seed: int
    """The instance seed (also hashed into the noisy judge's draws)."""
    config: StructureConfig
    """The config it was generated under."""
    x: np.ndarray
    """int16 [F], read-only: the features, each in 0..V-2."""
    targets: np.ndarray
    """int64 [J, P], read-only: targets in 0..V-2 (-1: no target, as for the proxy)."""


def generate(seed: int, config: StructureConfig) -> StructureInstance:
    """The instance of ``seed``: x drawn by its own ``np.random.default_rng([seed, SALT])``, no global state."""
    rng = np.random.default_rng([int(seed), SALT])
    x = rng.integers(0, config.V - 1, size=config.F).astype(np.int16)  # [F] in 0..V-2
    targets = targets_of(layout(config), x)  # [J, P]
    x.flags.writeable = False
    targets.flags.writeable = False
    return StructureInstance(seed=int(seed), config=config, x=x, targets=targets)


@lru_cache(maxsize=8192)
def generate_cached(seed: int, config: StructureConfig) -> StructureInstance:
    """``generate`` once per (seed, config) in a process."""
    return generate(seed, config)


@dataclass(frozen=True)
class InstanceBatch:
    """Instances stacked for the kernel."""

    seeds: np.ndarray
    """int64 [B]."""
    targets: np.ndarray
    """int64 [B, J, P]."""

    @staticmethod
    def stack(instances: Sequence[StructureInstance]) -> InstanceBatch:
        """Stack B instances of one config."""
        return InstanceBatch(seeds=np.array([inst.seed for inst in instances], dtype=np.int64),
                             targets=np.stack([inst.targets for inst in instances]))
