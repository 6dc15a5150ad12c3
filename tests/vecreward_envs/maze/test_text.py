import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vecreward_envs.maze import MazeFamily, generate, pareto_front, parse_chain, parse_route, prompt
from vecreward_envs.maze.text import MAX_COMPLETION_CHARS


def test_prompt_reference_wording() -> None:
    text = prompt(generate(0))
    assert text.startswith("Navigate a 9x9 maze from S to E. Collect gold and diamonds, avoid lava.\n\nGrid:\n")
    assert generate(0).grid_text() in text
    assert "- You have 29 steps." in text
    assert "This maze has 3 Gold, 5 Diamond, 3 Lava, and 1 Bonus tiles." in text
    assert text.endswith("Output moves in <answer>...</answer> tags, e.g., <answer>UP UP RIGHT</answer>.")
    multi = prompt(generate(0), m=3)
    assert "steps per route" in multi and "<route_3>...</route_3>" in multi and "<answer>" not in multi


@pytest.mark.parametrize(
    ("completion", "moves", "ok"),
    [
        ("<answer>UP DOWN left Right</answer>", [0, 1, 2, 3], True),
        ("think... <ANSWER>\nRIGHT, RIGHT; down</ANSWER> more <answer>UP</answer>", [3, 3, 1], True),
        ("RIGHT RIGHT", [3, 3], False),  # reference fallback: the whole text, flagged
        ("<answer>go east</answer>", [], False),
        ("<answer>UPUP DOWNRIGHT</answer>", [], False),
        ("", [], False),
        (None, [], False),
        (b"<answer>UP</answer>", [0], True),
        (b"\xff\xfe", [], False),
        (["UP"], [], False),
    ],
)
def test_parse_route(completion: object, moves: list[int], ok: bool) -> None:
    parsed = parse_route(completion)
    assert parsed.moves.tolist() == moves and parsed.ok is ok
    assert bool(parsed.reason) is not ok


def test_strict_mode_needs_the_tag() -> None:
    assert parse_route("RIGHT RIGHT", strict=True).moves.size == 0


def test_parse_chain() -> None:
    chain = parse_chain("<route_1>UP</route_1> x <route_3>LEFT DOWN</route_3>", 3)
    assert [c.moves.tolist() for c in chain] == [[0], [], [2, 1]]
    assert [c.ok for c in chain] == [True, False, True] and "route_2" in chain[1].reason
    fallback = parse_chain("UP UP\n---\nDOWN", 3)
    assert [c.moves.tolist() for c in fallback] == [[0, 0], [1], []]
    assert [c.moves.tolist() for c in parse_chain(None, 2)] == [[], []]
    with pytest.raises(ValueError):
        parse_chain("x", 0)


def test_text_and_structured_views_score_identically() -> None:
    family = MazeFamily()
    inst = generate(4)
    front = pareto_front(inst)
    completions = [family.format_answer(inst, route) for route in front.routes]
    rewards, parsed = family.score_completions(inst, completions)
    np.testing.assert_array_equal(rewards, front.rewards)
    assert all(p.ok for p in parsed)


def test_chains_dedup_and_pad() -> None:
    family = MazeFamily()
    inst = generate(4)
    route = family.format_answer(inst, pareto_front(inst).routes[0])[len("<answer>"):-len("</answer>")]
    text = f"<route_1>{route}</route_1><route_2>{route}</route_2><route_3>nothing</route_3>"
    rewards, _ = family.score_chains(inst, [text], 3)  # [1, 3, K]
    assert rewards.shape == (1, 3, 4)
    assert rewards[0, 0, 0] == 1 and not rewards[0, 1:].any()  # duplicate and empty routes score zero
    no_dedup, _ = family.score_chains(inst, [text], 3, dedup=False)
    np.testing.assert_array_equal(no_dedup[0, 1], no_dedup[0, 0])


def test_huge_completion_is_cut() -> None:
    parsed = parse_route("<answer>" + "UP " * (MAX_COMPLETION_CHARS // 2))
    assert not parsed.ok and "cut" in parsed.reason


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/answerouteUPDOWNLEFTRIGHT_123 \n-é😀")), max_size=300))
def test_parsers_never_raise(text: str) -> None:
    family = MazeFamily()
    inst = generate(0)
    parsed = parse_route(text)
    assert parsed.moves.dtype == np.int8 and set(parsed.moves.tolist()) <= {0, 1, 2, 3}
    assert len(parse_chain(text, 3)) == 3
    rewards, _ = family.score_completions(inst, [text])
    assert rewards.shape == (1, 4) and np.all((rewards >= 0) & (rewards <= 1))


@pytest.mark.parametrize("size", [7, 9])
def test_compact_prompt_is_shorter_and_holds_the_grid_and_budget(size: int) -> None:
    from vecreward_envs.maze.config import MazeConfig

    reference = MazeFamily(MazeConfig(size=size))
    compact = MazeFamily(MazeConfig(size=size, prompt_style="compact"))
    for seed in range(3):
        inst, inst_c = reference.generate(seed), compact.generate(seed)
        np.testing.assert_array_equal(inst.cells, inst_c.cells)  # the style changes the text only
        assert inst.budget == inst_c.budget
        text, text_c = reference.prompt(inst), compact.prompt(inst_c)
        assert len(text_c.encode()) < len(text.encode()) / 2
        for row in inst_c.symbol_rows():
            assert "".join(row) in text_c
        assert f"at most {inst_c.budget} moves" in text_c and "<answer>" in text_c
        multi = compact.prompt(inst_c, m=3)
        assert "per route" in multi and "<route_3>...</route_3>" in multi


def test_compact_prompt_scores_demonstrations_identically() -> None:
    from vecreward_envs.maze.config import MazeConfig

    reference = MazeFamily(MazeConfig(size=7))
    compact = MazeFamily(MazeConfig(size=7, prompt_style="compact"))
    for seed in range(3):
        inst, inst_c = reference.generate(seed), compact.generate(seed)
        texts = reference.demonstration_texts([inst])
        assert compact.demonstration_texts([inst_c]) == texts
        texts += [reference.format_answer(inst, route) for route in pareto_front(inst).routes]
        rewards, _ = reference.score_completions(inst, texts)
        rewards_c, parsed = compact.score_completions(inst_c, texts)
        np.testing.assert_array_equal(rewards_c, rewards)
        assert all(p.ok for p in parsed)


def test_bad_prompt_style_is_a_one_line_error() -> None:
    from vecreward_envs.maze.config import MazeConfig

    with pytest.raises(ValueError, match="prompt_style") as err:
        MazeConfig(prompt_style="short")  # type: ignore[arg-type]
    assert "\n" not in str(err.value)
