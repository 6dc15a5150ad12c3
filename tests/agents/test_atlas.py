import json

import pytest

from agents.atlas.settings import Axis, label, parse_axes, parse_axis, settings, split_top_level
from agents.cli import main


def test_axes_and_settings() -> None:
    assert split_top_level("0,[1,2],3") == ["0", "[1,2]", "3"]
    assert parse_axis("noise=0,0.1,0.3") == Axis("noise", (0, 0.1, 0.3))
    assert parse_axis("noisy=[0],[0,1]") == Axis("noisy", ((0,), (0, 1)))
    assert parse_axis("relation=independent,tradeoff").values == ("independent", "tradeoff")
    axes = parse_axes(["K=2,4", "noise=0,0.3"])
    grid = settings(axes, {"relation": "tradeoff"})
    assert [(s["K"], s["noise"]) for s in grid] == [(2, 0), (2, 0.3), (4, 0), (4, 0.3)]
    assert all(s["relation"] == "tradeoff" for s in grid)
    assert label(grid[1], axes) == "K=2__noise=0.3"
    assert label({"noisy": (0, 1)}, [Axis("noisy", ((0, 1),))]) == "noisy=0,1"
    for bad, message in [(["noise"], "expects KEY=V1,V2"), (["=1,2"], "expects KEY"), (["K=1,,2"], "empty value"),
                         (["K=1,1"], "given twice"), (["K=1", "K=2"], "names a knob twice"), ([], "at least one")]:
        with pytest.raises(ValueError, match=message):
            parse_axes(bad)
    with pytest.raises(ValueError, match="both varied"):
        settings(parse_axes(["K=2"]), {"K": 3})
    with pytest.raises(ValueError, match="name the same setting"):
        settings(parse_axes(["noisy=[0],0"]), {})


def test_atlas_runs_maps_resumes_and_refuses(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "atlas"
    argv = ["atlas", "--task", "easyhard", "--vary", "n_options=4,16", "--aggregators", "grpo,gdpo", "--seeds", "2",
            "--out", str(out), "--jobs", "2"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "atlas: easyhard, 2 settings x 2 schemes x 2 seeds = 8 runs" in text
    assert "best@1: winners per setting" in text and "| n_options | winners (tied for best) | best mean |" in text
    for name in ("atlas.md", "atlas.csv", "atlas.parquet", "heatmap_best_at_1.png",
                 "n_options=4/report.md", "n_options=16/report.md", "n_options=16/results.csv"):
        assert (out / name).exists(), name
    assert len(list(out.glob("n_options=*/runs/easyhard/*/seed*/result.json"))) == 8
    header = (out / "atlas.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["setting", "n_options"] and "eval/best@1" in header
    # each setting really ran with its own family configuration
    for n in (4, 16):
        config = json.loads((out / f"n_options={n}/runs/easyhard/grpo/seed0/config.json").read_text())
        assert config["task_params"] == {"n_options": n}
    report = (out / "atlas.md").read_text()
    assert "# Atlas: easyhard" in report and "![best@1](heatmap_best_at_1.png)" in report
    # again without --resume: refused; with --resume: nothing is redone, the outputs are rewritten
    assert main(argv) == 2
    assert "already holds an atlas" in capsys.readouterr().out
    results = sorted(out.glob("n_options=*/runs/*/*/seed*/result.json"))
    before = {p: p.stat().st_mtime_ns for p in results}
    assert main([*argv, "--resume"]) == 0
    assert {p: p.stat().st_mtime_ns for p in results} == before
    capsys.readouterr()
    assert main([*argv[:-4], "--seeds", "3", "--out", str(out), "--resume"]) == 2
    assert "was run with other seeds" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "message"), [
    (["--vary", "n_options=4,1"], "setting n_options=1: n_options must be an int >= 2"),
    (["--vary", "nope=1,2"], "setting nope=1"),
    (["--vary", "n_options=4", "--set", "n_options=5"], "both varied"),
    (["--vary", "n_options=4", "--aggregators", "grpo,nope"], "valid"),
    (["--vary", "n_options=4", "--metrics", "eval/nope"], "unknown"),
    (["--vary", "n_options=4", "--seeds", "0"], "--seeds must be >= 1"),
])
def test_bad_options_fail_in_one_line_before_anything_runs(tmp_path, capsys, extra, message) -> None:  # noqa: ANN001
    out = tmp_path / "atlas"
    assert main(["atlas", "--task", "easyhard", "--out", str(out), *extra]) == 2
    text = capsys.readouterr().out
    assert message in text and text.count("\n") == 1 and not out.exists()


def test_per_sample_metrics_are_not_mapped_beside_set_level_schemes(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "atlas"
    argv = ["atlas", "--task", "easyhard", "--vary", "n_options=4", "--aggregators", "grpo,vpo", "--seeds", "2",
            "--out", str(out), "--jobs", "2"]
    assert main(argv) == 0
    report = (out / "atlas.md").read_text()
    assert "## Not mapped: per-sample metrics" in report and "## best@1" not in report
    # equal pools: the chain scheme samples a third as many chains of 3 answers
    single = json.loads((out / "n_options=4/runs/easyhard/grpo/seed0/config.json").read_text())
    chains = json.loads((out / "n_options=4/runs/easyhard/vpo/seed0/config.json").read_text())
    assert single["eval_samples"] == 3 * chains["eval_samples"] and chains["chain_length"] == 3
