"""The common bridge: aggregators, reward/advantage transforms, group rollouts, the trainer loop, metrics.

Imports only point up: ``llm_bridge`` may import ``vecreward_envs``, never ``agents``.
"""
