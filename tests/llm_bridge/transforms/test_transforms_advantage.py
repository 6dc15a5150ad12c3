"""Advantage transforms: keep one sign, clip."""

import numpy as np
import pytest

from llm_bridge.transforms import clip, negative_only, positive_only

A = np.array([[0.5, -1.5, 0.0, 3.0]])


def test_sign_filters() -> None:
    np.testing.assert_array_equal(negative_only(A), [[0.0, -1.5, 0.0, 0.0]])
    np.testing.assert_array_equal(positive_only(A), [[0.5, 0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(negative_only(A) + positive_only(A), A)


def test_clip() -> None:
    np.testing.assert_array_equal(clip(A, low=-1, high=1), [[0.5, -1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(clip(A, high=0.25), [[0.25, -1.5, 0.0, 0.25]])
    np.testing.assert_array_equal(clip(A, low=0), positive_only(A))


@pytest.mark.parametrize(("fn", "kwargs", "message"), [
    (clip, {}, "give low, high or both"),
    (clip, {"low": 1, "high": 0}, "low \\(1.0\\) must be <= high \\(0.0\\)"),
    (clip, {"low": float("nan")}, "'low' must be a finite number"),
    (negative_only, {}, None),
])
def test_bad_arguments(fn, kwargs: dict, message: str | None) -> None:  # noqa: ANN001
    if message is None:
        with pytest.raises(ValueError, match="advantages must be \\[B, G\\]"):
            fn(A[0], **kwargs)
        with pytest.raises(ValueError, match="advantages must be finite"):
            fn(np.array([[np.nan]]), **kwargs)
        return
    with pytest.raises(ValueError, match=message):
        fn(A, **kwargs)
