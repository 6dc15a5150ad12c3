"""Multi-agent training on ``vecreward_envs.multiagent`` through the bridge (independent or shared policies)."""
