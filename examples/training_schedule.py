"""Training order with a schedule: structured first, open first, or both at once, on one shared small policy.

Tool calls (one exact call satisfies every constraint) are the structured task, the maze (many routes, each a
different item/lava trade-off) the open one. Each schedule warm-starts one ``MultiTaskSmallPolicy`` (a GRU trunk
shared by both families, a head per family) on both families' demonstrations, then runs RL in its own order. After
every stage the policy is evaluated on both families; the run's backward transfer (GEM) and forgetting (Chaudhry)
come from that matrix (docs/schedules.md; the measured claim is docs/results.md section 11).

    python examples/training_schedule.py              # about 40 s on 2 cores
    python examples/training_schedule.py --warm 100 --rl 100

The same from the command line: ``vecreward train --schedule 'imitate:toolcall+maze:100 > rl:toolcall:100 >
rl:maze:100'``, and several schedules over seeds with ``vecreward compare --schedule NAME=SPEC ...``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numba
import torch

from agents.small.multitask import MultiTaskSmallPolicy
from llm_bridge.schedule import run_schedule, schedule_families
from llm_bridge.schedule_spec import parse_schedule
from llm_bridge.trainer import TrainConfig


def schedules(warm: int, rl: int) -> dict[str, str]:
    """The three orders, in the written form of ``vecreward train --schedule``."""
    start = f"imitate:toolcall+maze:{warm}"
    return {
        "structured-first": f"{start} > rl:toolcall:{rl} > rl:maze:{rl}",
        "open-first": f"{start} > rl:maze:{rl} > rl:toolcall:{rl}",
        "joint": f"{start} > rl:toolcall+maze:{2 * rl}",
    }


def main() -> None:
    """Run each order once; print its score matrix, BWT and forgetting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=40, help="imitation steps (both families, alternating)")
    parser.add_argument("--rl", type=int, default=40, help="RL steps per family")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="run directories (default: a temporary folder)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    numba.set_num_threads(1)
    base = TrainConfig(batch_size=16, group_size=8, eval_instances=16, eval_samples=8, eval_every=20,
                       checkpoint_every=1000, train_instances=256, seed=args.seed)
    out = args.out or Path(tempfile.mkdtemp(prefix="schedule-example-"))
    for name, spec in schedules(args.warm, args.rl).items():
        schedule = parse_schedule(spec)
        families = schedule_families(schedule)
        policy = MultiTaskSmallPolicy(families, seed=args.seed)
        result = run_schedule(schedule, policy, families, base, out / name, progress=False, tensorboard=False)
        print(f"{name}: {spec}")
        print(f"  {'after stage':<34}" + "".join(f"{label:>22}" for label in result.labels))
        for i, stage in enumerate(result.stages):
            cells = "".join(f"{result.scores[i, j]:>12.3f} (H {result.entropy[i, j]:.2f})"
                            for j in range(len(result.labels)))
            print(f"  {stage:<34}{cells}")
        mean = result.scores[-1].mean()
        bwt = "n/a" if result.bwt != result.bwt else f"{result.bwt:+.3f}"
        fgt = "n/a" if result.forgetting != result.forgetting else f"{result.forgetting:+.3f}"
        print(f"  mean best@1 {mean:.3f}; BWT {bwt}; forgetting {fgt}")


if __name__ == "__main__":
    main()
