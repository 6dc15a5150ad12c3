"""``vecreward train --refine R``: a refining run end to end, and one-line errors at parse time."""

import json

import pytest

from agents.cli import main

BASE = ["train", "--task", "toolcall", "--steps", "2", "--batch-size", "2", "--group-size", "4",
        "--train-instances", "4", "--eval-instances", "1", "--eval-samples", "2", "--eval-every", "2",
        "--no-progress", "--no-tensorboard", "--hidden", "16"]


def test_refining_run_writes_refine_metrics_and_resumes(tmp_path, capsys) -> None:  # noqa: ANN001
    run_dir = tmp_path / "run"
    assert main([*BASE, "--refine", "2", "--refine-gamma", "0.2", "--run-dir", str(run_dir)]) == 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["refine"] == {"answers": 2, "shaping_gamma": 0.2}
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all("refine/fixed_rate" in r and "train/off_policy_prob" in r for r in rows)
    assert main([*BASE, "--refine", "2", "--refine-gamma", "0.2", "--run-dir", str(run_dir), "--resume"]) == 0
    # a plain run's config has no refine key (resume compares config.json with earlier runs)
    plain = tmp_path / "plain"
    assert main([*BASE, "--run-dir", str(plain)]) == 0
    assert "refine" not in json.loads((plain / "config.json").read_text())


@pytest.mark.parametrize("argv, message", [
    (["--refine", "0"], "--refine: must be an int >= 1"),
    (["--refine", "two"], "--refine: must be an int >= 1"),
    (["--refine", "2", "--refine-gamma", "0"], "--refine-gamma: must be a finite number > 0"),
    (["--refine-gamma", "0.2"], "--refine-gamma needs --refine R"),
    (["--refine", "5"], "cannot refine 5 answers"),
])
def test_bad_refine_options_fail_in_one_line(tmp_path, capsys, argv, message) -> None:  # noqa: ANN001
    try:
        code = main([*BASE, "--run-dir", str(tmp_path / "r"), *argv])
    except SystemExit as exc:  # argparse's own error exit
        code = exc.code
    assert code == 2
    captured = capsys.readouterr()
    text = (captured.out + captured.err).strip()
    assert message in text and len([line for line in text.splitlines() if "error" in line]) == 1
    assert not (tmp_path / "r").exists()
