"""Golden values: every worked example of shared/reference/aggregators.md, plus at least one more hand-computed
example per scheme (other K, weights, several groups, NaN entries).

Expected values are written from the formulas with plain arithmetic (fractions, square roots), never from the
library.
"""

from math import sqrt

import numpy as np
import pytest

from llm_bridge.aggregators import aggregate

NAN = float("nan")
# Worked example A (aggregators.md): one group, G=4, K=3, w=1.
EXAMPLE_A = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]], dtype=float)


def close(actual, expected, atol: float = 5e-5) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), atol=atol, rtol=0)


# ------------------------------------------------------------------------------------------ worked examples (spec)


def test_spec_example_a_grpo_group_and_none() -> None:
    close(aggregate("grpo", EXAMPLE_A), [[0.7833, -0.2611, 0.7833, -1.3054]])
    close(aggregate("grpo", EXAMPLE_A, scale="none"), [[0.75, -0.25, 0.75, -1.25]], atol=1e-12)
    close(aggregate("dr_grpo", EXAMPLE_A), [[0.75, -0.25, 0.75, -1.25]], atol=1e-12)


def test_spec_example_a_gdpo_steps() -> None:
    # Step 1 for column 3, step 2 (pre-batch-norm s), step 3 with this group as the batch.
    from llm_bridge.aggregators._common import objective_zscores

    z, _, _ = objective_zscores(EXAMPLE_A, 1e-4, 1)
    close(z[0, :, 2], [-0.4999, -0.4999, 1.4997, -0.4999])
    close(aggregate("mo_grpo", EXAMPLE_A), [[1.2319, -0.4999, 1.4997, -2.2317]])
    close(aggregate("gdpo", EXAMPLE_A, batch_norm=False), [[1.2319, -0.4999, 1.4997, -2.2317]])
    close(aggregate("gdpo", EXAMPLE_A), [[0.7113, -0.2887, 0.8660, -1.2886]])


def test_spec_example_a_rvpo_tau_1_pre_whitening() -> None:
    close(aggregate("rvpo", EXAMPLE_A, tau=1.0, whiten=False), [[0.1863, -0.3936, -0.0070, -0.7582]])


def test_spec_vpo_worked_example() -> None:
    s = np.zeros((1, 4, 3, 3))
    s[0, 0] = np.eye(3)  # three specialists
    s[0, 1] = [[1, 1, 0]] * 3
    s[0, 2] = [[1, 1, 1], [0, 0, 0], [0, 0, 0]]
    s[0, 3] = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0, 0, 0]]
    w = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3]]
    from llm_bridge.aggregators.setlevel import vpo_scores

    close(vpo_scores(s, np.array(w), 1.0, 0, None), [[0.8333, 0.6667, 1.0, 0.5]])
    close(aggregate("vpo", s, weights_matrix=w), [[0.4472, -0.4472, 1.3416, -1.3416]])


# --------------------------------------------------------------------------- extra hand-computed examples per scheme

# Two groups, K=2, weights (2, 1); group 1 has a NaN entry and an all-NaN rollout.
R2 = np.array([
    [[1, 0], [0, 1], [1, 1], [0, 0]],
    [[1, NAN], [NAN, NAN], [0, 1], [0.5, 0]],
], dtype=float)
W2 = [2.0, 1.0]
# s = 2 r0 + r1 (NaN skipped): group 0 (2, 1, 3, 0), group 1 (2, -, 1, 1).
S0 = [2.0, 1.0, 3.0, 0.0]
S1 = [2.0, 1.0, 1.0]  # valid rollouts 0, 2, 3


def _sample_std(xs: list[float]) -> float:
    m = sum(xs) / len(xs)
    return sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def test_grpo_weights_nan_two_groups() -> None:
    sd0 = sqrt(((2 - 1.5) ** 2 + (1 - 1.5) ** 2 + (3 - 1.5) ** 2 + 1.5**2) / 3)  # sqrt(5/3)
    sd1 = sqrt(1 / 3)  # values (2, 1, 1): mean 4/3, sum of squares 6/9, /2
    expected = [
        [(s - 1.5) / (sd0 + 1e-4) for s in S0],
        [(2 - 4 / 3) / (sd1 + 1e-4), 0.0, (1 - 4 / 3) / (sd1 + 1e-4), (1 - 4 / 3) / (sd1 + 1e-4)],
    ]
    close(aggregate("grpo", R2, weights=W2), expected, atol=1e-9)
    assert sd0 == pytest.approx(_sample_std(S0)) and sd1 == pytest.approx(_sample_std(S1))


def test_grpo_batch_scale_and_dr_grpo() -> None:
    batch = S0 + S1  # 7 scorable rollouts, mean 10/7
    sd_b = _sample_std(batch)
    centred = [[s - 1.5 for s in S0], [2 - 4 / 3, 0.0, 1 - 4 / 3, 1 - 4 / 3]]
    close(aggregate("grpo", R2, weights=W2, scale="batch"), np.array(centred) / (sd_b + 1e-4), atol=1e-9)
    close(aggregate("dr_grpo", R2, weights=W2), centred, atol=1e-12)


def test_linear_normalizes_weights_to_the_simplex() -> None:
    # w = (2, 1) -> (2/3, 1/3): s/3, so the std is a third and eps weighs three times more than in grpo.
    sd0 = sqrt(5 / 3) / 3
    close(aggregate("linear", R2[:1], weights=W2), [[(s - 1.5) / 3 / (sd0 + 1e-4) for s in S0]], atol=1e-9)
    close(aggregate("linear", R2[:1], weights=W2, scale="none"), [[(s - 1.5) / 3 for s in S0]], atol=1e-12)


def _gdpo_pre() -> list[list[float]]:
    # Group 0: col0 (1,0,1,0), col1 (0,1,1,0): mean 1/2, sample std sqrt(1/3) each.
    d = sqrt(1 / 3) + 1e-4
    g0 = [(0.5 * 2 - 0.5) / d, (-0.5 * 2 + 0.5) / d, (0.5 * 2 + 0.5) / d, (-0.5 * 2 - 0.5) / d]
    # Group 1: col0 valid (1, 0, 0.5) on rollouts 0, 2, 3: mean 1/2, std sqrt(1/4) = 1/2;
    #          col1 valid (1, 0) on rollouts 2, 3: mean 1/2, std sqrt(1/2).
    e0 = 0.5 + 1e-4
    e1 = sqrt(0.5) + 1e-4
    g1 = [2 * 0.5 / e0, NAN, 2 * -0.5 / e0 + 0.5 / e1, 2 * 0.0 / e0 - 0.5 / e1]
    return [g0, g1]


def test_gdpo_and_mo_grpo_weights_nan_two_groups() -> None:
    pre = _gdpo_pre()
    close(aggregate("mo_grpo", R2, weights=W2), np.nan_to_num(pre), atol=1e-9)
    flat = [x for row in pre for x in row if x == x]
    m, sd = sum(flat) / len(flat), _sample_std(flat)
    expected = [[0.0 if x != x else (x - m) / (sd + 1e-4) for x in row] for row in pre]
    close(aggregate("gdpo", R2, weights=W2), expected, atol=1e-9)


def test_gdpo_nan_policy_zero_reads_nan_as_zero() -> None:
    # nan_policy="zero" (the NVlabs reference's nan_to_num): group 1 col1 becomes (0, -, 1, 0), the all-NaN
    # rollout stays unscorable.
    r = np.array([[[1, NAN], [NAN, NAN], [0, 1], [0.5, 0]]])
    e0 = 0.5 + 1e-4
    e1 = sqrt(1 / 3) + 1e-4  # (0, 1, 0): mean 1/3, std sqrt(1/3)
    expected = [[0.5 / e0 - (1 / 3) / e1, 0.0, -0.5 / e0 + (2 / 3) / e1, 0.0 - (1 / 3) / e1]]
    close(aggregate("mo_grpo", r, nan_policy="zero"), expected, atol=1e-9)


def test_dvao_power_and_base_weights() -> None:
    r = np.array([[[1, 0], [0, 0], [1, 1], [0, 1]]], dtype=float)  # both columns: population std 1/2
    z = 0.5 / (0.5 + 1e-6)
    close(aggregate("dvao", r), [[0.0, -z, z, 0.0]], atol=1e-12)  # v = (1/2, 1/2)
    close(aggregate("dvao", r, weights=[3, 1]), [[0.5 * z, -z, z, -0.5 * z]], atol=1e-12)  # v = (3/4, 1/4)
    # Unequal spreads: col0 (1,0,0,0) std sqrt(3/16), col1 (1,1,0,0) std 1/2.
    r = np.array([[[1, 1], [0, 1], [0, 0], [0, 0]]], dtype=float)
    s0, s1 = sqrt(3 / 16), 0.5
    z0 = [(0.75) / (s0 + 1e-6)] + [(-0.25) / (s0 + 1e-6)] * 3
    z1 = [0.5 / (s1 + 1e-6)] * 2 + [-0.5 / (s1 + 1e-6)] * 2
    for power in (1.0, 2.0):
        v0 = s0**power / (s0**power + s1**power)
        expected = [[v0 * a + (1 - v0) * b for a, b in zip(z0, z1, strict=True)]]
        close(aggregate("dvao", r, power=power), expected, atol=1e-12)


def test_dvao_fewer_than_two_scorable_rollouts_is_zero() -> None:
    r = np.array([[[1, 0], [NAN, NAN], [NAN, NAN]]], dtype=float)
    close(aggregate("dvao", r), [[0.0, 0.0, 0.0]], atol=0)


def test_rvpo_k2_tau2_weights_and_whitening() -> None:
    r = np.array([[[1, 0], [0, 1], [1, 1]]], dtype=float)
    # col0 (1,0,1), col1 (0,1,1): mean 2/3, sample std sqrt(1/3); z = (1/3, -2/3, 1/3)/d and (-2/3, 1/3, 1/3)/d.
    d = sqrt(1 / 3) + 1e-6
    z = [(1 / 3 / d, -2 / 3 / d), (-2 / 3 / d, 1 / 3 / d), (1 / 3 / d, 1 / 3 / d)]
    tau = 2.0

    def softmin(zs, pis):
        return -np.log(sum(p * np.exp(-tau * x) for x, p in zip(zs, pis, strict=True))) / tau

    pre = [softmin(zz, (0.5, 0.5)) for zz in z]
    close(aggregate("rvpo", r, tau=tau, whiten=False), [pre], atol=1e-9)
    pre_w = [softmin(zz, (0.75, 0.25)) for zz in z]
    close(aggregate("rvpo", r, weights=[3, 1], tau=tau, whiten=False), [pre_w], atol=1e-9)
    m, sd = sum(pre) / 3, _sample_std(pre)
    close(aggregate("rvpo", r, tau=tau), [[(x - m) / sqrt(sd**2 + 1e-8) for x in pre]], atol=1e-9)


def test_rvpo_schedule_is_linear_in_step() -> None:
    r = np.array([[[1, 0], [0, 1], [1, 1], [0, 0]]], dtype=float)
    for step, tau in ((0, 0.5), (50, 1.25), (100, 2.0), (500, 2.0)):
        got = aggregate("rvpo", r, step=step, total_steps=100, whiten=False)
        close(got, aggregate("rvpo", r, tau=tau, whiten=False), atol=1e-12)


def test_vpo_two_groups_missing_answer_and_empty_chain() -> None:
    # m=2, K=2, W = {e1, e2}. A NaN answer is missing (zero vector); an all-NaN chain is unscorable.
    s = np.array([
        [[[1, 0], [0, 1]], [[1, 1], [NAN, NAN]], [[0.5, 0], [0, 0]]],
        [[[1, 0], [1, 0]], [[0, 1], [0, 0]], [[NAN, NAN], [NAN, NAN]]],
    ])
    # Scores: mean over w of the chain's best: g0 (1, 1, 0.25); g1 (0.5, 0.5, -).
    sd0 = sqrt(((0.25) ** 2 * 2 + 0.5**2) / 3)  # population std of (1, 1, 0.25): mean 0.75
    expected = [[0.25 / (sd0 + 1e-6), 0.25 / (sd0 + 1e-6), -0.5 / (sd0 + 1e-6)], [0.0, 0.0, 0.0]]
    close(aggregate("vpo", s, weights_matrix=[[1, 0], [0, 1]]), expected, atol=1e-9)
    # empty_chain="zero" (reference behaviour): group 1 scores (0.5, 0.5, 0): mean 1/3, deviations
    # (1/6, 1/6, -1/3), population variance (1/36 + 1/36 + 4/36) / 3 = 1/18.
    sd1 = sqrt(1 / 18)
    got = aggregate("vpo", s, weights_matrix=[[1, 0], [0, 1]], empty_chain="zero")
    close(got[1], [(1 / 6) / (sd1 + 1e-6), (1 / 6) / (sd1 + 1e-6), (-1 / 3) / (sd1 + 1e-6)], atol=1e-9)


def test_multi_rlvr_sums_the_chain() -> None:
    s = np.array([[[[1, 0], [0, 1]], [[1, 1], [NAN, NAN]], [[0.5, 0], [0, 0]]]])
    # w = (1, 2): chain sums (1 + 2, 3 + 0, 0.5) = (3, 3, 0.5): mean 13/6, sample std of those.
    vals = [3.0, 3.0, 0.5]
    sd = _sample_std(vals)
    close(aggregate("multi_rlvr", s, weights=[1, 2]), [[(v - 13 / 6) / (sd + 1e-4) for v in vals]], atol=1e-9)


def test_max_at_k_hand_computed() -> None:
    # Single answers x = (0, 1, 2, 3) in scrambled order, k=2: t = mean max over the pairs containing each one:
    # x=0: (1+2+3)/3 = 2; x=1: (1+2+3)/3 = 2; x=2: (2+2+3)/3 = 7/3; x=3: 3. Unbiased max@2 = 14/6 = 7/3.
    s = np.array([[[[2.0]], [[0.0]], [[3.0]], [[1.0]]]])
    close(aggregate("max_at_k", s, k=2), [[0.0, -1 / 3, 2 / 3, -1 / 3]], atol=1e-12)
    close(aggregate("max_at_k", s, k=2, baseline="none"), [[7 / 3, 2.0, 3.0, 2.0]], atol=1e-12)
    # k=3 over 4 values: 3-subsets containing x: x=0 -> {0,1,2}:2, {0,1,3}:3, {0,2,3}:3 -> 8/3; x=1 -> same 8/3;
    # x=2 -> {0,1,2}:2, {0,2,3}:3, {1,2,3}:3 -> 8/3; x=3 -> 3. max@3 = (2+3+3+3)/4 = 11/4.
    close(aggregate("max_at_k", s, k=3, baseline="none"), [[8 / 3, 8 / 3, 3.0, 8 / 3]], atol=1e-12)


def test_max_at_k_chain_best_nan_and_tie() -> None:
    # Chains of m=2, K=2, w=(1,1): best answers (2, 1, 2, -); the unscorable rollout is left out; k=2 over n=3:
    # pairs: (2,1):2, (2,2):2, (1,2):2 -> every t = 2, A = 0. With ties, order does not matter.
    s = np.array([[[[1, 1], [0, 0]], [[1, 0], [0, 1]], [[0, 0], [1, 1]], [[NAN, NAN], [NAN, NAN]]]])
    close(aggregate("max_at_k", s, k=2), [[0.0, 0.0, 0.0, 0.0]], atol=1e-12)
    close(aggregate("max_at_k", s, k=2, baseline="none"), [[2.0, 2.0, 2.0, 0.0]], atol=1e-12)


def test_tchebycheff_fixed_utopia_weights() -> None:
    r = np.array([[[1, 0], [0, 2], [0.5, 1], [NAN, 1]]], dtype=float)
    w, z, rho = (1.0, 0.5), (1.0, 2.0), 0.01
    s = [
        -max(1 * (1 - 1), 0.5 * (2 - 0)) + rho * (1 * 1 + 0.5 * 0),  # -1 + 0.01
        -max(1 * (1 - 0), 0.5 * (2 - 2)) + rho * (0 + 0.5 * 2),  # -1 + 0.01
        -max(1 * 0.5, 0.5 * 1) + rho * (0.5 + 0.5),  # -0.5 + 0.01
        -(0.5 * (2 - 1)) + rho * 0.5,  # NaN objective skipped: -0.5 + 0.005
    ]
    m, sd = sum(s) / 4, _sample_std(s)
    close(aggregate("tchebycheff", r, weights=w, utopia=z), [[(x - m) / (sd + 1e-4) for x in s]], atol=1e-9)


def test_pareto_rank_three_fronts() -> None:
    r = np.array([[[3, 1, 1], [1, 3, 1], [2, 2, 0], [1, 1, 1], [0, 0, 0], [2, 2, 0]]], dtype=float)
    # Front 0: (3,1,1), (1,3,1), (2,2,0) twice (equal vectors do not dominate each other);
    # front 1: (1,1,1) (dominated by (3,1,1)); front 2: (0,0,0).
    s = [0, 0, 0, -1, -2, 0]
    m, sd = sum(s) / 6, _sample_std(s)
    close(aggregate("pareto_rank", r), [[(x - m) / (sd + 1e-4) for x in s]], atol=1e-9)


def test_pareto_rank_imputes_nan_with_group_mean() -> None:
    # Column 1 of rollout 2 is NaN -> imputed with the mean of (2, 0) = 1: (1, 1) is dominated by (2, 2) only.
    r = np.array([[[2, 2], [0, 0], [1, NAN]]], dtype=float)
    s = [0, -2, -1]
    close(aggregate("pareto_rank", r), [[(x + 1) / (1 + 1e-4) for x in s]], atol=1e-9)


def test_hv_contribution_2d_and_3d_fixed_reference() -> None:
    r = np.array([[[3, 1], [2, 2], [1, 3], [1, 1]]], dtype=float)
    # ref (0, 0): each of the three front points owns a unit square; (1, 1) is dominated.
    s = [1.0, 1.0, 1.0, 0.0]
    close(aggregate("hv_contribution", r, ref_point=0.0), [[(x - 0.75) / (0.5 + 1e-4) for x in s]], atol=1e-9)
    r = np.array([[[3, 1, 1], [1, 2, 1], [1, 1, 2]]], dtype=float)
    # Boxes 3, 2, 2 sharing the unit cube: exclusive volumes 2, 1, 1.
    d = sqrt(1 / 3) + 1e-4
    close(aggregate("hv_contribution", r, ref_point=0.0), [[(2 / 3) / d, (-1 / 3) / d, (-1 / 3) / d]], atol=1e-9)


def test_hv_contribution_automatic_reference() -> None:
    # ref = min - 0.1 * range per objective = (-0.2, -0.2) for points in [0, 2]^2.
    r = np.array([[[2, 0], [0, 2], [1, 1]]], dtype=float)
    # (2,0): [-.2, 2] x [-.2, 0] minus the part x <= 1 (covered by (1,1)): 1 * 0.2 = 0.2; (0,2) likewise 0.2;
    # (1,1): [-.2,1]^2 minus [-.2,1]x[-.2,0] and [-.2,0]x[-.2,1]: 1 * 1 = 1.
    s = [0.2, 0.2, 1.0]
    m, sd = sum(s) / 3, _sample_std(s)
    close(aggregate("hv_contribution", r), [[(x - m) / (sd + 1e-4) for x in s]], atol=1e-9)


def test_psr_nsr_w_reinforce() -> None:
    r = np.array([[[1, 1, NAN], [1, 0, 1], [NAN, NAN, NAN], [0.5, 1, 1]]], dtype=float)
    # success (threshold 1, NaN skipped): (1, 0, -, 0); pass fraction: (1, 2/3, -, 2/3).
    close(aggregate("psr", r), [[1, 0, 0, 0]], atol=0)
    close(aggregate("nsr", r), [[0, -1, 0, -1]], atol=0)
    close(aggregate("w_reinforce", r), [[0.1, -1, 0, -1]], atol=1e-15)
    close(aggregate("w_reinforce", r, lam=0.5, threshold=0.5), [[0.5, -1, 0, 0.5]], atol=1e-15)
    close(aggregate("psr", r, combine="mean"), [[1, 2 / 3, 0, 2 / 3]], atol=1e-15)
    close(aggregate("nsr", r, combine="mean"), [[0, -1 / 3, 0, -1 / 3]], atol=1e-15)
    close(aggregate("w_reinforce", r, combine="mean"), [[0.1, 0.1 * 2 / 3 - 1 / 3, 0, 0.1 * 2 / 3 - 1 / 3]])
    # Success defined on objective 1 only.
    close(aggregate("psr", r, success_objectives=[1]), [[1, 0, 0, 1]], atol=0)


# ------------------------------------------------------------------ example A for the schemes the spec gives no value

def test_example_a_dvao() -> None:
    # Population stds: 1/2, 1/2, sqrt(3)/4 -> v = (1/2, 1/2, sqrt(3)/4) / (1 + sqrt(3)/4).
    s3 = sqrt(3) / 4
    v = [0.5 / (1 + s3), 0.5 / (1 + s3), s3 / (1 + s3)]
    z1 = 0.5 / (0.5 + 1e-6)
    z3 = [-0.25 / (s3 + 1e-6), -0.25 / (s3 + 1e-6), 0.75 / (s3 + 1e-6), -0.25 / (s3 + 1e-6)]
    signs = [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    expected = [v[0] * a * z1 + v[1] * b * z1 + v[2] * c for (a, b), c in zip(signs, z3, strict=True)]
    close(aggregate("dvao", EXAMPLE_A), [expected], atol=1e-12)
    close(aggregate("dvao", EXAMPLE_A), [[0.5234, -0.1745, 0.5234, -0.8723]])


def test_example_a_tchebycheff() -> None:
    # s = -max_k (1 - r_k) + 0.01 sum_k r_k = (-0.98, -0.99, -0.98, -1.0).
    s = [-0.98, -0.99, -0.98, -1.0]
    m, sd = sum(s) / 4, _sample_std(s)
    close(aggregate("tchebycheff", EXAMPLE_A), [[(x - m) / (sd + 1e-4) for x in s]], atol=1e-9)
    close(aggregate("tchebycheff", EXAMPLE_A), [[0.7753, -0.2584, 0.7753, -1.2921]])


def test_example_a_pareto_rank_and_hv() -> None:
    # Ranks: (1,1,0) and (0,1,1) front 0, (1,0,0) front 1, (0,0,0) front 2: s = (0, -1, 0, -2), GRPO's shape.
    close(aggregate("pareto_rank", EXAMPLE_A), aggregate("grpo", EXAMPLE_A), atol=1e-12)
    # Reference -0.1 per objective: exclusive volumes 0.121 - 0.021 = 0.100 for (1,1,0), 0.121 - 0.011 = 0.110 for
    # (0,1,1), 0 for the dominated two.
    s = [0.100, 0.0, 0.110, 0.0]
    m, sd = sum(s) / 4, _sample_std(s)
    close(aggregate("hv_contribution", EXAMPLE_A), [[(x - m) / (sd + 1e-4) for x in s]], atol=1e-9)
    close(aggregate("hv_contribution", EXAMPLE_A), [[0.7805, -0.8626, 0.9448, -0.8626]])
