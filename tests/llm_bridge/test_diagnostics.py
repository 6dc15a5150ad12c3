"""``llm_bridge.diagnostics``: every number on groups where the answer is known, every suggestion rule, the log."""

import json

import numpy as np
import pytest

from llm_bridge.aggregators import aggregate
from llm_bridge.diagnostics import (
    RULES,
    RewardLogWriter,
    count_levels,
    diagnose,
    log_column_names,
    read_reward_log,
    to_jsonable,
)

EXAMPLE_A = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]], dtype=float)  # [1, 4, 3]


def _rules(d: dict) -> dict:
    return {s["rule"]: s for s in d["suggested"]}


def test_example_a_collapses_under_grpo_not_gdpo() -> None:
    vectors, levels = count_levels(EXAMPLE_A, aggregate("grpo", EXAMPLE_A))
    assert vectors.tolist() == [4] and levels.tolist() == [3]
    d = diagnose(EXAMPLE_A, ["a", "b", "c"])
    assert d["n_groups"] == 1 and d["group_size"] == 4 and d["objectives"] == ["a", "b", "c"]
    assert d["grpo_collapse_fraction"] == 1.0 and d["gdpo_collapse_fraction"] == 0.0
    assert d["grpo_level_ratio"] == 0.75 and d["gdpo_level_ratio"] == 1.0
    assert d["mean_distinct_vectors"] == 4.0 and d["informative_fraction"] == 1.0
    assert d["zero_spread_fraction"] == 0.0
    rule = _rules(d)["collapse"]
    assert rule["scheme"] == "gdpo" and "100% of the groups" in rule["reason"] and "GDPO: 0%" in rule["reason"]
    # hand-computed: centred sum (.75, -.25, .75, -1.25), shares .5/2.75, 1.5/2.75, .75/2.75
    shares = [d["per_objective"][n]["variance_share"] for n in "abc"]
    np.testing.assert_allclose(shares, [0.5 / 2.75, 1.5 / 2.75, 0.75 / 2.75])
    np.testing.assert_allclose(d["correlation"][0][2], -1 / np.sqrt(3))
    assert d["per_objective"]["c"]["mean"] == 0.25


def test_count_levels_keeps_the_claims_semantics() -> None:
    rewards = np.array([[[np.nan, 1.0], [-9.0, 1.0], [0.0, 1.0]]])  # NaN counts as -9 (one value with -9)
    vectors, levels = count_levels(rewards, np.array([[0.1, 0.1000000001, 0.2]]))  # rounded to 1e-6
    assert vectors.tolist() == [2] and levels.tolist() == [2]


def test_collapse_counted_over_groups_with_distinct_vectors_only() -> None:
    r = np.concatenate([EXAMPLE_A, np.zeros((3, 4, 3))])  # three constant groups: nothing to collapse
    d = diagnose(r)
    assert d["grpo_collapse_fraction"] == 1.0 and d["informative_fraction"] == 0.25
    assert d["zero_spread_fraction"] == 0.75
    none = diagnose(np.zeros((2, 4, 2)))
    assert np.isnan(none["grpo_collapse_fraction"]) and np.isnan(none["gdpo_collapse_fraction"])


def test_variance_share_formula_and_dominance_rule() -> None:
    rng = np.random.default_rng(0)
    r = rng.random((30, 8, 3))
    r[:, :, 0] *= 10.0  # objective "big" dominates the sum
    d = diagnose(r, ["big", "x", "y"])
    shares = np.array([d["per_objective"][n]["variance_share"] for n in ("big", "x", "y")])
    assert shares.sum() == pytest.approx(1.0) and shares[0] > 0.9
    c = r - r.mean(axis=1, keepdims=True)
    s = c.sum(axis=2)
    np.testing.assert_allclose(shares, [np.sum(c[:, :, k] * s) / np.sum(s * s) for k in range(3)])
    rule = _rules(d)["dominance"]
    assert rule["scheme"] == "gdpo" and f"objective big carries {100 * shares[0]:.0f}%" in rule["reason"]


def test_variance_share_treats_nan_as_zero_and_is_nan_without_spread() -> None:
    r = np.array([[[1.0, np.nan], [1.0, 1.0], [0.0, np.nan], [0.0, 1.0]]])
    d = diagnose(r, ["a", "b"])
    x = np.nan_to_num(r)
    c = (x - x.mean(axis=1, keepdims=True))[0]
    s = c.sum(axis=1)
    assert d["per_objective"]["b"]["variance_share"] == pytest.approx(np.sum(c[:, 1] * s) / np.sum(s * s))
    flat = diagnose(np.ones((2, 3, 2)))
    assert all(np.isnan(o["variance_share"]) for o in flat["per_objective"].values())


def test_nan_handling_per_objective() -> None:
    r = np.array([
        [[1.0, np.nan, 0.5], [0.0, np.nan, 0.5], [1.0, 2.0, 0.5]],  # b: one applicable entry -> zero spread
        [[1.0, 1.0, np.nan], [0.0, 3.0, 0.5], [0.0, np.nan, 0.7]],
    ])
    d = diagnose(r, ["a", "b", "c"])
    b = d["per_objective"]["b"]
    assert b["nan_fraction"] == pytest.approx(3 / 6) and b["mean"] == pytest.approx(2.0)
    assert b["zero_spread_fraction"] == 0.5
    assert d["per_objective"]["c"]["zero_spread_fraction"] == 0.5  # constant 0.5 in group 0, 0.5/0.7 in group 1
    assert d["per_objective"]["a"]["zero_spread_fraction"] == 0.0
    # the plain sum skips NaN: group 0 sums to 1.5, 0.5, 3.5 -> spread
    assert d["zero_spread_fraction"] == 0.0
    corr = np.array(d["correlation"])
    assert corr.shape == (3, 3) and np.allclose(corr, corr.T, equal_nan=True)
    assert np.all((np.isnan(corr)) | (np.abs(corr) <= 1.0))


def test_correlation_is_pairwise_and_within_group() -> None:
    # across groups a and b rise together (group means 0 vs 10); within groups they are exact opposites
    g0 = [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    g1 = [[10.0, 11.0], [11.0, 10.0], [10.0, 11.0], [11.0, 10.0]]
    d = diagnose(np.array([g0, g1]), ["a", "b"])
    assert d["correlation"][0][1] == pytest.approx(-1.0) and d["correlation"][0][0] == 1.0
    rule = _rules(d)["tradeoff"]
    assert rule["scheme"] == "tchebycheff" and "a and b" in rule["reason"] and "-1.00" in rule["reason"]
    # where one objective does not apply, the pair is measured on the other entries only
    r = np.array([[[0, 1], [1, 0], [0, np.nan], [1, 1], [0, 1], [1, 0]]], dtype=float)
    assert diagnose(r)["correlation"][0][1] < -0.4
    no_spread = diagnose(np.array([[[0.0, 1.0], [1.0, 1.0]]]))
    assert np.isnan(no_spread["correlation"][1][1]) and np.isnan(no_spread["correlation"][0][1])


def test_zero_spread_of_failing_groups_suggests_w_reinforce() -> None:
    r = np.zeros((4, 4, 2))
    r[0, 0, 0] = 0.5  # one group with spread (still no success)
    d = diagnose(r)
    assert d["zero_spread_fraction"] == 0.75 and d["all_fail_fraction"] == 1.0
    rule = _rules(d)["zero_spread"]
    assert rule["scheme"] == "w_reinforce" and "75% of the groups have zero spread" in rule["reason"]
    assert "grpo" not in {s["scheme"] for s in d["suggested"]}


def test_zero_spread_of_succeeding_groups_is_a_data_note() -> None:
    r = np.ones((4, 4, 2))
    r[0, 0, 0] = r[0, 1, 1] = 0.0  # both objectives vary in group 0 (equal variance shares, correlation -1/3)
    d = diagnose(r)
    rule = _rules(d)["zero_spread"]
    assert rule["scheme"] is None and "larger G" in rule["reason"]
    assert _rules(d)["default"]["scheme"] == "grpo"  # no rule named a scheme


def test_rare_objective_rules() -> None:
    rng = np.random.default_rng(1)
    r = rng.integers(0, 2, size=(20, 5, 3)).astype(float)
    r[:, :, 1] = np.where(rng.random((20, 5)) < 0.9, np.nan, r[:, :, 1])
    r[:, :, 2] = np.nan
    d = diagnose(r, ["a", "rare", "never"])
    rare = [s for s in d["suggested"] if s["rule"] == "rare"]
    assert {s["scheme"] for s in rare} == {"gdpo", None}
    assert any("objective rare applies to only" in s["reason"] for s in rare)
    assert any("objective never is never applicable" in s["reason"] for s in rare)
    assert np.isnan(d["per_objective"]["never"]["mean"]) and d["per_objective"]["never"]["nan_fraction"] == 1.0


def test_default_rule_names_what_was_measured() -> None:
    rng = np.random.default_rng(2)
    r = rng.random((20, 8, 3))  # continuous, independent, balanced: distinct sums, no dominance, no trade-off
    d = diagnose(r)
    assert [s["rule"] for s in d["suggested"]] == ["default"]
    reason = d["suggested"][0]["reason"]
    assert d["suggested"][0]["scheme"] == "grpo" and reason.startswith("no collapse (GRPO 0%)")
    assert "largest variance share" in reason and "lowest correlation" in reason


def test_no_collapse_rule_when_gdpo_collapses_as_much() -> None:
    # b is 1 where it applies: GDPO sees no difference between NaN and 1, GRPO's sum does (1, 2, 0, 1)
    r = np.array([[[1, np.nan], [1, 1], [0, np.nan], [0, 1]]], dtype=float)
    d = diagnose(r)
    assert d["grpo_collapse_fraction"] == 1.0 and d["gdpo_collapse_fraction"] == 1.0
    assert "collapse" not in _rules(d)
    assert "GDPO no fewer" in _rules(d)["default"]["reason"]


def test_every_rule_is_documented_and_tested_here() -> None:
    assert set(RULES) == {"collapse", "dominance", "tradeoff", "rare", "zero_spread", "default"}


def test_result_is_jsonable() -> None:
    d = diagnose(np.zeros((2, 3, 2)))
    text = json.dumps(to_jsonable(d), allow_nan=False)
    back = json.loads(text)
    assert back["grpo_collapse_fraction"] is None and back["correlation"][0][0] is None
    assert to_jsonable({"x": np.float32(np.nan), "y": np.int64(3), "z": np.array([1.5, np.nan]), "b": np.bool_(1)}) \
        == {"x": None, "y": 3, "z": [1.5, None], "b": True}


@pytest.mark.parametrize(("rewards", "names", "message"), [
    (np.zeros((4, 3)), None, "non-empty array"),
    (np.zeros((0, 3, 2)), None, "non-empty array"),
    (np.full((1, 2, 2), np.inf), None, "infinite"),
    (np.zeros((1, 2, 2)), ["a"], "1 objective names for K=2"),
    (np.zeros((1, 2, 2)), ["a", "a"], "unique"),
    ([["x"]], None, "numeric"),
])
def test_bad_input(rewards, names, message) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=message):
        diagnose(rewards, names)


def test_writer_rows_ids_and_round_trip(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "logs" / "rewards.jsonl"
    w = RewardLogWriter(path, ["a", "b"])
    first = np.array([[[1.0, np.nan], [0.0, 1.0]], [[0.5, 0.5], [1.0, 1.0]]])
    w.write(first, step=0)
    w.write(np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.0, np.nan]]), group_size=2, step=1)  # [N, K]
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows[0] == {"step": 0, "group": 0, "a": 1.0, "b": None}
    assert [r["group"] for r in rows] == [0, 0, 1, 1, 2, 2, 3, 3] and rows[-1]["step"] == 1
    RewardLogWriter(path, ["a", "b"]).write(first, step=2)  # a restarted run continues the ids
    log = read_reward_log(path)
    assert log.names == ["a", "b"] and log.ignored == ["step", "group"] and log.rewards.shape == (6, 2, 2)
    np.testing.assert_array_equal(log.rewards[:2], first)
    np.testing.assert_array_equal(log.rewards[4:], first)


def test_writer_bad_input(tmp_path) -> None:  # noqa: ANN001
    w = RewardLogWriter(tmp_path / "r.jsonl", ["a", "b"])
    with pytest.raises(ValueError, match="do not split into groups of 2"):
        w.write(np.zeros((3, 2)), group_size=2)
    with pytest.raises(ValueError, match=r"expected \[B, G, 2\]"):
        w.write(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="unique"):
        RewardLogWriter(tmp_path / "r.jsonl", ["step"])
    assert log_column_names(["f", "f", "group", "f"]) == ["f", "f_2", "group_reward", "f_3"]
