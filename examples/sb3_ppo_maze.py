"""Train stable-baselines3 PPO on vecreward/ConflictMaze-v0 through a scalarizing wrapper, then evaluate.

The maze emits a reward vector (completion, gold, diamond, avoid_lava) on the last step only; SB3 needs a scalar,
so the env goes through one of ``vecreward_envs.wrappers``:

    linear       LinearReward(weights)                 s = w . r
    tchebycheff  TchebycheffReward(weights)            s = -max_k w_k (z*_k - R_k) + rho sum_k w_k R_k at the end
    dirichlet    DirichletWeightedReward(alpha)        w ~ Dir(alpha 1_K) per episode, appended to the observation

then (by default) MazeDistanceShaping (potential-based shaping toward E, Ng et al. 1999: optimal policies are
unchanged) and MazeOneHotObservation (one-hot planes for the MLP). Evaluation reads the raw vector in
``info["vector_reward"]``: "reached E" is its completion entry on the final step, never a shaped reward.

    python examples/sb3_ppo_maze.py                                  # linear, 8 fixed mazes (a few minutes)
    python examples/sb3_ppo_maze.py --instance-pool 1 --timesteps 40000        # one fixed maze (30 s)
    python examples/sb3_ppo_maze.py --wrapper dirichlet --eval-weights 1,1,0,1 1,0,1,1 1,0,0,1
    python examples/sb3_ppo_maze.py --wrapper tchebycheff --weights 1,0.2,0.2,0.2
    python examples/sb3_ppo_maze.py --instance-pool 1024 --eval-mazes heldout   # generalization to new mazes

Measured results: docs/sb3.md.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

import vecreward_envs  # noqa: F401 - registers the env ids
from vecreward_envs.wrappers import (
    DirichletWeightedReward,
    LinearReward,
    MazeDistanceShaping,
    MazeOneHotObservation,
    TchebycheffReward,
)

ENV_ID = "vecreward/ConflictMaze-v0"
HELDOUT_FIRST_SEED = 1_000_000  # held-out evaluation mazes: reset(seed=HELDOUT_FIRST_SEED + i)


def parse_weights(text: str) -> np.ndarray:
    return np.array([float(x) for x in text.split(",")], dtype=np.float64)


def build_env(args: argparse.Namespace) -> gym.Env:
    """The wrapped env: scalarization, then optional shaping and one-hot observation."""
    env = gym.make(ENV_ID, instance_pool=args.instance_pool, pool_first_seed=args.pool_first_seed)
    if args.wrapper == "linear":
        env = LinearReward(env, args.weights)
    elif args.wrapper == "tchebycheff":
        env = TchebycheffReward(env, args.weights, rho=args.rho)
    else:
        env = DirichletWeightedReward(env, alpha=args.alpha, scalarization=args.dirichlet_scalarization, rho=args.rho)
    if not args.no_shaping:
        env = MazeDistanceShaping(env, gamma=args.gamma, scale=args.shaping_scale)
    if not args.raw_obs:
        env = MazeOneHotObservation(env)
    return env


def make_factory(args: argparse.Namespace, rank: int) -> Callable[[], gym.Env]:
    def factory() -> gym.Env:
        env = build_env(args)
        env.reset(seed=args.seed * 1000 + rank)  # seeds the env's generator (pool draws, Dirichlet weights)
        return env

    return factory


def evaluate(model: PPO, args: argparse.Namespace, weights: np.ndarray | None, greedy: bool) -> dict[str, Any]:
    """Play ``args.eval_episodes`` episodes; success and rewards from the raw vector in ``info["vector_reward"]``.

    ``greedy``: the argmax action (SB3's ``deterministic=True``); otherwise actions sampled from the policy.
    Episode i plays maze i mod P of the evaluation set: the P = ``instance_pool`` training mazes (``pool``) or
    ``eval_episodes`` distinct mazes from seed ``HELDOUT_FIRST_SEED`` that no training run draws (``heldout``).
    """
    env = build_env(args)
    family = env.unwrapped.family
    if args.eval_mazes == "heldout":
        mazes = family.instances(HELDOUT_FIRST_SEED, args.eval_episodes)
    else:
        mazes = family.instances(args.pool_first_seed, args.instance_pool)
    model.set_random_seed(args.seed)  # reproducible sampled actions
    reached, vectors, lengths, scalars = [], [], [], []
    for episode in range(args.eval_episodes):
        options: dict[str, Any] = {"instance": mazes[episode % len(mazes)]}
        if weights is not None:
            options["weights"] = weights
        obs, _ = env.reset(seed=args.seed + 7919 * episode, options=options)  # the maze comes from options
        done, length, scalar = False, 0, 0.0
        while not done:
            action, _ = model.predict(obs, deterministic=greedy)
            obs, reward, terminated, truncated, info = env.step(int(action))
            scalar += info.get("unshaped_reward", reward)  # the scalarization's reward, shaping removed
            length += 1
            done = terminated or truncated
        final = info["vector_reward"]  # [K] raw vector of the final step (zeros before it on this env)
        reached.append(bool(final[0] > 0))
        vectors.append(final)
        lengths.append(length)
        scalars.append(scalar)
    return {"reached": float(np.mean(reached)), "vector": np.mean(vectors, axis=0), "length": float(np.mean(lengths)),
            "scalar": float(np.mean(scalars)), "mazes": len(mazes)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wrapper", choices=("linear", "tchebycheff", "dirichlet"), default="linear")
    parser.add_argument("--weights", type=parse_weights, default=parse_weights("1,1,1,1"),
                        help="K comma-separated weights (completion, gold, diamond, avoid_lava) for linear and "
                             "tchebycheff; also the default evaluation weights of dirichlet")
    parser.add_argument("--eval-weights", type=parse_weights, nargs="*", default=None,
                        help="dirichlet only: weight vectors to evaluate the weight-conditioned policy at")
    parser.add_argument("--alpha", type=float, default=1.0, help="Dirichlet concentration")
    parser.add_argument("--dirichlet-scalarization", choices=("linear", "tchebycheff"), default="linear")
    parser.add_argument("--rho", type=float, default=0.01, help="Tchebycheff augmentation")
    parser.add_argument("--timesteps", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--instance-pool", type=int, default=8, help="distinct training mazes (seeds from 0)")
    parser.add_argument("--pool-first-seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=200)
    parser.add_argument("--eval-mazes", choices=("pool", "heldout"), default="pool",
                        help="pool: mazes from the training pool; heldout: mazes of seeds never trained on")
    parser.add_argument("--eval-policy", choices=("greedy", "sampled", "both"), default="both",
                        help="greedy: argmax action; sampled: actions drawn from the policy")
    parser.add_argument("--n-envs", type=int, default=8)
    parser.add_argument("--gamma", type=float, default=0.99, help="PPO's discount, also the shaping's")
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--n-steps", type=int, default=128, help="rollout length per env and PPO update")
    parser.add_argument("--n-epochs", type=int, default=10)
    parser.add_argument("--ent-coef", type=float, default=0.01, help="entropy bonus")
    parser.add_argument("--hidden", type=int, default=64, help="width of the two hidden layers")
    parser.add_argument("--no-shaping", action="store_true", help="train on the sparse reward only")
    parser.add_argument("--shaping-scale", type=float, default=1.0)
    parser.add_argument("--raw-obs", action="store_true", help="the env's integer observation, no one-hot planes")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    start = time.perf_counter()
    venv = DummyVecEnv([make_factory(args, rank) for rank in range(args.n_envs)])
    model = PPO("MlpPolicy", venv, n_steps=args.n_steps, batch_size=256, n_epochs=args.n_epochs,
                learning_rate=args.learning_rate, gamma=args.gamma, gae_lambda=0.95, ent_coef=args.ent_coef,
                policy_kwargs={"net_arch": [args.hidden, args.hidden]}, seed=args.seed, verbose=0, device="cpu")
    model.learn(total_timesteps=args.timesteps)
    train_s = time.perf_counter() - start

    names = gym.make(ENV_ID).unwrapped.reward_names
    if args.wrapper == "dirichlet":
        eval_weights = args.eval_weights or [args.weights]
    else:
        eval_weights = [None]
    print(f"wrapper={args.wrapper} weights={args.weights.tolist()} timesteps={args.timesteps} seed={args.seed} "
          f"instance_pool={args.instance_pool} eval_mazes={args.eval_mazes} shaping={not args.no_shaping} "
          f"train_s={train_s:.1f}")
    header = (f"{'eval weights':<16} {'policy':>7} {'mazes':>6} {'episodes':>8} {'reached_E':>9} {'length':>7} "
              f"{'scalar':>8} " + " ".join(f"{name:>10}" for name in names))
    print(header)
    print("-" * len(header))
    policies = {"greedy": [True], "sampled": [False], "both": [True, False]}[args.eval_policy]
    for weights in eval_weights:
        label = ",".join(f"{x:g}" for x in (args.weights if weights is None else weights))
        for greedy in policies:
            result = evaluate(model, args, weights, greedy)
            print(f"{label:<16} {'greedy' if greedy else 'sampled':>7} {result['mazes']:>6} {args.eval_episodes:>8} "
                  f"{result['reached']:>9.3f} {result['length']:>7.1f} {result['scalar']:>8.3f} "
                  + " ".join(f"{x:>10.3f}" for x in result["vector"]))
    print(f"total_s={time.perf_counter() - start:.1f}")


if __name__ == "__main__":
    main()
