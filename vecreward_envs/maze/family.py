"""The maze task family: one object that generates instances and scores answers in both views.

It implements the core ``TaskFamily`` contract and every ability of ``vecreward_envs.protocols`` (both views,
chains of routes, solver demonstrations, success objectives, exact Pareto fronts, directive messages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields

import numpy as np

from vecreward_envs.maze.config import ITEM0, ITEM_NAMES, LAVA, MOVE_NAMES, STOP, MazeConfig
from vecreward_envs.maze.cursor import MazeCursor
from vecreward_envs.maze.generator import generate, generate_cached, iter_instances, shortest_route
from vecreward_envs.maze.instance import InstanceBatch, MazeInstance
from vecreward_envs.maze.pareto import ParetoFront, pareto_front
from vecreward_envs.maze.scoring import RouteScores, _score_stacked, as_route_array
from vecreward_envs.maze.simulate import simulate_route
from vecreward_envs.maze.text import ParsedRoute, format_route, parse_chain, parse_route, prompt
from vecreward_envs.protocols import (
    Demonstrations,
    DirectiveMessages,
    ParetoFronts,
    StructuredView,
    SuccessObjectives,
    TextChains,
    TextView,
)


class MazeFamily:
    """The conflicting-objective maze family for one ``MazeConfig``."""

    name = "maze"
    abilities = (StructuredView, TextView, TextChains, Demonstrations, SuccessObjectives, ParetoFronts,
                 DirectiveMessages)
    answer_vocab: tuple[str, ...] = (*MOVE_NAMES, "STOP")
    """Tokens of the structured answer: move codes 0..3 and STOP = 4 (also the padding)."""
    stop_code = STOP
    success_objectives: tuple[int, ...] = (0,)
    """Objectives that define a binary success (psr, nsr, w_reinforce): reaching E."""

    def __init__(self, config: MazeConfig | None = None, **overrides: object) -> None:
        if config is not None and overrides:
            raise TypeError("pass either a MazeConfig or keyword overrides, not both")
        self.config = config if config is not None else MazeConfig.from_kwargs(**overrides)
        if not isinstance(self.config, MazeConfig):
            raise TypeError(f"config must be a MazeConfig, got {type(self.config).__name__}")

    # ----- objectives -------------------------------------------------------------------------------------
    @property
    def reward_names(self) -> tuple[str, ...]:
        """Stable names of the K objectives."""
        return self.config.reward_names

    @property
    def reward_low(self) -> np.ndarray:
        """float32 [K] lower bounds (all 0)."""
        return np.zeros(self.config.n_objectives, dtype=np.float32)

    @property
    def reward_high(self) -> np.ndarray:
        """float32 [K] upper bounds (all 1)."""
        return np.ones(self.config.n_objectives, dtype=np.float32)

    @property
    def max_route_len(self) -> int:
        """Longest route any instance of this config can use (an upper bound of the budget)."""
        return self.config.max_budget

    # ----- instances --------------------------------------------------------------------------------------
    def generate(self, seed: int) -> MazeInstance:
        """The instance of ``seed`` (deterministic, no global RNG)."""
        return generate(seed, self.config)

    def instances(self, first_seed: int, n: int) -> list[MazeInstance]:
        """``n`` distinct consecutive instances from ``first_seed`` (a data split)."""
        iterator = iter_instances(first_seed, self.config)
        return [next(iterator) for _ in range(n)]

    def observation(self, instance: MazeInstance) -> np.ndarray:
        """Structured view: int16 [H*W + 3] = cell codes, start flat index, budget, 0 (the MDP's first obs)."""
        n_cells = self.config.n_cells
        obs = np.zeros(n_cells + 3, dtype=np.int16)
        obs[:n_cells] = instance.cells.reshape(-1)
        obs[n_cells] = instance.start[0] * self.config.size + instance.start[1]
        obs[n_cells + 1] = instance.budget
        return obs

    # ----- structured answers -----------------------------------------------------------------------------
    def score_routes(
        self,
        instances: MazeInstance | Sequence[MazeInstance] | InstanceBatch,
        routes: object,
        inst_idx: Sequence[int] | np.ndarray | None = None,
    ) -> RouteScores:
        """Batched scoring: routes [N, L] of move codes -> ``RouteScores`` (rewards float32 [N, K])."""
        if isinstance(instances, MazeInstance):
            instances = [instances]
        if not isinstance(instances, InstanceBatch):
            instances = list(instances)
            for inst in instances:
                if not isinstance(inst, MazeInstance) or inst.config != self.config:
                    raise ValueError("every instance must come from this family's config")
            instances = InstanceBatch.stack(instances)
        return _score_stacked(instances, self.config, routes, inst_idx)

    def score_answers(self, instances: Sequence[MazeInstance], answers: np.ndarray, inst_idx: np.ndarray
                      ) -> np.ndarray:
        """Structured answers (routes) -> float32 [N, K]: the generic name the bridge calls."""
        return self.score_routes(instances, answers, inst_idx).rewards

    @property
    def observation_vocab(self) -> int:
        """Exclusive upper bound of ``observation()`` values (for an embedding table)."""
        return int(max(self.config.n_cell_codes, self.config.n_cells, self.config.max_budget + 1))

    def max_answer_len(self, instances: Sequence[MazeInstance]) -> int:
        """Tokens a batch of answers may need: the largest budget (moves past an instance's budget never count)."""
        return max(inst.budget for inst in instances)

    def new_cursor(self, instances: Sequence[MazeInstance], inst_idx: np.ndarray) -> MazeCursor:
        """Partial answers on ``instances[inst_idx]`` for token-by-token decoding (see ``cursor.py``)."""
        return MazeCursor(self.config, instances, inst_idx)

    def demonstrations(self, instances: Sequence[MazeInstance]) -> np.ndarray:
        """int8 [N, L] solver routes for imitation warm starts: a shortest lava-free walk S -> E per instance.

        It completes the task and avoids lava but ignores the items, so the trade-off between gold and diamonds is
        left to the RL phase.
        """
        routes = [shortest_route(inst, avoid_lava=True) for inst in instances]
        out = np.full((len(routes), max(len(r) for r in routes) + 1), STOP, dtype=np.int8)
        for n, route in enumerate(routes):
            out[n, : len(route)] = route
        return out

    def demonstration_texts(self, instances: Sequence[MazeInstance]) -> list[str]:
        """The solver routes of ``demonstrations`` as completions (what a text policy imitates)."""
        return [self.format_answer(inst, route) for inst, route in zip(instances, self.demonstrations(instances),
                                                                         strict=True)]

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Bool [..., K]: objective fully achieved (reward at its upper bound 1)."""
        return np.asarray(rewards) >= 1.0

    def explain(self, instance: MazeInstance, route: object) -> dict[str, str]:
        """A short directive message for each objective the route fails, keyed by objective name.

        ``route``: move codes (structured view) or a completion (text view; read as ``score_completions`` reads it,
        so the messages explain the rewards the completion got).
        """
        if isinstance(route, str | bytes):
            route = self.routes_from_parsed([parse_route(route)], instance.budget)[0]
        moves = as_route_array(route, "route")[0]
        sim = simulate_route(instance, moves.tolist())
        rewards = self.score_routes(instance, moves[None, :]).rewards[0]
        messages: dict[str, str] = {}
        r, c = sim["final"]
        if not sim["reached_end"]:
            messages["completion"] = (f"did not reach E at {instance.end}: stopped at ({r}, {c}) after "
                                      f"{sim['steps']} of {instance.budget} steps; every objective scores 0")
            return messages
        codes = [int(instance.cells[cell]) for cell in sim["visited"]]
        for t, total in enumerate(instance.item_totals):
            if rewards[t + 1] < 1.0:
                got = codes.count(ITEM0 + t)
                messages[ITEM_NAMES[t]] = f"collected {got} of {total} {ITEM_NAMES[t]} before E"
        if rewards[-1] < 1.0:
            messages["avoid_lava"] = f"stepped on {codes.count(LAVA)} of {instance.lava_total} lava cells"
        return messages

    def pareto_front(self, instance: MazeInstance, **kwargs: object) -> ParetoFront:
        """Exact Pareto front of an instance (see ``vecreward_envs.maze.pareto``)."""
        return pareto_front(instance, **kwargs)  # type: ignore[arg-type]

    # ----- rows (exports: scoring is a pure function of (completion, row)) -------------------------------------
    def task_row(self, instance: MazeInstance) -> dict[str, object]:
        """JSON-able columns that identify ``instance``: family, seed and config (grid and budget for hand-made)."""
        config = {f.name: getattr(self.config, f.name) for f in fields(self.config)}
        row: dict[str, object] = {"family": self.name, "seed": instance.seed,
                                  "config": {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}}
        if instance.seed < 0:
            row.update(grid=instance.grid_text(), budget=instance.budget)
        return row

    def instance_from_row(self, row: Mapping[str, object]) -> MazeInstance:
        """The instance a ``task_row`` describes (generated mazes are regenerated from their seed, cached).

        Raises:
            ValueError: the row is not a maze row or its config differs from this family's.
        """
        if row.get("family") != self.name or "seed" not in row:
            raise ValueError(f"not a maze task row: {dict(row)!r}"[:300])
        config = MazeConfig.from_kwargs(**{k: tuple(v) if isinstance(v, list) else v
                                           for k, v in dict(row.get("config") or {}).items()})
        seed = row["seed"]
        if isinstance(seed, int) and seed < 0:
            return MazeInstance.from_text(str(row["grid"]), int(row["budget"]), config)  # type: ignore[arg-type]
        return generate_cached(seed, config)  # type: ignore[arg-type]

    # ----- text view --------------------------------------------------------------------------------------
    def prompt(self, instance: MazeInstance, m: int = 1) -> str:
        """The text prompt (``m > 1`` asks for a chain of m different routes)."""
        return prompt(instance, m)

    def parse(self, completion: object, *, strict: bool = False) -> ParsedRoute:
        """Moves of a single-answer completion; never raises (see ``text.parse_route``)."""
        return parse_route(completion, strict=strict)

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """What ends a completion: ``</answer>``, or the last route's tag ``</route_m>`` of a chain."""
        return ("</answer>",) if m == 1 else (f"</route_{m}>",)

    def format_answer(self, instance: MazeInstance, route: object) -> str:
        """A structured route as the completion an LLM would give (the maze's format needs no instance)."""
        return f"<answer>{format_route(as_route_array(route, 'route')[0])}</answer>"

    def routes_from_parsed(self, parsed: Sequence[ParsedRoute], length: int | None = None) -> np.ndarray:
        """Parsed routes -> int8 [N, L] STOP-padded (moves past L are dropped; L defaults to the longest)."""
        longest = max((p.moves.size for p in parsed), default=0)
        length = max(1, longest if length is None else length)
        out = np.full((len(parsed), length), STOP, dtype=np.int8)
        for n, p in enumerate(parsed):
            k = min(length, p.moves.size)
            out[n, :k] = p.moves[:k]
        return out

    def score_completions(self, instance: MazeInstance, completions: Sequence[object]
                          ) -> tuple[np.ndarray, list[ParsedRoute]]:
        """Score G completions on one instance: float32 [G, K] and what was parsed from each."""
        parsed = [parse_route(c) for c in completions]
        routes = self.routes_from_parsed(parsed, instance.budget)  # moves past the budget never count
        return self.score_routes(instance, routes).rewards, parsed

    def score_chains(self, instance: MazeInstance, completions: Sequence[object], m: int, *, dedup: bool = True
                     ) -> tuple[np.ndarray, list[list[ParsedRoute]]]:
        """Score G chain completions of m routes each: float32 [G, m, K].

        As in the reference, with ``dedup`` empty and repeated routes (same moves) are dropped before scoring
        and the chain is padded with zero vectors, so a chain cannot earn set-level credit twice for one route.
        """
        chains = [parse_chain(c, m) for c in completions]
        rewards = np.zeros((len(chains), m, self.config.n_objectives), dtype=np.float32)
        flat: list[ParsedRoute] = []
        where: list[tuple[int, int]] = []
        for g, chain in enumerate(chains):
            seen: set[bytes] = set()
            slot = 0
            for i, route in enumerate(chain):
                if dedup:
                    key = route.moves.tobytes()
                    if route.moves.size == 0 or key in seen:
                        continue
                    seen.add(key)
                flat.append(route)
                where.append((g, slot if dedup else i))
                slot += 1
        if flat:
            scores = self.score_routes(instance, self.routes_from_parsed(flat, instance.budget)).rewards
            for (g, slot), vector in zip(where, scores, strict=True):
                rewards[g, slot] = vector
        return rewards, chains
