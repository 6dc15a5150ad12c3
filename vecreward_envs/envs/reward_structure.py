"""RewardStructure-v0: one answer per episode to a task whose reward structure is set by the env's knobs."""

from __future__ import annotations

import string
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from vecreward_envs.envs.action_checks import check_tokens, reset_needed
from vecreward_envs.envs.not_applicable import check_na_value, fill_not_applicable
from vecreward_envs.envs.placement import checked_task, single_reset_task
from vecreward_envs.envs.vector_modes import refuse_gymnasium_sync
from vecreward_envs.structure.config import StructureConfig
from vecreward_envs.structure.family import StructureFamily
from vecreward_envs.structure.instance import StructureInstance, generate_cached
from vecreward_envs.structure.text import MAX_COMPLETION_CHARS

_TEXT_CHARSET = frozenset(string.printable)
_PROMPT_CHARS = 16_384


class RewardStructureEnv(gym.Env):
    """Answer L values read off the features; K match objectives whose relation, granularity and noise are knobs.

    ## Description
    A family for mapping which aggregation scheme wins for which reward structure (``vecreward_envs.structure``;
    docs/envs/structure.md). An instance is F features x in 0..V-2 from a seeded generator; an answer is L values in
    0..V-1. Match objective k checks its positions against targets computed from x by its difficulty rule
    (``easy`` x[i], ``medium`` (x[i] + x[j]) mod (V-1), ``hard`` (x[i] * x[j] + x[l]) mod (V-1)). The ``relation``
    knob makes the objectives independent (disjoint positions), aligned (the same positions and targets) or a
    tradeoff (the same positions, pairwise distinct targets: a real Pareto front); ``granularity`` makes each binary,
    ``levels:N`` or continuous; ``noise`` turns chosen objectives into a noisy judge; ``bottleneck``,
    ``saturating`` and ``proxy`` add a rarely satisfied, an easily saturated and a hackable objective.
    ``reset(seed=s)`` shows the instance of seed ``s``; ``step(answer)`` scores it and ends the episode.

    ## Observation
    ``view="structured"`` (default): ``Box(int16, [F], 0..V-2)``, the features. ``view="text"``: ``Text``, a prompt
    stating the features, each position's rule and how each objective scores.

    ## Action
    ``structured``: ``MultiDiscrete([V + 1] * (L + 1))`` tokens: values 0..V-1, STOP = V; the answer ends at its
    first STOP (later positions score as absent). Any other shape, a float, bool or object dtype, or a token out of
    0..V raises ``ValueError`` naming the action space. ``text``: a completion (any object) holding
    ``<answer>v1 v2 ... vL</answer>``; an unreadable one scores 0 on every objective, with the reason in ``info``.

    ## Reward Space
    ``float32[J]`` in [0, 1], J = K + (bottleneck) + (saturating) + (proxy); every entry always applies
    (``info["applicable"]`` is all true). The noisy objectives hold clip(true + noise * eps, 0, 1) with eps ~ N(0, 1)
    drawn from a hash of (instance seed, row, answer, objective); ``info["true_reward"]`` is the noise-free vector.

    | Index   | Name         | Range                       | Meaning                                                   |
    |---------|--------------|-----------------------------|-----------------------------------------------------------|
    | 0..K-1  | match/k      | {0,1} / N levels / [0, 1]   | objective k's positions against its targets (granularity) |
    | K       | bottleneck   | {0, 1}                      | (bottleneck) all its (3) hard-target positions right      |
    | next    | saturating   | {0, 1}                      | (saturating) its one position holds the constant 0        |
    | last    | proxy        | [0, 1]                      | (proxy) fraction of the match positions holding V-1       |

    ``info`` holds ``pass`` (bool [J]), ``applicable`` (bool [J], all true) and ``true_reward`` (float32 [J]); the
    text view also ``parse_ok`` and ``reason``.

    ## Episode End
    Every episode ends after its one step (``terminated=True``). ``step`` before the first ``reset`` or after
    the episode ended raises ``ResetNeeded`` (a ``RuntimeError`` and Gymnasium's ``ResetNeeded``) until ``reset``.

    ## Arguments
    ``view`` ("structured" | "text"), ``config`` or ``StructureConfig`` keyword overrides (``K``, ``m``, ``V``,
    ``F``, ``relation``, ``granularity``, ``difficulty``, ``noise``, ``noisy``, ``bottleneck``,
    ``bottleneck_positions``, ``saturating``, ``proxy``; strings accepted), ``instance_pool`` and
    ``pool_first_seed`` (instances of unseeded resets), ``na_value`` (validated; no entry is ever not applicable).
    ``reset(options={"instance": inst})`` shows a given instance.

    ## Version History
    - v0: first version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, view: Literal["structured", "text"] = "structured", render_mode: str | None = None,
                 config: StructureConfig | None = None, instance_pool: int = 1024, pool_first_seed: int = 1_000_000,
                 na_value: float = 0.0, **overrides: Any) -> None:
        if view not in ("structured", "text"):
            raise ValueError(f"view must be 'structured' or 'text', got {view!r}")
        if render_mode is not None and render_mode != "ansi":
            raise ValueError(f"render_mode must be 'ansi' or None, got {render_mode!r}")
        for name, value, low in (("instance_pool", instance_pool, 1), ("pool_first_seed", pool_first_seed, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        self.family = StructureFamily(config, **overrides)
        self.config = self.family.config
        self.view = view
        self.render_mode = render_mode
        self.instance_pool = int(instance_pool)
        self.pool_first_seed = int(pool_first_seed)
        self.answer_len = self.config.answer_len + 1
        self._legend = (f"tokens 0..{self.config.V}: values 0..{self.config.V - 1}, STOP={self.config.V}; pad a "
                        "shorter answer with STOP")
        if view == "structured":
            self.observation_space = spaces.Box(low=0, high=self.config.V - 2, shape=(self.config.F,), dtype=np.int16)
            self.action_space = spaces.MultiDiscrete(np.full(self.answer_len, self.config.V + 1, dtype=np.int64))
        else:
            self.observation_space = spaces.Text(max_length=_PROMPT_CHARS, charset=_TEXT_CHARSET)
            self.action_space = spaces.Text(max_length=MAX_COMPLETION_CHARS, charset=_TEXT_CHARSET)
        self.reward_names = self.config.reward_names
        self.reward_dim = len(self.reward_names)
        self.reward_space = spaces.Box(low=0.0, high=1.0, shape=(self.reward_dim,), dtype=np.float32)
        self.na_value = check_na_value(na_value, self.reward_space.low, self.reward_space.high)
        self.instance: StructureInstance | None = None
        self._done = True

    def _observe(self) -> np.ndarray | str:
        assert self.instance is not None
        if self.view == "structured":
            return self.family.observation(self.instance)
        return self.family.prompt(self.instance)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray | str, dict[str, Any]]:
        """Show the instance of ``seed`` (or one drawn from the pool of seeds by the env's generator)."""
        refuse_gymnasium_sync(self)
        super().reset(seed=seed)
        instance = single_reset_task(self, seed, options, self.np_random)
        self.instance = instance
        self._done = False
        return self._observe(), {"instance_seed": instance.seed}

    def draw_instance(self, rng: np.random.Generator) -> StructureInstance:
        """A task of the pool of unseeded resets (seeds ``pool_first_seed + [0, instance_pool)``), drawn by ``rng``."""
        return self.instance_of_seed(self.pool_first_seed + int(rng.integers(self.instance_pool)))

    def instance_of_seed(self, seed: int) -> StructureInstance:
        """The instance of instance seed ``seed`` (generated once per process)."""
        return generate_cached(int(seed), self.config)

    def as_instance(self, value: object, what: str = "instance") -> StructureInstance:
        """``value`` if it is an instance of this env's config, else a one-line ValueError naming ``what``."""
        return checked_task(value, StructureInstance, self.config, what)

    def step(self, action: Any) -> tuple[np.ndarray | str, np.ndarray, bool, bool, dict[str, Any]]:
        """Score one answer (structured tokens or a completion); the episode ends."""
        if self._done:
            raise reset_needed(self)
        instance = self.instance
        info: dict[str, Any] = {}
        if self.view == "text":
            rewards, parsed = self.family.score_completions(instance, [action])
            reward = rewards[0]
            info["true_reward"] = self.family.score_completions(instance, [action], noise=False)[0][0]
            info.update(parse_ok=parsed[0].ok, reason=parsed[0].reason)
        else:
            action = check_tokens(self, action, self.answer_len, self.config.V + 1, self._legend)
            reward = self.family.score_answers([instance], action[None, :])[0]
            info["true_reward"] = self.family.score_answers([instance], action[None, :], noise=False)[0]
        info["pass"] = self.family.pass_flags(reward)
        reward, info["applicable"] = fill_not_applicable(reward, self.na_value)
        self._done = True
        return self._observe(), reward, True, False, info

    def render(self) -> str | None:
        """The prompt of the current instance (``render_mode="ansi"``)."""
        if self.render_mode != "ansi" or self.instance is None:
            return None
        return self.family.prompt(self.instance)
