"""A training schedule: stages that each train one policy on a family or a mixture, by imitation or by RL.

The written form (``vecreward train --schedule SPEC``; ``docs/schedules.md``)::

    SPEC   := STAGE ( ">" STAGE )*
    STAGE  := MODE ":" TASKS ":" STEPS [ ":" SCHEME ]
    MODE   := "imitate" | "rl" | "refine"          refine: RL with critique-guided refinement
    TASKS  := TASK ( "+" TASK )*                 a mixture: the stage's steps go to its tasks in turn
    TASK   := FAMILY [ "(" KEY=VALUE ( ";" KEY=VALUE )* ")" ]
    SCHEME := an aggregator name (default: the run's --aggregator)

e.g. ``imitate:maze:100 > rl:maze:200:gdpo > rl:maze+toolcall:100`` or
``rl:structure(relation=tradeoff;K=3):200``. A JSON file (``--schedule stages.json``) says the same with a full
pipeline per stage: ``{"stages": [{"mode": "rl", "tasks": ["maze", {"family": "structure", "params": {"K": 3}}],
"steps": 200, "pipeline": {"aggregator": "gdpo", "reward_transforms": [...]}}]}``.

Parsing and validation are torch-free and happen before anything trains: a bad stage fails with one line that
names it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from llm_bridge.pipeline import PipelineConfig

Mode = Literal["imitate", "rl", "refine"]
MODES: tuple[str, ...] = ("imitate", "rl", "refine")
"""``refine`` is RL where R refined answers join each group (``llm_bridge.refinement``, docs/refinement.md)."""
MAX_STAGE_STEPS = 10_000_000


@dataclass(frozen=True)
class TaskRef:
    """A task of a schedule: a family name and the parameters of its config."""

    family: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The task's name in metrics and tables: ``maze``, or ``structure(K=3;relation=tradeoff)`` (keys sorted)."""
        if not self.params:
            return self.family
        inner = ";".join(f"{k}={_value_text(v)}" for k, v in sorted(self.params.items()))
        return f"{self.family}({inner})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``{"family": ..., "params": {...}}``)."""
        return {"family": self.family, "params": dict(self.params)}


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Stage:
    """One stage: ``steps`` updates of ``mode`` on ``tasks`` (in turn when there are several)."""

    mode: Mode
    tasks: tuple[TaskRef, ...]
    steps: int
    pipeline: PipelineConfig | None = None
    """RL and refine stages: the pipeline (None: the run's own); imitation stages: None."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"stage mode must be one of {list(MODES)}, got {self.mode!r}")
        if not self.tasks:
            raise ValueError("a stage needs at least one task")
        labels = [t.label for t in self.tasks]
        if len(set(labels)) != len(labels):
            raise ValueError(f"a stage names a task twice: {labels}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 1 <= self.steps <= MAX_STAGE_STEPS:
            raise ValueError(f"stage steps must be an int in 1..{MAX_STAGE_STEPS}, got {self.steps!r}")
        if self.mode == "imitate" and self.pipeline is not None:
            raise ValueError("an imitation stage takes no scheme or pipeline")

    @property
    def label(self) -> str:
        """``rl:maze+toolcall:200:gdpo``: the stage as it would be written."""
        text = f"{self.mode}:{'+'.join(t.label for t in self.tasks)}:{self.steps}"
        return text + (f":{self.pipeline.aggregator}" if self.pipeline is not None else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (what ``Schedule.from_dict`` reads)."""
        from llm_bridge.trainer import _pipeline_dict

        out: dict[str, Any] = {"mode": self.mode, "tasks": [t.to_dict() for t in self.tasks], "steps": self.steps}
        if self.pipeline is not None:
            out["pipeline"] = _pipeline_dict(self.pipeline)
        return out


@dataclass(frozen=True)
class Schedule:
    """Stages in order."""

    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a schedule needs at least one stage")

    @property
    def tasks(self) -> tuple[TaskRef, ...]:
        """Every task the schedule names, in order of first appearance (evaluated after every stage)."""
        seen: dict[str, TaskRef] = {}
        for stage in self.stages:
            for task in stage.tasks:
                seen.setdefault(task.label, task)
        return tuple(seen.values())

    @property
    def total_steps(self) -> int:
        """Steps of all stages (imitation steps included): the run's step axis."""
        return sum(s.steps for s in self.stages)

    def stage_at(self, step: int) -> tuple[int, int]:
        """(stage index, step within the stage) of global ``step``."""
        start = 0
        for i, stage in enumerate(self.stages):
            if step < start + stage.steps:
                return i, step - start
            start += stage.steps
        raise ValueError(f"step {step} is past the schedule's {self.total_steps} steps")

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"stages": [s.to_dict() for s in self.stages]}

    @property
    def label(self) -> str:
        """The schedule as it would be written on the command line."""
        return " > ".join(s.label for s in self.stages)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Build from the JSON form; unknown keys fail with the valid ones."""
        if not isinstance(data, Mapping) or set(data) != {"stages"} or not isinstance(data["stages"], list):
            raise ValueError('a schedule file holds {"stages": [...]}')
        stages = []
        for i, raw in enumerate(data["stages"]):
            where = f"stage {i + 1}"
            if not isinstance(raw, Mapping):
                raise ValueError(f"{where}: must be an object")
            unknown = sorted(set(raw) - {"mode", "tasks", "steps", "pipeline"})
            if unknown:
                raise ValueError(f"{where}: unknown key(s) {unknown}; valid: mode, tasks, steps, pipeline")
            try:
                tasks = raw.get("tasks")
                if isinstance(tasks, str) or not isinstance(tasks, Sequence):
                    raise ValueError("tasks must be a list")
                refs = tuple(_task_from_json(t) for t in tasks)
                pipeline = raw.get("pipeline")
                if pipeline is not None and not isinstance(pipeline, Mapping):
                    raise ValueError(f"pipeline must be an object (aggregator, aggregator_params, ...), got "
                                     f"{pipeline!r}")
                stages.append(Stage(mode=raw.get("mode"), tasks=refs, steps=raw.get("steps"),  # type: ignore[arg-type]
                                    pipeline=None if pipeline is None else PipelineConfig.from_dict(pipeline)))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: {exc}") from None
        return cls(tuple(stages))


def _task_from_json(value: Any) -> TaskRef:
    if isinstance(value, str):
        return parse_task(value)
    if isinstance(value, Mapping) and set(value) <= {"family", "params"} and isinstance(value.get("family"), str):
        params = value.get("params") or {}
        if not isinstance(params, Mapping):
            raise ValueError(f"task params must be an object, got {params!r}")
        return TaskRef(value["family"], dict(params))
    raise ValueError(f'a task is a name or {{"family": NAME, "params": {{...}}}}, got {value!r}')


def _split_top(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside parentheses."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced ')' in {text!r}")
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth != 0:
        raise ValueError(f"unbalanced '(' in {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_task(text: str) -> TaskRef:
    """``maze`` or ``structure(K=3;relation=tradeoff)`` as a ``TaskRef`` (values as ``--task-param`` reads them)."""
    text = text.strip()
    name, paren, rest = text.partition("(")
    name = name.strip()
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"a task is FAMILY or FAMILY(KEY=VALUE;...), got {text!r}")
    if not paren:
        return TaskRef(name)
    if not rest.endswith(")"):
        raise ValueError(f"task {text!r}: parameters end with ')'")
    params: dict[str, Any] = {}
    for item in rest[:-1].split(";"):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"task {text!r}: parameters are KEY=VALUE separated by ';', got {item!r}")
        params[key.strip()] = _json_or_text(value.strip())
    return TaskRef(name, params)


def _json_or_text(raw: str) -> Any:
    """A parameter value as ``--task-param`` reads it: JSON when it parses (``7``, ``[2,4]``, ``true``), else text."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return tuple(value) if isinstance(value, list) else value


def parse_schedule(spec: str, default_pipeline: PipelineConfig | None = None) -> Schedule:
    """The schedule a ``--schedule`` value names: the written form, or a ``.json`` file.

    Args:
        spec: the written form (module docstring) or the path of a JSON file.
        default_pipeline: the pipeline of RL stages that name no scheme (the run's own); a stage that names one
            gets this pipeline with its aggregator replaced.

    Raises:
        ValueError: one line naming the stage and what is wrong.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("--schedule must not be empty")
    if spec.strip().endswith(".json"):
        path = Path(spec.strip())
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise ValueError(f"--schedule {path}: cannot read it ({exc.strerror or exc})") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"--schedule {path}: not JSON ({exc})") from None
        schedule = Schedule.from_dict(data)
        base = default_pipeline or PipelineConfig()
        return Schedule(tuple(s if s.mode == "imitate" or s.pipeline is not None else
                              Stage(s.mode, s.tasks, s.steps, base) for s in schedule.stages))
    stages = []
    try:
        raw_stages = _split_top(spec, ">")
    except ValueError as exc:
        raise ValueError(f"--schedule: {exc}") from None
    for i, raw in enumerate(raw_stages):
        where = f"--schedule stage {i + 1} ({raw!r})"
        try:
            fields = _split_top(raw, ":")
            if len(fields) not in (3, 4):
                raise ValueError("write MODE:TASKS:STEPS[:SCHEME], e.g. rl:maze:200:gdpo")
            mode, tasks, steps = fields[0], fields[1], fields[2]
            if not (steps.isascii() and steps.isdigit()):
                raise ValueError(f"STEPS must be a whole number, got {steps!r}")
            refs = tuple(parse_task(t) for t in _split_top(tasks, "+"))
            pipeline = None
            if mode in ("rl", "refine"):
                base = default_pipeline or PipelineConfig()
                pipeline = base
                if len(fields) == 4:
                    from dataclasses import replace

                    params = base.aggregator_params if fields[3] == base.aggregator else {}
                    pipeline = replace(base, aggregator=fields[3], aggregator_params=params)
            elif len(fields) == 4:
                raise ValueError("an imitation stage takes no SCHEME")
            stages.append(Stage(mode=mode, tasks=refs, steps=int(steps), pipeline=pipeline))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None
    return Schedule(tuple(stages))
