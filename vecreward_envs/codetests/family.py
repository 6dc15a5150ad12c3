"""The code-test family: one object that generates problems and judges answers in both views.

The contract the bridge and the exporters rely on (``shared/DESIGN.md``, "Task family"): ``generate(seed)``,
stable ``reward_names`` and bounds, a structured answer space (DSL tokens) with a batched kernel, a text view
(prompt, parse, score) whose failures are reward outcomes, pass flags and a directive message per failed objective.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vecreward_envs.codetests.config import MAX_LEN, CodeTestsConfig
from vecreward_envs.codetests.cursor import ProgramCursor
from vecreward_envs.codetests.dsl import END, TOKEN_NAMES, tokens_to_text
from vecreward_envs.codetests.generator import generate, iter_problems, split
from vecreward_envs.codetests.judge import TestVerdict, Verdict, judge_dsl_py, judge_run
from vecreward_envs.codetests.problem import CodeProblem, ProblemBatch, encode_value
from vecreward_envs.codetests.render import to_python
from vecreward_envs.codetests.sandbox.limits import SandboxLimits
from vecreward_envs.codetests.sandbox.pool import SandboxPool, default_pool
from vecreward_envs.codetests.sandbox.protocol import Job
from vecreward_envs.codetests.scoring import ProgramScores, as_program_array, judge_programs
from vecreward_envs.codetests.text import ParsedAnswer, parse_dsl, parse_python, prompt
from vecreward_envs.protocols import Demonstrations, DirectiveMessages, StructuredView, SuccessObjectives, TextView

OBS_VOCAB = 256
"""Observation entries are in [0, OBS_VOCAB)."""


class CodeTestsFamily:
    """Program synthesis judged test by test, for one ``CodeTestsConfig``.

    Args:
        config: the family member (or pass its fields as keyword overrides).
        sandbox: where Python answers run: a ``SandboxPool`` (shared, caller-owned), ``SandboxLimits`` (a pool
            with those limits is created on first use and owned by the family), or None (the process-wide
            default pool).
        reference_demonstrations: declare ``Demonstrations`` (the generator's ground-truth programs) so that a
            policy can imitate them before RL (``warm_start_steps``). Off by default: every documented codetests
            result, and each default that keys on the ability (``compare``'s warm start), starts from scratch.
            It is a family setting, not a config field, so problems, ids and task rows do not change.
    """

    name = "codetests"
    abilities = (StructuredView, TextView, SuccessObjectives, DirectiveMessages)
    answer_vocab: tuple[str, ...] = TOKEN_NAMES
    """Tokens of the structured answer (``END`` = 0 ends a program and pads it)."""
    stop_code = END

    def __init__(self, config: CodeTestsConfig | None = None, *, sandbox: SandboxPool | SandboxLimits | None = None,
                 reference_demonstrations: bool = False, **overrides: Any) -> None:
        if config is not None and overrides:
            raise TypeError("pass either a CodeTestsConfig or keyword overrides, not both")
        self.config = config if config is not None else CodeTestsConfig.from_kwargs(**overrides)
        if not isinstance(self.config, CodeTestsConfig):
            raise TypeError(f"config must be a CodeTestsConfig, got {type(self.config).__name__}")
        if sandbox is not None and not isinstance(sandbox, (SandboxPool, SandboxLimits)):
            raise TypeError(f"sandbox must be a SandboxPool, SandboxLimits or None, got {type(sandbox).__name__}")
        if not isinstance(reference_demonstrations, bool):
            raise TypeError(f"reference_demonstrations must be true or false (lower case in --task-param), "
                            f"got {reference_demonstrations!r}")
        self._sandbox = sandbox
        self._own_pool: SandboxPool | None = None
        self._reference_demonstrations = reference_demonstrations
        self._declare_demonstrations()

    @property
    def reference_demonstrations(self) -> bool:
        """Whether this family declares ``Demonstrations`` (fixed at construction)."""
        return self._reference_demonstrations

    def _declare_demonstrations(self) -> None:
        # An instance-level ability: the protocol checker flags a family that has ``demonstrations`` without
        # declaring it, so the two members exist only on instances that declare ``Demonstrations``.
        if self.reference_demonstrations:
            self.abilities = (*type(self).abilities, Demonstrations)
            self.demonstrations = self.reference_programs
            self.demonstration_texts = self.reference_texts

    # ----- objectives -------------------------------------------------------------------------------------
    @property
    def reward_names(self) -> tuple[str, ...]:
        """``format``, ``compiles``, then ``test/<group>`` (or ``test/<group>/<i>``)."""
        return self.config.reward_names

    @property
    def reward_low(self) -> np.ndarray:
        """float32 [K] lower bounds (all 0)."""
        return np.zeros(self.config.n_objectives, dtype=np.float32)

    @property
    def reward_high(self) -> np.ndarray:
        """float32 [K] upper bounds (all 1)."""
        return np.ones(self.config.n_objectives, dtype=np.float32)

    @property
    def max_program_len(self) -> int:
        """Length of a structured answer (``config.program_len``)."""
        return self.config.program_len

    # ----- problems ---------------------------------------------------------------------------------------
    def generate(self, seed: int) -> CodeProblem:
        """The problem of ``seed`` (deterministic, no global RNG)."""
        return generate(seed, self.config)

    def instances(self, first_seed: int, n: int) -> list[CodeProblem]:
        """``n`` distinct problems from consecutive seeds."""
        iterator = iter_problems(first_seed, self.config)
        return [next(iterator) for _ in range(n)]

    def split(self, name: str, n: int | None = None, exclude: Sequence[CodeProblem] = ()) -> list[CodeProblem]:
        """A named split (``benchmark``: 500 problems from seed 0; ``validation``, ``test``, ``train``)."""
        return split(name, n, self.config, exclude)

    @property
    def observation_size(self) -> int:
        """Length of ``observation``: 4 + n_examples * 3 * (2 + MAX_LEN)."""
        return 4 + self.config.n_examples * 3 * (2 + MAX_LEN)

    observation_vocab = OBS_VOCAB
    """Exclusive upper bound of ``observation()`` entries (for an embedding table)."""

    def observation(self, problem: CodeProblem) -> np.ndarray:
        """Structured view: int16 [observation_size], every entry in [0, observation_vocab).

        [arg0 type, arg1 type, return type, examples shown], then for each example (the first ``n_examples``
        ``basic`` tests) its two arguments and its expected result, each as [type, length, MAX_LEN items]; an
        item is ``clip(value, -127, 127) + 128`` (a character: its code + 128), 0 is padding.
        """
        obs = np.zeros(self.observation_size, dtype=np.int16)
        obs[: len(problem.arg_types)] = problem.arg_types
        obs[2] = problem.return_type
        examples = [t for t in problem.tests if t.group == "basic"][: self.config.n_examples]
        obs[3] = len(examples)
        width = 2 + MAX_LEN
        for e, test in enumerate(examples):
            values = [*zip(test.args, problem.arg_types, strict=True)]
            values += [(None, 0)] * (2 - len(values)) + [(test.expected, problem.return_type)]
            for v, (value, kind) in enumerate(values):
                start = 4 + (3 * e + v) * width
                items = np.clip(np.asarray(encode_value(value, kind) if kind else [], dtype=np.int64), -127, 127)
                obs[start], obs[start + 1] = kind, len(items)
                obs[start + 2: start + 2 + len(items)] = items + 128
        return obs

    @property
    def observation_bounds(self) -> tuple[int, int]:
        """Bounds of every observation entry."""
        return 0, OBS_VOCAB - 1

    @property
    def success_objectives(self) -> tuple[int, ...]:
        """Objectives whose all-pass means success (every test objective; format and compiles excluded)."""
        return tuple(range(2, self.config.n_objectives))

    def max_answer_len(self, problems: Sequence[CodeProblem]) -> int:
        """Tokens a structured answer may use (``config.program_len``)."""
        return self.config.program_len

    def new_cursor(self, problems: Sequence[CodeProblem], inst_idx: np.ndarray) -> ProgramCursor:
        """Partial programs on ``problems[inst_idx]`` for token-by-token decoding (see ``cursor.py``)."""
        return ProgramCursor(problems, inst_idx, self.config.program_len)

    # ----- reference answers (``Demonstrations`` when ``reference_demonstrations``) ----------------------------
    def reference_programs(self, problems: Sequence[CodeProblem]) -> np.ndarray:
        """int64 [N, program_len]: each problem's ground-truth DSL program, ``END``-padded.

        Raises:
            ValueError: a (hand-built) problem whose program is longer than ``config.program_len``.
        """
        programs = np.full((len(problems), self.config.program_len), END, dtype=np.int64)  # [N, L]
        for n, problem in enumerate(problems):
            if len(problem.program) > self.config.program_len:
                raise ValueError(f"problem {problem.id}: its ground-truth program has {len(problem.program)} tokens, "
                                 f"more than program_len={self.config.program_len}")
            programs[n, : len(problem.program)] = problem.program
        return programs

    def reference_texts(self, problems: Sequence[CodeProblem]) -> list[str]:
        """N completions: each ground truth in the config's answer format (``format_answer``; full marks)."""
        return [self.format_answer(problem) for problem in problems]

    # ----- structured answers ------------------------------------------------------------------------------
    def score_programs(self, problems: CodeProblem | Sequence[CodeProblem] | ProblemBatch, programs: object,
                       problem_idx: Sequence[int] | np.ndarray | None = None) -> ProgramScores:
        """Batched judging: programs [N, L] of DSL tokens -> ``ProgramScores`` (rewards float32 [N, K])."""
        if isinstance(problems, CodeProblem):
            problems = [problems]
        if not isinstance(problems, ProblemBatch):
            for problem in problems:
                if not isinstance(problem, CodeProblem) or problem.config != self.config:
                    raise ValueError("every problem must come from this family's config")
        return judge_programs(problems, programs, self.config.n_objectives, problem_idx)

    def score_answers(self, problems: Sequence[CodeProblem], answers: np.ndarray, inst_idx: np.ndarray
                      ) -> np.ndarray:
        """Structured answers [N, L] (DSL tokens) -> float32 [N, K]: the generic name the bridge calls."""
        return self.score_programs(list(problems), answers, inst_idx).rewards

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Bool [..., K]: objective fully achieved (NaN, not applicable, is never a pass)."""
        return np.nan_to_num(np.asarray(rewards, dtype=np.float64), nan=0.0) >= 1.0

    def explain(self, problem: CodeProblem, answer: object) -> dict[str, str]:
        """A directive message per failed objective: a token array (structured) or a completion (text)."""
        if isinstance(answer, (str, bytes)):
            return self.judge(problem, [answer])[0].failures(problem)
        tokens = as_program_array(answer, "answer")[0]
        return judge_dsl_py(problem, tokens.tolist(), None).failures(problem)

    # ----- text view ----------------------------------------------------------------------------------------
    def prompt(self, problem: CodeProblem, m: int = 1) -> str:
        """The prompt (one answer per completion: ``m`` must be 1)."""
        if m != 1:
            raise ValueError(f"codetests prompts ask for one answer (m=1), got m={m!r}")
        return prompt(problem)

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """What ends a completion (an LLM sampler's stop strings): ``</dsl>``; none for fenced Python.

        A Python answer's closing fence looks like its opening one, so it cannot be a stop string: Python
        completions run to EOS or the token budget, and the parser takes the last fenced block defining ``solve``.
        """
        return ("</dsl>",) if self.config.answer_format == "dsl" else ()

    def parse(self, completion: object, problem: CodeProblem | None = None) -> ParsedAnswer:
        """The answer in a completion, in the config's format; never raises."""
        if self.config.answer_format == "dsl":
            return parse_dsl(completion, problem)
        return parse_python(completion)

    def format_answer(self, problem: CodeProblem, answer: Sequence[int] | np.ndarray | None = None) -> str:
        """A completion holding DSL tokens ``answer`` to ``problem`` (None: the problem's ground-truth program)."""
        if answer is None:
            tokens = list(problem.program)
        else:
            tokens = as_program_array(answer, "answer")[0].tolist()
        if self.config.answer_format == "dsl":
            return f"<dsl>{tokens_to_text(tokens)}</dsl>"
        code = to_python(tokens, problem.arg_names, problem.arg_types, problem.return_type)
        return f"```python\n{code}\n```"

    @property
    def sandbox(self) -> SandboxPool:
        """The pool Python answers run in (created on first use)."""
        if isinstance(self._sandbox, SandboxPool):
            return self._sandbox
        if isinstance(self._sandbox, SandboxLimits):
            if self._own_pool is None or self._own_pool.closed:
                self._own_pool = SandboxPool(limits=self._sandbox)
            return self._own_pool
        return default_pool()

    def judge(self, problem: CodeProblem, completions: Sequence[object]) -> list[Verdict]:
        """Judge G completions on one problem (Python answers run concurrently in the sandbox)."""
        return self._judge_parsed(problem, [self.parse(c, problem) for c in completions])

    def _judge_parsed(self, problem: CodeProblem, parsed: list[ParsedAnswer]) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * len(parsed)
        jobs: list[tuple[int, Job]] = []
        inputs = tuple(tuple(t.args) for t in problem.tests)
        for i, answer in enumerate(parsed):
            if answer.kind == "dsl":
                verdicts[i] = judge_dsl_py(problem, answer.tokens or (END,), answer.ok, answer.reason)
            elif not answer.code:
                tests = tuple(TestVerdict(t.group, t.slot, False, answer.reason) for t in problem.tests)
                verdicts[i] = Verdict(False, False, tests, answer.reason)
            else:
                jobs.append((i, Job(answer.code, inputs)))
        if jobs:
            pool = self.sandbox
            for (i, _), run in zip(jobs, pool.run([job for _, job in jobs]), strict=True):
                verdict = judge_run(problem, run, parsed[i].ok, pool.limits.test_seconds)
                if parsed[i].reason:
                    verdict = Verdict(verdict.format_ok, verdict.compiles, verdict.tests,
                                      "; ".join(p for p in (parsed[i].reason, verdict.reason) if p), verdict.output)
                verdicts[i] = verdict
        return [v for v in verdicts if v is not None]

    def score_completions(self, problem: CodeProblem, completions: Sequence[object]
                          ) -> tuple[np.ndarray, list[Verdict]]:
        """Score G completions on one problem: float32 [G, K] and the verdict of each (never raises)."""
        parsed = [self.parse(c, problem) for c in completions]
        verdicts = self._judge_parsed(problem, parsed)
        rewards = np.stack([v.rewards(problem) for v in verdicts]) if verdicts else \
            np.zeros((0, self.config.n_objectives), dtype=np.float32)  # [G, K]
        if self.config.answer_format == "dsl" and verdicts:  # the interpreter kernel is the judge of DSL answers
            programs = np.zeros((len(parsed), max([len(p.tokens) for p in parsed] + [1])), dtype=np.int8)
            for n, answer in enumerate(parsed):
                programs[n, : len(answer.tokens)] = answer.tokens
            kernel = self.score_programs(problem, programs).rewards  # [G, K]
            kernel[:, 0] = [float(p.ok) for p in parsed]
            rewards = kernel
        return rewards.astype(np.float32), verdicts

    # ----- rows (exports: scoring is a pure function of (completion, row)) -----------------------------------
    def task_row(self, problem: CodeProblem) -> dict[str, object]:
        """JSON-able columns holding the whole problem (tests and expected values included)."""
        return {"family": self.name, **problem.to_json()}

    def instance_from_row(self, row: Mapping[str, object]) -> CodeProblem:
        """The problem a ``task_row`` describes (rebuilt from its content; the id must match).

        Raises:
            ValueError: not a codetests row, malformed, or from another config.
        """
        if row.get("family") != self.name:
            raise ValueError(f"not a codetests task row: {str(dict(row))[:300]}")
        problem = CodeProblem.from_json(dict(row))
        if problem.config != self.config:
            raise ValueError("the row's config differs from this family's config")
        return problem

    # ----- lifecycle ----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the pool this family created (a shared or default pool is left to its owner)."""
        if self._own_pool is not None:
            self._own_pool.close()
            self._own_pool = None

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_own_pool"] = None
        for bound in ("abilities", "demonstrations", "demonstration_texts"):  # rebuilt by __setstate__
            state.pop(bound, None)
        if isinstance(state["_sandbox"], SandboxPool):  # processes do not pickle: the copy uses its own pool
            state["_sandbox"] = state["_sandbox"].limits
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_reference_demonstrations", False)  # pickled before the setting existed
        self._declare_demonstrations()
