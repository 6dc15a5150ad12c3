"""The plain-Python twin of ``kernels.py``: the reference type rules and interpreter, under the twin's name.

``judge_kernel`` must agree exactly with ``typing_rules.typecheck`` followed by ``interpreter.run_checked``
(together: ``interpreter.run_program``); ``tests/vecreward_envs/codetests/test_kernels.py`` checks that on
thousands of programs, and ``benchmarks/code_execution.py`` times the kernel against this twin. Production code
imports the role modules, not this one.
"""

from __future__ import annotations

from vecreward_envs.codetests.interpreter import Value, run_checked, run_program, value_equal
from vecreward_envs.codetests.typing_rules import typecheck

__all__ = ["Value", "run_checked", "run_program", "typecheck", "value_equal"]
