"""Structured answers written token by token: L values, then STOP.

Position t < L offers the V values (the reserved value V-1 included: it is the ``proxy``'s flourish, and masking it
would change the task between settings with and without the proxy); from t = L on only STOP. The features are the
one-hot position (L + 1 wide, the last entry: finished), which tells the network which rule the next value follows.
"""

from __future__ import annotations

import numpy as np


class StructureCursor:
    """N answers of L value tokens each (STOP = V ends an answer anywhere)."""

    def __init__(self, n: int, length: int, n_values: int) -> None:
        self.length = int(length)
        self.n_values = int(n_values)
        self.t = np.zeros(n, dtype=np.int64)  # [N] next position
        self.stopped = np.zeros(n, dtype=np.bool_)  # [N] STOP written early
        self._eye = np.eye(self.length + 1, dtype=np.float32)

    @property
    def done(self) -> np.ndarray:
        """Bool [N]: L values written, or STOP."""
        return self.stopped | (self.t >= self.length)

    @property
    def n_features(self) -> int:
        """F = L + 1 (one-hot position)."""
        return self.length + 1

    def valid_moves(self) -> np.ndarray:
        """Bool [N, V + 1]: the V values while writing, only STOP once done."""
        done = self.done
        valid = np.zeros((self.t.shape[0], self.n_values + 1), dtype=np.bool_)
        valid[~done, : self.n_values] = True
        valid[done, self.n_values] = True
        return valid

    def advance(self, tokens: np.ndarray) -> None:
        """Apply one token [N] per unfinished answer (finished answers ignore theirs)."""
        tokens = np.asarray(tokens, dtype=np.int64).reshape(-1)
        live = ~self.done
        self.stopped |= live & ((tokens < 0) | (tokens >= self.n_values))
        self.t[live & ~self.stopped] += 1

    def features(self) -> np.ndarray:
        """float32 [N, L + 1]: one-hot of the next position (the last column once done)."""
        return self._eye[np.where(self.done, self.length, self.t)]
