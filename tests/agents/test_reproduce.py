import json

import numpy as np
import pytest

from agents.cli import main
from agents.reproduce import CLAIMS
from agents.reproduce.advantage_collapse import count_levels
from llm_bridge.pipeline import PipelineConfig, run_pipeline
from vecreward_envs import families

ROW_KEYS = {"measure", "method", "values", "mean", "std", "paper"}


def test_list_names_every_claim(capsys) -> None:  # noqa: ANN001
    assert main(["reproduce", "--list"]) == 0
    text = capsys.readouterr().out
    for claim in CLAIMS.values():
        assert claim.name in text
    numbers = [c.number for c in CLAIMS.values()]
    assert numbers[:9] == [1, 2, 3, 4, 5, 6, 7, 8, 9] and numbers == sorted(set(numbers))  # later issues add theirs
    assert "gates" in CLAIMS
    assert "critique" in CLAIMS and CLAIMS["critique"].number == 12


@pytest.mark.parametrize("argv", [[], ["nope"], ["vpo-maze", "--seeds", "0"], ["vpo-maze", "--jobs", "0"]])
def test_bad_options_fail_before_anything_runs(tmp_path, capsys, argv) -> None:  # noqa: ANN001
    assert main(["reproduce", *argv, "--out", str(tmp_path / "r")]) == 2
    assert "error" in capsys.readouterr().out
    assert not (tmp_path / "r").exists()


def test_toolcall_claim_needs_its_family(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delitem(families.FAMILIES, "toolcall", raising=False)
    assert main(["reproduce", "rvpo-toolcall", "--out", str(tmp_path / "r")]) == 2
    assert "needs the toolcall family" in capsys.readouterr().out


def test_collapse_counts_on_the_worked_example() -> None:
    rewards = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]], dtype=np.float64)  # example A
    vectors, grpo = count_levels(rewards, run_pipeline(PipelineConfig(aggregator="grpo"), rewards))
    _, gdpo = count_levels(rewards, run_pipeline(PipelineConfig(aggregator="gdpo"), rewards))
    assert vectors.tolist() == [4] and grpo.tolist() == [3] and gdpo.tolist() == [4]


CLAIM_NAMES = [c.name for c in CLAIMS.values() if all(f in families.FAMILIES for f in c.needs)]


@pytest.mark.parametrize("name", CLAIM_NAMES)
def test_claim_runs_end_to_end_at_the_tiny_budget(tmp_path, capsys, name) -> None:  # noqa: ANN001
    out = tmp_path / "r"
    assert main(["reproduce", name, "--budget", "tiny", "--seeds", "2", "--jobs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "reading:" in text and "paper" in text
    data = json.loads((out / name / "result.json").read_text())
    keys = {"claim", "number", "title", "paper", "budget", "seeds", "rows", "reading", "plots", "wall_seconds"}
    assert keys <= set(data)
    assert data["claim"] == name and data["budget"] == "tiny" and data["seeds"] == 2 and data["reading"]
    assert data["rows"]
    assert any(v == v for r in data["rows"] for v in r["values"])  # something was measured (not all NaN)
    for r in data["rows"]:
        assert ROW_KEYS <= set(r)
        assert len(r["values"]) == 2 or r["method"].startswith("oracle")  # one per seed; a reference is one number
        finite = [v for v in r["values"] if v == v]
        if finite:
            assert r["mean"] == pytest.approx(np.mean(finite))
    assert "| measure | method |" in (out / name / "result.md").read_text()
    for plot in data["plots"]:
        assert (out / name / plot).stat().st_size > 0


def test_critique_claim_compares_at_equal_sampled_answers() -> None:
    from agents.reproduce import critique_refinement as claim
    from agents.reproduce.common import ClaimContext, ReproduceConfig

    ctx = ClaimContext(ReproduceConfig(seeds=1), out=None, console=None)  # type: ignore[arg-type]
    specs = claim._specs(ctx, claim.BUDGETS["default"])
    assert [s.aggregator for s in specs] == ["plain", "plain-g6", "refine"] * len(claim.TASKS)
    for plain, fewer, refine in zip(*[iter(s.config for s in specs)] * 3, strict=True):
        assert plain.refine is None and fewer.refine is None and refine.refine is not None
        assert plain.group_size == refine.group_size + refine.refine.answers  # every sampled answer counted
        assert fewer.group_size == refine.group_size
