"""The training loop: any policy, any task family, any aggregation pipeline.

One step (``shared/DESIGN.md``, data flow):

    B instances (seeded pool) -> policy samples G rollouts of m answers each -> family scores [B, G, m, K]
      -> pipeline: reward transforms, aggregator, advantage transforms -> advantages [B, G]
      -> policy.update (PPO-clip, sequence advantage broadcast to tokens) -> metrics, TensorBoard, checkpoint

A game family (``JointPlay``, e.g. the multi-agent maze) runs through the same step: the policy is a team, the
rewards carry an agent axis [B, G, m, A, K], and each agent's slice goes through its own pipeline
(``agent_pipelines``, e.g. personas) to advantages [B, G, A].

The family is asked only for what ``vecreward_envs.protocols`` writes down: the core, and the abilities a run
needs (``Demonstrations`` for a warm start, the policy's view for sampling and scoring).

Randomness comes from explicit generators (instance sampling, the aggregator's Dirichlet draws, the policy's
sampler), all saved in checkpoints, so a resumed run logs the same numbers as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from llm_bridge import metrics as M
from llm_bridge.aggregators import get_spec
from llm_bridge.evaluation import pool_metrics
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from llm_bridge.policy import Policy
from llm_bridge.refinement import PICK_STREAM, RefineConfig, check_refinement, refine_group
from llm_bridge.rollout import score
from llm_bridge.run_logging import RunLogger, WandbConfig
from vecreward_envs.protocols import Demonstrations, Instance, JointPlay, TaskFamily, require, supports

MAX_SEED = 2**32 - 1
"""Largest run seed. torch's ``manual_seed`` overflows above 2**64 - 1 and the policies seed from ``seed * 100 + a``
and ``seed + 1``; a 32-bit range keeps every derived seed valid and is what users expect of a seed."""


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
    eval_at_start: bool = False
    """Also evaluate once before the first RL step (after any warm start), logged in step 0's row as
    ``start/eval/*``: the baseline a run's learning is measured against. The evaluation draws from the policy's
    sampling generator, so the run's later samples differ from those of the same run without it."""
    seed: int = 0
    """Seed of every generator of the run (0 to 2**32 - 1)."""
    agent_pipelines: tuple[PipelineConfig, ...] = ()
    """Game families only: one pipeline per agent (e.g. a persona's objective weights); empty: every agent uses
    ``pipeline``. Every one must use an aggregator of the same level (vector or set) as ``pipeline``."""
    refine: RefineConfig | None = None
    """Critique-guided refinement (``docs/refinement.md``): R refined answers join each group of ``group_size``
    first answers; None: plain RL."""

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
        if not isinstance(self.eval_at_start, bool):
            raise ValueError(f"TrainConfig.eval_at_start must be a bool, got {self.eval_at_start!r}")
        if self.seed > MAX_SEED:
            raise ValueError(f"TrainConfig.seed must be <= {MAX_SEED} (a 32-bit seed), got {self.seed}")
        if not isinstance(self.pipeline, PipelineConfig):
            raise TypeError("TrainConfig.pipeline must be a PipelineConfig")
        agents = tuple(p if isinstance(p, PipelineConfig) else PipelineConfig.from_dict(p)
                       for p in self.agent_pipelines)
        object.__setattr__(self, "agent_pipelines", agents)
        level = get_spec(self.pipeline.aggregator).level
        if any(get_spec(p.aggregator).level != level for p in agents):
            raise ValueError("TrainConfig.agent_pipelines must all use aggregators of the level of pipeline "
                             f"({level}-level)")
        if level == "vector" and self.chain_length != 1:
            raise ValueError(f"aggregator {self.pipeline.aggregator!r} scores single answers: use chain_length=1, "
                             "or a set-level aggregator (vpo, multi_rlvr, max_at_k) for chains")
        if self.eval_samples < 2:
            raise ValueError("eval_samples must be >= 2 (diversity and best@k need a pool)")
        if isinstance(self.refine, Mapping):
            names = {f.name for f in dataclasses.fields(RefineConfig)}
            if set(self.refine) - names:
                raise ValueError(f"TrainConfig.refine: unknown key(s) {sorted(set(self.refine) - names)}; valid: "
                                 f"{sorted(names)}")
            object.__setattr__(self, "refine", RefineConfig(**self.refine))
        if self.refine is not None:
            if not isinstance(self.refine, RefineConfig):
                raise TypeError("TrainConfig.refine must be a RefineConfig or None")
            if self.chain_length != 1 or level != "vector":
                raise ValueError("TrainConfig.refine refines single answers: use chain_length=1 and a vector-level "
                                 "aggregator")
            if self.refine.answers > self.group_size:
                raise ValueError(f"TrainConfig.refine: cannot refine {self.refine.answers} answers of groups of "
                                 f"group_size={self.group_size}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (written to the run directory)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["task_params"] = dict(self.task_params)
        out["pipeline"] = _pipeline_dict(self.pipeline)
        if self.agent_pipelines:
            out["agent_pipelines"] = [_pipeline_dict(p) for p in self.agent_pipelines]
        else:  # single-agent configs keep the form they had before games ran on this loop (resume compares it)
            del out["agent_pipelines"]
        if not self.eval_at_start:  # runs without it keep their earlier form (resume compares it)
            del out["eval_at_start"]
        if self.refine is None:  # plain runs keep the form they had before refinement (resume compares it)
            del out["refine"]
        else:
            out["refine"] = self.refine.to_dict()
        return out

    def pipelines(self, n_agents: int) -> tuple[PipelineConfig, ...]:
        """The pipeline of each of ``n_agents`` agents (1 for a single-agent family).

        Raises:
            ValueError: ``agent_pipelines`` names a different number of agents.
        """
        if not self.agent_pipelines:
            return (self.pipeline,) * n_agents
        if len(self.agent_pipelines) != n_agents:
            raise ValueError(f"agent_pipelines has {len(self.agent_pipelines)} pipelines for {n_agents} agents")
        return self.agent_pipelines


def _pipeline_dict(p: PipelineConfig) -> dict[str, Any]:
    """The form ``PipelineConfig.from_dict`` reads back."""
    return {
        "aggregator": p.aggregator,
        "aggregator_params": dict(p.aggregator_params),
        "weights": None if p.weights is None else list(p.weights),
        "reward_transforms": [{"name": t.name, "params": dict(t.params)} for t in p.reward_transforms],
        "advantage_transforms": [{"name": t.name, "params": dict(t.params)} for t in p.advantage_transforms],
    }


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


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the policy on the held-out instances."""

    metrics: dict[str, float]
    """``eval/*`` metrics, averaged over instances."""
    rewards: np.ndarray
    """float32 [B, S, m, K] ([B, S, m, A, K] for a game): the sampled pool every metric was computed from."""


def evaluate(policy: Policy, family: TaskFamily, instances: list[Instance], config: TrainConfig,
             weights: np.ndarray, hv_ref: np.ndarray) -> Evaluation:
    """Sample ``eval_samples`` rollouts per held-out instance and compute the pool metrics (``eval/*``).

    A game family gets its own ``game_metrics`` and per-agent objective means instead of the single-agent pool
    metrics (best@k, fronts), which do not say what a joint game means.
    """
    samples = policy.sample(family, instances, config.eval_samples, config.chain_length)
    scored = score(family, instances, samples, view=policy.view, chain_length=config.chain_length, truth=True)
    names = tuple(family.reward_names)
    if supports(family, JointPlay):
        out = require(family, JointPlay, "joint evaluation").game_metrics(scored.rewards, prefix="eval")
    else:
        ks = sorted({1, min(4, config.eval_samples), config.eval_samples})
        out = pool_metrics(scored.rewards, np.asarray(family.reward_high, dtype=np.float64), hv_ref, weights, ks)
    pool_all = scored.rewards.reshape(-1, len(names))
    out.update(M.per_objective(pool_all, names, prefix="eval"))
    out["eval/bottleneck"] = M.bottleneck(pool_all)
    out["eval/invalid_rate"] = float(scored.invalid.mean())
    if samples.entropy is not None:  # the policy's mean per-token entropy on these instances (schedules log it)
        out["eval/entropy"] = float(np.mean(samples.entropy))
    return Evaluation(metrics=out, rewards=scored.rewards)


@dataclass
class TrainResult:
    """What ``train`` returns."""

    run_dir: Path
    last_eval: dict[str, float]
    """The last evaluation's metrics (``eval/*``)."""
    history: list[dict[str, Any]]
    """Every logged row (``metrics.jsonl``)."""
    seconds: float
    last_eval_rewards: np.ndarray | None = None
    """float32 [B, S, m, K] ([B, S, m, A, K] for a game): the pool the last evaluation sampled (``None`` for a
    checkpoint written before evaluations were kept)."""
    notes: list[str] = field(default_factory=list)
    """How a resume recovered from damaged files (one line each; empty when nothing was damaged)."""
    wandb_dir: Path | None = None
    """The W&B run's local directory (with ``wandb=``; ``wandb sync`` it to upload an offline run)."""


def train(config: TrainConfig, policy: Policy, family: TaskFamily, run_dir: str | Path, *, resume: bool = False,
          progress: bool = True, tensorboard: bool = True,
          on_step: Callable[[int, dict[str, float]], None] | None = None,
          wandb: WandbConfig | None = None) -> TrainResult:
    """Train ``policy`` on ``family`` under ``config``; write ``run_dir``; return the last evaluation.

    Args:
        config: the run's settings (validated).
        policy: any ``Policy`` (small network, LLM, a team for a game family).
        family: the task family named by ``config.task`` (built by the caller with ``config.task_params``).
        run_dir: output directory (see ``run_logging``).
        resume: continue from ``run_dir``'s last checkpoint (its config must be identical).
        progress: show a rich progress bar with ETA.
        tensorboard: write TensorBoard events.
        on_step: called with (step, metrics) after every step.
        wandb: also log to a Weights & Biases run (the TensorBoard names; offline unless ``WANDB_MODE`` or
            ``wandb.mode`` says otherwise); None: no W&B.

    Raises:
        ValueError: the family lacks an ability the run needs (one line naming it), or ``agent_pipelines`` does
            not match the game's agents.
    """
    demonstrations = require(family, Demonstrations, "warm_start_steps") if config.warm_start_steps else None
    if config.refine is not None:
        check_refinement(policy, family)
    n_agents = require(family, JointPlay, "a team").n_agents if supports(family, JointPlay) else 1
    pipelines = config.pipelines(n_agents)
    names = tuple(family.reward_names)
    low = np.asarray(family.reward_low, dtype=np.float64)
    high = np.asarray(family.reward_high, dtype=np.float64)
    hv_ref = low - 0.1 * (high - low)  # strictly below every reachable vector
    train_pool = family.instances(config.train_first_seed, config.train_instances)
    eval_pool = family.instances(config.eval_first_seed, config.eval_instances)
    # last before the loop's try: a logger (a W&B run) is opened only once nothing before it can fail
    logger = RunLogger(run_dir, config.to_dict(), resume=resume, tensorboard=tensorboard, wandb=wandb)
    eu_weights = M.dirichlet_weights(len(names), 100, np.random.default_rng([config.seed, 7]))
    instance_rng = np.random.default_rng([config.seed, 1])
    aggregator_rng = np.random.default_rng([config.seed, 2])
    start = 0
    last_eval: dict[str, float] = {}
    last_eval_rewards: np.ndarray | None = None
    checkpoint = restore_run(logger, policy, run_dir, resume, instance_rng, aggregator_rng)
    if checkpoint is not None:
        start = checkpoint["step"] + 1
        last_eval = checkpoint.get("last_eval", {})
        last_eval_rewards = checkpoint.get("last_eval_rewards")
    if start == 0 and demonstrations is not None:
        warm_start(policy, family, train_pool, config)
    start_eval: dict[str, float] = {}
    if start == 0 and config.eval_at_start:
        baseline = evaluate(policy, family, eval_pool, config, eu_weights, hv_ref)
        start_eval = {f"start/{name}": value for name, value in baseline.metrics.items()}

    started = time.perf_counter()
    bar = progress_bar(progress, config.steps, start)
    try:
        for step in range(start, config.steps):
            instances = [train_pool[i] for i in instance_rng.integers(len(train_pool), size=config.batch_size)]
            row = rl_step(policy, family, instances, config, pipelines, aggregator_rng, step)
            if step == 0:
                row.update(start_eval)
            last = step == config.steps - 1
            if (step + 1) % config.eval_every == 0 or last:
                evaluation = evaluate(policy, family, eval_pool, config, eu_weights, hv_ref)
                last_eval, last_eval_rewards = evaluation.metrics, evaluation.rewards
                row.update(last_eval)
            logger.log(step, row)
            if on_step is not None:
                on_step(step, row)
            if (step + 1) % config.checkpoint_every == 0 or last:
                logger.save_checkpoint({
                    "step": step, "policy": policy.state_dict(), "last_eval": last_eval,
                    "last_eval_rewards": last_eval_rewards,
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
                       seconds=time.perf_counter() - started, last_eval_rewards=last_eval_rewards,
                       notes=list(logger.notes), wandb_dir=logger.wandb.path if logger.wandb is not None else None)


def warm_start(policy: Policy, family: TaskFamily, train_pool: Sequence[Instance], config: TrainConfig,
               steps: int | None = None) -> None:
    """Imitation on solver demonstrations before RL: what ``train`` does first.

    ``steps`` (default ``config.warm_start_steps``) supervised steps of ``batch_size`` training instances each,
    drawn by the run's seed.
    """
    demonstrations = require(family, Demonstrations, "warm_start_steps")
    demo_rng = np.random.default_rng([config.seed, 3])
    for _ in range(config.warm_start_steps if steps is None else steps):
        batch = [train_pool[i] for i in demo_rng.integers(len(train_pool), size=config.batch_size)]
        demos = (demonstrations.demonstration_texts(batch) if policy.view == "text"
                 else demonstrations.demonstrations(batch))
        policy.imitate(family, batch, demos)


def restore_run(logger: RunLogger, policy: Policy, run_dir: str | Path, resume: bool,
                instance_rng: np.random.Generator, aggregator_rng: np.random.Generator) -> dict[str, Any] | None:
    """With ``resume``: the last good checkpoint, restored into the policy and the two generators (None: none).

    The metrics file is cut back to the checkpoint's step (a killed run logged steps it will redo), or emptied when
    there is no checkpoint. Shared by ``train`` and ``llm_bridge.schedule.run_schedule``.

    Raises:
        ValueError: one line, when the checkpoint does not fit the policy (its options were changed).
    """
    checkpoint = logger.load_checkpoint() if resume else None
    if checkpoint is None:
        if resume:
            logger.truncate_after(-1)
        return None
    try:
        policy.load_state_dict(checkpoint["policy"])
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        logger.close()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ValueError(f"cannot resume {run_dir}: its checkpoint does not fit this policy (were the policy's "
                         f"options changed?): {first}") from None
    instance_rng.bit_generator.state = checkpoint["instance_rng"]
    aggregator_rng.bit_generator.state = checkpoint["aggregator_rng"]
    logger.truncate_after(checkpoint["step"])
    return checkpoint


def rl_step(policy: Policy, family: TaskFamily, instances: Sequence[Instance], config: TrainConfig,
            pipelines: Sequence[PipelineConfig], aggregator_rng: np.random.Generator, step: int, *,
            run_step: int | None = None) -> dict[str, float]:
    """One RL step on ``instances``: sample G rollouts each, score, aggregate, update; the step's ``train/*`` row.

    ``pipelines`` holds one pipeline per agent (``config.pipelines(n_agents)``); the aggregator draws from
    ``aggregator_rng``. Shared by ``train`` and the stages of a schedule (``llm_bridge.schedule``). ``step`` is the
    step the scheme sees (a schedule's step within its stage, for rvpo's temperature); ``run_step`` (default
    ``step``) the run's own, which seeds the refinement picks so that no two steps of a run share them.

    With ``config.refine``, R refined answers join each group (``llm_bridge.refinement``): the pipeline, the update
    and the ``train/*`` reward metrics see the mixed group [B, G + R]; ``refine/*`` metrics describe the refinements.
    """
    n_agents = len(pipelines)
    names = tuple(family.reward_names)
    set_level = get_spec(config.pipeline.aggregator).level == "set"
    samples = policy.sample(family, instances, config.group_size, config.chain_length)
    scored = score(family, instances, samples, view=policy.view, chain_length=config.chain_length)
    rewards, invalid, extra = scored.rewards, scored.invalid, {}
    if config.refine is not None:
        pick_rng = np.random.default_rng([config.seed, PICK_STREAM, step if run_step is None else run_step])
        mixed = refine_group(policy, family, instances, samples, rewards, invalid, config.refine, pick_rng)
        samples, rewards, invalid, extra = mixed.samples, mixed.rewards, mixed.invalid, mixed.metrics
    advantages = _advantages(pipelines, rewards, set_level, aggregator_rng, step)  # [B, G(, A)]
    stats = policy.update(samples, advantages)
    row = {**_step_metrics(family, names, rewards, n_agents), **stats, **extra}
    row["train/invalid_rate"] = float(invalid.mean())
    row["train/advantage_abs_mean"] = float(np.abs(advantages).mean())
    row["train/tokens_mean"] = float(samples.n_tokens.mean())
    return row


def _advantages(pipelines: Sequence[PipelineConfig], rewards: np.ndarray, set_level: bool,
                rng: np.random.Generator, step: int) -> np.ndarray:
    """Advantages [B, G] of rewards [B, G, m, K], or [B, G, A] of a game's rewards [B, G, m, A, K].

    In a game each agent's own slice goes through its own pipeline (agents in order, all drawing from the one
    aggregator generator).
    """

    def one(r: np.ndarray, pipeline: PipelineConfig) -> np.ndarray:
        return np.asarray(run_pipeline(pipeline, r if set_level else r[:, :, 0, :], rng=rng, step=step))

    if rewards.ndim == 4:
        return one(rewards, pipelines[0])
    return np.stack([one(rewards[:, :, :, a, :], p) for a, p in enumerate(pipelines)], axis=-1)


def _step_metrics(family: TaskFamily, names: tuple[str, ...], rewards: np.ndarray, n_agents: int
                  ) -> dict[str, float]:
    """Reward metrics of one step's rollouts [B, G, m, (A,) K] (every agent's rewards pooled, then per agent)."""
    flat = rewards.reshape(-1, len(names))
    row = M.per_objective(flat, names)
    row["train/reward_scalar"] = float(M.scalar(flat).mean())
    if n_agents == 1:
        row["train/zero_spread_fraction"] = M.zero_spread_fraction(rewards)
        return row
    row["train/zero_spread_fraction"] = float(np.mean([M.zero_spread_fraction(rewards[:, :, :, a, :])
                                                       for a in range(n_agents)]))
    for a in range(n_agents):
        row[f"train/agent_{a}/reward_scalar"] = float(M.scalar(rewards[..., a, :].reshape(-1, len(names))).mean())
    row.update(require(family, JointPlay, "game metrics").game_metrics(rewards, prefix="train"))
    return row


def progress_bar(enabled: bool, total: int, start: int) -> tuple[Any, Any] | None:
    """A started rich progress bar with ETA and its task (None when disabled); ``train`` and schedules use it."""
    if not enabled:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn())
    task = bar.add_task("training", total=total, completed=start)
    bar.start()
    return bar, task
