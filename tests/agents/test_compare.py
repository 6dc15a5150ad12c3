import json

import pytest

from agents.cli import main
from agents.compare.grid import build_grid, resolve_aggregators
from llm_bridge.aggregators import scheme_names
from vecreward_envs.families import make_family
from vecreward_envs.protocols import Demonstrations, supports


def test_compare_runs_resumes_and_reports(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "cmp"
    argv = ["compare", "--tasks", "probe", "--aggregators", "grpo,vpo", "--seeds", "2", "--out", str(out),
            "--jobs", "2"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "final evaluation" in text and "grpo" in text and "vpo" in text
    # off a terminal, progress is plain lines: the start, each finished run with an ETA, the end
    assert "compare: 4 run(s) to do" in text and "[4/4] " in text and "ETA" in text
    assert "Verdict" in text and "probe, best@1:" in text
    results = sorted((out / "runs").glob("*/*/seed*/result.json"))
    assert len(results) == 4
    for name in ("results.csv", "results.parquet", "report.md", "learning_probe.png", "bestk_probe.png",
                 "objectives_probe.png"):
        assert (out / name).exists(), name
    report = (out / "report.md").read_text()
    assert "| aggregator | objective_a | objective_b |" in report
    assert "## Verdict" in report and "## Metrics" in report and "Budget quick" in report
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert {"task", "aggregator", "seed", "step", "eval/best@1", "eval/hypervolume"} <= set(header)
    # a second invocation without --resume refuses to overwrite; with --resume nothing is redone
    assert main(argv) == 2
    before = {p: p.stat().st_mtime_ns for p in results}
    assert main([*argv, "--resume"]) == 0
    assert {p: p.stat().st_mtime_ns for p in results} == before
    # a lost result (a run killed after its last checkpoint) is finished from the checkpoint, not from scratch
    victim = results[0]
    record = json.loads(victim.read_text())
    victim.unlink()
    assert main([*argv, "--resume"]) == 0
    again = json.loads(victim.read_text())
    assert again["final"] == record["final"]
    # a budget recheck that reproduces the same runs agrees perfectly with them
    import shutil

    shutil.copytree(out / "runs", out / "recheck-standard" / "runs")
    assert main(["report", str(out)]) == 0
    text = capsys.readouterr().out
    assert "budget check probe, best@1: Kendall tau 1.00" in text and "flipped pairs: none" in text
    assert "## Budget check: quick vs standard" in (out / "report.md").read_text()


def test_grid_validation() -> None:
    families = {"maze": make_family("maze")}
    assert len(resolve_aggregators("all")) == 16
    with pytest.raises(ValueError, match="valid"):
        resolve_aggregators("grpo,nope")
    specs = build_grid(["maze"], ["vpo", "psr", "rvpo"], 2, "quick", families)
    assert len(specs) == 6
    by_name = {s.aggregator: s.config for s in specs}
    assert by_name["vpo"].chain_length == 3 and by_name["psr"].chain_length == 1
    assert dict(by_name["psr"].pipeline.aggregator_params) == {"success_objectives": [0]}
    assert dict(by_name["rvpo"].pipeline.aggregator_params)["total_steps"] == by_name["rvpo"].steps
    with pytest.raises(ValueError, match="budget"):
        build_grid(["maze"], ["grpo"], 1, "huge", families)


def test_compare_bad_options(tmp_path, capsys) -> None:  # noqa: ANN001
    for argv in (["--tasks", "chess"], ["--aggregators", "nope"], ["--seeds", "0"], ["--jobs", "0"]):
        assert main(["compare", "--out", str(tmp_path / "x"), *argv]) == 2
        assert "error" in capsys.readouterr().out


def _finals(out) -> dict:  # noqa: ANN001
    return {p.relative_to(out).as_posix(): json.loads(p.read_text())["final"]
            for p in sorted((out / "runs").glob("*/*/seed*/result.json"))}


def test_ray_backend_gives_the_rows_of_the_local_backend(tmp_path, capsys) -> None:  # noqa: ANN001
    pytest.importorskip("ray")
    argv = ["compare", "--tasks", "probe", "--aggregators", "grpo", "--seeds", "2", "--jobs", "2"]
    assert main([*argv, "--out", str(tmp_path / "local")]) == 0
    assert main([*argv, "--out", str(tmp_path / "ray"), "--backend", "ray"]) == 0
    assert "backend ray" in capsys.readouterr().out
    local, ray_ = _finals(tmp_path / "local"), _finals(tmp_path / "ray")
    assert len(local) == 2 and local == ray_
    from agents.compare.report import read_table

    rows = [[{k: v for k, v in r.items() if k != "wall_seconds"} for r in read_table(tmp_path / d / "results.csv")]
            for d in ("local", "ray")]
    assert rows[0] == rows[1]  # every metric of every step; only the wall time differs
    assert (tmp_path / "ray" / "report.md").exists()
    # resumable on ray as on the pool: nothing is redone
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "ray" / "runs").glob("*/*/seed*/result.json")}
    assert main([*argv, "--out", str(tmp_path / "ray"), "--backend", "ray", "--resume"]) == 0
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_backend_is_validated_before_anything_runs(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    import importlib.util

    out = tmp_path / "x"
    assert main(["compare", "--out", str(out), "--ray-address", "auto"]) == 2
    assert "--ray-address needs --backend ray" in capsys.readouterr().out
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    assert main(["compare", "--out", str(out), "--backend", "ray"]) == 2
    assert "needs Ray" in capsys.readouterr().out
    assert not out.exists()
    with pytest.raises(SystemExit):
        main(["compare", "--out", str(out), "--backend", "dask"])


@pytest.mark.parametrize("task", ["maze", "codetests", "toolcall", "confidence", "easyhard"])
def test_every_family_builds_a_grid(task) -> None:  # noqa: ANN001
    from vecreward_envs.families import FAMILIES

    if task not in FAMILIES:
        pytest.skip(f"{task} is not registered")
    family = make_family(task)
    specs = build_grid([task], resolve_aggregators("all"), 1, "quick", {task: family})
    assert len(specs) == len(scheme_names())
    psr = next(s for s in specs if s.aggregator == "psr").config.pipeline.aggregator_params
    assert list(psr["success_objectives"]) == list(family.success_objectives)
    warm = 100 if supports(family, Demonstrations) else 0
    assert all(s.config.warm_start_steps == warm for s in specs)


def test_worker_records_the_final_evaluations_pool(tmp_path) -> None:  # noqa: ANN001
    """One owner of evaluation: eval_rewards is the pool behind ``final``, not a second sample."""
    import dataclasses

    import numpy as np

    from agents.compare.worker import run_one
    from llm_bridge import metrics as M
    from llm_bridge.evaluation import pool_metrics

    family = make_family("maze")
    spec = build_grid(["maze"], ["vpo"], 1, "quick", {"maze": family})[0]
    config = dataclasses.replace(spec.config, steps=2, eval_every=2, checkpoint_every=2, warm_start_steps=1,
                                 eval_instances=3, eval_samples=4, batch_size=4, train_instances=8)
    record = run_one(spec.run_id, config.to_dict(), str(tmp_path / "run"))
    rewards = np.asarray(record["eval_rewards"])  # [B, S, m, K]
    assert rewards.shape == (3, 4, 3, len(family.reward_names))
    low, high = np.asarray(family.reward_low, np.float64), np.asarray(family.reward_high, np.float64)
    weights = M.dirichlet_weights(len(family.reward_names), 100, np.random.default_rng([config.seed, 7]))
    again = pool_metrics(rewards, high, low - 0.1 * (high - low), weights, [1, 4])
    for key, value in again.items():
        assert value == pytest.approx(record["final"][key], abs=1e-5), key
