"""``reset`` options of every vector env: which envs to reset, and which tasks to put in them.

``options["reset_mask"]`` (bool [N]) resets only those envs. ``options["instances"]`` (N tasks of the env's config)
or ``options["seeds"]`` (N instance seeds) places chosen tasks, e.g. one task in all G envs of a GRPO group; the
entries of envs outside the mask are not used. Anything malformed raises a one-line ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

Task = TypeVar("Task")
OPTIONS = ("instances", "seeds", "reset_mask")


class TaskSource(Protocol):
    """What a one-step single env offers for choosing its task (``reset`` and the vector shell use it)."""

    def as_instance(self, value: object, what: str = "instance") -> Any:
        """``value`` checked to be a task of this env's config."""

    def instance_of_seed(self, seed: int) -> Any:
        """The task of an instance seed."""

    def draw_instance(self, rng: np.random.Generator) -> Any:
        """A task of the pool of unseeded resets, drawn by ``rng``."""


def checked_task(value: object, kind: type[Task], config: object, what: str) -> Task:
    """``value`` if it is a ``kind`` of ``config``, else a one-line ValueError naming ``what``."""
    if not isinstance(value, kind) or getattr(value, "config", None) != config:
        raise ValueError(f"{what} must be a {kind.__name__} of this env's config, got {type(value).__name__}")
    return value


def single_reset_task(env: TaskSource, seed: int | None, options: dict[str, Any] | None,
                      rng: np.random.Generator) -> Any:
    """The task a single env's ``reset`` shows: ``options["instance"]``, else the task of ``seed``, else a draw."""
    task = (options or {}).get("instance")
    if task is not None:
        return env.as_instance(task, "options['instance']")
    if seed is not None:
        return env.instance_of_seed(seed)
    return env.draw_instance(rng)


def generator_seed(seed: int | Sequence[int]) -> int:
    """``reset(seed=...)`` as one int: a list of seeds (one per env, Gymnasium's form) is hashed into one."""
    if isinstance(seed, (list, tuple, np.ndarray)):
        return int(np.random.SeedSequence([int(s) for s in seed]).generate_state(1)[0])
    return int(seed)


def reset_mask(options: dict[str, Any], num_envs: int) -> np.ndarray:
    """Bool [N]: the envs this reset resets (all unless ``options["reset_mask"]``); checks the option names."""
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown reset option(s) {sorted(unknown)}; valid: {', '.join(OPTIONS)}")
    if "reset_mask" not in options:
        return np.ones(num_envs, dtype=np.bool_)
    mask = np.asarray(options["reset_mask"])
    if mask.dtype != np.bool_ or mask.shape != (num_envs,):
        raise ValueError(f"options['reset_mask'] must be bool [{num_envs}], got {mask.dtype} {mask.shape}")
    return mask


def placed_tasks(options: dict[str, Any], mask: np.ndarray, as_instance: Callable[[object, str], Task],
                 instance_of_seed: Callable[[int], Task]) -> list[Task | None] | None:
    """The tasks ``options`` places, one per env (None outside ``mask``), or None when it places none.

    Args:
        options: the reset options.
        mask: bool [N], the envs being reset.
        as_instance: checks a given task (raises ValueError naming the entry).
        instance_of_seed: the task of an instance seed.
    """
    if "instances" in options and "seeds" in options:
        raise ValueError("options may hold 'instances' or 'seeds', not both")
    n = mask.shape[0]
    for key in ("instances", "seeds"):
        if key not in options:
            continue
        values = options[key]
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, np.ndarray)) or len(values) != n:
            raise ValueError(f"options[{key!r}] must be a sequence of num_envs={n} entries")
        out: list[Task | None] = []
        for i, value in enumerate(values):
            if not mask[i]:
                out.append(None)
            elif key == "instances":
                out.append(as_instance(value, f"options['instances'][{i}]"))
            elif isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"options['seeds'][{i}] must be a non-negative int, got {value!r}")
            else:
                out.append(instance_of_seed(int(value)))
        return out
    return None
