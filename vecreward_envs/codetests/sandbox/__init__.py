"""Running untrusted Python solutions: a pool of pre-started, isolated, resource-limited worker processes.

``SandboxPool(...).run([Job(code, inputs)])`` -> one ``RunResult`` per job (per-test values, errors, timeouts,
how the run ended). Outputs are compared with expected values by the caller, never inside the sandbox.
"""

from vecreward_envs.codetests.sandbox.limits import Isolation, SandboxLimits
from vecreward_envs.codetests.sandbox.pool import SandboxPool, SandboxWarning, default_pool
from vecreward_envs.codetests.sandbox.protocol import Job, RunResult, TestRun
from vecreward_envs.codetests.sandbox.spawners import bwrap_path

__all__ = ["Isolation", "Job", "RunResult", "SandboxLimits", "SandboxPool", "SandboxWarning", "TestRun", "bwrap_path",
           "default_pool"]
