"""Schedules: the written form, BWT and forgetting by hand, the runner (resume across stages), the shared trunk."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from agents.small.multitask import MultiTaskSmallPolicy
from llm_bridge.pipeline import PipelineConfig
from llm_bridge.schedule import check_schedule, run_schedule, schedule_families
from llm_bridge.schedule_spec import Schedule, parse_schedule, parse_task
from llm_bridge.trainer import TrainConfig
from llm_bridge.transfer_metrics import backward_transfer, forgetting, pairwise_transfer

BASE = TrainConfig(batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=3, checkpoint_every=3,
                   train_instances=32)


def test_written_form_round_trip() -> None:
    s = parse_schedule("imitate:maze:10 > rl:maze+toolcall:20:gdpo > rl:structure(relation=tradeoff;K=3):5")
    assert [st.mode for st in s.stages] == ["imitate", "rl", "rl"]
    assert s.stages[1].pipeline.aggregator == "gdpo"
    assert s.stages[2].pipeline.aggregator == "grpo"  # the run's default
    assert [t.label for t in s.tasks] == ["maze", "toolcall", "structure(K=3;relation=tradeoff)"]
    assert s.total_steps == 35 and s.stage_at(10) == (1, 0) and s.stage_at(34) == (2, 4)
    assert Schedule.from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_default_pipeline_reaches_stages() -> None:
    base = PipelineConfig(aggregator="rvpo", aggregator_params={"tau": 1.0}, weights=(1.0, 2.0, 1.0, 1.0))
    s = parse_schedule("rl:maze:5 > rl:maze:5:grpo", base)
    assert s.stages[0].pipeline == base
    assert s.stages[1].pipeline.aggregator == "grpo" and s.stages[1].pipeline.weights == base.weights
    assert dict(s.stages[1].pipeline.aggregator_params) == {}  # rvpo's tau does not carry over to grpo


def test_json_file(tmp_path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"stages": [
        {"mode": "imitate", "tasks": ["maze"], "steps": 3},
        {"mode": "rl", "tasks": [{"family": "structure", "params": {"K": 3}}], "steps": 4,
         "pipeline": {"aggregator": "gdpo"}},
        {"mode": "rl", "tasks": ["maze"], "steps": 2}]}))
    s = parse_schedule(str(path), PipelineConfig(aggregator="dvao"))
    assert s.stages[1].pipeline.aggregator == "gdpo" and s.stages[2].pipeline.aggregator == "dvao"
    assert s.stages[1].tasks[0].label == "structure(K=3)"


@pytest.mark.parametrize(("spec", "fragment"), [
    ("", "must not be empty"),
    ("rl:maze", "MODE:TASKS:STEPS"),
    ("rl:maze:0", "steps must be an int in 1.."),
    ("rl:maze:-3", "whole number"),
    ("train:maze:3", "mode must be one of"),
    ("imitate:maze:3:grpo", "imitation stage takes no SCHEME"),
    ("rl:maze+maze:3", "names a task twice"),
    ("rl:structure(K=3:3", "unbalanced"),
    ("rl:maze(:2", "--schedule: unbalanced"),
    ("rl:maze:\u0663", "whole number"),
    ("rl:structure(K):3", "KEY=VALUE"),
    ("rl:maze:3:nope", "unknown aggregator"),
    ("rl:maze:3 > ", "MODE:TASKS:STEPS"),
    ("missing.json", "cannot read it"),
])
def test_bad_specs_fail_in_one_line(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_schedule(spec)
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_json_pipeline_must_be_an_object(tmp_path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"stages": [{"mode": "rl", "tasks": ["maze"], "steps": 2, "pipeline": 5}]}))
    with pytest.raises(ValueError, match="stage 1: pipeline must be an object"):
        parse_schedule(str(path))


def test_parse_task_keeps_commas_in_values() -> None:
    assert dict(parse_task("structure(granularity=binary,levels:3;K=2)").params) == {
        "granularity": "binary,levels:3", "K": 2}


def test_bwt_and_forgetting_by_hand() -> None:
    # tasks A, B; stage 0 trains A, stage 1 trains B, stage 2 trains A again
    r = np.array([[0.5, 0.1], [0.3, 0.6], [0.7, 0.4]])
    trained = [[True, False], [False, True], [True, False]]
    # only B is left untrained by the final stage: BWT = R[2,B] - R[1,B] = -0.2; forgetting = max(R[1,B]) - R[2,B]
    assert backward_transfer(r, trained) == pytest.approx(-0.2)
    assert forgetting(r, trained) == pytest.approx(0.2)
    t = pairwise_transfer(r, trained)
    assert np.isnan(t[0]).all() and t[1, 0] == pytest.approx(-0.2) and t[2, 1] == pytest.approx(-0.2)
    assert np.isnan(t[1, 1]) and np.isnan(t[2, 0])
    # sequential A then B: GEM's BWT is R[T,A] - R[A,A]
    seq = np.array([[0.8, 0.0], [0.5, 0.9]])
    assert backward_transfer(seq, [[True, False], [False, True]]) == pytest.approx(-0.3)
    # joint training leaves no task to measure
    assert np.isnan(backward_transfer(seq, [[True, True], [True, True]]))


def _policy(schedule: Schedule) -> tuple[MultiTaskSmallPolicy, dict]:
    families = schedule_families(schedule)
    return MultiTaskSmallPolicy(families, seed=3), families


def test_run_and_resume_across_a_stage_boundary(tmp_path) -> None:
    schedule = parse_schedule("imitate:maze+toolcall:4 > rl:toolcall:3 > rl:maze:3:gdpo")
    policy, families = _policy(schedule)
    whole = run_schedule(schedule, policy, families, BASE, tmp_path / "whole", progress=False, tensorboard=False)
    assert whole.scores.shape == (3, 2) and np.isfinite(whole.scores).all() and np.isfinite(whole.entropy).all()
    assert whole.trained == [[True, True], [False, True], [True, False]]
    assert np.isfinite(whole.bwt)  # toolcall is left untrained by the final stage
    rows = [json.loads(line) for line in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 10 and "maze/imitation/loss" in rows[0] and "toolcall/train/reward_scalar" in rows[4]
    assert "maze/eval/entropy" in rows[5] and "toolcall/eval/best@1" in rows[9]

    for kill_at in (3, 5):  # the last step of stage 1 (a checkpoint), and inside stage 2 after one
        policy, families = _policy(schedule)

        def die(step: int, row: dict, at: int = kill_at) -> None:
            if step == at:
                raise KeyboardInterrupt

        run_dir = tmp_path / f"killed{kill_at}"
        with pytest.raises(KeyboardInterrupt):
            run_schedule(schedule, policy, families, BASE, run_dir, progress=False, tensorboard=False, on_step=die)
        policy, families = _policy(schedule)
        resumed = run_schedule(schedule, policy, families, BASE, run_dir, resume=True, progress=False,
                               tensorboard=False)
        np.testing.assert_allclose(resumed.scores, whole.scores)
        np.testing.assert_allclose(resumed.initial, whole.initial)


def test_check_schedule_refuses_what_a_stage_cannot_do() -> None:
    schedule = parse_schedule("rl:maze+toolcall:3", PipelineConfig(weights=(1.0, 1.0, 1.0, 1.0)))
    with pytest.raises(ValueError, match="toolcall's 11 objectives"):
        check_schedule(schedule, schedule_families(schedule), BASE)
    schedule = parse_schedule("imitate:codetests:3")
    with pytest.raises(ValueError, match="Demonstrations"):
        check_schedule(schedule, schedule_families(schedule), BASE)
    schedule = parse_schedule("rl:multiagent_maze:3")
    with pytest.raises(ValueError, match="game"):
        check_schedule(schedule, schedule_families(schedule), BASE)


def test_the_trunk_is_shared_and_carries_training_across_families() -> None:
    schedule = parse_schedule("rl:maze+toolcall:1")
    policy, families = _policy(schedule)
    maze, tool = policy.heads["maze"], policy.heads["toolcall"]
    assert maze.net.gru is tool.net.gru
    assert maze.net.head is not tool.net.head
    head_before = {k: v.clone() for k, v in tool.net.head.state_dict().items()}
    trunk_before = {k: v.clone() for k, v in maze.net.gru.state_dict().items()}
    instances = families["maze"].instances(0, 4)
    samples = policy.sample(families["maze"], instances, 4)
    policy.update(samples, np.random.default_rng(0).normal(size=(4, 4)))
    assert any(not torch.equal(trunk_before[k], v) for k, v in maze.net.gru.state_dict().items())
    assert all(torch.equal(head_before[k], v) for k, v in tool.net.head.state_dict().items())
    with pytest.raises(ValueError, match="no head for family"):
        policy.sample(schedule_families(parse_schedule("rl:structure:1"))["structure"], instances, 2)
