"""Every aggregation scheme behind one interface: reward vectors of a group -> one advantage per rollout.

>>> import numpy as np
>>> from llm_bridge.aggregators import aggregate
>>> R = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]], dtype=float)  # [B=1, G=4, K=3]
>>> aggregate("grpo", R).round(4)
array([[ 0.7833, -0.2611,  0.7833, -1.3054]])
>>> aggregate("gdpo", R).round(4)
array([[ 0.7113, -0.2887,  0.866 , -1.2886]])

``rewards`` is ``[B, G, K]`` (NaN = objective not applicable) and the result ``[B, G]``; set-level schemes
(``vpo``, ``multi_rlvr``, ``max_at_k``) take chains ``[B, G, m, K]``. Numpy in, numpy out; a torch tensor in gives a
tensor out on the same device. Formulas, sources and conventions: ``docs/aggregators/``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from llm_bridge.aggregators import dvao as _dvao  # noqa: F401  (registers the scheme)
from llm_bridge.aggregators import gdpo as _gdpo  # noqa: F401
from llm_bridge.aggregators import grpo as _grpo  # noqa: F401
from llm_bridge.aggregators import morl as _morl  # noqa: F401
from llm_bridge.aggregators import outcome as _outcome  # noqa: F401
from llm_bridge.aggregators import rvpo as _rvpo  # noqa: F401
from llm_bridge.aggregators import setlevel as _setlevel  # noqa: F401
from llm_bridge.aggregators._registry import AGGREGATORS, SPECS, AggregatorSpec

#: Registry order (tables, docs, the ``vecreward advantages`` command): the issue's listing.
ORDER: tuple[str, ...] = (
    "grpo", "dr_grpo", "linear", "gdpo", "mo_grpo", "dvao", "rvpo", "vpo", "multi_rlvr", "max_at_k",
    "tchebycheff", "pareto_rank", "hv_contribution", "psr", "nsr", "w_reinforce",
)
for _name in ORDER:  # re-insert in ORDER (dicts keep insertion order)
    SPECS[_name] = SPECS.pop(_name)
    AGGREGATORS[_name] = AGGREGATORS.pop(_name)

__all__ = ["AGGREGATORS", "ORDER", "SPECS", "AggregatorSpec", "aggregate", "get_spec"]


def get_spec(name: str) -> AggregatorSpec:
    """The registry entry of ``name``; unknown names fail with the list of valid ones."""
    try:
        return SPECS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown aggregator {name!r}; valid names: {', '.join(SPECS)}") from None


def aggregate(
    name: str,
    rewards: Any,
    *,
    weights: Any = None,
    rng: np.random.Generator | None = None,
    step: int = 0,
    **params: Any,
) -> Any:
    """Turn reward vectors into advantages with the scheme ``name``.

    Args:
        name: A key of :data:`AGGREGATORS` (``grpo``, ``dr_grpo``, ``linear``, ``gdpo``, ``mo_grpo``, ``dvao``,
            ``rvpo``, ``vpo``, ``multi_rlvr``, ``max_at_k``, ``tchebycheff``, ``pareto_rank``,
            ``hv_contribution``, ``psr``, ``nsr``, ``w_reinforce``).
        rewards: ``[B, G, K]`` rewards (``[B, G, m, K]`` for set-level schemes), NaN = not applicable; numpy,
            nested lists or a torch tensor.
        weights: Static objective weights ``[K]`` (default all 1) for the schemes that use them.
        rng: Generator for schemes that draw random numbers (``vpo`` without ``weights_matrix``; the Monte-Carlo
            path of ``hv_contribution`` uses it when given).
        step: Training step, for schedules (``rvpo``'s temperature).
        **params: The scheme's parameters (see ``SPECS[name].defaults()``); unknown names fail at once.

    Returns:
        ``[B, G]`` advantages, same array kind as ``rewards``.

    Raises:
        ValueError: Unknown scheme or parameter, bad parameter value, wrong shape, infinite rewards.
    """
    get_spec(name)
    return AGGREGATORS[name](rewards, weights=weights, rng=rng, step=step, **params)
