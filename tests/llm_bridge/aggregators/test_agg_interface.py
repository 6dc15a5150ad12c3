"""The interface: registry, parameter and input validation, array kinds (numpy, lists, torch), consistency between
related schemes."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from llm_bridge.aggregators import AGGREGATORS, SPECS, AggregatorSpec, aggregate, get_spec, run_params, scheme_names
from llm_bridge.aggregators._registry import NEEDS, register
from llm_bridge.aggregators.grpo import GRPOParams
from llm_bridge.aggregators.outcome import PSRParams

DOCS = Path(__file__).resolve().parents[3] / "docs" / "aggregators"
ALL = scheme_names()
R = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]], dtype=float)


def rewards_for(name: str, r: np.ndarray = R) -> np.ndarray:
    return r[:, :, None, :] if SPECS[name].level == "set" else r


def test_registry_is_listed_by_order() -> None:
    orders = [spec.order for spec in SPECS.values()]
    assert len(set(orders)) == len(orders), "two schemes share an order"
    assert orders == sorted(orders)
    assert tuple(AGGREGATORS) == tuple(SPECS) == ALL
    for name, fn in AGGREGATORS.items():
        assert SPECS[name].name == name
        assert fn.__name__ == name and SPECS[name].summary in fn.__doc__


@pytest.mark.parametrize("name", ALL)
def test_spec_declarations_are_consistent(name: str) -> None:
    spec = SPECS[name]
    assert set(spec.needs) <= set(spec.param_names) and set(spec.needs) <= set(NEEDS)
    assert (spec.kind == "set_level") == (spec.level == "set") == (spec.chain_length > 1)
    assert spec.group_baseline == (spec.kind != "outcome")
    filled = run_params(name, success_objectives=[0], total_steps=7)
    assert tuple(filled) == spec.needs
    aggregate(name, rewards_for(name), rng=np.random.default_rng(0), **filled)  # the filled values are accepted


@pytest.mark.parametrize("name", ALL)
def test_every_scheme_has_a_docs_page(name: str) -> None:
    assert SPECS[name].doc == f"{name}.md" and (DOCS / SPECS[name].doc).is_file()


def test_the_index_table_lists_the_schemes_in_registry_order() -> None:
    rows = re.findall(r"^\| `(\w+)` \| \[\w+\]\((\w+)\.md\) \|", (DOCS / "index.md").read_text(), flags=re.M)
    assert [name for name, _ in rows] == list(ALL)
    assert all(name == page for name, page in rows)


def test_run_params_fills_the_needs_and_leaves_unknown_values_out() -> None:
    needing = {need: [n for n, s in SPECS.items() if need in s.needs] for need in NEEDS}
    assert all(needing.values()), "a declared need that no scheme uses"
    for name in needing["success_objectives"]:
        assert run_params(name, success_objectives=(2, 0), total_steps=5) == {"success_objectives": [2, 0]}
        assert run_params(name, success_objectives=None, total_steps=5) == {}
        assert run_params(name, success_objectives=[], total_steps=5) == {}
    for name in needing["total_steps"]:
        assert run_params(name, success_objectives=[0], total_steps=40) == {"total_steps": 40}
        assert run_params(name, success_objectives=[0], total_steps=None) == {}
    for name in (n for n, s in SPECS.items() if not s.needs):
        assert run_params(name, success_objectives=[0], total_steps=40) == {}
    with pytest.raises(ValueError, match="unknown aggregator 'nope'; valid names: grpo"):
        run_params("nope", success_objectives=None, total_steps=1)


def _spec(**changes: object) -> AggregatorSpec:
    fields: dict = dict(name="probe_scheme", kernel=lambda r, w, p, rng, step: r.sum(-1), params=GRPOParams,
                        kind="scalarized", order=10_000, summary="a test scheme")
    return AggregatorSpec(**(fields | changes))


@pytest.mark.parametrize(("changes", "message"), [
    ({"needs": ("total_steps",)}, "needs 'total_steps', which is not a parameter of GRPOParams"),
    ({"needs": ("seed",)}, "unknown need 'seed'"),
    ({"params": PSRParams, "needs": ("success_objectives", "success_objectives")}, "without repeats"),
    ({"kind": "set_level"}, "chain_length must be > 1 for a set-level scheme"),
    ({"chain_length": 3}, "chain_length must be > 1 for a set-level scheme and 1 otherwise"),
    ({"chain_length": 0}, "chain_length must be an integer >= 1"),
    ({"kind": "sum"}, "kind must be one of"),
    ({"order": 1.5}, "order must be an integer"),
    ({"name": "Bad-Name"}, "lower-case Python identifier"),
])
def test_spec_validation(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _spec(**changes)


def test_register_rejects_a_taken_order_or_name_and_keeps_the_registry() -> None:
    before = tuple(SPECS)
    with pytest.raises(ValueError, match=f"order {SPECS['grpo'].order} is already taken by 'grpo'"):
        register(_spec(order=SPECS["grpo"].order))
    with pytest.raises(ValueError, match="'grpo' registered twice"):
        register(_spec(name="grpo", order=10_001))
    assert tuple(SPECS) == tuple(AGGREGATORS) == before


def test_unknown_scheme_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown aggregator 'grpoo'; valid names: grpo, dr_grpo"):
        aggregate("grpoo", R)
    with pytest.raises(ValueError, match="unknown aggregator"):
        get_spec(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ALL)
def test_unknown_parameter_lists_the_valid_ones(name: str) -> None:
    with pytest.raises(ValueError, match=rf"{name}: unknown parameter\(s\) \['bogus'\]; valid parameters: nan_policy"):
        aggregate(name, rewards_for(name), bogus=1)


@pytest.mark.parametrize("name", ALL)
def test_defaults_are_declared_and_accepted(name: str) -> None:
    spec = SPECS[name]
    defaults = spec.defaults()
    assert set(defaults) == set(spec.param_names) and defaults["nan_policy"] == "exclude"
    np.testing.assert_allclose(aggregate(name, rewards_for(name), rng=np.random.default_rng(0), **defaults),
                               aggregate(name, rewards_for(name), rng=np.random.default_rng(0)))


@pytest.mark.parametrize(("name", "params", "message"), [
    ("grpo", {"eps": -1e-4}, "grpo: parameter 'eps' must be >= 0.0"),
    ("grpo", {"scale": "global"}, "grpo: parameter 'scale' must be one of \\['group', 'batch', 'none'\\]"),
    ("grpo", {"ddof": 1.5}, "grpo: parameter 'ddof' must be an integer"),
    ("gdpo", {"eps": float("nan")}, "gdpo: parameter 'eps' must be finite"),
    ("gdpo", {"batch_norm": "yes"}, "gdpo: parameter 'batch_norm' must be True or False"),
    ("dvao", {"power": -1}, "dvao: parameter 'power' must be >= 0.0"),
    ("rvpo", {"tau": -0.5}, "rvpo: parameter 'tau' must be >= 0.0"),
    ("rvpo", {"total_steps": 0}, "rvpo: parameter 'total_steps' must be >= 1"),
    ("vpo", {"alpha": 0.0}, "vpo: parameter 'alpha' must be > 0.0"),
    ("vpo", {"weights_matrix": [[1, -1, 0]]}, "finite and non-negative"),
    ("vpo", {"weights_matrix": [1, 0, 0]}, "must be \\[N, K\\]"),
    ("max_at_k", {"k": 0}, "max_at_k: parameter 'k' must be >= 1"),
    ("tchebycheff", {"utopia": [1, 1]}, "tchebycheff: parameter 'utopia' has 2 entries, rewards have K=3"),
    ("tchebycheff", {"rho": -0.1}, "rho"),
    ("hv_contribution", {"method": "fast"}, "method"),
    ("hv_contribution", {"ref_margin": 0}, "ref_margin"),
    ("psr", {"success_objectives": []}, "non-empty list of objective indices"),
    ("psr", {"success_objectives": [5]}, "out of range for K=3"),
    ("nsr", {"combine": "any"}, "combine"),
    ("w_reinforce", {"lam": -1}, "lam"),
    ("grpo", {"nan_policy": "drop"}, "nan_policy"),
])
def test_bad_parameter_values_are_clear(name: str, params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aggregate(name, rewards_for(name), rng=np.random.default_rng(0), **params)


@pytest.mark.parametrize("name", ALL)
def test_wrong_rank_is_clear(name: str) -> None:
    want = "4-D \\[B, G, m, K\\]" if SPECS[name].level == "set" else "3-D \\[B, G, K\\]"
    with pytest.raises(ValueError, match=rf"{name}: rewards must be {want}"):
        aggregate(name, R[0])
    with pytest.raises(ValueError, match=f"{name}: rewards must be numeric"):
        aggregate(name, [["a", "b"]])


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("shape", [(0, 4, 3), (2, 0, 3), (2, 4, 0)])
def test_empty_input_gives_an_empty_or_zero_result(name: str, shape: tuple) -> None:
    r = np.zeros(shape)
    a = aggregate(name, rewards_for(name, r))
    assert a.shape == shape[:2] and np.all(a == 0)


def test_weights_validation() -> None:
    with pytest.raises(ValueError, match="weights must be a 1-D list of K=3"):
        aggregate("grpo", R, weights=[1, 2])
    with pytest.raises(ValueError, match="weights must be finite"):
        aggregate("grpo", R, weights=[1, np.nan, 1])
    with pytest.raises(ValueError, match="dvao: weights must be >= 0"):
        aggregate("dvao", R, weights=[1, -1, 1])
    with pytest.raises(ValueError, match="psr: this scheme does not use static objective weights"):
        aggregate("psr", R, weights=[1, 1, 1])
    with pytest.raises(ValueError, match="vpo: this scheme does not use static objective weights"):
        aggregate("vpo", R[:, :, None], weights=[1, 1, 1], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="linear: weights must have a positive sum"):
        aggregate("linear", R, weights=[0, 0, 0])
    with pytest.raises(ValueError, match="pareto_rank: at least one weight must be positive"):
        aggregate("pareto_rank", R, weights=[0, 0, 0])
    # Negative weights are fine where the weights are a linear combination (a penalty objective).
    assert np.isfinite(aggregate("grpo", R, weights=[1, 1, -1])).all()


def test_rng_and_step_validation() -> None:
    with pytest.raises(ValueError, match="vpo: needs rng=np.random.default_rng"):
        aggregate("vpo", R[:, :, None])
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        aggregate("vpo", R[:, :, None], rng=0)
    with pytest.raises(ValueError, match="'step' must be >= 0"):
        aggregate("rvpo", R, step=-1)


def test_lists_and_integer_arrays_are_accepted() -> None:
    np.testing.assert_array_equal(aggregate("grpo", R.tolist()), aggregate("grpo", R))
    np.testing.assert_array_equal(aggregate("grpo", R.astype(np.int64)), aggregate("grpo", R))
    np.testing.assert_array_equal(aggregate("grpo", R.astype(bool)), aggregate("grpo", R))


def test_inputs_are_not_modified() -> None:
    r = R.copy()
    r[0, 1, 2] = np.nan
    before = r.copy()
    for name in ALL:
        aggregate(name, rewards_for(name, r), rng=np.random.default_rng(0), nan_policy="zero")
    np.testing.assert_array_equal(r, before)


def test_llm_bridge_does_not_import_torch() -> None:
    import subprocess

    code = "import sys, numpy as np, llm_bridge.aggregators as a, llm_bridge.pipeline; " \
           "a.aggregate('grpo', np.ones((1, 2, 2))); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ----------------------------------------------------------------------------------------------------- torch


@pytest.mark.parametrize("name", ALL)
def test_torch_in_torch_out(name: str) -> None:
    torch = pytest.importorskip("torch")
    x = rewards_for(name)
    expected = aggregate(name, x, rng=np.random.default_rng(0))
    for dtype in (torch.float32, torch.float64):
        t = torch.tensor(x, dtype=dtype, requires_grad=True)
        out = aggregate(name, t, rng=np.random.default_rng(0))
        assert isinstance(out, torch.Tensor) and out.dtype == dtype and out.device == t.device
        np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)
    out = aggregate(name, torch.tensor(x, dtype=torch.int64), rng=np.random.default_rng(0))
    assert out.dtype == torch.float32


def test_torch_meta_device_round_trip_keeps_device() -> None:
    torch = pytest.importorskip("torch")
    from llm_bridge._arrays import from_numpy_like

    like = torch.zeros(2, device="cpu", dtype=torch.float16)
    out = from_numpy_like(np.ones((1, 2)), like)
    assert out.device == like.device and out.dtype == torch.float16


# ---------------------------------------------------------------------------------------- consistency checks


def test_set_level_with_single_answers_matches_the_vector_schemes() -> None:
    rng = np.random.default_rng(1)
    r = rng.integers(0, 3, size=(3, 5, 4)).astype(float)
    r[0, 2, 1] = np.nan
    chains = r[:, :, None, :]
    w = [1.0, 0.5, 2.0, 1.0]
    np.testing.assert_allclose(aggregate("multi_rlvr", chains, weights=w), aggregate("grpo", np.nan_to_num(r),
                                                                                     weights=w), atol=1e-12)
    # max@1 is the mean, so max_at_k with k=1 and single answers is Dr. GRPO.
    np.testing.assert_allclose(aggregate("max_at_k", chains, k=1, weights=w),
                               aggregate("dr_grpo", np.nan_to_num(r), weights=w), atol=1e-12)


def test_max_at_k_with_k_at_least_the_group_size_is_zero() -> None:
    r = np.random.default_rng(2).random((2, 4, 1, 3))
    assert np.all(aggregate("max_at_k", r, k=4) == 0) and np.all(aggregate("max_at_k", r, k=10) == 0)
    assert np.any(aggregate("max_at_k", r, k=2) != 0)


def test_max_at_k_transformed_rewards_average_to_the_unbiased_estimate() -> None:
    from itertools import combinations
    from math import comb

    from llm_bridge.aggregators.setlevel import max_at_k_transformed

    x = np.random.default_rng(3).random((1, 7))
    for k in (1, 2, 3, 5):
        t = max_at_k_transformed(x, k)
        subsets = list(combinations(range(7), k))
        estimate = sum(max(x[0, list(s)]) for s in subsets) / comb(7, k)
        assert t.mean() == pytest.approx(estimate)
        for i in range(7):  # t_i = mean over the k-subsets containing i of their maximum
            mine = [max(x[0, list(s)]) for s in subsets if i in s]
            assert t[0, i] == pytest.approx(sum(mine) / len(mine))


def test_vpo_draws_per_group_from_the_rng_and_is_reproducible() -> None:
    s = np.random.default_rng(4).random((3, 6, 2, 3))
    a = aggregate("vpo", s, rng=np.random.default_rng(7))
    b = aggregate("vpo", s, rng=np.random.default_rng(7))
    c = aggregate("vpo", s, rng=np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # With many weights, alpha=1 and m=1, the Dirichlet score is close to the mean of the objectives.
    single = s[:, :, :1]
    a = aggregate("vpo", single, rng=np.random.default_rng(0), n_weights=20000)
    mean = single[:, :, 0].mean(-1)
    z = (mean - mean.mean(1, keepdims=True)) / mean.std(1, keepdims=True)
    np.testing.assert_allclose(a, z, atol=0.05)


def test_hv_monte_carlo_agrees_with_exact() -> None:
    r = np.random.default_rng(5).random((4, 6, 3))
    exact = aggregate("hv_contribution", r, method="exact")
    np.testing.assert_allclose(aggregate("hv_contribution", r), exact)  # auto is exact at K=3
    mc = aggregate("hv_contribution", r, method="monte_carlo", n_samples=50000)
    np.testing.assert_allclose(mc, exact, atol=0.05)
    mc_rng = aggregate("hv_contribution", r, method="monte_carlo", n_samples=50000, rng=np.random.default_rng(0))
    np.testing.assert_allclose(mc_rng, exact, atol=0.05)
    # Beyond the cell budget, auto switches to the estimate, and says so.
    with pytest.warns(RuntimeWarning, match="exceed max_exact_cells=1 .* Monte-Carlo estimate"):
        np.testing.assert_allclose(aggregate("hv_contribution", r, max_exact_cells=1, n_samples=50000), mc)


def test_hv_sweep_plan_bounds_and_order() -> None:
    from math import comb

    from llm_bridge.aggregators.morl import _sweep_plan

    rng = np.random.default_rng(8)
    x = np.concatenate([rng.random((2, 16, 2)), rng.integers(0, 2, (2, 16, 4)).astype(float)], axis=-1)
    scorable = np.ones((2, 16), dtype=bool)
    dims, cells = _sweep_plan(x, scorable)
    assert set(dims[-2:]) == {0, 1}  # the continuous objectives are swept last (solved directly)
    np.testing.assert_array_equal(cells, [1 + 2 + 4 + 8 + 16] * 2)  # binary objectives: sum of 2^d, d <= 4
    x = rng.random((1, 16, 6))
    _, cells = _sweep_plan(x, np.ones((1, 16), dtype=bool))
    assert cells[0] == comb(16 + 3, 4)
    # Defaults: continuous rewards stay exact up to K = 6 at G = 16.
    assert comb(16 + 3, 4) <= SPECS["hv_contribution"].defaults()["max_exact_cells"] < comb(16 + 4, 5)


def test_hv_and_pareto_ignore_zero_weight_objectives() -> None:
    r = np.random.default_rng(6).random((2, 5, 3))
    for name in (n for n, s in SPECS.items() if s.kind == "dominance"):
        np.testing.assert_allclose(aggregate(name, r, weights=[1, 0, 2]), aggregate(name, r[..., [0, 2]]))


def test_rvpo_batch_whitening_has_zero_mean_unit_std() -> None:
    r = np.random.default_rng(7).random((4, 6, 3))
    a = aggregate("rvpo", r, tau=1.0)
    assert abs(a.mean()) < 1e-12 and a.std(ddof=1) == pytest.approx(1.0, abs=1e-6)
    g = aggregate("gdpo", r)
    assert abs(g.mean()) < 1e-12 and g.std(ddof=1) == pytest.approx(1.0, abs=1e-3)
