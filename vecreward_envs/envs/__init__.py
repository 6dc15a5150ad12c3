"""Gymnasium environments, one per file. Registration lives in ``vecreward_envs/__init__.py`` only."""
