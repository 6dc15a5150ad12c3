"""Maze throughput, every baseline measured in the same run (compare the printed ratios, not raw numbers).

1. env-steps/s of the numba-batched vector env (``gymnasium.make_vec``, N envs, random actions),
2. env-steps/s of the single env through the Gymnasium API (``gym.make``, random actions, resets included),
3. MO-Gymnasium's ``resource-gathering-v0`` single env, same loop: the baseline of 1 and 2,
4. routes/s of the batched scoring kernel vs its plain-Python twin, on the same routes.

Targets (issue 2): batched >= 1000x MO-Gymnasium's single env; single env >= 1x; kernel >= 100x the twin.

    python benchmarks/maze_throughput.py            # full run (about a minute)
    python benchmarks/maze_throughput.py --quick    # smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import gymnasium as gym
import numba
import numpy as np

import vecreward_envs  # noqa: F401  (registers the ids)
from vecreward_envs.maze import MazeFamily
from vecreward_envs.maze.kernels_py import score_route_py


def rate(fn: Callable[[], int], min_seconds: float) -> float:
    """Units per second of ``fn`` (which returns how many units it did), repeated for at least min_seconds."""
    fn()  # warm-up: JIT compilation, caches
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        done += fn()
    return done / (time.perf_counter() - start)


def single_env_loop(env: gym.Env, steps: int) -> Callable[[], int]:
    env.reset(seed=0)
    env.action_space.seed(0)

    def run() -> int:
        for _ in range(steps):
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            if terminated or truncated:
                env.reset()
        return steps

    return run


def vector_env_loop(num_envs: int, steps: int, copy: bool) -> Callable[[], int]:
    venv = gym.make_vec("vecreward/ConflictMaze-v0", num_envs=num_envs, vectorization_mode="vector_entry_point",
                        copy=copy)
    venv.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 4, size=(64, num_envs))  # [64, N], cycled

    def run() -> int:
        for i in range(steps):
            venv.step(actions[i % 64])
        return steps * num_envs

    return run


def scoring_routes(family: MazeFamily, n_instances: int, per_instance: int, rng: np.random.Generator
                   ) -> tuple[list, np.ndarray, np.ndarray]:
    """Routes that look like a learning policy's: Pareto-front routes with 0-20% of moves changed."""
    instances = family.instances(10_000, n_instances)
    length = max(inst.budget for inst in instances)
    routes = np.full((n_instances * per_instance, length), 4, dtype=np.int8)
    idx = np.repeat(np.arange(n_instances), per_instance)
    for i, inst in enumerate(instances):
        front = family.pareto_front(inst).routes
        for j in range(per_instance):
            base = front[j % len(front)]
            route = routes[i * per_instance + j]
            route[: base.size] = base[:length]
            flip = rng.random(inst.budget) < rng.uniform(0, 0.2)
            route[: inst.budget][flip] = rng.integers(0, 4, size=int(flip.sum()))
    return instances, routes, idx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs, not speed")
    parser.add_argument("--num-envs", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum time per measurement")
    args = parser.parse_args()
    seconds = 0.05 if args.quick else args.seconds
    num_envs = [64] if args.quick else args.num_envs

    import mo_gymnasium as mo

    results: dict[str, float] = {}
    results["mo_gymnasium resource-gathering-v0 (single)"] = rate(
        single_env_loop(mo.make("resource-gathering-v0"), 1000), seconds)
    results["vecreward ConflictMaze-v0 (single, gym.make)"] = rate(
        single_env_loop(gym.make("vecreward/ConflictMaze-v0"), 1000), seconds)
    threads = numba.get_num_threads()
    for n in num_envs:
        for copy in (True, False):
            results[f"vecreward ConflictMaze-v0 (make_vec N={n}, copy={copy})"] = rate(
                vector_env_loop(n, 20, copy), seconds)
    # One thread too: a thread that shares its core with another process stalls the whole parallel step, so on a
    # busy machine this row is the stable one.
    numba.set_num_threads(1)
    results[f"vecreward ConflictMaze-v0 (make_vec N={num_envs[0]}, copy=False, 1 thread)"] = rate(
        vector_env_loop(num_envs[0], 20, False), seconds)
    numba.set_num_threads(threads)

    family = MazeFamily()
    rng = np.random.default_rng(0)
    instances, routes, idx = scoring_routes(family, 8 if args.quick else 64, 16 if args.quick else 1024, rng)
    reached = family.score_routes(instances, routes, inst_idx=idx).reached_end.mean()
    kernel_rate = rate(lambda: (family.score_routes(instances, routes, inst_idx=idx), len(routes))[1], seconds)
    twin_n = min(len(routes), 2000)
    twin_rate = rate(lambda: sum(1 for n in range(twin_n) if score_route_py(instances[idx[n]], routes[n]) is not None),
                     seconds)

    baseline = results["mo_gymnasium resource-gathering-v0 (single)"]
    mode = "QUICK: not a measurement" if args.quick else "full"
    print(f"maze throughput ({numba.get_num_threads()} numba threads unless marked; {mode}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    print(f"{'env':58s} {'steps/s':>12s} {'x MO-Gym':>10s}")
    for name, value in results.items():
        print(f"{name:58s} {value:12.3g} {value / baseline:10.2f}")
    print(f"\n{'scoring (' + str(len(routes)) + ' routes, ' + f'{reached:.0%} reach E)':58s} {'routes/s':>12s}")
    print(f"{'numba kernel (MazeFamily.score_routes)':58s} {kernel_rate:12.3g}")
    print(f"{'plain-Python twin (score_route_py)':58s} {twin_rate:12.3g}")
    best_vec = max(v for k, v in results.items() if "make_vec" in k)
    single = results["vecreward ConflictMaze-v0 (single, gym.make)"]
    print("\nratios vs targets")
    for label, value, target in [
        ("batched vector env / MO-Gym single env", best_vec / baseline, 1000.0),
        ("single env / MO-Gym single env", single / baseline, 1.0),
        ("scoring kernel / plain-Python twin", kernel_rate / twin_rate, 100.0),
    ]:
        print(f"{label:44s} {value:10.1f}x  (target >= {target:g}x: {'met' if value >= target else 'NOT met'})")


if __name__ == "__main__":
    main()
