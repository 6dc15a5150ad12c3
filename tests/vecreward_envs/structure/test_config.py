"""StructureConfig: validation (one-line ValueErrors), string forms, resolution of per-objective knobs."""

import pytest

from vecreward_envs.structure.config import StructureConfig


def test_defaults_and_names() -> None:
    c = StructureConfig()
    assert (c.K, c.m, c.V, c.F, c.relation) == (3, 2, 5, 8, "independent")
    assert c.granularity == ("continuous",) * 3 and c.difficulty == ("easy",) * 3 and c.noisy == (2,)
    assert c.reward_names == ("match/0", "match/1", "match/2") and c.answer_len == 6
    full = StructureConfig(bottleneck=True, saturating=True, proxy=True, relation="tradeoff")
    assert full.reward_names[3:] == ("bottleneck", "saturating", "proxy")
    assert full.answer_len == 2 + 3 + 1


def test_string_forms_from_the_command_line() -> None:
    c = StructureConfig.from_kwargs(K="4", m="3", V="7", F="10", noise="0.25", noisy="0,2", relation="aligned",
                                    granularity="binary", difficulty="medium", bottleneck="true", saturating="off",
                                    proxy="1", bottleneck_positions="2")
    assert (c.K, c.m, c.V, c.F, c.noise, c.noisy) == (4, 3, 7, 10, 0.25, (0, 2))
    assert c.granularity == ("binary",) * 4 and c.difficulty == ("medium",) * 4
    assert (c.bottleneck, c.saturating, c.proxy, c.bottleneck_positions) == (True, False, True, 2)
    c = StructureConfig.from_kwargs(difficulty="easy,hard,medium", granularity="binary, levels:3 ,continuous",
                                    noisy="2")
    assert c.difficulty == ("easy", "hard", "medium") and c.granularity == ("binary", "levels:3", "continuous")
    assert c.noisy == (2,)
    assert StructureConfig.from_kwargs(noisy="").noisy == () == StructureConfig.from_kwargs(noisy="none").noisy
    assert StructureConfig.from_kwargs(noisy=1).noisy == (1,)
    assert StructureConfig.from_kwargs(noisy=[0, 1]).noisy == (0, 1)
    assert StructureConfig.from_kwargs(K=5).noisy == (4,)  # the default follows K


def test_as_dict_round_trips() -> None:
    c = StructureConfig(K=4, relation="tradeoff", granularity="levels:4", noise=0.1, noisy=(3, 0), proxy=True)
    assert StructureConfig.from_kwargs(**c.as_dict()) == c
    as_lists = {k: list(v) if isinstance(v, tuple) else v for k, v in c.as_dict().items()}  # a JSON round trip
    assert StructureConfig.from_kwargs(**as_lists) == c
    assert hash(c) == hash(StructureConfig.from_kwargs(**c.as_dict()))


BAD = [
    ({"K": 0}, "K must be an int in 1..8"), ({"K": 9}, "K must be an int in 1..8"),
    ({"K": True}, "K must be an int"), ({"m": 0}, "m must be an int in 1..16"), ({"V": 2}, "V must be an int in 3..32"),
    ({"F": 2}, "F must be an int in 3..64"), ({"relation": "mixed"}, "relation must be one of"),
    ({"relation": "tradeoff", "K": 5, "V": 5}, "needs V-1 >= K"),
    ({"granularity": "levels:1"}, "levels:N with N in 2..64"), ({"granularity": "fuzzy"}, "granularity values"),
    ({"granularity": ("binary", "continuous")}, "needs 1 or K=3 values, got 2"),
    ({"difficulty": "easy,hard"}, "needs 1 or K=3 values, got 2"), ({"difficulty": "trivial"}, "easy, medium or hard"),
    ({"relation": "aligned", "difficulty": "easy,easy,hard"}, "needs one difficulty"),
    ({"noise": -0.1}, "noise must be a number in"), ({"noise": float("nan")}, "noise must be a number in"),
    ({"noisy": (3,)}, "noisy must hold distinct indices in 0..2"), ({"noisy": (1, 1)}, "distinct indices"),
    ({"noisy": "x"}, "noisy must be an int"), ({"bottleneck": "maybe"}, "bottleneck must be a bool"),
    ({"bottleneck_positions": 9}, "bottleneck_positions must be an int in 1..8"),
    ({"noise": "lots"}, "must be a number"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD, ids=[str(k) for k, _ in BAD])
def test_bad_values_are_one_line_value_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        StructureConfig.from_kwargs(**kwargs)
    assert "\n" not in str(caught.value)


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(TypeError, match=r"unknown structure parameter\(s\) \['k'\]; valid: \['K'"):
        StructureConfig.from_kwargs(k=3)
