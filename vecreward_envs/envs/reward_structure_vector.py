"""The numba-batched vector version of RewardStructure-v0 (``gymnasium.make_vec(..., "vector_entry_point")``)."""

from __future__ import annotations

from vecreward_envs.envs.one_step_vector import OneStepVectorEnv
from vecreward_envs.envs.reward_structure import RewardStructureEnv


class RewardStructureVectorEnv(OneStepVectorEnv):
    """N RewardStructure-v0 episodes: answers (int [N, L + 1] tokens) or completions, scored in one batched call.

    Takes the single env's arguments (``view``, ``config`` or its overrides, ``instance_pool``,
    ``pool_first_seed``, ``na_value``, ...) plus ``num_envs``; rewards float32 [N, J], ``info["applicable"]``
    and ``info["pass"]`` bool [N, J]. A noisy judge draws per env row: G envs of a group holding the same answer
    get different noise (the single env scores its answer as row 0). Placing tasks, autoreset: ``one_step_vector.py``.
    """

    single_env_class = RewardStructureEnv
