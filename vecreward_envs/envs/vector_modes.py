"""Which of ``gymnasium.make_vec``'s modes hold a vector reward, and a clear refusal where one cannot.

- ``"vector_entry_point"`` (the default for every id): our batched numba envs, rewards float32 [N, K].
- ``"async"``: works. ``AsyncVectorEnv`` stacks the N reward vectors into [N, K]; ``info`` has fixed shapes; and
  the default ``fork`` context is safe because our kernels run on a fork-safe threading layer
  (``vecreward_envs/threading_layer.py``).
- ``"sync"``: Gymnasium's ``SyncVectorEnv`` stores one float per env, so a vector reward cannot go through it
  (numpy's "setting an array element with a sequence" at the first step). Our envs see this at the first
  ``reset`` and raise one line naming what works instead. A ``SyncVectorEnv`` whose env fns scalarize the reward
  (e.g. ``wrappers=[lambda e: LinearReward(e, weight=w)]``) is left alone: only Gymnasium's own pass-through
  wrappers between it and the env count as "nothing scalarizes". Subclasses (MO-Gymnasium's ``MOSyncVectorEnv``,
  which holds [N, K] rewards) are left alone too.
"""

from __future__ import annotations

import sys

import gymnasium as gym
from gymnasium.vector import SyncVectorEnv
from gymnasium.wrappers import OrderEnforcing, PassiveEnvChecker, TimeLimit

from vecreward_envs.envs.action_checks import env_name

# The wrappers gym.make adds itself: they pass the reward through unchanged.
_PASS_THROUGH = (OrderEnforcing, PassiveEnvChecker, TimeLimit)
_SYNC_CODES = (SyncVectorEnv.reset.__code__, SyncVectorEnv.step.__code__)
_FRAMES_TO_SEARCH = 16  # SyncVectorEnv.reset -> a few wrappers' reset -> ours


def _reaches(outer: gym.Env, env: gym.Env) -> bool:
    """``outer`` is ``env`` behind pass-through wrappers only."""
    while isinstance(outer, gym.Wrapper) and type(outer) in _PASS_THROUGH:
        outer = outer.env
    return outer is env


def refuse_gymnasium_sync(env: gym.Env) -> None:
    """Raise a one-line ValueError when a ``SyncVectorEnv`` would receive ``env``'s vector reward unscalarized.

    Called at the top of each env's ``reset``; it looks a few frames up the call stack for
    ``SyncVectorEnv.reset``/``step`` (by code object, not by name) and costs a few microseconds.
    """
    frame = sys._getframe(1)
    for _ in range(_FRAMES_TO_SEARCH):
        frame = frame.f_back
        if frame is None:
            return
        if frame.f_code in _SYNC_CODES:
            vector_env = frame.f_locals.get("self")
            # Exactly SyncVectorEnv: a subclass (MO-Gymnasium's MOSyncVectorEnv) may well hold reward vectors.
            if type(vector_env) is SyncVectorEnv and any(_reaches(e, env) for e in vector_env.envs):
                raise ValueError(
                    f"{env_name(env)} returns a reward vector, which gymnasium's SyncVectorEnv cannot hold (one float "
                    "per env): use gym.make_vec(..., vectorization_mode='vector_entry_point') (the default) or "
                    "'async', MO-Gymnasium's MOSyncVectorEnv, or scalarize with wrappers=[...LinearReward...]")
            return
