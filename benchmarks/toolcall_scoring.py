"""Tool-call scoring throughput: text completions/s (parse + canonicalize + kernel) and structured answers/s.

1. text view: ``ToolCallFamily.score_completion_batch`` on a mix of completions (exact, partial, extra calls,
   wrong values, malformed JSON, missing tags), in one process and in a pool of 2 processes (2 cores);
2. structured view: ``score_answers`` (numba decode + score kernels, serial) on random token answers;
3. the plain-Python twin on the same structured answers, for the ratio.

Targets (issue 5): >= 20,000 text completions/s and >= 1,000,000 structured answers/s on 2 cores.

    python benchmarks/toolcall_scoring.py            # full run (about a minute)
    python benchmarks/toolcall_scoring.py --quick    # smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time

import numpy as np

from vecreward_envs.toolcall.config import MAX_PARAMS, MAX_SCORED_CALLS
from vecreward_envs.toolcall.family import ToolCallFamily
from vecreward_envs.toolcall.kernels_py import decode_py, score_one_py
from vecreward_envs.toolcall.scoring import TaskBatch, task_arrays

CONFIG = {"min_constraints": 2, "max_constraints": 5}


def _completions(family: ToolCallFamily, n_tasks: int, seed: int) -> tuple[list, list[str]]:
    """A realistic mix: each task gets 8 completions (exact, partial, reordered+extra, wrong values, broken)."""
    tasks = family.instances(0, n_tasks)
    rng = np.random.default_rng(seed)
    owners, texts = [], []
    for task in tasks:
        gt = task.gt_json
        resp = "" if task.response is None else f"\n<response>{task.response}</response>"
        think = "<think>The user wants " + task.request[:120] + "</think>"

        def block(calls: list) -> str:
            return "\n<tool_call>\n" + "\n".join(json.dumps(c) for c in calls) + "\n</tool_call>" if calls else ""

        wrong = [dict(c, parameters={k: "x" for k in c["parameters"]}) for c in gt]
        variants = [
            task.ground_truth_text(), think + block(gt[:1]) + resp, think + block(gt[::-1] + gt[:1]) + resp,
            think + block(wrong) + resp, think + "\n<tool_call>\n{\"name\": \"" + "a" * 40 + "\n</tool_call>",
            block(gt), think + block(gt) + resp + resp, think + "\n<response>I cannot help.</response>",
        ]
        for text in variants:
            owners.append(task)
            texts.append(text)
    order = rng.permutation(len(texts))
    return [owners[i] for i in order], [texts[i] for i in order]


def text_rate(n_tasks: int, min_seconds: float, chunk: int = 2048) -> float:
    """Completions/s of one process (tasks generated beforehand; scoring only)."""
    family = ToolCallFamily(**CONFIG)
    owners, texts = _completions(family, n_tasks, 0)
    family.score_completion_batch(owners[:chunk], texts[:chunk])  # warm-up (JIT, caches)
    done, start, i = 0, time.perf_counter(), 0
    while time.perf_counter() - start < min_seconds:
        j = i % len(texts)
        family.score_completion_batch(owners[j:j + chunk], texts[j:j + chunk])
        done += len(texts[j:j + chunk])
        i += chunk
    return done / (time.perf_counter() - start)


def _worker(args: tuple[int, float]) -> float:
    return text_rate(*args)


def structured_rates(n: int, min_seconds: float) -> tuple[float, float]:
    """Structured answers/s of the kernels and of the Python twin."""
    family = ToolCallFamily(**CONFIG)
    tasks = family.instances(0, 256)
    rng = np.random.default_rng(0)
    idx = rng.integers(len(tasks), size=n)
    tokens = rng.integers(0, len(family.answer_vocab), size=(n, family.config.answer_len + 1))
    tokens[::2] = family.demonstrations([tasks[i] for i in idx[::2]])  # half exact answers, half random tokens
    batch = TaskBatch.stack(tasks)
    family.score_answers(batch, tokens[:100], idx[:100])
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        family.score_answers(batch, tokens, idx)
        done += n
    kernel = done / (time.perf_counter() - start)
    m = min(n, 2000)
    start = time.perf_counter()
    for i in range(m):
        arrays = task_arrays(tasks[idx[i]])
        score_one_py(decode_py(tokens[i].tolist(), arrays, family.config.max_struct_calls, MAX_PARAMS,
                               MAX_SCORED_CALLS), arrays)
    twin = m / (time.perf_counter() - start)
    return kernel, twin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 0.5 if args.quick else 5.0
    n_tasks = 50 if args.quick else 500
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# toolcall scoring ({os.cpu_count()} CPUs, load average {load:.2f})")
    one = text_rate(n_tasks, seconds)
    with mp.get_context("spawn").Pool(2) as pool:
        two = sum(pool.map(_worker, [(n_tasks, seconds)] * 2))
    kernel, twin = structured_rates(20_000 if args.quick else 200_000, seconds)
    rows = [
        ("text completions/s, 1 process", one, None),
        ("text completions/s, 2 processes", two, 20_000),
        ("structured answers/s, kernels (1 thread)", kernel, 1_000_000),
        ("structured answers/s, Python twin", twin, None),
    ]
    print(f"| {'measure':<42} | {'rate':>12} | {'target':>10} | met |")
    print(f"|{'-' * 44}|{'-' * 14}|{'-' * 12}|-----|")
    for name, value, target in rows:
        met = "" if target is None else ("yes" if value >= target else "no")
        print(f"| {name:<42} | {value:>12,.0f} | {'' if target is None else f'{target:,}':>10} | {met:<3} |")
    print(f"kernel / twin: {kernel / twin:,.0f}x")


if __name__ == "__main__":
    main()
