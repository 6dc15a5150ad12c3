"""The numba-batched vector version of CodeTests-v0 (``gymnasium.make_vec(..., "vector_entry_point")``)."""

from __future__ import annotations

from vecreward_envs.envs.code_tests import CodeTestsEnv
from vecreward_envs.envs.one_step_vector import OneStepVectorEnv


class CodeTestsVectorEnv(OneStepVectorEnv):
    """N CodeTests-v0 episodes: DSL programs (int [N, program_len]) or completions, scored in one batched call.

    Token programs run in the numba interpreter; Python completions run in the sandbox, one process per answer.

    Takes the single env's arguments (``view``, ``config`` or its overrides, ``instance_pool``,
    ``pool_first_seed``, ``na_value``, ...) plus ``num_envs``; rewards float32 [N, K], ``info["applicable"]``
    and ``info["pass"]`` bool [N, K]. Placing tasks, autoreset and the rest: ``one_step_vector.py``.
    """

    single_env_class = CodeTestsEnv
