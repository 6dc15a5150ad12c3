"""The reward-structure family: knobs that set the structure of the reward vector directly (docs/envs/structure.md)."""

from vecreward_envs.structure.config import StructureConfig

__all__ = ["StructureConfig"]
