"""Checks of output directories given on the command line: one-line errors before anything runs."""

from __future__ import annotations

import os
from pathlib import Path


def writable_dir(path: Path, flag: str) -> None:
    """Create ``path`` if needed and check it is a directory this process can write into.

    Raises:
        ValueError: one line naming ``flag``: the path is a file, cannot be created, or is not writable.
    """
    if path.exists() and not path.is_dir():
        raise ValueError(f"{flag} {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{flag} {path} cannot be created: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"{flag} {path} is not writable")
