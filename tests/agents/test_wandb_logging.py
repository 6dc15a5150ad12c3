"""``--wandb``: an opt-in Weights & Biases sink, offline by default, with TensorBoard's metric names."""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path

import pytest

pytest.importorskip("wandb")
pytest.importorskip("tensorboard")

from agents.cli import main  # noqa: E402


@pytest.fixture()
def offline_wandb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """W&B confined to ``tmp_path/wb``: offline, silent, no error reports."""
    folder = tmp_path / "wb"
    monkeypatch.setenv("WANDB_DIR", str(folder))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_ERROR_REPORTING", "false")
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wb-config"))
    return folder


def _records(run_dir: Path, wait_s: float = 20.0) -> list:
    """The protobuf records of an offline run's ``run-*.wandb`` file (wandb's LevelDB-style log format).

    W&B's service process writes the file; on a saturated machine its records can land a moment after ``finish()``
    returns (seen once in a full-suite run: the file held only its header), so the read is retried for ``wait_s``.
    """
    import time

    deadline = time.monotonic() + wait_s
    while True:
        records = _read_records(run_dir)
        if any(r.WhichOneof("record_type") == "run" for r in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.5)


def _read_records(run_dir: Path) -> list:
    from wandb.proto import wandb_internal_pb2 as pb

    [path] = run_dir.glob("run-*.wandb")
    data = path.read_bytes()
    assert data[:4] == b":W&B"
    block, pos, pending, records = 32768, 7, b"", []
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:  # a block's tail too short for a header is padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        pos += 7
        if length == 0 and kind == 0:
            pos += left - 7
            continue
        pending += data[pos:pos + length]
        pos += length
        if kind in (1, 4):  # FULL or LAST
            record = pb.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def _history(records: list) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    for record in records:
        if record.WhichOneof("record_type") == "history":
            items = {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
            out[int(items["_step"])] = {k: v for k, v in items.items() if not k.startswith("_")}
    return out


def _run_record(records: list):  # noqa: ANN202
    return next(r.run for r in records if r.WhichOneof("record_type") == "run")


def _tensorboard_names(folder: Path) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return set(events.Tags()["scalars"])


def test_train_logs_tensorboards_metrics_to_an_offline_wandb_run(tmp_path: Path, offline_wandb: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "run"
    code = main(["train", "--task", "probe", "--steps", "3", "--eval-every", "2", "--no-progress", "--run-dir",
                 str(run), "--wandb", "vr-test"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    [run_dir] = (offline_wandb / "wandb").glob("offline-run-*")
    assert "wandb sync" in printed and run_dir.name in printed
    records = _records(run_dir)
    meta = _run_record(records)
    assert meta.project == "vr-test" and meta.display_name == "run"
    history = _history(records)
    assert sorted(history) == [0, 1, 2]
    logged = set().union(*history.values())
    assert logged == _tensorboard_names(run / "tb")
    rows = {row["step"]: row for row in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())}
    for step, values in history.items():  # the same numbers as metrics.jsonl
        assert values == pytest.approx({k: v for k, v in rows[step].items() if k in values})


def test_wandb_is_offline_unless_the_user_says_otherwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_bridge.run_logging import RunLogger, WandbConfig

    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_DIR", raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_ERROR_REPORTING", "false")
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wb-config"))
    logger = RunLogger(tmp_path / "run", {"seed": 0}, tensorboard=False, wandb=WandbConfig(project="p", group="g"))
    assert logger.wandb is not None and logger.wandb.mode == "offline"
    logger.log(0, {"train/loss": 1.5, "eval/pass@1": float("nan"), "note": "text"})
    logger.close()
    logger.close()  # idempotent
    path = logger.wandb.path
    assert path is not None and path.parent == tmp_path / "run" / "wandb" and path.name.startswith("offline-run-")
    records = _records(path)
    assert _history(records) == {0: {"train/loss": 1.5}}  # NaN and text are left out, as in TensorBoard
    assert _run_record(records).run_group == "g"
    with pytest.raises(ValueError, match="WandbConfig.mode"):
        WandbConfig(mode="sometimes")


def test_compare_makes_one_wandb_run_per_grid_run_grouped_by_grid(tmp_path: Path, offline_wandb: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_DIR")  # each run keeps its W&B run in its own directory
    out = tmp_path / "grid-a"
    assert main(["compare", "--tasks", "probe", "--aggregators", "grpo", "--seeds", "1", "--jobs", "1", "--out",
                 str(out), "--wandb", "vr-grid"]) == 0
    run = out / "runs" / "probe" / "grpo" / "seed0"
    [run_dir] = (run / "wandb").glob("offline-run-*")
    records = _records(run_dir)
    meta = _run_record(records)
    assert (meta.project, meta.run_group, meta.display_name) == ("vr-grid", "grid-a", "probe/grpo/seed0")
    assert {"probe", "grpo"} <= set(meta.tags)
    assert set().union(*_history(records).values()) == _tensorboard_names(run / "tb")


@pytest.mark.parametrize("command", ["train", "compare"])
def test_missing_wandb_is_a_one_line_error(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    target = tmp_path / "never"
    argv = (["train", "--task", "probe", "--steps", "1", "--run-dir", str(target)] if command == "train"
            else ["compare", "--tasks", "probe", "--out", str(target)])
    assert main([*argv, "--wandb"]) == 2
    captured = capsys.readouterr()
    text = (captured.out + captured.err).strip()
    assert "pip install wandb" in text and len(text.splitlines()) == 1 and "Traceback" not in text, text
    assert not target.exists()
