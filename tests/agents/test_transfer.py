import json
from pathlib import Path

import pytest

from agents.cli import main
from agents.transfer import report
from agents.transfer.lms import VOCAB_SIZE, Architecture, lm_choice_from_dict, parse_shape, resolve_lm
from agents.transfer.runs import PolicyBudget, SharedSettings, TransferLMConfig, transfer_specs
from llm_bridge.aggregators import get_spec
from vecreward_envs.families import make_family

TINY = ["--lm-shape", "1x32", "--small-steps", "1,2", "--lm-steps", "1,2", "--lm-batch-size", "2",
        "--eval-instances", "2", "--eval-samples", "2", "--lm-max-new-tokens", "12", "--jobs", "1"]


def test_transfer_runs_both_sides_reports_and_resumes(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "study"
    argv = ["transfer", "--task", "probe", "--aggregators", "grpo,gdpo", "--seeds", "2", "--out", str(out),
            "--lm-warm-start-steps", "0", *TINY]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "Rank agreement" in text and "small@long" in text and "lm@long" in text
    for side in ("small", "lm"):
        assert len(list((out / "runs" / side / "probe").glob("*/seed*/result.json"))) == 4
    models = sorted(p.name for p in (out / "models").iterdir())
    assert [m.split("-", 2)[-1] for m in models] == ["1x32-seed0", "1x32-seed1"]  # one model per seed
    data = json.loads((out / "transfer.json").read_text())
    assert set(data["sides"]) == {"small@short", "small@long", "lm@short", "lm@long"}
    assert data["sides"]["lm@long"]["steps"] == 2 and data["sides"]["small@short"]["steps"] == 1
    pairs = {(a["first"], a["second"]) for a in data["agreements"]}
    assert ("small@long", "lm@long") in pairs and ("small@short", "small@long") in pairs
    md = (out / "transfer.md").read_text()
    assert "small transformer trained from scratch" in md and "LLM" not in md
    assert "| objective_a | objective_b |" in md  # per-objective profiles
    csv_header = (out / "transfer.csv").read_text().splitlines()[0].split(",")
    assert {"side", "aggregator", "seed", "budget", "steps", "eval/best@1", "start/eval/best@1"} <= set(csv_header)
    # the same instances on both sides: one run config per side, equal pools and seeds
    small = json.loads((out / "runs/small/probe/grpo/seed1/config.json").read_text())
    lm = json.loads((out / "runs/lm/probe/grpo/seed1/config.json").read_text())
    for key in ("task", "task_params", "train_first_seed", "train_instances", "eval_first_seed", "eval_instances",
                "eval_samples", "seed"):
        assert small[key] == lm[key], key
    # again without --resume: refused; with --resume: nothing redone; a lost result is finished from its checkpoint
    assert main(argv) == 2
    assert "already holds a transfer study" in capsys.readouterr().out
    results = sorted(out.glob("runs/*/probe/*/seed*/result.json"))
    before = {p: p.stat().st_mtime_ns for p in results}
    assert main([*argv, "--resume"]) == 0
    assert {p: p.stat().st_mtime_ns for p in results} == before
    victim = out / "runs/lm/probe/gdpo/seed0/result.json"
    record = json.loads(victim.read_text())
    victim.unlink()
    assert main([*argv, "--resume"]) == 0
    assert json.loads(victim.read_text())["final"] == record["final"]
    capsys.readouterr()
    # resuming with other settings names what changed; how runs spread over cores is not a setting
    assert main([*[a if a != "1,2" else "1,3" for a in argv], "--resume"]) == 2
    assert "budgets.lm,small" in capsys.readouterr().out
    assert main([*argv, "--resume", "--lm-threads", "2", "--order", "scheme"]) == 0
    # a settings file written before jobs, threads and the label left a study's identity, and before a policy
    # setting existed (read as its default), still resumes; a changed policy setting does not
    meta = json.loads((out / "transfer_study.json").read_text())
    meta["lm"].update(jobs=7, threads=3, label="an older name")
    del meta["lm"]["policy"]["drop_finished_rows"]
    (out / "transfer_study.json").write_text(json.dumps(meta))
    assert main([*argv, "--resume"]) == 0
    meta["lm"]["policy"]["drop_finished_rows"] = False
    (out / "transfer_study.json").write_text(json.dumps(meta))
    assert main([*argv, "--resume"]) == 2
    assert "(lm.policy)" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "message"), [
    (["--lm", "no/such/dir"], "not small-transformer, smollm2 or a model directory"),
    (["--small-steps", "5,3"], "--small-steps: the long budget (3 steps) must exceed the short one"),
    (["--small-steps", "0,2"], "--small-steps: short must be an int >= 1"),
    (["--lm-batch-size", "0"], "--lm-batch-size must be in [1, 4096]"),
    (["--lm-warm-start-steps", "-1"], "--lm-warm-start-steps must be >= 0"),
    (["--lm-max-new-tokens", "1500"], "leaves too little of the small transformer's"),
    (["--metric", "bogus"], "is not an evaluation metric"),
    (["--metric", "eval/best@k"], "is not an evaluation metric"),
    (["--lm-shape", "100000x32"], "1 to 48 layers"),
    (["--eval-instances", "100000000000"], "--eval-instances must be in [1, 100000]"),
    (["--small-steps", "1,100000000000"], "at most 1000000 steps"),
    (["--task", "structure", "--aggregators", "grpo,vpo"], "TextChains"),
    (["--task", "probe"], "has no demonstrations"),
    (["--seeds", "5000000000"], "--seeds must be in [1, 1000]"),
    (["--eval-samples", "1"], "--eval-samples must be an int >= 2"),
    (["--small-steps", "4,6"], "multiple of the short one"),
    (["--lm-steps", "x"], "--lm-steps must be SHORT,LONG"),
    (["--aggregators", "grpo"], "at least two schemes"),
    (["--aggregators", "grpo,nope"], "valid"),
    (["--task", "multiagent_maze"], "--task multiagent_maze"),
    (["--task-param", "size=3"], "size"),
    (["--lm-shape", "2x40"], "multiple of 32"),
    (["--seeds", "0"], "--seeds must be in [1, 1000]"),
    (["--resume"], "holds no transfer study"),
])
def test_bad_options_fail_with_one_line(tmp_path, capsys, extra, message) -> None:  # noqa: ANN001
    assert main(["transfer", "--out", str(tmp_path / "s"), *extra]) == 2
    text = capsys.readouterr().out
    assert message in text and "Traceback" not in text
    assert not (tmp_path / "s" / "runs").exists()


@pytest.mark.parametrize("content", ["[]", '"x"', "{not json"])
def test_a_damaged_study_file_is_a_one_line_error_on_resume(tmp_path, capsys, content) -> None:  # noqa: ANN001
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "transfer_study.json").write_text(content)
    assert main(["transfer", "--out", str(tmp_path / "s"), "--resume"]) == 2
    text = capsys.readouterr().out
    assert "--resume:" in text and "Traceback" not in text


def test_specs_share_instances_and_differ_only_in_budget() -> None:
    family = make_family("maze", size=7)
    shared = SharedSettings("maze", {"size": 7}, eval_instances=4, eval_samples=4)
    choice = resolve_lm("small-transformer", max_new_tokens=64)
    specs = transfer_specs(shared, family, ["grpo", "vpo"], 2, PolicyBudget(10, 40),
                           PolicyBudget(5, 20, batch_size=8, warm_start_steps=7), choice, Path("/tmp/models"))
    # seed-major: a study stopped early holds whole seeds of every scheme
    assert [s.run_id for s in specs["small"]][:3] == ["small/maze/grpo/seed0", "small/maze/vpo/seed0",
                                                      "small/maze/grpo/seed1"]
    assert [s.run_id for s in specs["lm"]][-1] == "lm/maze/vpo/seed1"
    lm = specs["lm"][2].config
    assert isinstance(lm, TransferLMConfig)
    assert (lm.train.steps, lm.train.batch_size, lm.train.eval_every) == (20, 8, 5)
    # a from-scratch LM's warm start is done once per seed and shared by the schemes' runs
    assert (lm.train.warm_start_steps, lm.shared_warm_start) == (0, 7)
    small = specs["small"][1].config
    assert (small.steps, small.eval_every, small.eval_at_start) == (40, 10, True)
    # vpo answers in chains of m: fewer chains, the same number of answers in every evaluation pool
    m = get_spec("vpo").chain_length
    assert m > 1 and small.chain_length == m
    assert small.chain_length * small.eval_samples == specs["small"][0].config.eval_samples == 4 * m
    assert TransferLMConfig.from_dict(lm.to_dict()) == lm
    assert lm_choice_from_dict(choice.to_dict()) == choice


def test_shapes_and_parameter_counts() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    for arch in (Architecture(), parse_shape("2x64")):
        model = GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB_SIZE, n_positions=arch.n_positions, n_embd=arch.n_embd,
                                           n_layer=arch.n_layer, n_head=arch.n_head))
        assert arch.parameters() == sum(p.numel() for p in model.parameters())
    assert 1e6 <= Architecture().parameters() <= 10e6


def _metrics(path: Path, rows: list[dict]) -> None:
    path.mkdir(parents=True)
    path.joinpath("metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_report_reads_each_side_at_its_budgets_and_finds_flips(tmp_path) -> None:  # noqa: ANN001
    # small policy: a > b > c at both budgets; LM: c > b > a at its long budget, a > b > c at its short one
    values = {"small": {"a": (0.9, 0.8), "b": (0.5, 0.6), "c": (0.1, 0.2)},
              "lm": {"a": (0.6, 0.1), "b": (0.4, 0.3), "c": (0.2, 0.7)}}
    for side, schemes in values.items():
        for scheme, (short, long) in schemes.items():
            for seed, jitter in enumerate((0.0, 0.01)):
                _metrics(tmp_path / "runs" / side / "maze" / scheme / f"seed{seed}", [
                    {"step": 0, "start/eval/best@1": 0.05},
                    {"step": 1, "eval/best@1": short + jitter, "eval/gold/mean": short, "eval/match/0/mean": 1.0},
                    {"step": 3, "eval/best@1": long + jitter, "eval/gold/mean": long, "eval/match/0/mean": 1.0},
                ])
    layout = report.StudyLayout(tmp_path, "maze", {"small": (2, 4), "lm": (2, 4)})
    data = report.summary(layout, "eval/best@1", "an LM")
    assert data["sides"]["small@long"]["ranking"] == ["a", "b", "c"]
    assert data["sides"]["lm@long"]["ranking"] == ["c", "b", "a"]
    found = {(a["first"], a["second"]): a for a in data["agreements"]}
    assert found[("small@long", "lm@long")]["tau"] == pytest.approx(-1.0)
    assert sorted(map(tuple, found[("small@long", "lm@long")]["flipped"])) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert found[("small@short", "lm@short")]["tau"] == pytest.approx(1.0)
    assert found[("small@short", "lm@short")]["flipped"] == []
    entry = data["sides"]["lm@long"]["schemes"]["c"]
    assert entry["mean"] == pytest.approx(0.705) and entry["gain_over_start"] == pytest.approx(0.655)
    assert entry["profile"] == {"gold": pytest.approx(0.7), "match/0": 1.0}  # names may hold '/'

    written = report.write(tmp_path, data)
    assert [p.name for p in written] == ["transfer.json", "transfer.csv", "transfer.md"]
    assert "NaN" not in (tmp_path / "transfer.json").read_text()  # standard JSON: null, not NaN
    assert "| small@long | lm@long | -1.00 |" in (tmp_path / "transfer.md").read_text()
    # an unfinished run is reported at the budgets it reached
    _metrics(tmp_path / "runs" / "lm" / "maze" / "d" / "seed0", [{"step": 1, "eval/best@1": 0.3}])
    partial = report.summary(layout, "eval/best@1", "an LM")
    assert "d" in partial["sides"]["lm@short"]["schemes"] and "d" not in partial["sides"]["lm@long"]["schemes"]


def test_ranks_mark_ties_and_follow_the_metric_direction() -> None:
    values = {"a": {0: 1.0}, "b": {0: 1.0}, "c": {0: 0.5}}
    assert report.ranks(values) == {"a": "1=", "b": "1=", "c": "3"}
    assert report.ranks(values, higher_is_better=False) == {"a": "2=", "b": "2=", "c": "1"}
    assert report.ranking(values, higher_is_better=False)[0] == "c"


def test_policy_budget_validation() -> None:
    with pytest.raises(ValueError, match="must exceed"):
        PolicyBudget(10, 10)
    with pytest.raises(ValueError, match="int >= 1"):
        PolicyBudget(0, 10)
    with pytest.raises(ValueError, match="warm start"):
        PolicyBudget(1, 2, warm_start_steps=-1)
    assert PolicyBudget(25, 100).eval_every == 25


def test_a_from_scratch_warm_start_is_built_once_per_seed_and_shared(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "study"
    argv = ["transfer", "--task", "maze", "--aggregators", "grpo,gdpo", "--seeds", "1", "--out", str(out),
            "--lm-warm-start-steps", "2", *TINY]
    assert main(argv) == 0
    models = sorted(p.name for p in (out / "models").iterdir() if p.is_dir())
    assert len(models) == 2 and models[0].endswith("1x32-seed0") and "-warm2-" in models[1]
    warm = out / "models" / models[1]
    assert json.loads((warm / "warm_start.json").read_text())["steps"] == 2
    starts = []
    for scheme in ("grpo", "gdpo"):
        config = json.loads((out / "runs/lm/maze" / scheme / "seed0/config.json").read_text())
        assert config["warm_start_steps"] == 0
        first = json.loads((out / "runs/lm/maze" / scheme / "seed0/metrics.jsonl").read_text().splitlines()[0])
        starts.append({k: v for k, v in first.items() if k.startswith("start/eval/")})
    assert starts[0] and starts[0] == starts[1]  # both schemes start RL from the same warm-started weights


def test_a_warm_start_key_leaves_out_decoding_only_settings() -> None:
    import dataclasses

    from agents.llm.config import LLMPolicyConfig
    from agents.transfer.runs import DECODING_ONLY, warm_start_key
    from llm_bridge.trainer import TrainConfig

    run, root = TrainConfig(task="maze", task_params={"size": 7}, seed=1), Path("/tmp/models")
    policy = LLMPolicyConfig(model="/tmp/some-model")
    assert DECODING_ONLY and all(hasattr(policy, name) for name in DECODING_ONLY)
    key = warm_start_key(root, policy, run, 30)
    for name in DECODING_ONLY:  # a decoding setting cannot change the imitation's weights
        assert warm_start_key(root, dataclasses.replace(policy, **{name: not getattr(policy, name)}), run, 30) == key
        assert name not in key
    assert warm_start_key(root, dataclasses.replace(policy, lr=1e-3), run, 30) != key
    assert warm_start_key(root, policy, dataclasses.replace(run, seed=2), 30) != key
    assert warm_start_key(root, policy, run, 31) != key


def test_a_model_directory_trains_lora_on_a_shared_merged_warm_start(tmp_path) -> None:  # noqa: ANN001
    from agents.llm.offline import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", n_layer=1, n_embd=32, n_head=2, n_positions=1024)
    out = tmp_path / "study"
    argv = ["transfer", "--task", "maze", "--lm", str(model), "--aggregators", "grpo,gdpo", "--seeds", "1",
            "--out", str(out), "--lm-warm-start-steps", "1", *[a for a in TINY if a not in ("--lm-shape", "1x32")]]
    assert main(argv) == 0
    warm = [p for p in (out / "models").iterdir() if p.is_dir()]
    assert len(warm) == 1 and "tiny" in warm[0].name and "-warm1-" in warm[0].name
    assert not list(warm[0].glob("adapter_*")) and (warm[0] / "config.json").exists()  # merged: a plain checkpoint
    study = json.loads((out / "transfer_study.json").read_text())
    assert study["lm"]["policy"]["lora"] is True
    assert list((out / "runs/lm/maze/gdpo/seed0").glob("result.json"))


def test_a_killed_model_build_is_cleaned_and_a_live_one_left_alone(tmp_path) -> None:  # noqa: ANN001
    from agents.transfer.lms import small_transformer_dir

    dead, alive = tmp_path / ".x-1x32-seed0.999999999.tmp", tmp_path / ".x-1x32-seed0.1.tmp"  # pid 1 always runs
    dead.mkdir()
    alive.mkdir()
    built = small_transformer_dir(tmp_path, parse_shape("1x32"), 0, make_family("probe"), "x")
    assert (built / "config.json").exists() and not dead.exists() and alive.exists()
    assert small_transformer_dir(tmp_path, parse_shape("1x32"), 0, make_family("probe"), "x") == built  # once


def test_codetests_defaults_give_both_sides_a_warm_start(tmp_path) -> None:  # noqa: ANN001
    import argparse

    from agents.commands.transfer import _study, add_arguments
    from vecreward_envs.protocols import Demonstrations, supports

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    study = _study(parser.parse_args(["--task", "codetests", "--out", str(tmp_path / "s"), "--seeds", "1"]))
    params = study["meta"]["task_params"]
    assert params["answer_format"] == "python" and params["max_stages"] == 1 and params["reference_demonstrations"]
    assert supports(make_family("codetests", **params), Demonstrations)
    assert study["meta"]["warm_start"] == {"small": 100, "lm": 300}
    # the answer budget comes from the reference programs in Python, not the 128-token fallback
    assert study["choice"].to_dict()["policy"]["max_new_tokens"] < 128
