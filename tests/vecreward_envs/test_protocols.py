"""Every registered family honours the protocols it declares (``vecreward_envs.protocols``), and the checker bites."""

import re
from pathlib import Path

import numpy as np
import pytest

from vecreward_envs.families import FAMILIES, make_family
from vecreward_envs.protocols import (
    ABILITIES,
    Demonstrations,
    JointPlay,
    StructuredView,
    TaskFamily,
    TextView,
    check_family,
    protocol_members,
    require,
    supports,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_registered_family_honours_its_declared_protocols(name: str) -> None:
    family = make_family(name)
    assert check_family(family) == []
    assert isinstance(family, TaskFamily) and family.name == name
    for ability in family.abilities:
        assert isinstance(family, ability), ability.__name__  # runtime_checkable: every member is there
    k = len(family.reward_names)
    assert np.asarray(family.reward_low).shape == (k,) and np.asarray(family.reward_high).shape == (k,)
    inst = family.instances(0, 2)
    assert family.task_row(inst[0]) == family.task_row(family.instance_from_row(family.task_row(inst[0])))
    assert family.pass_flags(np.asarray(family.reward_high, np.float32)[None]).all()
    if supports(family, JointPlay):
        for a in range(require(family, JointPlay, "test").n_agents):
            assert check_family(require(family, JointPlay, "test").agent_view(a)) == []


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_declared_views_work_end_to_end(name: str) -> None:
    """One structured answer and one completion through the members the bridge calls."""
    family = make_family(name)
    inst = family.instances(0, 1)
    if supports(family, StructuredView):
        view = require(family, StructuredView, "test")
        cursor = view.new_cursor(inst, np.zeros(3, np.int64))
        length = view.max_answer_len(inst) + 1
        answers = np.full((3, length), view.stop_code, np.int64)
        for t in range(length):
            valid = cursor.valid_moves()
            assert valid.shape == (3, len(view.answer_vocab)) and valid.any(axis=1).all()
            tokens = valid.argmax(axis=1)
            answers[:, t] = np.where(cursor.done, view.stop_code, tokens)
            assert cursor.features().shape == (3, cursor.n_features)
            cursor.advance(answers[:, t])
        rewards = view.score_answers(inst, answers, np.zeros(3, np.int64))
        assert rewards.shape == (3, len(family.reward_names)) and rewards.dtype == np.float32
        obs = np.asarray(view.observation(inst[0]))
        assert obs.ndim == 1 and (obs < view.observation_vocab).all()
    if supports(family, TextView):
        text = require(family, TextView, "test")
        assert isinstance(text.prompt(inst[0]), str)
        assert all(isinstance(s, str) for s in text.answer_end_strings(1))
        rewards, parsed = text.score_completions(inst[0], ["no answer", None])
        assert rewards.shape == (2, len(family.reward_names)) and not parsed[0].ok and parsed[0].reason
        assert not text.parse("no answer").ok
    if supports(family, Demonstrations) and supports(family, TextView):
        solver = require(family, Demonstrations, "test")
        demos, texts = solver.demonstrations(inst), solver.demonstration_texts(inst)
        assert demos.shape[0] == len(texts) == 1 and isinstance(texts[0], str)
        assert require(family, TextView, "test").parse(texts[0]).ok


class _Half:
    """Declares a text view but implements only part of the core and of the view."""

    name = "half"
    abilities = (TextView,)
    reward_names = ("a",)

    def generate(self, seed):  # noqa: ANN001, ANN201
        return seed

    def prompt(self, instance, m, extra):  # noqa: ANN001, ANN201 - one required parameter too many
        return ""


def test_checker_reports_missing_members_bad_signatures_and_undeclared_abilities() -> None:
    problems = check_family(_Half())
    assert "TaskFamily.instances is missing" in problems
    assert "TextView.parse is missing" in problems
    assert any("prompt() has required parameters the protocol does not pass: ['extra']" in p for p in problems)
    maze = make_family("maze")
    object.__setattr__(maze, "abilities", tuple(a for a in maze.abilities if a is not Demonstrations))
    assert check_family(maze) == ["implements Demonstrations but does not declare it in abilities"]
    object.__setattr__(maze, "abilities", (Demonstrations,))
    assert "declares no view (StructuredView, TextView or JointPlay)" in check_family(maze)
    assert check_family(object())[0].startswith("abilities must be a tuple")


def test_require_is_one_line_naming_family_ability_and_purpose() -> None:
    probe = make_family("probe")
    assert supports(probe, TextView) and not supports(probe, Demonstrations)
    assert require(probe, TextView, "x") is probe
    with pytest.raises(ValueError, match=r"^task family 'probe' has no Demonstrations \(warm_start_steps needs it\)"):
        require(probe, Demonstrations, "warm_start_steps")


def test_every_ability_documents_every_member() -> None:
    for protocol in (TaskFamily, *ABILITIES):
        for name, member in protocol_members(protocol).items():
            doc = getattr(member, "__doc__", None) if not isinstance(member, str) else None
            if callable(member) or isinstance(member, property):
                assert doc and doc.strip(), f"{protocol.__name__}.{name} has no docstring"


def test_bridge_and_agents_ask_families_by_protocol_not_by_probing() -> None:
    probing = re.compile(r"\b(hasattr|getattr)\(\s*[\w.]*famil", re.IGNORECASE)
    loose = re.compile(r"\bfamil\w*\s*:\s*(Any|object)\b")
    offenders = []
    for package in ("llm_bridge", "agents"):
        for path in (ROOT / package).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if probing.search(line) or loose.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
