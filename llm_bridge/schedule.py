"""Running a schedule: one policy through stages of imitation and RL on families or mixtures; BWT and forgetting.

A step of a stage goes to one of the stage's tasks, in turn (a mixture of two tasks alternates them step by step),
and is either an imitation step on the task's solver demonstrations or an RL step (``trainer.rl_step``, the very
step ``vecreward train`` takes). Every ``eval_every`` steps, and at the end of each stage, the policy is evaluated on
the held-out instances of *every* task of the schedule, trained yet or not, with the policy's entropy on each.
After each stage the headline score of each task goes into the matrix ``R[stage, task]``, from which the run's
backward transfer and forgetting are computed (``llm_bridge.transfer_metrics``).

Run directory (as ``trainer.train``'s, plus ``schedule.json``)::

    config.json       {"schedule": ..., "base": TrainConfig.to_dict(), "metric": ...}; a resume must match it
    metrics.jsonl     one line per global step; keys ``schedule/stage``, ``<task>/train/...`` or
                      ``<task>/imitation/loss`` for the task the step trained, ``<task>/eval/...`` and
                      ``<task>/eval/entropy`` for every task at evaluations
    checkpoints/      policy, generators, the scores so far (resume works inside a stage and across boundaries)
    schedule.json     R, entropies, the initial scores, BWT, forgetting, pairwise transfer, final metrics per task
"""

from __future__ import annotations

import dataclasses
import json
import os
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
from llm_bridge.refinement import RefineConfig, check_refinement
from llm_bridge.run_logging import RunLogger
from llm_bridge.schedule_spec import Schedule, Stage, TaskRef
from llm_bridge.trainer import TrainConfig, evaluate, progress_bar, restore_run, rl_step
from llm_bridge.transfer_metrics import backward_transfer, forgetting, pairwise_transfer
from vecreward_envs.protocols import Demonstrations, JointPlay, TaskFamily, require, supports

DEFAULT_METRIC = "eval/best@1"
"""The score in ``R``: the expected normalized reward of one sampled answer, in [0, 1] on every family."""

PipelineFor = Callable[[Stage, TaskRef, TaskFamily], PipelineConfig]
"""The pipeline an RL stage uses on one of its tasks (lets a caller fill family-specific scheme parameters)."""


@dataclass
class ScheduleResult:
    """What ``run_schedule`` returns (also written to ``schedule.json``)."""

    run_dir: Path
    labels: list[str]
    """The tasks, in order of first appearance."""
    stages: list[str]
    """Each stage as written."""
    metric: str
    scores: np.ndarray
    """R float [S, T]: ``metric`` of each task after each stage."""
    entropy: np.ndarray
    """float [S, T]: the policy's mean per-token entropy on each task's held-out instances after each stage."""
    initial: np.ndarray
    """float [T]: ``metric`` of each task before the first step."""
    bwt: float
    forgetting: float
    trained: list[list[bool]]
    """[S][T]: whether stage s trains task t."""
    final: dict[str, dict[str, float]]
    """Task -> its last evaluation's ``eval/*`` metrics."""
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``schedule.json``)."""
        return {
            "labels": self.labels, "stages": self.stages, "metric": self.metric,
            "scores": _nan_list(self.scores), "entropy": _nan_list(self.entropy),
            "initial": _nan_list(self.initial), "bwt": _nan_none(self.bwt), "forgetting": _nan_none(self.forgetting),
            "pairwise_transfer": _nan_list(pairwise_transfer(self.scores, self.trained)), "trained": self.trained,
            "final": self.final, "seconds": self.seconds,
        }


def _nan_none(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _nan_list(a: np.ndarray) -> Any:
    return [_nan_list(x) for x in a] if np.ndim(a) else _nan_none(float(a))


def schedule_families(schedule: Schedule) -> dict[str, TaskFamily]:
    """Label -> the family each task of the schedule names (built with its parameters; one line on a bad one)."""
    from vecreward_envs.families import make_family

    out: dict[str, TaskFamily] = {}
    for task in schedule.tasks:
        try:
            out[task.label] = make_family(task.family, **dict(task.params))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"--schedule task {task.label}: {exc}") from None
    return out


def check_schedule(schedule: Schedule, families: Mapping[str, TaskFamily], base: TrainConfig,
                   pipeline_for: PipelineFor | None = None, refine: RefineConfig | None = None) -> None:
    """Fail before training, with one line, on what a stage could not do.

    Checked: every task has a family here; no game family (a team policy plays one game, not a schedule);
    imitation stages' tasks offer demonstrations; each RL stage's pipeline runs on each of its tasks' reward
    vectors (e.g. ``--weights`` of the wrong length for one of them); chains only with set-level schemes.
    """
    for stage_index, stage in enumerate(schedule.stages):
        where = f"--schedule stage {stage_index + 1} ({stage.label})"
        for task in stage.tasks:
            family = families.get(task.label)
            if family is None:
                raise ValueError(f"{where}: no family for task {task.label}")
            if supports(family, JointPlay):
                raise ValueError(f"{where}: {task.label} is a game (JointPlay); schedules train single-agent families")
            if stage.mode == "imitate":
                require(family, Demonstrations, f"{where}, an imitation stage,")
                continue
            pipeline = _pipeline(stage, task, family, pipeline_for)
            if stage.mode == "refine":
                try:
                    _task_config(base, stage, task, pipeline, refine)  # refinement's own limits (chains, R <= G)
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{where}: {exc}") from None
            set_level = get_spec(pipeline.aggregator).level == "set"
            if not set_level and base.chain_length != 1:
                raise ValueError(f"{where}: {pipeline.aggregator} scores single answers; use chain_length=1")
            k = len(family.reward_names)
            shape = (1, 2, base.chain_length, k) if set_level else (1, 2, k)
            try:
                run_pipeline(pipeline, np.zeros(shape), rng=np.random.default_rng(0), step=0)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: the pipeline does not run on {task.label}'s {k} objectives: "
                                 f"{exc}") from None


def _pipeline(stage: Stage, task: TaskRef, family: TaskFamily, pipeline_for: PipelineFor | None) -> PipelineConfig:
    if pipeline_for is not None:
        return pipeline_for(stage, task, family)
    assert stage.pipeline is not None
    return stage.pipeline


def _task_config(base: TrainConfig, stage: Stage, task: TaskRef, pipeline: PipelineConfig | None,
                 refine: RefineConfig | None = None) -> TrainConfig:
    """The config of one step: the stage's steps and pipeline.

    Refinement only in refine stages, with ``refine`` (the run's settings), else the run's own ``refine``, else the
    defaults.
    """
    refine = (refine or base.refine or RefineConfig()) if stage.mode == "refine" else None
    return dataclasses.replace(base, task=task.family, task_params=dict(task.params),
                               pipeline=pipeline or base.pipeline, steps=stage.steps, warm_start_steps=0,
                               refine=refine)


def uses_refinement(schedule: Schedule) -> bool:
    """Whether a stage refines (the policy must then be built able to: e.g. ``feedback=True``)."""
    return any(stage.mode == "refine" for stage in schedule.stages)


def run_schedule(schedule: Schedule, policy: Policy, families: Mapping[str, TaskFamily], base: TrainConfig,
                 run_dir: str | Path, *, resume: bool = False, progress: bool = True, tensorboard: bool = True,
                 metric: str = DEFAULT_METRIC, pipeline_for: PipelineFor | None = None,
                 refine: RefineConfig | None = None,
                 on_step: Callable[[int, dict[str, Any]], None] | None = None) -> ScheduleResult:
    """Train ``policy`` through ``schedule``; write ``run_dir``; return the scores, BWT and forgetting.

    Args:
        schedule: the stages.
        policy: one policy for every task (a ``MultiTaskSmallPolicy`` over the families, or a text policy).
        families: label -> family of every task (``schedule_families``).
        base: the run's settings (batch and group sizes, pools, evaluation rhythm, seed); its task, steps,
            pipeline and warm start are ignored (the stages say them).
        run_dir: output directory.
        resume: continue from ``run_dir``'s last checkpoint (its config must be identical).
        progress: show a progress bar.
        tensorboard: write TensorBoard events.
        metric: the ``eval/*`` metric in ``R`` (default ``eval/best@1``).
        pipeline_for: the pipeline of an RL stage on one task (default: the stage's).
        refine: the refine stages' settings (default: ``base.refine``, else ``RefineConfig()``); kept apart from
            ``base`` because the base pipeline may be one refinement cannot run with (e.g. a set-level scheme).
        on_step: called with (global step, row) after every step.

    Raises:
        ValueError: a stage the families cannot run (``check_schedule``), or a resume that does not match.
    """
    check_schedule(schedule, families, base, pipeline_for, refine)
    for stage_index, stage in enumerate(schedule.stages):
        for task in stage.tasks if stage.mode == "refine" else ():
            try:
                check_refinement(policy, families[task.label])
            except ValueError as exc:
                raise ValueError(f"--schedule stage {stage_index + 1} ({stage.label}): {exc}") from None
    labels = [t.label for t in schedule.tasks]
    refs = {t.label: t for t in schedule.tasks}
    pools = {label: families[label].instances(base.train_first_seed, base.train_instances) for label in labels}
    eval_pools = {label: families[label].instances(base.eval_first_seed, base.eval_instances) for label in labels}
    eu_weights, hv_refs = {}, {}
    for i, label in enumerate(labels):
        family = families[label]
        low = np.asarray(family.reward_low, dtype=np.float64)
        high = np.asarray(family.reward_high, dtype=np.float64)
        hv_refs[label] = low - 0.1 * (high - low)
        eu_weights[label] = M.dirichlet_weights(len(family.reward_names), 100,
                                                np.random.default_rng([base.seed, 7, i]))
    run_config = {"schedule": schedule.to_dict(), "base": base.to_dict(), "metric": metric}
    if refine is not None:  # only when given: runs without it keep the config form a resume compares
        run_config["refine"] = refine.to_dict()
    logger = RunLogger(run_dir, run_config, resume=resume, tensorboard=tensorboard)
    instance_rng = np.random.default_rng([base.seed, 1])
    aggregator_rng = np.random.default_rng([base.seed, 2])
    start = 0
    state: dict[str, Any] = {"scores": [], "entropy": [], "initial": None, "final": {}}
    checkpoint = restore_run(logger, policy, run_dir, resume, instance_rng, aggregator_rng)
    if checkpoint is not None:
        start = checkpoint["step"] + 1
        state = checkpoint["schedule_state"]

    def evaluate_all() -> dict[str, dict[str, float]]:
        out = {}
        for label in labels:
            config = dataclasses.replace(base, task=refs[label].family, task_params=dict(refs[label].params))
            out[label] = evaluate(policy, families[label], eval_pools[label], config, eu_weights[label],
                                  hv_refs[label]).metrics
        return out

    if state["initial"] is None:
        initial = evaluate_all()
        state["initial"] = [initial[label].get(metric, float("nan")) for label in labels]
    started = time.perf_counter()
    bar = progress_bar(progress, schedule.total_steps, start)
    try:
        for step in range(start, schedule.total_steps):
            stage_index, stage_step = schedule.stage_at(step)
            stage = schedule.stages[stage_index]
            task = stage.tasks[stage_step % len(stage.tasks)]
            family = families[task.label]
            instances = [pools[task.label][i]
                         for i in instance_rng.integers(len(pools[task.label]), size=base.batch_size)]
            row: dict[str, Any] = {"schedule/stage": float(stage_index)}
            if stage.mode == "imitate":
                demos = require(family, Demonstrations, "an imitation stage")
                answers = (demos.demonstration_texts(instances) if policy.view == "text"
                           else demos.demonstrations(instances))
                stats = policy.imitate(family, instances, answers)
            else:
                pipeline = _pipeline(stage, task, family, pipeline_for)
                config = _task_config(base, stage, task, pipeline, refine)
                stats = rl_step(policy, family, instances, config, config.pipelines(1), aggregator_rng, stage_step,
                                run_step=step)
            row.update({f"{task.label}/{key}": value for key, value in stats.items()})
            stage_end = stage_step == stage.steps - 1
            if (step + 1) % base.eval_every == 0 or stage_end:
                evaluation = evaluate_all()
                state["final"] = evaluation
                for label, values in evaluation.items():
                    row.update({f"{label}/{key}": value for key, value in values.items()})
                if stage_end:
                    state["scores"].append([evaluation[label].get(metric, float("nan")) for label in labels])
                    state["entropy"].append([evaluation[label].get("eval/entropy", float("nan"))
                                             for label in labels])
            logger.log(step, row)
            if on_step is not None:
                on_step(step, row)
            if (step + 1) % base.checkpoint_every == 0 or stage_end:
                logger.save_checkpoint({
                    "step": step, "policy": policy.state_dict(), "schedule_state": state,
                    "instance_rng": instance_rng.bit_generator.state,
                    "aggregator_rng": aggregator_rng.bit_generator.state,
                })
            if bar is not None:
                bar[0].update(bar[1], advance=1, description=f"stage {stage_index + 1}/{len(schedule.stages)} "
                              f"{stage.mode} {task.label}")
    finally:
        if bar is not None:
            bar[0].stop()
        logger.close()
    scores = np.asarray(state["scores"], dtype=np.float64).reshape(len(schedule.stages), len(labels))
    trained = [[label in [t.label for t in s.tasks] for label in labels] for s in schedule.stages]
    result = ScheduleResult(
        run_dir=Path(run_dir), labels=labels, stages=[s.label for s in schedule.stages], metric=metric,
        scores=scores, entropy=np.asarray(state["entropy"], dtype=np.float64).reshape(scores.shape),
        initial=np.asarray(state["initial"], dtype=np.float64), bwt=backward_transfer(scores, trained),
        forgetting=forgetting(scores, trained), trained=trained, final=state["final"],
        seconds=time.perf_counter() - started, notes=list(logger.notes),
    )
    _atomic_json(Path(run_dir) / "schedule.json", result.to_dict())
    return result


def _atomic_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=float))
    os.replace(tmp, path)
