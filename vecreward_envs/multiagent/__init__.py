"""PettingZoo multi-agent vector-reward envs (imported only when used: ``import vecreward_envs`` does not load them).

``from vecreward_envs.multiagent import conflict_maze_v0``; ``conflict_maze_v0.parallel_env(n_agents=2)``.
"""
