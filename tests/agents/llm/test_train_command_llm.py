"""``vecreward train --agent llm`` with a tiny offline model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from agents.cli import main  # noqa: E402
from agents.llm.offline import build_tiny_model  # noqa: E402

_SMALL = ["--task", "maze", "--task-param", "size=7", "--steps", "2", "--batch-size", "2", "--group-size", "2",
          "--train-instances", "4", "--eval-instances", "1", "--eval-samples", "2", "--eval-every", "2",
          "--warm-start-steps", "1", "--no-progress", "--no-tensorboard", "--llm-max-new-tokens", "8"]


def test_train_command_with_the_llm_agent(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    run_dir = tmp_path / "run"
    code = main(["train", "--agent", "llm", "--model", str(model), "--aggregator", "vpo", "--chain-length", "2",
                 "--run-dir", str(run_dir), *_SMALL])
    assert code == 0, capsys.readouterr().out
    assert "last evaluation" in capsys.readouterr().out
    config = json.loads((run_dir / "config.json").read_text())
    assert config["chain_length"] == 2 and config["pipeline"]["aggregator"] == "vpo"
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 2


def test_llm_agent_options_are_validated_before_running(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for argv in (["--agent", "llm"], ["--agent", "llm", "--model", str(tmp_path / "missing")],
                 ["--agent", "llm", "--model", str(tmp_path), "--llm-top-p", "0"],
                 ["--model", str(tmp_path)]):
        assert main(["train", "--run-dir", str(tmp_path / "r"), *argv]) == 2
        assert "error" in capsys.readouterr().out
    assert not (tmp_path / "r").exists()


def test_schedule_with_the_llm_agent_over_two_text_families(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    model = build_tiny_model(tmp_path / "tiny")
    run_dir = tmp_path / "sched"
    code = main(["train", "--agent", "llm", "--model", str(model), "--run-dir", str(run_dir),
                 "--schedule", "imitate:maze(size=7)+structure:2 > rl:structure:1 > rl:maze(size=7):1",
                 "--batch-size", "2", "--group-size", "2", "--train-instances", "4", "--eval-instances", "1",
                 "--eval-samples", "2", "--eval-every", "2", "--no-progress", "--no-tensorboard",
                 "--llm-max-new-tokens", "8"])
    assert code == 0, capsys.readouterr().out
    result = json.loads((run_dir / "schedule.json").read_text())
    assert result["labels"] == ["maze(size=7)", "structure"] and len(result["entropy"]) == 3
    assert all(e is not None and e > 0 for row in result["entropy"] for e in row)  # the LM's sampling entropy
