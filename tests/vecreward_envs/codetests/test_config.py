import pytest

from vecreward_envs.codetests.config import GROUPS, CodeTestsConfig


def test_default_objectives() -> None:
    config = CodeTestsConfig()
    assert config.reward_names == ("format", "compiles", "test/basic", "test/empty", "test/single",
                                   "test/negative", "test/duplicates", "test/large")
    assert config.n_objectives == 8 and config.max_tests == 4 + 2 * 5
    assert config.slot_objective("basic", 3) == 2 and config.slot_objective("large", 1) == 7


def test_per_test_objectives() -> None:
    config = CodeTestsConfig(granularity="test", groups=("basic", "empty"), basic_tests=2, edge_tests=1)
    assert config.reward_names == ("format", "compiles", "test/basic/0", "test/basic/1", "test/empty/0")
    assert [config.slot_objective(g, i) for g, i in (("basic", 0), ("basic", 1), ("empty", 0))] == [2, 3, 4]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"groups": ("basic", "weird")}, "valid"),
    ({"groups": ("empty", "basic")}, "order"),
    ({"groups": ("empty",)}, "basic"),
    ({"groups": ()}, "non-empty"),
    ({"basic_tests": 0}, "basic_tests"),
    ({"n_examples": 9}, "n_examples"),
    ({"program_len": 4}, "program_len"),
    ({"granularity": "objective"}, "granularity"),
    ({"answer_format": "java"}, "answer_format"),
    ({"max_attempts": 0}, "max_attempts"),
])
def test_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CodeTestsConfig(**kwargs)


def test_types_and_unknown_names() -> None:
    with pytest.raises(TypeError, match="int"):
        CodeTestsConfig(edge_tests=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="valid"):
        CodeTestsConfig.from_kwargs(tests_per_group=3)
    assert CodeTestsConfig.from_kwargs(groups=list(GROUPS[:3])).groups == GROUPS[:3]
