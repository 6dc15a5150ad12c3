"""Code execution throughput, every baseline measured in the same run (compare the printed ratios).

(a) DSL program x test judgements per second: the numba interpreter (``judge_programs``, parallel over
    programs) vs its plain-Python twin doing the same work (one static check per program, then every test and the
    comparison), on programs like a learning policy's (per benchmark problem: the ground truth, near misses with
    1-3 random token edits, random type-directed programs) and the same tests.
(b) Python test executions per second: the sandbox pool (pre-started workers forked from a zygote, one fresh
    isolated process per program running all its tests) vs a naive harness that starts one isolated process per
    test (the same worker code, isolation and limits; sequential, no pre-start), on the same programs (the
    reference Python solutions of benchmark problems, one in four with a bug).

Targets (issue 6): (a) >= 100x the twin; (b) >= 10x the naive harness.

    python benchmarks/code_execution.py            # full run (about a minute)
    python benchmarks/code_execution.py --quick    # smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numba
import numpy as np

from vecreward_envs.codetests import CodeTestsFamily
from vecreward_envs.codetests.dsl import N_TOKENS
from vecreward_envs.codetests.kernels_py import run_checked, typecheck
from vecreward_envs.codetests.problem import ProblemBatch
from vecreward_envs.codetests.render import to_python
from vecreward_envs.codetests.sampling import random_programs
from vecreward_envs.codetests.sandbox import Job, SandboxLimits, SandboxPool


def rate(fn: Callable[[], int], min_seconds: float, warmup: bool = True) -> float:
    """Units per second of ``fn`` (which returns how many units it did), repeated for at least min_seconds."""
    if warmup:
        fn()  # JIT compilation, caches, pre-started workers
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        done += fn()
    return done / (time.perf_counter() - start)


def mutated(tokens: list[int], rng: np.random.Generator, length: int) -> np.ndarray:
    """The program with 1-3 random token edits (replace, insert, delete): a near miss, as a learning policy writes."""
    out = list(tokens)
    for _ in range(int(rng.integers(1, 4))):
        where = int(rng.integers(len(out) + 1))
        edit = int(rng.integers(3))
        token = int(rng.integers(1, N_TOKENS))
        if edit == 0 and where < len(out):
            out[where] = token
        elif edit == 1 and len(out) < length:
            out.insert(where, token)
        elif where < len(out) and len(out) > 1:
            del out[where]
    row = np.zeros(length, dtype=np.int8)
    row[: len(out)] = out[:length]
    return row


def dsl_workload(family: CodeTestsFamily, problems: list, per_problem: int, length: int = 16
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    """Programs [N, L] that look like a learning policy's, their problem index, and the program x test count.

    Per problem: the ground truth, then half near misses (the ground truth with 1-3 random token edits) and half
    random type-directed programs.
    """
    rng = np.random.default_rng(0)
    blocks, idx = [], []
    for i, problem in enumerate(problems):
        block = random_programs(rng, problem.arg_types, per_problem, length)  # [per, L]
        block[0, :] = 0
        block[0, : len(problem.program)] = problem.program
        for j in range(1, per_problem // 2):
            block[j] = mutated(list(problem.program), rng, length)
        blocks.append(block)
        idx.append(np.full(per_problem, i))
    programs, index = np.concatenate(blocks), np.concatenate(idx)
    pairs = int(sum(len(problems[i].tests) for i in index))
    return programs, index, pairs


def python_jobs(family: CodeTestsFamily, problems: list) -> list[Job]:
    """Reference solutions (every fourth with an off-by-one bug) as sandbox jobs."""
    jobs = []
    for i, problem in enumerate(problems):
        code = to_python(problem.program, problem.arg_names, problem.arg_types, problem.return_type)
        if i % 4 == 3:  # a wrong answer on about a third of the tests
            code += "\n_right = solve\ndef solve(*args):\n    return _right(*args) if len(repr(args)) % 3 else None\n"
        jobs.append(Job(code, tuple(tuple(t.args) for t in problem.tests)))
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs, not speed")
    parser.add_argument("--problems", type=int, default=200, help="benchmark problems used by (a)")
    parser.add_argument("--programs", type=int, default=256, help="programs per problem in (a)")
    parser.add_argument("--python-problems", type=int, default=60, help="programs run by the pool in (b)")
    parser.add_argument("--naive-problems", type=int, default=12, help="programs run by the naive harness in (b)")
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum time per measurement")
    args = parser.parse_args()
    quick = args.quick
    seconds = 0.05 if quick else args.seconds
    family = CodeTestsFamily()
    problems = family.split("benchmark", 8 if quick else max(args.problems, args.python_problems))

    # (a) DSL judgements
    programs, index, pairs = dsl_workload(family, problems[: 8 if quick else args.problems],
                                          8 if quick else args.programs)
    subset = problems[: 8 if quick else args.problems]
    batch = ProblemBatch.stack(subset)  # stacked once, as a training loop stacks its batch of problems
    kernel_rate = rate(lambda: (family.score_programs(batch, programs, index), pairs)[1], seconds)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    kernel_rate_1 = rate(lambda: (family.score_programs(batch, programs, index), pairs)[1], seconds, warmup=False)
    numba.set_num_threads(threads)
    twin_n = min(len(programs), 200 if quick else 3000)
    sample = np.sort(np.random.default_rng(1).choice(len(programs), twin_n, replace=False))  # across all problems
    twin_pairs = int(sum(len(subset[index[n]].tests) for n in sample))

    # Inputs prepared once for both (the kernel's are the stacked batch): typed arguments and expected values.
    typed = [[(list(zip(p.arg_types, t.args, strict=True)), (p.return_type, t.expected)) for t in p.tests]
             for p in subset]
    tokens_list = [programs[n].tolist() for n in sample]

    def twin() -> int:  # the kernel's work in plain Python: one static check per program, then every test
        for tokens, n in zip(tokens_list, sample, strict=True):
            problem = subset[index[n]]
            well_typed = typecheck(tokens, problem.arg_types)[0] == 0
            for args, expected in typed[index[n]]:
                result = run_checked(tokens, args) if well_typed else (None, 1)
                _ = result[0] == expected
        return twin_pairs

    twin_rate = rate(twin, seconds, warmup=False)

    # (b) Python test executions: the pool vs one process per test
    limits = SandboxLimits(test_seconds=1.0, program_seconds=5.0)
    jobs = python_jobs(family, problems[: 4 if quick else args.python_problems])
    n_tests = sum(len(j.inputs) for j in jobs)
    started = time.perf_counter()
    with SandboxPool(size=args.pool_size, limits=limits) as pool:
        setup = time.perf_counter() - started
        pool.run(jobs[:2])  # warm-up
        start = time.perf_counter()
        results = pool.run(jobs)
        pool_rate = n_tests / (time.perf_counter() - start)
        isolation = pool.isolation
    passed = sum(t.status == "ok" for r in results for t in r.tests)
    naive_jobs = jobs[: 2 if quick else args.naive_problems]
    naive_tests = [Job(j.code, (inputs,)) for j in naive_jobs for inputs in j.inputs]
    with SandboxPool(size=1, limits=limits, backend="process", prestart=False) as naive:
        start = time.perf_counter()
        naive_results = [naive.run([job])[0] for job in naive_tests]
        naive_rate = len(naive_tests) / (time.perf_counter() - start)
    assert all(r.ended == "done" for r in naive_results + results), "a benchmark run did not finish"

    mode = "QUICK: not a measurement" if quick else "full"
    load = os.getloadavg()
    print(f"code execution ({numba.get_num_threads()} numba threads, {os.cpu_count()} cores, load "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {mode})")
    print(f"\n(a) DSL: {len(programs)} programs on {len(subset)} problems, {pairs} program x test pairs "
          f"(the twin: a random {twin_n} of the programs)")
    print(f"{'judge':52s} {'pairs/s':>12s}")
    print(f"{'numba interpreter (judge_programs, parallel)':52s} {kernel_rate:12.3g}")
    print(f"{'numba interpreter (judge_programs, 1 thread)':52s} {kernel_rate_1:12.3g}")
    print(f"{'plain-Python twin (kernels_py: typecheck, run_checked)':52s} {twin_rate:12.3g}")
    print(f"\n(b) Python: {len(jobs)} programs, {n_tests} tests ({passed} returned a value); sandbox isolation "
          f"{isolation!r}, pool set-up {setup:.2f} s")
    print(f"{'harness':52s} {'tests/s':>12s}")
    print(f"{'sandbox pool (size ' + str(args.pool_size) + ', zygote, pre-started)':52s} {pool_rate:12.3g}")
    print(f"{'naive: one isolated process per test (' + str(len(naive_tests)) + ' tests)':52s} {naive_rate:12.3g}")
    print("\nratios vs targets")
    print(f"{'(DSL interpreter on 1 thread / twin)':44s} {kernel_rate_1 / twin_rate:10.1f}x")
    for label, value, target in [("DSL interpreter / plain-Python twin", kernel_rate / twin_rate, 100.0),
                                 ("sandbox pool / naive per-test harness", pool_rate / naive_rate, 10.0)]:
        print(f"{label:44s} {value:10.1f}x  (target >= {target:g}x: {'met' if value >= target else 'NOT met'})")


if __name__ == "__main__":
    main()
