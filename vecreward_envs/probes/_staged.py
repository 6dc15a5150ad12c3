"""A cursor for answers of a fixed number of stages, each stage choosing one token from its own range."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class StagedCursor:
    """Token-by-token state of N answers: stage ``s`` may only use tokens ``ranges[s]``, then only STOP.

    Args:
        n: answers decoded at once.
        ranges: ``(first, stop)`` token range (half-open) of each stage.
        vocab_size: tokens in the answer vocabulary (STOP is the last one).
    """

    n_features = 0

    def __init__(self, n: int, ranges: Sequence[tuple[int, int]], vocab_size: int) -> None:
        self.ranges = tuple(ranges)
        self.vocab_size = vocab_size
        self.stage = np.zeros(n, dtype=np.int64)
        self.done = np.zeros(n, dtype=np.bool_)

    def valid_moves(self) -> np.ndarray:
        """Bool [N, V]: the tokens each answer may write next."""
        valid = np.zeros((self.stage.shape[0], self.vocab_size), dtype=np.bool_)
        for s, (lo, hi) in enumerate(self.ranges):
            valid[(self.stage == s) & ~self.done, lo:hi] = True
        valid[(self.stage >= len(self.ranges)) | self.done, self.vocab_size - 1] = True
        return valid

    def advance(self, tokens: np.ndarray) -> None:
        """Consume one token per answer (STOP ends an answer)."""
        tokens = np.asarray(tokens)
        self.done |= tokens == self.vocab_size - 1
        self.stage += 1

    def features(self) -> np.ndarray:
        """No cursor features (the stage is implied by the previous token)."""
        return np.zeros((self.stage.shape[0], 0), dtype=np.float32)


def first_tokens(answers: np.ndarray, stages: int) -> np.ndarray:
    """int64 [N, stages]: the first ``stages`` tokens of each answer [N, L] (padded with -1 if shorter)."""
    a = np.asarray(answers, dtype=np.int64)
    out = np.full((a.shape[0], stages), -1, dtype=np.int64)
    width = min(stages, a.shape[1]) if a.ndim == 2 else 0
    out[:, :width] = a[:, :width]
    return out
