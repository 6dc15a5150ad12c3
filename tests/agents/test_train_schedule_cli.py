"""``vecreward train --schedule``: a run through stages from the command line, its resume and its one-line errors."""

import json

from agents.cli import main

SMALL = ["--batch-size", "4", "--group-size", "4", "--train-instances", "16", "--eval-instances", "2",
         "--eval-samples", "4", "--eval-every", "3", "--checkpoint-every", "3", "--no-progress", "--hidden", "16"]


def test_schedule_runs_prints_the_matrix_and_resumes(tmp_path, capsys) -> None:  # noqa: ANN001
    run_dir = tmp_path / "run"
    argv = ["train", "--schedule", "imitate:maze+toolcall:3 > rl:toolcall:2:gdpo > rl:maze:2", "--run-dir",
            str(run_dir), *SMALL]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "after stage" in out and "rl:toolcall:2:gdpo" in out and "BWT (GEM)" in out
    result = json.loads((run_dir / "schedule.json").read_text())
    assert result["labels"] == ["maze", "toolcall"] and len(result["scores"]) == 3
    assert result["trained"][1] == [False, True] and result["bwt"] is not None
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 7
    assert main([*argv, "--resume"]) == 0  # finished: nothing more to do, same metrics
    assert (run_dir / "metrics.jsonl").read_text().splitlines() == lines
    assert main([*argv[:3], "--run-dir", str(run_dir), *SMALL[:-2], "--hidden", "32", "--resume"]) == 2


def test_one_task_schedule_uses_the_plain_small_policy(tmp_path, capsys) -> None:  # noqa: ANN001
    assert main(["train", "--schedule", "rl:structure(K=2;m=3):2", "--run-dir", str(tmp_path / "r"), *SMALL]) == 0
    assert "structure(K=2;m=3)" in capsys.readouterr().out


def test_schedule_errors_are_one_line_and_nothing_is_written(tmp_path, capsys) -> None:  # noqa: ANN001
    for extra in (["--schedule", "rl:maze"], ["--schedule", "imitate:codetests:2"],
                  ["--schedule", "rl:maze+toolcall:2", "--weights", "1", "1", "1", "1"],
                  ["--schedule", "rl:maze:2", "--task-param", "size=9"],
                  ["--schedule", "rl:maze:2", "--warm-start-steps", "5"],
                  ["--schedule", "rl:maze:2", "--eval-at-start"],
                  ["--schedule", "rl:structure(K=x):2"], ["--schedule", "rl:maze:2:nope"]):
        assert main(["train", "--run-dir", str(tmp_path / "r"), *extra]) == 2
        out = capsys.readouterr().out
        assert "error" in out and "Traceback" not in out
    assert not (tmp_path / "r").exists()


def test_refine_stages_build_a_refining_policy(tmp_path, capsys) -> None:  # noqa: ANN001
    run_dir = tmp_path / "r"
    argv = ["train", "--schedule", "imitate:maze+toolcall:2 > refine:maze+toolcall:2 > rl:maze:1", "--refine", "2",
            "--run-dir", str(run_dir), *SMALL]
    assert main(argv) == 0, capsys.readouterr().out
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert any(k.startswith("maze/refine/") for k in rows[2])  # the refine stage's own metrics
    assert any(k.startswith("toolcall/refine/") for k in rows[3])
    assert not any("/refine/" in k for k in rows[4])  # an rl stage does not refine
    # --refine without a refine stage would be ignored: refused instead
    assert main(["train", "--schedule", "rl:maze:2", "--refine", "1", "--run-dir", str(tmp_path / "x"), *SMALL]) == 2
    assert "refine stages" in capsys.readouterr().out


def test_refine_settings_apply_per_stage_not_to_the_base_pipeline(tmp_path, capsys) -> None:  # noqa: ANN001
    # the run's scheme is set-level (vpo, which refinement cannot run with); the refine stage names grpo
    argv = ["train", "--aggregator", "vpo", "--refine", "1", "--schedule", "refine:maze:1:grpo > rl:maze:1",
            "--run-dir", str(tmp_path / "r"), *SMALL]
    assert main(argv) == 0, capsys.readouterr().out
    # a refine stage under a set-level scheme is refused, naming the stage
    assert main(["train", "--refine", "1", "--schedule", "refine:maze:1:vpo", "--run-dir", str(tmp_path / "x"),
                 *SMALL]) == 2
    assert "stage 1" in capsys.readouterr().out
