"""conflict_maze_v0's AEC conversion (vector rewards everywhere, MOMAland's api_test) and its rgb_array rendering."""

import numpy as np
import pytest
from pettingzoo.test import api_test, render_test

from vecreward_envs.multiagent import conflict_maze_v0
from vecreward_envs.multiagent.aec import VectorRewardParallelToAEC, vector_parallel_to_aec
from vecreward_envs.multiagent.render import AGENT_COLOURS, CELL_PX


@pytest.mark.parametrize("n_agents", [2, 3, 4])
def test_momaland_api_test(n_agents: int) -> None:
    momaland_api = pytest.importorskip("momaland.test.api_test")
    momaland_api.api_test(conflict_maze_v0.env(n_agents=n_agents), num_cycles=300)


def test_pettingzoo_aec_api_test_still_refuses_arrays() -> None:
    # PettingZoo's AEC api_test asserts `accumulated == reward`, which a reward array cannot answer; the linearized
    # env passes it (tests/vecreward_envs/multiagent/test_env.py), and MOMAland's api_test passes the vector env.
    with pytest.raises(ValueError, match="truth value"):
        api_test(conflict_maze_v0.env(n_agents=2), num_cycles=50)


def test_every_aec_reward_is_a_float32_vector() -> None:
    from route_helpers import shortest_moves

    env = conflict_maze_v0.env(n_agents=3)
    k = env.unwrapped.reward_dim
    assert env.reward_space("agent_1").shape == (k,) and set(env.reward_spaces) == set(env.possible_agents)
    rng = np.random.default_rng(0)
    for seed in (0, 1):
        env.reset(seed=seed)
        inst = env.unwrapped.instance
        walk = shortest_moves(inst, inst.start, inst.end)  # agent_0 walks to E, the others move at random
        totals = {agent: np.zeros(k, np.float32) for agent in env.agents}
        turns = dict.fromkeys(env.agents, 0)
        for agent in env.agent_iter():
            _, reward, term, trunc, _ = env.last()
            for value in [reward, *env.rewards.values(), *env._cumulative_rewards.values()]:
                assert isinstance(value, np.ndarray) and value.shape == (k,) and value.dtype == np.float32
            assert not any(env.rewards[a] is env._cumulative_rewards[a] for a in env.agents)  # no shared arrays
            totals[agent] += reward
            if term or trunc:
                env.step(None)
                continue
            env.step(walk[turns[agent]] if agent == "agent_0" else int(rng.integers(4)))
            turns[agent] += 1
        assert totals["agent_0"][0] == 1.0  # agent_0 reached E: its vector arrived through the AEC env


def test_conversion_needs_a_reward_space() -> None:
    class NoRewardSpace:
        possible_agents = ["a_0"]
        metadata: dict = {}
        render_mode = None

    with pytest.raises(TypeError, match="reward_space"):
        VectorRewardParallelToAEC(NoRewardSpace())  # type: ignore[arg-type]
    aec = vector_parallel_to_aec(conflict_maze_v0.parallel_env())
    assert isinstance(aec.unwrapped, conflict_maze_v0.ConflictMazeParallelEnv)


def _frames(seed: int, moves: np.ndarray, n_agents: int = 2) -> list[np.ndarray]:
    env = conflict_maze_v0.parallel_env(n_agents=n_agents, render_mode="rgb_array")
    env.reset(seed=seed)
    frames = [env.render()]
    for row in moves:
        if not env.agents:
            break
        env.step({a: int(row[i]) for i, a in enumerate(env.possible_agents) if a in env.agents})
        frames.append(env.render())
    return frames


def test_rgb_array_shape_dtype_and_determinism() -> None:
    moves = np.random.default_rng(3).integers(0, 4, (40, 2))
    a, b, c = _frames(0, moves), _frames(0, moves), _frames(1, moves)
    size = conflict_maze_v0.parallel_env().config.size
    for frame in a:
        assert isinstance(frame, np.ndarray) and frame.dtype == np.uint8
        assert frame.shape == (size * CELL_PX, size * CELL_PX, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])  # another maze
    assert any(not np.array_equal(a[0], f) for f in a[1:])  # the agents move


def test_agents_drawn_distinctly_and_only_while_in_the_maze() -> None:
    env = conflict_maze_v0.parallel_env(n_agents=4, render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    row, col = env.instance.start
    cell = frame[row * CELL_PX:(row + 1) * CELL_PX, col * CELL_PX:(col + 1) * CELL_PX].reshape(-1, 3)
    present = {tuple(p) for p in cell.tolist()}
    assert all(colour in present for colour in AGENT_COLOURS)  # four agents on S, four colours
    others = frame.reshape(-1, 3).tolist()
    assert sum(tuple(p) == AGENT_COLOURS[0] for p in others) == sum(tuple(p) == AGENT_COLOURS[0] for p in cell.tolist())
    # agents that left the maze are no longer drawn
    env._state.active[0, 1:] = False
    frame = env.render()
    assert not (frame.reshape(-1, 3) == AGENT_COLOURS[1]).all(axis=1).any()
    assert (frame.reshape(-1, 3) == AGENT_COLOURS[0]).all(axis=1).any()


def test_render_modes_and_pettingzoo_render_test(capsys: pytest.CaptureFixture[str]) -> None:
    assert conflict_maze_v0.parallel_env(render_mode="rgb_array").render() is None  # before reset
    env = conflict_maze_v0.parallel_env()
    env.reset(seed=0)
    assert env.render() is None
    human = conflict_maze_v0.parallel_env(render_mode="human")
    human.reset(seed=0)
    assert human.render() is None and "steps left" in capsys.readouterr().out
    with pytest.raises(ValueError, match="render_mode"):
        conflict_maze_v0.parallel_env(render_mode="video")
    render_test(conflict_maze_v0.env)  # every mode in metadata, through the AEC env
    aec = conflict_maze_v0.env(render_mode="rgb_array", n_agents=3)
    aec.reset(seed=1)
    assert aec.render().shape[2] == 3


def test_frames_make_a_video(tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("moviepy")
    from gymnasium.utils.save_video import save_video

    frames = _frames(0, np.random.default_rng(0).integers(0, 4, (20, 2)))
    save_video(frames, str(tmp_path), fps=4, name_prefix="maze")
    assert list(tmp_path.glob("maze*.mp4"))
