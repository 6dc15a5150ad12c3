"""Wrappers that turn a vector-reward env into what single-objective learners (stable-baselines3) expect.

Every scalarizing wrapper returns a Python float reward and keeps the raw float32 ``[K]`` step vector in
``info["vector_reward"]`` (MO-Gymnasium's ``LinearReward`` convention). NaN entries (objective not applicable)
are left out of every scalarization. Pure numpy + gymnasium. Formulas and measured SB3 results: ``docs/sb3.md``.

- ``LinearReward``: ``w . r`` with fixed weights, per step (linear, so it equals the episode-level scalar).
- ``TchebycheffReward``: ``-max_k w_k (z*_k - R_k) + rho sum_k w_k R_k`` with a fixed utopia point ``z*`` (default
  the reward upper bound), on the episode's vector at its end (default) or per step.
- ``DirichletWeightedReward``: ``w ~ Dirichlet(alpha 1_K)`` drawn at each reset from the env's seeded generator,
  appended to the observation (weight-conditioned policy), linear or Tchebycheff scalarization.
- ``MazeDistanceShaping`` (opt-in, ConflictMaze): potential-based shaping toward E, ``gamma Phi(s') - Phi(s)``.
- ``MazeOneHotObservation`` (ConflictMaze): the integer observation as one-hot planes for MLP policies.

Typical stack for SB3: ``MazeOneHotObservation(MazeDistanceShaping(LinearReward(gym.make(...), w), gamma))``.
"""

from vecreward_envs.wrappers.dirichlet import DirichletWeightedReward
from vecreward_envs.wrappers.linear import LinearReward
from vecreward_envs.wrappers.onehot import MazeOneHotObservation
from vecreward_envs.wrappers.shaping import MazeDistanceShaping, PotentialShaping, distance_map
from vecreward_envs.wrappers.tchebycheff import TchebycheffReward

__all__ = [
    "DirichletWeightedReward", "LinearReward", "MazeDistanceShaping", "MazeOneHotObservation", "PotentialShaping",
    "TchebycheffReward", "distance_map",
]
