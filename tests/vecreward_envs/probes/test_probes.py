import numpy as np
import pytest

from vecreward_envs.families import make_family
from vecreward_envs.probes.confidence import ConfidenceConfig
from vecreward_envs.probes.easyhard import EasyHardConfig


@pytest.mark.parametrize("name", ["confidence", "easyhard"])
def test_family_contract(name) -> None:  # noqa: ANN001
    family = make_family(name)
    a, b = family.instances(5, 20), family.instances(5, 20)
    assert a == b  # deterministic from the seed alone
    assert family.instance_from_row(family.task_row(a[3])) == a[3]
    cursor = family.new_cursor(a, np.arange(len(a)))
    answers = []
    for _ in range(family.max_answer_len(a) + 1):
        valid = cursor.valid_moves()
        assert valid.any(axis=1).all()
        tok = valid.argmax(axis=1)
        answers.append(tok)
        cursor.advance(tok)
    assert cursor.done.all() and (answers[-1] == family.stop_code).all()
    rewards = family.score_answers(a, np.stack(answers, 1), np.arange(len(a)))
    assert rewards.shape == (20, 2) and rewards.dtype == np.float32
    scored, parsed = family.score_completions(a[0], ["garbage", None])
    assert scored.shape == (2, 2) and not any(p.ok for p in parsed) and all(p.reason for p in parsed)
    with pytest.raises(ValueError):
        family.generate(-1)


def test_confidence_scores_and_reliabilities() -> None:
    family = make_family("confidence")
    questions = family.instances(0, 4000)
    for t, p in enumerate(family.config.reliabilities):  # the clue is right with probability p_t
        hits = [q.correct == q.clue for q in questions if q.kind == t]
        assert abs(np.mean(hits) - p) < 0.05
    q = questions[0]
    n_opt = family.config.n_options
    answers = np.array([[q.correct, n_opt + 7, family.stop_code],
                        [(q.correct + 1) % n_opt, n_opt, family.stop_code]])
    scored = family.score_answers([q], answers, np.zeros(2, np.int64))
    np.testing.assert_allclose(scored, [[1, 0.7], [0, 0.0]], rtol=1e-6)
    text = f"<answer>{q.correct}</answer> <confidence>0.35</confidence>"
    scored, parsed = family.score_completions(q, [text])
    assert parsed[0].ok and scored[0].tolist() == pytest.approx([1.0, 0.35])
    with pytest.raises(ValueError):
        ConfidenceConfig(reliabilities=(0.1,))


def test_easyhard_scores() -> None:
    family = make_family("easyhard")
    task = family.generate(3)
    good = np.array([[0, 2 + task.key, family.stop_code], [1, 2 + (task.key + 1) % 16, family.stop_code]])
    assert family.score_answers([task], good, np.zeros(2, np.int64)).tolist() == [[1, 1], [0, 0]]
    texts = [f"<tagged/> <answer>{task.key}</answer>", f"<answer>{task.key}</answer>"]
    scored, _ = family.score_completions(task, texts)
    assert scored.tolist() == [[1, 1], [0, 1]]
    assert make_family("easyhard", key_seed=1).keys.tolist() != family.keys.tolist()
    with pytest.raises(ValueError):
        EasyHardConfig(n_options=1)
