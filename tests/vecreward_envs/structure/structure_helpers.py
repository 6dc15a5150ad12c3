"""Shared helpers of the structure tests: hypothesis strategies for configs, the twin's view of an instance."""

import numpy as np
from hypothesis import strategies as st

from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.instance import StructureInstance
from vecreward_envs.structure.kernels_py import score_row_py
from vecreward_envs.structure.layout import BINARY, CONTINUOUS, LEVELS, layout

KIND_NAMES = {BINARY: "binary", LEVELS: "levels", CONTINUOUS: "continuous"}


@st.composite
def configs(draw: st.DrawFn, max_k: int = 4, max_m: int = 3, max_v: int = 8) -> StructureConfig:
    """Random small configs over every knob."""
    relation = draw(st.sampled_from(["independent", "aligned", "tradeoff"]))
    k = draw(st.integers(1, max_k))
    v = draw(st.integers(max(3, k + 1) if relation == "tradeoff" else 3, max(max_v, k + 1)))
    grans = st.sampled_from(["binary", "continuous", "levels:2", "levels:3", "levels:5"])
    diffs = st.sampled_from(["easy", "medium", "hard"])
    difficulty = draw(diffs) if relation != "independent" else tuple(draw(diffs) for _ in range(k))
    return StructureConfig(
        K=k, m=draw(st.integers(1, max_m)), V=v, F=draw(st.integers(3, 10)), relation=relation,
        granularity=tuple(draw(grans) for _ in range(k)), difficulty=difficulty,
        noise=draw(st.sampled_from([0.0, 0.05, 0.5])),
        noisy=tuple(sorted(draw(st.sets(st.integers(0, k - 1))))), bottleneck=draw(st.booleans()),
        bottleneck_positions=draw(st.integers(1, 3)), saturating=draw(st.booleans()), proxy=draw(st.booleans()))


def twin_objectives(instance: StructureInstance) -> list[dict]:
    """The twin's per-objective description of an instance."""
    lay = layout(instance.config)
    out = []
    for j in range(lay.n_pos.shape[0]):
        n = int(lay.n_pos[j])
        out.append({"kind": KIND_NAMES.get(int(lay.kind[j]), "proxy"), "levels": int(lay.levels[j]),
                    "positions": [int(q) for q in lay.positions[j, :n]],
                    "targets": [int(t) for t in instance.targets[j, :n]], "sigma": float(lay.sigma[j])})
    return out


def twin_scores(instances: list[StructureInstance], answers: np.ndarray, inst_idx: np.ndarray,
                noise: bool = True) -> np.ndarray:
    """float32 [N, J] by the plain-Python twin."""
    config = instances[0].config
    rows = []
    for n, row in enumerate(answers.tolist()):
        inst = instances[int(inst_idx[n])]
        rows.append(score_row_py(row, n, inst.seed, twin_objectives(inst), config.V, config.answer_len, noise))
    return np.array(rows, dtype=np.float32).reshape(len(rows), len(config.reward_names))
