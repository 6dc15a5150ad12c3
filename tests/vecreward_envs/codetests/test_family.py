import dataclasses
import json
import pickle

import numpy as np
import pytest
from ct_helpers import SUM_SOLUTION, padded, sum_problem

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.config import CodeTestsConfig
from vecreward_envs.codetests.family import CodeTestsFamily
from vecreward_envs.codetests.sandbox import SandboxPool
from vecreward_envs.families import TaskFamily, make_family


@pytest.fixture(scope="module")
def family(pool: SandboxPool) -> CodeTestsFamily:
    return CodeTestsFamily(sandbox=pool)


def test_contract() -> None:
    family = make_family("codetests")
    assert isinstance(family, TaskFamily) and family.name == "codetests"
    assert family.reward_names[:2] == ("format", "compiles") and len(family.reward_names) == 8
    assert family.reward_low.dtype == np.float32 and np.all(family.reward_high == 1)
    assert family.answer_vocab[family.stop_code] == "end" and len(family.answer_vocab) == d.N_TOKENS
    with pytest.raises(TypeError, match="valid"):
        make_family("codetests", group_size=3)
    with pytest.raises(TypeError, match="not both"):
        CodeTestsFamily(CodeTestsConfig(), basic_tests=2)


def test_reference_answers_score_one(family: CodeTestsFamily, problems: list) -> None:
    for problem in problems[:12]:
        rewards, verdicts = family.score_completions(problem, [family.format_answer(problem), "no answer"])
        assert rewards.shape == (2, 8) and rewards.dtype == np.float32
        present = np.array([2 + family.config.groups.index(g) for g in problem.groups_present])
        assert np.all(rewards[0, :2] == 1) and np.all(rewards[0, present] == 1)
        absent = np.setdiff1d(np.arange(2, 8), present)
        assert np.all(np.isnan(rewards[:, absent]))
        assert np.all(rewards[1, :2] == 0) and np.all(rewards[1, present] == 0)
        assert verdicts[0].failures(problem) == {} and "format" in verdicts[1].failures(problem)
        assert verdicts[0].ok and not verdicts[1].ok


def test_structured_scores(family: CodeTestsFamily, problems: list) -> None:
    programs = np.stack([padded(p.program) for p in problems[:6]] + [padded([d.ARG0])])  # [7, 16]
    scores = family.score_programs(problems[:6] + [problems[0]], programs)
    assert np.all(np.nan_to_num(scores.rewards[:6, 1:], nan=1.0) == 1.0)
    assert np.all(np.isnan(scores.rewards[:, 0]))
    assert family.pass_flags(scores.rewards)[:6, 1:].sum() > 0 and not family.pass_flags(scores.rewards)[:, 0].any()
    explained = family.explain(problems[0], padded([d.ARG0, d.REVERSE]))
    assert explained and all(name in family.reward_names for name in explained)
    assert "expected" in next(iter(explained.values()))
    with pytest.raises(ValueError, match="config"):
        family.score_programs([CodeTestsFamily(basic_tests=3).generate(0)], programs[:1])


def test_python_and_dsl_answers_agree(problems: list) -> None:
    """A DSL program and its Python rendering get the same test objectives (one judge, two answer forms)."""
    python_family = make_family("codetests")
    dsl_family = make_family("codetests", answer_format="dsl")
    rng = np.random.default_rng(3)
    from vecreward_envs.codetests.kernels_py import typecheck
    from vecreward_envs.codetests.sampling import random_program

    checked = 0
    for problem in problems[:8]:
        dsl_problem = dsl_family.generate(problem.seed)
        for _ in range(6):
            tokens = [t for t in random_program(rng, problem.arg_types, 12, p_corrupt=0.0).tolist() if t]
            if typecheck(tokens, problem.arg_types)[0] != d.ERR_NONE:
                continue
            py = python_family.score_completions(problem, [python_family.format_answer(problem, tokens)])[0][0]
            ds = dsl_family.score_completions(dsl_problem, [dsl_family.format_answer(dsl_problem, tokens)])[0][0]
            np.testing.assert_array_equal(py[:2], ds[:2])
            # only integer overflow / length bounds may differ (Python has none); generated values stay far below
            np.testing.assert_array_equal(py[2:], ds[2:])
            checked += 1
    assert checked >= 10


def test_rows_round_trip(family: CodeTestsFamily, problems: list) -> None:
    for problem in problems[:5]:
        row = json.loads(json.dumps(family.task_row(problem)))
        assert family.instance_from_row(row) == problem
    with pytest.raises(ValueError, match="codetests"):
        family.instance_from_row({"family": "maze", "seed": 0})
    row = family.task_row(problems[0])
    row["id"] = "ct-0-00000000"
    with pytest.raises(ValueError, match="id"):
        family.instance_from_row(row)
    with pytest.raises(ValueError, match="config"):
        CodeTestsFamily(granularity="test").instance_from_row(family.task_row(problems[0]))


def test_observation(family: CodeTestsFamily, problems: list) -> None:
    problem = problems[1]
    obs = family.observation(problem)
    assert obs.shape == (family.observation_size,) and obs.dtype == np.int16
    assert list(obs[:4]) == [*problem.arg_types, *([0] * (2 - len(problem.arg_types))), problem.return_type, 2]
    first = problem.tests[0]
    assert obs[4] == problem.arg_types[0] and obs[5] == len(first.args[0])
    expected_items = np.clip(first.args[0], -127, 127) + 128 if problem.arg_types[0] == d.T_LIST else \
        np.array([ord(c) for c in first.args[0]]) + 128
    np.testing.assert_array_equal(obs[6: 6 + len(first.args[0])], expected_items)
    assert all(0 <= o.min() and o.max() < family.observation_vocab for o in map(family.observation, problems))


def test_cursor_decodes_well_typed_programs(problems: list) -> None:
    """Tokens drawn among the cursor's valid moves always make a program that type checks and ends in time."""
    from vecreward_envs.codetests.kernels_py import typecheck

    family = make_family("codetests")
    rng = np.random.default_rng(5)
    batch = problems[:6]
    idx = np.repeat(np.arange(len(batch)), 20)  # [N]
    cursor = family.new_cursor(batch, idx)
    assert cursor.features().shape == (len(idx), cursor.n_features)
    length = family.max_answer_len(batch) + 1
    answers = np.zeros((len(idx), length), dtype=np.int64)
    for t in range(length):
        valid = cursor.valid_moves()  # [N, 61]
        assert valid.any(axis=1).all()
        if t == length - 1:
            valid[:] = False
            valid[:, family.stop_code] = True
        tokens = np.array([rng.choice(np.flatnonzero(row)) for row in valid])
        tokens[cursor.done] = family.stop_code
        answers[:, t] = tokens
        cursor.advance(tokens)
    assert cursor.done.all()
    typed = 0
    for n, row in enumerate(answers):
        problem = batch[idx[n]]
        err, kind = typecheck(row.tolist(), problem.arg_types)
        typed += err == d.ERR_NONE and kind == problem.return_type
    assert typed >= 0.9 * len(idx)
    rewards = family.score_answers(batch, answers, idx)
    np.testing.assert_array_equal(rewards, family.score_programs(batch, answers, idx).rewards)
    assert family.success_objectives == tuple(range(2, 8))


def test_pickling_drops_processes(family: CodeTestsFamily) -> None:
    clone = pickle.loads(pickle.dumps(family))
    assert clone.config == family.config and clone._own_pool is None
    rewards = clone.score_completions(sum_problem(), [SUM_SOLUTION])[0]
    assert np.all(np.nan_to_num(rewards, nan=1.0) == 1)
    clone.close()


def test_prompt_m() -> None:
    family = make_family("codetests")
    with pytest.raises(ValueError, match="m=1"):
        family.prompt(family.generate(0), m=3)


def test_text_users_do_not_load_numba() -> None:
    """Generating problems and judging Python answers needs neither numba nor a compiled kernel."""
    import subprocess
    import sys

    code = ("import sys; from vecreward_envs.families import make_family; f = make_family('codetests'); "
            "p = f.generate(0); r = f.score_completions(p, [f.format_answer(p)])[0]; "
            "assert r[0, 1] == 1, r; assert 'numba' not in sys.modules, 'numba was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_reference_demonstrations_are_an_opt_in_ability(pool: SandboxPool) -> None:
    from vecreward_envs.protocols import Demonstrations, check_family, supports

    plain = make_family("codetests")
    assert not supports(plain, Demonstrations) and not hasattr(plain, "demonstrations") and check_family(plain) == []
    for fmt in ("python", "dsl"):
        family = CodeTestsFamily(answer_format=fmt, max_stages=1, reference_demonstrations=True, sandbox=pool)
        assert supports(family, Demonstrations) and check_family(family) == []
        assert family.config == CodeTestsConfig(answer_format=fmt, max_stages=1)  # problems and rows unchanged
        problems = family.instances(0, 6)
        programs = family.demonstrations(problems)  # [6, program_len]
        assert programs.shape == (6, family.config.program_len) and programs.dtype == np.int64
        assert [tuple(p[p != d.END]) for p in programs] == [p.program for p in problems]
        structured = family.score_answers(problems, programs, np.arange(6))  # [6, K]
        texts = family.demonstration_texts(problems)
        for n, (problem, text) in enumerate(zip(problems, texts, strict=True)):
            rewards, _ = family.score_completions(problem, [text])  # [1, K]
            applicable = ~np.isnan(rewards[0])
            assert np.all(rewards[0, applicable] == 1)  # the ground truth passes every test it has
            np.testing.assert_array_equal(structured[n, 1:], rewards[0, 1:])  # format is a text objective
        copy = pickle.loads(pickle.dumps(family))
        assert supports(copy, Demonstrations) and copy.demonstration_texts(problems) == texts
    assert not supports(pickle.loads(pickle.dumps(plain)), Demonstrations)
    long = dataclasses.replace(problems[0], program=problems[0].program * 17)  # hand-built, past program_len
    with pytest.raises(ValueError, match=r"ground-truth program has \d+ tokens, more than program_len=16"):
        family.demonstrations([long])
    with pytest.raises(TypeError, match="reference_demonstrations must be true or false"):
        make_family("codetests", reference_demonstrations="yes")
