"""The numba-batched vector version of ConflictMazeRoute-v0 (``gymnasium.make_vec(..., "vector_entry_point")``)."""

from __future__ import annotations

from vecreward_envs.envs.conflict_maze_route import ConflictMazeRouteEnv
from vecreward_envs.envs.one_step_vector import OneStepVectorEnv


class ConflictMazeRouteVectorEnv(OneStepVectorEnv):
    """N ConflictMazeRoute-v0 episodes: routes (int [N, route_len] move codes) or completions, scored at once.

    Takes the single env's arguments (``view``, ``config`` or its overrides, ``instance_pool``,
    ``pool_first_seed``, ``na_value``, ...) plus ``num_envs``; rewards float32 [N, K], ``info["applicable"]``
    and ``info["pass"]`` bool [N, K]. Placing tasks, autoreset and the rest: ``one_step_vector.py``.
    """

    single_env_class = ConflictMazeRouteEnv
