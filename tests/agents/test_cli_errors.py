"""Bad arguments get one line and exit code 2, never a traceback (issue 16's list, and a few more)."""

import json

import numpy as np
import pytest

from agents.cli import main


def _one_line(capsys, code: int, needle: str) -> None:  # noqa: ANN001
    out = capsys.readouterr()
    text = (out.out + out.err).strip()
    assert code == 2, text
    assert needle in text and "Traceback" not in text and len(text.splitlines()) == 1, text


def test_compare_rejects_bad_outputs_and_empty_lists(tmp_path, capsys) -> None:  # noqa: ANN001
    a_file = tmp_path / "file"
    a_file.write_text("x")
    _one_line(capsys, main(["compare", "--out", str(a_file)]), "--out")
    _one_line(capsys, main(["compare", "--out", str(a_file / "below")]), "cannot be created")
    _one_line(capsys, main(["compare", "--tasks", ",", "--out", str(tmp_path / "a")]), "--tasks is empty")
    _one_line(capsys, main(["compare", "--aggregators", "grpo,grpo", "--out", str(tmp_path / "a")]), "twice")
    _one_line(capsys, main(["compare", "--resume", "--out", str(tmp_path / "none")]), "no comparison to continue")
    _one_line(capsys, main(["compare", "--recheck", "1", "--out", str(tmp_path / "a")]), "--recheck")
    _one_line(capsys, main(["compare", "--recheck-budget", "standard", "--budget", "standard", "--out",
                            str(tmp_path / "a")]), "not longer")


def test_train_rejects_bad_run_dirs_seeds_and_resumes(tmp_path, capsys) -> None:  # noqa: ANN001
    a_file = tmp_path / "file"
    a_file.write_text("x")
    base = ["train", "--task", "probe", "--steps", "1", "--no-progress", "--no-tensorboard"]
    _one_line(capsys, main([*base, "--run-dir", str(a_file)]), "--run-dir")
    _one_line(capsys, main([*base, "--seed", "99999999999999999999999", "--run-dir", str(tmp_path / "r")]),
              "--seed must be <= 4294967295")
    _one_line(capsys, main([*base, "--resume", "--run-dir", str(tmp_path / "missing")]), "no run to continue")
    _one_line(capsys, main([*base, "--batch-size", "0", "--run-dir", str(tmp_path / "r")]), "--batch-size")
    assert not (tmp_path / "missing").exists()


def test_advantages_refuses_deep_json_and_huge_matrices(tmp_path, capsys) -> None:  # noqa: ANN001
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    _one_line(capsys, main(["advantages", "--file", str(deep)]), "nested 100000 levels deep")
    big = tmp_path / "big.json"
    big.write_text(json.dumps(np.zeros((3000, 64, 3)).tolist()))
    _one_line(capsys, main(["advantages", "--file", str(big)]), "3000 groups")


@pytest.mark.parametrize("argv", [["report", "/nonexistent/dir"], ["diagnose", "/nonexistent/file.csv"]])
def test_missing_inputs(argv, capsys) -> None:  # noqa: ANN001
    _one_line(capsys, main(argv), "")


def test_compare_resume_refuses_another_budget(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "cmp"
    (out / "runs").mkdir(parents=True)
    (out / "compare.json").write_text(json.dumps({"budget": "quick"}))
    _one_line(capsys, main(["compare", "--budget", "standard", "--resume", "--out", str(out)]),
              "was run with --budget quick, not standard")


def test_advantages_refuses_huge_groups(tmp_path, capsys) -> None:  # noqa: ANN001
    wide = tmp_path / "wide.json"
    wide.write_text(json.dumps(np.zeros((1, 1000, 3)).tolist()))
    _one_line(capsys, main(["advantages", "--file", str(wide)]), "groups of 1000 rollouts")
