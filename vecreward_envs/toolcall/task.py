"""Tasks: a request over a few shown tools, exact ground-truth calls, explicit constraints, candidate values.

``generate(seed, config)`` is deterministic from the seed alone (its own ``np.random.Generator``). A task keeps
both views: the text (tools, request, constraints) and the arrays the scoring kernel and the structured view
read (ground-truth value codes, candidate lists, constraint parameters).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vecreward_envs.toolcall.catalog import (
    CITIES,
    MONTHS,
    NUMBER_KINDS,
    PEOPLE,
    TAGS,
    TITLES,
    Tool,
    catalog,
    tools_with,
)
from vecreward_envs.toolcall.config import (
    CONSTRAINT_KINDS,
    MAX_GT_CALLS,
    MAX_PARAMS,
    MAX_TOOLS,
    N_CANDIDATES,
    N_RESPONSES,
    ToolCallConfig,
)

UNITS: dict[str, tuple[str, str, str, str]] = {
    "distance": ("km", "miles", "kilometres", "1 mile = 1.609344 km"),
    "weight": ("kg", "lb", "kilograms", "1 lb = 0.45359237 kg"),
    "temperature": ("degrees Celsius", "degrees Fahrenheit", "degrees Celsius", "C = (F - 32) * 5 / 9"),
}
"""kind -> (schema unit, request unit under a ``unit`` constraint, unit name, conversion rule)."""
DATE_FORMATS = ("DD/MM/YYYY", "MM-DD-YYYY", "YYYYMMDD")
"""Formats a ``format`` constraint may require (the schema's default is YYYY-MM-DD)."""
FILLER = ("I", "have", "taken", "care", "of", "everything", "you", "asked", "for", "and", "checked", "the",
          "details", "twice", "so", "nothing", "is", "missing", "from", "your", "request", "today", "at", "all")


def convert(kind: str, value: float) -> float:
    """A value stated in the request's unit, converted to the schema's unit and rounded to 1 decimal."""
    if kind == "distance":
        return round(value * 1.609344, 1)
    if kind == "weight":
        return round(value * 0.45359237, 1)
    return round((value - 32.0) * 5.0 / 9.0, 1)


def format_date(y: int, m: int, d: int, fmt: str) -> str:
    """A date in one of the schema/constraint formats."""
    if fmt == "DD/MM/YYYY":
        return f"{d:02d}/{m:02d}/{y:04d}"
    if fmt == "MM-DD-YYYY":
        return f"{m:02d}-{d:02d}-{y:04d}"
    if fmt == "YYYYMMDD":
        return f"{y:04d}{m:02d}{d:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


@dataclass(frozen=True)
class ToolTask:
    """One task instance (both views)."""

    seed: int
    config: ToolCallConfig
    tools: tuple[int, ...]
    """Catalog ids of the shown tools, in slot order (T of them)."""
    request: str
    """The user's message."""
    gt_calls: tuple[tuple[int, dict], ...]
    """Ground truth: (tool slot, {parameter: value}) per call, in the request's order."""
    constraints: dict[str, dict]
    """kind -> its parameters (only the task's constraints)."""
    constraint_texts: tuple[str, ...]
    """The constraints as the prompt states them."""
    response: str | None
    """The ground-truth response (None: the answer has no ``<response>``)."""
    candidates: tuple[tuple[tuple[object, ...], ...], ...]
    """[T][P][<= V] candidate values of each (tool slot, parameter) for the structured view (distinct; booleans and
    enums have fewer)."""
    cand_flags: np.ndarray
    """int8 [T, P, V, 2]: candidate equals the value as the request states it / after the required conversion."""
    param_flags: np.ndarray
    """int8 [T, P, 3]: parameter exists / is required / is mentioned by the request (for a requested tool)."""
    responses: tuple[str, ...]
    """[R] candidate responses of the structured view."""
    gt_codes: np.ndarray
    """int8 [MAX_GT_CALLS, MAX_PARAMS]: candidate index of each ground-truth value, -1 for an omitted parameter."""
    extra_constraints: tuple[tuple[str, dict], ...] = ()
    """Further constraints of kinds already in ``constraints`` ((kind, parameters), in kind order): more forbidden
    tools, unit/format constraints on further values, further ordering pairs. Only tasks with more constraints
    than distinct feasible kinds have them."""

    @property
    def all_constraints(self) -> tuple[tuple[str, dict], ...]:
        """Every constraint as (kind, parameters), grouped by kind in objective order (first of a kind first)."""
        firsts = [(k, v) for k, v in self.constraints.items()]
        return tuple(sorted([*firsts, *self.extra_constraints], key=lambda kv: CONSTRAINT_KINDS.index(kv[0])))

    @property
    def shown_tools(self) -> tuple[Tool, ...]:
        """The shown tools, in slot order."""
        cat = catalog()
        return tuple(cat[i] for i in self.tools)

    @property
    def gt_json(self) -> list[dict]:
        """The ground-truth calls as ToolRL's ``{"name", "parameters"}`` objects."""
        cat = catalog()
        return [{"name": cat[self.tools[slot]].name, "parameters": dict(params)} for slot, params in self.gt_calls]

    def ground_truth_text(self) -> str:
        """The ground-truth completion in ToolRL's format (its tags define the format ToolRL's R_format expects)."""
        parts = ["<think>Ground truth.</think>"]
        if self.gt_calls:
            lines = "\n".join(json.dumps(call) for call in self.gt_json)
            parts.append(f"<tool_call>\n{lines}\n</tool_call>")
        if self.response is not None:
            parts.append(f"<response>{self.response}</response>")
        return "\n".join(parts)


def _date_parts(rng: np.random.Generator) -> tuple[int, int, int]:
    return 2025 + int(rng.integers(0, 3)), int(rng.integers(1, 13)), int(rng.integers(1, 29))


def _draw(kind: str, rng: np.random.Generator, enum: tuple[str, ...] = ()) -> object:
    """A value of ``kind`` in the schema's form (a date as its parts)."""
    if kind == "city":
        return str(rng.choice(CITIES))
    if kind == "person":
        return str(rng.choice(PEOPLE))
    if kind == "title":
        return str(rng.choice(TITLES))
    if kind == "date":
        return _date_parts(rng)
    if kind == "count":
        return int(rng.integers(1, 31))
    if kind == "distance":
        return float(rng.integers(2, 200))
    if kind == "weight":
        return float(rng.integers(1, 90))
    if kind == "temperature":
        return float(rng.integers(35, 100))
    if kind in ("priority", "sort", "language"):
        return str(rng.choice(enum))
    if kind == "flag":
        return bool(rng.random() < 0.5)
    return sorted(str(t) for t in rng.choice(TAGS, size=int(rng.integers(1, 4)), replace=False))


def _phrase(label: str, kind: str, stated: object, unit: str) -> str:
    """How the request states a value."""
    if kind == "date":
        y, m, d = stated  # type: ignore[misc]
        return f"on {MONTHS[m - 1]} {d}, {y}"
    if kind in ("city", "person"):
        return f"{label} {stated}"
    if kind == "title":
        return f"{label} '{stated}'"
    if kind == "flag":
        return f"with {label} {'on' if stated else 'off'}"
    if kind == "tags":
        return f"{label} {', '.join(stated)}"  # type: ignore[arg-type]
    if kind in NUMBER_KINDS:
        return f"{label} {stated:g} {unit}"  # type: ignore[str-format]
    return f"{label} {stated}"


def _key(value: object) -> str:
    return json.dumps(value, sort_keys=True)


class _Builder:
    """Draws one task from one generator."""

    def __init__(self, seed: int, config: ToolCallConfig) -> None:
        self.seed, self.config = seed, config
        self.rng = np.random.default_rng([seed, 0x7001])

    def shape(self) -> tuple[int, list[str]]:
        """Number of ground-truth calls and the constraint kinds."""
        cfg, rng = self.config, self.rng
        k = int(rng.integers(cfg.min_constraints, cfg.max_constraints + 1))
        needs_calls = k > 4 or cfg.bottleneck in ("unit", "format", "order") or \
            (cfg.bottleneck == "forbidden_tool")  # its hard form forbids a requested tool
        if not needs_calls and rng.random() < cfg.p_no_call:
            n_calls = 0
        elif k > len(CONSTRAINT_KINDS):  # several constraints of a kind: the most calls hold the most
            n_calls = MAX_GT_CALLS
        elif k > 5 or cfg.bottleneck == "order" or rng.random() < cfg.p_parallel:
            n_calls = int(rng.integers(2, MAX_GT_CALLS + 1))
        else:
            n_calls = 1
        if cfg.bottleneck == "max_calls" and n_calls == 0:
            n_calls = 1
        self.k = k
        return n_calls, self._kinds(k, n_calls)

    def _kinds(self, k: int, n_calls: int) -> list[str]:
        feasible = ["max_calls", "forbidden_tool", "response_length", "response_field"]
        if n_calls:
            feasible += ["unit", "format"]
        if n_calls >= 2:
            feasible.append("order")
        chosen = [self.config.bottleneck] if self.config.bottleneck else []
        rest = [c for c in feasible if c not in chosen]
        extra = max(0, min(k, len(feasible)) - len(chosen))
        chosen += [str(c) for c in self.rng.choice(rest, size=extra, replace=False)] if extra else []
        return [c for c in CONSTRAINT_KINDS if c in chosen]

    def pick_tools(self, n_calls: int, kinds: list[str]) -> list[int]:
        """Ground-truth tools (distinct), satisfying what the unit and format constraints need."""
        cat, rng = catalog(), self.rng
        need = [ks for c, ks in (("unit", NUMBER_KINDS), ("format", ("date",))) if c in kinds]
        for _ in range(500):
            first = [int(rng.choice(tools_with(ks))) for ks in need][:n_calls]
            ids = first + [int(x) for x in rng.integers(len(cat), size=n_calls - len(first))]
            covered = all(any(k in ks for i in ids for k in cat[i].kinds()) for ks in need)
            if covered and len(set(ids)) == len(ids):
                return ids
        raise RuntimeError(f"toolcall seed {self.seed}: could not draw distinct tools")  # pragma: no cover

    def build(self) -> ToolTask:
        cfg, rng, cat = self.config, self.rng, catalog()
        n_calls, kinds = self.shape()
        gt_ids = self.pick_tools(n_calls, kinds) if n_calls else []
        order_pair: tuple[int, int] | None = None
        if "order" in kinds:  # the ground truth follows the order constraint; the request may state another order
            a, b = sorted(int(x) for x in rng.choice(n_calls, size=2, replace=False))
            order_pair = (gt_ids[a], gt_ids[b])
        # shown tools: the ground truth plus distractors, same domains first
        domains = {cat[i].domain for i in gt_ids}
        pool = [t.id for t in cat if t.domain in domains and t.id not in gt_ids]
        rng.shuffle(pool)
        taken = set(gt_ids) | set(pool)
        others = [x for x in rng.permutation(len(cat)).tolist() if x not in taken]
        shown = gt_ids + (pool[: max(0, (cfg.n_tools - len(gt_ids)) // 2)] + others)[: cfg.n_tools - len(gt_ids)]
        order = rng.permutation(len(shown))
        slots = [shown[i] for i in order]
        slot_of = {tool_id: s for s, tool_id in enumerate(slots)}

        unit_target = self._target(gt_ids, NUMBER_KINDS) if "unit" in kinds else None
        date_target = self._target(gt_ids, ("date",)) if "format" in kinds else None
        date_fmt = str(rng.choice(DATE_FORMATS)) if date_target else "YYYY-MM-DD"
        # more constraints than distinct kinds: repeat the kinds that can repeat, up to what the task holds
        n_extra = self.k - len(kinds)
        extra = dict.fromkeys(("forbidden_tool", "unit", "format", "order"), 0)
        unit_more: list[tuple[int, int]] = []
        date_more: list[tuple[int, int]] = []
        if n_extra > 0:
            unit_opts = [t for t in self._targets(gt_ids, NUMBER_KINDS) if t != unit_target] if unit_target else []
            date_opts = [t for t in self._targets(gt_ids, ("date",)) if t != date_target] if date_target else []
            room = {"forbidden_tool": len(slots) - len(gt_ids) - 1 if "forbidden_tool" in kinds else 0,
                    "unit": len(unit_opts), "format": len(date_opts),
                    "order": n_calls * (n_calls - 1) // 2 - 1 if "order" in kinds else 0}
            for _ in range(n_extra):
                open_kinds = [c for c in extra if extra[c] < room[c]]
                if not open_kinds:
                    break  # the task holds no more (documented: max_constraints is an upper bound)
                extra[str(rng.choice(open_kinds))] += 1
            unit_more = [unit_opts[i] for i in rng.permutation(len(unit_opts))[: extra["unit"]]]
            date_more = [date_opts[i] for i in rng.permutation(len(date_opts))[: extra["format"]]]
        unit_set = {unit_target, *unit_more} - {None}
        fmt_of = {date_target: date_fmt} if date_target else {}
        for t in date_more:
            fmt_of[t] = str(rng.choice(DATE_FORMATS))
        extras: list[tuple[str, dict]] = []
        constraints: dict[str, dict] = {}
        texts: list[str] = []
        clauses: list[str] = []
        gt_calls: list[tuple[int, dict]] = []
        candidates = [[() for _ in range(MAX_PARAMS)] for _ in range(MAX_TOOLS)]
        cand_flags = np.zeros((MAX_TOOLS, MAX_PARAMS, N_CANDIDATES, 2), dtype=np.int8)
        param_flags = np.zeros((MAX_TOOLS, MAX_PARAMS, 3), dtype=np.int8)
        gt_codes = np.full((MAX_GT_CALLS, MAX_PARAMS), -1, dtype=np.int8)
        for s, tool_id in enumerate(slots):
            tool = cat[tool_id]
            for p, param in enumerate(tool.params):
                param_flags[s, p, 0], param_flags[s, p, 1] = 1, param.required
                if tool_id not in gt_ids:
                    values: list[object] = []
                    seen: set[str] = set()
                    for _ in range(3 * N_CANDIDATES):  # small value sets (booleans, enums) give fewer candidates
                        v = self._schema_value(param.kind, _draw(param.kind, rng, param.enum), "YYYY-MM-DD")
                        if _key(v) not in seen:
                            values.append(v)
                            seen.add(_key(v))
                        if len(values) == N_CANDIDATES:
                            break
                    candidates[s][p] = tuple(values)
        for c, tool_id in enumerate(gt_ids):
            tool, s = cat[tool_id], slot_of[tool_id]
            params: dict[str, object] = {}
            phrases: list[str] = []
            for p, param in enumerate(tool.params):
                target = (c, p) in unit_set or (c, p) in fmt_of
                mentioned = param.required or target or rng.random() < 0.5
                value = _draw(param.kind, rng, param.enum)
                unit = UNITS[param.kind][0] if param.kind in NUMBER_KINDS else ""
                if (c, p) in unit_set:
                    unit = UNITS[param.kind][1]
                label = param.name.replace("_", " ")
                fmt = fmt_of.get((c, p), "YYYY-MM-DD")
                stated = value
                gt_value = convert(param.kind, value) if (c, p) in unit_set else \
                    self._schema_value(param.kind, value, fmt)  # type: ignore[arg-type]
                raw = self._raw_value(param.kind, stated)
                values = [gt_value]
                seen = {_key(gt_value)}
                for alt in self._alternatives(param.kind, value, raw, fmt):
                    if _key(alt) not in seen:
                        values.append(alt)
                        seen.add(_key(alt))
                for _ in range(3 * N_CANDIDATES):
                    if len(values) >= N_CANDIDATES:
                        break
                    alt = self._schema_value(param.kind, _draw(param.kind, rng, param.enum), fmt)
                    if _key(alt) not in seen:
                        values.append(alt)
                        seen.add(_key(alt))
                values = values[:N_CANDIDATES]
                perm = rng.permutation(len(values))
                values = [values[i] for i in perm]
                candidates[s][p] = tuple(values)
                for v, cand in enumerate(values):
                    cand_flags[s, p, v, 0] = _key(cand) == _key(raw)
                    cand_flags[s, p, v, 1] = _key(cand) == _key(gt_value)
                if mentioned:
                    param_flags[s, p, 2] = 1
                    params[param.name] = gt_value
                    gt_codes[c, p] = int(np.flatnonzero(perm == 0)[0])
                    phrases.append(_phrase(label, param.kind, stated, unit))
            gt_calls.append((s, params))
            clauses.append(f"{tool.verb.lower()} {tool.obj} in the {tool.domain} service ({'; '.join(phrases)})")

        # constraints
        code = f"REF-{int(rng.integers(1000, 10000))}"
        hard = cfg.bottleneck
        for kind in kinds:
            conflict = kind == hard or rng.random() < cfg.conflict_rate
            if kind == "max_calls":
                n = max(0, n_calls - 1) if conflict and n_calls else n_calls + int(rng.integers(0, 2))
                constraints[kind] = {"n": n}
                texts.append(f"Make at most {n} tool call{'s' if n != 1 else ''} in total." if n else
                             "Do not call any tool.")
            elif kind == "forbidden_tool":
                targets = gt_ids if conflict and gt_ids else [t for t in slots if t not in gt_ids]
                tool_id = int(rng.choice(targets))
                constraints[kind] = {"slot": slot_of[tool_id], "name": cat[tool_id].name}
                texts.append(f"Never call the tool {cat[tool_id].name}.")
                if extra[kind]:
                    rest = [t for t in slots if t not in gt_ids and t != tool_id]
                    for t in rng.choice(rest, size=extra[kind], replace=False):
                        extras.append((kind, {"slot": slot_of[int(t)], "name": cat[int(t)].name}))
                        texts.append(f"Never call the tool {cat[int(t)].name}.")
            elif kind == "unit":
                assert unit_target is not None
                for i, (c, p) in enumerate([unit_target, *unit_more]):
                    param = cat[gt_ids[c]].params[p]
                    spec = {"call": c, "param": p, "name": param.name}
                    if i == 0:
                        constraints[kind] = spec
                    else:
                        extras.append((kind, spec))
                    _, from_unit, to_name, rule = UNITS[param.kind]
                    whose = f" of {cat[gt_ids[c]].name}" if unit_more else ""
                    texts.append(f"The tools take {param.name}{whose} in {to_name}: convert values given in "
                                 f"{from_unit} ({rule}) and round to 1 decimal.")
            elif kind == "format":
                assert date_target is not None
                for i, (c, p) in enumerate([date_target, *date_more]):
                    param = cat[gt_ids[c]].params[p]
                    spec = {"call": c, "param": p, "name": param.name, "format": fmt_of[(c, p)]}
                    if i == 0:
                        constraints[kind] = spec
                    else:
                        extras.append((kind, spec))
                    texts.append(f"Write the {param.name} of {cat[gt_ids[c]].name} as {fmt_of[(c, p)]}, "
                                 "not YYYY-MM-DD.")
            elif kind == "order":
                assert order_pair is not None
                a, b = order_pair
                constraints[kind] = {"first": slot_of[a], "second": slot_of[b]}
                texts.append(f"Call {cat[a].name} before {cat[b].name}.")
                if extra[kind]:  # further pairs, all in the ground truth's order
                    pairs = [(i, j) for i in range(n_calls) for j in range(i + 1, n_calls)
                             if (gt_ids[i], gt_ids[j]) != order_pair]
                    for q in rng.permutation(len(pairs))[: extra[kind]]:
                        i, j = pairs[int(q)]
                        extras.append((kind, {"first": slot_of[gt_ids[i]], "second": slot_of[gt_ids[j]]}))
                        texts.append(f"Call {cat[gt_ids[i]].name} before {cat[gt_ids[j]].name}.")
            elif kind == "response_length":
                constraints[kind] = {"words": cfg.length_limit}
                texts.append(f"Keep the <response> to at most {cfg.length_limit} words.")
            elif kind == "response_field":
                constraints[kind] = {"text": code}
                texts.append(f"Your <response> must mention the reference {code}.")
        has_response = n_calls == 0 or "response_length" in constraints or "response_field" in constraints
        response = (f"Done, reference {code}." if "response_field" in constraints else "Done.") if has_response \
            else None
        if n_calls == 0:
            tool = cat[slots[int(rng.integers(len(slots)))]]
            request = f"Without calling any tool, tell me in one sentence what {tool.name} is for."
            response = f"It can {tool.description[0].lower()}{tool.description[1:]}" + \
                (f" Reference {code}." if "response_field" in constraints else "")
        else:
            request = "Please " + "; then ".join(clauses[i] for i in rng.permutation(len(clauses))) + "."
        long_words = cfg.length_limit + 6
        filler = " ".join(FILLER[i % len(FILLER)] for i in range(long_words - 2))
        responses = (f"Done, reference {code}.", "Done.", f"{filler} reference {code}.", f"{filler} ok.")
        assert len(responses) == N_RESPONSES
        return ToolTask(
            seed=self.seed, config=cfg, tools=tuple(slots), request=request, gt_calls=tuple(gt_calls),
            constraints=constraints, constraint_texts=tuple(texts), response=response,
            candidates=tuple(tuple(row) for row in candidates), cand_flags=cand_flags, param_flags=param_flags,
            responses=responses, gt_codes=gt_codes, extra_constraints=tuple(extras),
        )

    @staticmethod
    def _targets(gt_ids: list[int], kinds: tuple[str, ...]) -> list[tuple[int, int]]:
        cat = catalog()
        return [(c, p) for c, t in enumerate(gt_ids) for p, prm in enumerate(cat[t].params) if prm.kind in kinds]

    def _target(self, gt_ids: list[int], kinds: tuple[str, ...]) -> tuple[int, int]:
        cat = catalog()
        options = [(c, p) for c, t in enumerate(gt_ids) for p, prm in enumerate(cat[t].params) if prm.kind in kinds]
        return options[int(self.rng.integers(len(options)))]

    @staticmethod
    def _schema_value(kind: str, value: object, fmt: str) -> object:
        if kind == "date":
            return format_date(*value, fmt)  # type: ignore[misc]
        return value

    @staticmethod
    def _raw_value(kind: str, stated: object) -> object:
        """The value copied literally from the request."""
        if kind == "date":
            y, m, d = stated  # type: ignore[misc]
            return f"{MONTHS[m - 1]} {d}, {y}"
        return stated

    @staticmethod
    def _alternatives(kind: str, value: object, raw: object, fmt: str) -> list[object]:
        """Plausible wrong values: the literal copy, the other formats, a near miss."""
        out: list[object] = [raw]
        if kind == "date":
            out += [format_date(*value, f) for f in ("YYYY-MM-DD", *DATE_FORMATS) if f != fmt]  # type: ignore[misc]
        elif kind in NUMBER_KINDS:
            out += [float(value) + 1.0]  # type: ignore[arg-type]
        elif kind == "count":
            out += [int(value) + 1]  # type: ignore[call-overload]
        elif kind == "flag":
            out += [not value]
        return out


def generate(seed: int, config: ToolCallConfig | None = None) -> ToolTask:
    """The task of ``seed`` (deterministic; no global RNG)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    return _Builder(int(seed), config or ToolCallConfig()).build()


@lru_cache(maxsize=4096)
def generate_cached(seed: int, config: ToolCallConfig) -> ToolTask:
    """``generate`` with a cache (rows and resets regenerate the same tasks often)."""
    return generate(seed, config)
