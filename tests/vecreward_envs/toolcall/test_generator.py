"""The task generator: deterministic, varied, constraints as configured, exact ground truth."""

import json

import numpy as np
import pytest

from vecreward_envs.toolcall.catalog import catalog
from vecreward_envs.toolcall.config import C0, CONSTRAINT_KINDS, ToolCallConfig
from vecreward_envs.toolcall.family import ToolCallFamily
from vecreward_envs.toolcall.task import generate


def test_catalog_is_large_typed_and_stable() -> None:
    tools = catalog()
    assert len(tools) >= 200 and len({t.name for t in tools}) == len(tools)
    types = {p.type for t in tools for p in t.params}
    assert types == {"string", "integer", "number", "enum", "boolean", "list"}
    assert any(not p.required for t in tools for p in t.params)
    for tool in tools:
        schema = tool.schema()
        assert set(schema["parameters"]["required"]) <= set(schema["parameters"]["properties"])
        assert len({p.name for p in tool.params}) == len(tool.params)
    assert catalog() is tools


def test_deterministic_and_varied() -> None:
    a, b = generate(123), generate(123)
    assert a.request == b.request and a.gt_json == b.gt_json and a.constraint_texts == b.constraint_texts
    np.testing.assert_array_equal(a.gt_codes, b.gt_codes)
    requests = {generate(s).request for s in range(300)}
    assert len(requests) >= 290
    shapes = {len(generate(s).gt_calls) for s in range(300)}
    assert shapes == {0, 1, 2, 3}


def test_constraint_counts_and_bottleneck() -> None:
    config = ToolCallConfig(min_constraints=5, max_constraints=6, bottleneck="max_calls")
    for seed in range(100):
        task = generate(seed, config)
        assert 5 <= len(task.constraints) <= 6, task.constraints
        assert "max_calls" in task.constraints
        assert task.constraints["max_calls"]["n"] < len(task.gt_calls)  # the hard form contradicts the request
        assert len(task.constraint_texts) == len(task.constraints)
        assert list(task.constraints) == [k for k in CONSTRAINT_KINDS if k in task.constraints]


def test_ground_truth_is_exact() -> None:
    family = ToolCallFamily()
    for seed in range(100):
        task = family.generate(seed)
        for g, (slot, params) in enumerate(task.gt_calls):
            tool = task.shown_tools[slot]
            for p, prm in enumerate(tool.params):
                code = int(task.gt_codes[g, p])
                if prm.name in params:
                    assert task.candidates[slot][p][code] == params[prm.name]
                    assert task.cand_flags[slot, p, code, 1] == 1
                else:
                    assert code == -1 and not prm.required
        json.dumps(task.gt_json)  # JSON-able
        if "unit" in task.constraints:
            spec = task.constraints["unit"]
            value = task.gt_calls[spec["call"]][1][spec["name"]]
            assert isinstance(value, float)
        if "format" in task.constraints:
            spec = task.constraints["format"]
            value = task.gt_calls[spec["call"]][1][spec["name"]]
            assert "-" not in value or spec["format"] == "MM-DD-YYYY"


def test_bad_configs_and_seeds() -> None:
    with pytest.raises(ValueError, match="bottleneck"):
        ToolCallConfig(bottleneck="nope")
    with pytest.raises(ValueError, match="min_constraints"):
        ToolCallConfig(min_constraints=4, max_constraints=2)
    with pytest.raises(ValueError, match="n_tools"):
        ToolCallConfig(n_tools=2)
    with pytest.raises(TypeError, match="valid"):
        ToolCallConfig.from_kwargs(n_tool=3)
    with pytest.raises(ValueError, match="seed"):
        generate(-1)


@pytest.mark.parametrize("bottleneck", ["", "forbidden_tool", "order", "unit"])
def test_many_constraints(bottleneck: str) -> None:
    """max_constraints up to 17: kinds repeat (only the repeatable ones), the count is clamped to what the task
    holds, the prompt lists every constraint and the ground truth (with the bottleneck's hard form aside) meets
    them all."""

    config = ToolCallConfig(min_constraints=5, max_constraints=17, n_tools=8, bottleneck=bottleneck)
    family = ToolCallFamily(config)
    counts = []
    for seed in range(80):
        task = generate(seed, config)
        kinds = [k for k, _ in task.all_constraints]
        counts.append(len(kinds))
        assert 5 <= len(kinds) <= 17
        assert len(task.constraint_texts) == len(kinds)
        assert list(task.constraints) == [k for k in CONSTRAINT_KINDS if k in task.constraints]
        assert {k for k, _ in task.extra_constraints} <= {"forbidden_tool", "unit", "format", "order"}
        assert len({json.dumps(s, sort_keys=True) for _, s in task.all_constraints}) == len(kinds)  # distinct
        if bottleneck:
            assert bottleneck in task.constraints
        vector = family.score_completions(task, [task.ground_truth_text()])[0][0]
        for c, kind in enumerate(CONSTRAINT_KINDS):
            if kind in ("max_calls", "forbidden_tool"):
                continue  # may contradict the request
            assert np.isnan(vector[C0 + c]) == (kind not in kinds)
            assert np.isnan(vector[C0 + c]) or vector[C0 + c] == 1.0, (seed, kind)
    assert max(counts) > 12


def test_max_constraints_range() -> None:
    ToolCallConfig(min_constraints=17, max_constraints=17)
    with pytest.raises(ValueError, match="17"):
        ToolCallConfig(max_constraints=18)
    task = generate(0, ToolCallConfig(min_constraints=17, max_constraints=17, n_tools=4))  # clamped, no loop
    assert 7 <= len(task.all_constraints) <= 17
