"""The README starts with exactly two commands, and .ci/run runs the second one verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL)]


def test_readme_starts_with_two_commands() -> None:
    commands = _readme_commands()
    assert len(commands) >= 2
    main_job, tests = commands[:2]
    assert "\n" not in main_job and "\n" not in tests
    assert main_job.startswith("python3 -m venv .venv") and "vecreward" in main_job
    assert "pytest" in tests and "constraints-cpu.txt" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _readme_commands()[1] in ci


def test_cpu_constraint_pins_torch() -> None:
    assert "torch==" in (ROOT / "constraints-cpu.txt").read_text()
