"""The written contracts of a task family: what the bridge, the agents and the exporters may ask of one.

A family is one object built from a frozen config. It always provides the **core** (``TaskFamily``). Everything
else is an **ability**, a protocol of its own, and a family says which ones it has in ``abilities``:

================================  ===============================================================================
ability                           what it adds
================================  ===============================================================================
``StructuredView``                small answer vocabulary, an observation, the cursor a small policy decodes
                                  through (``AnswerCursor``), batched scoring of token answers
``TextView``                      prompt, parse, format an answer, answer end strings, scoring of completions
``TextChains``                    scoring of completions that hold a chain of m answers (set-level schemes)
``Demonstrations``                solver answers for imitation warm starts, as tokens and as completions
``SuccessObjectives``             objectives whose all-pass defines binary success (psr, nsr, w_reinforce)
``ParetoFronts``                  the exact Pareto front of an instance
``DirectiveMessages``             a short message per failed objective (the failing test, the violated constraint)
``JointPlay``                     one answer is A agents' structured answers played as one game (multi-agent)
================================  ===============================================================================

The bridge asks for an ability by its protocol, never by probing attributes: ``supports(family, Demonstrations)``
answers from the declaration, and ``require(family, Demonstrations, "warm_start_steps")`` returns the family typed
as that ability or fails with one line that names the family, the ability and what needed it.
``check_family(family)`` checks a family against the protocols it declares (every registered family is checked by
``tests/vecreward_envs/test_protocols.py``). ``docs/writing_a_family.md`` walks through writing one.

Conventions every member follows: rewards are float32 ``[..., K]`` in the order of ``reward_names``, NaN = the
objective does not apply to this instance; all randomness comes from the seed; nothing raises on a bad answer (a
bad answer is a reward outcome); instances are opaque to the bridge (it only hands them back to the family).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

__all__ = [
    "ABILITIES",
    "AnswerCursor",
    "Demonstrations",
    "DirectiveMessages",
    "Instance",
    "JointPlay",
    "NoisyJudge",
    "ParetoFronts",
    "ParsedAnswer",
    "StructuredFamily",
    "StructuredView",
    "SuccessObjectives",
    "TaskFamily",
    "TextChains",
    "TextFamily",
    "TextView",
    "check_family",
    "passes_upper_bound",
    "protocol_members",
    "require",
    "supports",
]

Instance = Any
"""A task instance: opaque to the bridge (a maze, a tool-call task, a code problem); only its family reads it."""


@runtime_checkable
class TaskFamily(Protocol):
    """The core every family provides: seeded instances, named objectives with bounds, pass flags, export rows."""

    name: str
    """Registry name (``vecreward_envs.families.FAMILIES``); also the ``family`` column of exported rows."""

    @property
    def abilities(self) -> tuple[type, ...]:
        """The ability protocols this family implements (``StructuredView``, ``TextView``, ``Demonstrations``, ...).

        At least one view. The bridge trusts this declaration; ``check_family`` holds it against the members.
        """

    @property
    def reward_names(self) -> tuple[str, ...]:
        """Stable names of the K objectives (metric keys are built from them: ``rewards/<name>/mean``)."""

    @property
    def reward_low(self) -> np.ndarray:
        """float32 [K]: lower bound of each objective (the hypervolume reference point lies below it)."""

    @property
    def reward_high(self) -> np.ndarray:
        """float32 [K]: upper bound of each objective (reaching it is a pass, see ``pass_flags``)."""

    def generate(self, seed: int) -> Instance:
        """The instance of ``seed``: deterministic from the seed alone, never from global random state."""

    def instances(self, first_seed: int, n: int) -> list[Instance]:
        """``n`` distinct instances from ``first_seed`` on (a data split; the same arguments give the same list)."""

    def pass_flags(self, rewards: np.ndarray) -> np.ndarray:
        """Flags bool [..., K] of rewards [..., K]: the objective is fully achieved (NaN, not applicable: False)."""

    def task_row(self, instance: Instance) -> dict[str, Any]:
        """JSON-able columns from which ``instance_from_row`` rebuilds ``instance``, config included (exports)."""

    def instance_from_row(self, row: Mapping[str, Any]) -> Instance:
        """The instance a ``task_row`` describes, under the row's own config.

        Scoring is a pure function of (answer, row). Raises ``ValueError`` (one line) for a row of another family.
        """


@runtime_checkable
class AnswerCursor(Protocol):
    """N structured answers being written token by token: what a small policy conditions each token on.

    The policy's decoding loop is: ``features()`` and ``valid_moves()`` -> choose one token per answer ->
    ``advance(tokens)``, until every ``done`` is set. A finished answer may only write the family's ``stop_code``.
    """

    done: np.ndarray
    """bool [N]: the answer is finished (STOP written, or nothing more can change its reward)."""
    n_features: int
    """F, the width of ``features()`` rows (0 when the previous token says all there is)."""

    def valid_moves(self) -> np.ndarray:
        """Mask bool [N, V]: the tokens each answer may write next (at least one per row; only STOP once done)."""

    def advance(self, tokens: np.ndarray) -> None:
        """Apply one token per answer (int [N]); finished answers ignore theirs."""

    def features(self) -> np.ndarray:
        """float32 [N, F]: where each answer stands now (e.g. the maze's egocentric window and steps left)."""


@runtime_checkable
class ParsedAnswer(Protocol):
    """What a text view read from one completion (each family returns its own richer record)."""

    ok: bool
    """The completion followed the format (invalid answers are counted by the bridge: ``train/invalid_rate``)."""
    reason: str
    """Why not, when not ``ok`` (one line)."""


@runtime_checkable
class StructuredView(Protocol):
    """Answers as short token sequences over a small vocabulary, scored by a batched kernel."""

    @property
    def answer_vocab(self) -> tuple[str, ...]:
        """Names of the V answer tokens (token ``i`` is ``answer_vocab[i]``); includes the stop token."""

    @property
    def stop_code(self) -> int:
        """The token that ends an answer (also the padding after it)."""

    @property
    def observation_vocab(self) -> int:
        """Exclusive upper bound of ``observation()`` entries (the size of an embedding table)."""

    def observation(self, instance: Instance) -> np.ndarray:
        """Tokens int [D]: the instance as a small network reads it (same D for every instance of the config)."""

    def max_answer_len(self, instances: Sequence[Instance]) -> int:
        """Tokens (before the final STOP) the longest useful answer to any of ``instances`` can have."""

    def new_cursor(self, instances: Sequence[Instance], inst_idx: np.ndarray) -> AnswerCursor:
        """A cursor over N empty answers, answer n to ``instances[inst_idx[n]]`` (int [N])."""

    def score_answers(self, instances: Sequence[Instance], answers: np.ndarray, inst_idx: np.ndarray) -> np.ndarray:
        """float32 [N, K] rewards of token answers [N, L] (STOP-padded) on ``instances[inst_idx]``.

        Never raises for tokens of the vocabulary.
        """


@runtime_checkable
class TextView(Protocol):
    """Answers as completions of a prompt, parsed and scored by the same kernels as the structured view."""

    def prompt(self, instance: Instance, m: int = 1) -> str:
        """The prompt; ``m > 1`` asks for a chain of m different answers in one completion."""

    def parse(self, completion: object) -> ParsedAnswer:
        """What a single-answer completion holds; never raises (a parse failure is a reward outcome)."""

    def format_answer(self, instance: Instance, answer: object) -> str:
        """A structured answer (tokens [L]) to ``instance`` as the completion that says the same."""

    def answer_end_strings(self, m: int = 1) -> tuple[str, ...]:
        """Strings that end a completion of m answers (an LLM sampler's stop strings; may be empty)."""

    def score_completions(self, instance: Instance, completions: Sequence[object]
                          ) -> tuple[np.ndarray, Sequence[ParsedAnswer]]:
        """float32 [G, K] rewards of G completions on one instance, and what was parsed from each; never raises."""


@runtime_checkable
class TextChains(Protocol):
    """Text completions that hold a chain of m answers (set-level schemes such as vpo, multi_rlvr, max_at_k)."""

    def score_chains(self, instance: Instance, completions: Sequence[object], m: int, *, dedup: bool = True
                     ) -> tuple[np.ndarray, Sequence[Sequence[ParsedAnswer]]]:
        """float32 [G, m, K] rewards of G chains; with ``dedup`` an empty or repeated answer scores the zero vector."""


@runtime_checkable
class Demonstrations(Protocol):
    """A solver: answers to imitate before RL (the warm start of ``TrainConfig.warm_start_steps``)."""

    def demonstrations(self, instances: Sequence[Instance]) -> np.ndarray:
        """Structured answers int [N, L] (STOP-padded), one per instance: what a structured policy imitates."""

    def demonstration_texts(self, instances: Sequence[Instance]) -> list[str]:
        """N completions, one per instance: what a text policy imitates."""


@runtime_checkable
class SuccessObjectives(Protocol):
    """Which objectives define binary success (every one at its upper bound)."""

    @property
    def success_objectives(self) -> tuple[int, ...]:
        """Indices into ``reward_names`` (schemes that need a success bit, e.g. psr/nsr, read them)."""


@runtime_checkable
class ParetoFronts(Protocol):
    """The exact Pareto front of an instance (small enough to enumerate)."""

    def pareto_front(self, instance: Instance) -> Any:
        """A front whose ``rewards`` attribute is float [P, K], the non-dominated reward vectors of ``instance``."""


@runtime_checkable
class DirectiveMessages(Protocol):
    """A short directive message for each objective an answer fails."""

    def explain(self, instance: Instance, answer: object) -> dict[str, str]:
        """Objective name -> one line (the failing test and its diff, the violated constraint and the value seen)."""


class StructuredFamily(TaskFamily, StructuredView, Protocol):
    """A family with the structured view (what a small policy trains on)."""


class TextFamily(TaskFamily, TextView, Protocol):
    """A family with the text view (what a language model trains on)."""


@runtime_checkable
class JointPlay(Protocol):
    """A game: a rollout is A agents' structured answers played together on one instance (the multi-agent maze).

    The trainer drives it with a team policy (one policy per agent, or one shared) whose answers are
    int [B, G, m, A, L]; rewards come back as [B, G, m, A, K] and every agent trains on its own slice.
    """

    @property
    def n_agents(self) -> int:
        """A, agents per game."""

    def agent_view(self, agent: int) -> StructuredFamily:
        """The family as agent ``agent`` sees it (what that agent's structured policy samples through)."""

    def score_joint(self, instances: Sequence[Instance], answers: np.ndarray, inst_idx: np.ndarray) -> np.ndarray:
        """float32 [N, A, K] rewards of N games, answers int [N, A, L] (agent a's answer in row a)."""

    def game_metrics(self, rewards: np.ndarray, prefix: str) -> dict[str, float]:
        """Metrics of games ``rewards`` [B, S, m, A, K] (each (b, s, j) is one game), keys ``<prefix>/...``."""


@runtime_checkable
class NoisyJudge(Protocol):
    """Rewards come from a noisy judge; evaluation measures the true rewards (what the policy really achieves).

    Training scores with the judge (``score_answers`` / ``score_completions``); held-out metrics use these, so a
    pool's maximum is not a lucky draw of the judge.
    """

    def true_answer_scores(self, instances: Sequence[Instance], answers: np.ndarray, inst_idx: np.ndarray
                           ) -> np.ndarray:
        """float32 [N, K]: ``score_answers`` without the judge's noise."""

    def true_completion_scores(self, instance: Instance, completions: Sequence[object]
                               ) -> tuple[np.ndarray, Sequence[ParsedAnswer]]:
        """``score_completions`` without the judge's noise."""


ABILITIES: tuple[type, ...] = (StructuredView, TextView, TextChains, Demonstrations, SuccessObjectives,
                               ParetoFronts, DirectiveMessages, JointPlay, NoisyJudge)
"""Every ability a family may declare."""


A = TypeVar("A")


def passes_upper_bound(rewards: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The usual ``pass_flags``: bool [..., K], reward at its upper bound ``high`` [K] (NaN never passes)."""
    r = np.asarray(rewards, dtype=np.float64)
    return np.nan_to_num(r, nan=-np.inf) >= np.asarray(high, dtype=np.float64)


def supports(family: TaskFamily, ability: type) -> bool:
    """Whether ``family`` declares ``ability`` (one of ``ABILITIES``)."""
    return ability in family.abilities


def require(family: TaskFamily, ability: type[A], purpose: str) -> A:
    """``family`` as ``ability``, or a one-line ``ValueError`` naming the family, the ability and ``purpose``."""
    if not supports(family, ability):
        raise ValueError(f"task family {family.name!r} has no {ability.__name__} ({purpose} needs it); it offers: "
                         f"{', '.join(a.__name__ for a in family.abilities) or 'the core only'}")
    return family  # type: ignore[return-value]


def protocol_members(protocol: type) -> dict[str, Any]:
    """Public members of ``protocol`` and its protocol bases: name -> the declared function, property or type."""
    members: dict[str, Any] = {}
    for cls in reversed(protocol.__mro__):
        if cls in (object, Protocol) or not getattr(cls, "_is_protocol", False):
            continue
        for name, hint in getattr(cls, "__annotations__", {}).items():
            if not name.startswith("_"):
                members[name] = hint
        for name, value in vars(cls).items():
            if not name.startswith("_") and (callable(value) or isinstance(value, property)):
                members[name] = value
    return members


def _signature_problem(name: str, declared: Any, actual: Any) -> str | None:
    """Why ``actual`` cannot be called as ``declared`` is called.

    The bridge passes positional parameters by position (a family may name its instance ``task`` or ``problem``)
    and keyword-only parameters by name; anything more the family takes must have a default.
    """
    want = list(inspect.signature(declared).parameters.values())[1:]  # drop self
    try:
        have = list(inspect.signature(actual).parameters.values())
    except (TypeError, ValueError):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    n_want = sum(p.kind in positional for p in want)
    have_pos = [p for p in have if p.kind in positional]
    if len(have_pos) < n_want and not any(p.kind == p.VAR_POSITIONAL for p in have):
        return f"{name}() takes {len(have_pos)} positional parameters, the protocol passes {n_want}"
    have_names = {p.name for p in have}
    for p in want:
        if p.kind == p.KEYWORD_ONLY and p.name not in have_names and not any(q.kind == q.VAR_KEYWORD for q in have):
            return f"{name}() lacks keyword parameter {p.name!r}"
    wanted_kw = {p.name for p in want if p.kind == p.KEYWORD_ONLY}
    extra = [p.name for p in have_pos[n_want:] if p.default is p.empty]
    extra += [p.name for p in have if p.kind == p.KEYWORD_ONLY and p.default is p.empty and p.name not in wanted_kw]
    if extra:
        return f"{name}() has required parameters the protocol does not pass: {extra}"
    return None


def check_family(family: object) -> list[str]:
    """Problems of ``family`` against the core and the abilities it declares (empty list: it honours them).

    Checked: every member is present; methods take the protocol's parameters by the same names; at least one view
    is declared; and no ability is fully implemented without being declared (the bridge would never use it).
    """
    problems: list[str] = []
    declared = getattr(family, "abilities", None)
    if not isinstance(declared, tuple) or not all(a in ABILITIES for a in declared):
        return [f"abilities must be a tuple of protocols from {[a.__name__ for a in ABILITIES]}, got {declared!r}"]
    if not {StructuredView, TextView, JointPlay} & set(declared):
        problems.append("declares no view (StructuredView, TextView or JointPlay)")
    for protocol in (TaskFamily, *declared):
        for name, member in protocol_members(protocol).items():
            if not hasattr(family, name):
                problems.append(f"{protocol.__name__}.{name} is missing")
            elif inspect.isfunction(member):
                actual = getattr(family, name)
                problem = _signature_problem(name, member, actual) if callable(actual) else f"{name} is not callable"
                if problem:
                    problems.append(f"{protocol.__name__}: {problem}")
    for ability in ABILITIES:
        if ability not in declared and all(hasattr(family, n) for n in protocol_members(ability)):
            problems.append(f"implements {ability.__name__} but does not declare it in abilities")
    return problems
