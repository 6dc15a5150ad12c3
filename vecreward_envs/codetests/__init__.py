"""Code-test suites: DSL program-synthesis problems judged test by test (family ``codetests``).

Problems come from a seeded generator (``generate(seed)``); answers are DSL token arrays judged by a numba
interpreter (structured view) or completions (text view): Python functions run in a sandbox, or DSL programs.
Nothing here compiles or starts processes at import time.
"""

from vecreward_envs.codetests.config import GROUPS, CodeTestsConfig
from vecreward_envs.codetests.family import CodeTestsFamily
from vecreward_envs.codetests.generator import CodeGenerationError, generate, iter_problems, split
from vecreward_envs.codetests.judge import TestVerdict, Verdict
from vecreward_envs.codetests.problem import CodeProblem, TestCase

__all__ = [
    "GROUPS", "CodeGenerationError", "CodeProblem", "CodeTestsConfig", "CodeTestsFamily", "TestCase", "TestVerdict",
    "Verdict", "generate", "iter_problems", "split",
]
