"""Statistics of a grid of runs: which schemes are best, with what confidence, and whether two rankings agree.

Pure functions over per-seed values, written once for ``compare``, ``report`` and later ``transfer`` / ``atlas``.
Runs of one task that share a seed are **paired**: they start from the same network weights, see the same training
instances and are evaluated on the same held-out instances, so scheme differences are taken seed by seed.

The test: a two-sided **paired t-test** of "mean difference = 0" on the per-seed differences between the best
scheme and each other one (as Colas et al. 2018 recommend for comparing RL runs over seeds; it assumes the
per-seed differences are roughly normal). The correction: **Holm-Bonferroni** over the comparisons with the best.
A scheme is *tied with the best* when its adjusted p-value is >= alpha. An exact sign-flip test was the first
choice, but its smallest p-value is 2 / 2^n: with Holm over 15 comparisons it needs 10 seeds before it can
separate anything, which the 10-minute main job cannot afford. When nothing is separated, the verdict estimates
from the observed spread how many seeds would separate the best from the runner-up. Confidence intervals are
percentile bootstraps over seeds (seeds resampled with replacement; paired differences resampled as pairs).
"""

from __future__ import annotations

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
    "paired_t_pvalue",
    "rank_agreement",
    "seeds_needed",
    "t_two_sided",
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


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_two_sided(t: float, df: int) -> float:
    """Two-sided p-value of Student's t statistic ``t`` with ``df`` degrees of freedom."""
    if not math.isfinite(t):
        return 0.0
    return _betainc(df / 2.0, 0.5, df / (df + t * t))


def paired_t_pvalue(differences: Sequence[float] | np.ndarray) -> float:
    """Two-sided p-value of "mean difference = 0" for paired differences (NaN skipped).

    Fewer than 2 differences, or all equal to 0, give 1. Differences that are all equal and non-zero (no spread)
    give 0: every seed agrees exactly.
    """
    d = _finite(differences)
    if d.size < 2 or not np.any(d):
        return 1.0
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return 0.0
    return t_two_sided(float(d.mean()) / (sd / math.sqrt(d.size)), d.size - 1)


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

    n = ((z_{1-alpha/2} + z_power) * sd / |mean|)^2 + 1 (the t-test's small-sample allowance), at least 3. ``None``
    when the observed difference is 0 (no number of seeds separates identical means). Only alpha = 0.05 and
    power = 0.8 are tabulated; Holm's correction over many schemes needs more.
    """
    if alpha != 0.05 or power != 0.8:
        raise ValueError("seeds_needed is tabulated for alpha=0.05, power=0.8")
    if mean_difference == 0 or not math.isfinite(mean_difference):
        return None
    sd = sd_difference if math.isfinite(sd_difference) and sd_difference > 0 else abs(mean_difference) / 2
    n = math.ceil(((_Z_975 + _Z_80) * sd / abs(mean_difference)) ** 2) + 1
    return max(n, 3)


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
    """Bootstrap 95% interval of tau: the shared seeds resampled, one draw for every scheme and both scorings."""
    flipped: tuple[tuple[str, str], ...]
    """Pairs (a, b) with a ahead under the first scoring and b ahead under the second."""


def rank_agreement(first: Mapping[str, Mapping[int, float]], second: Mapping[str, Mapping[int, float]],
                   rng: np.random.Generator) -> RankAgreement:
    """Kendall's tau between the mean scorings ``first`` and ``second`` (scheme -> {seed: value}), with a CI.

    The interval resamples the seeds every scheme has under both scorings, the same draw for every scheme and both
    scorings (runs are paired by seed). With no shared seed it falls back to resampling each scoring's own seeds.
    """
    schemes = tuple(s for s in first if s in second and _finite(list(first[s].values())).size
                    and _finite(list(second[s].values())).size)
    if len(schemes) < 2:
        return RankAgreement(schemes, float("nan"), (float("nan"), float("nan")), ())
    mean_a = np.array([np.nanmean(list(first[s].values())) for s in schemes])
    mean_b = np.array([np.nanmean(list(second[s].values())) for s in schemes])
    tau = kendall_tau(mean_a, mean_b)
    shared = sorted(set.intersection(*[set(first[s]) & set(second[s]) for s in schemes]))
    taus = []
    for _ in range(1000):
        if shared:
            seeds = [shared[i] for i in rng.integers(0, len(shared), len(shared))]
            a = [np.nanmean([first[s][k] for k in seeds]) for s in schemes]
            b = [np.nanmean([second[s][k] for k in seeds]) for s in schemes]
        else:
            a = [np.nanmean(rng.choice(list(first[s].values()), len(first[s]))) for s in schemes]
            b = [np.nanmean(rng.choice(list(second[s].values()), len(second[s]))) for s in schemes]
        t = kendall_tau(np.array(a), np.array(b))
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
    """Paired t-test p-value of the difference."""
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
    """Nothing was separated from the best, and the runner-up would need more seeds than were run."""
    seeds_to_separate: int | None = None
    """Seeds that would separate the best from the runner-up at the observed spread (None: equal means)."""
    notes: list[str] = field(default_factory=list)

    def sentence(self, task: str, label: str | None = None) -> str:
        """One line: e.g. "maze, best@1: mo_grpo, gdpo tied for best; grpo lower by 0.040 [0.010, 0.070]"."""
        name = label or self.metric
        lead = (f"{self.best} best" if len(self.tied) == 1
                else f"{', '.join(self.tied)} tied for best" if len(self.tied) < len(self.means)
                else f"all {len(self.means)} schemes tied")
        word = "lower" if self.higher_is_better else "higher"
        lower = [f"{c.scheme} {word} by {_num(c.difference)} [{_num(c.ci[0])}, {_num(c.ci[1])}]"
                 for c in self.comparisons if c.scheme not in self.tied]
        text = f"{task}, {name}: {lead}" + ("; " + "; ".join(lower) if lower else "")
        if self.too_few_seeds and self.seeds_to_separate is None:
            text += f" ({self.seeds} seed: no spread to test with or to estimate from; run more seeds)"
        elif self.too_few_seeds:
            runner = self.comparisons[0].scheme
            text += (f" ({self.seeds} seed(s) cannot separate them: at the observed spread about "
                     f"{self.seeds_to_separate} seeds would separate {self.best} from {runner}, the runner-up)")
        elif len(self.tied) == len(self.means) > 1 and self.seeds_to_separate is None:
            text += " (identical means)"
        return text


def _num(x: float) -> str:
    """Three decimals, or three significant digits for a difference too small to show in three decimals."""
    return f"{x:.3f}" if x == 0 or abs(x) >= 0.0005 or not math.isfinite(x) else f"{x:.2e}"


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
        p = paired_t_pvalue(d)
        ci = bootstrap_ci(d, rng) if d.size else (float("nan"), float("nan"))
        raw.append((scheme, float(d.mean()) if d.size else float("nan"), ci, p, d.size))
    adjusted = holm([r[3] for r in raw]) if raw else []
    comparisons = tuple(Comparison(s, diff, ci, p, pa, n) for (s, diff, ci, p, n), pa in zip(raw, adjusted,
                                                                                          strict=True))
    tied = (best, *[c.scheme for c in comparisons if not c.p_adjusted < alpha])
    seeds = min(len(per) for per in clean.values())
    needed = None
    if comparisons:
        runner = comparisons[0]
        shared = sorted(set(clean[best]) & set(clean[runner.scheme]))
        d = np.array([sign * (clean[best][k] - clean[runner.scheme][k]) for k in shared])
        needed = seeds_needed(float(d.mean()), float(d.std(ddof=1))) if d.size > 1 else None
    too_few = len(tied) == len(clean) > 1 and (seeds < 2 or (needed is not None and needed > seeds))
    return Verdict(metric=metric, higher_is_better=higher_is_better, means=means, cis=cis, best=best, tied=tied,
                   comparisons=comparisons, seeds=seeds, alpha=alpha, too_few_seeds=too_few,
                   seeds_to_separate=needed)
