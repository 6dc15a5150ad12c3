"""Do agents that share a maze split the corners? grpo vs vpo vs per-agent personas, over seeds.

Two agents share one designed-conflict maze (``vecreward_envs.multiagent.conflict_maze_v0`` rules: shared items,
first come first served, the lower index wins ties). Each agent is its own small policy (independent learners;
``--shared`` for one shared policy that sees the agent's index) answering with whole routes, trained through the
bridge with its own aggregator (``agents/multiagent/train.py``). After training, held-out mazes are played with
sampled routes and we count the games where the corners are split: one agent finishes with gold and no diamonds,
another with diamonds and no gold.

Schemes:
- ``grpo``: every agent GRPO on its own vector (sum, group z-score).
- ``vpo``: every agent VPO on chains of m = 3 routes (Dirichlet set-level; answer j of every agent share a game).
- ``personas``: GRPO with per-agent weights, agent 0 (1, 1, 0, 1) "gold-lover", agent 1 (1, 0, 1, 1)
  "diamond-lover" (the env's ``personas`` argument, given to the aggregator as objective weights).

    python examples/multiagent_corner_split.py                  # 3 seeds x 3 schemes, about 10 minutes on 2 cores
    python examples/multiagent_corner_split.py --steps 5 --seeds 1 --eval-instances 8   # a quick look
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
import torch

from agents.multiagent.train import MultiAgentConfig, train_multiagent
from agents.small import SmallPolicyConfig

PERSONAS = ((1.0, 1.0, 0.0, 1.0), (1.0, 0.0, 1.0, 1.0))
SCHEMES = {
    "grpo": dict(aggregator="grpo"),
    "vpo": dict(aggregator="vpo", chain_length=3),
    "personas": dict(aggregator="grpo", personas=PERSONAS),
}
COLUMNS = ("eval/split_rate", "eval/same_corner_rate", "eval/all_reach_rate", "eval/agent_0/gold_only",
           "eval/agent_0/diamond_only", "eval/agent_1/gold_only", "eval/agent_1/diamond_only")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--warm-start", type=int, default=50)
    parser.add_argument("--eval-instances", type=int, default=32)
    parser.add_argument("--schemes", default=",".join(SCHEMES), help=f"comma-separated subset of {list(SCHEMES)}")
    parser.add_argument("--shared", action="store_true", help="one shared policy (agent index in the observation)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    numba.set_num_threads(1)
    names = [s for s in args.schemes.split(",") if s]
    unknown = sorted(set(names) - set(SCHEMES))
    if unknown:
        parser.error(f"unknown scheme(s) {unknown}; choose from {list(SCHEMES)}")
    mode = "shared" if args.shared else "independent"
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    started_all = time.perf_counter()
    for seed in range(args.seeds):
        for name in names:
            config = MultiAgentConfig(mode=mode, steps=args.steps, batch_size=args.batch_size,
                                      warm_start_steps=args.warm_start, eval_instances=args.eval_instances,
                                      policy=SmallPolicyConfig(lr=args.lr), seed=seed, **SCHEMES[name])
            result = train_multiagent(config)
            row = dict(result.last_eval)
            row["wall_s"] = result.seconds
            results[name].append(row)
            first = (f", split_rate of first answers only={row['eval/split_rate_first']:.3f}"
                     if "eval/split_rate_first" in row else "")
            print(f"{name} seed {seed}: " + ", ".join(f"{c.replace('eval/', '')}={row[c]:.3f}" for c in COLUMNS)
                  + first + f", wall {row['wall_s']:.0f}s", flush=True)
    print(f"\n2 agents ({mode} policies), {args.steps} steps (B={args.batch_size}, G=8, lr {args.lr}, "
          f"{args.warm_start} warm-start steps), "
          f"{args.seeds} seeds, eval {args.eval_instances} held-out mazes x 8 sampled games "
          f"(vpo: x 3 answers); mean +- std over seeds")
    print(" | ".join(["scheme", *[c.replace("eval/", "") for c in COLUMNS], "wall_s"]))
    for name, rows in results.items():
        cells = [name]
        for column in (*COLUMNS, "wall_s"):
            values = np.array([r[column] for r in rows])
            cells.append(f"{values.mean():.3f} +- {values.std():.3f}")
        print(" | ".join(cells))
    print(f"\ntotal wall time {time.perf_counter() - started_all:.0f}s")


if __name__ == "__main__":
    main()
