"""Policies that learn (small networks, SB3 adapters, HF causal LMs) and the ``vecreward`` command line.

``agents`` may import ``llm_bridge`` and ``vecreward_envs``; nothing imports ``agents``.
"""
