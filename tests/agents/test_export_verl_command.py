"""``vecreward export-verl``: parquet files verl reads, rows that ``compute_score`` scores, one-line errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pq = pytest.importorskip("pyarrow.parquet")

from agents.cli import main  # noqa: E402
from llm_bridge.export import compute_score  # noqa: E402
from vecreward_envs.families import make_family  # noqa: E402


def test_export_verl_writes_disjoint_splits_that_score(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "verl"
    code = main(["export-verl", "--task", "maze", "--train", "12", "--test", "4", "--out", str(out),
                 "--config", "size=7", "--config", "score_mode=linear"])
    assert code == 0, capsys.readouterr()
    printed = capsys.readouterr().out
    assert "custom_reward_function.name=compute_score" in printed and "vecreward/maze" in printed
    train, test = (pq.read_table(out / name).to_pylist() for name in ("train.parquet", "test.parquet"))
    assert len(train) == 12 and len(test) == 4
    assert set(train[0]) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    assert train[0]["prompt"][0]["role"] == "user" and train[0]["reward_model"]["style"] == "rule"
    assert test[3]["extra_info"] == {"split": "test", "index": 3}
    rows = [[json.loads(r["reward_model"]["ground_truth"]) for r in split] for split in (train, test)]
    assert not {r["seed"] for r in rows[0]} & {r["seed"] for r in rows[1]}
    assert all(r["config"]["size"] == 7 and r["config"]["score_mode"] == "linear" for r in rows[0] + rows[1])
    # score one row as verl would: the family comes from the row's config
    family = make_family("maze", size=7, score_mode="linear")
    instance = family.instance_from_row(rows[1][0])
    solution = family.demonstration_texts([instance])[0]
    scored = compute_score(test[0]["data_source"], solution, test[0]["reward_model"]["ground_truth"],
                           test[0]["extra_info"])
    vector = family.score_completions(instance, [solution])[0][0]
    assert scored["completion"] == 1.0
    assert [scored[n] for n in family.reward_names] == pytest.approx(vector.tolist())


def _one_line(capsys: pytest.CaptureFixture, code: int, needle: str) -> None:
    captured = capsys.readouterr()
    text = (captured.out + captured.err).strip()
    assert code == 2, text
    assert needle in text and "Traceback" not in text and len(text.splitlines()) == 1, text


def test_export_verl_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = str(tmp_path / "o")
    base = ["export-verl", "--out", out]
    _one_line(capsys, main([*base, "--task", "chess"]), "unknown task family 'chess'")
    _one_line(capsys, main([*base, "--task", "maze", "--train", "0"]), "--train must be >= 1")
    _one_line(capsys, main([*base, "--task", "maze", "--test", "-1"]), "--test must be >= 1")
    _one_line(capsys, main([*base, "--task", "maze", "--config", "bogus=1"]), "unknown maze parameter")
    _one_line(capsys, main([*base, "--task", "maze", "--config", "size"]), "expected KEY=VALUE")
    _one_line(capsys, main([*base, "--task", "multiagent_maze"]), "has no TextView")
    _one_line(capsys, main([*base, "--task", "toolcall", "--train", "5", "--test-first-seed", "3"]),
              "lies among the training seeds")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    _one_line(capsys, main(["export-verl", "--task", "maze", "--out", str(a_file)]), "is a file")
    _one_line(capsys, main(["export-verl", "--task", "maze", "--out", str(a_file / "below")]), "cannot be created")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        _one_line(capsys, main(["export-verl", "--task", "maze", "--out", str(locked)]), "not writable")
    assert not (tmp_path / "o").exists()  # nothing created before the arguments were all valid


def test_export_verl_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["export-verl", "--task", "probe", "--train", "2", "--test", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    capsys.readouterr()
    _one_line(capsys, main(argv), "--force")
    assert main([*argv, "--force"]) == 0
