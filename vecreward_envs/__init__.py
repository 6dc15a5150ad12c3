"""Gymnasium environments that emit vector rewards.

Importing this package registers every env id (string entry points only: nothing is compiled or generated at
import time). Each env's ``step`` returns ``float32[K]``; ``env.unwrapped.reward_space`` is ``Box(shape=(K,))``
and ``env.unwrapped.reward_names`` names the entries (MO-Gymnasium's convention).
"""

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"

_ENVS: tuple[dict, ...] = (
    {
        "id": "vecreward/ConflictMaze-v0",
        "entry_point": "vecreward_envs.envs.conflict_maze:ConflictMazeEnv",
        "vector_entry_point": "vecreward_envs.envs.conflict_maze_vector:ConflictMazeVectorEnv",
    },
    {
        "id": "vecreward/ConflictMazeRoute-v0",
        "entry_point": "vecreward_envs.envs.conflict_maze_route:ConflictMazeRouteEnv",
        "vector_entry_point": "vecreward_envs.envs.conflict_maze_route_vector:ConflictMazeRouteVectorEnv",
    },
    {
        "id": "vecreward/CodeTests-v0",
        "entry_point": "vecreward_envs.envs.code_tests:CodeTestsEnv",
        "vector_entry_point": "vecreward_envs.envs.code_tests_vector:CodeTestsVectorEnv",
    },
    {
        "id": "vecreward/ToolCall-v0",
        "entry_point": "vecreward_envs.envs.tool_call:ToolCallEnv",
        "vector_entry_point": "vecreward_envs.envs.tool_call_vector:ToolCallVectorEnv",
    },
    {
        "id": "vecreward/RewardStructure-v0",
        "entry_point": "vecreward_envs.envs.reward_structure:RewardStructureEnv",
        "vector_entry_point": "vecreward_envs.envs.reward_structure_vector:RewardStructureVectorEnv",
    },
)

REGISTERED_IDS: tuple[str, ...] = tuple(spec["id"] for spec in _ENVS)
"""Every env id this package registers (tests run the checker on each)."""

for _spec in _ENVS:
    if _spec["id"] not in registry:
        # Gymnasium's passive checker warns on every (intended) vector reward: our checker covers the contract.
        register(**_spec, disable_env_checker=True)
