"""The numba kernels agree with their plain-Python twins; hand-computed vectors."""

from collections import Counter

import numpy as np
from tc_helpers import completion, tasks

from vecreward_envs.toolcall.config import C0, CONSTRAINT_KINDS, MAX_PARAMS, MAX_SCORED_CALLS, ToolCallConfig
from vecreward_envs.toolcall.family import ToolCallFamily
from vecreward_envs.toolcall.kernels_py import decode_py, score_one_py
from vecreward_envs.toolcall.scoring import Canonical, TaskBatch, decode_structured, score_canonical, task_arrays


def _assert_same(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), atol=1e-6, equal_nan=True)


def test_structured_kernels_match_twin() -> None:
    family = ToolCallFamily(min_constraints=0, max_constraints=7)
    pool = tasks(family)
    rng = np.random.default_rng(0)
    n = 400
    idx = rng.integers(len(pool), size=n)
    tokens = rng.integers(0, len(family.answer_vocab), size=(n, family.config.answer_len + 1))
    tokens[: len(pool)] = family.demonstrations(pool)[:, : tokens.shape[1]]
    idx[: len(pool)] = np.arange(len(pool))
    batch = TaskBatch.stack(pool)
    canon = decode_structured(batch, idx, tokens, family.config.max_struct_calls)
    rewards = score_canonical(batch, idx, canon)
    for i in range(n):
        arrays = task_arrays(pool[idx[i]])
        twin = decode_py(tokens[i].tolist(), arrays, family.config.max_struct_calls, MAX_PARAMS, MAX_SCORED_CALLS)
        for key in ("n_calls", "call_tool", "call_val", "has_resp", "resp_words", "resp_field"):
            np.testing.assert_array_equal(np.asarray(twin[key]), canon.row(i)[key], err_msg=key)
        _assert_same(rewards[i], score_one_py(twin, arrays))
    assert np.all(rewards[: len(pool), 1:4][~np.isnan(rewards[: len(pool), 1:4])] == 1.0)


def test_text_canonical_matches_twin() -> None:
    family = ToolCallFamily(min_constraints=2, max_constraints=5)
    pool = tasks(family)
    texts, owners = [], []
    for task in pool:
        gt = task.gt_json
        variants = [task.ground_truth_text(), completion(gt[::-1]), completion(gt + gt[:1], "Done."),
                    completion([{"name": "nope", "parameters": {"x": 1}}] + gt[1:]),
                    completion([{**c, "parameters": {**c["parameters"], "extra": 1}} for c in gt])]
        if gt:
            broken = [dict(c, parameters={k: "wrong" for k in c["parameters"]}) for c in gt]
            variants.append(completion(broken, "Done, reference REF-0000."))
        for text in variants:
            texts.append(text)
            owners.append(task)
    rewards, parsed = family.score_completion_batch(owners, texts)
    canon = Canonical(len(texts))
    from vecreward_envs.toolcall.text import fill_canonical

    for n, (p, task) in enumerate(zip(parsed, owners, strict=True)):
        fill_canonical(canon, n, p, task)
        _assert_same(rewards[n], score_one_py(canon.row(n), task_arrays(task)))


def test_hand_computed_vector() -> None:
    family = ToolCallFamily(ToolCallConfig(min_constraints=5, max_constraints=5, bottleneck="max_calls"))
    task = next(t for t in family.instances(0, 50) if len(t.gt_calls) == 3)
    gt = task.gt_json
    # two of the three requested calls, exact: names 2/3, keys 2/3, values (|p0|+|p1|)/total
    vector = family.score_completions(task, [completion(gt[:2], "Done.")])[0][0]
    sizes = [len(c["parameters"]) for c in gt]
    assert vector[1] == np.float32(2 / 3) and vector[2] == np.float32(2 / 3)
    assert vector[3] == np.float32((sizes[0] + sizes[1]) / sum(sizes))
    assert vector[4] == 1.0  # at most 2 calls: satisfied by dropping one
    full = family.score_completions(task, [completion(gt)])[0][0]
    assert full[4] == 0.0 and full[1] == 1.0
    names = family.reward_names
    assert names[:4] == ("format", "tool_name", "param_keys", "param_values")
    assert all(n.startswith("constraint/") for n in names[4:])


def test_no_call_task() -> None:
    family = ToolCallFamily(p_no_call=1.0, min_constraints=1, max_constraints=2)
    task = family.generate(3)
    assert not task.gt_calls and task.response is not None
    good = family.score_completions(task, [task.ground_truth_text()])[0][0]
    assert good[0] == 1.0 and good[1] == 1.0 and np.isnan(good[2]) and np.isnan(good[3])
    calls = family.score_completions(task, [completion([{"name": "x", "parameters": {}}], "hi")])[0][0]
    assert calls[0] == 0.0 and calls[1] == 0.0


def test_many_constraints_kernels_match_twin() -> None:
    """Tasks with up to 17 constraints (kinds repeat): both kernels agree with the twin; fractions per kind."""
    family = ToolCallFamily(min_constraints=5, max_constraints=17, n_tools=8)
    pool = tasks(family)
    assert max(len(t.all_constraints) for t in pool) > 7
    rng = np.random.default_rng(1)
    n = 300
    idx = rng.integers(len(pool), size=n)
    tokens = rng.integers(0, len(family.answer_vocab), size=(n, family.config.answer_len + 1))
    tokens[: len(pool)] = family.demonstrations(pool)[:, : tokens.shape[1]]
    idx[: len(pool)] = np.arange(len(pool))
    batch = TaskBatch.stack(pool)
    canon = decode_structured(batch, idx, tokens, family.config.max_struct_calls)
    rewards = score_canonical(batch, idx, canon)
    for i in range(n):
        arrays = task_arrays(pool[idx[i]])
        twin = decode_py(tokens[i].tolist(), arrays, family.config.max_struct_calls, MAX_PARAMS, MAX_SCORED_CALLS)
        _assert_same(rewards[i], score_one_py(twin, arrays))
    texts, owners = [], []
    for task in pool:
        gt = task.gt_json
        for text in (task.ground_truth_text(), completion(gt[::-1], "Done."), completion(gt[:1])):
            texts.append(text)
            owners.append(task)
    text_rewards, parsed = family.score_completion_batch(owners, texts)
    from vecreward_envs.toolcall.text import fill_canonical

    tc = Canonical(len(texts))
    for j, (p, task) in enumerate(zip(parsed, owners, strict=True)):
        fill_canonical(tc, j, p, task)
        _assert_same(text_rewards[j], score_one_py(tc.row(j), task_arrays(task)))
        counts = Counter(k for k, _ in task.all_constraints)
        for c, kind in enumerate(CONSTRAINT_KINDS):
            v = text_rewards[j, C0 + c]
            if kind not in counts:
                assert np.isnan(v)
            else:  # a fraction of the kind's constraints
                assert np.isclose(v * counts[kind], round(float(v) * counts[kind]), atol=1e-4)


def test_fraction_of_forbidden_tools() -> None:
    family = ToolCallFamily(min_constraints=12, max_constraints=17, n_tools=8)
    task = next(t for t in family.instances(0, 200)
                if sum(k == "forbidden_tool" for k, _ in t.all_constraints) >= 3 and t.gt_calls)
    forbidden = [s["name"] for k, s in task.all_constraints if k == "forbidden_tool"]
    bad = [n for n in forbidden if n not in {c["name"] for c in task.gt_json}][:2]
    calls = task.gt_json + [{"name": n, "parameters": {}} for n in bad]
    vector = family.score_completions(task, [completion(calls, "Done.")])[0][0]
    col = C0 + CONSTRAINT_KINDS.index("forbidden_tool")
    hit = sum(1 for n in forbidden if n in {c["name"] for c in calls})
    assert vector[col] == np.float32(1 - hit / len(forbidden))
    messages = family.explain(task, completion(calls, "Done."))
    msg = messages["constraint/forbidden_tool"]
    assert all(n in msg for n in bad) and f"{len(forbidden) - hit}/{len(forbidden)} hold" in msg
