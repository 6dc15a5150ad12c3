"""A new task family written from ``docs/writing_a_family.md`` alone: knapsack-lite, then trained under two schemes.

An instance shows ``n_items`` items with small integer weights and values and a knapsack capacity. The answer is a
set of items, picked token by token (``item_0`` .. ``item_4``, then ``STOP``) or written as ``<answer>0,3,4</answer>``.
Three objectives (K = 3):

- ``within_capacity``: 1 when the picked weight is at most the capacity;
- ``value``: picked value / the best value any feasible set reaches (brute force over all ``2**n`` subsets),
  clipped to 1 (an overfull knapsack can reach it, which is why ``within_capacity`` is a separate objective);
- ``must_include``: 1 when the instance's designated item is picked. About half of the instances have no
  designated item; there the objective does not apply and is NaN.

The designated item is always one item of the (first) optimal set, so the brute-force optimum, the family's
demonstration, scores 1 on every applicable objective.

What it shows (60 steps, 2 seeds, measured when it was written): grpo reaches value 0.65, within_capacity 0.73,
must_include 0.58; gdpo settles on "pick every item" (value 1, must_include 1, within_capacity 0). Because ``value``
is clipped to 1, an overfull knapsack scores the maximum on two of three objectives, and gdpo's per-objective
normalization makes that corner a stable attractor (still there at 300 steps and 3 seeds), while grpo's sum keeps
the capacity objective in play. A reward design flaw that only one of the two schemes falls into: what a
comparison on a toy is for.

Run::

    python examples/custom_family.py                 # grpo vs gdpo, 60 steps, 2 seeds
    python examples/custom_family.py --quick         # a smoke run of a few steps
"""

from __future__ import annotations

import argparse
import math
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from vecreward_envs.protocols import (
    Demonstrations,
    StructuredView,
    SuccessObjectives,
    TextView,
    check_family,
    passes_upper_bound,
)

SALT = 5_317
"""Second word of every instance's RNG seed (``np.random.default_rng([seed, SALT])``)."""

METRICS = ("value", "within_capacity", "must_include")
"""Objectives whose final evaluation means the script prints."""


@dataclass(frozen=True)
class Knapsack:
    """One knapsack-lite instance (frozen: the family hands it back to itself only).

    Attributes:
        seed: the seed that generated it.
        weights: weight of each item.
        values: value of each item.
        capacity: largest total weight that fits.
        must: index of the designated item, or -1 when the instance has none (``must_include`` is NaN then).
        best_value: the largest total value of a set of items within ``capacity``.
        best_items: one set (ascending indices) that reaches ``best_value``.
    """

    seed: int
    weights: tuple[int, ...]
    values: tuple[int, ...]
    capacity: int
    must: int
    best_value: int
    best_items: tuple[int, ...]


@dataclass(frozen=True)
class ParsedPick:
    """What the text view read from one completion.

    Attributes:
        items: the picked item indices in the order written (empty when nothing or nothing valid was picked).
        ok: the completion followed ``<answer>i,j,...</answer>`` with distinct in-range indices.
        reason: why not, when not ``ok`` (one line).
    """

    items: tuple[int, ...]
    ok: bool
    reason: str


def brute_force_best(weights: Sequence[int], values: Sequence[int], capacity: int) -> tuple[int, tuple[int, ...]]:
    """The best value within ``capacity`` and the first subset (in bitmask order) reaching it."""
    best_value, best_items = 0, ()
    for mask in range(1 << len(weights)):
        items = tuple(i for i in range(len(weights)) if mask >> i & 1)
        if sum(weights[i] for i in items) <= capacity:
            value = sum(values[i] for i in items)
            if value > best_value:
                best_value, best_items = value, items
    return best_value, best_items


class KnapsackCursor:
    """N knapsack answers being picked item by item (an ``AnswerCursor``).

    An item already picked is masked (picking it again can never change the answer); an item that no longer fits
    stays allowed (it may raise the clipped ``value`` at the cost of ``within_capacity``). An answer is done after
    STOP or once every item is picked.

    Features (F = 3 + n_items): remaining capacity / capacity, picked value / best value, fraction of items picked,
    and per item whether it is still unpicked and fits the remaining capacity.

    Args:
        weights: float [N, n] item weights of each answer's instance.
        values: float [N, n] item values.
        capacity: float [N] capacities.
        best_value: float [N] best feasible values.
        stop_code: the STOP token (``n_items``).
    """

    def __init__(self, weights: np.ndarray, values: np.ndarray, capacity: np.ndarray, best_value: np.ndarray,
                 stop_code: int) -> None:
        self.weights = weights
        self.values = values
        self.capacity = capacity
        self.best_value = np.maximum(best_value, 1.0)
        self.stop_code = stop_code
        n, n_items = weights.shape
        self.picked = np.zeros((n, n_items), dtype=np.bool_)
        self.done = np.zeros(n, dtype=np.bool_)
        self.n_features = 3 + n_items

    def valid_moves(self) -> np.ndarray:
        """Bool [N, n_items + 1]: unpicked items of unfinished answers, and STOP (always allowed)."""
        n = self.picked.shape[0]
        valid = np.zeros((n, self.stop_code + 1), dtype=np.bool_)
        valid[:, : self.stop_code] = ~self.picked & ~self.done[:, None]
        valid[:, self.stop_code] = True
        return valid

    def advance(self, tokens: np.ndarray) -> None:
        """Apply one token per answer (int [N]); finished answers ignore theirs, STOP finishes an answer."""
        tokens = np.asarray(tokens, dtype=np.int64)
        live = ~self.done
        item = live & (tokens >= 0) & (tokens < self.stop_code)
        rows = np.nonzero(item)[0]
        self.picked[rows, tokens[rows]] = True
        self.done |= live & (tokens == self.stop_code)
        self.done |= self.picked.all(axis=1)

    def features(self) -> np.ndarray:
        """Float32 [N, 3 + n_items]: where each answer stands now."""
        used = (self.picked * self.weights).sum(axis=1)
        gained = (self.picked * self.values).sum(axis=1)
        remaining = self.capacity - used
        fits = ~self.picked & (self.weights <= remaining[:, None])
        head = np.stack([remaining / self.capacity, gained / self.best_value, self.picked.mean(axis=1)], axis=1)
        return np.concatenate([head, fits], axis=1).astype(np.float32)


class KnapsackLiteFamily:
    """Knapsack-lite: pick a set of items; objectives within_capacity, value and (where designated) must_include.

    Args:
        n_items: items per instance (brute force enumerates ``2**n_items`` subsets, so keep it small).
        max_weight: item weights are drawn from 1..max_weight.
        max_value: item values are drawn from 1..max_value.
        p_designated: chance that an instance designates an item that must be included.
    """

    name = "knapsack_lite"
    abilities = (StructuredView, TextView, Demonstrations, SuccessObjectives)
    reward_names = ("within_capacity", "value", "must_include")
    reward_low = np.zeros(3, np.float32)
    reward_high = np.ones(3, np.float32)
    success_objectives = (0, 1)

    def __init__(self, n_items: int = 5, max_weight: int = 8, max_value: int = 9, p_designated: float = 0.5) -> None:
        if not 1 <= n_items <= 12 or max_weight < 1 or max_value < 1 or not 0.0 <= p_designated <= 1.0:
            raise ValueError(f"bad knapsack_lite config: {n_items=} {max_weight=} {max_value=} {p_designated=}")
        self.n_items = n_items
        self.max_weight = max_weight
        self.max_value = max_value
        self.p_designated = p_designated

    @property
    def config(self) -> dict[str, object]:
        """The constructor arguments (what ``task_row`` stores so that a row rebuilds its instance)."""
        return {"n_items": self.n_items, "max_weight": self.max_weight, "max_value": self.max_value,
                "p_designated": self.p_designated}

    # core
    def generate(self, seed: int) -> Knapsack:
        """The instance of ``seed`` (its own ``default_rng([seed, SALT])``; never the global RNG)."""
        rng = np.random.default_rng([seed, SALT])
        weights = tuple(int(w) for w in rng.integers(1, self.max_weight + 1, self.n_items))
        values = tuple(int(v) for v in rng.integers(1, self.max_value + 1, self.n_items))
        total = sum(weights)
        capacity = int(rng.integers(max(min(weights), total // 3), max(min(weights), 2 * total // 3) + 1))
        best_value, best_items = brute_force_best(weights, values, capacity)
        designated = rng.random() < self.p_designated
        must = int(best_items[rng.integers(len(best_items))]) if designated and best_items else -1
        return Knapsack(seed, weights, values, capacity, must, best_value, best_items)

    def instances(self, first_seed: int, n: int) -> list[Knapsack]:
        """Instances of seeds ``first_seed .. first_seed + n - 1``."""
        return [self.generate(first_seed + i) for i in range(n)]

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Bool [..., 3]: objective at its upper bound (NaN never passes)."""
        return passes_upper_bound(rewards, self.reward_high)

    def task_row(self, instance: Knapsack) -> dict[str, object]:
        """The seed and the config: enough to rebuild ``instance`` anywhere."""
        return {"family": self.name, "seed": instance.seed, "config": self.config}

    def instance_from_row(self, row: Mapping[str, object]) -> Knapsack:
        """The instance of a ``task_row`` under the row's own config; one-line ``ValueError`` for another family."""
        if row.get("family") != self.name:
            raise ValueError(f"not a {self.name} row: {dict(row)!r}"[:200])
        return KnapsackLiteFamily(**dict(row["config"])).generate(int(row["seed"]))

    # the one scorer
    def _score(self, instances: Sequence[Knapsack], picked: np.ndarray, ok: np.ndarray,
               inst_idx: np.ndarray) -> np.ndarray:
        """Float32 [N, 3] rewards of picked sets bool [N, n_items]; rows with ``ok`` False score 0 (NaN stays NaN)."""
        inst_idx = np.asarray(inst_idx, dtype=np.int64)
        weights = np.array([instances[i].weights for i in inst_idx], dtype=np.float64).reshape(-1, self.n_items)
        values = np.array([instances[i].values for i in inst_idx], dtype=np.float64).reshape(-1, self.n_items)
        capacity = np.array([instances[i].capacity for i in inst_idx], dtype=np.float64)
        best = np.array([max(instances[i].best_value, 1) for i in inst_idx], dtype=np.float64)
        must = np.array([instances[i].must for i in inst_idx], dtype=np.int64)
        rows = np.arange(len(inst_idx))
        within = (picked * weights).sum(axis=1) <= capacity
        value = np.minimum((picked * values).sum(axis=1) / best, 1.0)
        included = picked[rows, np.maximum(must, 0)].astype(np.float64)
        rewards = np.stack([within & ok, np.where(ok, value, 0.0), np.where(ok, included, 0.0)], axis=1)
        rewards[must < 0, 2] = np.nan
        return rewards.astype(np.float32)

    # structured view
    @property
    def answer_vocab(self) -> tuple[str, ...]:
        """``item_0`` .. ``item_{n-1}``, then ``STOP``."""
        return (*(f"item_{i}" for i in range(self.n_items)), "STOP")

    @property
    def stop_code(self) -> int:
        """STOP is the last token."""
        return self.n_items

    @cached_property
    def observation_vocab(self) -> int:
        """Above every weight, value, capacity and designated-item code an observation holds."""
        return max(self.max_weight, self.max_value, self.n_items * self.max_weight, self.n_items) + 1

    def observation(self, instance: Knapsack) -> np.ndarray:
        """Int [2 n + 2]: weights, values, capacity, designated item + 1 (0: none)."""
        return np.array([*instance.weights, *instance.values, instance.capacity, instance.must + 1], np.int64)

    def max_answer_len(self, instances: Sequence[Knapsack]) -> int:
        """Every item at most once."""
        return self.n_items

    def new_cursor(self, instances: Sequence[Knapsack], inst_idx: np.ndarray) -> KnapsackCursor:
        """A ``KnapsackCursor`` over ``len(inst_idx)`` empty answers."""
        chosen = [instances[i] for i in np.asarray(inst_idx, dtype=np.int64)]
        return KnapsackCursor(
            np.array([x.weights for x in chosen], np.float64).reshape(-1, self.n_items),
            np.array([x.values for x in chosen], np.float64).reshape(-1, self.n_items),
            np.array([x.capacity for x in chosen], np.float64),
            np.array([x.best_value for x in chosen], np.float64),
            self.stop_code,
        )

    def _picked_from_tokens(self, answers: np.ndarray) -> np.ndarray:
        """Bool [N, n_items] of token answers [N, L]: item tokens before the first STOP (a repeat counts once)."""
        a = np.asarray(answers, dtype=np.int64)
        a = a.reshape(a.shape[0], -1) if a.ndim else a.reshape(1, 1)
        stopped = np.cumsum(a == self.stop_code, axis=1) > 0
        item = (a >= 0) & (a < self.n_items) & ~stopped
        picked = np.zeros((a.shape[0], self.n_items), dtype=np.bool_)
        rows, cols = np.nonzero(item)
        picked[rows, a[rows, cols]] = True
        return picked

    def score_answers(self, instances: Sequence[Knapsack], answers: np.ndarray, inst_idx: np.ndarray) -> np.ndarray:
        """Float32 [N, 3] rewards of STOP-padded token answers [N, L]; never raises for vocabulary tokens."""
        picked = self._picked_from_tokens(answers)
        return self._score(instances, picked, np.ones(picked.shape[0], np.bool_), inst_idx)

    # text view
    def prompt(self, instance: Knapsack, m: int = 1) -> str:
        """The instance in words and the answer format (``m`` is ignored: this family has no ``TextChains``)."""
        items = "; ".join(f"item {i}: weight {w}, value {v}"
                          for i, (w, v) in enumerate(zip(instance.weights, instance.values, strict=True)))
        must = f" Item {instance.must} must be included." if instance.must >= 0 else ""
        return (f"Knapsack with capacity {instance.capacity}. Items: {items}.{must} Pick items of largest total "
                f"value whose weight fits, as item indices like <answer>0,3,4</answer> (<answer></answer>: none).")

    def parse(self, completion: object) -> ParsedPick:
        """The picked items of a completion; never raises (anything but a well-formed answer is ``ok=False``)."""
        if not isinstance(completion, str):
            return ParsedPick((), False, f"completion is a {type(completion).__name__}, not a string")
        match = re.search(r"<answer>([^<]*)</answer>", completion)
        if match is None:
            return ParsedPick((), False, "no <answer>i,j,...</answer>")
        body = match.group(1).strip()
        if not body:
            return ParsedPick((), True, "")
        fields = [f.strip() for f in body.split(",")]
        if not all(re.fullmatch(r"\d{1,3}", f) for f in fields):
            return ParsedPick((), False, f"not comma-separated item indices: {body[:40]!r}")
        items = tuple(int(f) for f in fields)
        if any(i >= self.n_items for i in items):
            return ParsedPick((), False, f"item index out of range 0..{self.n_items - 1}")
        if len(set(items)) != len(items):
            return ParsedPick((), False, "an item is picked twice")
        return ParsedPick(items, True, "")

    def format_answer(self, instance: Knapsack, answer: object) -> str:
        """Token answer [L] as ``<answer>i,j</answer>`` (tokens before STOP, a repeat written once)."""
        picked_order: list[int] = []
        for token in np.asarray(answer, dtype=np.int64).reshape(-1):
            if token == self.stop_code:
                break
            if 0 <= token < self.n_items and int(token) not in picked_order:
                picked_order.append(int(token))
        return f"<answer>{','.join(map(str, picked_order))}</answer>"

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """A completion ends with its answer."""
        return ("</answer>",)

    def score_completions(self, instance: Knapsack, completions: Sequence[object]
                          ) -> tuple[np.ndarray, list[ParsedPick]]:
        """Float32 [G, 3] rewards of G completions (through the structured scorer), and what each parsed to."""
        parsed = [self.parse(c) for c in completions]
        picked = np.zeros((len(parsed), self.n_items), dtype=np.bool_)
        for g, p in enumerate(parsed):
            picked[g, list(p.items)] = True
        ok = np.array([p.ok for p in parsed], dtype=np.bool_)
        return self._score([instance], picked, ok, np.zeros(len(parsed), np.int64)), parsed

    # demonstrations
    def demonstrations(self, instances: Sequence[Knapsack]) -> np.ndarray:
        """Int64 [N, n_items + 1]: each instance's brute-force optimum, STOP-padded."""
        out = np.full((len(instances), self.n_items + 1), self.stop_code, dtype=np.int64)
        for n, x in enumerate(instances):
            out[n, : len(x.best_items)] = x.best_items
        return out

    def demonstration_texts(self, instances: Sequence[Knapsack]) -> list[str]:
        """The demonstrations as completions."""
        return [self.format_answer(x, d) for x, d in zip(instances, self.demonstrations(instances), strict=True)]


def _fmt(x: float) -> str:
    """A metric for printing (NaN: ``n/a``)."""
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.3f}"


def run(steps: int, seeds: Sequence[int], schemes: Sequence[str], warm_start_steps: int, batch_size: int,
        group_size: int, eval_instances: int, root: Path) -> dict[str, dict[int, dict[str, float]]]:
    """Train the small policy on knapsack-lite under each scheme and seed; final eval means by scheme, seed."""
    import torch

    from agents.small import SmallPolicy
    from llm_bridge.pipeline import PipelineConfig
    from llm_bridge.trainer import TrainConfig, train

    torch.set_num_threads(1)
    family = KnapsackLiteFamily()
    problems = check_family(family)
    assert problems == [], problems
    results: dict[str, dict[int, dict[str, float]]] = {}
    for scheme in schemes:
        results[scheme] = {}
        for seed in seeds:
            config = TrainConfig(task=family.name, pipeline=PipelineConfig(aggregator=scheme), steps=steps,
                                 batch_size=batch_size, group_size=group_size, train_instances=512,
                                 eval_instances=eval_instances, eval_samples=4, eval_every=steps,
                                 checkpoint_every=steps, warm_start_steps=warm_start_steps, seed=seed)
            policy = SmallPolicy(family, family.generate(0), seed=seed)
            start = time.perf_counter()
            result = train(config, policy, family, root / f"{scheme}_seed{seed}", progress=False, tensorboard=False)
            final = {m: float(result.last_eval.get(f"eval/{m}/mean", float("nan"))) for m in METRICS}
            results[scheme][seed] = final
            print(f"{scheme:>5} seed {seed}: " + "  ".join(f"{m}={_fmt(v)}" for m, v in final.items())
                  + f"  ({time.perf_counter() - start:.1f}s)", flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, check the family, train, print each scheme's final evaluation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="RL steps per run (default 60)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="training seeds (default 0 1)")
    parser.add_argument("--schemes", nargs="+", default=["grpo", "gdpo"], help="aggregators to compare")
    parser.add_argument("--warm-start-steps", type=int, default=10, help="imitation steps before RL (default 10)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--eval-instances", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 steps, 1 seed, 2 warm-start steps")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seeds, args.warm_start_steps, args.eval_instances = 3, args.seeds[:1], 2, 4
    with tempfile.TemporaryDirectory(prefix="custom_family_") as tmp:
        results = run(args.steps, args.seeds, args.schemes, args.warm_start_steps, args.batch_size,
                      args.group_size, args.eval_instances, Path(tmp))
    print("\nmean over seeds (NaN entries left out):")
    for scheme, by_seed in results.items():
        means = {m: np.nanmean([r[m] for r in by_seed.values()]) if any(math.isfinite(r[m]) for r in by_seed.values())
                 else float("nan") for m in METRICS}
        print(f"{scheme:>5}: " + "  ".join(f"{m}={_fmt(v)}" for m, v in means.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
