"""Statistics of a grid of runs: which schemes are best, with what confidence, and whether two rankings agree.

Pure functions over per-seed values, written once for ``compare``, ``report`` and later ``transfer`` / ``atlas``.
Runs of one task that share a seed are **paired**: they start from the same network weights, see the same training
instances and are evaluated on the same held-out instances, so scheme differences are taken seed by seed.

The test: an exact two-sided **paired sign-flip (permutation) test** of "mean difference = 0" on the per-seed
differences between the best scheme and each other one (all 2^n sign patterns for n <= 16 seeds, 20,000 random
ones beyond). The correction: **Holm-Bonferroni** over the comparisons with the best. A scheme is *tied with the
best* when its adjusted p-value is >= alpha. With n seeds the smallest p-value this test can give is 2 / 2^n, so
fewer than 6 seeds can never separate anything at alpha = 0.05: the verdict then says so and estimates from the
observed spread how many seeds would. Confidence intervals are percentile bootstraps over seeds (seeds resampled
with replacement; paired differences resampled as pairs).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Comparison",
    "RankAgreement",
    "Verdict",
    "bootstrap_ci",
    "holm",
    "kendall_tau",
    "min_seeds_for_test",
    "rank_agreement",
    "seeds_needed",
    "sign_flip_pvalue",
    "verdict",
]

_Z_975 = 1.959963984540054  # standard normal quantiles (two-sided 5% test, 80% power)
_Z_80 = 0.8416212335729143
BOOTSTRAPS = 4000
"""Bootstrap resamples behind every interval."""


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    return array[np.isfinite(array)]


def bootstrap_ci(values: Sequence[float] | np.ndarray, rng: np.random.Generator, level: float = 0.95,
                 n_boot: int = BOOTSTRAPS) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaN skipped); (nan, nan) when empty.

    A single value gives a zero-width interval: one seed says nothing about the spread.
    """
    x = _finite(values)
    if x.size == 0:
        return float("nan"), float("nan")
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    tail = (1.0 - level) / 2.0
    return float(np.quantile(means, tail)), float(np.quantile(means, 1.0 - tail))


def sign_flip_pvalue(differences: Sequence[float] | np.ndarray, rng: np.random.Generator | None = None) -> float:
    """Two-sided p-value of "mean difference = 0" by flipping the signs of paired differences.

    Exact over all 2^n sign patterns for n <= 16, else 20,000 random patterns (``rng``). All-zero differences give 1.
    """
    d = _finite(differences)
    n = d.size
    if n == 0 or not np.any(d):
        return 1.0
    observed = abs(d.mean())
    if n <= 16:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))  # [2^n, n]
    else:
        generator = rng if rng is not None else np.random.default_rng(0)
        signs = generator.choice((1.0, -1.0), size=(20_000, n))
    means = np.abs(signs @ d) / n
    return float(np.mean(means >= observed - 1e-12))


def min_seeds_for_test(alpha: float = 0.05) -> int:
    """Fewest paired seeds at which the sign-flip test can reach p < ``alpha`` (its smallest p is 2 / 2^n)."""
    return math.ceil(math.log2(2.0 / alpha) + 1e-12)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given; monotone, capped at 1)."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    order = np.argsort(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        adjusted[i] = min(1.0, running)
    return adjusted.tolist()


def seeds_needed(mean_difference: float, sd_difference: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Paired seeds to detect ``mean_difference`` given the per-seed spread of differences (normal approximation).

    n = ((z_{1-alpha/2} + z_power) * sd / |mean|)^2, and at least ``min_seeds_for_test(alpha)``. ``None`` when the
    observed difference is 0 (no number of seeds separates identical means). Only alpha = 0.05 and power = 0.8 are
    tabulated.
    """
    if alpha != 0.05 or power != 0.8:
        raise ValueError("seeds_needed is tabulated for alpha=0.05, power=0.8")
    if mean_difference == 0 or not math.isfinite(mean_difference):
        return None
    sd = sd_difference if math.isfinite(sd_difference) and sd_difference > 0 else abs(mean_difference) / 2
    n = math.ceil(((_Z_975 + _Z_80) * sd / abs(mean_difference)) ** 2)
    return max(n, min_seeds_for_test(alpha))


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-b between two scorings of the same items (ties handled; NaN when either is constant)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"two scorings of the same items needed, got shapes {x.shape} and {y.shape}")
    i, j = np.triu_indices(x.size, k=1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    denominator = math.sqrt(float(np.sum(sx != 0)) * float(np.sum(sy != 0)))
    return float(np.sum(sx * sy) / denominator) if denominator > 0 else float("nan")


@dataclass(frozen=True)
class RankAgreement:
    """How well two rankings of the same schemes agree (e.g. a short and a long budget, or two policies)."""

    schemes: tuple[str, ...]
    """The schemes compared (those measured under both)."""
    tau: float
    """Kendall's tau-b of the two mean scorings."""
    ci: tuple[float, float]
    """Bootstrap 95% interval of tau, seeds resampled (paired across the two scorings where seeds match)."""
    flipped: tuple[tuple[str, str], ...]
    """Pairs (a, b) with a ahead under the first scoring and b ahead under the second."""


def rank_agreement(first: Mapping[str, Sequence[float]], second: Mapping[str, Sequence[float]],
                   rng: np.random.Generator) -> RankAgreement:
    """Kendall's tau between the mean scorings ``first`` and ``second`` (scheme -> per-seed values), with a CI.

    The interval resamples seed indices (the same index for every scheme, as runs are paired by seed).
    """
    schemes = tuple(s for s in first if s in second and _finite(first[s]).size and _finite(second[s]).size)
    if len(schemes) < 2:
        return RankAgreement(schemes, float("nan"), (float("nan"), float("nan")), ())
    a = [np.asarray(first[s], dtype=np.float64) for s in schemes]
    b = [np.asarray(second[s], dtype=np.float64) for s in schemes]
    mean_a, mean_b = np.array([np.nanmean(v) for v in a]), np.array([np.nanmean(v) for v in b])
    tau = kendall_tau(mean_a, mean_b)
    taus = []
    n_a, n_b = min(v.size for v in a), min(v.size for v in b)
    for _ in range(1000):
        ia, ib = rng.integers(0, n_a, n_a), rng.integers(0, n_b, n_b)
        t = kendall_tau(np.array([np.nanmean(v[ia]) for v in a]), np.array([np.nanmean(v[ib]) for v in b]))
        if math.isfinite(t):
            taus.append(t)
    ci = (float(np.quantile(taus, 0.025)), float(np.quantile(taus, 0.975))) if taus else (float("nan"),) * 2
    flipped = tuple((schemes[i], schemes[j]) if mean_a[i] > mean_a[j] else (schemes[j], schemes[i])
                    for i, j in zip(*np.triu_indices(len(schemes), k=1), strict=True)
                    if (mean_a[i] - mean_a[j]) * (mean_b[i] - mean_b[j]) < 0)
    return RankAgreement(schemes, tau, ci, flipped)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Comparison:
    """One scheme against the best, seed by seed."""

    scheme: str
    difference: float
    """Mean over paired seeds of (best - this scheme), in the better-is-larger orientation."""
    ci: tuple[float, float]
    """Bootstrap 95% interval of that difference."""
    p_value: float
    """Sign-flip p-value of the difference."""
    p_adjusted: float
    """Holm-adjusted over every comparison with the best."""
    n_pairs: int
    """Seeds both schemes were run on."""


@dataclass(frozen=True)
class Verdict:
    """Which schemes are best on one metric of one task."""

    metric: str
    higher_is_better: bool
    means: dict[str, float]
    """Scheme -> mean over seeds."""
    cis: dict[str, tuple[float, float]]
    """Scheme -> bootstrap 95% interval of the mean."""
    best: str
    """The scheme with the best mean."""
    tied: tuple[str, ...]
    """The best and every scheme the test cannot tell apart from it (best first, then by mean)."""
    comparisons: tuple[Comparison, ...]
    """Every other scheme against the best (by mean)."""
    seeds: int
    """Seeds per scheme (the fewest any scheme has)."""
    alpha: float
    too_few_seeds: bool
    """Fewer paired seeds than the test needs to separate anything at ``alpha``."""
    seeds_to_separate: int | None = None
    """When too few: seeds that would separate the best from the runner-up at the observed spread (None: equal)."""
    notes: list[str] = field(default_factory=list)

    def sentence(self, task: str, label: str | None = None) -> str:
        """One line: e.g. "maze, best@1: mo_grpo, gdpo tied for best; grpo lower by 0.040 [0.010, 0.070]"."""
        name = label or self.metric
        lead = (f"{self.best} best" if len(self.tied) == 1
                else f"{', '.join(self.tied)} tied for best" if len(self.tied) < len(self.means)
                else f"all {len(self.means)} schemes tied")
        word = "lower" if self.higher_is_better else "higher"
        lower = [f"{c.scheme} {word} by {c.difference:.3f} [{c.ci[0]:.3f}, {c.ci[1]:.3f}]"
                 for c in self.comparisons if c.scheme not in self.tied]
        text = f"{task}, {name}: {lead}" + ("; " + "; ".join(lower) if lower else "")
        if self.too_few_seeds:
            need = (f"; at the observed spread about {self.seeds_to_separate} seeds would separate {self.best} from "
                    f"the runner-up" if self.seeds_to_separate else "")
            text += (f" ({self.seeds} seed(s): the paired test needs >= {min_seeds_for_test(self.alpha)} to "
                     f"separate anything at p < {self.alpha}{need})")
        return text


def verdict(values: Mapping[str, Mapping[int, float]], metric: str, *, higher_is_better: bool = True,
            alpha: float = 0.05, rng: np.random.Generator | None = None) -> Verdict:
    """Rank schemes on one metric and find the set that cannot be told apart from the best.

    Args:
        values: scheme -> {seed: value} (NaN values are left out).
        metric: the metric's name (for the sentence).
        higher_is_better: the metric's direction.
        alpha: family-wise error rate of the comparisons with the best (Holm).
        rng: generator of the bootstrap (default: seeded 0, so reports are reproducible).

    Raises:
        ValueError: no scheme has a finite value.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    sign = 1.0 if higher_is_better else -1.0
    clean = {s: {int(k): float(v) for k, v in per.items() if math.isfinite(float(v))} for s, per in values.items()}
    clean = {s: per for s, per in clean.items() if per}
    if not clean:
        raise ValueError(f"{metric}: no scheme has a finite value")
    means = {s: float(np.mean(list(per.values()))) for s, per in clean.items()}
    cis = {s: bootstrap_ci(list(per.values()), rng) for s, per in clean.items()}
    order = sorted(clean, key=lambda s: -sign * means[s])
    best = order[0]
    raw = []
    for scheme in order[1:]:
        shared = sorted(set(clean[best]) & set(clean[scheme]))
        d = np.array([sign * (clean[best][k] - clean[scheme][k]) for k in shared])
        p = sign_flip_pvalue(d, rng) if d.size else 1.0
        ci = bootstrap_ci(d, rng) if d.size else (float("nan"), float("nan"))
        raw.append((scheme, float(d.mean()) if d.size else float("nan"), ci, p, d.size))
    adjusted = holm([r[3] for r in raw]) if raw else []
    comparisons = tuple(Comparison(s, diff, ci, p, pa, n) for (s, diff, ci, p, n), pa in zip(raw, adjusted,
                                                                                          strict=True))
    tied = (best, *[c.scheme for c in comparisons if not c.p_adjusted < alpha])
    seeds = min(len(per) for per in clean.values())
    pairs = min((c.n_pairs for c in comparisons), default=seeds)
    too_few = pairs < min_seeds_for_test(alpha)
    needed = None
    if too_few and comparisons:
        runner = comparisons[0]
        shared = sorted(set(clean[best]) & set(clean[runner.scheme]))
        d = np.array([sign * (clean[best][k] - clean[runner.scheme][k]) for k in shared])
        needed = seeds_needed(float(d.mean()), float(d.std(ddof=1)) if d.size > 1 else float("nan"))
    return Verdict(metric=metric, higher_is_better=higher_is_better, means=means, cis=cis, best=best, tied=tied,
                   comparisons=comparisons, seeds=seeds, alpha=alpha, too_few_seeds=too_few,
                   seeds_to_separate=needed)
