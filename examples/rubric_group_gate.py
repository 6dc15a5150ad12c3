"""A rubric as reward points vs as a group gate (``group_gate``, after DRO arXiv 2506.13351) on a hackable rubric.

The ``structure`` family with ``proxy=True`` scores a surface feature: ``proxy`` = the fraction of the match positions
holding the reserved value V-1, which is never a correct answer. Used as points (weight 3, as much as the three match
objectives together) the policy learns to print V-1 everywhere: the rubric score goes to 1 and true quality (the
match objectives) to 0. Used as a group gate, a group of G rollouts learns only when at least half of them show the
feature, and the feature itself earns no rollout anything: it is not hacked (here it even costs learning, because
this rubric is at odds with correctness; see docs/results.md section 13).

    python examples/rubric_group_gate.py              # about 10 s on 2 cores
    python examples/rubric_group_gate.py --steps 200 --seeds 3
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numba
import numpy as np
import torch

from agents.small import SmallPolicy
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from llm_bridge.trainer import TrainConfig, train
from vecreward_envs.families import make_family

TASK_PARAMS = {"K": 3, "proxy": True}
RUBRIC = 3
"""Index of ``proxy`` in the reward vector (after match/0..2)."""
GATE = {"objectives": [RUBRIC], "threshold": 1 / 6, "min_pass": 0.5}
"""A rollout passes when at least 1 of its 6 match positions shows the feature; a group when half of it passes."""
ARMS = {
    "no rubric": PipelineConfig(aggregator="grpo", weights=(1.0, 1.0, 1.0, 0.0)),
    "rubric as points": PipelineConfig(aggregator="grpo", weights=(1.0, 1.0, 1.0, 3.0)),
    "rubric as group gate": PipelineConfig(aggregator="grpo", reward_transforms=[("group_gate", GATE)]),
}


def show_one_step() -> None:
    """The gate on two hand-made groups: one accepted (3 of 4 pass), one rejected (1 of 4)."""
    rewards = np.array([
        [[0.5, 0.5, 0.5, 0.5], [1.0, 0.5, 0.5, 1 / 6], [0.0, 0.5, 1.0, 1 / 3], [1.0, 1.0, 1.0, 0.0]],
        [[1.0, 1.0, 0.5, 0.0], [0.5, 0.0, 0.5, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 0.5, 1.0, 0.0]],
    ])  # [B=2, G=4, K=4]: match/0..2, proxy
    for name, pipeline in ARMS.items():
        print(f"{name:22s} advantages {np.round(run_pipeline(pipeline, rewards), 2).tolist()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="run directories (default: a temp dir)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    numba.set_num_threads(1)
    show_one_step()
    out = args.out or Path(tempfile.mkdtemp(prefix="rubric_gate_"))
    family = make_family("structure", **TASK_PARAMS)
    print(f"\n{'arm':22s} {'true quality':>12s} {'rubric score':>12s}   (held-out means after {args.steps} steps)")
    for name, pipeline in ARMS.items():
        quality, rubric = [], []
        for seed in range(args.seeds):
            config = TrainConfig(task="structure", task_params=TASK_PARAMS, pipeline=pipeline, steps=args.steps,
                                 batch_size=16, group_size=8, eval_instances=32, eval_samples=8,
                                 eval_every=args.steps, checkpoint_every=args.steps, warm_start_steps=0, seed=seed)
            policy = SmallPolicy(family, family.generate(0), seed=seed)
            result = train(config, policy, family, out / f"{name.replace(' ', '_')}-seed{seed}", progress=False,
                           tensorboard=False)
            quality.append(np.mean([result.last_eval[f"eval/match/{k}/mean"] for k in range(3)]))
            rubric.append(result.last_eval["eval/proxy/mean"])
        print(f"{name:22s} {np.mean(quality):12.3f} {np.mean(rubric):12.3f}")


if __name__ == "__main__":
    main()
