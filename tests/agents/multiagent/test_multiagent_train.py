"""The multi-agent training loop: joint play, corner-split statistics, config checks, tiny runs."""

import numpy as np
import pytest

from agents.multiagent.train import (
    AgentView,
    MultiAgentConfig,
    corner_labels,
    play_joint,
    split_stats,
    train_multiagent,
)
from agents.small import SmallPolicyConfig
from vecreward_envs.maze import MazeFamily
from vecreward_envs.multiagent.scoring import score_joint_routes


def test_agent_view_appends_the_index() -> None:
    family = MazeFamily()
    inst = family.generate(0)
    view = AgentView(family, 1)
    obs = view.observation(inst)
    np.testing.assert_array_equal(obs[:-1], family.observation(inst))
    assert obs[-1] == 1 and view.reward_names == family.reward_names


def test_play_joint_is_the_joint_kernel() -> None:
    family = MazeFamily()
    instances = family.instances(0, 2)
    rng = np.random.default_rng(0)
    answers = [rng.integers(0, 4, size=(2, 3, 1, 30)), rng.integers(0, 4, size=(2, 3, 1, 25))]
    rewards = play_joint(instances, answers)  # [B, G, m, A, K]
    assert rewards.shape == (2, 3, 1, 2, 4)
    routes = np.full((1, 2, 30), 4, np.int64)
    routes[0, 0], routes[0, 1, :25] = answers[0][1, 2, 0], answers[1][1, 2, 0]
    np.testing.assert_array_equal(rewards[1, 2, 0], score_joint_routes(instances, routes, [1]).rewards[0])


def test_corner_split_statistics() -> None:
    gold, diamond, both, neither, fail = [1, .5, 0, 1], [1, 0, .3, 1], [1, .2, .2, 1], [1, 0, 0, 1], [0, 0, 0, 0]
    games = np.array([[gold, diamond], [diamond, gold], [gold, gold], [both, diamond], [fail, neither]], np.float32)
    np.testing.assert_array_equal(corner_labels(games), [[1, 2], [2, 1], [1, 1], [3, 2], [0, 4]])
    stats = split_stats(games)
    assert stats["eval/split_rate"] == pytest.approx(2 / 5)
    assert stats["eval/same_corner_rate"] == pytest.approx(1 / 5)
    assert stats["eval/all_reach_rate"] == pytest.approx(4 / 5)
    assert stats["eval/agent_0/gold_only"] == pytest.approx(2 / 5)


def test_config_checks() -> None:
    with pytest.raises(ValueError, match="n_agents"):
        MultiAgentConfig(n_agents=5)
    with pytest.raises(ValueError, match="chain_length"):
        MultiAgentConfig(aggregator="grpo", chain_length=3)
    with pytest.raises(ValueError, match="ignores objective weights"):
        MultiAgentConfig(aggregator="vpo", chain_length=3, personas=((1, 1, 0, 1), (1, 0, 1, 1)))
    with pytest.raises(ValueError, match="one weight vector per agent"):
        MultiAgentConfig(personas=((1, 1),))
    with pytest.raises(ValueError, match="shape"):
        MultiAgentConfig(personas=((1, 1), (1, 1)))
    with pytest.raises(ValueError, match="mode"):
        MultiAgentConfig(mode="central")


def test_personas_become_the_agents_aggregator_weights() -> None:
    config = MultiAgentConfig(personas=((1, 1, 0, 1), (1, 0, 1, 1)))
    assert [p.weights for p in config.pipelines()] == [(1.0, 1.0, 0.0, 1.0), (1.0, 0.0, 1.0, 1.0)]
    assert [p.weights for p in MultiAgentConfig().pipelines()] == [None, None]


TINY = dict(steps=2, batch_size=2, group_size=2, warm_start_steps=1, train_instances=4, eval_instances=2,
            eval_samples=2, policy=SmallPolicyConfig(hidden=16, embed=4))


@pytest.mark.parametrize("overrides", [
    dict(aggregator="grpo"),
    dict(aggregator="vpo", chain_length=2),
    dict(aggregator="grpo", personas=((1, 1, 0, 1), (1, 0, 1, 1)), mode="shared"),
], ids=["grpo", "vpo", "personas-shared"])
def test_tiny_runs(overrides: dict) -> None:
    result = train_multiagent(MultiAgentConfig(**TINY, **overrides))
    assert len(result.history) == 2
    assert 0.0 <= result.last_eval["eval/split_rate"] <= 1.0
    assert "eval/agent_1/gold/mean" in result.last_eval


def test_runs_are_reproducible() -> None:
    a = train_multiagent(MultiAgentConfig(**TINY)).history
    b = train_multiagent(MultiAgentConfig(**TINY)).history
    assert a == b


def test_multiagent_runs_on_the_trainers_loop_and_resumes(tmp_path) -> None:  # noqa: ANN001
    """A killed multi-agent run continues from its checkpoint and logs what an uninterrupted run logs."""
    import dataclasses

    from agents.multiagent.team import TeamPolicy
    from agents.multiagent.train import train_config
    from llm_bridge.trainer import train
    from vecreward_envs.multiagent.family import JointMazeFamily

    config = MultiAgentConfig(**{**TINY, "steps": 3}, personas=((1, 1, 0, 1), (1, 0, 1, 1)))
    trainer_config = dataclasses.replace(train_config(config), checkpoint_every=1)
    family = JointMazeFamily(config.maze, n_agents=2)

    def team() -> TeamPolicy:
        return TeamPolicy.small(family, config.mode, config.policy, config.seed)

    full = train(trainer_config, team(), family, tmp_path / "full", progress=False, tensorboard=False)

    class Killed(Exception):
        pass

    def kill(step: int, row: dict) -> None:
        if step == 1:
            raise Killed

    with pytest.raises(Killed):
        train(trainer_config, team(), family, tmp_path / "killed", progress=False, tensorboard=False, on_step=kill)
    resumed = train(trainer_config, team(), family, tmp_path / "killed", resume=True, progress=False,
                    tensorboard=False)
    assert resumed.history == full.history and len(full.history) == 3
    assert (tmp_path / "full" / "checkpoints" / "latest.pt").exists()
    assert "train/agent_1/loss" in full.history[0] and "eval/split_rate" in full.last_eval
    assert full.last_eval_rewards.shape[3] == 2  # [B, S, m, A, K]
    # the default wrapper gives the same history as driving the trainer directly
    direct = train(train_config(config), team(), family, tmp_path / "direct", progress=False, tensorboard=False)
    assert train_multiagent(config).history == direct.history
