"""morl-baselines on ConflictMaze-v0: multi-policy MO Q-learning, its front, and its hypervolume against the exact one.

The algorithm is morl-baselines' ``MPMOQLearning`` (tabular MO Q-learning, one policy per weight vector, weights by
Optimistic Linear Support). It takes the env as it is: the maze observation is a small integer vector, so its tuple
is the table key; ``env.unwrapped.reward_space`` gives K. What it needs from us:

* **One fixed maze.** ``instance_pool=1`` makes every reset (morl-baselines resets without a seed) play the maze of
  ``--maze-seed``; the exact front is that maze's (``discounted_front(instance)``, the same as
  ``env.unwrapped.pareto_front(gamma=1.0)``, MO-Gymnasium's convention).
* **Shaping.** The maze pays its vector only on the step that reaches E, which a random walk almost never does within
  the budget, and the gold and diamond routes each need a detour: without shaping (``--shaping none``) the learned
  front is empty or only the straight route. ``ZoneDistanceShaping`` (below) is potential-based shaping with one
  potential per objective, ``r'_t = r_t + gamma * Phi(s_{t+1}) - Phi(s_t)``, ``Phi_k(s) = scale * (1 - d_k(s) / D)``:
  ``d_k`` is the fewest moves from the agent's cell to E (completion, avoid_lava) or to E through the nearest item
  of type k not yet collected (gold, diamond, ...; straight to E once none is left), ``D`` the largest such distance
  in the maze (so ``Phi`` is in [0, scale]), and ``d = 0`` at E. Every walk that reaches E ends at the same potential
  ``scale``, so the shaping adds the same discounted amount to every route's return up to the ``gamma**T`` factor
  of its length (Ng et al. 1999): the order of routes that reach E, and so the Pareto front, is unchanged, and
  ``Phi >= 0`` makes a wasted step (a move into a wall) cost ``(1 - gamma) * Phi``. The raw vector stays in
  ``info["vector_reward"]``; the front and the hypervolume are measured on an unshaped env.
* ``log=False`` (no Weights & Biases), ``transfer_q_table=False`` (a new policy does not start from the table of the
  best previous one, which made every policy follow the first route found), a fixed epsilon.

Hypervolume: ``morl_baselines.common.performance_indicators.hypervolume`` of the non-dominated returns of the
policies that reach E, reference point ``(0, -0.1, -0.1, -0.1)`` (completion, gold, diamond, avoid_lava): a walk that
does not reach E adds nothing; -0.1 lets a route with no gold or no diamond still count. A linear scalarization can
only find the front's supported points (its convex hull), so the exact hypervolume is an upper bound it may not reach.

    python examples/morl_baselines_maze.py            # 8 policies x 40k steps, about 30 s on 2 cores
    python examples/morl_baselines_maze.py --quick    # a smoke run (3 policies x 8k steps)
    python examples/morl_baselines_maze.py --shaping none   # the same without shaping
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import vecreward_envs  # noqa: F401  (registers the ids)
from vecreward_envs.maze import discounted_front
from vecreward_envs.maze.config import ITEM0, WALL
from vecreward_envs.wrappers.shaping import distance_map

REF_POINT = np.array([0.0, -0.1, -0.1, -0.1])


class ZoneDistanceShaping(gym.Wrapper):
    """Potential-based shaping of ConflictMaze's vector reward, one potential per objective (see the module doc).

    Args:
        env: ``vecreward/ConflictMaze-v0`` (the maze observation: cells, agent cell, steps left, bonus flag).
        gamma: the learner's discount, in (0, 1].
        scale: size of the potentials, > 0.
    """

    def __init__(self, env: gym.Env, gamma: float = 0.99, scale: float = 1.0) -> None:
        super().__init__(env)
        if not 0.0 < gamma <= 1.0 or not scale > 0.0:
            raise ValueError(f"gamma must be in (0, 1] and scale > 0, got {gamma!r}, {scale!r}")
        config = env.unwrapped.config
        self.gamma, self.scale = float(gamma), float(scale)
        self._n_cells, self._n_types = config.n_cells, config.n_item_types
        self._instance: Any = None
        self._phi = np.zeros(config.n_objectives)

    def _prepare(self, instance: Any) -> None:
        """Distance maps of a new maze: to E, and to E through each item cell."""
        cells = np.asarray(instance.cells)
        self._to_end = distance_map(cells, instance.end, WALL).astype(np.float64)  # [C]
        flat = cells.reshape(-1)
        self._items = []  # per type: (item cells [M], distance to E through each of them [M, C])
        for t in range(self._n_types):
            where = np.flatnonzero(flat == ITEM0 + t)
            via = [distance_map(cells, divmod(int(p), cells.shape[1]), WALL) + self._to_end[p] for p in where]
            self._items.append((where, np.array(via, dtype=np.float64).reshape(len(where), -1)))
        largest = max([self._to_end.max()] + [via.max() for _, via in self._items if via.size])
        self._largest = max(float(largest), 1.0)
        self._instance = instance

    def _potential(self, obs: np.ndarray) -> np.ndarray:
        cells, pos = obs[:self._n_cells], int(obs[self._n_cells])
        d = np.full(self._phi.shape, self._to_end[pos])  # [K]
        for t, (where, via) in enumerate(self._items):
            left = cells[where] == ITEM0 + t  # items of type t still in the maze
            if left.any():
                d[1 + t] = via[left, pos].min()
        return self.scale * (1.0 - d / self._largest)

    def reset(self, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset; recompute the distance maps when the maze changed."""
        obs, info = self.env.reset(**kwargs)
        if self.env.unwrapped.instance is not self._instance:
            self._prepare(self.env.unwrapped.instance)
        self._phi = self._potential(obs)
        return obs, info

    def step(self, action: Any) -> tuple[np.ndarray, np.ndarray, bool, bool, dict[str, Any]]:
        """Step; the reward becomes ``r + gamma * Phi(s') - Phi(s)`` (``Phi = scale`` at E)."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        phi_next = np.full_like(self._phi, self.scale) if info.get("reached_end") else self._potential(obs)
        shaping = self.gamma * phi_next - self._phi
        self._phi = phi_next
        info["vector_reward"] = reward
        info["shaping"] = shaping
        return obs, (reward + shaping).astype(np.float32), terminated, truncated, info


def run(policies: int, steps_per_policy: int, shaping: str, seed: int, maze_seed: int, epsilon: float,
        learning_rate: float, gamma: float) -> dict[str, Any]:
    """Train MPMOQLearning on one maze and measure its front."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # morl-baselines' imports warn about optional packages
        from morl_baselines.common.evaluation import policy_evaluation_mo
        from morl_baselines.common.pareto import filter_pareto_dominated
        from morl_baselines.common.performance_indicators import hypervolume
        from morl_baselines.multi_policy.multi_policy_moqlearning.mp_mo_q_learning import MPMOQLearning

    def make() -> gym.Env:
        return gym.make("vecreward/ConflictMaze-v0", instance_pool=1, pool_first_seed=maze_seed)

    eval_env = make()
    eval_env.reset(seed=maze_seed)
    instance = eval_env.unwrapped.instance
    exact = discounted_front(instance, gamma=1.0)  # == eval_env.unwrapped.pareto_front(gamma=1.0)
    train_env = ZoneDistanceShaping(make(), gamma=gamma) if shaping == "zone" else make()
    train_env.action_space.seed(seed)  # the algorithm's random moves (exploration, unseen states) come from here
    agent = MPMOQLearning(train_env, learning_rate=learning_rate, gamma=gamma, initial_epsilon=epsilon,
                          final_epsilon=epsilon, epsilon_decay_steps=None, weight_selection_algo="ols",
                          transfer_q_table=False, log=False, seed=seed)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # OLS prints every corner weight
        agent.train(total_timesteps=policies * steps_per_policy, eval_env=eval_env, ref_point=REF_POINT,
                    known_pareto_front=exact, timesteps_per_iteration=steps_per_policy,
                    num_eval_episodes_for_front=1)
    train_s = time.perf_counter() - started
    # each kept policy's undiscounted return on the unshaped maze (one greedy episode: the maze is deterministic)
    returns = [policy_evaluation_mo(p, eval_env, w=p.weights, rep=1)[2] for p in agent.policies]
    reached = [r for r in returns if r[0] > 0]
    front = sorted((tuple(float(x) for x in v) for v in filter_pareto_dominated(reached)), reverse=True) if reached \
        else []
    learned_hv = float(hypervolume(REF_POINT, [np.array(v) for v in front])) if front else 0.0
    return {
        "maze_seed": int(instance.seed), "seed": seed, "shaping": shaping, "policies": len(agent.policies),
        "steps": int(agent.global_step), "train_s": round(train_s, 1),
        "reward_names": list(instance.config.reward_names),
        "ref_point": REF_POINT.tolist(), "exact_front": [v.tolist() for v in exact],
        "exact_hypervolume": float(hypervolume(REF_POINT, exact)), "front": [list(v) for v in front],
        "hypervolume": learned_hv,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=8, help="policies (OLS weights) to train (default 8)")
    parser.add_argument("--steps-per-policy", type=int, default=40_000, help="env steps per policy (default 40000)")
    parser.add_argument("--shaping", choices=["zone", "none"], default="zone", help="reward shaping (default zone)")
    parser.add_argument("--seed", type=int, default=0, help="the algorithm's seed (default 0)")
    parser.add_argument("--maze-seed", type=int, default=0, help="the maze (default 0, the reference maze)")
    parser.add_argument("--epsilon", type=float, default=0.2, help="exploration rate (default 0.2)")
    parser.add_argument("--learning-rate", type=float, default=0.5, help="Q-learning step size (default 0.5)")
    parser.add_argument("--gamma", type=float, default=0.99, help="the learner's (and the shaping's) discount")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 policies x 8000 steps")
    args = parser.parse_args()
    if args.quick:
        args.policies, args.steps_per_policy = 3, 8000
    started = time.perf_counter()
    result = run(args.policies, args.steps_per_policy, args.shaping, args.seed, args.maze_seed, args.epsilon,
                 args.learning_rate, args.gamma)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    names = ", ".join(result["reward_names"])
    print(f"maze seed {result['maze_seed']}, MPMOQLearning (OLS weights), shaping={result['shaping']}, "
          f"{result['policies']} policies kept, {result['steps']} steps, {result['train_s']} s training")
    print(f"exact front ({names}):")
    for v in result["exact_front"]:
        print("  " + " ".join(f"{x:.3f}" for x in v))
    print("learned front:" + ("" if result["front"] else " empty (no policy reaches E)"))
    for v in result["front"]:
        print("  " + " ".join(f"{x:.3f}" for x in v))
    share = result["hypervolume"] / result["exact_hypervolume"]
    print(f"hypervolume {result['hypervolume']:.4f} of the exact front's {result['exact_hypervolume']:.4f} "
          f"({share:.0%}), reference point {tuple(result['ref_point'])}; wall {result['wall_s']} s")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
