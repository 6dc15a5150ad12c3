import hashlib
import itertools

import numpy as np
import pytest

from vecreward_envs.maze import MazeConfig, MazeGenerationError, generate, iter_instances
from vecreward_envs.maze.config import BONUS, END, ITEM0, LAVA, START, WALL
from vecreward_envs.maze.generator import bfs_distances

# The reference generator (ryanboldi/vpo vpo_tasks/maze.py, `_build_record`) printed these grids for seed 0
# and the first accepted seeds; our generator was compared against it cell for cell on seeds 0..2999
# (2753 accepted, all identical). These pins keep that equivalence from drifting.
SEED0_GRID = """\
S . # . . . G # .
. . . . # . . G G
. . # . . L . . #
. . . . . . . . #
. . L . B . . . .
. . . . . . . . .
D . . . L # . . .
D . . . . . # . #
D D D . . . . . E"""


def test_reference_seed0_grid() -> None:
    inst = generate(0)
    assert inst.grid_text() == SEED0_GRID
    assert (inst.budget, inst.item_totals, inst.lava_total, inst.seed) == (29, (3, 5), 3, 0)


def test_reference_split_digest() -> None:
    # Digest of the first 200 mazes of the reference's split builder from seed 42 (grids + budgets).
    digest = hashlib.sha256()
    for inst in itertools.islice(iter_instances(42), 200):
        digest.update(inst.grid_text().encode())
        digest.update(str(inst.budget).encode())
    assert digest.hexdigest()[:16] == REFERENCE_DIGEST


REFERENCE_DIGEST = "c05a09764068c95c"  # computed with the reference builder, matched by ours


@pytest.mark.parametrize("seed", range(0, 400, 7))
def test_generator_rules(seed: int) -> None:
    inst = generate(seed)
    cfg = inst.config
    cells = inst.cells
    size = cfg.size
    assert cells.shape == (size, size) and not cells.flags.writeable
    last = size - 1
    assert {inst.start, inst.end} in ({(0, 0), (last, last)}, {(0, last), (last, 0)})
    assert cells[inst.start] == START and cells[inst.end] == END and cells[size // 2, size // 2] == BONUS
    for t, (anchor, total) in enumerate(zip(inst.anchors, inst.item_totals, strict=True)):
        lo, hi = cfg.item_count_range
        assert lo <= total <= hi
        where = np.argwhere(cells == ITEM0 + t)
        assert len(where) == total
        assert all(abs(r - anchor[0]) + abs(c - anchor[1]) <= cfg.zone_radius for r, c in where)
    lava = np.argwhere(cells == LAVA)
    assert len(lava) == inst.lava_total and all(2 <= r <= size - 3 and 2 <= c <= size - 3 for r, c in lava)
    grid = cells.tolist()
    from_start, from_end = bfs_distances(grid, inst.start), bfs_distances(grid, inst.end)
    via = [from_start[a[0]][a[1]] + from_end[a[0]][a[1]] for a in inst.anchors]
    assert inst.budget == max(via) + cfg.slack
    gold, diamond = inst.anchors
    between = bfs_distances(grid, gold)[diamond[0]][diamond[1]]
    both = from_start[gold[0]][gold[1]] + between + from_end[diamond[0]][diamond[1]]
    assert both > inst.budget, "S->gold->diamond->E must not fit the budget"


def test_corners_rule_rejects_both_orders() -> None:
    cfg = MazeConfig(conflict="corners")
    for seed in range(0, 200, 9):
        inst = generate(seed, cfg)
        grid = inst.cells.tolist()
        gold, diamond = inst.anchors
        d_start, d_end = bfs_distances(grid, inst.start), bfs_distances(grid, inst.end)
        between = bfs_distances(grid, diamond)[gold[0]][gold[1]]
        assert d_start[gold[0]][gold[1]] + between + d_end[diamond[0]][diamond[1]] > inst.budget
        assert d_start[diamond[0]][diamond[1]] + between + d_end[gold[0]][gold[1]] > inst.budget
    safe = bfs_distances(grid, inst.start, blocked=frozenset({WALL, LAVA}))[inst.end[0]][inst.end[1]]
    assert safe == inst.shortest_safe <= inst.budget


def test_deterministic_and_retry_semantics() -> None:
    a, b = generate(123), generate(123)
    assert a == b and a.grid_text() == b.grid_text()
    rejected = next(s for s in range(1000) if generate(s).seed != s)
    inst = generate(rejected)
    assert inst.requested_seed == rejected and inst.seed > rejected and inst == generate(inst.seed)
    seeds = [i.seed for i in itertools.islice(iter_instances(0), 50)]
    assert len(set(seeds)) == 50 and seeds == sorted(seeds)


def test_larger_family_members() -> None:
    cfg = MazeConfig(size=13, n_item_types=4, conflict="corners", score_mode="linear")
    inst = generate(0, cfg)
    assert inst.reward_names == ("completion", "gold", "diamond", "ruby", "emerald", "avoid_lava")
    assert len(inst.anchors) == 4 and inst.cells.shape == (13, 13)
    for t in range(4):
        assert (inst.cells == ITEM0 + t).sum() == inst.item_totals[t]


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_bad_seeds(bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="seed"):
        generate(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": 5}, "size"),
        ({"n_item_types": 7}, "n_item_types"),
        ({"item_count_range": (4, 2)}, "item_count_range"),
        ({"score_mode": "cubic"}, "score_mode"),
        ({"conflict": "maybe"}, "conflict"),
        ({"lava_penalty": float("nan")}, "lava_penalty"),
        ({"slack": -1}, "slack"),
    ],
)
def test_bad_parameters(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MazeConfig(**kwargs)


def test_unknown_parameter_lists_valid_ones() -> None:
    with pytest.raises(TypeError, match="valid"):
        MazeConfig.from_kwargs(sise=9)


def test_impossible_parameters_fail_clearly() -> None:
    cfg = MazeConfig(slack=200, max_attempts=20)  # both corners always fit: every maze is rejected
    with pytest.raises(MazeGenerationError, match="too restrictive"):
        generate(0, cfg)
