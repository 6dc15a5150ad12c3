"""Reward transforms (``[B, G, K] -> [B, G, K']``) and advantage transforms (``[B, G] -> [B, G]``).

Pure numpy functions, each registered by name so that a :class:`llm_bridge.pipeline.PipelineConfig` can list them:

- reward transforms: ``gate`` (rubric gates: ``drop``, ``penalty``, ``condition``), ``group_gate`` (DRO-style
  accept/reject of whole groups on a rubric), ``rlcr`` (adds the RLCR ``calibration`` objective);
- advantage transforms: ``negative_only``, ``positive_only``, ``clip``.

Docs: ``docs/aggregators/transforms.md``.
"""

from __future__ import annotations

from llm_bridge.transforms._registry import (
    ADVANTAGE_TRANSFORMS,
    REWARD_TRANSFORMS,
    TransformSpec,
    get_transform,
    register_transform,
)
from llm_bridge.transforms.advantage import clip, negative_only, positive_only
from llm_bridge.transforms.gates import GATE_MODES, apply_gate_penalty, gate, gate_mask
from llm_bridge.transforms.group_gate import group_accept, group_gate, group_pass_share
from llm_bridge.transforms.rlcr import CALIBRATION_FORMS, rlcr_calibration

__all__ = [
    "ADVANTAGE_TRANSFORMS",
    "CALIBRATION_FORMS",
    "GATE_MODES",
    "REWARD_TRANSFORMS",
    "TransformSpec",
    "apply_gate_penalty",
    "clip",
    "gate",
    "gate_mask",
    "get_transform",
    "group_accept",
    "group_gate",
    "group_pass_share",
    "negative_only",
    "positive_only",
    "register_transform",
    "rlcr_calibration",
]
