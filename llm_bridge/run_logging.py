"""A run directory: resolved config, metrics as JSON lines, TensorBoard scalars, atomic checkpoints.

Layout::

    run_dir/config.json          the resolved training config (a resumed run must match it)
    run_dir/metrics.jsonl        one {"step": s, ...metrics} object per line, in step order
    run_dir/tb/                  TensorBoard event files (rewards/<objective>/mean|std, train/*, eval/*)
    run_dir/checkpoints/latest.pt
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class RunLogger:
    """Writes one run's directory; ``resume=True`` continues an existing one after its last checkpoint."""

    def __init__(self, run_dir: str | Path, config: dict[str, Any], *, resume: bool = False,
                 tensorboard: bool = True) -> None:
        self.dir = Path(run_dir)
        self.config_path = self.dir / "config.json"
        self.metrics_path = self.dir / "metrics.jsonl"
        self.checkpoint_path = self.dir / "checkpoints" / "latest.pt"
        config_json = json.dumps(config, indent=2, sort_keys=True, default=str)
        if resume and self.config_path.exists():
            saved = json.loads(self.config_path.read_text())
            if saved != json.loads(config_json):
                changed = sorted(k for k in set(saved) | set(json.loads(config_json))
                                 if saved.get(k) != json.loads(config_json).get(k))
                raise ValueError(f"cannot resume {self.dir}: the config differs in {changed}")
        elif self.metrics_path.exists() and not resume:
            raise FileExistsError(f"{self.dir} already holds a run; pass resume=True (--resume) or another run_dir")
        (self.dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        _atomic_write(self.config_path, config_json.encode())
        self._writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # lazy: heavy import

            self._writer = SummaryWriter(str(self.dir / "tb"))

    def truncate_after(self, step: int) -> None:
        """Drop metric lines past ``step`` (a run killed after its last checkpoint logged steps it will redo)."""
        if not self.metrics_path.exists():
            return
        kept = [line for line in self.metrics_path.read_text().splitlines()
                if line.strip() and json.loads(line)["step"] <= step]
        _atomic_write(self.metrics_path, ("\n".join(kept) + "\n" if kept else "").encode())

    def log(self, step: int, metrics: dict[str, float]) -> None:
        """Append one line of metrics for ``step`` (NaN written as null) and mirror them to TensorBoard."""
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()}
        with open(self.metrics_path, "a") as handle:
            handle.write(json.dumps({"step": step, **clean}) + "\n")
            handle.flush()
        if self._writer is not None:
            for key, value in metrics.items():
                if isinstance(value, (int, float)) and not math.isnan(value):
                    self._writer.add_scalar(key, value, step)

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every logged line."""
        if not self.metrics_path.exists():
            return []
        return [json.loads(line) for line in self.metrics_path.read_text().splitlines() if line.strip()]

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Write the checkpoint atomically (a kill mid-write leaves the previous one intact)."""
        import io

        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        _atomic_write(self.checkpoint_path, buffer.getvalue())

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The last checkpoint, or None."""
        if not self.checkpoint_path.exists():
            return None
        import torch

        return torch.load(self.checkpoint_path, weights_only=False)

    def close(self) -> None:
        """Flush TensorBoard."""
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
