"""``vecreward compare --schedule``: schedules compared over seeds on the grid's workers, resumable, one-line errors."""

import csv

from agents.cli import main


def test_schedules_are_compared_and_resumed(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "cmp"
    argv = ["compare", "--schedule", "seq=imitate:toolcall+maze:2 > rl:toolcall:2 > rl:maze:2",
            "--schedule", "joint=imitate:toolcall+maze:2 > rl:toolcall+maze:4", "--seeds", "2", "--jobs", "1",
            "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "Final scores" in text and "Verdict per task" in text and "| seq |" in text and "| joint |" in text
    rows = list(csv.DictReader((out / "schedules.csv").open()))
    assert {(r["task"], r["schedule"], r["seed"]) for r in rows} == {
        (t, s, str(seed)) for t in ("toolcall", "maze") for s in ("seq", "joint") for seed in (0, 1)}
    assert all(r["schedule/bwt"] == "" for r in rows if r["schedule"] == "joint")  # joint leaves nothing to measure
    assert all(r["schedule/bwt"] != "" for r in rows if r["schedule"] == "seq")
    assert (out / "runs" / "schedule" / "seq" / "seed1" / "schedule.json").exists()
    before = (out / "schedules.csv").read_text()
    assert main([*argv, "--resume"]) == 0  # every run finished: nothing is redone, same table
    assert (out / "schedules.csv").read_text() == before
    assert main(argv) == 2  # the folder holds a comparison: --resume or another --out
    assert "already holds" in capsys.readouterr().out


def test_bad_schedules_fail_before_anything_runs(tmp_path, capsys) -> None:  # noqa: ANN001
    for extra in (["--schedule", "nameless"], ["--schedule", "a=rl:maze:2", "--schedule", "a=rl:maze:3"],
                  ["--schedule", "a b=rl:maze:2"], ["--schedule", "a=rl:chess:2"],
                  ["--schedule", "a=imitate:codetests:2"], ["--schedule", "a=rl:maze:2", "--seeds", "0"],
                  ["--schedule", "a=rl:maze:2", "--tasks", "toolcall"],
                  ["--schedule", "a=rl:maze:2", "--recheck-budget", "standard"]):
        assert main(["compare", "--out", str(tmp_path / "c"), *extra]) == 2
        out = capsys.readouterr().out
        assert "error" in out and "Traceback" not in out
    assert not (tmp_path / "c").exists()
