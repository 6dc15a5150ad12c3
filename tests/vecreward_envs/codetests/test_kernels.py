"""The numba interpreter agrees with its plain-Python twin (this file also runs under NUMBA_DISABLE_JIT=1)."""

import os

import numpy as np
import pytest
from ct_helpers import padded

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.config import MAX_LEN, VMAX, CodeTestsConfig
from vecreward_envs.codetests.generator import generate_cached
from vecreward_envs.codetests.kernels_py import run_program, typecheck
from vecreward_envs.codetests.problem import CodeProblem, TestCase, decode_value
from vecreward_envs.codetests.sampling import random_programs
from vecreward_envs.codetests.scoring import as_program_array, eval_programs, judge_programs

N_PROBLEMS = int(os.environ.get("VECREWARD_TEST_PROBLEMS", "40"))
PER_PROBLEM = int(os.environ.get("VECREWARD_TEST_PROGRAMS", "100"))


def _programs_for(problems: list, rng: np.random.Generator, per: int, length: int = 16
                  ) -> tuple[np.ndarray, np.ndarray]:
    programs, idx = [], []
    for i, problem in enumerate(problems):
        block = random_programs(rng, problem.arg_types, per, length)  # [per, L]
        block[0] = padded(problem.program, length)  # the ground truth too
        programs.append(block)
        idx += [i] * per
    return np.concatenate(programs), np.array(idx)


def test_interpreter_matches_twin() -> None:
    problems = [generate_cached(s, CodeTestsConfig()) for s in range(N_PROBLEMS)]
    rng = np.random.default_rng(0)
    programs, idx = _programs_for(problems, rng, PER_PROBLEM)
    tag, length, items, err = eval_programs(problems, programs, idx)
    codes = set()
    for n, program in enumerate(programs):
        problem = problems[idx[n]]
        for j, test in enumerate(problem.tests):
            value, code = run_program(program.tolist(), list(zip(problem.arg_types, test.args, strict=True)))
            codes.add(code)
            assert err[n, j] == code, (d.tokens_to_text(program), test.args)
            if code == d.ERR_NONE:
                assert (tag[n, j], decode_value(tag[n, j], length[n, j], items[n, j])) == value
        assert (err[n, len(problem.tests):] == 0).all() and (tag[n, len(problem.tests):] == d.T_NONE).all()
    if N_PROBLEMS * PER_PROBLEM >= 1000:  # the random programs must reach every outcome
        assert codes == set(range(9)), codes


def test_judge_rewards_match_twin(problems: list) -> None:
    rng = np.random.default_rng(1)
    problems = problems[: max(4, N_PROBLEMS // 2)]
    programs, idx = _programs_for(problems, rng, 30)
    scores = judge_programs(problems, programs, 8, idx)
    for n, program in enumerate(programs):
        problem = problems[idx[n]]
        compiles = typecheck(program.tolist(), problem.arg_types)[0] == d.ERR_NONE
        assert scores.compiles[n] == compiles and scores.rewards[n, 1] == float(compiles)
        assert np.isnan(scores.rewards[n, 0])
        per_group: dict[int, list[bool]] = {}
        for j, test in enumerate(problem.tests):
            value, _ = run_program(program.tolist(), list(zip(problem.arg_types, test.args, strict=True)))
            passed = value == (problem.return_type, test.expected)
            assert scores.status[n, j] == int(passed)
            per_group.setdefault(problem.config.slot_objective(test.group, test.slot), []).append(passed)
        assert (scores.status[n, len(problem.tests):] == -1).all()
        for k in range(2, 8):
            expected = np.mean(per_group[k]) if k in per_group else np.nan
            np.testing.assert_allclose(scores.rewards[n, k], expected, rtol=1e-6, equal_nan=True)
    truths = np.arange(0, len(programs), 30)  # row 0 of each block is the ground truth
    assert np.all(np.nan_to_num(scores.rewards[truths, 1:], nan=1.0) == 1.0)


def _problem(arg_types: tuple, args_list: list, return_type: int = d.T_INT) -> CodeProblem:
    tests = tuple(TestCase("basic", i, tuple(args), 0 if return_type == d.T_INT else []) for i, args in
                  enumerate(args_list))
    config = CodeTestsConfig(basic_tests=max(1, len(tests)), n_examples=0)
    names = ("xs", "k")[: len(arg_types)]
    return CodeProblem(config, -1, names, arg_types, return_type, "", (d.ARG0,), tests)


@pytest.mark.parametrize(("text", "args", "expected"), [
    ("arg0 arg1 take", ([1, 2, 3, 4], -1), [1, 2, 3]),             # Python slicing: xs[:-1]
    ("arg0 arg1 drop", ([1, 2, 3, 4], -3), [2, 3, 4]),
    ("arg0 arg1 take", ([1, 2], 9), [1, 2]),
    ("arg0 arg1 div map", ([7, -7], -2), [-4, 3]),                 # floor division
    ("arg0 arg1 mod map", ([7, -7], -3), [-2, -1]),                # Python's sign rule
    ("arg0 odd filter", ([-3, -2, 5], 0), [-3, 5]),
    ("arg0 arg1 at", ([4, 5, 6], -1), 6),
    ("arg0 plus scan", ([1, 2, 3], 0), [1, 3, 6]),
    ("arg0 arg1 minus fold", ([1, 2, 3], 10), 4),
    ("arg0 dedup", ([3, 1, 3, 2, 1], 0), [3, 1, 2]),
    ("arg0 sort reverse", ([3, 1, 2], 0), [3, 2, 1]),
])
def test_semantics_examples(text: str, args: tuple, expected: object) -> None:
    tokens, problem_text = d.text_to_tokens(text)
    assert not problem_text
    typed = [(d.T_LIST, args[0]), (d.T_INT, args[1])]
    value, err = run_program(tokens, typed)
    assert err == d.ERR_NONE and value[1] == expected
    problem = _problem((d.T_LIST, d.T_INT), [args])
    tag, length, items, errors = eval_programs(problem, padded(tokens)[None, :])
    assert errors[0, 0] == 0 and decode_value(tag[0, 0], length[0, 0], items[0, 0]) == expected


@pytest.mark.parametrize(("text", "args", "code"), [
    ("arg0 head", [], d.ERR_EMPTY),
    ("arg0 maximum", [], d.ERR_EMPTY),
    ("arg0 3 at", [1], d.ERR_INDEX),
    ("arg0 0 div map", [1], d.ERR_DIVZERO),
    ("arg0 square map", [VMAX], d.ERR_OVERFLOW),
    ("arg0 sum", [VMAX, 1], d.ERR_OVERFLOW),
    ("arg0 arg0 concat", list(range(MAX_LEN // 2 + 1)), d.ERR_LENGTH),
    ("arg0 sort sum", [], d.ERR_NONE),
    ("arg0 add", [1], d.ERR_TYPE),
    ("sort", [1], d.ERR_STACK),
    ("arg0 arg0", [1], d.ERR_RESULT),
    ("arg0 even", [1], d.ERR_RESULT),
    ("", [1], d.ERR_RESULT),
])
def test_error_codes(text: str, args: list, code: int) -> None:
    tokens, _ = d.text_to_tokens(text)
    assert run_program(tokens, [(d.T_LIST, args)])[1] == code
    problem = _problem((d.T_LIST,), [[args]])
    assert eval_programs(problem, padded(tokens)[None, :])[3][0, 0] == code


def test_strings() -> None:
    s = "Hello World 42"
    cases = {"arg0 upper map": s.upper(), "arg0 swapcase map": s.swapcase(), "arg0 isdigit filter": "42",
             "arg0 sort": "".join(sorted(s)), "arg0 dedup": "".join(dict.fromkeys(s)), "arg0 isvowel count": 3,
             "arg0 head": "H", "arg0 -1 at": "2", "arg0 isspace any": True}
    for text, expected in cases.items():
        tokens, _ = d.text_to_tokens(text)
        value, err = run_program(tokens, [(d.T_STR, s)])
        assert err == 0 and value[1] == expected, text
        problem = _problem((d.T_STR,), [[s]])
        tag, length, items, errors = eval_programs(problem, padded(tokens)[None, :])
        assert decode_value(tag[0, 0], length[0, 0], items[0, 0]) == expected, text


def test_program_validation() -> None:
    with pytest.raises(ValueError, match="not a DSL token"):
        as_program_array([[1, 99]])
    with pytest.raises(ValueError, match="integer"):
        as_program_array([[1.5, 0]])
    with pytest.raises(ValueError, match="shape"):
        as_program_array(np.zeros((2, 2, 2)))
    assert as_program_array([1, 47]).shape == (1, 2)
