import json

from agents.cli import main


def test_train_command_writes_a_run(tmp_path, capsys) -> None:  # noqa: ANN001
    run_dir = tmp_path / "run"
    code = main(["train", "--task", "probe", "--aggregator", "gdpo", "--steps", "4", "--batch-size", "4",
                 "--group-size", "4", "--train-instances", "4", "--eval-instances", "1", "--eval-every", "2",
                 "--run-dir", str(run_dir), "--no-progress", "--hidden", "16"])
    assert code == 0
    out = capsys.readouterr().out
    assert "last evaluation" in out and "eval/best@1" in out
    config = json.loads((run_dir / "config.json").read_text())
    assert config["pipeline"]["aggregator"] == "gdpo" and config["steps"] == 4
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 4 and (run_dir / "checkpoints" / "latest.pt").exists()
    assert any((run_dir / "tb").iterdir())
    # resume a finished run: nothing more to do, same metrics
    assert main(["train", "--task", "probe", "--aggregator", "gdpo", "--steps", "4", "--batch-size", "4",
                 "--group-size", "4", "--train-instances", "4", "--eval-instances", "1", "--eval-every", "2",
                 "--run-dir", str(run_dir), "--no-progress", "--hidden", "16", "--resume"]) == 0
    assert (run_dir / "metrics.jsonl").read_text().splitlines() == lines


def test_train_command_rejects_bad_options_before_running(tmp_path, capsys) -> None:  # noqa: ANN001
    for argv in (["--aggregator", "nope"], ["--steps", "0"], ["--task-param", "size=3"], ["--task", "chess"],
                 ["--aggregator-param", "scale=sideways"], ["--chain-length", "3"]):
        assert main(["train", "--run-dir", str(tmp_path / "r"), *argv]) == 2
        assert "error" in capsys.readouterr().out
    assert not (tmp_path / "r").exists()


def test_help_explains_every_option(capsys) -> None:  # noqa: ANN001
    try:
        main(["train", "--help"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    for option in ("--group-size", "--chain-length", "--clip-range", "--kl-coef", "--warm-start-steps", "--lr"):
        assert option in out
    assert "rollouts per instance" in out


def test_codetests_warm_start_needs_its_reference_demonstrations(tmp_path, capsys) -> None:  # noqa: ANN001
    argv = ["train", "--task", "codetests", "--task-param", "max_stages=1", "--steps", "1", "--batch-size", "2",
            "--group-size", "2", "--warm-start-steps", "3", "--train-instances", "4", "--eval-instances", "1",
            "--no-progress", "--no-tensorboard", "--hidden", "16"]
    assert main([*argv, "--run-dir", str(tmp_path / "plain")]) == 2
    assert "'codetests' has no Demonstrations" in capsys.readouterr().out
    run_dir = tmp_path / "warm"
    opt_in = [*argv, "--task-param", "reference_demonstrations=true", "--eval-at-start", "--run-dir", str(run_dir)]
    assert main(opt_in) == 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task_params"]["reference_demonstrations"] is True and config["warm_start_steps"] == 3
    assert "start/eval/best@1" in json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])
    assert main([*opt_in, "--resume"]) == 0


def test_default_warm_start_reads_the_family_as_its_task_params_configure_it() -> None:
    from agents.cli import build_parser
    from agents.commands.train import _configs

    def warm(*task_params: str) -> int:
        argv = ["train", "--task", "codetests"]
        for item in task_params:
            argv += ["--task-param", item]
        return _configs(build_parser().parse_args(argv))[0].warm_start_steps

    assert warm() == 0 and warm("reference_demonstrations=false") == 0
    assert warm("reference_demonstrations=true") == 100
    assert warm("reference_demonstrations=maybe") == 0  # left to the run's own one-line error
