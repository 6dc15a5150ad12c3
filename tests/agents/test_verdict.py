"""The verdict on synthetic tidy results where the truth is known, and ``vecreward report`` on tables."""

import csv
import json

import numpy as np
import pytest

from agents.cli import main
from agents.compare.verdict import final_rows, headline_metrics, recheck_schemes, task_verdicts


def _rows(means: dict[str, float], seeds: int = 8, noise: float = 0.03) -> list[dict]:
    """Two evaluation steps per run; seed effects shared by every scheme (paired), small per-run noise."""
    rng = np.random.default_rng(0)
    shared = rng.normal(0, noise, seeds)
    rows = []
    for scheme, mean in means.items():
        for seed in range(seeds):
            value = mean + shared[seed] + rng.normal(0, noise / 5)
            for step in (9, 19):
                rows.append({"task": "toy", "aggregator": scheme, "seed": seed, "step": step,
                             "eval/best@1": value - (0.2 if step == 9 else 0.0), "eval/pass@1": 0.0,
                             "eval/hypervolume": value / 2, "eval/a/mean": value})
    rows += [dict(r, aggregator="twin") for r in rows if r["aggregator"] == "base"]  # identical to base
    return rows


def test_identical_schemes_tie_and_a_clearly_better_one_stands_alone() -> None:
    rows = _rows({"base": 0.5, "better": 0.7, "worse": 0.45})
    assert len(final_rows(rows)) == 4 * 8 and all(r["step"] == 19 for r in final_rows(rows))
    assert headline_metrics(final_rows(rows)) == ["eval/best@1", "eval/hypervolume"]  # pass@1 is constant
    best1 = task_verdicts(rows)["toy"][0]
    assert best1.best == "better" and best1.tied == ("better",)
    line = best1.sentence("toy")
    assert line.startswith("toy, best@1: better best; ") and "twin lower by 0.2" in line
    tie = task_verdicts([r for r in rows if r["aggregator"] in ("base", "twin")])["toy"][0]
    assert set(tie.tied) == {"base", "twin"} and tie.seeds_to_separate is None
    assert recheck_schemes(rows, "toy", 2) == ["better", "worse"]
    assert recheck_schemes(rows, "toy", None) == ["base", "better", "worse", "twin"]


def _write_csv(path, rows) -> None:  # noqa: ANN001
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_report_recomputes_a_verdict_from_a_table_made_elsewhere(tmp_path, capsys) -> None:  # noqa: ANN001
    table = tmp_path / "mine.csv"
    _write_csv(table, _rows({"base": 0.5, "better": 0.7}))
    assert main(["report", str(table)]) == 0
    text = capsys.readouterr().out
    assert "toy, best@1: better best" in text
    report = (tmp_path / "mine-report" / "report.md").read_text()
    assert "## Verdict" in report and "## Metrics" in report and "paired t-test" in report
    assert "pass@1" not in report.split("## Summary")[1].split("\n")[2]  # constant: not a column
    assert (tmp_path / "mine-report" / "learning_toy.png").exists()
    jsonl = tmp_path / "mine.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in _rows({"x": 0.5, "y": 0.6})))
    assert main(["report", str(jsonl), "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "report.md").exists()


@pytest.mark.parametrize(("content", "name", "message"), [
    ("task,seed,eval/best@1\nmaze,0,0.5\n", "t.csv", "lacks column(s) ['aggregator']"),
    ("task,aggregator,seed\nmaze,grpo,0\n", "t.csv", "no metric column"),
    ("", "t.csv", "no rows"),
    ("{not json", "t.jsonl", "cannot read it"),
    ("a", "t.xlsx", "unknown table format"),
    ("PAR1garbage", "t.parquet", "cannot read it"),
])
def test_report_refuses_bad_tables_in_one_line(tmp_path, capsys, content, name, message) -> None:  # noqa: ANN001
    path = tmp_path / name
    path.write_text(content)
    assert main(["report", str(path)]) == 2
    out = capsys.readouterr().out
    assert message in out and "Traceback" not in out and len(out.strip().splitlines()) == 1
    assert main(["report", str(tmp_path / "missing.csv")]) == 2


def test_a_metric_that_is_nan_everywhere_is_not_a_headline() -> None:
    rows = [dict(r, **{"eval/hypervolume": float("nan")}) for r in _rows({"base": 0.5, "better": 0.7})]
    verdicts = task_verdicts(rows)["toy"]
    assert [v.metric for v in verdicts] == ["best@1"] and verdicts[0].best == "better"
