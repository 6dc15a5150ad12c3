"""CodeTests-v0: a program-synthesis problem per episode, the answer judged test by test (a vector reward)."""

from __future__ import annotations

import string
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from vecreward_envs.codetests.config import CodeTestsConfig
from vecreward_envs.codetests.dsl import N_TOKENS
from vecreward_envs.codetests.family import CodeTestsFamily
from vecreward_envs.codetests.generator import generate_cached
from vecreward_envs.codetests.judge import judge_dsl_py
from vecreward_envs.codetests.problem import CodeProblem
from vecreward_envs.codetests.text import MAX_COMPLETION_CHARS
from vecreward_envs.envs.action_checks import check_tokens, reset_needed
from vecreward_envs.envs.not_applicable import check_na_value, fill_not_applicable
from vecreward_envs.envs.placement import checked_task, single_reset_task
from vecreward_envs.envs.vector_modes import refuse_gymnasium_sync

# Characters a prompt uses (printable ASCII) and that a completion space samples from. Completions given to
# step() may hold any character at all.
_TEXT_CHARSET = frozenset(string.printable)
_PROMPT_CHARS = 16_384
_PROGRAM_LEGEND = f"DSL tokens 0..{N_TOKENS - 1}, 0 = end; pad a shorter program with 0"


class CodeTestsEnv(gym.Env):
    """Write a program that passes every test: one problem per episode, one reward entry per test group.

    ## Description
    Problems come from a seeded generator (``vecreward_envs.codetests``; docs/envs/codetests.md): a ground-truth
    program of a small typed DSL over lists, strings and integers, a plain-English statement, a signature, and
    tests grouped by the mistake they catch (typical inputs, empty, single item, negative numbers, duplicates,
    large values). ``reset(seed=s)`` shows the problem of seed ``s``; ``step(answer)`` judges the answer on
    every test and ends the episode. A GRPO group of G rollouts is G episodes reset with one seed.

    ## Observation
    ``view="structured"`` (default): ``Box(int16, [4 + 3 * n_examples * 66], 0..255)``: argument and return
    types, then the inputs and expected results of the first ``n_examples`` basic tests (type, length, 64 items
    each; an item is its value clipped to +-127, plus 128; a character is its code plus 128).
    ``view="text"``: ``Text``, the prompt (statement, signature, examples; Python or DSL per ``answer_format``).

    ## Action
    ``structured``: ``MultiDiscrete([61] * program_len)``, DSL tokens (0 = end, also the padding), judged by the
    numba interpreter: an integer array or sequence of exactly ``program_len`` tokens; any other shape, a float,
    bool or object dtype, or a token out of 0..60 raises ``ValueError`` naming the action space (a well-formed
    token array that is not a valid program is a reward outcome). ``text``: a completion string (any object).
    Python answers (a ```python block defining ``solve``) run in the sandbox (a fresh isolated, resource-limited
    process per answer); DSL answers (``<dsl>...</dsl>``) run in the interpreter. Nothing an answer does raises in
    ``step``: failures are reward outcomes with reasons.

    ## Reward Space
    ``float32[K]`` in [0, 1], K = 2 + number of test objectives (8 with the default config). An entry that does
    not apply (NaN in the family's API, "/NaN" below) holds ``na_value`` (0.0 by default;
    ``na_value=float("nan")`` keeps NaN) and ``info["applicable"]`` (bool [K]) is false there
    (docs/ecosystem.md, "Not applicable"):

    | Index | Name              | Range      | Meaning                                                               |
    |-------|-------------------|------------|-----------------------------------------------------------------------|
    | 0     | format            | {0, 1}/NaN | the completion used the requested format (NaN for token arrays)       |
    | 1     | compiles          | {0, 1}     | Python: the code ran and defined ``solve``; DSL: it type checks       |
    | 2     | test/basic        | [0, 1]     | fraction of the basic tests passed                                    |
    | 3     | test/empty        | [0, 1]/NaN | empty list or string (NaN when the problem has no such test)          |
    | 4     | test/single       | [0, 1]/NaN | one element or character                                              |
    | 5     | test/negative     | [0, 1]/NaN | negative numbers (NaN for most string problems)                       |
    | 6     | test/duplicates   | [0, 1]/NaN | repeated values or characters                                         |
    | 7     | test/large        | [0, 1]/NaN | long inputs with large magnitudes                                     |

    With ``granularity="test"`` the test objectives are one per test slot (``test/<group>/<i>``, 1 or 0).
    ``info`` holds ``pass`` (bool [K]), ``failures`` (a directive message per failed objective: the failing test,
    expected vs got, or the error), ``compiles``, ``test_passed`` (bool [T], T = ``config.max_tests``: the
    problem's tests in order, padded with False), ``n_tests`` (how many of the T exist), ``applicable`` and, in
    the text view,
    ``parse_ok``, ``reason`` (parse, compile or run problem) and ``output`` (captured stdout/stderr).

    ## Episode End
    Every episode ends after its one step (``terminated=True``). ``step`` before the first ``reset`` or after
    the episode ended raises ``ResetNeeded`` (a ``RuntimeError`` and Gymnasium's ``ResetNeeded``) until ``reset``.

    ## Arguments
    ``view`` ("structured" | "text"), ``program_len`` (structured action length; default the config's),
    ``config`` or ``CodeTestsConfig`` keyword overrides (``groups``, ``basic_tests``, ``edge_tests``,
    ``granularity``, ``answer_format``, ``n_examples``, ...), ``instance_pool`` and ``pool_first_seed`` (problems
    of unseeded resets: seeds ``pool_first_seed + [0, instance_pool)``), ``sandbox`` (``SandboxLimits``, a
    ``SandboxPool``, or None for the process-wide default pool), ``na_value`` (what a not-applicable entry holds).
    ``reset(options={"instance": problem})`` shows a given problem.

    ## Version History
    - v0: first version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        view: Literal["structured", "text"] = "structured",
        program_len: int | None = None,
        render_mode: str | None = None,
        config: CodeTestsConfig | None = None,
        instance_pool: int = 1024,
        pool_first_seed: int = 1_000_000,
        sandbox: object = None,
        na_value: float = 0.0,
        **overrides: Any,
    ) -> None:
        if view not in ("structured", "text"):
            raise ValueError(f"view must be 'structured' or 'text', got {view!r}")
        if render_mode is not None and render_mode != "ansi":
            raise ValueError(f"render_mode must be 'ansi' or None, got {render_mode!r}")
        for name, value, low in (("instance_pool", instance_pool, 1), ("pool_first_seed", pool_first_seed, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        self.family = CodeTestsFamily(config, sandbox=sandbox, **overrides)  # type: ignore[arg-type]
        self.config = self.family.config
        self.view = view
        self.render_mode = render_mode
        self.instance_pool = int(instance_pool)
        self.pool_first_seed = int(pool_first_seed)
        program_len = self.config.program_len if program_len is None else program_len
        if isinstance(program_len, bool) or not isinstance(program_len, (int, np.integer)) or program_len < 1:
            raise ValueError(f"program_len must be an int >= 1, got {program_len!r}")
        self.program_len = int(program_len)
        if view == "structured":
            low, high = self.family.observation_bounds
            self.observation_space = spaces.Box(low=low, high=high, shape=(self.family.observation_size,),
                                                dtype=np.int16)
            self.action_space = spaces.MultiDiscrete(np.full(self.program_len, N_TOKENS, dtype=np.int64))
        else:
            self.observation_space = spaces.Text(max_length=_PROMPT_CHARS, charset=_TEXT_CHARSET)
            self.action_space = spaces.Text(max_length=MAX_COMPLETION_CHARS, charset=_TEXT_CHARSET)
        k = self.config.n_objectives
        self.reward_space = spaces.Box(low=0.0, high=1.0, shape=(k,), dtype=np.float32)
        self.reward_names = self.config.reward_names
        self.reward_dim = k
        self.na_value = check_na_value(na_value, self.reward_space.low, self.reward_space.high)
        self.problem: CodeProblem | None = None
        self._done = True

    def _observe(self) -> np.ndarray | str:
        assert self.problem is not None
        if self.view == "structured":
            return self.family.observation(self.problem)
        return self.family.prompt(self.problem)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray | str, dict[str, Any]]:
        """Show the problem of ``seed`` (or one drawn from the pool of seeds by the env's generator)."""
        refuse_gymnasium_sync(self)
        super().reset(seed=seed)
        problem = single_reset_task(self, seed, options, self.np_random)
        self.problem = problem
        self._done = False
        return self._observe(), {"problem_id": problem.id, "signature": problem.signature()}

    def draw_instance(self, rng: np.random.Generator) -> CodeProblem:
        """A task of the pool of unseeded resets (seeds ``pool_first_seed + [0, instance_pool)``), drawn by ``rng``."""
        return self.instance_of_seed(self.pool_first_seed + int(rng.integers(self.instance_pool)))

    def instance_of_seed(self, seed: int) -> CodeProblem:
        """The problem of instance seed ``seed`` (generated once per process)."""
        return generate_cached(int(seed), self.config)

    def as_instance(self, value: object, what: str = "instance") -> CodeProblem:
        """``value`` if it is a problem of this env's config, else a one-line ValueError naming ``what``."""
        return checked_task(value, CodeProblem, self.config, what)

    def step(self, action: Any) -> tuple[np.ndarray | str, np.ndarray, bool, bool, dict[str, Any]]:
        """Judge one program (structured) or one completion (text); the episode ends."""
        if self._done:
            raise reset_needed(self)
        problem = self.problem
        info: dict[str, Any] = {}
        if self.view == "text":
            rewards, verdicts = self.family.score_completions(problem, [action])
            reward, verdict = rewards[0], verdicts[0]
            info.update(parse_ok=bool(verdict.format_ok), reason=verdict.reason, output=verdict.output)
        else:
            program = check_tokens(self, action, self.program_len, N_TOKENS, _PROGRAM_LEGEND)
            reward = self.family.score_programs(problem, program[None, :]).rewards[0]
            verdict = judge_dsl_py(problem, program.tolist(), None)
        passed = np.zeros(self.config.max_tests, dtype=bool)  # fixed shape [T], so vector envs can stack it
        passed[: len(verdict.tests)] = [t.passed for t in verdict.tests]
        info.update(
            compiles=verdict.compiles,
            test_passed=passed,
            n_tests=len(verdict.tests),
            failures=verdict.failures(problem),
        )
        info["pass"] = self.family.pass_flags(reward)
        reward, info["applicable"] = fill_not_applicable(reward, self.na_value)
        self._done = True
        return self._observe(), reward, True, False, info

    def render(self) -> str | None:
        """The problem's statement and signature (``render_mode="ansi"``)."""
        if self.render_mode != "ansi" or self.problem is None:
            return None
        return f"{self.problem.id}\n{self.problem.statement}\n{self.problem.signature()}"

    def close(self) -> None:
        """Close a sandbox pool the env's family created."""
        self.family.close()
        super().close()

