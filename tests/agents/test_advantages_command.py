"""``vecreward advantages``: the side-by-side table, input forms and clear errors (exit code 2, no traceback)."""

import json

import numpy as np
import pytest

from agents.cli import main
from llm_bridge.aggregators import AGGREGATORS, aggregate

EXAMPLE = "[[1,1,0],[1,0,0],[0,1,1],[0,0,0]]"


def test_listed_in_help(capsys) -> None:  # noqa: ANN001
    assert main([]) == 2
    assert "advantages" in capsys.readouterr().out


def test_every_scheme_side_by_side(capsys) -> None:  # noqa: ANN001
    assert main(["advantages", EXAMPLE]) == 0
    out = capsys.readouterr().out
    for name in AGGREGATORS:
        assert f" {name} " in out
    assert "[0, 1, 1]" in out  # the reward vectors head the columns
    grpo_row = next(line for line in out.splitlines() if " grpo " in line)
    assert "+0.783" in grpo_row and "-1.305" in grpo_row and "0=2 > 1 > 3" in grpo_row
    gdpo_row = next(line for line in out.splitlines() if " gdpo " in line)
    assert "+0.866" in gdpo_row and "2 > 0 > 1 > 3" in gdpo_row  # no collapse


def test_file_weights_seed_params_and_batches(tmp_path, capsys) -> None:  # noqa: ANN001
    rewards = [[[1, None], [0, 1], [0.5, 0.5]], [[1, 1], [0, 0], [1, 0]]]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rewards))
    argv = ["advantages", "--file", str(path), "--weights", "[2, 1]", "--seed", "3", "--schemes", "grpo,vpo,rvpo",
            "--param", "rvpo.tau=1.5", "--param", "rvpo.whiten=false"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "group 0" in out and "group 1" in out and "[1, -]" in out
    r = np.array(rewards, dtype=float)
    expected = aggregate("rvpo", r, weights=[2, 1], tau=1.5, whiten=False)
    row = next(line for line in out.splitlines() if " rvpo " in line)  # group 0
    assert f"{expected[0, 1]:+.3f}" in row
    vpo = aggregate("vpo", r[:, :, None, :], rng=np.random.default_rng(3))
    row = next(line for line in out.splitlines() if " vpo " in line)
    assert f"{vpo[0, 0]:+.3f}" in row
    assert "--weights not used by vpo" in out


def test_chains_show_only_set_level_schemes(capsys) -> None:  # noqa: ANN001
    chains = "[[[[1,0],[0,1]],[[1,1],[0,0]],[[0,0],[0,0]]]]"
    assert main(["advantages", chains]) == 0
    out = capsys.readouterr().out
    assert " vpo " in out and " max_at_k " in out and " grpo " not in out
    assert "only the set-level schemes apply" in out and "r0: [1, 0]  [0, 1]" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["[[1,1,0],[1,0"], "the rewards argument is not valid JSON"),
    ([], "either as a JSON argument or with --file"),
    (["[1,2]"], "must be [G, K], [B, G, K] or [B, G, m, K]"),
    (["[[1,2],[3]]"], "rectangular nested list of numbers"),
    (["[[1,\"a\"]]"], "rectangular nested list of numbers"),
    (["[[1e999,0]]"], "infinite values"),
    ([EXAMPLE, "--weights", "[1,2]"], "--weights must be a JSON list of K=3 numbers"),
    ([EXAMPLE, "--weights", "[1,"], "--weights is not valid JSON"),
    ([EXAMPLE, "--schemes", "grpo,gpo"], "unknown scheme(s) ['gpo']"),
    ([EXAMPLE, "--param", "rvpo.tau"], "expected SCHEME.NAME=VALUE"),
    ([EXAMPLE, "--schemes", "grpo", "--param", "rvpo.tau=1"], "'rvpo' is not among the schemes shown"),
    ([EXAMPLE, "--param", "rvpo.tau=-1"], "rvpo: parameter 'tau' must be >= 0.0"),
    ([EXAMPLE, "--param", "grpo.bogus=1"], "grpo: unknown parameter(s) ['bogus']"),
    (["--file", "/nonexistent/rewards.json"], "cannot read /nonexistent/rewards.json"),
])
def test_bad_input_is_a_clear_error(argv: list[str], message: str, capsys) -> None:  # noqa: ANN001
    assert main(["advantages", *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err.replace("\n", " ")
    assert "Traceback" not in captured.err + captured.out
