"""The kernel tests once more with numba's JIT off: the kernel's Python semantics must match too."""

import os
import subprocess
import sys
from pathlib import Path


def test_kernels_without_jit() -> None:
    here = Path(__file__).parent
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "VECREWARD_TEST_EXAMPLES": "40"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly",
         "-W", "ignore::RuntimeWarning", str(here / "test_kernels.py")],  # uint64 wrap-around warns without JIT
        env=env, capture_output=True, text=True, timeout=600, cwd=here,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
