"""The training loop: any policy, any task family, any aggregation pipeline.

One step (``shared/DESIGN.md``, data flow):

    B instances (seeded pool) -> policy samples G rollouts of m answers each -> family scores [B, G, m, K]
      -> pipeline: reward transforms, aggregator, advantage transforms -> advantages [B, G]
      -> policy.update (PPO-clip, sequence advantage broadcast to tokens) -> metrics, TensorBoard, checkpoint

Randomness comes from explicit generators (instance sampling, the aggregator's Dirichlet draws, the policy's
sampler), all saved in checkpoints, so a resumed run logs the same numbers as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from llm_bridge import metrics as M
from llm_bridge.aggregators import get_spec
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from llm_bridge.policy import Policy
from llm_bridge.rollout import score
from llm_bridge.run_logging import RunLogger


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (the policy's own settings live with the policy)."""

    task: str = "maze"
    """Task family name (``vecreward_envs.families.family_names()``)."""
    task_params: Mapping[str, Any] = field(default_factory=dict)
    """Parameters of the family's config (e.g. ``{"size": 11}``)."""
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    """Reward transforms, aggregator (with its parameters and weights) and advantage transforms."""
    steps: int = 200
    """Policy updates."""
    batch_size: int = 32
    """B: instances per step."""
    group_size: int = 8
    """G: rollouts per instance (all on the same instance)."""
    chain_length: int = 1
    """m: answers per rollout (> 1 only with a set-level aggregator such as vpo, multi_rlvr, max_at_k)."""
    train_instances: int = 2048
    """Size of the training pool of instances (seeds from ``train_first_seed``)."""
    train_first_seed: int = 0
    """First seed of the training pool."""
    eval_instances: int = 32
    """Held-out instances for evaluation (seeds from ``eval_first_seed``)."""
    eval_first_seed: int = 1_000_000
    """First seed of the evaluation pool (far from the training seeds)."""
    eval_samples: int = 16
    """Rollouts sampled per evaluation instance (the pool for best@k, pass@k, diversity, fronts)."""
    eval_every: int = 25
    """Evaluate every this many steps (and after the last)."""
    checkpoint_every: int = 25
    """Checkpoint every this many steps (and after the last)."""
    warm_start_steps: int = 0
    """Imitation steps on the family's solver demonstrations before RL (0: none)."""
    seed: int = 0
    """Seed of every generator of the run."""

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "group_size", "chain_length", "train_instances", "eval_instances",
                     "eval_samples", "eval_every", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be an int >= 1, got {value!r}")
        for name in ("train_first_seed", "eval_first_seed", "seed", "warm_start_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"TrainConfig.{name} must be an int >= 0, got {value!r}")
        if not isinstance(self.pipeline, PipelineConfig):
            raise TypeError("TrainConfig.pipeline must be a PipelineConfig")
        level = get_spec(self.pipeline.aggregator).level
        if level == "vector" and self.chain_length != 1:
            raise ValueError(f"aggregator {self.pipeline.aggregator!r} scores single answers: use chain_length=1, "
                             "or a set-level aggregator (vpo, multi_rlvr, max_at_k) for chains")
        if self.eval_samples < 2:
            raise ValueError("eval_samples must be >= 2 (diversity and best@k need a pool)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (written to the run directory)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["task_params"] = dict(self.task_params)
        p = self.pipeline
        out["pipeline"] = {  # the form PipelineConfig.from_dict reads back
            "aggregator": p.aggregator,
            "aggregator_params": dict(p.aggregator_params),
            "weights": None if p.weights is None else list(p.weights),
            "reward_transforms": [{"name": t.name, "params": dict(t.params)} for t in p.reward_transforms],
            "advantage_transforms": [{"name": t.name, "params": dict(t.params)} for t in p.advantage_transforms],
        }
        return out


def config_from_dict(data: Mapping[str, Any]) -> TrainConfig:
    """Rebuild a ``TrainConfig`` from ``TrainConfig.to_dict()`` (e.g. in a worker process or from config.json).

    Raises:
        ValueError: unknown keys (listed with the valid ones) or invalid values.
    """
    valid = [f.name for f in dataclasses.fields(TrainConfig)]
    unknown = sorted(set(data) - set(valid))
    if unknown:
        raise ValueError(f"unknown TrainConfig key(s) {unknown}; valid: {valid}")
    values = dict(data)
    if "pipeline" in values and not isinstance(values["pipeline"], PipelineConfig):
        values["pipeline"] = PipelineConfig.from_dict(values["pipeline"])
    return TrainConfig(**values)


def evaluate(policy: Policy, family: Any, instances: list, config: TrainConfig, weights: np.ndarray,
             hv_ref: np.ndarray) -> dict[str, float]:
    """Pool metrics on held-out instances, averaged over instances (``eval/*``)."""
    samples = policy.sample(family, instances, config.eval_samples, config.chain_length)
    scored = score(family, instances, samples, view=policy.view, chain_length=config.chain_length)
    high = np.asarray(getattr(family, "reward_high", np.ones(len(family.reward_names))), dtype=np.float64)
    names = tuple(family.reward_names)
    per_instance: dict[str, list[float]] = {}
    pool_all = scored.rewards.reshape(-1, len(names))
    ks = sorted({1, min(4, config.eval_samples), config.eval_samples})
    for b in range(len(instances)):
        pool = scored.rewards[b].reshape(-1, len(names))  # [G * m, K]
        if config.chain_length > 1:  # a chain counts as one sample: its best answer (set-level view)
            chain_scalar = M.scalar(pool).reshape(config.eval_samples, config.chain_length).max(axis=1)
            chain_pass = M.passes(pool, high).reshape(config.eval_samples, config.chain_length).any(axis=1)
        else:
            chain_scalar, chain_pass = M.scalar(pool), M.passes(pool, high)
        row = {f"eval/best@{k}": M.best_at_k(chain_scalar, k) for k in ks}
        row.update({f"eval/pass@{k}": M.pass_at_k(len(chain_pass), int(chain_pass.sum()), k) for k in ks})
        row.update({
            "eval/diversity": M.diversity(pool),
            "eval/pareto_count": float(M.pareto_count(pool)),
            "eval/hypervolume": M.hypervolume(pool, hv_ref),
            "eval/expected_utility": M.expected_utility(pool, weights),
        })
        for key, value in row.items():
            per_instance.setdefault(key, []).append(value)
    out = {key: float(np.mean(values)) for key, values in per_instance.items()}
    out.update(M.per_objective(pool_all, names, prefix="eval"))
    out["eval/bottleneck"] = M.bottleneck(pool_all)
    out["eval/invalid_rate"] = float(scored.invalid.mean())
    return out


@dataclass
class TrainResult:
    """What ``train`` returns."""

    run_dir: Path
    last_eval: dict[str, float]
    history: list[dict[str, Any]]
    seconds: float


def train(config: TrainConfig, policy: Policy, family: Any, run_dir: str | Path, *, resume: bool = False,
          progress: bool = True, tensorboard: bool = True,
          on_step: Callable[[int, dict[str, float]], None] | None = None) -> TrainResult:
    """Train ``policy`` on ``family`` under ``config``; write ``run_dir``; return the last evaluation.

    Args:
        config: the run's settings (validated).
        policy: any ``Policy`` (small network, LLM).
        family: the task family named by ``config.task`` (built by the caller with ``config.task_params``).
        run_dir: output directory (see ``run_logging``).
        resume: continue from ``run_dir``'s last checkpoint (its config must be identical).
        progress: show a rich progress bar with ETA.
        tensorboard: write TensorBoard events.
        on_step: called with (step, metrics) after every step.
    """
    if config.warm_start_steps and not (hasattr(family, "demonstrations") and hasattr(policy, "imitate")):
        raise ValueError(f"warm_start_steps={config.warm_start_steps} needs a family with demonstrations() and a "
                         "policy with imitate()")
    logger = RunLogger(run_dir, config.to_dict(), resume=resume, tensorboard=tensorboard)
    names = tuple(family.reward_names)
    low = np.asarray(getattr(family, "reward_low", np.zeros(len(names))), dtype=np.float64)
    high = np.asarray(getattr(family, "reward_high", np.ones(len(names))), dtype=np.float64)
    hv_ref = low - 0.1 * (high - low)  # strictly below every reachable vector
    train_pool = family.instances(config.train_first_seed, config.train_instances)
    eval_pool = family.instances(config.eval_first_seed, config.eval_instances)
    eu_weights = M.dirichlet_weights(len(names), 100, np.random.default_rng([config.seed, 7]))
    instance_rng = np.random.default_rng([config.seed, 1])
    aggregator_rng = np.random.default_rng([config.seed, 2])
    set_level = get_spec(config.pipeline.aggregator).level == "set"
    start = 0
    last_eval: dict[str, float] = {}
    checkpoint = logger.load_checkpoint() if resume else None
    if checkpoint is not None:
        policy.load_state_dict(checkpoint["policy"])
        instance_rng.bit_generator.state = checkpoint["instance_rng"]
        aggregator_rng.bit_generator.state = checkpoint["aggregator_rng"]
        start = checkpoint["step"] + 1
        last_eval = checkpoint.get("last_eval", {})
        logger.truncate_after(checkpoint["step"])
    elif resume:
        logger.truncate_after(-1)
    if start == 0 and config.warm_start_steps:
        demo_rng = np.random.default_rng([config.seed, 3])
        for _ in range(config.warm_start_steps):
            batch = [train_pool[i] for i in demo_rng.integers(len(train_pool), size=config.batch_size)]
            policy.imitate(family, batch, family.demonstrations(batch))  # type: ignore[attr-defined]

    started = time.perf_counter()
    bar = _progress(progress, config.steps, start)
    try:
        for step in range(start, config.steps):
            instances = [train_pool[i] for i in instance_rng.integers(len(train_pool), size=config.batch_size)]
            samples = policy.sample(family, instances, config.group_size, config.chain_length)
            scored = score(family, instances, samples, view=policy.view, chain_length=config.chain_length)
            rewards = scored.rewards if set_level else scored.rewards[:, :, 0, :]  # [B, G, m, K] or [B, G, K]
            advantages = np.asarray(run_pipeline(config.pipeline, rewards, rng=aggregator_rng, step=step))
            stats = policy.update(samples, advantages)
            flat = scored.rewards.reshape(-1, len(names))
            row = {**M.per_objective(flat, names), **stats}
            row["train/reward_scalar"] = float(M.scalar(flat).mean())
            row["train/zero_spread_fraction"] = M.zero_spread_fraction(scored.rewards)
            row["train/invalid_rate"] = float(scored.invalid.mean())
            row["train/advantage_abs_mean"] = float(np.abs(advantages).mean())
            row["train/tokens_mean"] = float(samples.n_tokens.mean())
            last = step == config.steps - 1
            if (step + 1) % config.eval_every == 0 or last:
                last_eval = evaluate(policy, family, eval_pool, config, eu_weights, hv_ref)
                row.update(last_eval)
            logger.log(step, row)
            if on_step is not None:
                on_step(step, row)
            if (step + 1) % config.checkpoint_every == 0 or last:
                logger.save_checkpoint({
                    "step": step, "policy": policy.state_dict(), "last_eval": last_eval,
                    "instance_rng": instance_rng.bit_generator.state,
                    "aggregator_rng": aggregator_rng.bit_generator.state,
                })
            if bar is not None:
                bar[0].update(bar[1], advance=1, description=f"step {step + 1}/{config.steps} "
                              f"reward {row['train/reward_scalar']:.3f}")
    finally:
        if bar is not None:
            bar[0].stop()
        logger.close()
    return TrainResult(run_dir=Path(run_dir), last_eval=last_eval, history=logger.read_metrics(),
                       seconds=time.perf_counter() - started)


def _progress(enabled: bool, total: int, start: int) -> tuple[Any, Any] | None:
    if not enabled:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn())
    task = bar.add_task("training", total=total, completed=start)
    bar.start()
    return bar, task
