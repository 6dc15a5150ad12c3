"""A pipeline: reward transforms, then one aggregator, then advantage transforms, declared in one frozen config.

>>> import numpy as np
>>> from llm_bridge.pipeline import PipelineConfig, run_pipeline
>>> cfg = PipelineConfig(
...     reward_transforms=[("gate", {"objectives": [0], "mode": "drop"})],
...     aggregator="gdpo",
...     advantage_transforms=["negative_only"],
... )
>>> R = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [1, 0, 1]]], dtype=float)  # objective 0 gates
>>> run_pipeline(cfg, R).round(3)
array([[ 0.   , -1.155,  0.   ,  0.   ]])

Order of a step: reward transforms in the listed order; the aggregator; the post-aggregation effect of reward
transforms that have one (a ``gate`` in ``penalty`` mode sets failing rollouts to its penalty), in the listed
order; advantage transforms in the listed order. Docs: ``docs/aggregators/index.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from llm_bridge._arrays import as_float_array, from_numpy_like, is_torch_tensor
from llm_bridge.aggregators import aggregate, get_spec
from llm_bridge.transforms import get_transform

__all__ = ["PipelineConfig", "TransformStep", "run_pipeline"]


def _frozen_mapping(params: Any, what: str) -> Mapping[str, Any]:
    if params is None:
        return MappingProxyType({})
    if not isinstance(params, Mapping):
        raise ValueError(f"{what}: params must be a mapping of parameter names to values, got {params!r}")
    bad = [k for k in params if not isinstance(k, str)]
    if bad:
        raise ValueError(f"{what}: parameter names must be strings, got {bad!r}")
    return MappingProxyType(dict(params))


@dataclass(frozen=True)
class TransformStep:
    """One transform in a pipeline: a registry name and its parameters."""

    name: str
    """Name in ``REWARD_TRANSFORMS`` or ``ADVANTAGE_TRANSFORMS`` (depending on the list it is in)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Keyword parameters of the transform (stored as a read-only mapping)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise ValueError(f"transform step: name must be a string, got {self.name!r}")
        object.__setattr__(self, "params", _frozen_mapping(self.params, f"transform {self.name!r}"))

    @classmethod
    def coerce(cls, value: Any) -> TransformStep:
        """Accept a ``TransformStep``, a name, a ``(name, params)`` pair or ``{"name": ..., "params": {...}}``."""
        if isinstance(value, TransformStep):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, Mapping):
            extra = sorted(set(value) - {"name", "params"})
            if "name" not in value or extra:
                raise ValueError(f"transform step: a mapping needs 'name' and optional 'params', got {dict(value)!r}")
            return cls(value["name"], value.get("params") or {})
        if isinstance(value, Sequence) and len(value) == 2 and isinstance(value[0], str):
            return cls(value[0], value[1] or {})
        raise ValueError(f"transform step: expected a name, (name, params) or a mapping, got {value!r}")


@dataclass(frozen=True)
class PipelineConfig:
    """Reward transforms -> aggregator -> advantage transforms, validated when built.

    Every name and parameter name is checked in ``__post_init__`` (unknown ones fail with the valid list), and
    the aggregator's parameter values too.
    """

    aggregator: str = "grpo"
    """Name of the scheme in ``llm_bridge.aggregators.AGGREGATORS``."""
    aggregator_params: Mapping[str, Any] = field(default_factory=dict)
    """Parameters of the scheme (e.g. ``{"scale": "batch"}`` for grpo, ``{"tau": 1.0}`` for rvpo)."""
    weights: tuple[float, ...] | None = None
    """Static objective weights for the aggregator, one per objective *after* the reward transforms
    (``rlcr`` with ``keep_confidence`` or ``confidence`` adds one); ``None``: all 1."""
    reward_transforms: tuple[TransformStep, ...] = ()
    """Reward transforms, applied in order (``gate``, ``rlcr``)."""
    advantage_transforms: tuple[TransformStep, ...] = ()
    """Advantage transforms, applied in order after the aggregator (``negative_only``, ``positive_only``,
    ``clip``)."""

    def __post_init__(self) -> None:
        spec = get_spec(self.aggregator)
        object.__setattr__(self, "aggregator_params", _frozen_mapping(self.aggregator_params, self.aggregator))
        spec.make_params(dict(self.aggregator_params))  # unknown names and bad values fail here
        if self.weights is not None:
            w = as_float_array(self.weights, "pipeline: weights")
            if w.ndim != 1 or not np.isfinite(w).all():
                raise ValueError(f"pipeline: weights must be a 1-D list of finite numbers, got {self.weights!r}")
            object.__setattr__(self, "weights", tuple(float(x) for x in w))
        for attr, kind in (("reward_transforms", "reward"), ("advantage_transforms", "advantage")):
            value = getattr(self, attr)
            if isinstance(value, (str, TransformStep, Mapping)):
                value = (value,)
            steps = tuple(TransformStep.coerce(v) for v in value)
            for st in steps:
                get_transform(st.name, kind).check_params(st.params)
            object.__setattr__(self, attr, steps)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineConfig:
        """Build from a plain mapping (e.g. parsed JSON/YAML); unknown keys fail with the list of valid ones."""
        valid = ("aggregator", "aggregator_params", "weights", "reward_transforms", "advantage_transforms")
        unknown = sorted(set(data) - set(valid))
        if unknown:
            raise ValueError(f"pipeline: unknown key(s) {unknown}; valid keys: {', '.join(valid)}")
        return cls(**dict(data))


def run_pipeline(
    config: PipelineConfig, rewards: Any, *, rng: np.random.Generator | None = None, step: int = 0
) -> Any:
    """Turn rewards into advantages following ``config``.

    Args:
        config: The pipeline.
        rewards: ``[B, G, K]`` rewards (``[B, G, m, K]`` for set-level aggregators), numpy or torch.
        rng: Passed to the aggregator (``vpo`` draws its Dirichlet weights from it).
        step: Training step, passed to the aggregator (``rvpo``'s temperature schedule).

    Returns:
        ``[B, G]`` advantages, numpy for numpy input, a tensor on the input's device for tensor input.
    """
    r = as_float_array(rewards, "pipeline: rewards")
    posts = []
    for st in config.reward_transforms:
        spec = get_transform(st.name, "reward")
        before = r
        r = spec(r, **st.params)
        if spec.post is not None:
            posts.append((spec.post, before, st.params))
    adv = aggregate(
        config.aggregator, r, weights=config.weights, rng=rng, step=step, **config.aggregator_params
    )
    for post, before, params in posts:
        adv = post(adv, before, **params)
    for st in config.advantage_transforms:
        adv = get_transform(st.name, "advantage")(adv, **st.params)
    return from_numpy_like(adv, rewards) if is_torch_tensor(rewards) else adv
