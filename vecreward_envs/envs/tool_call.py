"""ToolCall-v0: a tool-call request under explicit constraints per episode, one reward entry per criterion."""

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
from vecreward_envs.toolcall.config import ANSWER_VOCAB, K, ToolCallConfig
from vecreward_envs.toolcall.family import OBS_LEN, OBS_VOCAB, ToolCallFamily
from vecreward_envs.toolcall.task import ToolTask, generate_cached
from vecreward_envs.toolcall.text import MAX_COMPLETION_CHARS

_TEXT_CHARSET = frozenset(string.printable)
_PROMPT_CHARS = 32_768
_TOKEN_LEGEND = (f"tokens 0..{len(ANSWER_VOCAB) - 1}: {', '.join(ANSWER_VOCAB[:3])}..{ANSWER_VOCAB[-1]}; "
                 "pad a shorter answer with STOP")


class ToolCallEnv(gym.Env):
    """Answer a tool-use request (calls and/or a response) that respects explicit constraints.

    ## Description
    Tasks come from a seeded generator (``vecreward_envs.toolcall``; docs/envs/toolcall.md): a few tools shown from
    a catalog of 240 typed tools (JSON-schema parameters: string, integer, number, enum, boolean, list; required
    and optional), a templated user request with an exact ground truth (one call, 2-3 parallel calls, or a direct
    answer; values copied or converted from the request) and 0-17 explicit constraints, some of which contradict
    the request (at most N calls, a forbidden tool, a required unit or date format, an order, a response word
    limit, a reference the response must mention). ``reset(seed=s)`` shows the task of seed ``s``;
    ``step(answer)`` scores the answer and ends the episode. A GRPO group is G episodes reset with one seed.

    ## Observation
    ``view="structured"`` (default): ``Box(int16, [26], 0..15)``: requested tool slots [8], the forbidden slot [8],
    which constraint kinds apply [7], the call limit (8: none), whether a response is expected, the number of
    requested calls. ``view="text"``: ``Text``, the ToolRL-style prompt (tools, format, constraints, request).

    ## Action
    ``structured``: ``MultiDiscrete([10] * 27)`` tokens (STOP=0, NONE=1, S0..S7=2..9): per call a tool slot then one
    token per parameter of that tool (NONE omits it, S<v> takes candidate value v), NONE to end the calls, then a
    candidate response (or NONE); tokens with no meaning in their phase count as NONE. An integer array or sequence
    of exactly ``answer_len + 1`` tokens (27 by default; pad with STOP); any other shape, a float, bool or object
    dtype, or a token out of 0..9 raises ``ValueError`` naming the action space. ``text``: a completion (any object)
    in ToolRL's format (``<think>``, ``<tool_call>`` with one JSON call per line, ``<response>``). Nothing a
    completion holds raises in ``step``: malformed completions score ``format`` 0, with the reason in ``info``.

    ## Reward Space
    ``float32[11]`` in [0, 1]. An entry that does not apply to the task (NaN in the family's API) holds
    ``na_value`` (0.0 by default; ``na_value=float("nan")`` keeps NaN) and ``info["applicable"]`` (bool [11])
    is false there (docs/ecosystem.md, "Not applicable"); "/NaN" below marks the entries that can be not applicable:

    | Index | Name                       | Range      | Meaning                                                       |
    |-------|----------------------------|------------|---------------------------------------------------------------|
    | 0     | format                     | {0, 1}     | ToolRL's R_format, and every call line a JSON call object     |
    | 1     | tool_name                  | [0, 1]     | multiset Jaccard of called vs requested tool names            |
    | 2     | param_keys                 | [0, 1]/NaN | mean key Jaccard of the matched calls (NaN: no call requested) |
    | 3     | param_values               | [0, 1]/NaN | fraction of requested values given exactly                    |
    | 4     | constraint/max_calls       | {0, 1}/NaN | at most N calls                                               |
    | 5     | constraint/forbidden_tool  | {0, 1}/NaN | the forbidden tool is not called                              |
    | 6     | constraint/unit            | {0, 1}/NaN | the number is converted to the required unit                  |
    | 7     | constraint/format          | {0, 1}/NaN | the date is in the required format                            |
    | 8     | constraint/order           | {0, 1}/NaN | tool A is called before tool B                                |
    | 9     | constraint/response_length | {0, 1}/NaN | the response has at most L words                              |
    | 10    | constraint/response_field  | {0, 1}/NaN | the response mentions the reference code                      |

    ``info`` holds ``pass`` (bool [11]), ``failures`` (a directive message per failed objective: which constraint,
    the observed value) and ``toolrl`` (text view: ToolRL's scalar, ``format`` and ``correct``; None for structured
    answers, which have no text to score); the text view also ``parse_ok`` and ``reason``.

    ## Episode End
    Every episode ends after its one step (``terminated=True``). ``step`` before the first ``reset`` or after
    the episode ended raises ``ResetNeeded`` (a ``RuntimeError`` and Gymnasium's ``ResetNeeded``) until ``reset``.

    ## Arguments
    ``view`` ("structured" | "text"), ``config`` or ``ToolCallConfig`` keyword overrides (``n_tools``,
    ``min_constraints``, ``max_constraints``, ``p_no_call``, ``p_parallel``, ``conflict_rate``, ``bottleneck``,
    ``max_struct_calls``, ``length_limit``), ``instance_pool`` and ``pool_first_seed`` (tasks of unseeded resets),
    ``na_value`` (what a not-applicable entry holds).
    ``reset(options={"instance": task})`` shows a given task.

    ## Version History
    - v0: first version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, view: Literal["structured", "text"] = "structured", render_mode: str | None = None,
                 config: ToolCallConfig | None = None, instance_pool: int = 1024, pool_first_seed: int = 1_000_000,
                 na_value: float = 0.0, **overrides: Any) -> None:
        if view not in ("structured", "text"):
            raise ValueError(f"view must be 'structured' or 'text', got {view!r}")
        if render_mode is not None and render_mode != "ansi":
            raise ValueError(f"render_mode must be 'ansi' or None, got {render_mode!r}")
        for name, value, low in (("instance_pool", instance_pool, 1), ("pool_first_seed", pool_first_seed, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        self.family = ToolCallFamily(config, **overrides)  # type: ignore[arg-type]
        self.config = self.family.config
        self.view = view
        self.render_mode = render_mode
        self.instance_pool = int(instance_pool)
        self.pool_first_seed = int(pool_first_seed)
        self.answer_len = self.config.answer_len + 1
        if view == "structured":
            self.observation_space = spaces.Box(low=0, high=OBS_VOCAB - 1, shape=(OBS_LEN,), dtype=np.int16)
            self.action_space = spaces.MultiDiscrete(np.full(self.answer_len, len(ANSWER_VOCAB), dtype=np.int64))
        else:
            self.observation_space = spaces.Text(max_length=_PROMPT_CHARS, charset=_TEXT_CHARSET)
            self.action_space = spaces.Text(max_length=MAX_COMPLETION_CHARS, charset=_TEXT_CHARSET)
        self.reward_space = spaces.Box(low=0.0, high=1.0, shape=(K,), dtype=np.float32)
        self.reward_names = self.config.reward_names
        self.reward_dim = K
        self.na_value = check_na_value(na_value, self.reward_space.low, self.reward_space.high)
        self.task: ToolTask | None = None
        self._done = True

    def _observe(self) -> np.ndarray | str:
        assert self.task is not None
        return self.family.observation(self.task) if self.view == "structured" else self.family.prompt(self.task)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray | str, dict[str, Any]]:
        """Show the task of ``seed`` (or one drawn from the pool of seeds by the env's generator)."""
        refuse_gymnasium_sync(self)
        super().reset(seed=seed)
        task = single_reset_task(self, seed, options, self.np_random)
        self.task = task
        self._done = False
        return self._observe(), {"instance_seed": task.seed, "constraints": tuple(task.constraints)}

    def draw_instance(self, rng: np.random.Generator) -> ToolTask:
        """A task of the pool of unseeded resets (seeds ``pool_first_seed + [0, instance_pool)``), drawn by ``rng``."""
        return self.instance_of_seed(self.pool_first_seed + int(rng.integers(self.instance_pool)))

    def instance_of_seed(self, seed: int) -> ToolTask:
        """The task of instance seed ``seed`` (generated once per process)."""
        return generate_cached(int(seed), self.config)

    def as_instance(self, value: object, what: str = "instance") -> ToolTask:
        """``value`` if it is a task of this env's config, else a one-line ValueError naming ``what``."""
        return checked_task(value, ToolTask, self.config, what)

    def step(self, action: Any) -> tuple[np.ndarray | str, np.ndarray, bool, bool, dict[str, Any]]:
        """Score one answer (structured tokens or a completion); the episode ends."""
        if self._done:
            raise reset_needed(self)
        task = self.task
        info: dict[str, Any] = {}
        if self.view == "text":
            rewards, parsed = self.family.score_completions(task, [action])
            reward = rewards[0]
            info.update(parse_ok=parsed[0].ok, reason=parsed[0].reason)
        else:
            action = check_tokens(self, action, self.answer_len, len(ANSWER_VOCAB), _TOKEN_LEGEND)
            reward = self.family.score_answers(task, action[None, :])[0]
        info["toolrl"] = self.family.toolrl_reward(action, task)._asdict() if self.view == "text" else None
        info["failures"] = self.family.explain(task, action, structured=self.view != "text")
        info["pass"] = self.family.pass_flags(reward)
        reward, info["applicable"] = fill_not_applicable(reward, self.na_value)
        self._done = True
        return self._observe(), reward, True, False, info

    def render(self) -> str | None:
        """The request and the constraints (``render_mode="ansi"``)."""
        if self.render_mode != "ansi" or self.task is None:
            return None
        return "\n".join([self.task.request, *self.task.constraint_texts])
