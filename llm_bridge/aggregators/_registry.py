"""The aggregator registry: one spec per scheme, one generic wrapper that validates and converts.

A scheme is written as a *kernel* ``kernel(rewards, weights, params, rng, step) -> advantages`` over float64
numpy arrays that are already checked (right rank, no infinities, NaN = not applicable, non-empty), plus a frozen
dataclass of its parameters that validates values in ``__post_init__``. :func:`register` wraps the kernel into the
public callable ``fn(rewards, *, weights=None, rng=None, step=0, **params)`` stored in ``AGGREGATORS``.

Each spec also declares what the rest of the code needs to know about its scheme (its kind, its place in the
listing, what it needs from the task or the run, the chain length it trains with), so that no other place keeps a
list of scheme names: ``SPECS`` and ``AGGREGATORS`` are kept sorted by ``order`` as schemes register.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from llm_bridge._arrays import as_float_array, from_numpy_like, is_torch_tensor

__all__ = [
    "AGGREGATORS",
    "SPECS",
    "AggregatorSpec",
    "CommonParams",
    "KINDS",
    "Kernel",
    "Kind",
    "NEEDS",
    "Need",
    "check_choice",
    "check_float",
    "check_int",
    "check_vector",
    "get_spec",
    "register",
    "run_params",
    "scheme_names",
]

Kernel = Callable[[np.ndarray, np.ndarray, Any, "np.random.Generator | None", int], np.ndarray]


# --------------------------------------------------------------------------------------------------------------
# Parameter validation helpers (used by every scheme's params dataclass).


def check_float(
    scheme: str, name: str, value: Any, *, low: float | None = None, low_open: bool = False,
    high: float | None = None, allow_inf: bool = False,
) -> float:
    """Validate a real-valued parameter and return it as ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{scheme}: parameter {name!r} must be a real number, got {value!r}")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{scheme}: parameter {name!r} must be finite, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        rel = ">" if low_open else ">="
        raise ValueError(f"{scheme}: parameter {name!r} must be {rel} {low}, got {value!r}")
    if high is not None and v > high:
        raise ValueError(f"{scheme}: parameter {name!r} must be <= {high}, got {value!r}")
    return v


def check_int(scheme: str, name: str, value: Any, *, low: int | None = None) -> int:
    """Validate an integer parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{scheme}: parameter {name!r} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{scheme}: parameter {name!r} must be >= {low}, got {value!r}")
    return int(value)


def check_choice(scheme: str, name: str, value: Any, choices: Sequence[str]) -> str:
    """Validate a string parameter against its allowed values."""
    if value not in choices:
        raise ValueError(f"{scheme}: parameter {name!r} must be one of {list(choices)}, got {value!r}")
    return value


def check_vector(scheme: str, name: str, value: Any, k: int | None = None) -> np.ndarray:
    """Validate a scalar-or-vector parameter (e.g. a utopia point); returns a float64 array (scalar -> shape ())."""
    arr = as_float_array(value, f"{scheme}: parameter {name!r}")
    if arr.ndim > 1:
        raise ValueError(f"{scheme}: parameter {name!r} must be a number or a 1-D list, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{scheme}: parameter {name!r} must be finite, got {value!r}")
    if k is not None and arr.ndim == 1 and arr.shape[0] != k:
        raise ValueError(f"{scheme}: parameter {name!r} has {arr.shape[0]} entries, rewards have K={k}")
    return arr


# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommonParams:
    """Parameters every scheme accepts.

    Attributes:
        nan_policy: How NaN entries (objective not applicable) are read. ``"exclude"`` (default): skipped by every
            statistic and sum. ``"zero"``: read as 0 (the NVlabs GDPO reference calls ``nan_to_num`` first).
            Under both, a rollout whose entries are *all* NaN is unscorable: it gets advantage 0 and is left out
            of the statistics.
    """

    nan_policy: Literal["exclude", "zero"] = "exclude"

    def __post_init__(self) -> None:
        check_choice(self._scheme(), "nan_policy", self.nan_policy, ("exclude", "zero"))

    @classmethod
    def _scheme(cls) -> str:
        return getattr(cls, "SCHEME", cls.__name__)


Kind = Literal["scalarized", "per_objective", "set_level", "dominance", "outcome"]
"""What a scheme does with the reward vectors (the groups of ``docs/aggregators/index.md``).

- ``"scalarized"``: one scalar per rollout (a weighted sum or a scalarization), then normalized within the group.
- ``"per_objective"``: each objective normalized within the group (z-scores), then combined.
- ``"set_level"``: chains of m answers per rollout, ``[B, G, m, K]``; the chain's set of answers is scored.
- ``"dominance"``: whole vectors compared by Pareto dominance (rank, hypervolume); cost grows fast with G and K.
- ``"outcome"``: a pass/fail outcome per rollout, no group baseline (the advantage ignores the other rollouts).
"""

Need = Literal["success_objectives", "total_steps"]
"""A parameter that is filled from the task or the run rather than chosen by the user (see ``run_params``).

- ``"success_objectives"``: the task's objectives whose passing means success (from the task family).
- ``"total_steps"``: the run's number of training steps (for a schedule spanning the run).
"""

NEEDS: tuple[Need, ...] = ("success_objectives", "total_steps")
"""Every value of :data:`Need`."""

KINDS: tuple[Kind, ...] = ("scalarized", "per_objective", "set_level", "dominance", "outcome")
"""Every value of :data:`Kind`."""


@dataclass(frozen=True)
class AggregatorSpec:
    """Everything the registry knows about one scheme: its computation and what it declares about itself.

    Adding a scheme is one module that calls :func:`register` with a spec, one import in
    ``llm_bridge/aggregators/__init__.py`` and one page ``docs/aggregators/<name>.md``; tables, the CLI, the
    comparison grid, tests and benchmarks read the spec's fields, never a list of names.

    Attributes:
        name: Registry name (also the name of the docs page, ``docs/aggregators/<name>.md``).
        kernel: The computation over validated float64 arrays.
        params: Frozen dataclass of the scheme's parameters (with defaults).
        kind: What the scheme does with the reward vectors (see :data:`Kind`); ``"set_level"`` schemes take
            ``[B, G, m, K]`` chains, every other kind ``[B, G, K]``.
        order: Place in every listing (``SPECS``, tables, ``all``): schemes are listed by increasing ``order``,
            which must be unique.
        summary: One line for tables and ``--help``.
        needs: Parameters filled from the task or the run (see :data:`Need`), each a parameter of ``params``;
            :func:`run_params` fills them.
        chain_length: Answers per rollout (m) the scheme is meant to be trained with: more than 1 for set-level
            schemes (3, VPO's default), 1 for every other kind.
        uses_weights: Whether static objective weights ``w`` mean something to this scheme.
        nonnegative_weights: Whether the weights must be >= 0 (mixture or scalarization weights).
        batch_level: Whether advantages depend on other groups of the batch (batch statistics).
    """

    name: str
    kernel: Kernel
    params: type[CommonParams]
    kind: Kind
    order: int
    summary: str
    needs: tuple[Need, ...] = ()
    chain_length: int = 1
    uses_weights: bool = True
    nonnegative_weights: bool = False
    batch_level: bool = False

    def __post_init__(self) -> None:
        where = f"aggregator spec {self.name!r}"
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"{where}: the name must be a lower-case Python identifier")
        if self.kind not in KINDS:
            raise ValueError(f"{where}: kind must be one of {list(KINDS)}, got {self.kind!r}")
        if isinstance(self.order, bool) or not isinstance(self.order, int):
            raise ValueError(f"{where}: order must be an integer, got {self.order!r}")
        if not isinstance(self.needs, tuple) or len(set(self.needs)) != len(self.needs):
            raise ValueError(f"{where}: needs must be a tuple without repeats, got {self.needs!r}")
        for need in self.needs:
            if need not in NEEDS:
                raise ValueError(f"{where}: unknown need {need!r}; valid: {list(NEEDS)}")
            if need not in self.param_names:
                raise ValueError(f"{where}: needs {need!r}, which is not a parameter of {self.params.__name__}")
        if isinstance(self.chain_length, bool) or not isinstance(self.chain_length, int) or self.chain_length < 1:
            raise ValueError(f"{where}: chain_length must be an integer >= 1, got {self.chain_length!r}")
        if (self.kind == "set_level") != (self.chain_length > 1):
            raise ValueError(f"{where}: chain_length must be > 1 for a set-level scheme and 1 otherwise, got "
                             f"kind={self.kind!r}, chain_length={self.chain_length}")

    @property
    def level(self) -> Literal["vector", "set"]:
        """``"vector"``: takes ``[B, G, K]``; ``"set"``: takes ``[B, G, m, K]`` (chains of m answers)."""
        return "set" if self.kind == "set_level" else "vector"

    @property
    def group_baseline(self) -> bool:
        """Whether the advantage is measured against the group (False for ``"outcome"`` schemes).

        With a baseline, a lone rollout or a group of identical rollouts gets advantage 0.
        """
        return self.kind != "outcome"

    @property
    def doc(self) -> str:
        """Name of the docs page under ``docs/aggregators/`` (``<name>.md``)."""
        return f"{self.name}.md"

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the scheme's parameters (``weights``, ``rng``, ``step`` excluded)."""
        return tuple(f.name for f in dataclasses.fields(self.params))

    def defaults(self) -> dict[str, Any]:
        """Default value of every parameter."""
        return dataclasses.asdict(self.params())

    def make_params(self, params: dict[str, Any]) -> CommonParams:
        """Build the params dataclass, rejecting unknown names at once with the list of valid ones."""
        unknown = sorted(set(params) - set(self.param_names))
        if unknown:
            valid = ", ".join(self.param_names) + ", weights, rng, step"
            raise ValueError(f"{self.name}: unknown parameter(s) {unknown}; valid parameters: {valid}")
        return self.params(**params)


SPECS: dict[str, AggregatorSpec] = {}
AGGREGATORS: dict[str, Callable[..., Any]] = {}


def _check_rewards(spec: AggregatorSpec, rewards: Any) -> np.ndarray:
    r = as_float_array(rewards, f"{spec.name}: rewards")
    want = 3 if spec.level == "vector" else 4
    if r.ndim != want:
        layout = "[B, G, K]" if want == 3 else "[B, G, m, K]"
        hint = (
            " (a set-level scheme: one chain of m answers per rollout; for single answers pass "
            "rewards[:, :, None, :])" if want == 4 else ""
        )
        raise ValueError(f"{spec.name}: rewards must be {want}-D {layout}{hint}; got shape {r.shape}")
    inf = np.isinf(r)
    if inf.any():
        where = tuple(int(i) for i in np.argwhere(inf)[0])
        raise ValueError(
            f"{spec.name}: rewards contain infinite values (first at index {where}); "
            "use NaN for 'not applicable' and finite numbers otherwise"
        )
    return r


def _check_weights(spec: AggregatorSpec, weights: Any, k: int) -> np.ndarray:
    if weights is None:
        return np.ones(k)
    if not spec.uses_weights:
        raise ValueError(f"{spec.name}: this scheme does not use static objective weights; pass weights=None")
    w = as_float_array(weights, f"{spec.name}: weights")
    if w.ndim != 1 or w.shape[0] != k:
        raise ValueError(f"{spec.name}: weights must be a 1-D list of K={k} numbers, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{spec.name}: weights must be finite, got {w.tolist()}")
    if spec.nonnegative_weights and np.any(w < 0):
        raise ValueError(f"{spec.name}: weights must be >= 0 for this scheme, got {w.tolist()}")
    return w


def register(spec: AggregatorSpec) -> Callable[..., Any]:
    """Add a scheme to the registry and return its public callable.

    The callable's contract: ``fn(rewards, *, weights=None, rng=None, step=0, **params) -> advantages``.
    ``rewards`` is ``[B, G, K]`` (``[B, G, m, K]`` for set-level schemes), numpy or torch; advantages are
    ``[B, G]``, numpy for numpy input, a tensor on the input's device for tensor input.
    """
    if spec.name in SPECS:
        raise ValueError(f"aggregator {spec.name!r} registered twice")
    taken = [other.name for other in SPECS.values() if other.order == spec.order]
    if taken:
        raise ValueError(f"aggregator {spec.name!r}: order {spec.order} is already taken by {taken[0]!r}")

    def aggregator(
        rewards: Any,
        *,
        weights: Any = None,
        rng: np.random.Generator | None = None,
        step: int = 0,
        **params: Any,
    ) -> Any:
        p = spec.make_params(params)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise ValueError(f"{spec.name}: rng must be a numpy.random.Generator (np.random.default_rng(seed))")
        check_int(spec.name, "step", step, low=0)
        r = _check_rewards(spec, rewards)
        w = _check_weights(spec, weights, r.shape[-1])
        b, g = r.shape[:2]
        if b == 0 or g == 0 or r.shape[-1] == 0 or (spec.level == "set" and r.shape[2] == 0):
            out = np.zeros((b, g))
        else:
            if p.nan_policy == "zero":
                nan = np.isnan(r)
                if nan.any():
                    row_all_nan = nan.all(axis=tuple(range(2, r.ndim)), keepdims=True)
                    r = np.where(nan & ~row_all_nan, 0.0, r)
            out = spec.kernel(r, w, p, rng, int(step))
        return from_numpy_like(out, rewards) if is_torch_tensor(rewards) else out

    aggregator.__name__ = spec.name
    aggregator.__qualname__ = spec.name
    aggregator.__doc__ = _public_doc(spec)
    SPECS[spec.name] = spec
    AGGREGATORS[spec.name] = aggregator
    for name in sorted(SPECS, key=lambda n: SPECS[n].order):  # keep both dicts in listing order
        SPECS[name] = SPECS.pop(name)
        AGGREGATORS[name] = AGGREGATORS.pop(name)
    return aggregator


def get_spec(name: str) -> AggregatorSpec:
    """The registry entry of ``name``; unknown names fail with the list of valid ones."""
    try:
        return SPECS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown aggregator {name!r}; valid names: {', '.join(SPECS)}") from None


def scheme_names() -> tuple[str, ...]:
    """Every registered scheme, in listing order (increasing ``order``)."""
    return tuple(SPECS)


def run_params(name: str, *, success_objectives: Sequence[int] | None, total_steps: int | None) -> dict[str, Any]:
    """The parameters that scheme ``name`` declares in ``needs``, filled from the task and the run.

    A need whose value is unknown (no success objectives, an empty list, no step count) is left out, so the
    scheme's default applies. Schemes without needs get ``{}``.

    Args:
        name: A registered scheme.
        success_objectives: The task's objectives whose passing means success (``None``: the task has none).
        total_steps: The run's number of training steps (``None``: unknown).

    Returns:
        ``{parameter: value}`` for the scheme's needs, in the order the spec declares them.

    Raises:
        ValueError: unknown scheme.
    """
    spec = get_spec(name)
    objectives = list(success_objectives) if success_objectives is not None else []
    known: dict[str, Any] = {
        "success_objectives": objectives or None,
        "total_steps": total_steps,
    }
    return {need: known[need] for need in spec.needs if known[need] is not None}


def _public_doc(spec: AggregatorSpec) -> str:
    layout = "[B, G, K]" if spec.level == "vector" else "[B, G, m, K]"
    params_doc = (spec.params.__doc__ or "").strip()
    kernel_doc = (spec.kernel.__doc__ or "").strip()
    return (
        f"{spec.summary}\n\n{kernel_doc}\n\n"
        f"Call as ``{spec.name}(rewards, *, weights=None, rng=None, step=0, **params)`` with rewards {layout} "
        f"(NaN = not applicable); returns advantages [B, G].\n\n{params_doc}\n"
    )
