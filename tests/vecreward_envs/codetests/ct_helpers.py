"""Helpers shared by the codetests tests."""

import os

import numpy as np

from vecreward_envs.codetests.config import CodeTestsConfig
from vecreward_envs.codetests.dsl import T_INT, T_LIST
from vecreward_envs.codetests.problem import CodeProblem, TestCase


def sum_problem(config: CodeTestsConfig | None = None) -> CodeProblem:
    """A hand-made problem: solve(xs) = sum(xs), one test in three groups."""
    tests = (TestCase("basic", 0, ([1, 2, 3],), 6), TestCase("empty", 0, ([],), 0),
             TestCase("negative", 0, ([-5, 2],), -3))
    return CodeProblem(config=config or CodeTestsConfig(), seed=-1, arg_names=("xs",), arg_types=(T_LIST,),
                       return_type=T_INT, statement="Return the sum of `xs`.", program=(1, 50), tests=tests)


SUM_SOLUTION = "```python\ndef solve(xs):\n    return sum(xs)\n```"


def processes_of(uid: int) -> list[int]:
    """PIDs of live processes whose real uid is ``uid``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == uid:
                                out.append(int(entry))
                            break
            except OSError:
                pass
    return out


def padded(tokens, length: int = 16) -> np.ndarray:  # noqa: ANN001
    out = np.zeros(length, dtype=np.int8)
    out[: len(tokens)] = tokens
    return out
