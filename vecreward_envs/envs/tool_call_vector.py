"""The numba-batched vector version of ToolCall-v0 (``gymnasium.make_vec(..., "vector_entry_point")``)."""

from __future__ import annotations

from vecreward_envs.envs.one_step_vector import OneStepVectorEnv
from vecreward_envs.envs.tool_call import ToolCallEnv


class ToolCallVectorEnv(OneStepVectorEnv):
    """N ToolCall-v0 episodes: answers (int [N, answer_len] tokens) or completions, scored in one batched call.

    Takes the single env's arguments (``view``, ``config`` or its overrides, ``instance_pool``,
    ``pool_first_seed``, ``na_value``, ...) plus ``num_envs``; rewards float32 [N, K], ``info["applicable"]``
    and ``info["pass"]`` bool [N, K]. Placing tasks, autoreset and the rest: ``one_step_vector.py``.
    """

    single_env_class = ToolCallEnv
