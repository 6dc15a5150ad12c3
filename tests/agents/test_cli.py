import subprocess
import sys

from agents.cli import main


def test_help_lists_commands(capsys) -> None:  # noqa: ANN001
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_demo_runs(capsys) -> None:  # noqa: ANN001
    assert main(["demo", "--mazes", "1", "--seed", "3", "--prompt"]) == 0
    out = capsys.readouterr().out
    assert "Exact Pareto front" in out and "avoid_lava" in out and "Output moves in <answer>" in out


def test_demo_bad_parameters_are_clear(capsys) -> None:  # noqa: ANN001
    assert main(["demo", "--size", "3"]) == 2
    assert "size must be in" in capsys.readouterr().out


def test_console_script_installed() -> None:
    result = subprocess.run([sys.executable, "-m", "agents", "--help"], capture_output=True, text=True, check=True)
    assert "vecreward" in result.stdout
