"""Every aggregation scheme behind one interface: reward vectors of a group -> one advantage per rollout.

>>> import numpy as np
>>> from llm_bridge.aggregators import aggregate
>>> R = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]], dtype=float)  # [B=1, G=4, K=3]
>>> aggregate("grpo", R).round(4)
array([[ 0.7833, -0.2611,  0.7833, -1.3054]])
>>> aggregate("gdpo", R).round(4)
array([[ 0.7113, -0.2887,  0.866 , -1.2886]])

``rewards`` is ``[B, G, K]`` (NaN = objective not applicable) and the result ``[B, G]``; set-level schemes
(``SPECS[name].kind == "set_level"``) take chains ``[B, G, m, K]``. Numpy in, numpy out; a torch tensor in gives a
tensor out on the same device. Formulas, sources and conventions: ``docs/aggregators/``.

``SPECS`` and ``AGGREGATORS`` list the schemes by their spec's ``order``; each spec declares its kind, what it
needs from the task or the run (:func:`run_params` fills it) and the chain length it trains with. Adding a scheme:
one module that registers it, one import below, one page ``docs/aggregators/<name>.md``.
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
from llm_bridge.aggregators._registry import (
    AGGREGATORS,
    SPECS,
    AggregatorSpec,
    Kind,
    Need,
    get_spec,
    run_params,
    scheme_names,
)

__all__ = [
    "AGGREGATORS",
    "SPECS",
    "AggregatorSpec",
    "Kind",
    "Need",
    "aggregate",
    "get_spec",
    "run_params",
    "scheme_names",
]


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
        name: A key of :data:`AGGREGATORS` (the registered schemes, listed in ``docs/aggregators/index.md``).
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
