"""Multi-agent maze throughput, every baseline measured in the same run (compare the printed ratios).

Agent-steps/s (one agent slot of one game advanced by one step; agents already done count too, on every side):

1. the numba-batched env (``conflict_maze_v0.batched_env``, N games x A agents, random actions; with and without
   building observations, on all numba threads and on one),
2. a plain Python loop over N single games through the PettingZoo Parallel API (``parallel_env``, dict actions,
   resets included): the issue's baseline,
3. the same loop over the plain-Python twin (``kernels_py.GamePy``, no numba at all),
4. joint route scoring (training's hot path): games/s of ``score_joint_routes`` vs ``play_routes_py``.

    python benchmarks/multiagent_throughput.py            # full run (about a minute)
    python benchmarks/multiagent_throughput.py --quick    # smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numba
import numpy as np

from vecreward_envs.maze import MazeFamily
from vecreward_envs.multiagent import conflict_maze_v0
from vecreward_envs.multiagent.kernels_py import GamePy, play_routes_py
from vecreward_envs.multiagent.scoring import score_joint_routes


def rate(fn: Callable[[], int], min_seconds: float) -> float:
    """Units per second of ``fn`` (which returns how many units it did), repeated for at least min_seconds."""
    fn()  # warm-up: JIT compilation, caches
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        done += fn()
    return done / (time.perf_counter() - start)


def batched_loop(n_games: int, n_agents: int, steps: int, observe: bool) -> Callable[[], int]:
    env = conflict_maze_v0.batched_env(n_games, n_agents=n_agents, copy=False)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 4, size=(64, n_games, n_agents))  # cycled

    def run() -> int:
        for i in range(steps):
            env.step(actions[i % 64], observe=observe)
        return steps * n_games * n_agents

    return run


def parallel_loop(n_games: int, n_agents: int, steps: int) -> Callable[[], int]:
    envs = [conflict_maze_v0.parallel_env(n_agents=n_agents) for _ in range(n_games)]
    for i, e in enumerate(envs):
        e.reset(seed=i)
    rng = np.random.default_rng(0)
    moves = rng.integers(0, 4, size=(64, n_agents)).tolist()

    def run() -> int:
        for i in range(steps):
            row = moves[i % 64]
            for e in envs:
                if not e.agents:
                    e.reset()
                e.step({agent: row[int(agent[-1])] for agent in e.agents})
        return steps * n_games * n_agents

    return run


def twin_loop(n_games: int, n_agents: int, steps: int) -> Callable[[], int]:
    family = MazeFamily()
    pool = family.instances(0, 64)
    games = [GamePy(pool[i % 64], n_agents) for i in range(n_games)]
    moves = np.random.default_rng(0).integers(0, 4, size=(64, n_agents)).tolist()
    count = [n_games]

    def run() -> int:
        for i in range(steps):
            for n, game in enumerate(games):
                _, _, over = game.step(moves[i % 64])
                if over:
                    games[n] = GamePy(pool[count[0] % 64], n_agents)
                    count[0] += 1
        return steps * n_games * n_agents

    return run


def route_sets(n_instances: int, per: int, n_agents: int) -> tuple[list, np.ndarray, np.ndarray]:
    """Joint games whose routes are Pareto-front witnesses (corner routes), each agent's chosen at random."""
    family = MazeFamily()
    instances = family.instances(10_000, n_instances)
    rng = np.random.default_rng(0)
    length = max(inst.budget for inst in instances)
    routes = np.full((n_instances * per, n_agents, length), 4, dtype=np.int8)
    for i, inst in enumerate(instances):
        front = family.pareto_front(inst).routes
        for j in range(per):
            for a in range(n_agents):
                base = front[int(rng.integers(len(front)))]
                routes[i * per + j, a, : base.size] = base[:length]
    return instances, routes, np.repeat(np.arange(n_instances), per)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny sizes, numbers meaningless")
    parser.add_argument("--agents", type=int, default=2)
    args = parser.parse_args()
    quick = args.quick
    secs = 0.2 if quick else 3.0
    n_agents = args.agents
    n_batched = 64 if quick else 4096
    n_loop = 8 if quick else 64
    threads = numba.get_num_threads()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"multi-agent maze throughput ({n_agents} agents, {threads} numba threads, {os.cpu_count()} cores, "
          f"load {load}; {'quick' if quick else 'full'})\n")
    rows: list[tuple[str, float]] = []
    for n_threads in (threads, 1):
        numba.set_num_threads(n_threads)
        for observe in (True, False):
            label = f"batched env, {n_batched} games, {n_threads} thread(s), {'obs' if observe else 'no obs'}"
            rows.append((label, rate(batched_loop(n_batched, n_agents, 8, observe), secs)))
    numba.set_num_threads(threads)
    rows.append((f"Python loop over {n_loop} parallel_env games", rate(parallel_loop(n_loop, n_agents, 4), secs)))
    rows.append((f"Python loop over {n_loop} plain-Python twin games", rate(twin_loop(n_loop, n_agents, 4), secs)))
    print(f"{'agent-steps':<60}{'per second':>12}")
    for name, value in rows:
        print(f"{name:<60}{value:>12.3g}")

    instances, routes, idx = route_sets(4 if quick else 64, 16 if quick else 64, n_agents)
    kernel = rate(lambda: score_joint_routes(instances, routes, idx).rewards.shape[0], secs)
    sub = min(len(idx), 64 if quick else 1000)
    twin = rate(lambda: sum(play_routes_py(instances[idx[n]], routes[n]).shape[0] > 0 for n in range(sub)), secs)
    print(f"\n{'joint route games (training scorer)':<60}{'per second':>12}")
    print(f"{'score_joint_routes (numba, threads over games)':<60}{kernel:>12.3g}")
    print(f"{'play_routes_py (plain-Python twin)':<60}{twin:>12.3g}")

    loop, twin_games = rows[4][1], rows[5][1]
    print("\nratios (the 1-thread rows are the stable ones on a busy machine)")
    for name, value in rows[:4]:
        print(f"{name.replace(f'batched env, {n_batched} games, ', 'batched (') + ') / parallel_env loop':<60}"
              f"{value / loop:>11.1f}x")
    print(f"{'parallel_env loop / plain-Python twin loop':<60}{loop / twin_games:>11.2f}x")
    print(f"{'route kernel / plain-Python twin':<60}{kernel / twin:>11.1f}x")


if __name__ == "__main__":
    main()
