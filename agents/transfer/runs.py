"""The runs of a transfer study: each scheme x seed under the small policy and under the LM, on the same instances.

Both sides share the task, its settings, the training and evaluation pools (``train_first_seed``,
``eval_first_seed``, ``train_instances``, ``eval_instances``, ``eval_samples``) and the seed of every run; each side
has its own steps, batch and warm start (``PolicyBudget``), because an LM step costs far more than a GRU step. Every
run is trained to its side's long budget and evaluated at both budgets (the short one is a prefix of the long run),
so each side's ranking can be read at two budgets.

The small policy's runs are ordinary comparison runs (``agents.compare.worker.run_one``). An LM run's config is a
``TransferLMConfig``; the worker sends it to ``run_lm_one`` here. Run ids are ``<side>/<task>/<scheme>/seed<s>``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.compare.grid import RunSpec, equal_pool_samples, scheme_params
from agents.transfer.lms import LMChoice, lm_choice_from_dict, small_transformer_dir
from llm_bridge.aggregators import get_spec
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.trainer import TrainConfig, config_from_dict
from vecreward_envs.protocols import Demonstrations, TaskFamily, supports

SIDES = ("small", "lm")
"""The two policies of a study: the small GRU policy and the LM."""


@dataclass(frozen=True)
class PolicyBudget:
    """One side's training: two budgets (steps at which its ranking is read), batch, group and warm start."""

    short: int
    """The first budget: steps after which the side's ranking is read (an evaluation step of every run)."""
    long: int
    """The second budget, a multiple of the first: every run trains this many steps."""
    batch_size: int = 16
    """B prompts (instances) per step."""
    group_size: int = 8
    """G answers per prompt."""
    warm_start_steps: int = 100
    """Imitation steps before RL (0 for families without demonstrations)."""

    def __post_init__(self) -> None:
        for name in ("short", "long", "batch_size", "group_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.long > 1_000_000:
            raise ValueError(f"the long budget must be at most 1000000 steps, got {self.long}")
        if self.long <= self.short:
            raise ValueError(f"the long budget ({self.long} steps) must exceed the short one ({self.short})")
        if self.long % self.short:
            raise ValueError(f"the long budget ({self.long}) must be a multiple of the short one ({self.short}): "
                             "both are evaluation steps of the same run")
        if isinstance(self.warm_start_steps, bool) or not isinstance(self.warm_start_steps, int) \
                or self.warm_start_steps < 0:
            raise ValueError(f"warm start steps must be an int >= 0, got {self.warm_start_steps!r}")

    @property
    def eval_every(self) -> int:
        """Evaluations at every short budget: the short budget and the long one are both evaluation steps."""
        return self.short


@dataclass(frozen=True)
class SharedSettings:
    """What both sides of a study share: task instances, evaluation pool and its size."""

    task: str
    """The task family."""
    task_params: Mapping[str, Any]
    """Its settings (the same instances for both sides)."""
    train_instances: int = 512
    """The training pool's size."""
    eval_instances: int = 16
    """Held-out instances every evaluation samples."""
    eval_samples: int = 8
    """Samples per held-out instance (chains for set-level schemes; see ``train_config``)."""

    def __post_init__(self) -> None:
        for name, low in (("train_instances", 1), ("eval_instances", 1), ("eval_samples", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"--{name.replace('_', '-')} must be an int >= {low}, got {value!r}")


@dataclass(frozen=True)
class TransferLMConfig:
    """What one LM run trains: the LM choice, the run's ``TrainConfig`` and where from-scratch weights live."""

    lm: LMChoice
    """Which LM and its policy settings."""
    train: TrainConfig
    """The run (its ``warm_start_steps`` is 0: the warm start is shared, below)."""
    models_dir: str
    """Where the study keeps initial and warm-started weights (``<out>/models``)."""
    shared_warm_start: int = 0
    """Imitation steps done once per seed and shared by every scheme's run of that seed (the warm start does not
    depend on the scheme; ``warm_started_dir``); the run itself then has ``warm_start_steps=0``."""

    def to_dict(self) -> dict[str, Any]:
        """The worker's form (``is_transfer_lm_config`` recognizes it)."""
        return {"transfer_lm": self.lm.to_dict(), "train": self.train.to_dict(), "models_dir": self.models_dir,
                "shared_warm_start": self.shared_warm_start}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TransferLMConfig:
        """Read ``to_dict()`` back."""
        return cls(lm_choice_from_dict(dict(data["transfer_lm"])), config_from_dict(data["train"]),
                   str(data["models_dir"]), int(data["shared_warm_start"]))


def is_transfer_lm_config(config: Mapping[str, Any]) -> bool:
    """Whether a worker's config dict is an LM run of a transfer study."""
    return "transfer_lm" in config


def train_config(shared: SharedSettings, family: TaskFamily, aggregator: str, seed: int, budget: PolicyBudget,
                 schemes: Sequence[str] = ()) -> TrainConfig:
    """One run's ``TrainConfig`` (the scheme's needs filled from the family and the long budget).

    ``schemes``: the study's schemes (``aggregator`` alone when empty); a scheme with shorter chains than the
    longest among them draws more samples, so that every scheme's pool holds the same number of answers
    (``grid.equal_pool_samples``). A scheme whose
    settings follow the run's length (rvpo's temperature ramp, ``total_steps``) is set for the long budget, so its
    short-budget reading is the long run part-way, not a run planned for the short budget.
    """
    spec = get_spec(aggregator)
    pipeline = PipelineConfig(aggregator=aggregator, aggregator_params=scheme_params(aggregator, family, budget.long))
    return TrainConfig(
        task=shared.task, task_params=dict(shared.task_params), pipeline=pipeline, steps=budget.long,
        batch_size=budget.batch_size, group_size=budget.group_size, chain_length=spec.chain_length,
        train_instances=shared.train_instances, eval_instances=shared.eval_instances,
        eval_samples=equal_pool_samples(shared.eval_samples, spec.chain_length, list(schemes) or [aggregator]),
        eval_every=budget.eval_every, checkpoint_every=budget.eval_every,
        warm_start_steps=budget.warm_start_steps if supports(family, Demonstrations) else 0,
        eval_at_start=True, seed=seed,
    )


def transfer_specs(shared: SharedSettings, family: TaskFamily, aggregators: Sequence[str], seeds: int,
                   small: PolicyBudget, lm: PolicyBudget, choice: LMChoice, models_dir: Path,
                   order: str = "seed") -> dict[str, list[RunSpec]]:
    """Every run of the study, per side: ``{"small": [...], "lm": [...]}`` (run ids ``<side>/<task>/...``).

    ``order``: ``seed`` (every scheme of seed 0, then seed 1, ...: a study stopped early holds whole seeds) or
    ``scheme`` (every seed of the first scheme, then the next).
    """
    out: dict[str, list[RunSpec]] = {side: [] for side in SIDES}
    cells = [(a, s) for s in range(seeds) for a in aggregators]
    if order == "scheme":
        cells = [(a, s) for a in aggregators for s in range(seeds)]
    elif order != "seed":
        raise ValueError(f"order must be 'seed' or 'scheme', got {order!r}")
    for aggregator, seed in cells:
        out["small"].append(RunSpec(f"small/{shared.task}", aggregator, seed,
                                    train_config(shared, family, aggregator, seed, small, aggregators)))
        run = train_config(shared, family, aggregator, seed, lm, aggregators)
        # one warm start per seed, shared by the schemes (see TransferLMConfig)
        shared_warm, run = run.warm_start_steps, dataclasses.replace(run, warm_start_steps=0)
        config = TransferLMConfig(choice, run, str(models_dir), shared_warm)
        out["lm"].append(RunSpec(f"lm/{shared.task}", aggregator, seed, config))
    return out


def task_label(run: TrainConfig) -> str:
    """The task and a short hash of its settings, for names of files that depend on both."""
    import hashlib
    import json

    settings = json.dumps(dict(run.task_params), sort_keys=True, default=str)
    return f"{run.task}-{hashlib.sha1(settings.encode()).hexdigest()[:8]}"


DECODING_ONLY = ("drop_finished_rows",)
"""Policy settings added after warm starts were first saved that only change decoding, not the teacher-forced
imitation: they stay out of a warm start's key. (Older decoding settings, such as the temperature, are in the key,
so that existing warm starts keep their names.)"""


def warm_start_key(root: Path, policy_config: Any, run: TrainConfig, steps: int) -> str:
    """What a warm start depends on, as canonical JSON: its directory is named by this text's hash."""
    import json

    # Every policy setting but DECODING_ONLY; the model as a resolved path, relative to the study's models/ when it
    # is one of its own (so a moved or copied study finds its warm starts again).
    settings = dataclasses.asdict(policy_config)
    for name in DECODING_ONLY:
        settings.pop(name)
    model = Path(policy_config.model).expanduser().resolve()
    settings["model"] = str(model.relative_to(root.resolve()) if model.is_relative_to(root.resolve()) else model)
    return json.dumps({"policy": settings, "task": run.task, "params": dict(run.task_params),
                       "pool": [run.train_first_seed, run.train_instances], "batch": run.batch_size, "steps": steps,
                       "seed": run.seed}, sort_keys=True, default=str)


def warm_started_dir(root: Path, policy_config: Any, family: TaskFamily, run: TrainConfig, steps: int) -> Path:
    """The weights of ``policy_config.model`` after ``steps`` imitation steps as ``run`` takes them, under ``root``.

    Built once per seed and shared by every scheme's run (the warm start does not depend on the scheme). The
    directory is named by everything the warm start depends on (model, LoRA, task and settings, pools, batch,
    learning rate, steps, seed), built under a lock so that two workers never build it twice, and renamed into place
    when complete. LoRA adapters are merged into the weights, so the saved model is an ordinary checkpoint; each RL
    run then trains fresh adapters on it. The imitation's optimizer state is not kept: RL starts with a fresh AdamW.
    """
    import fcntl
    import hashlib
    import os
    import shutil

    from agents.llm.policy import HFPolicy
    from llm_bridge.trainer import warm_start

    key = warm_start_key(root, policy_config, run, steps)
    name = f"{Path(policy_config.model).name}-{task_label(run)}-seed{run.seed}-warm{steps}"
    final = root / f"{name}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / (final.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / "config.json").exists():
            return final
        policy = HFPolicy(policy_config, seed=run.seed)
        warm_start(policy, family, family.instances(run.train_first_seed, run.train_instances), run, steps)
        model = policy.model.merge_and_unload() if policy_config.lora else policy.model
        tmp = root / f".{final.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp)
        policy.tokenizer.save_pretrained(tmp)
        (tmp / "warm_start.json").write_text(key)
        os.replace(tmp, final)
    return final


def run_lm_one(run_id: str, config_dict: Mapping[str, Any], run_dir: Path, progress_queue: Any = None
               ) -> dict[str, Any]:
    """Train one LM run (``HFPolicy``) in ``run_dir``, continuing its checkpoint if any; its record."""
    import torch

    from agents.llm.policy import HFPolicy
    from llm_bridge.trainer import train
    from vecreward_envs.families import make_family

    config = TransferLMConfig.from_dict(config_dict)
    run = config.train
    policy_config = config.lm.policy
    torch.set_num_threads(config.lm.threads)
    family = make_family(run.task, **dict(run.task_params))
    if config.lm.architecture is not None:  # from scratch: this seed's random weights, built once
        model_dir = small_transformer_dir(Path(config.models_dir), config.lm.architecture, run.seed, family,
                                          task_label(run))
        policy_config = dataclasses.replace(policy_config, model=str(model_dir))
    if config.shared_warm_start:  # this seed's warm-started weights, built once for every scheme
        imitation = dataclasses.replace(policy_config, lr=config.lm.warm_lr or policy_config.lr)
        model_dir = warm_started_dir(Path(config.models_dir), imitation, family, run, config.shared_warm_start)
        policy_config = dataclasses.replace(policy_config, model=str(model_dir))
    policy = HFPolicy(policy_config, seed=run.seed)

    def report(step: int, row: dict) -> None:
        if progress_queue is not None:
            progress_queue.put((run_id, step + 1, run.steps))

    started = time.perf_counter()
    result = train(run, policy, family, run_dir, resume=run_dir.exists(), progress=False, on_step=report)
    for note in result.notes:
        print(f"{run_id}: {note}", flush=True)
    if result.last_eval_rewards is None:
        raise RuntimeError(f"{run_id}: its last checkpoint predates kept evaluation pools; delete {run_dir} to redo it")
    return {
        "task": run.task, "aggregator": run.pipeline.aggregator, "seed": run.seed, "run_id": run_id,
        "steps": run.steps, "chain_length": run.chain_length, "wall_seconds": time.perf_counter() - started,
        "final": result.last_eval, "reward_names": list(family.reward_names), "lm": config.lm.name,
        "eval_rewards": np.asarray(result.last_eval_rewards, dtype=np.float64).round(6).tolist(),
    }
