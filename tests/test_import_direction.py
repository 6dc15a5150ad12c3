"""Imports only point up: vecreward_envs <- llm_bridge <- agents (shared/DESIGN.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "vecreward_envs": {"llm_bridge", "agents", "torch"},
    "llm_bridge": {"agents"},
}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_backwards_imports(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources found for {package}"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & FORBIDDEN[package]) for path in files
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"backwards imports: {offenders}"


def test_the_check_itself_sees_imports(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom agents.cli import main\nimport llm_bridge.aggregators as agg\n")
    assert _imported_roots(bad) == {"os", "agents", "llm_bridge"}
