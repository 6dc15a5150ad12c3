"""One run of the grid, in a worker process: train, evaluate, write ``result.json`` atomically."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np


def _atomic_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=float))
    os.replace(tmp, path)


RECORD_KEYS = ("task", "aggregator", "seed", "run_id", "steps", "final", "reward_names", "eval_rewards")
"""What a finished run's ``result.json`` must hold."""


def finished_record(run_dir: Path) -> dict[str, Any] | None:
    """The run's record if it finished cleanly, else None.

    Cleanly: ``result.json`` parses and holds every ``RECORD_KEYS``, and ``metrics.jsonl`` has a line for every
    step. Otherwise (missing, truncated, partial) the run is continued from its last good checkpoint.
    """
    from llm_bridge.run_logging import complete_through, read_metrics_file

    try:
        record = json.loads((run_dir / "result.json").read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or any(key not in record for key in RECORD_KEYS):
        return None
    rows, _ = read_metrics_file(run_dir / "metrics.jsonl")
    steps = record["steps"]
    if not isinstance(steps, int) or not complete_through(rows, steps - 1):
        return None
    return record


def run_one(run_id: str, config_dict: dict[str, Any], run_dir: str, progress_queue: Any = None, *,
            wandb: Any = None) -> dict[str, Any]:
    """Train the run ``run_id`` (``TrainConfig.to_dict()`` form) in ``run_dir``, resuming its checkpoint if any.

    With ``wandb`` (a ``WandbConfig``) the run also logs to a W&B run named ``run_id`` (unless the config names
    one), tagged with its task and scheme.

    The record holds the final evaluation, the wall time, ``eval_rewards`` (the reward vectors the final
    evaluation sampled from the trained policy on the held-out instances, ``[eval_instances][eval_samples][m][K]``,
    NaN = not applicable: the very pool behind ``final``; per-task metrics such as pass@k for any k, calibration or
    constraint pass rates are computed from it) and, for families with an exact front (``ParetoFronts``), the pool
    of reward vectors on one held-out instance (for the report's front plot).
    """
    import numba
    import torch

    torch.set_num_threads(1)
    numba.set_num_threads(1)
    from agents.small import SmallPolicy
    from llm_bridge.rollout import score
    from llm_bridge.trainer import config_from_dict, train
    from vecreward_envs.families import make_family
    from vecreward_envs.protocols import ParetoFronts, supports

    path = Path(run_dir)
    done = path / "result.json"
    record = finished_record(path)
    if record is not None:
        return record
    if done.exists():
        print(f"{run_id}: result.json or metrics.jsonl is incomplete: the run is continued from its last good "
              "checkpoint", flush=True)
    from agents.compare.schedule_runs import is_schedule_config, run_schedule_one

    if is_schedule_config(config_dict):  # a schedule run (``agents.compare.schedule_runs``)
        record = run_schedule_one(run_id, config_dict, path, progress_queue)
        _atomic_json(done, record)
        return record
    from agents.transfer.runs import is_transfer_lm_config, run_lm_one

    if is_transfer_lm_config(config_dict):  # an LM run of a transfer study (``agents.transfer.runs``)
        record = run_lm_one(run_id, config_dict, path, progress_queue)
        _atomic_json(done, record)
        return record
    config = config_from_dict(config_dict)
    family = make_family(config.task, **dict(config.task_params))
    policy = SmallPolicy(family, family.generate(config.train_first_seed), seed=config.seed,
                         feedback=config.refine is not None)
    started = time.perf_counter()

    def report(step: int, row: dict) -> None:
        if progress_queue is not None:
            progress_queue.put((run_id, step + 1, config.steps))

    # Whatever a killed run left (no checkpoint, a damaged one, torn metrics), resuming picks the last good state.
    if wandb is not None:
        import dataclasses

        wandb = dataclasses.replace(wandb, name=wandb.name or run_id,
                                    tags=(*wandb.tags, config.task, config.pipeline.aggregator))
    result = train(config, policy, family, path, resume=path.exists(), progress=False, on_step=report, wandb=wandb)
    for note in result.notes:
        print(f"{run_id}: {note}", flush=True)
    record = {
        "task": config.task, "aggregator": config.pipeline.aggregator, "seed": config.seed, "run_id": run_id,
        "steps": config.steps, "chain_length": config.chain_length, "wall_seconds": time.perf_counter() - started,
        "final": result.last_eval, "reward_names": list(family.reward_names),
    }
    if result.last_eval_rewards is None:
        raise RuntimeError(f"{run_id}: its last checkpoint predates kept evaluation pools; delete {path} to redo it")
    record["eval_rewards"] = np.asarray(result.last_eval_rewards, dtype=np.float64).round(6).tolist()  # [B, S, m, K]
    if supports(family, ParetoFronts):
        instance = family.generate(config.eval_first_seed)
        samples = policy.sample(family, [instance], 64, config.chain_length)
        pool = score(family, [instance], samples, view=policy.view, chain_length=config.chain_length).rewards
        record["front_instance_seed"] = config.eval_first_seed
        record["pool"] = np.asarray(pool).reshape(-1, len(family.reward_names)).round(6).tolist()
    _atomic_json(done, record)
    return record
