"""Small array helpers shared by aggregators and transforms: NaN-aware statistics and tensor round trips.

Conventions used throughout :mod:`llm_bridge`:

- NaN means "not applicable"; statistics skip NaN entries.
- A statistic over fewer than ``ddof + 1`` valid entries has no spread: its standard deviation is 0.
- Means are computed around the first valid entry (``x0 + mean(x - x0)``), so a group whose valid entries are all
  equal has centred values exactly 0 and a standard deviation exactly 0. Round-off therefore never turns a
  constant group into non-zero advantages, whatever ``eps`` is (even 0).
- Masked arrays are passed as ``(filled, valid)``: ``filled`` holds 0 where the entry is NaN and ``valid`` is a
  float 0/1 mask, or ``None`` when nothing is NaN (the fast path). Arithmetic masks are much faster than boolean
  ``np.where`` / reductions on the short axes (G, K) that dominate here; sums go through ``einsum``.
- Torch is imported only when the caller hands in a torch tensor.
"""

from __future__ import annotations

import string
import sys
from typing import Any

import numpy as np

__all__ = [
    "as_float_array",
    "axis_sum",
    "from_numpy_like",
    "is_torch_tensor",
    "masked_center_std",
    "safe_divide",
    "split_nan",
]

_DMAX = np.finfo(np.float64).max


def is_torch_tensor(x: Any) -> bool:
    """Whether ``x`` is a torch tensor, without importing torch when the caller has not."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def as_float_array(x: Any, what: str) -> np.ndarray:
    """Convert array-likes (lists, numpy arrays, torch tensors on any device) to a float64 numpy array.

    Args:
        x: The input.
        what: Name used in error messages (e.g. ``"grpo: rewards"``).

    Returns:
        A float64 array (a copy when a conversion was needed).

    Raises:
        ValueError: If ``x`` is not numeric or is ragged.
    """
    if is_torch_tensor(x):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{what} must be a rectangular numeric array: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
        raise ValueError(f"{what} must be numeric, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{what} must be real, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def from_numpy_like(result: np.ndarray, like: Any) -> Any:
    """Return ``result`` as the same kind of array as ``like``.

    A torch tensor ``like`` gives a tensor on the same device, with ``like``'s dtype when it is floating point and
    float32 otherwise. Anything else gives the numpy array unchanged.
    """
    if not is_torch_tensor(like):
        return result
    import torch  # only reached when the caller already uses torch

    dtype = like.dtype if like.is_floating_point() else torch.float32
    return torch.as_tensor(result, device=like.device, dtype=dtype)


def split_nan(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(filled, valid)``: ``x`` with NaN replaced by 0 and the float 0/1 validity mask (``None`` if no NaN)."""
    nan = np.isnan(x)
    if not nan.any():
        return x, None
    valid = 1.0 - nan
    return np.fmax(x, -_DMAX) * valid, valid  # fmax maps NaN to a finite number, the mask then zeroes it


def safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, else ``num`` (callers guarantee ``num == 0`` there: a zero spread)."""
    return num / np.where(den > 0, den, 1.0)


def axis_sum(x: np.ndarray, axes: tuple[int, ...], y: np.ndarray | None = None) -> np.ndarray:
    """``sum(x, axes)`` (or ``sum(x * y, axes)``) with the reduced axes kept as size 1, through ``einsum``."""
    letters = string.ascii_letters[: x.ndim]
    out = "".join(c for i, c in enumerate(letters) if i not in axes)
    spec = f"{letters},{letters}->{out}" if y is not None else f"{letters}->{out}"
    s = np.einsum(spec, x, y) if y is not None else np.einsum(spec, x)
    return np.asarray(s).reshape([1 if i in axes else n for i, n in enumerate(x.shape)])


def _first_valid(filled: np.ndarray, valid: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """The first valid element along ``axes`` (row-major over them), 0 where none is valid; keepdims layout."""
    if len(axes) == 1:
        # Walk the axis only as far as needed: the first entry is almost always valid.
        ax = axes[0]
        first = np.take(filled, [0], axis=ax)
        missing = np.take(valid, [0], axis=ax) == 0
        j = 1
        while j < filled.shape[ax] and missing.any():
            first = np.where(missing, np.take(filled, [j], axis=ax), first)
            missing &= np.take(valid, [j], axis=ax) == 0
            j += 1
        return first
    keep = [a for a in range(filled.ndim) if a not in axes]
    perm = keep + list(axes)
    lead = tuple(filled.shape[a] for a in keep)
    f = np.transpose(filled, perm).reshape(*lead, -1)
    v = np.transpose(valid, perm).reshape(*lead, -1)
    first = np.take_along_axis(f, np.argmax(v, axis=-1)[..., None], axis=-1)  # 0 where nothing is valid
    return first.reshape([1 if a in axes else n for a, n in enumerate(filled.shape)])


def masked_center_std(
    x: np.ndarray, axis: int | tuple[int, ...], ddof: int, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre ``x`` over ``axis`` and compute its standard deviation, skipping invalid entries.

    Args:
        x: Values, 0 at invalid entries (see :func:`split_nan`); non-empty along ``axis``.
        axis: Axis or axes the statistics run over.
        ddof: Delta degrees of freedom (1 = sample std, 0 = population std).
        valid: Float 0/1 mask of the valid entries, or ``None`` when all are valid.

    Returns:
        ``(centred, std, count)``: ``centred = x - mean`` (0 at invalid entries), and ``std`` and ``count`` (the
        number of valid entries) with the reduced axes kept as size-1 dimensions. ``std`` is 0 where
        ``count <= ddof``.
    """
    axes = tuple(sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)))
    kept_shape = [1 if a in axes else n for a, n in enumerate(x.shape)]
    if valid is None:
        count = np.full(kept_shape, float(np.prod([x.shape[a] for a in axes])))
        first = x[tuple(slice(0, 1) if a in axes else slice(None) for a in range(x.ndim))]
        d = x - first
        centred = d - axis_sum(d, axes) / count
    else:
        count = axis_sum(valid, axes)
        d = (x - _first_valid(x, valid, axes)) * valid
        centred = (d - axis_sum(d, axes) / np.maximum(count, 1.0)) * valid
    ss = axis_sum(centred, axes, centred)
    dof = count - ddof
    std = np.sqrt(ss / np.where(dof > 0, dof, np.inf))
    return centred, std, count
