"""The one scorer both views call: token answers [N, W] on stacked instances -> float32 [N, J] (``kernels.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.instance import InstanceBatch, StructureInstance
from vecreward_envs.structure.kernels import score_kernel
from vecreward_envs.structure.layout import layout


def canonical(answers: np.ndarray, config: StructureConfig) -> np.ndarray:
    """int64 [N, L]: the values each row says, STOP (V) from its first non-value token on (what the kernel reads)."""
    tokens = np.asarray(answers, dtype=np.int64)
    length, stop = config.answer_len, config.V
    out = np.full((tokens.shape[0], length), stop, dtype=np.int64)
    width = min(length, tokens.shape[1])
    out[:, :width] = tokens[:, :width]
    bad = (out < 0) | (out >= stop)  # [N, L]
    ended = np.cumsum(bad, axis=1) > 0
    out[ended] = stop
    return out


def score(config: StructureConfig, instances: Sequence[StructureInstance] | InstanceBatch, answers: np.ndarray,
          inst_idx: np.ndarray, *, noise: bool = True) -> np.ndarray:
    """float32 [N, J] rewards of token answers [N, W] on ``instances[inst_idx]``.

    Args:
        config: the family's config (every instance must be of it).
        instances: B instances, or their stacked batch.
        answers: int [N, W] tokens.
        inst_idx: int [N] indices into ``instances``.
        noise: False gives the noise-free (true) rewards of a noisy judge.

    Raises:
        ValueError: malformed shapes or indices (one line).
    """
    batch = instances if isinstance(instances, InstanceBatch) else InstanceBatch.stack(list(instances))
    tokens = np.ascontiguousarray(answers, dtype=np.int64)
    if tokens.ndim != 2:
        raise ValueError(f"answers must be int [N, W], got shape {tokens.shape}")
    idx = np.ascontiguousarray(inst_idx, dtype=np.int64)
    n_inst = batch.seeds.shape[0]
    if idx.shape != (tokens.shape[0],) or (idx.size and (idx.min() < 0 or idx.max() >= n_inst)):
        raise ValueError(f"inst_idx must be [N={tokens.shape[0]}] indices into {n_inst} instances")
    lay = layout(config)
    out = np.empty((tokens.shape[0], lay.n_pos.shape[0]), dtype=np.float32)  # [N, J]
    if tokens.shape[0]:
        score_kernel(tokens, idx, batch.seeds, batch.targets, lay.positions, lay.n_pos, lay.kind, lay.levels,
                     lay.sigma, lay.n_values, lay.length, noise, out)
    return out
