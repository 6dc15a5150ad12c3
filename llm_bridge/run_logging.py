"""A run directory: resolved config, metrics as JSON lines, TensorBoard scalars, checkpoints; safe against kills.

Layout::

    run_dir/config.json               the resolved training config (a resumed run must match it)
    run_dir/metrics.jsonl             one {"step": s, ...metrics} object per line, in step order
    run_dir/tb/                       TensorBoard event files (rewards/<objective>/mean|std, train/*, eval/*)
    run_dir/checkpoints/latest.pt     the last checkpoint
    run_dir/checkpoints/previous.pt   the one before it (kept in case latest.pt is lost)
    run_dir/wandb/                    with a ``WandbConfig`` only: the Weights & Biases run (offline by default)

Crash safety: ``config.json`` and checkpoints are written to a temporary file and renamed over the old one, so a
kill leaves the old file or the new one, never half of either. Metric lines are appended as they come (follow
them with ``tail -F``: the file is replaced at checkpoints), and at every checkpoint the whole file is rewritten
the same atomic way from the lines that parse, so a line torn by a kill is gone by the next checkpoint. Readers
skip a torn line. On resume, a checkpoint is used only when it loads, holds every field a resume needs, and the
metrics file holds a line for every step up to it; otherwise the previous checkpoint is tried, and then a fresh
start (a skipped checkpoint is renamed ``*.bad``, so it can never replace a good one). Temporary files left by a
kill are removed. Each such decision is one line in ``notes``.

Weights & Biases (opt-in, ``WandbConfig``; ``vecreward train --wandb``): the same scalars under the same names as
TensorBoard (``scalar_metrics``), at the same steps. The run is offline unless ``WandbConfig.mode`` or the
``WANDB_MODE`` environment variable says otherwise, so nothing leaves the machine until ``wandb sync``. A resumed
run starts a new W&B run (same name), whose history begins after the checkpoint.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WANDB_MODES = ("offline", "online", "disabled")
"""Values of ``WandbConfig.mode`` (wandb's own)."""


@dataclass(frozen=True)
class WandbConfig:
    """Where a run's metrics also go: a Weights & Biases run (opt-in; offline unless told otherwise)."""

    project: str = "vecreward"
    """W&B project."""
    group: str | None = None
    """W&B group (``vecreward compare`` groups the runs of one grid under the grid's name)."""
    name: str | None = None
    """Run name (default: the run directory's name)."""
    mode: str | None = None
    """offline, online or disabled; None: ``$WANDB_MODE`` when set, else offline (nothing is sent; upload later with
    ``wandb sync``)."""
    dir: str | None = None
    """Where the ``wandb/`` folder goes; None: ``$WANDB_DIR`` when set, else the run directory."""
    tags: tuple[str, ...] = ()
    """Run tags (``vecreward compare`` adds the task and the scheme)."""

    def __post_init__(self) -> None:
        if not isinstance(self.project, str) or not self.project.strip():
            raise ValueError(f"WandbConfig.project must be a non-empty string, got {self.project!r}")
        if self.mode is not None and self.mode not in WANDB_MODES:
            raise ValueError(f"WandbConfig.mode must be one of {WANDB_MODES} or None, got {self.mode!r}")
        object.__setattr__(self, "tags", tuple(str(t) for t in self.tags))


def check_wandb(flag: str = "--wandb") -> None:
    """Fail early, in one line, when the ``wandb`` package is missing.

    Raises:
        ValueError: wandb is not installed (the message says how to install it).
    """
    if importlib.util.find_spec("wandb") is None:
        raise ValueError(f"{flag} logs to Weights & Biases, which is not installed: pip install wandb (or pip install "
                         "\"vecreward[wandb]\")")


def scalar_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The entries TensorBoard and W&B receive: numbers that are not NaN, under their own names."""
    return {key: value for key, value in metrics.items()
            if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))}


class WandbSink:
    """One W&B run that receives every logged step's scalars (``scalar_metrics``) at that step."""

    def __init__(self, config: WandbConfig, run_dir: Path, run_config: Mapping[str, Any]) -> None:
        check_wandb("WandbConfig")
        import wandb  # lazy: optional and heavy

        mode = config.mode or os.environ.get("WANDB_MODE") or "offline"
        directory = Path(config.dir or os.environ.get("WANDB_DIR") or run_dir)
        directory.mkdir(parents=True, exist_ok=True)
        try:
            self.run = wandb.init(project=config.project, group=config.group, name=config.name or run_dir.name,
                                  tags=list(config.tags) or None, dir=str(directory), mode=mode,
                                  config=dict(run_config), reinit="create_new")
        except Exception as exc:  # noqa: BLE001 - wandb raises its own error types; the caller wants one line
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise ValueError(f"W&B run could not start ({mode} mode): {first}") from None
        self.mode = mode
        """The mode the run was started in."""
        files = getattr(self.run, "dir", None)
        self.path = Path(files).parent if files and mode != "disabled" else None
        """The run's local directory (``.../wandb/offline-run-*`` offline), None when disabled."""

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        """Log the step's scalars at ``step``."""
        values = scalar_metrics(metrics)
        if values and self.run is not None:
            self.run.log(values, step=step)

    def close(self) -> None:
        """Finish the run (writes its last records); a second call does nothing."""
        if self.run is not None:
            self.run.finish()
            self.run = None


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_metrics_file(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The metric rows of a ``metrics.jsonl`` and the number of lines skipped because they do not parse.

    A missing file gives no rows. Only objects with an integer ``step`` count as rows.
    """
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return [], 0
    rows, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(row, dict) and isinstance(row.get("step"), int):
            rows.append(row)
        else:
            bad += 1
    return rows, bad


CHECKPOINT_KEYS = ("step", "policy", "instance_rng", "aggregator_rng")
"""What a checkpoint must hold for a resume."""


def complete_through(rows: list[dict[str, Any]], step: int) -> bool:
    """Whether ``rows`` hold a line for every step from 0 to ``step``."""
    seen = {row["step"] for row in rows}
    return all(s in seen for s in range(step + 1))


class RunLogger:
    """Writes one run's directory; ``resume=True`` continues an existing one after its last good checkpoint."""

    def __init__(self, run_dir: str | Path, config: dict[str, Any], *, resume: bool = False,
                 tensorboard: bool = True, wandb: WandbConfig | None = None) -> None:
        self.dir = Path(run_dir)
        self.config_path = self.dir / "config.json"
        self.metrics_path = self.dir / "metrics.jsonl"
        self.checkpoint_path = self.dir / "checkpoints" / "latest.pt"
        self.previous_path = self.dir / "checkpoints" / "previous.pt"
        self.notes: list[str] = []
        """One line per recovery decision (an unreadable file skipped, a fallback taken)."""
        config_json = json.dumps(config, indent=2, sort_keys=True, default=str)
        if self.dir.exists() and not self.dir.is_dir():
            raise ValueError(f"run directory {self.dir} is a file")
        if resume and self.config_path.exists():
            try:
                saved = json.loads(self.config_path.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                saved = None
                self.notes.append(f"{self.config_path} was unreadable: rewritten from this run's config")
            wanted = json.loads(config_json)
            if saved is not None and saved != wanted:
                changed = sorted(k for k in set(saved) | set(wanted) if saved.get(k) != wanted.get(k)) \
                    if isinstance(saved, dict) else ["(not a config object)"]
                raise ValueError(f"cannot resume {self.dir}: the config differs in {changed}")
        elif self.metrics_path.exists() and not resume:
            raise FileExistsError(f"{self.dir} already holds a run; pass resume=True (--resume) or another run_dir")
        (self.dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        for stale in [*self.dir.glob("*.tmp"), *(self.dir / "checkpoints").glob("*.tmp")]:
            stale.unlink(missing_ok=True)  # half-written by a killed process; the real file is intact
        _atomic_write(self.config_path, config_json.encode())
        self.wandb = WandbSink(wandb, self.dir, json.loads(config_json)) if wandb is not None else None
        """The W&B sink, when a ``WandbConfig`` was given."""
        self._writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # lazy: heavy import

            self._writer = SummaryWriter(str(self.dir / "tb"))

    def truncate_after(self, step: int) -> None:
        """Keep only the metric lines up to ``step`` (a killed run logged steps it will redo), rewritten atomically."""
        rows, bad = read_metrics_file(self.metrics_path)
        if bad:
            self.notes.append(f"{self.metrics_path}: {bad} unreadable line(s) dropped")
        self._write_rows([row for row in rows if row["step"] <= step])

    def _write_rows(self, rows: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(row) + "\n" for row in rows)
        _atomic_write(self.metrics_path, text.encode())

    def log(self, step: int, metrics: dict[str, float]) -> None:
        """Append one line of metrics for ``step`` (NaN written as null); mirror the scalars to TensorBoard and W&B."""
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()}
        with open(self.metrics_path, "a") as handle:
            handle.write(json.dumps({"step": step, **clean}) + "\n")
            handle.flush()
        if self._writer is not None:
            for key, value in scalar_metrics(metrics).items():
                self._writer.add_scalar(key, value, step)
        if self.wandb is not None:
            self.wandb.log(step, metrics)

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every logged line that parses."""
        return read_metrics_file(self.metrics_path)[0]

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Write the checkpoint atomically and keep the one before as ``previous.pt``.

        The metrics file is rewritten atomically first (dropping any torn line), so the two agree.
        """
        import io

        import torch

        rows, _ = read_metrics_file(self.metrics_path)
        self._write_rows(rows)
        buffer = io.BytesIO()
        torch.save(state, buffer)
        if self.checkpoint_path.exists():
            os.replace(self.checkpoint_path, self.previous_path)
        _atomic_write(self.checkpoint_path, buffer.getvalue())

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The newest checkpoint that loads, holds ``CHECKPOINT_KEYS`` and that the metrics file covers.

        None when there is none: the run starts over. Skipped checkpoints are renamed ``<name>.bad`` (so that the
        next save cannot rotate one over a good ``previous.pt``) and explained in ``notes``.
        """
        import torch

        rows, _ = read_metrics_file(self.metrics_path)
        for path in (self.checkpoint_path, self.previous_path):
            if not path.exists():
                continue
            problem = None
            try:
                state = torch.load(path, weights_only=False)
                missing = [key for key in CHECKPOINT_KEYS if key not in state]
                if missing:
                    problem = f"lacks {missing}"
                elif not complete_through(rows, int(state["step"])):
                    problem = f"(step {state['step']}) is ahead of metrics.jsonl, which lacks lines up to it"
            except Exception as exc:  # noqa: BLE001 - unpickling a damaged file can raise nearly anything
                problem = f"is unreadable ({type(exc).__name__})"
            if problem is not None:
                self.notes.append(f"{path.name} {problem}: skipped (kept as {path.name}.bad)")
                os.replace(path, path.with_name(path.name + ".bad"))
                continue
            if path != self.checkpoint_path:
                self.notes.append(f"continuing from {path.name} (step {state['step']})")
                os.replace(path, self.checkpoint_path)  # the next save rotates it to previous.pt
            return state
        if self.notes:
            self.notes.append("no usable checkpoint: starting over")
        return None

    def close(self) -> None:
        """Flush TensorBoard; finish the W&B run."""
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
        if self.wandb is not None:
            self.wandb.close()
