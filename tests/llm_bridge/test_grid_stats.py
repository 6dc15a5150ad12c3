"""Grid statistics: tests with known answers, ties and clear winners on synthetic seeds."""

import math

import numpy as np
import pytest

from llm_bridge.grid_stats import (
    bootstrap_ci,
    holm,
    kendall_tau,
    paired_t_pvalue,
    rank_agreement,
    seeds_needed,
    t_two_sided,
    verdict,
)


def test_paired_t_matches_known_values() -> None:
    # t = 1.0 with df = 1: p = 0.5 exactly (the Cauchy distribution); t = 2.0, df = 5: p = 0.101939...
    assert t_two_sided(1.0, 1) == pytest.approx(0.5, abs=1e-12)
    assert t_two_sided(2.0, 5) == pytest.approx(0.10193947, abs=1e-7)
    assert t_two_sided(0.0, 3) == pytest.approx(1.0)
    d = [0.1, 0.3, 0.2, 0.4]  # mean 0.25, sd 0.1291: t = 3.873, df = 3
    assert paired_t_pvalue(d) == pytest.approx(0.030466, abs=1e-5)
    assert paired_t_pvalue([0.0, 0.0]) == 1.0 and paired_t_pvalue([0.2]) == 1.0 and paired_t_pvalue([0.2, 0.2]) == 0.0


def test_paired_t_agrees_with_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for n in (2, 3, 6, 20):
        d = rng.normal(0.1, 0.2, n)
        assert paired_t_pvalue(d) == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue, rel=1e-8)


def test_holm_and_kendall() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert kendall_tau([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    assert math.isnan(kendall_tau([1, 1], [1, 2]))


def test_bootstrap_ci_covers_the_mean() -> None:
    rng = np.random.default_rng(0)
    lo, hi = bootstrap_ci([0.1, 0.2, 0.3, 0.4], rng)
    assert lo < 0.25 < hi and bootstrap_ci([0.5], rng) == (0.5, 0.5)


def _grid(means: dict[str, float], seeds: int, noise: float, seed: int = 0) -> dict[str, dict[int, float]]:
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, noise, seeds)  # seed effects: runs on one seed move together
    return {s: {k: m + shared[k] + rng.normal(0, noise / 4) for k in range(seeds)} for s, m in means.items()}


def test_identical_schemes_come_out_tied_and_a_clearly_better_one_alone() -> None:
    values = _grid({"a": 0.5, "b": 0.5, "c": 0.5}, seeds=8, noise=0.05)
    values["b"] = dict(values["a"])  # two identical schemes
    tied = verdict(values, "best@1")
    assert set(tied.tied) == {"a", "b", "c"}
    clear = verdict(_grid({"good": 0.8, "x": 0.5, "y": 0.5}, seeds=8, noise=0.02), "best@1")
    assert clear.best == "good" and clear.tied == ("good",)
    sentence = clear.sentence("maze")
    assert sentence.startswith("maze, best@1: good best; ") and "x lower by 0.29" in sentence


def test_direction_and_too_few_seeds() -> None:
    low = verdict({"a": {0: 0.1, 1: 0.3}, "b": {0: 0.3, 1: 0.35}}, "invalid_rate", higher_is_better=False)
    assert low.best == "a" and low.too_few_seeds and set(low.tied) == {"a", "b"}
    assert "2 seed(s) cannot separate them: at the observed spread about" in low.sentence("maze")
    assert low.seeds_to_separate is not None and low.seeds_to_separate > 2
    assert seeds_needed(0.0, 0.1) is None and seeds_needed(0.1, 0.1) == 9


def test_rank_agreement_flags_flips() -> None:
    rng = np.random.default_rng(0)
    def by_seed(values: dict) -> dict:
        return {s: dict(enumerate(v)) for s, v in values.items()}

    short = by_seed({"a": [0.9, 0.8], "b": [0.5, 0.6], "c": [0.1, 0.2]})
    same = rank_agreement(short, by_seed({"a": [1.0, 0.9], "b": [0.7, 0.6], "c": [0.3, 0.2]}), rng)
    assert same.tau == 1.0 and same.flipped == ()
    flipped = rank_agreement(short, by_seed({"a": [0.4, 0.5], "b": [0.7, 0.6], "c": [0.3, 0.2]}), rng)
    assert flipped.tau == pytest.approx(1 / 3) and flipped.flipped == (("a", "b"),)
    assert flipped.ci[0] <= flipped.tau <= flipped.ci[1]
