"""The Python rendering of a DSL program computes what the program computes (and fails where it fails)."""

import numpy as np

from vecreward_envs.codetests import dsl as d
from vecreward_envs.codetests.kernels_py import run_program, typecheck
from vecreward_envs.codetests.render import to_expression, to_python
from vecreward_envs.codetests.sampling import random_programs

PYTHON_ONLY = (d.ERR_OVERFLOW, d.ERR_LENGTH)  # Python ints and lists have no such bounds


def _run_python(source: str, args: tuple) -> tuple[object, bool]:
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - our own generated code, not an answer
    try:
        return namespace["solve"](*args), True
    except (IndexError, ValueError, ZeroDivisionError):
        return None, False


def _check(program: list[int], problem) -> int:  # noqa: ANN001
    source = to_python(program, problem.arg_names, problem.arg_types, typecheck(program, problem.arg_types)[1])
    compile(source, "<rendered>", "exec")
    checked = 0
    for test in problem.tests:
        value, err = run_program(program, list(zip(problem.arg_types, test.args, strict=True)))
        if err in PYTHON_ONLY:
            continue
        got, ok = _run_python(source, test.args)
        assert ok == (err == d.ERR_NONE), (source, test.args, err)
        if ok:
            assert type(got) is type(value[1]) and got == value[1], (source, test.args, got, value)
        checked += 1
    return checked


def test_ground_truths_render(problems: list) -> None:
    for problem in problems:
        assert _check(list(problem.program), problem) == len(problem.tests)
        assert to_expression(problem.program, problem.arg_names, problem.arg_types).count("(") >= 1


def test_random_programs_render(problems: list) -> None:
    rng = np.random.default_rng(7)
    checked = 0
    for problem in problems[:20]:
        for program in random_programs(rng, problem.arg_types, 40, 16, p_corrupt=0.0):
            tokens = [t for t in program.tolist() if t]
            if typecheck(tokens, problem.arg_types)[0] == d.ERR_NONE:
                checked += _check(tokens, problem)
    assert checked > 2000


def test_examples() -> None:
    tokens, _ = d.text_to_tokens("arg0 arg1 gt filter sort 2 take sum")
    source = to_python(tokens, ("xs", "k"), (d.T_LIST, d.T_INT), d.T_INT)
    assert source == "def solve(xs: list[int], k: int) -> int:\n    return sum(sorted([x for x in xs if x > k])[:2])"
    assert to_expression(tokens, ("xs", "k"), (d.T_LIST, d.T_INT)) == "sum(take(sort(filter(xs, gt(k))), 2))"
    fold, _ = d.text_to_tokens("arg0 arg0 len max fold")
    assert "for x in xs:" in to_python(fold, ("xs",), (d.T_LIST,), d.T_INT)
