"""``vecreward diagnose``: every input format, every bad file, and the same numbers as the advantage-collapse claim."""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from agents.cli import main
from llm_bridge.diagnostics import RewardLogWriter, diagnose, to_jsonable

NAMES = ["correct", "format", "length"]


def _rewards() -> np.ndarray:
    rng = np.random.default_rng(0)
    r = rng.integers(0, 3, size=(6, 4, 3)) / 2.0  # [B=6, G=4, K=3], values 0, 0.5, 1
    r[:, :, 2] = np.where(rng.random((6, 4)) < 0.3, np.nan, rng.random((6, 4)))
    r[0] = [[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]  # example A: GRPO collapses it
    return r


def _records(r: np.ndarray) -> list[dict]:
    """Rows ordered rollout-major (every group's first rollout, then the second, ...): groups are interleaved."""
    out = []
    for g in range(r.shape[1]):
        for b in range(r.shape[0]):
            row = {"group": f"prompt-{b}", "step": 7, "completion": f"text {b}/{g}"}
            row.update({n: (None if np.isnan(v) else float(v)) for n, v in zip(NAMES, r[b, g], strict=True)})
            out.append(row)
    return out


def _write(path: Path, r: np.ndarray) -> Path:
    records = _records(r)
    if path.suffix == ".csv":
        with open(path, "w", newline="") as handle:
            w = csv.DictWriter(handle, fieldnames=list(records[0]))
            w.writeheader()
            for i, rec in enumerate(records):  # NaN written as an empty cell, or as "nan"
                w.writerow({k: ("" if i % 2 else "nan") if v is None else (repr(v) if isinstance(v, float) else v)
                            for k, v in rec.items()})
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(rec) + "\n" for rec in records))
    elif path.suffix == ".parquet":
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), path)
    else:
        np.save(path, r)
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    rc = main(["diagnose", *argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_listed_in_help(capsys) -> None:  # noqa: ANN001
    assert main([]) == 2
    assert "diagnose" in capsys.readouterr().out


@pytest.mark.parametrize("ext", [".csv", ".jsonl", ".parquet", ".npy"])
def test_every_format_round_trips(tmp_path, capsys, ext) -> None:  # noqa: ANN001
    r = _rewards()
    path = _write(tmp_path / f"rewards{ext}", r)
    out_json = tmp_path / "out" / "diag.json"
    rc, out, err = _run(capsys, str(path), "--json", str(out_json))
    assert rc == 0, err
    names = [f"o{i}" for i in range(3)] if ext == ".npy" else NAMES
    expected = to_jsonable(diagnose(r, names))
    data = json.loads(out_json.read_text())
    assert {k: data[k] for k in expected} == expected
    assert data["grpo_collapse_fraction"] > 0 and data["per_objective"][names[2]]["nan_fraction"] > 0
    assert not list(out_json.parent.glob("*.tmp"))
    assert "Suggested" in out and "grpo_collapse_fraction" in out and f"wrote {out_json}" in out
    if ext != ".npy":
        assert data["ignored_columns"] == ["group", "step", "completion"]
        assert "columns not taken as objectives: group, step, completion" in out
        assert "6 groups of 4 rollouts, 3 objectives: correct, format, length" in out


def test_table_without_json(tmp_path, capsys) -> None:  # noqa: ANN001
    rc, out, _ = _run(capsys, str(_write(tmp_path / "r.npy", _rewards()[:1])))
    assert rc == 0
    assert "Objectives" in out and "Within-group correlation" in out and "variance share" in out
    assert "gdpo (collapse): GRPO maps distinct reward vectors to one advantage in 100% of the groups" in out


def _bad(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


BAD_FILES = [
    ("missing.csv", None, "no such file"),
    ("r.txt", "group,a\n1,2\n", "unknown extension '.txt'"),
    ("nogroup.csv", "prompt,a\n1,2\n", "no 'group' column (the prompt id); columns: prompt, a"),
    ("text.csv", "group,completion\n1,hello\n1,bye\n", "no numeric objective columns"),
    ("ragged.csv", "group,a\n1,0\n1,1\n2,0\n2,1\n2,1\n", "groups must all have the same size; sizes seen: 2 (1 group), "
                                                          "3 (1 group)"),
    ("empty.jsonl", "", "the file is empty"),
    ("header.csv", "group,a\n", "no rows"),
    ("fields.csv", "group,a\n1,0\n1,0,5\n", "line 3 has 3 fields, the header 2"),
    ("nogid.csv", "group,a\n1,0\n,1\n", "row 2 has no group id"),
    ("inf.csv", "group,a\n1,0\n1,inf\n", "infinite values in a"),
    ("bad.jsonl", '{"group": 1, "a": 0}\n{"group": 1, "a": \n', "line 2 is not valid JSON"),
    ("list.jsonl", '[1, 2]\n', "line 1 is not a JSON object"),
    ("corrupt.parquet", b"PAR1 this is not parquet", "not a readable Parquet file"),
    ("corrupt.npy", b"\x93NUMPY garbage", "not a readable .npy file"),
    ("binary.csv", b"\xff\xfe\x00\x01", "not a readable CSV file"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_bad_files_give_one_line_errors(tmp_path, capsys, name, content, message) -> None:  # noqa: ANN001
    path = tmp_path / name if content is None else _bad(tmp_path, name, content)
    rc, out, err = _run(capsys, str(path))
    assert rc == 2 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("error:") and message in err


def test_npy_of_the_wrong_shape_and_a_directory(tmp_path, capsys) -> None:  # noqa: ANN001
    np.save(tmp_path / "flat.npy", np.zeros((4, 3)))
    rc, _, err = _run(capsys, str(tmp_path / "flat.npy"))
    assert rc == 2 and "must be a non-empty numeric array [B, G, K], got shape (4, 3)" in err
    rc, _, err = _run(capsys, str(tmp_path))
    assert rc == 2 and "is a directory" in err


def test_parquet_without_pyarrow(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    path = _bad(tmp_path, "r.parquet", b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    rc, _, err = _run(capsys, str(path))
    assert rc == 2 and 'pip install "vecreward[report]"' in err and len(err.strip().splitlines()) == 1


def test_unwritable_json_is_one_line(tmp_path, capsys) -> None:  # noqa: ANN001
    path = _write(tmp_path / "r.npy", _rewards())
    (tmp_path / "afile").write_text("x")
    rc, _, err = _run(capsys, str(path), "--json", str(tmp_path / "afile" / "diag.json"))
    assert rc == 2 and "cannot write" in err and "Traceback" not in err


def test_same_numbers_as_the_advantage_collapse_claim(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    """diagnose on the claim's own groups (logged through RewardLogWriter) reproduces every row of the claim."""
    import torch

    from agents.reproduce import advantage_collapse as claim
    from agents.reproduce.common import ClaimContext, ReproduceConfig
    from vecreward_envs.families import FAMILIES

    torch.set_num_threads(1)  # the small policy; more threads only contend on a busy machine
    tasks = tuple(t for t in ("maze", "toolcall") if t in FAMILIES)  # maze: no NaN; toolcall: NaN and collapse
    monkeypatch.setattr(claim, "TASKS", tasks)
    monkeypatch.setitem(claim.BUDGETS, "tiny", claim.CollapseBudget(groups=16))  # informative groups on the maze
    captured: dict[str, np.ndarray] = {}
    real = claim._groups

    def spy(task: str, seed: int, budget: claim.CollapseBudget) -> np.ndarray:
        captured[task] = real(task, seed, budget)
        return captured[task]

    monkeypatch.setattr(claim, "_groups", spy)
    output = claim.run(ClaimContext(ReproduceConfig(budget="tiny", seeds=1), tmp_path, None))
    rows = {(r["measure"], r["method"]): r["values"][0] for r in output.rows}
    for task in tasks:
        log = tmp_path / f"{task}.jsonl"
        RewardLogWriter(log, [f"o{i}" for i in range(captured[task].shape[2])]).write(captured[task])
        rc, _, err = _run(capsys, str(log), "--json", str(tmp_path / f"{task}.json"))
        assert rc == 0, err
        d = json.loads((tmp_path / f"{task}.json").read_text())
        assert d["mean_distinct_vectors"] == rows[(f"{task}: distinct reward vectors per group (G=8)", "(the groups)")]
        for scheme in ("grpo", "gdpo"):
            assert d[f"{scheme}_collapse_fraction"] == rows[(f"{task}: groups with collapse (L < D)", scheme)]
            assert d[f"{scheme}_level_ratio"] == rows[(f"{task}: advantage levels / distinct vectors", scheme)]
        assert d["informative_fraction"] > 0
    if "toolcall" in tasks:
        assert rows[("toolcall: groups with collapse (L < D)", "grpo")] > 0  # a non-trivial equality


def test_trl_run_writes_a_log_that_diagnose_reads(tmp_path, capsys) -> None:  # noqa: ANN001
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("trl")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig

    from agents.llm.offline import build_tiny_model
    from agents.llm.trl_hook import VectorRewardGRPOTrainer
    from llm_bridge.export import as_trl
    from llm_bridge.pipeline import PipelineConfig
    from vecreward_envs.families import make_family

    torch.set_num_threads(1)
    path = build_tiny_model(tmp_path / "tiny")
    family = make_family("maze", size=7)
    export = as_trl(family, family.instances(0, 8), conversational=False)

    def byte_sum(prompts: list, completions: list, **kwargs: object) -> list[float]:
        return [float(sum(c.encode()) % 7) for c in completions]

    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=2,
                      max_completion_length=8, max_steps=2, learning_rate=1e-3, use_cpu=True, report_to=[],
                      logging_steps=1, save_strategy="no", seed=0, bf16=False)
    log = tmp_path / "rewards.jsonl"
    trainer = VectorRewardGRPOTrainer(model=AutoModelForCausalLM.from_pretrained(path),
                                      processing_class=AutoTokenizer.from_pretrained(path),
                                      reward_funcs=[*export.reward_funcs, byte_sum], args=args,
                                      train_dataset=export.dataset, pipeline=PipelineConfig(aggregator="gdpo"),
                                      reward_log=log)
    trainer.train()
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    k = len(export.reward_funcs) + 1
    assert len(rows) == 8 and [r["group"] for r in rows] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert {r["step"] for r in rows} == {0, 1} and "byte_sum" in rows[0]
    last = trainer.vec_last_rewards.cpu().numpy()  # the second step's [N, K]
    objectives = [n for n in rows[0] if n not in ("step", "group")]
    assert len(objectives) == k
    np.testing.assert_allclose([[np.nan if r[n] is None else r[n] for n in objectives] for r in rows[4:]], last,
                               rtol=1e-6)
    rc, out, err = _run(capsys, str(log), "--json", str(tmp_path / "d.json"))
    assert rc == 0, err
    d = json.loads((tmp_path / "d.json").read_text())
    assert d["n_groups"] == 4 and d["group_size"] == 2 and d["objectives"] == objectives and d["suggested"]
