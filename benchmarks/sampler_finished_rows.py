"""Decoding with finished rows dropped from the batch (``drop_finished_rows``) against decoding every row to the end.

The same policy weights sample B * G completions of the same prompts, alternately with and without dropping, each
setting ``--repeats`` times after one untimed call each (which builds the stop-token table). Printed per setting:
the median wall time of ``HFPolicy.sample``, the tokens the rows kept (their completions) and the row-steps the
decoding loop computed (one row through one single-token forward pass; a finished row that stays in the batch still
costs one). The two settings draw different samples (the generator runs over fewer rows once rows drop), so the
exact saving is read from the dropping runs alone: their row-steps against rows x their decoding steps, what the
same completions cost without dropping. The ratio of times is what it bought on this machine, in the same run.

Rows finish at different steps only when a stop string or EOS ends them, so the default is SmolLM2-135M-Instruct
(``python -m agents.llm.offline smollm2``) on the maze's compact text view, whose ``</answer>`` ends a completion.
With ``--quick`` a tiny random GPT-2 runs instead (seconds; it rarely writes a stop, so its ratios are about 1).

    python benchmarks/sampler_finished_rows.py --quick
    python benchmarks/sampler_finished_rows.py --batch 8 --group 8 --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from agents.llm.config import LLMPolicyConfig
from agents.llm.offline import build_tiny_model
from agents.llm.policy import HFPolicy
from vecreward_envs.families import make_family

SMOLLM2 = Path.home() / ".cache" / "vecreward" / "SmolLM2-135M-Instruct"


def decode_row_counter(policy: HFPolicy) -> list[int]:
    """A list that collects the batch size of every single-token forward pass of ``policy.model``."""
    rows: list[int] = []

    def record(module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        ids = kwargs.get("input_ids")
        if ids is not None and ids.shape[1] == 1:
            rows.append(int(ids.shape[0]))

    policy.model.register_forward_pre_hook(record, with_kwargs=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a causal LM directory (default: SmolLM2)")
    parser.add_argument("--batch", type=int, default=8, help="prompts (maze instances)")
    parser.add_argument("--group", type=int, default=8, help="completions per prompt")
    parser.add_argument("--new-tokens", type=int, default=57, help="completion budget (the maze's, at size 7)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--quick", action="store_true", help="a tiny random model, 2 x 2 rows (seconds)")
    args = parser.parse_args()
    for flag, value in (("--batch", args.batch), ("--group", args.group), ("--new-tokens", args.new_tokens),
                        ("--repeats", args.repeats)):
        if value < 1:
            parser.error(f"{flag} must be >= 1, got {value}")
    if args.threads < 0:
        parser.error(f"--threads must be >= 0, got {args.threads}")
    if args.threads:
        torch.set_num_threads(args.threads)
    tmp = tempfile.TemporaryDirectory()
    if args.quick:
        model, args.batch, args.group, args.new_tokens, args.repeats = build_tiny_model(Path(tmp.name)), 2, 2, 8, 1
    else:
        model = args.model or SMOLLM2
        if not (model / "config.json").is_file():
            parser.error(f"--model: no model at {model} (python -m agents.llm.offline smollm2, or --quick)")
    family = make_family("maze", size=7, prompt_style="compact")
    instances = family.instances(0, args.batch)
    policies = {drop: HFPolicy(LLMPolicyConfig(model=str(model), max_new_tokens=args.new_tokens,
                                               generation_batch_size=args.batch * args.group,
                                               drop_finished_rows=drop), seed=0)
                for drop in (True, False)}
    for policy in policies.values():  # warm-up: the first call builds the stop-token table
        policy.sample(family, instances[:1], 1)
    counters = {drop: decode_row_counter(policy) for drop, policy in policies.items()}
    seconds: dict[bool, list[float]] = {True: [], False: []}
    kept: dict[bool, list[float]] = {True: [], False: []}
    computed: dict[bool, list[int]] = {True: [], False: []}
    undropped: list[int] = []  # rows x decoding steps of each dropping run: its completions without dropping
    for repeat in range(args.repeats):
        for drop in ((True, False) if repeat % 2 == 0 else (False, True)):  # alternate: drift hits both sides
            counters[drop].clear()
            start = time.perf_counter()
            samples = policies[drop].sample(family, instances, args.group)
            seconds[drop].append(time.perf_counter() - start)
            kept[drop].append(float(samples.n_tokens.sum()))
            computed[drop].append(sum(counters[drop]))
            if drop:
                undropped.append(args.batch * args.group * len(counters[drop]))
    rows = args.batch * args.group
    label = "a tiny random GPT-2" if args.quick else model.name
    print(f"model {label}, {args.batch} x {args.group} rows, at most {args.new_tokens} new tokens, "
          f"{args.repeats} repeats, {torch.get_num_threads()} threads")
    print(f"{'setting':<22}{'median s':>10}{'tokens kept':>13}{'row-steps':>11}{'row-steps/row':>15}")
    for drop, name in ((False, "every row to the end"), (True, "finished rows dropped")):
        print(f"{name:<22}{statistics.median(seconds[drop]):>10.2f}{statistics.mean(kept[drop]):>13.0f}"
              f"{statistics.mean(computed[drop]):>11.0f}{statistics.mean(computed[drop]) / rows:>15.1f}")
    time_ratio = statistics.median(seconds[False]) / statistics.median(seconds[True])
    step_ratio = sum(undropped) / max(sum(computed[True]), 1)
    print(f"row-steps of the dropping runs' own completions, every row to the end / dropped: {step_ratio:.2f}x")
    print(f"sampling time, every row to the end / dropped: {time_ratio:.2f}x (different draws on each side; "
          "meaningful only where rows finish early and the machine is quiet)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
