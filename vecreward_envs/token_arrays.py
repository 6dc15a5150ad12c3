"""Validation shared by every family's structured answers: rectangular integer code arrays [N, L]."""

from __future__ import annotations

import numpy as np


def as_code_array(answers: object, name: str, n_codes: int, what: str, pad: str, legend: str) -> np.ndarray:
    """``answers`` as int8 [N, L] codes in [0, n_codes) (1-D input is one answer); a clear error otherwise.

    Args:
        answers: anything ``np.asarray`` takes; whole-number floats are accepted.
        name: the argument's name, for messages.
        n_codes: codes are 0..n_codes-1.
        what: what a code is, for messages ("move codes", "DSL tokens").
        pad: how to pad ragged answers, for messages ("STOP=4").
        legend: what the valid codes mean, appended to an out-of-range message.

    Raises:
        ValueError: ragged, not 1-D/2-D, not integers, or a code out of range (the first one is named).
    """
    try:
        array = np.asarray(answers)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular [N, L] array of {what} (pad with {pad}): {exc}") from exc
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape [N, L] (or [L]), got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer {what} 0..{n_codes - 1}, got dtype {array.dtype}")
    if array.size:
        bad = (array < 0) | (array >= n_codes)
        if bad.any():
            n, i = map(int, np.argwhere(bad)[0])
            raise ValueError(f"{name}[{n}, {i}] = {array[n, i]} is not {legend}")
    return np.ascontiguousarray(array, dtype=np.int8)
