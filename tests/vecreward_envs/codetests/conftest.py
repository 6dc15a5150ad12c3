import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # ct_helpers

from vecreward_envs.codetests.config import CodeTestsConfig  # noqa: E402
from vecreward_envs.codetests.generator import generate_cached  # noqa: E402
from vecreward_envs.codetests.sandbox import SandboxLimits, SandboxPool  # noqa: E402

N_PROBLEMS = int(os.environ.get("VECREWARD_TEST_PROBLEMS", "40"))


@pytest.fixture(scope="session")
def problems() -> list:
    """Problems of seeds 0..N-1 (default config), generated once per session."""
    return [generate_cached(seed, CodeTestsConfig()) for seed in range(N_PROBLEMS)]


@pytest.fixture(scope="session")
def pool() -> SandboxPool:
    """A small pool with short limits: every adversarial run ends within about 1.5 s."""
    limits = SandboxLimits(test_seconds=0.5, program_seconds=1.5, cpu_seconds=2, memory_mb=256, processes=8,
                           output_bytes=2048, result_bytes=1 << 18)
    with SandboxPool(size=1, limits=limits) as sandbox:
        yield sandbox
